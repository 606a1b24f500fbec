"""A big document's text read by ranges (``layout.stored.StoredText``, ``Store.text_range``): every slice,
search, window, token, sentence, paragraph and laid-out line equals the whole text's; the app opens such
a document reading its first screen only, and labels and finds at its end (issue 12, aim 2)."""

from __future__ import annotations

import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from old_stores import made_before_long_texts
from test_scale_docsize import big_text
from test_tui_support import SIZE, make_app

from annotator.layout import DocumentLayout, LayoutOptions
from annotator.layout import stored as stored_module
from annotator.layout.stored import StoredText, search_forward, whole_text
from annotator.layout.windows import Windows
from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store, sql_reads
from annotator.text import TextIndex

from conftest import SEEDS

# letters with marks, astral characters, every paragraph separator, a lone surrogate, controls
ALPHABET = ["ق", "ا", "ل", "َ", "ّ", " ", " ", ".", "\r", "\n", "\r\n", "\u2029", "😀", "👍🏽", "\u200d",
            "\ud800", "a", "1", "؟", "\t", "\x00"]


def generated(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def stored(text: str, chunk: int = 7, kept: int = 3) -> StoredText:
    return StoredText(len(text), lambda a, b: text[a:b], chunk=chunk, kept=kept)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join), st.integers(1, 9), st.integers(1, 4),
       st.data())
def test_every_slice_and_character_equals_the_strings(text, chunk, kept, data):
    lazy = stored(text, chunk, kept)
    assert len(lazy) == len(text) and bool(lazy) == bool(text)
    for _ in range(12):
        a = data.draw(st.integers(-len(text) - 3, len(text) + 3))
        b = data.draw(st.integers(-len(text) - 3, len(text) + 3))
        step = data.draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
        assert lazy[a:b:step] == text[a:b:step]
        if -len(text) <= a < len(text):
            assert lazy[a] == text[a]
        else:
            with pytest.raises(IndexError):
                lazy[a]
    assert whole_text(lazy) == text and lazy.loaded and lazy[1:4] == text[1:4]


def test_pieces_are_kept_within_bounds_and_read_once(monkeypatch):
    monkeypatch.setattr(stored_module, "WHOLE_AFTER", 35)
    text = generated(random.Random(3), 5_000)
    reads = []
    lazy = StoredText(len(text), lambda a, b: reads.append((a, b)) or text[a:b], chunk=100, kept=4)
    assert lazy[250:260] == text[250:260] and lazy[255] == text[255] and reads == [(200, 300)]
    for k in range(20):
        assert lazy[k * 100 + 50:k * 100 + 150] == text[k * 100 + 50:k * 100 + 150]
    assert len(lazy._pieces) <= 4 and lazy.stats["read"] <= 2_100
    assert lazy[0:1_000] == text[:1_000] and reads[-1] == (0, 1_000)  # a long stretch: one read, not kept
    assert lazy.stats["whole"] == 0 and not lazy.loaded
    for k in range(40, 50):  # walked far: read whole once, then sliced from it
        assert lazy[k * 100:k * 100 + 3] == text[k * 100:k * 100 + 3]
    step = 100 * stored_module.STREAM_CHUNKS  # read whole a few pieces at a time, in order
    assert lazy.stats["whole"] == 1 and lazy.loaded and lazy.stats["streamed"] == len(text)
    streamed = [(a, min(a + step, len(text))) for a in range(0, len(text), step)]
    assert reads[-len(streamed):] == streamed
    assert f"StoredText of {len(text)} " in repr(lazy) and text[:5] not in repr(lazy)


def test_a_store_that_gives_the_wrong_length_is_an_error_not_a_wrong_text():
    lazy = StoredText(10, lambda a, b: "x" * (b - a + 1), chunk=4)
    with pytest.raises(ValueError, match="code points"):
        lazy[0:2]
    with pytest.raises(ValueError, match="not 10"):
        StoredText(10, lambda a, b: "x", load=lambda: "short").whole()


@pytest.mark.parametrize("pattern", [r"\r\n|[\n\r\u2029]", r"\p{L}[ ](?=\p{L})", r"[\p{C}--[\n\r\t]]"])
def test_searching_a_piece_at_a_time_finds_what_one_search_finds(monkeypatch, pattern):
    monkeypatch.setattr(stored_module, "SEARCH_PIECE", 5)
    forward = regex.compile(pattern, regex.V1)
    rng = random.Random(7)
    for _ in range(300):
        text = generated(rng, rng.randrange(0, 40))
        lazy = stored(text, chunk=3)
        a, b = sorted((rng.randrange(0, len(text) + 1), rng.randrange(0, len(text) + 1)))
        m = forward.search(text, a, len(text)) if b == len(text) else None
        got = search_forward(forward, lazy, a, len(text))
        if b == len(text):
            assert (got is None) == (m is None)
            if m is not None:
                assert got[0] == m.start()  # a "\r\n" cut at a piece's end comes back as "\r": see below
                assert got[1] == m.end() or (got[2] == "\r" and m.group() == "\r\n")


def test_a_paragraph_break_is_found_whole_across_a_piece_edge_and_past_stop(monkeypatch):
    """``next_paragraph_break`` (the one owner of the rule) gives a ``\r\n`` whole wherever the
    piece-wise search or the caller's ``stop`` cut it after its ``\r``."""
    from annotator.layout.windows import next_paragraph_break

    monkeypatch.setattr(stored_module, "SEARCH_PIECE", 5)
    rng = random.Random(11)
    for _ in range(300):
        text = generated(rng, rng.randrange(0, 40))
        lazy = stored(text, chunk=3)
        a, b = sorted((rng.randrange(0, len(text) + 1), rng.randrange(0, len(text) + 1)))
        m = regex.compile(r"\r\n|[\n\r\u2029]").search(text, a, b)
        want = None if m is None else (m.start(), m.end() + (m.group() == "\r" and text[m.end():m.end() + 1] == "\n"))
        assert next_paragraph_break(lazy, a, b) == want == next_paragraph_break(text, a, b)
    assert next_paragraph_break("ab\r\ncd", 0, 3) == (2, 4)  # stop between \r and \n


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem)
def test_the_analysis_and_layout_of_a_stored_text_equal_the_strings(path, monkeypatch):
    monkeypatch.setattr(stored_module, "SEARCH_PIECE", 64)
    monkeypatch.setattr(stored_module, "WHOLE_AFTER", 10**9)  # by pieces throughout
    text = path.read_text(encoding="utf-8")
    text = text.replace("\n", "\r\n", 3) + " " + generated(random.Random(path.stem), 400)
    for window, long in ((1024, 8192), (37, 50), (5, 7)):
        lazy = stored(text, chunk=11, kept=5)
        assert [Windows(lazy, window, long).bounds(k) for k in range(Windows(text, window, long).count)] == \
            [Windows(text, window, long).bounds(k) for k in range(Windows(text, window, long).count)]
        mine, theirs = TextIndex(lazy, window=window, long=long), TextIndex(text, window=window, long=long)
        assert mine.tokens == theirs.tokens
        assert mine.sentences == theirs.sentences and mine.paragraphs == theirs.paragraphs
        assert mine.search("سوريا") == theirs.search("سوريا")
        layout = DocumentLayout(lazy, LayoutOptions(30), window=window, long=long)
        whole = DocumentLayout(text, LayoutOptions(30), window=window, long=long)
        assert [(ln.start, ln.end, ln.cells) for ln in layout.lines(0, 10_000)] == \
            [(ln.start, ln.end, ln.cells) for ln in whole.lines(0, 10_000)]
        assert not lazy.loaded  # all of it by pieces


# -- the app ----------------------------------------------------------------------------------


class CountingStore:
    """A store that counts what it hands out: whole texts, code points by range and a piece at a time."""

    def __init__(self, store) -> None:
        self._store = store
        self.whole: list[str] = []
        self.ranged = 0
        self.streamed = 0

    def text_pieces(self, doc_id):
        for piece in self._store.text_pieces(doc_id):
            self.streamed += len(piece)
            yield piece

    def get_document(self, doc_id):
        self.whole.append(doc_id)
        return self._store.get_document(doc_id)

    def text_range(self, doc_id, start, end):
        piece = self._store.text_range(doc_id, start, end)
        self.ranged += len(piece)
        return piece

    def __getattr__(self, name):
        return getattr(self._store, name)


async def test_the_app_opens_a_big_document_reading_its_first_screen_only(tmp_path, monkeypatch):
    """The first screen of a 1.5-million-character document reads a piece or two of it from the store,
    never the whole (fails when the app reads the document whole to open it); at its end a label key
    labels and find finds, and the text shown and labelled is exactly the stored one."""
    from annotator.tui.screens import annotate
    from annotator.tui.widgets.document_view import DocumentView

    monkeypatch.setattr(annotate, "HIDDEN_COUNT_DELAY", 3600)  # the count of invisible characters reads it whole
    text = big_text(1_500_000)
    store = open_store(str(tmp_path / "big.db"))
    store.add_document(Document("big", text))
    counting = CountingStore(store)
    session = AnnotationSession(counting, load_schema(default_schema_path()), "tester")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert isinstance(view.text, StoredText) and len(view.text) == len(text)
        assert counting.whole == [] and counting.ranged <= 2 * stored_module.CHUNK
        shown = DocumentLayout(text[:20_000], view.doc_layout.options)  # the first lines, from the string
        assert [(ln.start, ln.end, ln.cells) for ln in view.doc_layout.lines(0, 5)] == \
            [(ln.start, ln.end, ln.cells) for ln in shown.lines(0, 5)]
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert counting.whole == [] and counting.ranged <= 4 * stored_module.CHUNK
        await pilot.press("left", "left")
        word = view.nav.token_span(view.cursor)
        await pilot.press("1")  # a label there: the edit's checks read pieces of the text
        await pilot.pause()
        entity = next(e for e in app.screen.editor.state.entities if (e.start, e.end) == word)
        await pilot.press("ctrl+f", *"سوريا", "enter")
        await pilot.pause()
        assert view.selection is not None and text[view.selection.start:view.selection.end] == "سوريا"
    saved = store.load("big", "tester")
    assert [(e.start, e.end) for e in saved.entities] == [(entity.start, entity.end)]
    assert text[entity.start:entity.end] == view.text[entity.start:entity.end] == \
        store.get_document("big").text[entity.start:entity.end]
    assert counting.whole == [] and counting.streamed == 0
    assert whole_text(view.text) == text and counting.whole == [] and counting.streamed == len(text)
    store.close()


def big_and_small(tmp_path, monkeypatch) -> tuple:
    """A store holding a big text ("big", read by ranges) and a small one, and a session on it."""
    monkeypatch.setattr(sql_reads, "WINDOWED_BYTES", 1_000)
    store = open_store(str(tmp_path / "s.db"))
    big, small = big_text(3_000), "قال أحمد."
    store.add_document(Document("big", big))
    store.add_document(Document("small", small))
    session = AnnotationSession(store, load_schema(default_schema_path()), "tester")
    return store, session, big, small


def test_a_small_text_is_read_whole_and_a_big_one_by_ranges(tmp_path, monkeypatch):
    store, session, big, small = big_and_small(tmp_path, monkeypatch)
    assert session.text("small") == small and isinstance(session.text("small"), str)
    lazy = session.text("big")
    assert isinstance(lazy, StoredText) and session.text("big") is lazy
    assert lazy[100:2_000] == big[100:2_000] and not lazy.loaded
    assert lazy.whole() == big == session.document("big").text
    store.close()


def test_the_recommenders_read_by_ranges_what_the_session_does(tmp_path, monkeypatch):
    """``string-match`` learns from the texts the session shows, by the same rule (``stored.stored_text``,
    which had a copy in ``recommend.learned``): a big one by ranges, a small one whole, a missing one none."""
    from annotator.recommend.learned import _labelled_text

    store, session, big, small = big_and_small(tmp_path, monkeypatch)
    for doc_id in ("big", "small"):
        shown, learned = session.text(doc_id), _labelled_text(store, doc_id)
        assert type(shown) is type(learned) and learned is not None and len(shown) == len(learned)
        assert learned[5:2_500] == shown[5:2_500]
    assert isinstance(_labelled_text(store, "big"), StoredText) and _labelled_text(store, "missing") is None
    store.close()


def test_a_read_only_store_made_before_text_marks_reads_every_text_whole(tmp_path, monkeypatch):
    """A store that cannot be migrated (read-only) still opens and reads; it has no marks table to ask."""

    import annotator.store.sqlite as sqlite_store
    from annotator.errors import StoreError

    monkeypatch.setattr(sql_reads, "WINDOWED_BYTES", 100)
    path = tmp_path / "old.db"
    text = big_text(2_000)
    store = open_store(str(path))
    store.add_document(Document("big", text))
    made_before_long_texts(store, str(path), 5)  # no text_marks, no long_texts

    def refused(*args):
        raise StoreError(f"{path}: the database is read-only; nothing was changed")

    monkeypatch.setattr(sqlite_store, "_run_migration", refused)
    store = open_store(str(path))
    assert store.text_length("big") is None and store.text_range("big", 10, 900) == text[10:900]
    assert store.document_page("amal")[0].head == text[:len(store.document_page("amal")[0].head)]
    store.close()


def test_a_store_without_ranges_reads_every_text_whole(tmp_path):
    """``Store``'s declared defaults (a plugin store that has no ranges): no length, slices of the whole."""
    from annotator.errors import StoreError
    from annotator.store.base import Store

    store = open_store(str(tmp_path / "p.db"))
    text = "قال\r\n😀 أحمد\ud800."
    store.add_document(Document("d", text))
    assert Store.text_length(store, "d") is None
    assert [Store.text_range(store, "d", a, a + 3) for a in range(-2, len(text) + 1)] == \
        [text[max(a, 0):max(a + 3, 0)] for a in range(-2, len(text) + 1)]
    with pytest.raises(StoreError, match="missing"):
        Store.text_range(store, "missing", 0, 1)
    store.close()


def test_a_big_text_read_during_an_undone_insert_is_never_read_again_from_its_seq(tmp_path, monkeypatch):
    """Where a big text lives (its row, whether it is kept apart in ``long_texts``) is asked once, with its
    marks, not at every range read; and what was read while a write was open is not kept: a rolled-back
    insert's ``seq`` goes to the next document (fails before: the marks read inside the undone transaction
    were kept, and ``x`` was then read from the other document's row)."""
    monkeypatch.setattr(sql_reads, "WINDOWED_BYTES", 1_000)
    store = open_store(str(tmp_path / "r.db"))
    first, other, again = big_text(3_000), big_text(6_000)[::-1], "؟" + big_text(3_000)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_document(Document("x", first))
        assert store.text_range("x", 5, 50) == first[5:50]  # seen inside the transaction that is undone
        raise RuntimeError("undone")
    store.add_document(Document("y", other))  # given the undone insert's seq
    store.add_document(Document("x", again))
    asked: list[str] = []
    store._db.set_trace_callback(asked.append)
    assert store.text_range("x", 5, 50) == again[5:50]
    assert store.text_range("x", 1_000, 1_100) == again[1_000:1_100]
    assert store.text_range("y", 0, 40) == other[:40] and store.text_range("y", 9, 90) == other[9:90]
    store._db.set_trace_callback(None)
    assert sum("long_texts" in sql for sql in asked) == 2  # once per text, with its marks
    store.close()


def test_a_big_text_is_handed_out_a_piece_at_a_time_exactly(tmp_path, monkeypatch):
    """``text_pieces`` gives the stored text in order, a big one in pieces of ``STREAM_MARKS`` marks each
    decoded alone (a piece never ends inside a character), a small one whole; writes go on while a reader
    is between pieces, and a reader that stops early leaves the store usable."""
    from annotator.errors import StoreError

    monkeypatch.setattr(sql_reads, "WINDOWED_BYTES", 1_000)
    store = open_store(str(tmp_path / "p.db"))
    big = ("😀ق\u064e\r\n\ud800" + big_text(700_000))[:700_000]
    store.add_document(Document("big", big))
    store.add_document(Document("small", "قال أحمد."))
    pieces = list(store.text_pieces("big"))
    step = sql_reads.STREAM_MARKS * sql_reads.MARK_STEP
    assert "".join(pieces) == big and [len(p) for p in pieces[:-1]] == [step] * (len(pieces) - 1) and len(pieces) > 2
    assert list(store.text_pieces("small")) == ["قال أحمد."]
    reading = store.text_pieces("big")
    assert next(reading) == big[:step]
    store.add_document(Document("meanwhile", "نص"))  # a write while a reader holds its BLOB handle
    with pytest.raises(RuntimeError), store.transaction():  # and a write undone
        store.add_document(Document("undone", "نص"))
        raise RuntimeError("undone")
    assert next(reading) == big[step:2 * step]
    reading.close()
    store.add_document(Document("after", "نص"))  # a write after a reader stopped early
    assert store.text_range("big", step - 3, step + 3) == big[step - 3:step + 3]
    with pytest.raises(StoreError, match="missing"):
        list(store.text_pieces("missing"))
    store.close()
