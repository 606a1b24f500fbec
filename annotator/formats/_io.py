"""Reading foreign files safely and in a streaming way.

Every reader goes through these helpers so that the same bad input gets the same
clear message everywhere: an empty or binary file, invalid UTF-8 (with its byte
offset), malformed or too deeply nested JSON (reported with its line and counted;
the rest is still read). Line endings (``\\n`` or ``\\r\\n``) and a leading BOM belong
to the file, not to the content, so they are removed here (``strip_bom`` is the one
rule, used by detection too); nothing else in a line is touched.

Everything here is linear in the input: a JSON item is delimited by a scanner that
carries its state from chunk to chunk (never re-reading a growing buffer) and is
then parsed once.

Long because the streaming JSON scanner, the line readers and ``Sample`` share one set of
checks (empty, binary, UTF-8 with its offset, nesting): one rule, one file.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from annotator.errors import InputError
from annotator.formats.base import ReadContext

HEAD_BYTES = 64 * 1024
NOT_REGULAR = "not a regular file (a named pipe, socket or device); not read"
BOM = "\ufeff"
_CHUNK = 1 << 16

# Keys that hold labels in one tool's format or another. A record holding one that the format
# being read does not use would lose those labels without a word: it is reported instead.
ANNOTATION_KEYS = frozenset({
    "spans", "label", "labels", "annotations", "predictions", "completions", "entities", "claims", "relations",
    "result", "ner_tags", "tags", "technique", "techniques", "answer", "status", "attributes", "notes",
})


def strip_bom(text: str) -> str:
    """Drop a UTF-8 byte-order mark at the very start: a file marker, not text."""
    return text[1:] if text.startswith(BOM) else text


def check_readable(path: Path) -> None:
    """Refuse, with one clear line, what no reader can use: a folder, an empty or binary file."""
    check_regular(path)
    with path.open("rb") as f:
        check_start(f.read(START_BYTES), path)


START_BYTES = 8192  # what check_start is given: a file's (or an archive member's) first bytes


def check_start(start: bytes, path: str | Path) -> None:
    """``check_readable`` of a file's first START_BYTES, however they were read (an archive's member)."""
    if not start:
        raise InputError("empty file: nothing to import", str(path))
    if b"\x00" in start:
        raise InputError("binary file (it holds NUL bytes): not a text format", str(path))


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line, decoded strictly as UTF-8, without its line ending.

    Streams: one line in memory at a time (a long one read and decoded a piece at a time,
    ``decode_pieces``). Invalid UTF-8 stops the import with the line and the absolute byte
    offset of the first bad byte.
    """
    check_readable(path)
    with path.open("rb") as f:
        yield from iter_stream_lines(f, path)


def iter_stream_lines(f: BinaryIO, path: str | Path) -> Iterator[tuple[int, str]]:
    """``iter_lines`` of a stream already open (an archive's member), named ``path`` in errors."""
    offset = number = 0
    readline = f.readline
    # a line at most PIECE_BYTES at a time: Python's reader gathers a long line in 8 kB pieces and joins
    # them, and the pieces of a 100 MB line left the heap that much larger after they were freed
    while raw := readline(PIECE_BYTES):  # counted by hand: enumerate keeps its last item alive
        number += 1
        size = len(raw)
        if size == PIECE_BYTES and not raw.endswith(b"\n"):  # a long line: the rest, a piece at a time
            held = [raw]
            while raw and not raw.endswith(b"\n"):
                raw = readline(PIECE_BYTES)
                held.append(raw)
            raw = b""  # the pieces are handed over: each is dropped once decoded
            size = sum(map(len, held))
            given = [_long_line(held, number, offset, path)]
            offset += size
            yield number, given.pop()
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"invalid UTF-8 ({exc.reason})", str(path), number, byte_offset=offset + exc.start
            ) from None
        offset += size
        raw = b""  # not held while the caller works on the line
        if number == 1:
            line = strip_bom(line)
        if line.endswith("\n"):
            line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
        given, line = [line], ""
        yield number, given.pop()  # this frame keeps no reference to the line while the caller has it


def _long_line(held: list[bytes], number: int, offset: int, path: str | Path) -> str:
    """``iter_lines``' line of more than PIECE_BYTES (a one-line 100 MB document), read as the pieces
    ``held``, decoded a piece at a time (each piece's bytes dropped once decoded) and joined."""
    try:
        parts = decode_pieces(held)
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid UTF-8 ({exc.reason})", str(path), number, byte_offset=offset + exc.start) from None
    if number == 1:
        strip_bom_pieces(parts)
    _drop_line_end(parts)
    return "".join(parts)


PIECE_BYTES = 1 << 20  # bytes decoded at a time


def decode_pieces(pieces: list[bytes]) -> list[str]:
    """Strict UTF-8 of bytes given in pieces, as text pieces (to be joined), each bytes piece dropped from
    ``pieces`` once decoded: CPython decoding a long non-Latin text whole holds about four times its size at
    once (a one-byte buffer, then a two-byte one as long as the bytes); a piece at a time, about twice.
    A ``UnicodeDecodeError``'s ``start`` is the absolute offset of the first bad byte."""
    if len(pieces) == 1 and len(pieces[0]) <= PIECE_BYTES:
        return [str(pieces.pop(), "utf-8")]
    decoder = codecs.getincrementaldecoder("utf-8")()
    out: list[str] = []
    offset = 0
    pieces.reverse()
    while True:
        raw = pieces.pop() if pieces else b""
        pending = len(decoder.getstate()[0])
        try:
            out.append(decoder.decode(raw, final=not raw))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError("utf-8", exc.object, offset - pending + exc.start,
                                     offset - pending + exc.end, exc.reason) from None
        if not raw:
            return out
        offset += len(raw)


def strip_bom_pieces(parts: list[str]) -> None:
    """``strip_bom`` of text given in pieces (a piece may be empty, a character cut at its end)."""
    for i, part in enumerate(parts):
        if part:
            parts[i] = strip_bom(part)
            return


def blank(line: str) -> bool:
    """Empty or only white space (``not line.strip()`` without copying a line of a hundred megabytes)."""
    return not line or line.isspace()


def _drop_line_end(parts: list[str]) -> None:
    """Remove a trailing LF or CR LF from text given in pieces (the CR may end the piece before)."""
    for want in ("\n", "\r"):
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        if not parts[-1].endswith(want):
            return
        parts[-1] = parts[-1][:-1]


# -- JSON ---------------------------------------------------------------------------

_FAILED = object()


def parse_json(text: str, ctx: ReadContext, path: Path, line: int) -> Any:
    """``text`` parsed as JSON, or ``_FAILED`` after rejecting the record with its file and line.

    The one place input JSON is parsed: a syntax error, and nesting too deep for
    Python (a ``RecursionError``), become a counted rejection, never a traceback.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.reject(path, line + exc.lineno - 1,
                   f"malformed JSON ({exc.msg} at column {exc.colno}); record not imported")
    except RecursionError:
        ctx.reject(path, line, "JSON nested too deeply (over about 1,000 levels); record not imported")
    except ValueError as exc:  # e.g. a number too long to convert
        ctx.reject(path, line, f"malformed JSON ({exc}); record not imported")
    return _FAILED


def check_keys(obj: dict[str, Any], ctx: ReadContext, path: Path, line: int) -> None:
    """Report label-holding keys the format being read does not use (never ignore them silently)."""
    uses = ctx.record_keys
    if uses is None:
        return
    unused = [k for k in obj if k in ANNOTATION_KEYS and k not in uses and obj[k] not in (None, "", [], {})]
    if unused:
        keys = ", ".join(repr(k) for k in unused)
        ctx.report(path, line, f"key(s) {keys} not read by the {ctx.format_name or 'chosen'} format: what they "
                   "hold is not imported (is this another format? give --format)")


def iter_jsonl(path: Path, ctx: ReadContext) -> Iterator[tuple[int, dict[str, Any]]]:
    """Objects of a JSON Lines file; a malformed or non-object line is reported and skipped."""
    for number, line in iter_lines(path):
        if blank(line):
            continue
        ctx.next_record()
        obj = parse_json(line, ctx, path, number)
        line = ""  # not held while the caller works on the record (a one-line 100 MB document)
        if obj is _FAILED:
            continue
        if not isinstance(obj, dict):
            ctx.reject(path, number, f"expected a JSON object, found {type(obj).__name__}; record not imported")
            continue
        check_keys(obj, ctx, path, number)
        yield number, obj


def iter_json_items(path: Path, ctx: ReadContext) -> Iterator[tuple[int, Any]]:
    """Items of a top-level JSON array (or of a sequence of top-level values, such as one
    object or JSON lines), parsed one at a time with their starting line.

    ``_JsonItems`` finds where each item ends without parsing it, so memory holds one
    item (plus one chunk) and a malformed item is reported and skipped: the items
    after it are still read. Only a broken array structure (a missing ``,``, a file
    that ends inside an item) ends the file.
    """
    for start_line, text in _JsonItems(path):
        ctx.next_record()
        item = parse_json(text, ctx, path, start_line)
        if item is _FAILED:
            continue
        if isinstance(item, dict):
            check_keys(item, ctx, path, start_line)
        yield start_line, item


_OPEN, _CLOSE = "[{", "]}"
_STRUCTURE = re.compile(r'[\[\]{}"]')
_STRING_BODY = re.compile(r'(?:[^"\\]++|\\.)*+', re.S)  # stops at the closing quote, or a lone \ at the end
_SCALAR_END = re.compile(r'[\s,\]\[{}"]')


class _JsonItems:
    """``(start line, item text)`` for each item of a JSON array or sequence, found by a scanner
    that keeps its state (depth, inside a string, a pending escape) across chunks: linear time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._chunks = _LineChunks(path)
        self.buf, self.pos = "", 0
        self._line_base, self._counted = 1, 0  # line of buf[0]; newlines counted in buf[:_counted]

    # -- the buffer: one chunk at a time, lines counted once ------------------------
    def _more(self) -> bool:
        if not self._chunks.more:
            return False
        self._line_base += self.buf.count("\n", self._counted)
        self.buf, self.pos, self._counted = self._chunks.take(), 0, 0
        return True

    def _line(self) -> int:
        self._line_base += self.buf.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._line_base

    def _skip_ws(self) -> bool:
        """Move to the next non-blank character; False at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return True
            if not self._more():
                return False

    def _fail(self, problem: str) -> InputError:
        return InputError(problem, str(self.path), self._line())

    # -- items ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, str]]:
        if not self._skip_ws():
            raise InputError("no JSON value in the file", str(self.path))
        array = self.buf[self.pos] == "["
        if not array and self.buf[self.pos] != "{":
            raise self._fail("expected a JSON array of tasks")
        if array:
            self.pos += 1
        expect_item = True
        while True:
            if not self._skip_ws():
                if array:
                    raise self._fail("JSON array is not closed (file ends early)")
                return
            ch = self.buf[self.pos]
            if array and ch == "]":
                self.pos += 1
                if self._skip_ws():
                    raise self._fail("text after the end of the JSON array")
                return
            if array and ch == "," and not expect_item:
                self.pos, expect_item = self.pos + 1, True
                continue
            if array and not expect_item:
                raise self._fail("expected ',' or ']' after an item of the JSON array")
            if ch in ",]}":
                raise self._fail(f"unexpected {ch!r} where a JSON value should start")
            start = self._line()
            yield start, self._item(start)
            expect_item = False

    def _item(self, start: int) -> str:
        """The text of the item starting at ``pos``, which is left just after it."""
        parts: list[str] = []
        buf, pos, begin = self.buf, self.pos, self.pos
        depth, in_string, scalar = 0, False, buf[pos] not in _OPEN and buf[pos] != '"'
        while True:
            if scalar:  # a number, true, false, null (or junk, which the parser reports)
                m = _SCALAR_END.search(buf, pos)
                if m is not None:
                    pos = m.start()
                    break
                pos = len(buf)
            elif in_string:
                body = _STRING_BODY.match(buf, pos)
                assert body is not None  # the pattern matches the empty string
                pos = body.end()
                if pos < len(buf) and buf[pos] == '"':
                    in_string, pos = False, pos + 1
                    if depth == 0:
                        break
                    continue
            else:
                m = _STRUCTURE.search(buf, pos)
                if m is not None:
                    ch, pos = m.group(), m.end()
                    if ch == '"':
                        in_string = True
                    elif ch in _OPEN:
                        depth += 1
                    else:
                        depth -= 1
                        if depth <= 0:
                            break
                    continue
                pos = len(buf)
            # this chunk ends inside the item (a chunk ends a line, so never between \ and its character)
            parts.append(buf[begin:])
            if not self._more():
                if scalar:
                    self.pos = len(self.buf)
                    return "".join(parts)
                raise InputError("JSON item is not complete (the file ends inside it)", str(self.path), start)
            buf, pos, begin = self.buf, 0, 0
        parts.append(buf[begin:pos])
        self.pos = pos
        return "".join(parts)


class _LineChunks:
    """Hands out the decoded file in chunks of whole lines (each at least ``_CHUNK`` characters
    unless the file ends), so a scanner's state is the only thing carried between them."""

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


# -- detection ----------------------------------------------------------------------


class Sample(str):
    """What formats are sniffed from: the first 64 KB as text (BOM dropped by ``strip_bom``)
    and, on demand, ``first``: the file's first whole JSON record, however long it is."""

    path: Path
    _first: Any

    @classmethod
    def of(cls, path: Path, limit: int = HEAD_BYTES) -> Sample:
        with path.open("rb") as f:
            raw = f.read(limit)
        if not raw:
            raise InputError("empty file: nothing to import", str(path))
        if b"\x00" in raw[:8192]:
            raise InputError("binary file (it holds NUL bytes): not a text format", str(path))
        sample = cls(strip_bom(raw.decode("utf-8", errors="ignore")))
        sample.path, sample._first = path, _FAILED
        return sample

    @property
    def is_array(self) -> bool:
        return self.lstrip().startswith("[")

    @property
    def first(self) -> Any:
        """The first item of a JSON array, or the first value of JSON lines; None if unreadable."""
        if self._first is _FAILED:
            self._first = None
            start = self.lstrip()[:1]
            try:
                if start == "{" and self.lstrip().split("\n", 1)[0].strip() != "{":
                    self._first = self._first_line()  # JSON lines: the record is the first line, whole
                elif start in ("[", "{"):  # an array, or one object over several lines
                    for _, item in iter_json_items(self.path, ReadContext()):
                        self._first = item
                        break
            except (InputError, OSError):
                pass
        return self._first

    def _first_line(self) -> Any:
        for number, line in iter_lines(self.path):
            if not blank(line):
                item = parse_json(line, ReadContext(), self.path, number)
                return None if item is _FAILED else item
        return None


def first_json_line(head: str) -> dict[str, Any] | None:
    """The first JSON-lines object of a file, for sniffing JSONL formats: from a ``Sample``, the
    whole first record (however long); from plain text, its first non-blank line."""
    if isinstance(head, Sample):
        first = head.first
        return first if isinstance(first, dict) and not head.is_array else None
    for line in head.splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
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


# -- file names as text: a name that is not UTF-8 still names its document ---------------------
def readable_name(name: str) -> str:
    """``name`` as real text: bytes the file system gave that are not UTF-8 (Python holds them
    as lone surrogates) become visible ``\\xNN`` escapes; a valid name is unchanged."""
    return _name_bytes(name).decode("utf-8", "backslashreplace")


def _name_bytes(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte: keep it visible all the same
        return name.encode("utf-8", "surrogatepass")


def name_meta(name: str) -> dict[str, str]:
    """``source_file`` for a document's meta; with ``source_file_bytes`` (hex) when the name is not
    UTF-8, so the exact name is kept and the meta still exports as valid JSON."""
    shown = readable_name(name)
    return {"source_file": shown} if shown == name else {"source_file": shown,
                                                         "source_file_bytes": _name_bytes(name).hex()}
