"""Every export format writes the same bytes as before the export speed-ups (issue 12 aim 4, sixth pass).

The expectations (``golden/export_digests.json``) are SHA-256 digests of what the code of 2 December 2026,
before the CoNLL and Prodigy writers were rewritten for speed, wrote (and reported) for the same
records: the seeds, generated text of awkward characters (quotes, backslashes, control characters,
emoji, Latin, ``\\r\\n``, lone surrogates), and a sample of ``../shared/data``, each once from the
token tables a store keeps and once tokenized, and the seeds also through a store (``export_store``).
``python tests/test_export_identical.py --record`` writes them again: only ever with code known to be
right.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import sys
from pathlib import Path

import pytest

from annotator.exporting import export_store
from annotator.formats.base import Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
from annotator.text import bounds
from annotator.text.tokens import tokenize

sys.path.insert(0, str(Path(__file__).parent))
from conftest import SEEDS, SHARED_DATA  # noqa: E402

SCHEMA = load_schema(default_schema_path())
DIGESTS = Path(__file__).parent / "golden" / "export_digests.json"
FORMATS = ("native", "prodigy", "doccano", "label-studio", "label-studio-min", "conll")
_PIECES = [*"ab \n\t\xa0\x1c\x1f\x7f\x85.,،؟؛«»\"'#*©0٣…—-%\\/{}[]<>", "\\\"", "\"\"", "  ", "\r\n", "\r",
           "\u064e", "\u0651", "\u0640", "كتب", "وال", "قال", "2019", "café", "Ünïcødé", "naïve", "é",
           "\u200c", "\u200f", "\u2028", "\u3000", "😀", "👍🏽", "\ufe0f", "\u20e3", "\u0600", "\x00", "\x08",
           "\ud800", "O", "B-PER"]


def _labelled(doc_id: str, text: str, k: int) -> Annotations:
    """Entities on the tokens (every 5th; every 11th a two-token span), and by ``k``: nesting, a partial
    overlap, an entity off token edges, claims with attributes and a claimer, identities, notes."""
    toks = tokenize(text)
    ents = []
    for i in range(0, len(toks), 5):
        end = toks[min(i + 1, len(toks) - 1)].end if i % 11 == 0 else toks[i].end
        ents.append(Entity(f"e{i}", toks[i].start, end, ("PER", "ORG", "GPE")[i % 3],
                           identity=f"i{i % 3}" if k % 4 == 1 and i % 2 == 0 else None))
    if k % 5 == 2 and len(toks) > 4:
        ents.append(Entity("n1", toks[0].start, toks[3].end, "ORG"))  # holds e0
        ents.append(Entity("n2", toks[2].start, toks[4].end, "GPE"))  # partly overlaps n1
    if k % 7 == 3 and toks and toks[0].end - toks[0].start > 1:
        ents.append(Entity("x", toks[0].start, toks[0].start + 1, "PER"))
    claims = ()
    if k % 3 == 0 and toks:
        claims = (Claim("c1", toks[0].start, toks[-1].end, {"checkworthy": "yes"} if k % 2 else {},
                        claimer=ents[0].id if ents else None),)
    ents.sort(key=lambda e: (e.start, -e.end, e.id))
    status = ("todo", "in_progress", "done", "skipped", "flagged")[k % 5]
    return Annotations(doc_id=doc_id, annotator=None if k % 6 == 5 else "amal", status=status,
                       notes="ملاحظة \"x\"" if k % 4 == 2 else "", entities=tuple(ents), claims=claims)


def seed_docs() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def generated_docs() -> list[tuple[str, str]]:
    rng = random.Random(20261202)
    return [(f"g{k}", "".join(rng.choices(_PIECES, k=rng.randint(1, 80)))) for k in range(300)]


def shared_docs() -> list[tuple[str, str]] | None:
    """Up to 4,000 characters from the start of each shared text file, in a fixed order (None: absent)."""
    if not SHARED_DATA.exists():
        return None
    files = sorted(p for p in SHARED_DATA.rglob("*") if p.is_file() and p.suffix in {".txt", ".tsv", ".csv", ".jsonl"})
    docs = []
    for p in files:
        with p.open(encoding="utf-8", errors="replace", newline="") as f:
            text = f.read(4000)
        if text.strip():
            docs.append((str(p.relative_to(SHARED_DATA)), text))
    return docs


def _records(docs: list[tuple[str, str]], kept: bool) -> list[Record]:
    return [Record(Document(i, t, {"source": "test"} if k % 2 else {}), _labelled(i, t, k),
                   tokens=bounds.pack(t) if kept else None) for k, (i, t) in enumerate(docs)]


def _digest(out: str, problems: list[str]) -> str:
    return hashlib.sha256((out + "\0" + "\n".join(problems)).encode("utf-8", "surrogatepass")).hexdigest()


def written(fmt: str, records: list[Record]) -> str:
    ctx = WriteContext(SCHEMA)
    out = io.StringIO()
    get_format(fmt).write(records, out, ctx)
    return _digest(out.getvalue(), [str(p) for p in ctx.problems])


def through_store(fmt: str, folder: Path) -> str:
    """The seeds added to a store, labelled, and exported by ``export_store`` (its records, its output file)."""
    from annotator.model.operations import ReplaceAnnotations
    from annotator.session import AnnotationSession

    db = folder / f"{fmt}.db"
    store = SQLiteStore(db)
    try:
        for k, (doc_id, text) in enumerate(seed_docs()):
            store.add_document(Document(doc_id, text, {}))
            ann = _labelled(doc_id, text, k)  # without the partial overlap the schema forbids
            ann = Annotations(doc_id=doc_id, annotator=ann.annotator, status=ann.status, notes=ann.notes,
                              entities=tuple(e for e in ann.entities if e.id != "n2"), claims=ann.claims)
            AnnotationSession(store, SCHEMA, ann.annotator or "amal").apply(doc_id, ReplaceAnnotations(ann))
        target = folder / f"out.{fmt}"
        ctx = export_store(store, SCHEMA, get_format(fmt), target)
    finally:
        store.close()
    if target.is_dir():
        body = "".join(f"{f.name}\0{f.read_text(encoding='utf-8')}\0" for f in sorted(target.iterdir()))
    else:
        body = target.read_text(encoding="utf-8")
    body = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", "<time>", body)  # when it was saved
    return _digest(body, [str(p).replace(str(folder), "<tmp>") for p in ctx.problems])


CORPORA = {"seeds": seed_docs, "generated": generated_docs}


def _case_digest(corpus: str, fmt: str, kept: bool) -> str:
    docs = shared_docs() if corpus == "shared" else CORPORA[corpus]()
    if docs is None:
        pytest.skip(f"{SHARED_DATA} is absent: the public corpora live in ../shared/data beside the repository")
    return written(fmt, _records(docs, kept))


def _expected() -> dict[str, str]:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kept", [True, False], ids=["kept-tables", "tokenized"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("corpus", ["seeds", "generated", "shared"])
def test_every_format_writes_the_bytes_it_wrote_before(corpus: str, fmt: str, kept: bool) -> None:
    key = f"{corpus}/{fmt}/{'kept' if kept else 'tokenized'}"
    assert _case_digest(corpus, fmt, kept) == _expected()[key], key


@pytest.mark.parametrize("fmt", [*FORMATS, "brat"])
def test_an_export_of_a_store_writes_the_bytes_it_wrote_before(fmt: str, tmp_path: Path) -> None:
    assert through_store(fmt, tmp_path) == _expected()[f"store/{fmt}"]


def _record() -> None:  # pragma: no cover - run by hand, with code known to be right
    import tempfile

    found = {}
    for corpus in ("seeds", "generated", "shared"):
        for fmt in FORMATS:
            for kept in (True, False):
                found[f"{corpus}/{fmt}/{'kept' if kept else 'tokenized'}"] = _case_digest(corpus, fmt, kept)
    for fmt in (*FORMATS, "brat"):
        with tempfile.TemporaryDirectory() as tmp:
            found[f"store/{fmt}"] = through_store(fmt, Path(tmp))
    DIGESTS.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__" and "--record" in sys.argv:  # pragma: no cover
    _record()

