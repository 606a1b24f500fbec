"""Any document size (issue 12, aims 2 and 5): tokens, sentences, search and layout are computed
window by window where they are asked for, in bounded caches, and answer exactly as the
whole-text computation does. No timing here: the figures are ``bench/bench_docsize.py``'s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_tui_support import SIZE, make_app, make_session

from annotator.editing.find import count_matches, find_matches, next_match, step_match
from annotator.layout import DocumentLayout, LayoutOptions, layout_paragraph, layout_text
from annotator.layout import document as document_module
from annotator.layout.stored import whole_text
from annotator.layout.windows import LONG_PARAGRAPH, WINDOW, Windows
from annotator.text import TextIndex, paragraphs, search, sentences, tokenize
from annotator.text.controls import count_hidden, is_hidden
from annotator.tui.cursor import Navigator
from annotator.tui.screens.finding import COUNT_WINDOWS

SEEDS = sorted((Path(__file__).resolve().parents[1] / "annotator" / "bundled" / "seeds").glob("*.txt"))
SEED_PARAGRAPHS = [p for path in SEEDS for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]


def big_text(chars: int, single_line: bool = False) -> str:
    """At least ``chars`` characters of numbered seed paragraphs (one line when ``single_line``)."""
    out, size, i = [], 0, 0
    while size < chars:
        out.append(f"({i}) {SEED_PARAGRAPHS[i % len(SEED_PARAGRAPHS)]}")
        size += len(out[-1]) + 1
        i += 1
    return (" " if single_line else "\n").join(out)


def unnumbered(lines):
    """Lines without their paragraph number (``layout_text`` counts paragraphs, ``DocumentLayout``
    names them by their start offset)."""
    return [replace(line, paragraph=0) for line in lines]


# -- windows ---------------------------------------------------------------------------------

@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("قال أحمد. b\n\r\u2029 12😀\u200f"), max_size=80),
       st.integers(1, 9), st.integers(1, 20))
def test_windows_partition_the_text_at_safe_places(text, size, long):
    windows = Windows(text, size, long)
    bounds = [windows.boundary(k) for k in range(windows.count + 1)]
    assert bounds[0] == 0 and bounds[-1] == len(text) and bounds == sorted(bounds)
    for b in (b for b in bounds if 0 < b < len(text)):
        assert not (text[b - 1:b] == "\r" and text[b:b + 1] == "\n")  # never inside \r\n
        after_separator = text[b - 1] in "\n\r\u2029"
        assert after_separator or (text[b - 1] == " " and text[b - 2].isalpha() and text[b].isalpha())
    for offset in range(len(text)):
        k = windows.of(offset)
        assert bounds[k] <= offset < bounds[k + 1]


def test_a_paragraph_shorter_than_the_limit_is_never_cut():
    text = big_text(50_000)
    windows = Windows(text)
    assert max(map(len, text.split("\n"))) < LONG_PARAGRAPH
    for k in range(1, windows.count):
        b = windows.boundary(k)
        assert b == len(text) or text[b - 1] == "\n"


# -- the same answers as the whole-text computation --------------------------------------------

@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
@pytest.mark.parametrize("windowing", [{}, {"window": 64, "long": 128}, {"window": 7, "long": 9}])
def test_index_equals_the_whole_text_analysis_on_the_seeds(path, windowing):
    text = path.read_text(encoding="utf-8")
    index = TextIndex(text, **windowing)
    assert index.tokens == tokenize(text)
    assert index.sentences == sentences(text)
    assert index.paragraphs == paragraphs(text)
    for query in ("سوريا", "قوات سوريا", "ال", "2019"):
        assert index.search(query) == search(text, query)
        assert find_matches(index, query) == find_matches(TextIndex(text, window=10**9, long=10**9), query)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_layout_equals_the_whole_paragraph_layout_on_the_seeds(path):
    text = path.read_text(encoding="utf-8")
    for width in (37, 80):
        options = LayoutOptions(width)
        for windowing in ({}, {"window": 50, "long": 10**6}):
            doc = DocumentLayout(text, options, **windowing)
            assert unnumbered(doc.lines(0, 10**6)) == unnumbered(layout_text(text, options))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("قال أحمد. والحكومة b\n\r 12.5😀\u200f\u2067\u2069"), max_size=120),
       st.integers(1, 12), st.sampled_from([6, 13]), st.data())
def test_layout_of_any_window_equals_the_whole_paragraph_layout(text, window, width, data):
    """Windows at paragraph starts only (``long`` above the text's length): the lines are
    exactly ``layout_text``'s. Before every window above a line is laid out, its number counts
    estimates, but the line of an offset always shows that offset, and a vertical move
    settles the windows it crosses first."""
    options = LayoutOptions(width)
    doc = DocumentLayout(text, options, window=window, long=10**6)
    offsets = data.draw(st.permutations(range(len(text) + 1)))
    for offset in offsets:
        line = doc.line(doc.line_of_offset(offset))
        assert line.start <= offset and (offset < line.end or line.end == line.start or
                                         text[line.end:offset + 1].strip("\r\n\u2029") == "")
    expected = layout_text(text, options)
    assert doc.line_count == len(expected)
    assert unnumbered([doc.line(i) for i in range(len(expected))]) == unnumbered(expected)
    fresh = DocumentLayout(text, options, window=window, long=10**6)
    assert unnumbered(fresh.lines(0, len(expected) + 5)) == unnumbered(expected)  # in order: exact at once
    for offset in range(len(text) + 1):
        assert doc.line_of_offset(offset) == DocumentLayout(text, options).line_of_offset(offset)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("قال أحمد. b\n 12"), max_size=100), st.integers(1, 12),
       st.sets(st.integers(0, 99)), st.data())
@example("1111 \n1\n", 3, set(), None)  # window 1 is empty: an estimate of 1 line, in truth none
def test_lines_from_an_offset_are_the_whole_layouts_whatever_was_laid_out_before(text, window, laid, data):
    """``lines_from`` walks the lines next to an offset's, in either direction, exactly as in the
    whole layout, whichever windows were laid out (counted) before and whichever offsets asked."""
    options = LayoutOptions(9)
    whole = DocumentLayout(text, options, window=10**6, long=10**6)
    every = whole.lines(0, 10**6)
    doc = DocumentLayout(text, options, window=window, long=10**6)
    for k in sorted(laid):
        if k < doc.windows.count:
            doc.window_lines(k)
    offsets = range(len(text) + 1) if data is None else data.draw(st.permutations(range(len(text) + 1)))
    for offset in offsets:
        i = whole.line_of_offset(offset)
        assert list(doc.lines_from(offset, 1)) == every[i + 1:]
        assert list(doc.lines_from(offset, -1)) == every[:i][::-1]


def test_lines_past_the_end_are_not_found_by_counting_the_windows_above():
    """The last paragraph is long, so the windows after its start are empty (each estimated a
    line until laid out), and the windows above (some of two lines, estimated one) are not laid
    out: lines asked for from the cursor's to past the end are the last ones, each once, and the
    windows above stay uncounted (counting them renumbered the lines already handed out: the
    last line came back four times)."""
    text = "a\n" * 8 + "word " * 8 + "end"
    options = LayoutOptions(9)
    every = DocumentLayout(text, options, window=10**6, long=10**6).lines(0, 10**6)
    doc = DocumentLayout(text, options, window=3, long=10**6)
    last = doc.line_of_offset(len(text))
    assert doc.lines(last - 2, 10) == every[-3:]
    with pytest.raises(IndexError):
        doc.line(doc.estimated_line_count)
    assert doc.uncounted_window() == 0


def test_a_long_paragraph_is_laid_out_piece_by_piece():
    """A paragraph longer than ``long`` is cut at spaces between letters; each piece is laid
    out as a paragraph of the same direction, so every character is shown once, in order."""
    text = big_text(30_000, single_line=True)
    options = LayoutOptions(70, direction="auto")
    doc = DocumentLayout(text, options)
    lines = doc.lines(0, 10**6)
    assert [(a.end, b.start) for a, b in zip(lines, lines[1:], strict=False) if a.end != b.start] == []
    assert lines[0].start == 0 and lines[-1].end == len(text)
    windows = doc.windows
    pieces = []
    for k in range(windows.count):
        start, end = windows.bounds(k)
        if end > start:
            pieces += [replace(line, paragraph=0) for line in
                       layout_paragraph(text[start:end], replace(options, direction="rtl"), offset=start)]
    assert unnumbered(lines) == pieces


# -- bounded work and memory -----------------------------------------------------------------

def test_the_end_of_a_big_document_costs_a_window_or_two():
    text = big_text(3_000_000)
    index = TextIndex(text)
    layout = DocumentLayout(text, LayoutOptions(80))
    nav = Navigator(index, layout)
    cursor = nav.document_edge(False)
    assert cursor == tokenize(text[-2000:])[-1].start + len(text) - 2000
    for _ in range(30):
        cursor = nav.horizontal(cursor, "left")
        layout.locate(cursor)
    cursor = nav.sentence_step(cursor, False)
    nav.paragraph_step(cursor, False)
    assert index.stats["tokenized"] <= 4 * WINDOW
    assert index.stats["split"] <= 4 * WINDOW
    assert layout.laid_out <= 4 * WINDOW
    assert nav.next_unlabelled_sentence(cursor, lambda start, end: False) == 0  # the last one: round to the top
    assert nav.next_unlabelled_sentence(cursor, lambda start, end: start < cursor) == cursor
    assert next_match(index, "سوريا", cursor) is not None
    assert index.stats["normalized"] <= 8 * WINDOW


def test_caches_stay_bounded_while_walking_a_document():
    text = big_text(400_000)
    index = TextIndex(text)
    layout = DocumentLayout(text, LayoutOptions(60))
    nav = Navigator(index, layout)
    cursor = 0
    for _ in range(3000):
        cursor, _goal = nav.vertical(cursor, 3, None)
    assert cursor > 200_000
    assert len(index._tokens) <= 128 and len(layout._lines) <= document_module.WINDOW_CACHE
    assert sum(len(key[0]) for key in layout._cache) <= document_module.PARAGRAPH_CACHE + LONG_PARAGRAPH


# -- moving, finding and g across window edges -------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("قال أحمد. والحكومة b\n 12؟"), min_size=1, max_size=100))
def test_cursor_moves_cross_window_edges_as_over_the_whole_text(text):
    small = Navigator(TextIndex(text, window=3, long=4), DocumentLayout(text, LayoutOptions(9), window=3, long=4))
    whole = Navigator(TextIndex(text, window=10**6, long=10**6), DocumentLayout(text, LayoutOptions(9)))
    starts = [t.start for t in tokenize(text)]
    for offset in range(len(text) + 1):
        for forward in (True, False):
            assert small.step_token(offset, forward) == whole.step_token(offset, forward)
            assert small.sentence_step(offset, forward) == whole.sentence_step(offset, forward)
            assert small.paragraph_step(offset, forward) == whole.paragraph_step(offset, forward)
        assert small.snap(offset) == whole.snap(offset)
        assert small.next_unlabelled_sentence(offset, lambda s, e: s < len(text) // 2) == \
            whole.next_unlabelled_sentence(offset, lambda s, e: s < len(text) // 2)
    visited, cursor = [], small.document_edge(True)
    while starts and cursor not in visited:
        visited.append(cursor)
        cursor = small.step_token(cursor, True)
    assert visited == starts


def test_find_and_its_count_across_windows():
    text = big_text(40_000)
    index = TextIndex(text)
    whole = find_matches(TextIndex(text, window=10**9, long=10**9), "سوريا")
    assert find_matches(index, "سوريا") == whole and len(whole) > 10
    assert count_matches(index, "سوريا", 10**6) == (len(whole), True)
    partial, complete = count_matches(index, "سوريا", 3)
    assert not complete and partial <= len(whole)
    for cursor in (0, whole[3][0], len(text) // 2, len(text)):
        for back in (False, True):
            expected = whole[step_match(whole, cursor, back)]
            assert next_match(index, "سوريا", cursor, back) == expected


def test_counting_invisible_characters_equals_the_rule_on_every_code_point():
    every = "".join(map(chr, range(0x110000)))
    assert count_hidden(every) == sum(1 for c in every if not c.isprintable() and is_hidden(c))


# -- the app on a big document ---------------------------------------------------------------

async def test_the_app_opens_a_big_document_and_works_at_its_end(tmp_path):
    text = big_text(2_000_000)
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        from annotator.tui.widgets.document_view import DocumentView

        view = app.screen.query_one(DocumentView)
        assert len(view.text) == len(text) and view.text[:5000] == text[:5000]
        assert view.index.stats["tokenized"] <= 4 * WINDOW and view.doc_layout.laid_out <= 8 * WINDOW
        await pilot.press("ctrl+end")
        await pilot.pause()
        last = tokenize(text[-500:])[-1]
        assert view.cursor == len(text) - 500 + last.start
        await pilot.press("left", "left")
        word = view.nav.token_span(view.cursor)
        await pilot.press("1")  # a label there
        await pilot.pause()
        assert any((e.start, e.end) == word for e in app.screen.editor.state.entities)
        await pilot.press("ctrl+f", *"سوريا", "enter")
        await pilot.pause()
        assert view.selection is not None and text[view.selection.start:view.selection.end] == "سوريا"
        await pilot.press("escape", "ctrl+end", "g")
        await pilot.pause()
        sentence = view.nav.sentence_span(view.cursor)
        assert sentence is not None and not view.spans.covers(*sentence)
        assert view.index.stats["tokenized"] <= (COUNT_WINDOWS + 16) * WINDOW  # the find box counts in 32
        assert view.doc_layout.laid_out <= 24 * WINDOW
        assert whole_text(view.text) == text
    session.store.close()


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from("قال أحمد. والحكومة b\n 12؟"), min_size=1, max_size=150),
       st.integers(-7, 7), st.integers(0, 150))
@example("1111 \n1\n", -1, 6)  # an empty window above, only estimated, was not counted: stayed at 6
@example("1111 \n1\n", 1, 6)  # looking past the end counted the windows above: IndexError
def test_vertical_moves_between_windows_not_laid_out_are_exact(text, lines, offset):
    """A move by n lines from a window whose neighbours were never laid out lands where it does
    in a document laid out whole: the move walks the lines it crosses (counting their windows),
    never line numbers that count estimates."""
    offset = min(offset, len(text))
    small = Navigator(TextIndex(text, window=3, long=4), DocumentLayout(text, LayoutOptions(9), window=3, long=10**6))
    whole = Navigator(TextIndex(text), DocumentLayout(text, LayoutOptions(9)))
    start = whole.snap(offset)
    assert small.vertical(start, lines, None) == whole.vertical(start, lines, None)


async def test_up_and_down_in_the_app_land_as_in_the_whole_layout(tmp_path, monkeypatch):
    """Paragraphs of about 2,000 characters leave empty windows between them (each estimated as
    a dozen lines until laid out): page up, ↑, ↓ and page down across them, from the end of the
    document up and back, go where they go in the document laid out whole. No counting in the
    background, as for a document over ``COUNT_LIMIT`` (it would hide the estimates)."""
    from annotator.tui.widgets import document_view

    monkeypatch.setattr(document_view, "COUNT_LIMIT", 0)
    text = "\n\n".join(" ".join(SEED_PARAGRAPHS[(15 * p + j) % len(SEED_PARAGRAPHS)] for j in range(15))
                       for p in range(8))
    session = make_session(tmp_path / "moves.db", docs=(("moves", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(document_view.DocumentView)
        await pilot.press("ctrl+end")
        await pilot.pause()
        windows = view.doc_layout.windows
        assert [k for k in range(windows.count) if windows.bounds(k)[0] == windows.bounds(k)[1]] != []
        assert view.doc_layout.uncounted_window() is not None
        whole = Navigator(TextIndex(text, window=10**9, long=10**9),
                          DocumentLayout(text, view.doc_layout.options, window=10**9, long=10**9))
        page = view.page_height
        keys = ["pageup"] * 8 + ["up"] * 40 + ["down"] * 40 + ["pagedown"] * 12 + ["down"]
        expected, goal = view.cursor, None
        for key in keys:
            delta = {"up": -1, "down": 1, "pageup": -page, "pagedown": page}[key]
            expected, goal = whole.vertical(expected, delta, goal)
            await pilot.press(key)
            assert view.cursor == expected, key
    session.store.close()


async def test_counting_lines_above_the_screen_does_not_move_what_is_shown(tmp_path):
    """Windows above the screen counted in the background (their estimates turn exact) scroll
    the view by as much: the line at the top stays at the top."""
    text = big_text(300_000)
    session = make_session(tmp_path / "mid.db", docs=(("mid", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        from annotator.tui.widgets.document_view import DocumentView

        view = app.screen.query_one(DocumentView)
        await pilot.press("ctrl+end")
        await pilot.pause()
        top = view.doc_layout.line(round(view.scroll_y)).start
        version = view.doc_layout.version
        for _ in range(20):
            await pilot.pause(0.05)
        assert view.doc_layout.version != version  # counts changed above the screen meanwhile
        assert view.doc_layout.line(round(view.scroll_y)).start == top
    session.store.close()
