"""Prodigy identities: the mentions of one identity (``Entity.identity``) are written as ``rel.manual``
relations labelled ``same-as`` from each later mention to the first (a star) and read back, in any
linked shape (chain, star, either label spelling), into the same groups; bad relations are reported
with the file and line and the rest of the task is imported."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from test_identity import groups

from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.text import tokenize

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(default_schema_path())
PRODIGY = get_format("prodigy")


def export(records: list[Record], path: Path) -> WriteContext:
    ctx = WriteContext(SCHEMA)
    export_records(PRODIGY, records, path, ctx)
    return ctx


def read(path: Path) -> tuple[list[Record], ReadContext]:
    ctx = ReadContext(schema=SCHEMA)
    return list(PRODIGY.read(path, ctx)), ctx


def seed_with_linked_mentions(path: Path) -> Record:
    """A seed with every repeated word labelled, the occurrences of each of its first four repeated
    words linked as one identity, and a claim (the first sentence) claimed by a linked mention."""
    text = path.read_text(encoding="utf-8")
    by_word: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for t in tokenize(text):
        if t.kind == "word" and len(t.text) > 2:
            by_word[t.text].append((t.start, t.end))
    repeated = [w for w, spans in by_word.items() if len(spans) > 1][:6]
    linked = set(repeated[:4])
    ents = []
    for w in repeated:
        for s, e in by_word[w]:
            ents.append((s, e, w in linked and w))
    ents.sort()
    entities = tuple(Entity(f"e{n}", s, e, "PER" if n % 2 else "ORG", None,
                            f"i{repeated.index(w) + 1}" if w else None) for n, (s, e, w) in enumerate(ents, 1))
    claimer = next(e for e in entities if e.identity is not None)
    cut = text.find(".") + 1 or len(text)
    claim = Claim("c1", 0, cut, {}, claimer.id)
    ann = Annotations(path.stem, "amal", entities=entities, claims=(claim,))
    return Record(Document(path.stem, text), ann)


SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def test_seeds_with_linked_mentions_round_trip_as_the_same_identities(tmp_path):
    records = [seed_with_linked_mentions(p) for p in SEEDS]
    assert all(len(groups(r.annotations)) >= 2 for r in records)  # the seeds do repeat words
    out = tmp_path / "out.jsonl"
    wctx = export(records, out)
    assert not [p for p in wctx.problems if "identit" in p.message]  # nothing reported lost
    back, rctx = read(out)
    assert [p.message for p in rctx.problems if not p.note] == []
    assert len(back) == len(records)
    for got, want in zip(back, records, strict=True):
        assert groups(got.annotations) == groups(want.annotations)
        text = got.document.text
        (claim,) = got.annotations.claims
        claimer = got.annotations.entity(claim.claimer)
        want_claimer = want.annotations.entity(want.annotations.claims[0].claimer)
        assert (claimer.start, claimer.end) == (want_claimer.start, want_claimer.end)
        assert all(text[e.start:e.end] for e in got.annotations.entities)
    again = tmp_path / "again.jsonl"
    export(back, again)
    assert again.read_bytes() == out.read_bytes()  # our own line reads back to the same line


def test_identities_are_written_as_a_star_of_same_as_relations_to_the_first_mention(tmp_path):
    rec = seed_with_linked_mentions(SEEDS[0])
    out = tmp_path / "out.jsonl"
    export([rec], out)
    task = json.loads(out.read_text(encoding="utf-8"))
    same = [r for r in task["relations"] if r["label"] == "same-as"]
    tokens = task["tokens"]
    want = []
    for mentions in rec.annotations.identities().values():
        first = mentions[0]
        want += [((m.start, m.end), (first.start, first.end)) for m in mentions[1:]]
    assert sorted(((r["head_span"]["start"], r["head_span"]["end"]), (r["child_span"]["start"],
                   r["child_span"]["end"])) for r in same) == sorted(want)
    for r in same:  # Prodigy's shape: head/child are the index of each span's last token
        assert r["head"] == r["head_span"]["token_end"] and r["child"] == r["child_span"]["token_end"]
        assert tokens[r["head"]]["end"] == r["head_span"]["end"]
        assert set(r["head_span"]) == {"start", "end", "token_start", "token_end", "label"}
        assert r["head_span"] in task["spans"] and r["child_span"] in task["spans"]
    claimer = [r for r in task["relations"] if r["label"] == "CLAIMED_BY"]
    assert len(claimer) == 1 and claimer[0]["head_span"]["label"] == "CLAIM"


# A hand-written rel.manual answer: a chain (بالي → بالي → مصطفى بالي, upper-case SAME_AS as Prodigy users
# name labels), the claimer, Prodigy's own keys (color, _view_id), and a relation of another label.
TEXT = "قال مصطفى بالي إن بالي وقسد اتفقوا. وأضاف بالي أن الاتفاق صامد."
LINE = (
    '{"text": "' + TEXT + '", '
    '"spans": [{"start": 4, "end": 14, "token_start": 1, "token_end": 2, "label": "PER"}, '
    '{"start": 18, "end": 22, "token_start": 4, "token_end": 4, "label": "PER"}, '
    '{"start": 23, "end": 27, "token_start": 5, "token_end": 5, "label": "ORG"}, '
    '{"start": 36, "end": 63, "token_start": 8, "token_end": 13, "label": "CLAIM"}, '
    '{"start": 42, "end": 46, "token_start": 9, "token_end": 9, "label": "PER"}], '
    '"relations": ['
    '{"head": 4, "child": 2, "head_span": {"start": 18, "end": 22, "token_start": 4, "token_end": 4, "label": "PER"}, '
    '"child_span": {"start": 4, "end": 14, "token_start": 1, "token_end": 2, "label": "PER"}, '
    '"color": "#ffd882", "label": "SAME_AS"}, '
    '{"head": 9, "child": 4, "head_span": {"start": 42, "end": 46, "token_start": 9, "token_end": 9, "label": "PER"}, '
    '"child_span": {"start": 18, "end": 22, "token_start": 4, "token_end": 4, "label": "PER"}, '
    '"color": "#ffd882", "label": "same_as"}, '
    '{"head": 13, "child": 9, "head_span": {"start": 36, "end": 63, "token_start": 8, "token_end": 13, '
    '"label": "CLAIM"}, "child_span": {"start": 42, "end": 46, "token_start": 9, "token_end": 9, "label": "PER"}, '
    '"color": "#c5bdf4", "label": "CLAIMED_BY"}, '
    '{"head": 5, "child": 2, "head_span": {"start": 23, "end": 27, "token_start": 5, "token_end": 5, "label": "ORG"}, '
    '"child_span": {"start": 4, "end": 14, "token_start": 1, "token_end": 2, "label": "PER"}, '
    '"color": "#96e8ce", "label": "MEMBER_OF"}], '
    '"answer": "accept", "_input_hash": 1, "_task_hash": 2, "_view_id": "relations", "_annotator_id": "news-amal"}'
)


def test_a_hand_written_rel_manual_line_reads_into_identities_and_a_claimer(tmp_path):
    assert [TEXT[s:e] for s, e in ((4, 14), (18, 22), (23, 27), (42, 46))] == ["مصطفى بالي", "بالي", "وقسد", "بالي"]
    path = tmp_path / "rel.jsonl"
    path.write_text("\n" + LINE + "\n", encoding="utf-8")
    (rec,), ctx = read(path)
    ann = rec.annotations
    assert groups(ann) == {frozenset({(4, 14), (18, 22), (42, 46)})}  # the chain is one identity
    assert ann.entity(ann.claims[0].claimer) is not None
    assert (ann.entity(ann.claims[0].claimer).start, ann.entity(ann.claims[0].claimer).end) == (42, 46)
    # the relation of another label: reported with the file and line, not imported; the rest is
    (problem,) = [p for p in ctx.problems if not p.note]
    assert (Path(problem.path).name, problem.line) == ("rel.jsonl", 2)
    assert "relation 4 ('MEMBER_OF') is not a claimer or same-as link; not imported" in problem.message
    # written back: our star of same-as relations to the first mention, the claimer, Prodigy's keys kept
    out = io.StringIO()
    PRODIGY.write([rec], out, WriteContext(SCHEMA))
    task = json.loads(out.getvalue())
    rels = [(r["label"], (r["head_span"]["start"], r["head_span"]["end"]),
             (r["child_span"]["start"], r["child_span"]["end"])) for r in task["relations"]]
    assert rels == [("CLAIMED_BY", (36, 63), (42, 46)), ("same-as", (18, 22), (4, 14)),
                    ("same-as", (42, 46), (4, 14))]
    assert task["_view_id"] == "relations" and task["_annotator_id"] == "news-amal"


def _relation(label: object, head: object, child: object) -> dict:
    return {"head": 0, "child": 0, "head_span": head, "child_span": child, "label": label}


PER_FULL = {"start": 4, "end": 14, "token_start": 1, "token_end": 2, "label": "PER"}
PER_LATER = {"start": 18, "end": 22, "token_start": 4, "token_end": 4, "label": "PER"}
CLAIM = {"start": 36, "end": 63, "token_start": 8, "token_end": 13, "label": "CLAIM"}


@pytest.mark.parametrize(("relations", "said"), [
    ([_relation("same-as", {**PER_LATER, "start": 17}, PER_FULL)],
     "relation 1 (same-as) does not join two entities of the task (head_span [17,22) 'PER', child_span [4,14) "
     "'PER'); not imported"),
    ([_relation("same-as", PER_LATER, None)], "relation 1 (same-as) does not join two entities of the task "
     "(head_span [18,22) 'PER', child_span missing); not imported"),
    ([_relation("same-as", PER_LATER, [4, 14])], "child_span list [4, 14]"),
    ([_relation("same-as", PER_LATER, {"start": "4", "end": 14})], "child_span ['4',14) None"),
    ([_relation("same-as", PER_LATER, PER_LATER)], "relation 1 (same-as) does not join two entities"),
    ([_relation("same-as", CLAIM, PER_FULL)], "relation 1 (same-as) does not join two entities"),
    ([_relation("CLAIMED_BY", ["x"], PER_FULL)], "relation 1 (CLAIMED_BY) does not join a claim to an entity"),
    ([_relation("CLAIMED_BY", {**CLAIM, "start": [36]}, PER_FULL)],
     "relation 1 (CLAIMED_BY) does not join a claim to an entity"),
    (["same-as"], "relation 1 is not an object; not imported"),
    ({"head": 0}, '"relations" is not a list; not imported'),
])
def test_bad_relations_are_reported_with_file_and_line_and_the_rest_is_imported(tmp_path, relations, said):
    task = {"text": TEXT, "spans": [PER_FULL, PER_LATER, CLAIM], "relations": relations}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "قال"}) + "\n" + json.dumps(task, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    recs, ctx = read(path)
    assert len(recs) == 2
    (problem,) = [p for p in ctx.problems if not p.note]
    assert (Path(problem.path).name, problem.line) == ("bad.jsonl", 2)
    assert said in problem.message
    ann = recs[1].annotations
    assert groups(ann) == set() and len(ann.entities) == 2 and len(ann.claims) == 1


def test_spans_sharing_offsets_are_told_apart_by_label(tmp_path):
    """Two spans at the same offsets (nesting allows it): the relation's label names which one."""
    org = {**PER_LATER, "label": "ORG"}
    task = {"text": TEXT, "spans": [PER_FULL, PER_LATER, org],
            "relations": [_relation("same-as", org, {**PER_FULL, "label": "ORG"})]}
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(task, ensure_ascii=False) + "\n", encoding="utf-8")
    (rec,), ctx = read(path)
    linked = [e for e in rec.annotations.entities if e.identity is not None]
    assert sorted((e.start, e.label) for e in linked) == [(4, "PER"), (18, "ORG")]


def test_importing_the_hand_written_line_keeps_its_identity_and_says_what_it_left_out(tmp_path, capsys):
    """The command line end to end: the other relation is listed with file:line, the import exits 1
    (a record imported in part), and the identity is in the store, as native and Prodigy exports show."""
    from annotator.cli import main

    path = tmp_path / "rel.jsonl"
    path.write_text(LINE + "\n", encoding="utf-8")
    db = tmp_path / "store.db"
    assert main(["import", str(path), "--db", str(db), "--format", "prodigy"]) == 1
    said = capsys.readouterr()
    assert "rel.jsonl:1" in said.out + said.err and "MEMBER_OF" in said.out + said.err
    native = tmp_path / "out.jsonl"
    assert main(["export", "--db", str(db), "-o", str(native)]) == 0
    (doc,) = [json.loads(x) for x in native.read_text(encoding="utf-8").splitlines()]
    linked = sorted((e["start"], e["end"]) for e in doc["entities"] if e.get("identity"))
    assert linked == [(4, 14), (18, 22), (42, 46)]
    assert len({e["identity"] for e in doc["entities"] if e.get("identity")}) == 1
    prodigy = tmp_path / "out.prodigy.jsonl"
    assert main(["export", "--db", str(db), "-o", str(prodigy), "--format", "prodigy"]) == 0
    assert "identit" not in capsys.readouterr().err
    task = json.loads(prodigy.read_text(encoding="utf-8"))
    assert sum(r["label"] == "same-as" for r in task["relations"]) == 2
