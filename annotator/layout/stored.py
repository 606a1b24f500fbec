"""A document's text read from its store piece by piece (``StoredText``), and ``Text``: what the
document's analysis and layout take, a ``str`` or a ``StoredText``.

Opening a 100 MB document must not wait for its whole text: the first screen needs a few
thousand characters around the cursor. A ``StoredText`` knows its length and reads the
pieces it is asked for from the store (``Store.text_range``), keeping a bounded number of
them; a scan through it all (counting invisible characters) reads it a piece at a time
(``pieces``), and the whole text is read only when something needs it as one ``str`` (``whole``:
a recommender), a piece at a time too, and then kept. Every slice is exactly the stored text's.
Code that needs a ``str`` (a regular expression over the text) takes a slice, or ``whole_text``;
``search_forward`` and ``search_backward`` search a long stretch a piece at a time (the one owner of
``SEARCH_PIECE`` and of how pieces overlap, either way).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol, SupportsIndex, overload

import regex

from annotator.layout.bounded import Bounded

__all__ = ["CHUNK", "StoredText", "Text", "search_backward", "search_forward", "stored_text", "whole_text"]

CHUNK = 65_536  # code points read from the store at a time
CHUNKS_KEPT = 32  # pieces kept (about 4 MB of text)
WHOLE_AFTER = 64  # pieces read by ranges: a text walked that far (a search through it all) is read whole
SEARCH_PIECE = 16_384  # code points searched at a time (``search_forward``, ``search_backward``)
STREAM_CHUNKS = 4  # pieces read at a time by ``pieces`` when no ``stream`` is given


class StoredText:
    """A text of ``length`` code points whose pieces come from ``read(start, end)`` (exactly
    ``text[start:end]``), all of them in order from ``stream()`` (default: ``read`` a few pieces at a
    time), and whose whole, when asked for, from ``load`` (default: joined from ``stream``).
    Slices and single characters as a ``str``'s; safe to share between threads."""

    def __init__(self, length: int, read: Callable[[int, int], str], load: Callable[[], str] | None = None,
                 *, chunk: int = CHUNK, kept: int = CHUNKS_KEPT, stream: Callable[[], Iterator[str]] | None = None
                 ) -> None:
        if chunk < 1 or kept < 1:
            raise ValueError("chunk and kept must be positive")
        self._length = length
        self._read = read
        self._stream = stream or self._ranges
        self._load = load or (lambda: "".join(self.pieces()))
        self._chunk = chunk
        self._pieces: Bounded[int, str] = Bounded(kept)
        self._whole: str | None = None
        self._lock = threading.RLock()  # the pieces
        self._loading = threading.Lock()  # one whole read at a time
        self.stats: Counter[str] = Counter()  # code points "read" by ranges and "streamed"; "whole" reads

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __repr__(self) -> str:  # never the text (a worker's description, a traceback)
        return f"<StoredText of {self._length} code points{', read whole' if self._whole is not None else ''}>"

    @property
    def loaded(self) -> bool:
        """Whether the whole text has been read (slices then come from it)."""
        return self._whole is not None

    def whole(self) -> str:
        """The whole text, read once and then kept. Slices are not held up meanwhile: the read
        (a worker's, a second or so at 100 MB) holds its own lock, not the pieces'."""
        with self._loading:
            if self._whole is None:
                whole = self._load()
                if len(whole) != self._length:
                    raise ValueError(f"the stored text has {len(whole)} code points, not {self._length}")
                with self._lock:
                    self._whole = whole
                    self._pieces.clear()
                    self.stats["whole"] += 1
            return self._whole

    def pieces(self) -> Iterator[str]:
        """The text from start to end, a piece at a time as the store gives them (``stream``), none kept:
        a scan through it all holds one piece, and the thread gives up the GIL between pieces, so no
        step of it holds up the UI thread for long (decoding 100 MB at once holds it a quarter of a
        second or more). The whole, if it has been read."""
        whole = self._whole
        if whole is not None:
            yield whole
            return
        got = 0
        for piece in self._stream():
            got += len(piece)
            if got > self._length:
                break
            self.stats["streamed"] += len(piece)
            yield piece
            time.sleep(0)
        if got != self._length:
            raise ValueError(f"the stored text has {got}{'+' if got > self._length else ''} code points, "
                             f"not {self._length}")

    def _ranges(self) -> Iterator[str]:
        step = self._chunk * STREAM_CHUNKS
        for start in range(0, self._length, step):
            yield self._read(start, min(start + step, self._length))

    @overload
    def __getitem__(self, key: SupportsIndex) -> str: ...
    @overload
    def __getitem__(self, key: slice) -> str: ...

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        whole = self._whole
        if whole is not None:
            return whole[key]
        if isinstance(key, slice):
            start, stop, stride = key.indices(self._length)
            if stride != 1:
                return self[start:stop][::stride] if stride > 0 else self.whole()[key]
            return self._range(start, stop) if stop > start else ""
        i = key.__index__()
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError("StoredText index out of range")
        return self._range(i, i + 1)

    def _range(self, start: int, stop: int) -> str:
        size = self._chunk
        first, last = start // size, (stop - 1) // size
        if last - first >= self._pieces.limit // 2:  # a long stretch: read as it is, not through the kept pieces
            with self._lock:
                self.stats["read"] += stop - start
                return self._read(start, stop)
        parts = [self._piece(k) for k in range(first, last + 1)]
        base = first * size
        if len(parts) == 1:
            return parts[0][start - base:stop - base]
        return "".join(parts)[start - base:stop - base]

    def _piece(self, k: int) -> str:
        with self._lock:
            if self._whole is not None:
                return self._whole[k * self._chunk:(k + 1) * self._chunk]
            piece = self._pieces.find(k)
            if piece is not None:
                return piece
            if self.stats["read"] < WHOLE_AFTER * self._chunk:
                start = k * self._chunk
                end = min(start + self._chunk, self._length)
                piece = self._read(start, end)
                if len(piece) != end - start:
                    raise ValueError(f"the store gave {len(piece)} code points for [{start}, {end})")
                self.stats["read"] += end - start
                return self._pieces.put(k, piece)
        # walked far (``label all``, a long search): one read of it all costs less than the pieces (outside
        # the pieces' lock: ``whole`` has its own)
        return self.whole()[k * self._chunk:(k + 1) * self._chunk]


Text = str | StoredText


if TYPE_CHECKING:  # for the type checker alone: start-up imports this module, and needs no class of it
    class RangeReads(Protocol):
        """What ``stored_text`` asks of a store (``store.base.Store`` has both)."""

        def text_length(self, doc_id: str) -> int | None: ...

        def text_range(self, doc_id: str, start: int, end: int) -> str: ...


def stored_text(store: RangeReads, doc_id: str, *, read: Callable[[int, int], str] | None = None,
                stream: Callable[[], Iterator[str]] | None = None) -> StoredText | None:
    """``doc_id``'s text read from ``store`` by ranges (``read``, default ``store.text_range``; ``stream`` as
    ``StoredText`` takes it) when the store reads it so (a big text: ``text_length`` is not None), else None:
    the caller reads it whole. The one rule of which texts are read by ranges, for the session that shows
    them and the recommenders that learn from them."""
    length = store.text_length(doc_id)
    if length is None:
        return None
    return StoredText(length, read or partial(store.text_range, doc_id), stream=stream)


def whole_text(text: Text) -> str:
    """``text`` as one ``str`` (a ``StoredText`` is read whole, once)."""
    return text if isinstance(text, str) else text.whole()


def search_forward(pattern: regex.Pattern[str], text: Text, start: int, stop: int,
                   overlap: int = 2) -> tuple[int, int, str] | None:
    """The first match of ``pattern`` in ``text[start:stop]`` as (start, end, matched text), absolute,
    searched a piece at a time. Each piece starts ``overlap`` characters before the previous one's end,
    so a match that needs a character past a piece's end (a lookahead) is found in the next one; one
    that a shorter alternative matches cut at the end (the ``\r`` of ``\r\n``) comes back cut, as it
    would at ``stop``: ``windows.next_paragraph_break`` makes a separator whole. A ``str`` is searched
    in one call (``pos``/``endpos``: no slice copied); its match is never cut."""
    q = max(start, 0)
    stop = min(stop, len(text))
    if isinstance(text, str):
        m = pattern.search(text, q, stop) if q < stop else None
        return None if m is None else (m.start(), m.end(), m.group())
    while q < stop:
        hi = min(q + SEARCH_PIECE, stop)
        m = pattern.search(text[q:hi])
        if m is not None:
            return q + m.start(), q + m.end(), m.group()
        if hi >= stop:
            return None
        q = hi - overlap
    return None


def search_backward(pattern: regex.Pattern[str], text: StoredText, start: int,
                    stop: int) -> tuple[int, int, str] | None:
    """What a reverse search (``pattern`` is ``(?r)``) of ``text[start:stop]`` finds, as (start, end, matched
    text), absolute, searched a piece at a time back from ``stop``: each piece ends one character into the
    one searched before it, so a match across their edge is found (``windows.last_paragraph_break`` makes
    a ``\r\n`` cut there whole). A ``StoredText`` only: a ``str`` has its own faster way back
    (``last_paragraph_break``'s ``str.rfind``), so this is ``search_forward``'s stored half, backwards."""
    start, q = max(start, 0), min(stop, len(text))
    while start < q:
        lo = max(start, q - SEARCH_PIECE)
        m = pattern.search(text[lo:q])
        if m is not None:
            return lo + m.start(), lo + m.end(), m.group()
        if lo == start:
            return None
        q = lo + 1
    return None
