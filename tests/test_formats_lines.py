"""The one loop writing lines as UTF-8 bytes (``formats._lines.ByteLines``), shared by native and Prodigy.

What must hold: the file holds the lines in the order given, bytes and text alike, whether gathered or
written at once (a line of the gathered size or more); under a text stream there is no byte stream;
the lines given before a failure are written; native's file is what its text stream gets.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from annotator.formats import _lines
from annotator.formats._lines import ByteLines
from annotator.formats.base import Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Document, Entity
from annotator.schema import default_schema_path, load_schema


def test_bytes_and_text_lines_keep_their_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lines, "GATHERED_AT_MOST", 16)
    target = tmp_path / "out.jsonl"
    big = "ب" * 40
    with target.open("w", encoding="utf-8") as out, ByteLines(out) as lines:
        assert lines.raw is not None
        lines.add("أ".encode())
        lines.text(lambda o: o.write("text one\n"))
        lines.add(b"b")
        lines.add(b"c" * 10)  # past the gathered size: written with the two before it
        lines.add(big.encode())  # a line over the gathered size: written at once
        lines.add(b"d")
        lines.text(lambda o: o.write("text two\n"))
        lines.add(b"e")
    assert target.read_text(encoding="utf-8") == f"أ\ntext one\nb\n{'c' * 10}\n{big}\nd\ntext two\ne\n"


def test_a_text_stream_has_no_byte_stream() -> None:
    out = io.StringIO()
    with ByteLines(out) as lines:
        assert lines.raw is None
        lines.text(lambda o: o.write("only text\n"))
    assert out.getvalue() == "only text\n"


def test_the_lines_given_before_a_failure_are_written(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with target.open("w", encoding="utf-8") as out, pytest.raises(RuntimeError):  # noqa: PT012
        with ByteLines(out) as lines:
            lines.add(b"first")
            raise RuntimeError("a failure after one line")
    assert target.read_bytes() == b"first\n"


def test_natives_file_is_what_its_text_stream_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lines, "GATHERED_AT_MOST", 64)  # gathered a few lines at a time, one line over it
    texts = ["قال نعم", "lone \ud800 kept as an escape", "x" * 200, 'a "quoted" \\ line\n', "end"]
    recs = [Record(Document(f"d{k}", t, {}), Annotations(doc_id=f"d{k}", annotator="amal", status="done",
                                                         entities=(Entity("e1", 0, 1, "PER"),)))
            for k, t in enumerate(texts)]
    ctx = WriteContext(load_schema(default_schema_path()))
    text_out = io.StringIO()
    get_format("native").write(recs, text_out, ctx)
    target = tmp_path / "out.jsonl"
    with target.open("w", encoding="utf-8") as out:
        get_format("native").write(recs, out, ctx)
    assert target.read_bytes() == text_out.getvalue().encode("utf-8")
    assert len(target.read_text(encoding="utf-8").splitlines()) == len(texts)
