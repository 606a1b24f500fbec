"""Cursor rules without a terminal: reading direction, lines, sentences, edges and clitics."""

from __future__ import annotations

from test_tui_support import MIXED, token_start

from annotator.layout import DocumentLayout, LayoutOptions
from annotator.text import TextIndex
from annotator.tui.cursor import Navigator, Selection


def nav(text: str = MIXED, width: int = 60) -> Navigator:
    return Navigator(TextIndex(text), DocumentLayout(text, LayoutOptions(width=width)))


def test_left_is_next_word_in_rtl_line():
    n = nav()
    assert n.horizontal(0, "left") == token_start(MIXED, "John")
    assert n.horizontal(token_start(MIXED, "John"), "left") == token_start(MIXED, "Smith")
    assert n.horizontal(token_start(MIXED, "Smith"), "right") == token_start(MIXED, "John")
    assert n.horizontal(0, "right") == 0  # already at the first word


def test_ltr_paragraph_reverses_arrows():
    text = "hello world"
    n = Navigator(TextIndex(text), DocumentLayout(text, LayoutOptions(width=40, direction="ltr")))
    assert n.horizontal(0, "right") == 6
    assert n.horizontal(6, "left") == 0


def test_vertical_moves_by_visual_line_and_keeps_column():
    n = nav()
    first_line_end = n.layout.line(0).end
    offset, goal = n.vertical(0, 1, None)
    assert offset >= first_line_end  # on the second visual line
    back, _ = n.vertical(offset, -1, goal)
    assert back < first_line_end


def test_sentence_and_paragraph_steps():
    n = nav()
    second = token_start(MIXED, "وقالت")
    assert n.sentence_step(0, True) == second
    assert n.sentence_step(second, False) == 0
    third_para = token_start(MIXED, "والرئيس")
    assert n.paragraph_step(0, True) == third_para
    assert n.sentence_span(second) == (38, 78)


def test_nudge_never_splits_harakat():
    n = nav()
    start = token_start(MIXED, "صعباً")
    sel = Selection(start, start + len("صعباً"), start)
    shorter = n.nudge(sel, "end", -1)
    assert MIXED[shorter.start:shorter.end] == "صعب"  # the tanween went with its alef
    assert n.nudge(shorter, "end", 1).end == sel.end


def test_nudge_start_drops_proclitic_and_refuses_empty():
    n = nav()
    start = token_start(MIXED, "والرئيس")
    sel = Selection(start, start + 7, start)
    assert MIXED[n.nudge(sel, "start", 1).start:sel.end] == "الرئيس"
    one = Selection(start, start + 1, start)
    assert n.nudge(one, "start", 1) == one


def test_clitic_jump_walks_proclitic_edges():
    n = nav()
    start = token_start(MIXED, "والرئيس")
    sel = Selection(start, start + 7, start)
    step1 = n.clitic_jump(sel, True)
    assert MIXED[step1.start:step1.end] == "الرئيس"
    step2 = n.clitic_jump(step1, True)
    assert MIXED[step2.start:step2.end] == "رئيس"
    assert n.clitic_jump(step2, False) == Selection(step1.start, sel.end, start)


def test_extend_grows_by_whole_tokens_from_anchor():
    n = nav()
    john, smith = token_start(MIXED, "John"), token_start(MIXED, "Smith")
    sel = n.extend(None, john, smith)
    assert MIXED[sel.start:sel.end] == "John Smith"
    assert n.extend(sel, smith, john) == Selection(john, john + 4, john)


def test_next_unlabelled_sentence_skips_labelled():
    n = nav()
    def labelled(s, e):
        return s == 38  # the second sentence has a label

    assert n.next_unlabelled_sentence(0, labelled) == token_start(MIXED, "والرئيس")
    assert n.next_unlabelled_sentence(0, lambda s, e: True) is None


def test_vertical_keeps_the_screen_column_of_right_aligned_lines():
    # A long first line over a short one: from the short line's first word (at the right
    # edge of the screen) ↑ goes to the long line's first-line word at the right edge.
    text = "أول كلمة في سطر طويل جدا جدا جدا جدا جدا جدا جدا جدا جدا\nقصير هنا"
    n = nav(text, width=30)
    short_start = text.index("قصير")
    last_line = n.layout.line_of_offset(short_start)
    up, _ = n.vertical(short_start, -1, None)
    above = n.layout.line(last_line - 1)
    first_word_above = min(t.start for t in n.index.tokens if above.start <= t.start < above.end)
    assert up == first_word_above  # rightmost word of the line above, not its leftmost
