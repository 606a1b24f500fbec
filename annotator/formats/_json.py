"""The writers' one JSON encoder: what ``json.dumps(obj, ensure_ascii=False)`` writes, made once.

``json.dumps`` with any option builds a new encoder for every call (a few µs a record); the
formats that write JSON lines (native, doccano, Label Studio, Prodigy) share this one instead,
and ``json_str`` is what it writes for a string, for writers that assemble JSON from pieces.
No circular check: every value written comes from JSON or from our model, neither of which can
hold a cycle (a deeply nested value still fails, with ``RecursionError``, which the writers catch).

``Raw`` and ``encode_spliced`` let a writer give a list it has already written as JSON (a format string
per span is several times cheaper than a dict per span that the encoder then walks) inside an object
encoded as a whole: the one rule for putting such pieces in their place. ``writer`` makes those format
strings, from the object's shape: the one owner of JSON written other than by the encoder.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any, AnyStr, TextIO

ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # json.dumps(…, ensure_ascii=False)
json_str = json.encoder.encode_basestring  # what ENCODE writes for a string (its C encoder)
SPLICED_AT_MOST = 1 << 20  # characters of a text whose object is spliced (``encode_spliced``); longer: whole


class Slot:
    """An open place in a ``writer``'s shape: ``STR_SLOT``, ``INT_SLOT``, or ``JSON_SLOT`` (a value given as its JSON,
    e.g. a name every span of a document repeats, encoded once a document)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


STR_SLOT, INT_SLOT, JSON_SLOT = Slot("str"), Slot("int"), Slot("json")


def writer(shape: Any, encode: Callable[[Any], str] = ENCODE, string: Callable[[str], str] = json_str,
           separators: tuple[str, str] = (", ", ": ")) -> Callable[..., str]:
    """A function of the values of ``shape``'s slots (positional, in the order they appear) returning ``ENCODE``
    of ``shape`` with them in place (or ``encode``'s, given the strings and separators it writes: Prodigy's
    compact sorted JSON). ``shape`` is JSON (dicts, lists, constants) holding ``Slot``s. When every
    ``STR_SLOT`` value is a ``str`` and every ``INT_SLOT`` value an ``int`` (exactly: as a state holds them), a
    format string made once from ``shape`` writes it, several times cheaper than the encoder walking an object
    made for it; else the encoder writes that object (a ``JSON_SLOT`` value read back). Made once, as code."""
    template: list[str] = []  # the f-string's text: literal JSON (braces doubled) and {v0}, {_str(v1)}…
    checks: list[str] = []
    count = 0

    def literal(value: Any) -> None:
        template.append(encode(value).replace("{", "{{").replace("}", "}}"))

    def walk(node: Any) -> str:  # the code of the object (for the encoder), writing its template on the way
        nonlocal count
        if isinstance(node, Slot):
            name = f"v{count}"
            count += 1
            if node is STR_SLOT:
                checks.append(f"type({name}) is str")
            elif node is INT_SLOT:
                checks.append(f"type({name}) is int")
            template.append(f"{{_str({name})}}" if node is STR_SLOT else f"{{{name}}}")
            return f"_loads({name})" if node is JSON_SLOT else name
        if isinstance(node, dict):
            template.append("{{")
            items = []
            for k, (key, value) in enumerate(node.items()):
                template.append(separators[0] if k else "")
                literal(key)
                template.append(separators[1])
                items.append(f"{key!r}: {walk(value)}")
            template.append("}}")
            return "{" + ", ".join(items) + "}"
        if isinstance(node, list):
            template.append("[")
            values = []
            for k, value in enumerate(node):
                template.append(separators[0] if k else "")
                values.append(walk(value))
            template.append("]")
            return "[" + ", ".join(values) + "]"
        literal(node)
        return repr(node)

    made = walk(shape)
    args = ", ".join(f"v{k}" for k in range(count))
    code = [f"def written({args}):"]
    if checks:
        code.append(f"    if {' and '.join(checks)}:")
    code.append(f"    {'    ' if checks else ''}return f{''.join(template)!r}")
    code.append(f"    return _encode({made})")
    env: dict[str, Any] = {"_str": string, "_encode": encode, "_loads": json.loads}
    exec("\n".join(code), env)  # noqa: S102 - code made from our own shapes, no data
    made_writer: Callable[..., str] = env["written"]
    return made_writer


def json_text(text: str) -> str:
    """``json_str(text)``, quicker for a long text whose only characters to escape are quotes, backslashes,
    line ends and tabs (a document's text, nearly always): found in its ASCII alone, each replaced in one
    pass (``str.replace``) where the encoder looks at every character twice (``_escaped``). Any other control
    character, or a short text: ``json_str``'s."""
    if len(text) < _TEXT_AT_LEAST:
        return json_str(text)
    escaped = _escaped(text, text.encode("ascii", "ignore"), _STR_ESCAPES)
    return json_str(text) if escaped is None else f'"{escaped}"'


def json_utf8(text: str, utf8: bytes) -> bytes:
    """``json_text(text)`` as UTF-8, made from ``utf8``, the text's UTF-8 with lone surrogates passed through
    (``surrogatepass``; a writer that has it already, for hashes): the same rule (``_escaped``) on the bytes,
    where ``replace`` is a ``memchr`` and the ASCII is the bytes themselves (no byte of another character is
    under 0x80). A lone surrogate raises ``UnicodeEncodeError`` (it has no UTF-8), naming the character."""
    if 0xED in utf8 and _SURROGATE_UTF8.search(utf8):
        text.encode("utf-8")  # raises, as the encoder of a text file would
    escaped = _escaped(utf8, utf8, _UTF8_ESCAPES)
    return json_str(text).encode("utf-8") if escaped is None else b'"' + escaped + b'"'


def _escaped(text: AnyStr, ascii_: bytes, escapes: list[tuple[int, AnyStr, AnyStr]]) -> AnyStr | None:
    """The one rule of ``json_text`` and ``json_utf8``: ``text`` (a str, or its UTF-8) with each character of
    ``_ESCAPES`` that its ASCII (``ascii_``) holds replaced by its escape, in the table's order; None when the
    ASCII holds any other control character (``json_str``'s to write: ``\\u00XX``)."""
    if _other_control(ascii_):
        return None
    for code, char, escape in escapes:
        if code in ascii_:  # an int: a memchr (a bytes operand would be tried as an int first, and fail)
            text = text.replace(char, escape)
    return text


def _other_control(ascii_: bytes) -> bool:
    """Whether ``ascii_`` holds a control character ``_ESCAPES`` does not escape: by ``bytes.translate`` (~11
    instructions a byte) when short (a text's ASCII), by a ``memchr`` each (~450 a call, a fraction a byte) when
    long (a text's UTF-8: 60 k a document by ``translate``)."""
    if len(ascii_) < _MEMCHR_FROM:
        return len(ascii_.translate(None, _OTHER_CONTROLS)) != len(ascii_)
    return any(map(ascii_.__contains__, _OTHER_CONTROLS))


_MEMCHR_FROM = 1024  # bytes: fewer, bytes.translate is cheaper than a memchr for each control character
_TEXT_AT_LEAST = 256  # characters: shorter, json_str is quicker
# the characters whose escapes json_text and json_utf8 write by replace, and those escapes (json_str's);
# the backslash first: the others bring their own. Any other control character: json_str's (\b, \f, \u00XX)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_STR_ESCAPES = [(ord(char), char, escape) for char, escape in _ESCAPES.items()]
_UTF8_ESCAPES = [(ord(char), char.encode(), escape.encode()) for char, escape in _ESCAPES.items()]
_OTHER_CONTROLS = bytes(c for c in range(0x20) if chr(c) not in _ESCAPES)
ESCAPED_BYTES = bytes(range(0x20)) + b'"\\'  # the ASCII of every character json_str escapes
_SURROGATE_UTF8 = re.compile(b"\xed[\xa0-\xbf]")  # a lone surrogate, passed through as UTF-8


def scalar_json(value: Any) -> str:
    """``ENCODE(value)``, quicker for the ``str`` or None a field of a state usually is."""
    return json_str(value) if type(value) is str else "null" if value is None else ENCODE(value)


def json_list(items: Iterable[str]) -> str:
    """What ``ENCODE`` writes for a list of the values ``items`` are the JSON of."""
    return "[" + ", ".join(items) + "]"


class Raw:
    """A list already written as JSON: ``"[" + ", ".join(items) + "]"``, what ``ENCODE`` writes for the list
    of the values ``items`` are the JSON of."""

    __slots__ = ("json",)

    def __init__(self, items: Iterable[str]) -> None:
        self.json = json_list(items)


def encode_spliced(obj: Any, places: list[tuple[dict[str, Any], str]]) -> str:
    """``ENCODE(obj)`` where each ``place[key]`` (a dict inside ``obj``, and a key of it) holds a ``Raw``:
    ``obj`` is encoded with a mark in each place, and each mark's JSON replaced by the ``Raw``'s; a long text
    (a value of ``obj`` or of a dict in it: ``_texts``) likewise, by its ``json_text`` (``_spliced``). A mark
    found other than once (a value holding it) makes the ``Raw`` values objects again, encoded whole (JSON read
    back and written again is the same text); so does a text so long that it must be encoded once, never held
    twice (over ``SPLICED_AT_MOST`` characters), before anything is encoded. The places are left holding their
    values."""
    spliced = _spliced(obj, places)
    if spliced is not None:
        parts, values = spliced
        return _interleaved("", parts, [json_text(v) if type(v) is str else v.json for v in values])
    raws: list[Raw] = [place[key] for place, key in places]
    for place, key in places:
        place[key] = json.loads(place[key].json)
    try:
        return ENCODE(obj)
    finally:
        for (place, key), raw in zip(places, raws, strict=True):
            place[key] = raw


def encode_spliced_utf8(obj: Any, places: list[tuple[dict[str, Any], str]]) -> bytes | None:
    """``encode_spliced(obj, places)`` as UTF-8, made in pieces: each long text's by ``json_utf8`` from its UTF-8
    (``bytes.replace`` escapes where ``str.replace`` on a two-byte string counts character by character), the
    rest (mostly ASCII) encoded apart, no line of two-byte characters made and encoded again. None where
    ``encode_spliced`` writes the object whole (write its text then); a lone surrogate raises
    ``UnicodeEncodeError``, as writing ``encode_spliced``'s text to a UTF-8 file does."""
    spliced = _spliced(obj, places)
    if spliced is None:
        return None
    parts, values = spliced
    return _interleaved(b"", [part.encode("utf-8") for part in parts],
                        [json_utf8(v, v.encode("utf-8")) if type(v) is str else v.json.encode("utf-8") for v in values])


def _spliced(obj: Any, places: list[tuple[dict[str, Any], str]]) -> tuple[list[str], list[Any]] | None:
    """``ENCODE(obj)`` cut at ``places`` and at its long texts (``_texts``): the pieces of JSON around them, and
    the values they hold (a ``Raw``, or a text), in the line's order; None when it must be encoded whole
    (a text too long, a value holding a mark)."""
    texts = _texts(obj)
    if texts is None:
        return None
    spliced = places + texts
    values = [place[key] for place, key in spliced]
    marks = [f"\x00raw {k}\x00" for k in range(len(spliced))]
    for (place, key), mark in zip(spliced, marks, strict=True):
        place[key] = mark
    try:
        line = ENCODE(obj)
    finally:
        for (place, key), value in zip(spliced, values, strict=True):
            place[key] = value
    encoded = [ENCODE(mark) for mark in marks]
    if not all(line.count(mark) == 1 for mark in encoded):
        return None
    spots = sorted((line.index(mark), len(mark), k) for k, mark in enumerate(encoded))
    parts, pos = [], 0
    for at, size, _ in spots:
        parts.append(line[pos:at])
        pos = at + size
    parts.append(line[pos:])
    return parts, [values[k] for _, _, k in spots]


def _interleaved(empty: AnyStr, parts: list[AnyStr], values: list[AnyStr]) -> AnyStr:
    """``parts[0] + values[0] + parts[1] + … + parts[-1]`` (one more part than values), by one ``join``."""
    pieces = [empty] * (2 * len(parts) - 1)
    pieces[0::2] = parts
    pieces[1::2] = values
    return empty.join(pieces)


def _texts(obj: Any) -> list[tuple[dict[str, Any], str]] | None:
    """The places of ``obj``'s long texts (``json_text``'s to write): each string value of it, or of a dict in it
    (a Label Studio task's data), of ``_TEXT_AT_LEAST`` characters or more; None when one is over
    ``SPLICED_AT_MOST``: the one say on whether a line is too long to splice."""
    found: list[tuple[dict[str, Any], str]] = []
    for place in (obj, *(v for v in obj.values() if type(v) is dict)) if type(obj) is dict else ():
        for key, value in place.items():
            if type(value) is str and len(value) >= _TEXT_AT_LEAST:
                if len(value) > SPLICED_AT_MOST:
                    return None
                found.append((place, key))
    return found


def utf8_buffer(out: TextIO) -> Any:
    """The byte stream under ``out`` when writing there the line's UTF-8 is what ``out.write`` would do (a
    text file of UTF-8 that makes nothing else of a line end: the export's own files and standard
    output), flushed first; else None (write text)."""
    if type(out) is not io.TextIOWrapper or codecs.lookup(out.encoding).name != "utf-8" or os.linesep != "\n":
        return None
    out.flush()
    return out.buffer
