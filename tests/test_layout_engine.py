"""Visual lines and cells: shaping, marks, controls, tabs, wrapping and the column/offset maps."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.layout import Cell, LayoutOptions, VisualLine, layout_paragraph, layout_text, visual_string
from annotator.layout.atoms import PreparedParagraph
from annotator.layout.shaping import joining_type, shape

FATHA, SHADDA, SUKUN = "\u064e", "\u0651", "\u0652"
ZWJ, ZWNJ, LRM, RLM, RLO, PDF, RLI, PDI = "\u200d", "\u200c", "\u200e", "\u200f", "\u202e", "\u202c", "\u2067", "\u2069"


def one_line(text: str, **kw) -> VisualLine:
    lines = layout_paragraph(text, LayoutOptions(width=kw.pop("width", 200), **kw))
    assert len(lines) == 1
    return lines[0]


def texts(line: VisualLine) -> list[str]:
    return [c.text for c in line.cells]


class TestShaping:
    def test_joining_forms(self):
        # ب ت ب: initial, medial, final; shown right to left.
        assert texts(one_line("بتب")) == ["\ufe90", "\ufe98", "\ufe91"]

    def test_join_across_harakat(self):
        line = one_line("ب" + FATHA + "ب")
        assert texts(line) == ["\ufe90", "\ufe91" + FATHA]

    def test_zwnj_breaks_the_join_and_is_not_drawn(self):
        line = one_line("ب" + ZWNJ + "ب")
        assert "".join(texts(line)) == "\ufe8f\ufe8f"
        assert ZWNJ not in line.text

    def test_zwj_forces_join_but_is_never_emitted(self):
        line = one_line("ب" + ZWJ)
        assert line.text == "\ufe91"
        assert ZWJ not in visual_string("ب" + ZWJ + "ا")

    def test_tatweel_joins_both_sides(self):
        assert visual_string("بـب") == "\ufe90\u0640\ufe91"

    def test_lam_alef_is_one_cell_covering_both_offsets(self):
        line = one_line("سلام")
        cell = [c for c in line.cells if c.text == "\ufefc"][0]
        assert (cell.start, cell.end) == (1, 3)

    def test_lam_alef_with_haraka_between(self):
        line = one_line("ل" + FATHA + "ا")
        assert texts(line) == ["\ufefb" + FATHA]
        assert (line.cells[0].start, line.cells[0].end) == (0, 3)

    def test_lam_alef_variants_and_final_form(self):
        assert visual_string("لأ") == "\ufef7"
        assert visual_string("بلإ") == "\ufefa\ufe91"

    def test_never_the_allah_ligature(self):
        out = visual_string("الله " + "اللَّه")
        assert "\ufdf2" not in out and "\ufdfd" not in out

    def test_hamza_is_left_alone_like_fribidi(self):
        assert visual_string("ء") == "ء"

    def test_no_shaping_option(self):
        assert visual_string("بتب", shape=False) == "بتب"[::-1]

    def test_letters_at_different_levels_do_not_join(self):
        levels = [1, 3]
        assert shape("بب", levels) == ["\ufe8f", "\ufe8f"]

    def test_joining_types(self):
        assert [joining_type(c) for c in "بالـ" + FATHA + ZWNJ + ZWJ + "a"] == [
            "D", "R", "D", "C", "T", "U", "C", "U"]


class TestMarks:
    def test_harakat_stay_on_their_letter(self):
        line = one_line("كَتَبَ", shape=False)
        assert texts(line) == ["بَ", "تَ", "كَ"]
        assert all(c.width == 1 for c in line.cells)

    def test_orphan_mark_drawn_on_dotted_circle(self):
        line = one_line(FATHA + "ب", shape=False)
        assert "\u25cc" + FATHA in texts(line)
        line = one_line("ب " + SHADDA, shape=False)
        assert "\u25cc" + SHADDA in texts(line)

    def test_shadda_before_vowel_kept_in_order(self):
        line = one_line("ب" + FATHA + SHADDA, shape=False)
        assert texts(line) == ["ب" + FATHA + SHADDA]


class TestControls:
    def test_escape_and_c0_c1_never_reach_the_terminal(self):
        line = one_line("a\x1b[31mb\x00\x7f\x85\x9b", direction="ltr")
        drawn = line.text
        assert not any(unicodedata.category(c) == "Cc" for c in drawn)
        assert "\u241b" in drawn and "\u2400" in drawn and "\u2421" in drawn

    def test_invisible_controls_take_no_cell_by_default(self):
        text = "ب" + RLM + "ت" + LRM + RLI + "x" + PDI + ZWJ + "\ufeff"
        line = one_line(text, shape=False)
        assert line.width == 3
        for offset in range(len(text)):
            assert line.column_of_offset(offset) is not None

    def test_invisible_controls_shown_as_markers(self):
        text = "ب" + RLM + "ت" + RLO + "x" + PDF
        line = one_line(text, shape=False, show_controls=True)
        assert line.width == len(text)
        assert "\u2190" in line.text and "\u21da" in line.text and "\u21a5" in line.text

    def test_zwj_marker_shown_although_shaping_drops_zwj(self):
        line = one_line("ب" + ZWJ + "ا", show_controls=True)
        assert [c.text for c in line.cells] == ["\ufe8e", "\u203f", "\ufe91"]

    def test_tab_expands(self):
        line = one_line("ab\tc", direction="ltr", tab_size=4)
        assert line.text == "ab  c"
        tab = [c for c in line.cells if c.start == 2][0]
        assert (tab.width, tab.end) == (2, 3)

    def test_cr_is_not_drawn(self):
        lines = layout_text("ب\r\nت\rث", LayoutOptions(10))
        assert [ln.text for ln in lines] == ["\ufe8f", "\ufe95", "\ufe99"]
        assert [ln.start for ln in lines] == [0, 3, 5]

    def test_lone_surrogate_shown_as_replacement(self):
        line = one_line("a\ud800b", direction="ltr")
        assert line.text == "a\ufffdb"


class TestWrapping:
    def test_never_reorder_a_wrapped_line_as_its_own_paragraph(self):
        # "3-4" starts the second line after Arabic: it must still show 4-3 (UBA on the paragraph).
        lines = layout_paragraph("كلمة 3-4 فقط", LayoutOptions(width=5, shape=False))
        assert [ln.text.strip() for ln in lines] == ["ةملك", "4-3", "طقف"]

    def test_lines_fit_and_break_after_spaces(self):
        text = "قوات سوريا الديمقراطية تسيطر على آخر بقعة في قبضة داعش"
        for width in (11, 20, 40):  # the longest word has 11 letters: it fits
            lines = layout_paragraph(text, LayoutOptions(width))
            assert all(ln.width <= width for ln in lines)
            assert "".join(text[ln.start:ln.end] for ln in lines) == text
            for ln in lines[1:]:
                assert text[ln.start - 1] == " "

    def test_long_token_broken_at_cluster_boundaries(self):
        text = "ب" + FATHA + "ت" + SHADDA + FATHA + "ث" * 6
        lines = layout_paragraph(text, LayoutOptions(3, shape=False))
        assert [ln.width for ln in lines] == [3, 3, 2]
        assert [ln.start for ln in lines] == [0, 6, 9]  # marks stay with their letters


    def test_never_inside_lam_alef(self):
        text = "سلام"
        for width in (1, 2, 3):
            for line in layout_paragraph(text, LayoutOptions(width)):
                assert line.start != 2

    def test_trailing_spaces_hang(self):
        lines = layout_paragraph("abc   def", LayoutOptions(3, direction="ltr"))
        assert [ln.text for ln in lines] == ["abc", "def"]
        assert lines[0].end == 6 and lines[0].width == 3

    def test_rtl_lines_right_aligned(self):
        line = one_line("سلام", width=10)
        assert line.rtl and line.indent(10) == 7
        ltr = one_line("abc", width=10, direction="ltr")
        assert ltr.indent(10) == 0

    def test_auto_direction_per_paragraph(self):
        lines = layout_text("abc\nعربي", LayoutOptions(10, direction="auto"))
        assert [ln.rtl for ln in lines] == [False, True]

    def test_empty_paragraph_has_one_empty_line(self):
        lines = layout_text("a\n\nb", LayoutOptions(5))
        assert [(ln.start, ln.end, ln.cells) for ln in lines][1] == (2, 2, ())


class TestMaps:
    def test_offset_column_round_trip(self):
        text = "قال مصطفى (OCHA) 12.5% لَا" + RLM + "x\t" + FATHA
        for line in layout_paragraph(text, LayoutOptions(9)):
            for offset in range(line.start, line.end):
                col = line.column_of_offset(offset)
                assert col is not None
                cell = line.cell_of_offset(offset)
                if cell.width:
                    assert line.offset_at_column(col) == cell.start
            col = 0
            for cell in line.cells:
                for c in range(col, col + cell.width):
                    assert line.offset_at_column(c) == cell.start
                col += cell.width
            assert line.offset_at_column(line.width) is None
            assert line.offset_at_column(-1) is None

    def test_cells_partition_the_line(self):
        text = "ب" + FATHA + "لا (abc) ١٢ " + ZWJ + "x"
        for line in layout_paragraph(text, LayoutOptions(6)):
            covered = sorted(i for c in line.cells for i in range(c.start, c.end))
            assert covered == list(range(line.start, line.end))
            assert line.width == sum(c.width for c in line.cells)

    def test_absolute_offsets(self):
        lines = layout_text("ab\nسلام", LayoutOptions(10))
        assert lines[1].paragraph == 1 and lines[1].start == 3
        assert {c.start for c in lines[1].cells} == {3, 4, 6}


class TestHelpers:
    def test_visual_string_one_line(self):
        assert visual_string("مرحبا (عالم)", shape=False) == "(ملاع) ابحرم"

    def test_options_validated(self):
        with pytest.raises(ValueError):
            LayoutOptions(0)
        with pytest.raises(ValueError):
            LayoutOptions(10, direction="up")

    def test_cell_is_frozen(self):
        cell = Cell("a", 1, 0, 1, False)
        with pytest.raises(AttributeError):
            cell.text = "b"  # type: ignore[misc]


ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآؤئ"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
mixed_text = st.text(alphabet=ARABIC + HARAKAT + "0123456789٠١٢٣٤٥٦٧٨٩abcXY ()[]«».,:%-\t\u200e\u200f\u200c\u200d\u2067\u2069\x1b",
                     max_size=60)


@settings(max_examples=200, deadline=None)
@given(mixed_text, st.integers(min_value=1, max_value=30), st.booleans(), st.booleans())
def test_every_offset_is_shown_exactly_once(text, width, shaped, show):
    lines = layout_paragraph(text, LayoutOptions(width, shape=shaped, show_controls=show))
    assert lines[0].start == 0 and lines[-1].end == len(text)
    for a, b in zip(lines, lines[1:], strict=False):
        assert a.end == b.start
    for line in lines:
        covered = sorted(i for c in line.cells for i in range(c.start, c.end))
        assert covered == list(range(line.start, line.end))
        drawn = [c for c in line.cells if c.width]
        assert all(c.text and not any(unicodedata.category(ch) == "Cc" for ch in c.text) for c in drawn)
        assert "\u200d" not in line.text and "\ufdf2" not in line.text
        # Only an atom wider than the line (a tab, a wide or space + orphan mark) overflows.
        if line.width > width:
            atoms = PreparedParagraph(text, LayoutOptions(width, shape=shaped, show_controls=show)).atom_starts
            first_atom_end = atoms[atoms.index(line.start) + 1]
            assert all(c.width == 0 for c in line.cells if c.start >= first_atom_end)  # hanging


class TestHostileInput:
    """Input built to hurt: each must lay out (linear work) and keep every offset."""

    def check(self, text: str, width: int = 40, **kw) -> list[VisualLine]:
        lines = layout_paragraph(text, LayoutOptions(width, **kw))
        assert lines[0].start == 0 and lines[-1].end == len(text)
        return lines

    def test_a_letter_with_fifty_thousand_marks(self):
        lines = self.check("ب" + FATHA * 50_000 + " ت")
        cell = lines[0].cell_of_offset(0)
        assert (cell.start, cell.end) == (0, 50_001)

    def test_twenty_thousand_first_strong_isolates(self):
        self.check(("\u2068" + "a") * 20_000)

    def test_embedding_overflow(self):
        lines = self.check(RLO * 20_000 + "abc" + PDF * 20_000, show_controls=True)
        assert sum(ln.width for ln in lines) == 40_003

    def test_one_long_token(self):
        lines = self.check("ب" * 100_000, width=10)
        assert len(lines) == 10_000
