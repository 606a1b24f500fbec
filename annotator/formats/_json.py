"""The writers' one JSON encoder: what ``json.dumps(obj, ensure_ascii=False)`` writes, made once.

``json.dumps`` with any option builds a new encoder for every call (a few µs a record); the
formats that write JSON lines (native, doccano, Label Studio, Prodigy) share this one instead,
and ``json_str`` is what it writes for a string, for writers that assemble JSON from pieces.
No circular check: every value written comes from JSON or from our model, neither of which can
hold a cycle (a deeply nested value still fails, with ``RecursionError``, which the writers catch).

``Raw`` and ``encode_spliced`` let a writer give a list it has already written as JSON (a format string
per span is several times cheaper than a dict per span that the encoder then walks) inside an object
encoded as a whole: the one rule for putting such pieces in their place.
"""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Iterable
from typing import Any, TextIO

ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # json.dumps(…, ensure_ascii=False)
json_str = json.encoder.encode_basestring  # what ENCODE writes for a string (its C encoder)
SPLICED_AT_MOST = 1 << 20  # characters of a text whose object is spliced (``encode_spliced``); longer: whole


class Raw:
    """A list already written as JSON: ``"[" + ", ".join(items) + "]"``, what ``ENCODE`` writes for the list
    of the values ``items`` are the JSON of."""

    __slots__ = ("json",)

    def __init__(self, items: Iterable[str]) -> None:
        self.json = "[" + ", ".join(items) + "]"


def encode_spliced(obj: Any, places: list[tuple[dict[str, Any], str]], whole: bool = False) -> str:
    """``ENCODE(obj)`` where each ``place[key]`` (a dict inside ``obj``, and a key of it) holds a ``Raw``:
    ``obj`` is encoded with a mark in each place, and each mark's JSON replaced by the ``Raw``'s. A mark
    found other than once (a value holding it) makes the ``Raw`` values objects again, encoded whole (JSON
    read back and written again is the same text); so does ``whole`` (the caller's say: a text so long
    that it must be encoded once, never held twice), before anything is encoded. The places are left
    holding their ``Raw`` values."""
    if not places:
        return ENCODE(obj)
    raws: list[Raw] = [place[key] for place, key in places]
    if not whole:
        marks = [f"\x00raw {k}\x00" for k in range(len(places))]
        for (place, key), mark in zip(places, marks, strict=True):
            place[key] = mark
        try:
            line = ENCODE(obj)
        finally:
            for (place, key), raw in zip(places, raws, strict=True):
                place[key] = raw
        encoded = [ENCODE(mark) for mark in marks]
        if all(line.count(mark) == 1 for mark in encoded):
            spots = sorted((line.index(mark), len(mark), raw.json) for mark, raw in zip(encoded, raws, strict=True))
            pieces, pos = [], 0
            for at, size, raw_json in spots:
                pieces += [line[pos:at], raw_json]
                pos = at + size
            pieces.append(line[pos:])
            return "".join(pieces)
    for place, key in places:
        place[key] = json.loads(place[key].json)
    try:
        return ENCODE(obj)
    finally:
        for (place, key), raw in zip(places, raws, strict=True):
            place[key] = raw


def utf8_buffer(out: TextIO) -> Any:
    """The byte stream under ``out`` when writing there the line's UTF-8 is what ``out.write`` would do (a
    text file of UTF-8 that makes nothing else of a line end: the export's own files and standard
    output), flushed first; else None (write text)."""
    if type(out) is not io.TextIOWrapper or codecs.lookup(out.encoding).name != "utf-8" or os.linesep != "\n":
        return None
    out.flush()
    return out.buffer
