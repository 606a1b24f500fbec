"""Token tables kept by the store since import (issue 12 aim 4): CoNLL and Prodigy write from them.

A store keeps each document's token boundaries when it is added (``annotator.text.bounds.pack``,
migration 7), tagged with the tokenizer's version; an export hands them to the writers
(``Record.tokens``), which then tokenize nothing. What must hold: the output is byte for byte what
tokenizing the text gives, on the seeds, the shared corpora and generated text, for a store filled
before tables were kept, and for a damaged table (which is said, and tokenized past).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from old_stores import made_before_long_texts

from annotator.exporting import export_store, iter_records
from annotator.formats import _spans, conll, prodigy
from annotator.formats.base import Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
from annotator.text import bounds
from annotator.text.tokens import tokenize

from conftest import SEEDS, shared_text_files

SCHEMA = load_schema(default_schema_path())
_TRICKY = [*"ab \n\t\xa0\x1c.،؟؛«»\"'#*©0٣…—-%\\", "  ", "\r\n", "\u064e", "\u0651", "\u0640", "كتب", "وال",
           "2019", "é", "\u200c", "\u200f", "😀", "\ufe0f", "\u20e3", "\u0600", "\U0001f3fb", "\x00", "\ud800"]


def _labelled(doc_id: str, text: str, *, nested: bool = False, off_edge: bool = False,
              claim: bool = False) -> Annotations:
    """Entities on our tokens (every 5th token; every 11th a two-token span), as an annotator makes them."""
    toks = tokenize(text)
    ents = []
    for k in range(0, len(toks), 5):
        end = toks[min(k + 1, len(toks) - 1)].end if k % 11 == 0 else toks[k].end
        ents.append(Entity(f"e{k}", toks[k].start, end, ("PER", "ORG", "GPE")[k % 3]))
    if nested and len(toks) > 3:
        ents.append(Entity("n1", toks[0].start, toks[3].end, "ORG"))  # holds e0
        ents.append(Entity("n2", toks[2].start, toks[3].end, "GPE"))  # partly overlaps e0's span? no: inside
    if off_edge and toks and toks[0].end - toks[0].start > 1:
        ents.append(Entity("x", toks[0].start, toks[0].start + 1, "PER"))
    claims = (Claim("c1", toks[0].start, toks[-1].end, {}),) if claim and toks else ()
    ents.sort(key=lambda e: (e.start, -e.end, e.label))
    return Annotations(doc_id=doc_id, annotator="amal", entities=tuple(ents), claims=claims)


def _written(fmt: str, records: list[Record]) -> tuple[str, list[str]]:
    ctx = WriteContext(SCHEMA)
    out = io.StringIO()
    get_format(fmt).write(records, out, ctx)
    return out.getvalue(), [str(p) for p in ctx.problems]


def _both_ways(fmt: str, docs: list[tuple[str, str]], **kinds: bool) -> None:
    """The same bytes and reports with the kept tables as by tokenizing each text."""
    plain = [Record(Document(i, t, {}), _labelled(i, t, **kinds)) for i, t in docs]
    kept = [Record(r.document, r.annotations, tokens=bounds.pack(r.document.text)) for r in plain]
    assert _written(fmt, kept) == _written(fmt, plain)


def _refuse_tokenizing(monkeypatch) -> None:
    def refused(*_args, **_kwargs):
        raise AssertionError("a text with a kept table was tokenized")

    for module in (conll, prodigy):
        monkeypatch.setattr(module, "token_table", refused)


def _seed_docs() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


# -- the table itself --------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TRICKY), max_size=40).map("".join))
def test_a_kept_table_holds_the_tokens_of_its_text(text: str) -> None:
    table = _spans.unpack(bounds.pack(text), text)
    want = tokenize(text)
    assert table is not None
    assert (list(table.starts), list(table.ends)) == ([t.start for t in want], [t.end for t in want])
    assert _spans.spaced(text, table) == " ".join(t.text for t in want)
    assert _spans.spaced(text, table, " O\n") == " O\n".join(t.text for t in want)
    assert list(table.before) == [sum(t.end - t.start for t in want[:k]) for k in range(len(want))]


@pytest.mark.parametrize("sep", [" ", " O\n", "\n"])
def test_a_table_with_a_space_inside_a_token_does_not_fit(sep):
    """Runs and lengths that add up but a token that holds a space ("b c" of "a b c"): the spaces are
    counted, by ``count`` or by the length of the string made with ``sep``."""
    table = _spans.TokenTable([0, 2], [1, 5], [0, 1], [0], [5])
    assert _spans.spaced("a b c", table, sep) is None
    assert _spans.spaced("a b c", _spans.TokenTable([0, 2, 4], [1, 3, 5], [0, 1, 2], [0], [5]), sep) \
        == sep.join("abc")


def test_a_text_over_the_limit_keeps_no_table_and_a_long_one_uses_32_bit_numbers(monkeypatch):
    long = "كتب الرئيس، «نعم» 2019. " * 3000  # over 65,536 characters
    table = _spans.unpack(bounds.pack(long), long)
    assert bounds.pack(long)[:1] == b"I" and bounds.pack("قال.")[:1] == b"H"
    assert table is not None and list(table.ends) == [t.end for t in tokenize(long)]
    monkeypatch.setattr(bounds, "STORED_MAX", 100)
    assert bounds.pack("ب" * 100) is None and bounds.pack("ب" * 99) is not None


def test_the_tokenizer_version_follows_its_source(monkeypatch, tmp_path):
    from annotator.text import tokens

    before = bounds.tokenizer_version()
    assert before == bounds.tokenizer_version() and len(before) == 16
    from importlib.machinery import ModuleSpec

    copy = tmp_path / "tokens.py"
    copy.write_text(open(tokens.__file__, encoding="utf-8").read() + "\n# a changed rule\n", encoding="utf-8")
    monkeypatch.setattr(tokens, "__spec__", ModuleSpec(tokens.__name__, None, origin=str(copy)))
    bounds.tokenizer_version.cache_clear()
    try:
        assert bounds.tokenizer_version() != before
    finally:
        monkeypatch.undo()
        bounds.tokenizer_version.cache_clear()
    assert bounds.tokenizer_version() == before


# -- the writers: the same bytes, without tokenizing ---------------------------------------------

@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
@pytest.mark.parametrize("kinds", [{}, {"nested": True}, {"off_edge": True, "claim": True}],
                         ids=["side-by-side", "nested", "off-edge-and-claim"])
def test_the_seeds_are_written_the_same_from_kept_tables(fmt, kinds):
    _both_ways(fmt, _seed_docs(), **kinds)


@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
def test_kept_tables_spare_the_tokenizer(fmt, monkeypatch):
    plain = [Record(Document(i, t, {}), _labelled(i, t, nested=i.endswith("1"))) for i, t in _seed_docs()]
    want = _written(fmt, plain)
    kept = [Record(r.document, r.annotations, tokens=bounds.pack(r.document.text)) for r in plain]
    _refuse_tokenizing(monkeypatch)
    assert _written(fmt, kept) == want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=40).map("".join), st.booleans())
def test_generated_text_is_written_the_same_from_kept_tables(text: str, nested: bool) -> None:
    text = text.replace("\ud800", "x")  # a lone surrogate cannot be written as UTF-8 by either way: the same error
    for fmt in ("conll", "prodigy"):
        _both_ways(fmt, [("d", text)], nested=nested)


@pytest.mark.shared
def test_the_shared_corpora_are_written_the_same_from_kept_tables():
    docs = []
    for path in shared_text_files():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        docs += [(f"{path.stem}:{k}", "\n".join(lines[k:k + 10])) for k in range(0, len(lines), 10)]
    docs = [(i, t) for i, t in docs if t.strip()]
    for fmt in ("conll", "prodigy"):
        _both_ways(fmt, docs)


@pytest.mark.parametrize("damage", ["truncated", "another text", "runs moved", "before shifted", "garbage"])
@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
def test_a_table_that_does_not_fit_its_text_is_said_and_tokenized_past(fmt, damage):
    text = _seed_docs()[0][1]
    blob = bounds.pack(text)
    n = int.from_bytes(blob[4:6], "little")
    if damage == "truncated":
        blob = blob[:-2]
    elif damage == "another text":
        blob = bounds.pack(text.replace(" ", "  ", 3))
    elif damage == "runs moved":  # the second run's start one character on
        r = int.from_bytes(blob[6:8], "little")
        at = 4 + 2 * (2 + 3 * n + 1)
        blob = blob[:at] + (int.from_bytes(blob[at:at + 2], "little") + 1).to_bytes(2, "little") + blob[at + 2:]
        assert r > 1
    elif damage == "before shifted":  # token 10 (tagged): its line placed one character off
        at = 4 + 2 * (2 + 2 * n + 10)
        blob = blob[:at] + (int.from_bytes(blob[at:at + 2], "little") + 1).to_bytes(2, "little") + blob[at + 2:]
    else:
        blob = b"H\0\0\0" + bytes(range(200))
    ann = _labelled("d", text)
    want, said = _written(fmt, [Record(Document("d", text, {}), ann)])
    got, said_kept = _written(fmt, [Record(Document("d", text, {}), ann, tokens=blob)])
    assert got == want
    unfit = _spans.UNFIT.format("d")
    if damage == "before shifted" and fmt == "prodigy":
        assert said_kept == said  # Prodigy does not read the "before" counts
    else:
        assert said_kept == [f"<output>: {unfit}", *said]


@pytest.mark.parametrize("nested", [False, True])
def test_a_line_found_inside_a_longer_token_is_a_damaged_table(nested):
    """A "before" count that puts a tagged token's line inside another line whose end looks the same
    ("b" in "ab"): CoNLL checks each tagged line whole, from its line end, so it is said and tokenized
    past (before: the general path, which a token tagged twice takes too, tagged ``ab``)."""
    text = "b ab"
    blob = bounds.pack(text)
    n = int.from_bytes(blob[4:6], "little")
    at = 4 + 2 * (2 + 2 * n + 0)  # token 0's "before" count: 0 → 5, the "b" of "ab O\n" in the body
    blob = blob[:at] + (5).to_bytes(2, "little") + blob[at + 2:]
    ents = [Entity("e0", 0, 1, "ORG")] if nested else []  # the same token twice: the general path
    ann = Annotations(doc_id="d", annotator="amal", entities=(*ents, Entity("e1", 0, 1, "PER")))
    want, said = _written("conll", [Record(Document("d", text, {}), ann)])
    got, said_kept = _written("conll", [Record(Document("d", text, {}), ann, tokens=blob)])
    assert got == want and want.startswith("b B-")
    assert said_kept == [f"<output>: {_spans.UNFIT.format('d')}", *said]


# -- the store keeps them, the export reads them -------------------------------------------------

def _store_with_seeds(path, *, before_tables: bool = False) -> SQLiteStore:
    store = SQLiteStore(path)
    for doc_id, text in _seed_docs():
        store.add_document(Document(doc_id, text, {}))
        ann = _labelled(doc_id, text)
        from annotator.model.operations import ReplaceAnnotations
        from annotator.session import AnnotationSession

        AnnotationSession(store, SCHEMA, "amal").apply(doc_id, ReplaceAnnotations(ann))
    if before_tables:  # as an annotator before migration 7 left it (and the later ones)
        made_before_long_texts(store, str(path), 6)
        store = SQLiteStore(path)
    return store


@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
def test_an_export_reads_the_kept_tables_and_writes_what_tokenizing_writes(fmt, tmp_path, monkeypatch):
    store = _store_with_seeds(tmp_path / "s.db")
    try:
        records = list(iter_records(store, tokens=True))
        assert records and all(r.tokens is not None for r in records)
        export_store(store, SCHEMA, get_format(fmt), tmp_path / "kept.out")
        plain = tmp_path / "plain.out"
        with plain.open("w", encoding="utf-8") as out:
            get_format(fmt).write(iter_records(store), out, WriteContext(SCHEMA))
        _refuse_tokenizing(monkeypatch)
        export_store(store, SCHEMA, get_format(fmt), tmp_path / "refused.out")
    finally:
        store.close()
    assert (tmp_path / "kept.out").read_bytes() == plain.read_bytes() == (tmp_path / "refused.out").read_bytes()


@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
def test_documents_stored_before_tables_were_kept_are_tokenized_the_same(fmt, tmp_path):
    new = _store_with_seeds(tmp_path / "new.db")
    old = _store_with_seeds(tmp_path / "old.db", before_tables=True)
    try:
        assert len(list(new.iter_token_bounds())) == 5 and list(old.iter_token_bounds()) == []
        export_store(new, SCHEMA, get_format(fmt), tmp_path / "new.out")
        export_store(old, SCHEMA, get_format(fmt), tmp_path / "old.out")
        old.add_document(Document("later", "وثيقة أضيفت بعد الترحيل.", {}))  # the migrated store keeps them now
        assert [doc_id for doc_id, _ in old.iter_token_bounds()] == ["later"]
        kept = {r.document.id: r.tokens is not None for r in iter_records(old, tokens=True)}
        assert kept == {**{doc_id: False for doc_id, _ in _seed_docs()}, "later": True}
    finally:
        new.close()
        old.close()
    assert (tmp_path / "new.out").read_bytes() == (tmp_path / "old.out").read_bytes()
