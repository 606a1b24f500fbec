"""Reading foreign files safely and in a streaming way.

Every reader goes through these helpers so that the same bad input gets the same
clear message everywhere: an empty or binary file, invalid UTF-8 (with its byte
offset), malformed JSON on one line (reported, the rest is still read).
Line endings (``\\n`` or ``\\r\\n``) belong to the file, not to the content, so
they are removed here; nothing else in a line is touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from annotator.errors import InputError
from annotator.formats.base import ReadContext

HEAD_BYTES = 64 * 1024
NOT_REGULAR = "not a regular file (a named pipe, socket or device); not read"
_CHUNK = 1 << 16


def check_readable(path: Path) -> None:
    """Refuse, with one clear line, what no reader can use: a folder, an empty or binary file."""
    check_regular(path)
    with path.open("rb") as f:
        start = f.read(8192)
    if not start:
        raise InputError("empty file: nothing to import", str(path))
    if b"\x00" in start:
        raise InputError("binary file (it holds NUL bytes): not a text format", str(path))


def read_head(path: Path, limit: int = HEAD_BYTES) -> str:
    """The first ``limit`` bytes as text, for sniffing (a cut multi-byte character is dropped)."""
    with path.open("rb") as f:
        raw = f.read(limit)
    return raw.decode("utf-8", errors="ignore")


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line, decoded strictly as UTF-8, without its line ending.

    Streams: one line in memory at a time. Invalid UTF-8 stops the import with the
    line and the absolute byte offset of the first bad byte.
    """
    check_readable(path)
    offset = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"invalid UTF-8 ({exc.reason})", str(path), number, byte_offset=offset + exc.start
                ) from None
            offset += len(raw)
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]  # a BOM is a file marker, not text
            if line.endswith("\n"):
                line = line[:-1]
                if line.endswith("\r"):
                    line = line[:-1]
            yield number, line


def iter_jsonl(path: Path, ctx: ReadContext) -> Iterator[tuple[int, dict[str, Any]]]:
    """Objects of a JSON Lines file; a malformed or non-object line is reported and skipped."""
    for number, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            ctx.reject(path, number, f"malformed JSON ({exc.msg} at column {exc.colno}); record not imported")
            continue
        if not isinstance(obj, dict):
            ctx.reject(path, number, f"expected a JSON object, found {type(obj).__name__}; record not imported")
            continue
        yield number, obj


def iter_json_items(path: Path, ctx: ReadContext) -> Iterator[tuple[int, Any]]:
    """Items of a top-level JSON array (or of a sequence of top-level objects, such as one
    object or JSON lines), parsed one at a time with their starting line.

    The file is read in chunks and each item decoded with ``raw_decode`` as soon as it
    is complete, so memory holds one item (plus one chunk), not the whole array.
    An item that cannot be parsed ends the import of that file: JSON has no line
    structure to resynchronise on, so the error names the line where it starts.
    """
    decoder = json.JSONDecoder()
    lines = _LineChunks(path)
    buf, pos = lines.take(), 0
    pos = _skip_ws(buf, pos)
    while pos >= len(buf) and lines.more:
        buf, pos = buf[pos:] + lines.take(), 0
        pos = _skip_ws(buf, pos)
    if pos >= len(buf):
        raise InputError("no JSON value in the file", str(path))
    array = buf[pos] == "["
    if not array and buf[pos] != "{":
        raise InputError("expected a JSON array of tasks", str(path), lines.line_of(buf, pos))
    pos += 1 if array else 0
    expect_item = True
    while True:
        pos = _skip_ws(buf, pos)
        if pos >= len(buf):
            if not lines.more:
                if array:
                    raise InputError("JSON array is not closed (file ends early)", str(path), lines.line_no)
                return
            buf, pos = buf[pos:] + lines.take(), 0
            continue
        ch = buf[pos]
        if array and ch == "]":
            return
        if array and ch == "," and not expect_item:
            pos, expect_item = pos + 1, True
            continue
        start_line = lines.line_of(buf, pos)
        if array and not expect_item:
            raise InputError("expected ',' or ']' after an item of the JSON array", str(path), start_line)
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if not lines.more:
                    raise InputError(f"malformed JSON ({exc.msg})", str(path), start_line) from None
                buf, pos = buf[pos:] + lines.take(), 0
        yield start_line, item
        buf, pos, expect_item = buf[end:], 0, False


def _skip_ws(buf: str, pos: int) -> int:
    while pos < len(buf) and buf[pos] in " \t\r\n":
        pos += 1
    return pos


class _LineChunks:
    """Hands out the decoded file in chunks of whole lines, tracking line numbers for messages."""

    def __init__(self, path: Path) -> None:
        self._lines = iter_lines(path)
        self.more = True
        self.line_no = 0  # last line handed out

    def take(self) -> str:
        parts: list[str] = []
        size = 0
        for number, line in self._lines:
            self.line_no = number
            parts.append(line + "\n")
            size += len(line)
            if size >= _CHUNK:
                break
        else:
            self.more = False
        return "".join(parts)

    def rest(self) -> str:
        out = []
        while self.more:
            out.append(self.take())
        return "".join(out)

    def line_of(self, buf: str, pos: int) -> int:
        """1-based line number of ``buf[pos]``, given ``buf`` ends at the last line handed out."""
        return self.line_no - buf.count("\n", pos) + 1


def first_json_line(head: str) -> dict[str, Any] | None:
    """The first non-blank line of ``head`` parsed as a JSON object, for sniffing JSONL formats."""
    for line in head.splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                return None
            return obj if isinstance(obj, dict) else None
    return None


def inside(base: Path, candidate: Path) -> Path:
    """``candidate`` if it resolves (symlinks followed) to a place within folder ``base``, else an
    InputError naming it. A name taken from data (``../x``, ``/etc/x``) or a symlink must not make
    a reader open a file outside the folder it was given."""
    try:
        root, target = Path(base).resolve(), Path(candidate).resolve()
    except (OSError, RuntimeError):  # a loop of symlinks (RuntimeError before Python 3.13)
        raise InputError("cannot be resolved (a loop of symbolic links)", str(candidate)) from None
    if target != root and root not in target.parents:
        raise InputError(f"outside the folder {base} (it resolves to {target})", str(candidate))
    return Path(candidate)


def check_regular(path: Path) -> None:
    """Refuse what is not a regular file before reading it: a named pipe would block for ever,
    a device (``/dev/zero``) may never end. (``render`` uses this alone: it shows any text.)"""
    if not path.exists():
        raise InputError("no such file", str(path))
    if path.is_dir():
        raise InputError("is a folder, not a file", str(path))
    if not path.is_file():
        raise InputError(NOT_REGULAR, str(path))
