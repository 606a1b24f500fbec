"""What the SQL stores share: column encodings and the reads, written once so they mean the same everywhere.

SQLite (``annotator.store.sqlite``) and PostgreSQL (``annotator.store.postgres``)
lay out the same tables, so reading documents, annotations, the operation log
and positions is the same SQL. A store mixes in ``SQLReads`` and provides
``_read(sql, params)`` taking ``?`` placeholders; writes stay in each store,
because locking and conflict handling are where the two databases differ.

Long because it is every read the two SQL stores share (documents, big texts by ranges, the
document list, counts, annotations, the log, positions, assignments, accounts), written once.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation, operation_from_json
from annotator.store.base import Account, DocumentRow, ListQuery, LogEntry, Position, Store

BATCH = 200  # rows per query when streaming, so memory stays flat for large stores
BACKFILL_BATCH = 2000  # rows per transaction when a migration fills a new column of an existing store
HEAD_BYTES = 600  # of each text, for the document list's first line: never the whole text
COUNT_CAP = 1000  # the document list counts matches up to here ("1000+"): counting all would scan
RARE_STATUS = 20_000  # fewer documents than this with a status: list them from the status index
# A text of at least WINDOWED_BYTES (UTF-8) is stored with its marks (``text_marks``, migration 6): the byte
# offset of every MARK_STEP-th code point, so ``text_range`` reads a piece without reading the text before it.
WINDOWED_BYTES = 2_000_000
MARK_STEP = 65_536
STREAM_MARKS = 4  # marks per piece of ``text_pieces``: 262,144 code points, a millisecond or two to decode
INLINE_HEAD = 65_536  # bytes: a longer text's list head is read as a range (SQLite's substr reads a value whole)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_text(text: str) -> bytes:
    """Texts are stored as UTF-8 bytes with ``surrogatepass``: a lone surrogate or NUL comes back exactly."""
    return text.encode("utf-8", "surrogatepass")


def state_or_empty(state: str | None, doc_id: str, annotator: str) -> Annotations:
    """A stored state (JSON text), or the empty state of a document the annotator has not labelled yet."""
    if state is None:
        return Annotations(doc_id=doc_id, annotator=annotator)
    return Annotations.from_json(json.loads(state))


def stored_json(value: str) -> Any:
    """``json.loads(value)`` for a value the store wrote (a document's meta, a state), read by the million on
    export: ``{}`` (most metas) answered at once, else the decoder's C scanner straight away (no look for
    white space around it, which the store never writes); anything else, and every error, is ``json.loads``'s."""
    if value == "{}":
        return {}
    if type(value) is str:
        try:
            found, end = _SCAN(value, 0)
        except (ValueError, StopIteration):
            found, end = None, -1
        if end == len(value):
            return found
    return json.loads(value)


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads runs


def decode_text(blob: bytes) -> str:
    """A stored text back, decoded whole: decoding a long one in pieces lowered Python's peak but raised
    the process's (the pieces fragment the heap; measured 69 → 81 MB exporting a 10 MB text)."""
    return bytes(blob).decode("utf-8", "surrogatepass")


# -- the marks blob (``text_marks.marks``): its one owner. ``text_marks`` and ``EncodedText`` write it
# (``_pack_marks``), ``read_marks`` decodes it whole for reading ranges, ``marks_end`` reads its last value.

def text_marks(text: str, step: int = MARK_STEP) -> bytes:
    """The ``marks`` of a windowed text: the byte offsets (as ``encode_text`` writes it) of code points
    0, step, 2·step… and of its end, as little-endian 64-bit integers. UTF-8 encodes each code point
    on its own (lone surrogates too, with ``surrogatepass``), so a piece's bytes are its own encoding."""
    return _pack_marks(_piece_ends(encoded_pieces(text, step)))


def _piece_ends(pieces: Iterable[bytes]) -> array:
    """0, then where each piece ends in the pieces joined: the marks' values (``text_marks``, ``EncodedText``)."""
    offsets = array("q", [0])
    total = 0
    for piece in pieces:
        total += len(piece)
        offsets.append(total)
    return offsets


def _windowed(doc_id: str, chars: int, marks: bytes | None) -> tuple[str, int, int, bytes] | None:
    """The ``text_marks`` row of a text of ``chars`` code points with ``marks``: only one of at least
    WINDOWED_BYTES bytes is windowed (``marks_row``, ``EncodedText.marks_row``)."""
    return (doc_id, chars, MARK_STEP, marks) if marks is not None and marks_end(marks) >= WINDOWED_BYTES else None


def _pack_marks(offsets: array) -> bytes:
    if sys.byteorder == "big":
        offsets.byteswap()
    return offsets.tobytes()


def read_marks(blob: bytes) -> array:
    """The whole blob decoded: every mark, for reading a range of the text."""
    offsets = array("q")
    offsets.frombytes(bytes(blob))
    if sys.byteorder == "big":
        offsets.byteswap()
    return offsets


def nothing_to_keep() -> None:
    """What a marks read keeps beside the marks when it read nothing more (``SQLReads._read_marks``)."""


def marks_end(blob: bytes) -> int:
    """The blob's last mark, the text's length in UTF-8 bytes, from its last eight bytes alone (a 100 MB
    text has 1,600 marks: no need to decode them all for one)."""
    return int.from_bytes(memoryview(blob)[-8:], "little", signed=True)


def encoded_pieces(text: str, step: int = MARK_STEP) -> Iterator[bytes]:
    """``encode_text(text)`` a piece of ``step`` code points at a time: a long text is never encoded whole
    (its bytes are the pieces' bytes joined, as ``text_marks`` relies on)."""
    for i in range(0, len(text), step):
        yield encode_text(text[i:i + step])


def marks_row(doc_id: str, text: str) -> tuple[str, int, int, bytes] | None:
    """The ``text_marks`` row (doc_id, chars, step, marks) a text gets: None for one under WINDOWED_BYTES."""
    return None if len(text) * 4 < WINDOWED_BYTES else _windowed(doc_id, len(text), text_marks(text, MARK_STEP))


class EncodedText:
    """A text as the stores write it, from one pass that encodes each piece once (``encoded_pieces``, MARK_STEP
    code points): its UTF-8 pieces, their SHA-256 (``Document.hash``: the same digest, as the bytes are the same)
    and, for a windowed text, its ``marks``. Both stores take the hash (a duplicate is found by it) and the size
    (SQLite's ``zeroblob``, PostgreSQL's binary COPY field length) before the first byte is written, so the pieces
    are kept from the pass until ``written`` hands each to the writer and lets it go. Adding a long text encoded
    it three times before (its hash, its marks, its bytes)."""

    __slots__ = ("pieces", "hash", "marks", "size", "_text", "_taken")

    def __init__(self, text: str) -> None:
        import hashlib  # here, as in ``text_hash``: start-up hashes nothing

        self._text, self._taken = text, False
        digest = hashlib.sha256()
        if len(text) * 4 < WINDOWED_BYTES:  # under WINDOWED_BYTES whatever it holds: one piece, no marks
            self.pieces = [encode_text(text)]
            digest.update(self.pieces[0])
            self.size, self.marks = len(self.pieces[0]), None
        else:
            self.pieces = list(encoded_pieces(text, MARK_STEP))
            for piece in self.pieces:
                digest.update(piece)
            offsets = _piece_ends(self.pieces)
            self.size = offsets[-1]
            self.marks = _pack_marks(offsets) if self.size >= WINDOWED_BYTES else None
        self.hash = digest.hexdigest()

    def marks_row(self, doc_id: str) -> tuple[str, int, int, bytes] | None:
        """``marks_row(doc_id, text)`` from the marks already made."""
        return _windowed(doc_id, len(self._text), self.marks)

    def data(self) -> bytes:
        """The bytes whole: only for a text under WINDOWED_BYTES (a longer one is written a piece at a time)."""
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)

    def written(self) -> Iterator[bytes]:
        """The pieces in order for a writer, each let go as the next is asked for: once written, the
        text's bytes are no longer held (the search copy and the token table come after). Asked again (a
        transaction the server aborted, run again), they are encoded anew: the first ones were let go."""
        if self._taken:
            yield from encoded_pieces(self._text, MARK_STEP)
            return
        self._taken = True
        self.pieces.reverse()
        while self.pieces:
            yield self.pieces.pop()


def tokens_row(doc_id: str, text: str) -> tuple[str, str, bytes] | None:
    """The ``token_bounds`` row (doc_id, tokenizer version, packed table) a new document gets (SQLite's
    migration 7, PostgreSQL's 8): exports read it instead of tokenizing the text; None for a text too long
    to keep one."""
    from annotator.text.bounds import pack, tokenizer_version

    packed = pack(text)
    return (doc_id, tokenizer_version(), packed) if packed is not None else None


def dumps_ascii(obj: Any) -> str:
    """JSON for TEXT columns: ASCII-only, so lone surrogates and NUL travel as ``\\u`` escapes."""
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def undo_redo_stacks(entries: Iterable[tuple[int, str, int | None]]) -> tuple[list[int], list[int]]:
    """Replay a log's (seq, action, ref) entries, in seq order, into the undo and redo stacks of "do" seqs."""
    undo: list[int] = []
    redo: list[int] = []
    for seq, action, ref in entries:
        if action == "do":
            undo.append(seq)
            redo.clear()
        elif action == "undo" and undo and undo[-1] == ref:
            redo.append(undo.pop())
        elif action == "redo" and redo and redo[-1] == ref:
            undo.append(redo.pop())
    return undo, redo


# Assignments (see docs/assignment.md). ``{now}`` is the store's clock as an SQL expression giving
# ``now_iso``'s format, so times compare as text. A row is live while it was dealt (no expiry), its
# lease runs, or its annotator has logged an operation on the document since taking it.
LIVE_ASSIGNMENT = ("(s.expires_at IS NULL OR s.expires_at > {now} OR EXISTS (SELECT 1 FROM oplog o "
                   "WHERE o.doc_id=s.doc_id AND o.annotator=s.annotator AND o.seq > s.taken_seq))")
DELETE_LAPSED = "DELETE FROM assignments AS s WHERE NOT " + LIVE_ASSIGNMENT
# An annotator's (``?``) queue: their live assignments, in the order given, each deal in document order.
ASSIGNED = ("SELECT s.doc_id FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE s.annotator=? AND "
            + LIVE_ASSIGNMENT + " ORDER BY s.assigned_at, d.seq")
# Who works on or is done with a document: its assignments, and whoever has labelled it (status past todo).
WORKERS = ("(SELECT COUNT(*) FROM (SELECT w.annotator FROM assignments w WHERE w.doc_id=d.id UNION "
           "SELECT a.annotator FROM annotations a WHERE a.doc_id=d.id AND a.status<>'todo') AS workers)")
# A document ``?`` (the annotator) may take: not theirs yet, fewer than ``?`` (the overlap) workers.
TAKEABLE = ("SELECT d.id FROM documents d WHERE " + WORKERS + " < ? AND NOT EXISTS (SELECT 1 FROM assignments m "
            "WHERE m.doc_id=d.id AND m.annotator=?) AND NOT EXISTS (SELECT 1 FROM annotations a "
            "WHERE a.doc_id=d.id AND a.annotator=? AND a.status<>'todo')")
UNFINISHED = ("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.doc_id=s.doc_id AND a.annotator=s.annotator "
              "AND a.status='done')")


def search_copy(doc_id: str, text: str) -> str:
    """What the document list searches: the id and the text under Arabic search normalization
    (``annotator.text.matching``, the one rule), stored with the document and indexed."""
    from annotator.text.search_fold import fold  # normalize_for_search as a table: no camel-tools to load

    return _UNSTORABLE.sub(" ", fold(doc_id + "\n" + text))


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # no TEXT column holds them; the stored text keeps them
# A long text's search copy is kept as parts of SEARCH_PART characters (``search_parts``, SQLite migration 8), each
# starting with the last SEARCH_OVERLAP characters of the one before: a needle of up to SEARCH_OVERLAP + 1
# characters is wholly inside some part, so it is found wherever it is; a longer one across a cut is not.
SEARCH_PART = 1 << 18
SEARCH_OVERLAP = 1023
SEARCH_STEP = 1 << 16  # code points folded at a time


def search_pieces(doc_id: str, text: str, step: int = SEARCH_STEP) -> Iterator[str]:
    """``search_copy(doc_id, text)`` a piece at a time, joined it is the same string: the fold is per
    character but for a run of spaces made one, so a piece's leading space is dropped after a space."""
    from annotator.text.search_fold import fold

    after_space = False
    for i in range(0, max(len(text), 1), step):
        piece = fold((doc_id + "\n" if i == 0 else "") + text[i:i + step])
        if after_space and piece.startswith(" "):
            piece = piece[1:]
        if piece:
            after_space = piece.endswith(" ")
            yield _UNSTORABLE.sub(" ", piece)


def search_parts(doc_id: str, text: str, size: int = SEARCH_PART, overlap: int = SEARCH_OVERLAP) -> Iterator[str]:
    """A long text's search copy as parts of ``size`` characters, each after the first starting with the
    last ``overlap`` characters of the one before (see SEARCH_PART)."""
    held: list[str] = []
    count, cut = 0, False
    for piece in search_pieces(doc_id, text):
        held.append(piece)
        count += len(piece)
        if count >= size:
            joined = "".join(held)
            while len(joined) >= size:
                yield joined[:size]
                joined, cut = joined[size - overlap:], True
            held, count = [joined], len(joined)
    if not cut or count > overlap:  # the rest, unless the part before already held all of it
        yield "".join(held)


def tally(state: Annotations) -> list[tuple[str, str, int]]:
    """What one annotation row adds to the ``tallies`` table: its status, entities by label, claims."""
    labels: dict[str, int] = {}
    for e in state.entities:
        labels[e.label] = labels.get(e.label, 0) + 1
    out = [("status", state.status, 1)] + [("label", k, n) for k, n in sorted(labels.items())]
    return out + ([("claims", "", len(state.claims))] if state.claims else [])


def counted(state: Annotations) -> str:
    """The ``counted`` column of an annotation row: its ``tally``. The database's triggers (migration 5)
    move ``tallies`` by the difference whenever a row is written, renamed or removed, by any writer,
    in the same transaction: the counts cannot drift from the rows."""
    return dumps_ascii(tally(state))


def like_pattern(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def decode_head(blob: bytes) -> str:
    """The start of a text cut at HEAD_BYTES: a character cut in two at the end is left out."""
    data = bytes(blob)
    for cut in range(4):
        try:
            return data[:len(data) - cut].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _needle(query: str) -> str:
    """The document list's query as its search copy is written (``search_copy``)."""
    if not query.strip():
        return ""
    from annotator.text.search_fold import fold  # loaded for a query only (not for the first screen's pages)

    return fold(query.strip()).strip(" ")


MARKS_KEPT = 64  # texts whose marks (or the fact that they have none) a store keeps


class MarksKept:
    """What ``SQLReads._marks`` keeps by document id: a text's marks, or None for a text read whole; the least
    recently used entry let go one at a time past ``limit``. It has a lock of its own: SQLite reads marks
    outside the store's lock (reads run in parallel), so two threads may find and put at once. Not
    ``layout.Bounded``: that one is not thread-safe, and None there means "not kept"."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data: OrderedDict[str, tuple[int, int, int, array, bool] | None] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, doc_id: str) -> tuple[bool, tuple[int, int, int, array, bool] | None]:
        """(whether anything is kept for ``doc_id``, what is kept), now the most recently used."""
        with self._lock:
            if doc_id not in self._data:
                return False, None
            self._data.move_to_end(doc_id)
            return True, self._data[doc_id]

    def put(self, doc_id: str, found: tuple[int, int, int, array, bool] | None) -> None:
        with self._lock:
            self._data[doc_id] = found
            self._data.move_to_end(doc_id)
            while len(self._data) > self.limit:
                self._data.popitem(last=False)

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            return doc_id in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class SQLReads(Store):
    """The read half of the Store protocol over the shared tables; needs ``self._read(sql, params)``."""

    def _read(self, sql: str, params: tuple = ()) -> list[Any]:  # pragma: no cover - provided by the store
        raise NotImplementedError

    # -- documents ---------------------------------------------------------------------

    # The stored text as an SQL expression over ``documents d`` (SQLite keeps a long text beside the row)
    _TEXT = "d.text"

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._read(f"SELECT d.id, {self._TEXT}, d.meta FROM documents d WHERE d.id=?", (doc_id,))
        if not rows:
            return None
        r = rows[0]
        return Document(r[0], decode_text(r[1]), json.loads(r[2]))

    def document_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT id FROM documents ORDER BY seq")]

    # -- a big text by ranges (``text_marks``) -------------------------------------------

    _no_marks = False  # a read-only store made before migration 6: every text is read whole
    # whether a text is kept apart from its row, as an SQL expression over ``documents d`` (SQLite's ``long_texts``)
    _APART = "0"

    def _text_bytes(self, seq: int, offset: int, size: int, apart: bool | None = None) -> bytes:
        """``size`` bytes of document ``seq``'s stored text from byte ``offset`` (store-specific where
        the database has a cheaper way than ``substr``, which SQLite runs on the whole value). ``apart``:
        whether the text is kept apart from its row, when the caller knows (None: look)."""
        rows = self._read("SELECT substr(text, CAST(? AS INTEGER), CAST(? AS INTEGER)) FROM documents WHERE seq=?",
                          (offset + 1, size, seq))
        return bytes(rows[0][0]) if rows else b""

    def _quiet(self) -> object | None:
        """A token equal before and after a read that saw only committed rows, None while a write is open:
        what the marks' cache keeps must not come from a write that is later undone (a rolled-back insert's
        ``seq`` is given again to the next document). PostgreSQL's reads wait for its writes (one lock)."""
        return None if self._in_transaction else 0

    def _marks(self, doc_id: str) -> tuple[int, int, int, array, bool] | None:
        """(seq, length in code points, step, byte offsets, kept apart) of a windowed text, kept per store (a
        committed text never changes), found in one query; None for a text read whole. Kept only when read
        with no write open or made meanwhile (``_quiet``); a read during one asks again next time."""
        cache = self._marks_kept()
        hit, found = cache.find(doc_id)
        if hit:
            return found
        quiet = self._quiet()
        found, keep = self._read_marks(doc_id)
        if quiet is not None and quiet == self._quiet():
            cache.put(doc_id, found)
            keep()
        return found

    def _marks_kept(self) -> MarksKept:
        """What ``_marks`` keeps: made at first use (each store has its own ``__init__``), by one atomic
        ``setdefault`` (two threads reading their first marks at once keep one cache)."""
        kept = self.__dict__.get("_marks_cache")
        return kept if kept is not None else self.__dict__.setdefault("_marks_cache", MarksKept(MARKS_KEPT))

    def _marks_known(self, doc_id: str) -> bool:
        """Whether ``_marks`` answers for ``doc_id`` without a read (a store reading ahead need not)."""
        return doc_id in self._marks_kept()

    def _read_marks(self, doc_id: str) -> tuple[tuple[int, int, int, array, bool] | None, Callable[[], None]]:
        """``_marks``'s query, uncached, and what to keep beside it if the read saw only committed rows (a
        store that reads more in the same round trip keeps it there)."""
        rows = [] if self._no_marks else self._read(
            f"SELECT d.seq, m.chars, m.step, m.marks, {self._APART} FROM text_marks m JOIN documents d "
            "ON d.id=m.doc_id WHERE m.doc_id=?", (doc_id,))
        found = (rows[0][0], rows[0][1], rows[0][2], read_marks(rows[0][3]), bool(rows[0][4])) if rows else None
        return found, nothing_to_keep

    def _write_rows(self, sql: str, rows: list[tuple]) -> None:  # pragma: no cover - provided by the store
        """``sql`` (``?`` placeholders) once per row, in one write transaction of the store."""
        raise NotImplementedError

    def _fill_marks(self) -> None:
        """Migration 6 on a store made before it: marks for each big text, one text at a time (memory
        holds one). Run once, by the process that migrated; a text left without (an interrupted fill)
        is read whole."""
        for (doc_id,) in self._read("SELECT id FROM documents WHERE length(text) >= ? AND id NOT IN "
                                    "(SELECT doc_id FROM text_marks) ORDER BY seq", (WINDOWED_BYTES,)):
            doc = self.get_document(doc_id)
            marks = marks_row(doc_id, doc.text) if doc is not None else None
            if marks is not None:
                self._write_rows("INSERT INTO text_marks(doc_id, chars, step, marks) VALUES (?,?,?,?) "
                                 "ON CONFLICT DO NOTHING", [marks])

    def text_length(self, doc_id: str) -> int | None:
        found = self._marks(doc_id)
        return found[1] if found is not None else None

    def text_range(self, doc_id: str, start: int, end: int) -> str:
        found = self._marks(doc_id)
        if found is None:  # a small text: read whole
            return Store.text_range(self, doc_id, start, end)
        seq, chars, step, marks, apart = found
        start, end = min(max(start, 0), chars), min(max(end, 0), chars)
        if end <= start:
            return ""
        first, last = start // step, min(-(-end // step), len(marks) - 1)
        piece = decode_text(self._text_bytes(seq, marks[first], marks[last] - marks[first], apart))
        return piece[start - first * step:end - first * step]

    def text_pieces(self, doc_id: str) -> Iterator[str]:
        """The text a piece of ``STREAM_MARKS`` marks at a time, each decoded alone: at 100 MB, decoding the
        whole value at once holds the GIL for a quarter of a second or more (the UI thread's wait)."""
        found = self._marks(doc_id)
        if found is None:
            yield from Store.text_pieces(self, doc_id)
            return
        seq, _, _, marks, apart = found
        cuts = [marks[k] for k in range(0, len(marks) - 1, STREAM_MARKS)] + [marks[-1]]
        for data in self._byte_pieces(seq, cuts, apart):
            yield decode_text(data)

    def _byte_pieces(self, seq: int, cuts: list[int], apart: bool) -> Iterator[bytes]:
        """The stored bytes between each two successive ``cuts`` (byte offsets) of text ``seq``."""
        for a, b in zip(cuts, cuts[1:], strict=False):
            yield self._text_bytes(seq, a, b - a, apart)

    def _document_pages(self) -> Iterator[list[tuple[str, Document]]]:
        """Every document in store order, BATCH at a time by keyset on ``seq`` (flat memory at any size)."""
        last = 0
        while True:
            rows = self._read(
                f"SELECT d.seq, d.id, {self._TEXT}, d.meta FROM documents d WHERE d.seq>? ORDER BY d.seq "
                f"LIMIT {BATCH}", (last,))
            if not rows:
                return
            last = rows[-1][0]
            yield [(doc_id, Document(doc_id, decode_text(text), stored_json(meta))) for _, doc_id, text, meta in rows]

    def iter_documents(self) -> Iterator[Document]:
        for page in self._document_pages():
            for _, document in page:
                yield document

    def count_documents(self) -> int:
        return self._read("SELECT COUNT(*) FROM documents")[0][0]

    def document_number(self, doc_id: str) -> int | None:
        """Counted in the ``seq`` index: numbers stay dense where ``seq`` has gaps (PostgreSQL's sequence
        skips a value for every insert that did not happen)."""
        n = self._read("SELECT COUNT(*) FROM documents d WHERE d.seq <= (SELECT t.seq FROM documents t "
                       "WHERE t.id=?)", (doc_id,))[0][0]
        return n or None

    def document_at(self, number: int) -> str | None:
        if number < 1:
            return None
        rows = self._read("SELECT id FROM documents ORDER BY seq LIMIT 1 OFFSET ?", (int(number) - 1,))
        return rows[0][0] if rows else None

    def iter_annotated(self) -> Iterator[tuple[Document, list[Annotations]]]:
        """Every document, in order, with every annotator's state on it (by annotator name): two
        queries per page of BATCH documents, so an export streams at any size in flat memory."""
        for page in self._document_pages():
            states: dict[str, list[tuple[str, str]]] = {}
            for doc_id, who, state in self._read(
                    "SELECT doc_id, annotator, state FROM annotations WHERE doc_id IN ("
                    + ",".join("?" * len(page)) + ")", tuple(doc_id for doc_id, _ in page)):
                states.setdefault(doc_id, []).append((who, state))
            for doc_id, document in page:
                mine = sorted(states.get(doc_id, ()))
                yield document, [Annotations.from_json(stored_json(state)) for _, state in mine]

    _no_tokens = False  # a read-only store made before the token_bounds migration: no kept token tables

    def iter_token_bounds(self) -> Iterator[tuple[str, bytes]]:
        """The kept token tables of the current tokenizer in store order (``Store.iter_token_bounds``),
        BATCH at a time by keyset on ``seq``, through the ``(seq, id)`` index."""
        if self._no_tokens:
            return
        from annotator.text.bounds import tokenizer_version

        version, last = tokenizer_version(), 0
        while True:
            rows = self._read(
                "SELECT d.seq, d.id, t.bounds FROM documents d JOIN token_bounds t ON t.doc_id = d.id "
                f"WHERE d.seq > ? AND t.tokenizer = ? ORDER BY d.seq LIMIT {BATCH}", (last, version))
            if not rows:
                return
            last = rows[-1][0]
            for _, doc_id, blob in rows:
                yield doc_id, bytes(blob)

    # -- the document list: pages by keyset, filters in SQL ------------------------------

    _no_scale = False  # a read-only store made before migration 5: no search copy, no tallies
    _STATUS = "COALESCE(a.status, 'todo')"
    _HEAD = f"substr(d.text, 1, {HEAD_BYTES})"  # the list's head; NULL: read it with ``_text_bytes``

    def _search_source(self, needle: str) -> tuple[str, str, str, tuple] | None:
        """An indexed source of documents holding ``needle`` (store-specific): (FROM clause naming the
        document table ``d``, the column ordering it as ``d.seq``, the condition, its parameters); None:
        ``d.search LIKE`` (PostgreSQL's trigram index answers that)."""
        return None

    def _parts_source(self, needle: str) -> tuple[str, tuple]:
        """The seqs of long texts (``search_parts``) whose copy holds ``needle``: (SELECT, parameters);
        store-specific where an index answers it."""
        return "SELECT p.seq FROM search_parts p WHERE p.search LIKE ? ESCAPE '\\'", (like_pattern(needle),)

    _no_parts = False  # a read-only store made before migration 8: no long text is kept in parts

    def _long_matches(self, needle: str) -> list[int]:
        """The long texts holding ``needle``: few (each is megabytes), so listed apart and merged in."""
        if not needle or self._no_parts:
            return []
        sql, params = self._parts_source(needle)
        return sorted({r[0] for r in self._read(sql, params)})

    def list_query(self, query: str) -> ListQuery:
        """The needle and the long texts holding it, found once for every page and count of ``query``."""
        needle = _needle(query)
        return ListQuery(query, (needle, self._long_matches(needle)))

    def _prepared(self, query: str | ListQuery) -> tuple[str, list[int]]:
        """(needle, long texts holding it) of ``query``: prepared by ``list_query``, else found now."""
        if not isinstance(query, ListQuery) or query.found is None:
            query = self.list_query(query.text if isinstance(query, ListQuery) else query)
        found = query.found
        assert isinstance(found, tuple)
        return found

    def document_page(self, annotator: str, *, query: str | ListQuery = "", status: str | None = None, after: int = 0,
                      before: int | None = None, limit: int = 100, ids: list[str] | None = None) -> list[DocumentRow]:
        """Up to ``limit`` documents after number ``after`` (or the last ones before ``before``), in store
        order, whose search copy holds the normalized ``query`` and whose status (for ``annotator``) is
        ``status``; with ``ids``, only those.

        Never reads a whole text or every document: keyset paging on ``seq``, text through the
        search index, a rare status through the status index. Long texts found in their parts'
        index are a second page, merged in order."""
        bound = (before, True) if before is not None else (after, False)
        found = [self._read(sql + f" LIMIT {int(limit)}", params)
                 for sql, params in self._listings(annotator, self._prepared(query), status, bound, ids)]
        picked = sorted((r for rows in found for r in rows), key=lambda r: r[0], reverse=before is not None)
        rows = [DocumentRow(r[0], r[1], r[2], decode_head(r[3] if r[3] is not None
                                                           else self._text_bytes(r[0], 0, HEAD_BYTES)))
                for r in picked[:int(limit)]]
        return rows[::-1] if before is not None else rows

    def count_matching(self, annotator: str, *, query: str | ListQuery = "", status: str | None = None,
                       cap: int = COUNT_CAP, ids: list[str] | None = None) -> int:
        """How many documents ``document_page`` would list, counted up to ``cap`` (+1 means more)."""
        total = sum(self._read(f"SELECT COUNT(*) FROM ({sql} LIMIT {int(cap) + 1}) AS m", params)[0][0]
                    for sql, params in self._listings(annotator, self._prepared(query), status, (0, False), ids))
        return min(total, int(cap) + 1)

    def _listings(self, annotator: str, prepared: tuple[str, list[int]], status: str | None,
                  bound: tuple[int, bool], ids: list[str] | None) -> list[tuple[str, tuple]]:
        """The page's SQL and parameters, then the same over the long texts holding the needle (their own
        search copy is empty, so no document is in both)."""
        needle, seqs = prepared
        out = [self._listing(annotator, needle, status, bound, ids)]
        if seqs:
            out.append(self._listing(annotator, needle, status, bound, ids, seqs))
        return out

    def _listing(self, annotator: str, needle: str, status: str | None, bound: tuple[int, bool],
                 ids: list[str] | None, seqs: list[int] | None = None) -> tuple[str, tuple]:
        """The SQL (without LIMIT) and parameters of one page; ``bound``: (number, backwards); with
        ``seqs``, those documents stand for the ones holding ``needle``."""
        cols = f"SELECT d.seq, d.id, {self._STATUS}, {self._HEAD}"
        join = "LEFT JOIN annotations a ON a.doc_id=d.id AND a.annotator=?"
        source, key = "documents d", "d.seq"
        where: list[str] = []
        params: list[Any] = []
        if seqs is not None:
            where.append("d.seq IN (" + ",".join("?" * len(seqs)) + ")")
            params.extend(seqs)
        elif needle:
            # a few ids are found by their index and their copies read; the search index is for the whole store
            found = None if self._no_scale or ids is not None else self._search_source(needle)
            if found is not None:
                source, key, cond, extra = found
                where.append(cond)
                params.extend(extra)
            else:  # a store before migration 5 has no search copy: the id only
                where.append(("d.id" if self._no_scale else "d.search") + " LIKE ? ESCAPE '\\'")
                params.append(like_pattern(needle))
        start, backwards = bound
        cmp, order = ("<", " DESC") if backwards else (">", "")
        where.insert(0, f"{key} {cmp} ?")
        params.insert(0, start)
        if ids is not None:
            where.append("d.id IN (" + ",".join("?" * len(ids)) + ")" if ids else "0=1")
            params.extend(ids)
        if status is not None:
            if status != "todo" and not needle and ids is None and not self._no_scale \
                    and self._tally(annotator, "status", status) < RARE_STATUS:
                # few documents: from the status index, then in order (a scan would pass over most of the store)
                return (f"SELECT d.seq, d.id, a.status, {self._HEAD} FROM annotations a "
                        f"JOIN documents d ON d.id=a.doc_id WHERE a.annotator=? AND a.status=? AND d.seq {cmp} ? "
                        f"ORDER BY d.seq{order}", (annotator, status, start))
            where.append(f"{self._STATUS} = ?")
            params.append(status)
        sql = f"{cols} FROM {source} {join} WHERE " + " AND ".join(where) + f" ORDER BY {key}{order}"
        return sql, (annotator, *params)

    # -- counts kept as the annotations change (``tallies``) -------------------------------

    def status_counts(self, annotator: str) -> dict[str, int]:
        """Documents per status for ``annotator`` over the whole store (todo: every document not
        otherwise marked), from the kept tallies: no document or state is read."""
        total = self.count_documents()
        if self._no_scale:
            counts: dict[str, int] = {}
            for st in self.statuses(annotator).values():
                counts[st] = counts.get(st, 0) + 1
        else:
            counts = {name: n for name, n in self._read(
                "SELECT name, n FROM tallies WHERE annotator=? AND kind='status' AND n > 0", (annotator,))}
        counts.pop("todo", None)
        counts["todo"] = total - sum(counts.values())
        return counts

    def _tally(self, annotator: str, kind: str, name: str) -> int:
        rows = self._read("SELECT n FROM tallies WHERE annotator=? AND kind=? AND name=?", (annotator, kind, name))
        return rows[0][0] if rows else 0

    def label_counts(self, annotator: str) -> tuple[dict[str, int], int]:
        """``annotator``'s entities by label and number of claims, from the kept tallies."""
        if self._no_scale:
            labels: dict[str, int] = {}
            claims = 0
            for state in self.iter_annotations(annotator):
                for e in state.entities:
                    labels[e.label] = labels.get(e.label, 0) + 1
                claims += len(state.claims)
            return labels, claims
        labels, claims = {}, 0
        for kind, name, n in self._read(
                "SELECT kind, name, n FROM tallies WHERE annotator=? AND kind IN ('label', 'claims') AND n > 0",
                (annotator,)):
            if kind == "label":
                labels[name] = n
            else:
                claims = n
        return labels, claims

    # -- annotations and the operation log ---------------------------------------------

    def load(self, doc_id: str, annotator: str) -> Annotations:
        rows = self._read("SELECT state FROM annotations WHERE doc_id=? AND annotator=?", (doc_id, annotator))
        return state_or_empty(rows[0][0] if rows else None, doc_id, annotator)

    def statuses(self, annotator: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self._read(
            "SELECT doc_id, status FROM annotations WHERE annotator=?", (annotator,))}

    def _stacks(self, doc_id: str, annotator: str) -> tuple[list[int], list[int]]:
        return undo_redo_stacks(self._read(
            "SELECT seq, action, ref FROM oplog WHERE doc_id=? AND annotator=? ORDER BY seq", (doc_id, annotator)))

    def _entry_ops(self, seq: int) -> tuple[Operation, Operation | None]:
        op_json, inv_json = self._read("SELECT op, inverse FROM oplog WHERE seq=?", (seq,))[0]
        return (operation_from_json(json.loads(op_json)),
                operation_from_json(json.loads(inv_json)) if inv_json else None)

    def undo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        undo, _ = self._stacks(doc_id, annotator)
        if not undo:
            return None
        _, inverse = self._entry_ops(undo[-1])
        return (undo[-1], inverse) if inverse is not None else None

    def redo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        _, redo = self._stacks(doc_id, annotator)
        if not redo:
            return None
        op, _ = self._entry_ops(redo[-1])
        return redo[-1], op

    def history(self, doc_id: str, annotator: str) -> list[LogEntry]:
        return [
            LogEntry(seq, doc_id, annotator, action, operation_from_json(json.loads(op)), ref, at)
            for seq, action, op, ref, at in self._read(
                "SELECT seq, action, op, ref, at FROM oplog WHERE doc_id=? AND annotator=? ORDER BY seq",
                (doc_id, annotator))
        ]

    def count_log(self) -> int:
        return self._read("SELECT COUNT(*) FROM oplog")[0][0]

    # -- positions ---------------------------------------------------------------------

    def get_position(self, annotator: str) -> Position:
        rows = self._read("SELECT doc_id, cursor FROM positions WHERE annotator=?", (annotator,))
        return Position(rows[0][0], rows[0][1]) if rows else Position(None, 0)

    # -- assignments and settings --------------------------------------------------------

    _NOW = ""  # the store's clock as SQL (see LIVE_ASSIGNMENT); set by each store
    _no_assignments = False  # a read-only store made before the assignment tables: none, as before

    def assignments(self) -> dict[str, list[str]]:
        if self._no_assignments:
            return {}
        out: dict[str, list[str]] = {}
        for doc_id, annotator in self._read(
                "SELECT s.doc_id, s.annotator FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE "
                + LIVE_ASSIGNMENT.format(now=self._NOW) + " ORDER BY d.seq"):
            out.setdefault(doc_id, []).append(annotator)
        return {doc_id: sorted(names) for doc_id, names in out.items()}

    def assigned_documents(self, annotator: str) -> list[str]:
        """In the order they were given (a newly taken document comes last), each deal in document order."""
        if self._no_assignments:
            return []
        return [r[0] for r in self._read(ASSIGNED.format(now=self._NOW), (annotator,))]

    def get_setting(self, key: str) -> str | None:
        if self._no_assignments:
            return None
        rows = self._read("SELECT value FROM settings WHERE key=?", (key,))
        return rows[0][0] if rows else None

    # -- sign-in accounts (annotator serve) --------------------------------------------

    def get_account(self, name: str) -> Account | None:
        rows = self._read("SELECT name, password, created_at, updated_at FROM accounts WHERE name=?", (name,))
        return Account(*rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        return [Account(*r) for r in self._read(
            "SELECT name, password, created_at, updated_at FROM accounts ORDER BY name")]
