"""Plain ``.txt`` files: one document per file, id = file name without extension.

The text is stored exactly as read (CR/LF, controls and all); only a UTF-8
byte-order mark at the very start is dropped, being a file marker and not text.
A file name that is not valid UTF-8 (``caf\xe9.txt`` from a Latin-1 system) still
names its document: the bytes that do not decode are written as ``\xe9`` in the id
(a store id must be real text), and the exact name is kept as hex in the meta.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TextIO

from annotator.errors import InputError
from annotator.formats._io import (
    PIECE_BYTES,
    blank,
    check_readable,
    decode_pieces,
    name_meta,
    readable_name,
    strip_bom_pieces,
)
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.model.annotations import Document


def read_text(path: Path) -> str:
    """A whole text file, strictly decoded; invalid UTF-8 names its line and byte offset.

    Read and decoded a piece at a time (``decode_pieces``, each piece's bytes dropped once decoded):
    a 100 MB file is held about twice at most, as the pieces and their join."""
    check_readable(path)
    with path.open("rb") as f:
        pieces = list(iter(partial(f.read, PIECE_BYTES), b""))
    try:
        parts = decode_pieces(pieces)
    except UnicodeDecodeError as exc:
        with path.open("rb") as f:
            line = f.read(exc.start).count(b"\n") + 1
        raise InputError(f"invalid UTF-8 ({exc.reason}); file not imported", str(path), line,
                         byte_offset=exc.start) from None
    strip_bom_pieces(parts)
    return parts[0] if len(parts) == 1 else "".join(parts)


class PlainTextFormat(Format):
    name = "text"
    description = "plain UTF-8 text: one document per .txt file (folders are walked)"

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".txt" and not path.with_suffix(".ann").exists()

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        text = read_text(path)
        if blank(text):
            ctx.report(path, None, "only white space; nothing imported")
            return
        yield Record(Document(readable_name(path.stem), text, name_meta(path.name)), None, 1)

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        for i, record in enumerate(records):
            if i:
                out.write("\n\n")
            out.write(record.document.text)
