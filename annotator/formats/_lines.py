"""Lines written as the UTF-8 bytes a writer made: the one loop native and Prodigy share.

A writer that makes a line's UTF-8 itself (to check it once for a lone surrogate, or because it built
the line as bytes) gives it here; under a UTF-8 text file or standard output (``_json.utf8_buffer``) the
lines go to the byte stream underneath, gathered about a megabyte at a time (one ``write`` instead of one
a line), and a line the writer can only write as text goes through the text stream, in its place.
Under any other stream (a ``StringIO``, another encoding) there is no byte stream: the writer writes text.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from annotator.formats._json import utf8_buffer

GATHERED_AT_MOST = 1 << 20  # bytes of lines gathered before one write


class ByteLines:
    """Lines given as bytes to ``out``'s byte stream (``raw``; None: write text instead), in order with
    lines written as text (``text``). Used as a context: on leaving, even after a failure, the lines
    given before it are written (standard output keeps them; a file is replaced only if all went well)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.raw: Any = utf8_buffer(out)
        self._pending: list[bytes] = []
        self._size = 0

    def __enter__(self) -> ByteLines:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._write_pending()

    def add(self, line: bytes) -> None:
        """One line's UTF-8, without its line end (only when ``raw`` is not None). A line of a megabyte or more
        is written at once, never copied into a gathered one."""
        if len(line) >= GATHERED_AT_MOST:
            self._write_pending()
            self.raw.write(line)
            self.raw.write(b"\n")
            return
        self._pending.append(line)
        self._size += len(line) + 1
        if self._size >= GATHERED_AT_MOST:
            self._write_pending()

    def text(self, write: Callable[[TextIO], None]) -> None:
        """A line (with its line end) written as text by ``write(out)``, after the lines given before it."""
        if self.raw is None:
            write(self.out)
            return
        self._write_pending()
        write(self.out)
        self.out.flush()  # before the next bytes

    def _write_pending(self) -> None:
        if not self._pending:
            return
        self._pending.append(b"")  # the last line's end
        gathered = b"\n".join(self._pending)
        self._pending.clear()  # first: a failed write is never tried again
        self._size = 0
        self.raw.write(gathered)
