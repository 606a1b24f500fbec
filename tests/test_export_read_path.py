"""The export's read path (issue 12 aim 4, export-fast session): the quick decoders fill objects the way
``__init__`` does, stored JSON is read as ``json.loads`` reads it, and a state edited by hand in the store
(offsets that are not whole numbers, outside the text, spans out of order) is reported in one line or put
in order, in every writable format, never a traceback or a shifted span."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from annotator.errors import StoreError
from annotator.exporting import export_store
from annotator.formats.base import all_formats, get_format
from annotator.model import codec
from annotator.model import operations as o
from annotator.model.annotations import Annotations, Claim, Document, Entity, Rejection
from annotator.schema import default_schema_path, load_schema
from annotator.store.sql_reads import stored_json
from annotator.store.sqlite import SQLiteStore

SCHEMA = load_schema(default_schema_path())
TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز."
WRITABLE = sorted(name for name, fmt in all_formats().items() if fmt.writable)


@pytest.mark.parametrize("cls", [Annotations, Entity, Claim, Rejection])
def test_the_quick_decoders_fill_the_instance_dict_of_our_dataclasses(cls):
    """Their ``__init__`` comes precompiled from ``annotator._dataclass_code`` (start-up); the quick decoder
    must still see it as the one ``dataclasses`` wrote and fill ``__dict__`` instead of calling it."""
    assert codec._fills_dict(cls, [f.name for f in fields(cls) if f.init])


@pytest.mark.parametrize("value", ["{}", '{"a": 1}', '{"a": [1, 2.5, null, true]}', "[1,2]", '"x"', "1", " {}",
                                   "{} ", '{"a": 1} x', "", "nul", "{", '{"a": NaN}', '{"é": "\\u00e9"}', "{}{}"])
def test_stored_json_reads_what_json_loads_reads(value):
    try:
        want: object = ("ok", json.loads(value))
    except json.JSONDecodeError as exc:
        want = ("error", str(exc))
    try:
        got: object = ("ok", stored_json(value))
    except json.JSONDecodeError as exc:
        got = ("error", str(exc))
    assert repr(got) == repr(want)


def test_stored_json_gives_a_new_empty_object_each_time():
    a = stored_json("{}")
    a["x"] = 1
    assert stored_json("{}") == {}


def _store_with_state(tmp_path: Path, entities: list[dict], name: str = "s.db") -> Path:
    """A store holding one labelled document whose stored state was then edited by hand: its
    entities replaced by ``entities`` (the JSON rewritten in the database, as a person could)."""
    db = tmp_path / name
    store = SQLiteStore(db)
    store.add_document(Document("d1", TEXT))
    state = Annotations("d1", "amal", "done", entities=(Entity("e1", 0, 3, "PER"),))
    store.commit("d1", "amal", 0, state.with_(version=1), "do", o.ReplaceAnnotations(state), None, None)
    store.close()
    con = sqlite3.connect(db)
    data = json.loads(con.execute("SELECT state FROM annotations").fetchone()[0])
    con.execute("UPDATE annotations SET state=?", (json.dumps({**data, "entities": entities, "created_at": "2026-12-02T05:00:00.000Z",
                                                          "updated_at": "2026-12-02T05:00:00.000Z"}),))
    con.commit()
    con.close()
    return db


def _export(db: Path, fmt: str, out: Path) -> bytes:
    store = SQLiteStore(db)
    try:
        export_store(store, SCHEMA, get_format(fmt), out)
    finally:
        store.close()
    if out.is_dir():
        return b"".join(p.name.encode() + p.read_bytes() for p in sorted(out.iterdir()))
    return out.read_bytes()


def _ent(i: str, start: object, end: object, label: str = "PER") -> dict:
    return {"id": i, "start": start, "end": end, "label": label}


DAMAGED = {
    "text offsets": [_ent("e1", "0", 3)],
    "a fraction": [_ent("e1", 0, 2.5)],
    "true for 1": [_ent("e1", True, 3)],
    "past the end": [_ent("e1", 0, 3), _ent("e2", 4, 999)],
    "before the start": [_ent("e1", -2, 3)],
    "empty": [_ent("e1", 3, 3)],
    "null": [_ent("e1", None, 3)],
}


@pytest.mark.parametrize("fmt", WRITABLE)
@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_hand_edited_offset_is_reported_with_the_document_and_span(tmp_path, fmt, case):
    db = _store_with_state(tmp_path, DAMAGED[case])
    out = tmp_path / f"out-{fmt}"
    with pytest.raises(StoreError) as err:
        _export(db, fmt, out)
    message = str(err.value)
    assert "document 'd1'" in message and "outside its text" in message and "store damaged" in message
    assert "'e1'" in message or "'e2'" in message
    assert not out.exists()  # nothing half written


def test_the_command_line_says_it_in_one_line(tmp_path):
    db = _store_with_state(tmp_path, DAMAGED["text offsets"])
    res = subprocess.run([sys.executable, "-m", "annotator", "export", "--db", str(db), "--format", "native",
                          "-o", str(tmp_path / "o.jsonl")], capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert "document 'd1': span 'e1' at ['0', 3) is outside its text" in res.stderr


@pytest.mark.parametrize("fmt", WRITABLE)
def test_spans_stored_out_of_order_are_exported_in_order(tmp_path, fmt):
    """Three entities, one pair sharing a start (longer first): stored reversed by hand, they are written
    as the same state stored in canonical order is."""
    ents = [_ent("e1", 0, 9, "ORG"), _ent("e2", 0, 3), _ent("e3", 10, 14, "GPE")]
    want = _export(_store_with_state(tmp_path, ents, "a.db"), fmt, tmp_path / f"a-{fmt}")
    got = _export(_store_with_state(tmp_path, ents[::-1], "b.db"), fmt, tmp_path / f"b-{fmt}")
    assert got == want


def test_native_writes_spans_in_the_order_its_records_hold_them():
    """The canonical order is ``iter_records``' to make (``test_spans_stored_out_of_order_are_exported_in_order``);
    the native writer keeps the order it is given, checking it no second time."""
    from annotator.formats.base import Record, WriteContext

    ents = (Entity("e3", 10, 14, "GPE"), Entity("e1", 0, 9, "ORG"))
    out = io.StringIO()
    get_format("native").write([Record(Document("d1", "Amal Omar went home.", {}), Annotations(
        "d1", "amal", entities=ents))], out, WriteContext(SCHEMA))
    assert [e["id"] for e in json.loads(out.getvalue())["entities"]] == ["e3", "e1"]


def test_native_lines_written_as_bytes_are_the_text_lines(tmp_path, capfdbinary):
    """A native export to a file or standard output writes each line's UTF-8 itself (encoded once); the
    bytes are those of the text a ``StringIO`` gets, lone surrogates escaped, line ends untouched."""
    from annotator.exporting import export_records
    from annotator.formats.base import Record, WriteContext

    texts = ["قال \"x\" \\ \r\n\u2028 \x00", "😀 \ud800 e\u0301", "plain", "\udfff"]
    records = [Record(Document(f"d{k}", t, {"m": t}), Annotations(f"d{k}", "amal", entities=(
        Entity("e1", 0, 1, "PER"),))) for k, t in enumerate(texts)]
    text_out = io.StringIO()
    get_format("native").write(records, text_out, WriteContext(SCHEMA))
    want = text_out.getvalue().encode("utf-8")
    assert "\\ud800" in text_out.getvalue() and "\\udfff" in text_out.getvalue()
    export_records(get_format("native"), records, tmp_path / "o.jsonl", WriteContext(SCHEMA))
    assert (tmp_path / "o.jsonl").read_bytes() == want
    capfdbinary.readouterr()
    export_records(get_format("native"), records, "-", WriteContext(SCHEMA))
    assert capfdbinary.readouterr().out == want


@pytest.mark.parametrize("text", ["", "abc", "😀", "a😀b", "\ud800", "\udbff\udc00", "كتب " * 30000 + "😀",
                                  "كتب " * 30000, "x" * 65536 + "😀", "é" * 70000, "\U0010ffff"])
def test_an_astral_character_is_found_wherever_it_is(text):
    """``Utf16Offsets`` tells a text without a character outside the BMP by its UTF-16 length (a piece at a
    time past 65,536 code points) before searching: the same answer as the search, and the same offsets."""
    from annotator.formats import offsets

    conv = offsets.Utf16Offsets(text)
    astral = [m.start() for m in offsets._ASTRAL.finditer(text)]
    assert conv.has_astral == bool(astral)
    assert conv.utf16_length == len(text.encode("utf-16-le", "surrogatepass")) // 2
    assert [conv.to_utf16(k) for k in (0, len(text))] == [0, conv.utf16_length]
