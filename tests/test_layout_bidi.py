"""UAX #9 stages of annotator.layout.bidi, each checked on its own with hand-derived expectations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.layout.bidi import (
    bidi_class,
    bidi_classes,
    bracket_pairs,
    explicit_levels,
    first_strong_level,
    implicit_levels,
    isolating_run_sequences,
    l1_roles,
    line_levels,
    matching_pdis,
    paragraph_level,
    reorder,
    resolve_brackets,
    resolve_levels,
    resolve_neutrals,
    resolve_simple,
    resolve_weak,
    sequence_bounds,
)

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"


def levels_of(text: str, direction: str = "rtl") -> list[int]:
    classes = bidi_classes(text)
    return resolve_levels(text, classes, paragraph_level(classes, direction))


class TestClasses:
    def test_common_classes(self):
        assert [bidi_class(c) for c in "aب1١,.%-\u064e \t"] == [
            "L", "AL", "EN", "AN", "CS", "CS", "ET", "ES", "NSM", "WS", "S"]

    def test_controls(self):
        assert [bidi_class(c) for c in (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM)] == [
            "LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "L", "R", "AL"]
        assert bidi_class("\u200d") == "BN" and bidi_class("\ufeff") == "BN"

    def test_unassigned_defaults_follow_the_block(self):
        assert bidi_class("\u05ff") == "R"  # unassigned Hebrew block
        assert bidi_class("\u07bf") == "AL"  # unassigned in the Thaana/Arabic default range
        assert bidi_class("\ufdd0") == "BN"  # noncharacter

    def test_lone_surrogate_does_not_crash(self):
        assert bidi_class("\ud800") == "ON"


class TestParagraphLevel:
    def test_forced(self):
        assert paragraph_level(bidi_classes("abc"), "rtl") == 1
        assert paragraph_level(bidi_classes("عربي"), "ltr") == 0

    def test_auto_first_strong(self):
        assert paragraph_level(bidi_classes("123 abc عربي"), "auto") == 0
        assert paragraph_level(bidi_classes("123 عربي abc"), "auto") == 1

    def test_auto_skips_isolates(self):
        # The strong L inside the isolate is skipped (P2).
        assert paragraph_level(bidi_classes(LRI + "abc" + PDI + "عربي"), "auto") == 1

    def test_auto_without_strong_falls_back_to_rtl(self):
        assert paragraph_level(bidi_classes("123 ..."), "auto") == 1

    def test_first_strong_stops_at_matching_pdi(self):
        classes = bidi_classes(FSI + "123" + PDI + "abc")
        assert first_strong_level(classes, 1, stop_at_pdi=True) is None


class TestExplicit:
    def test_embedding_and_override(self):
        text = "a" + RLE + "b" + PDF + "c" + LRO + "ب" + PDF
        levels, types = explicit_levels(bidi_classes(text), 0)
        assert levels[2] == 1  # inside RLE: next odd level
        assert levels[4] == 0
        assert levels[6] == 2 and types[6] == "L"  # LRO forces L on the Arabic letter

    def test_isolates(self):
        text = "a" + RLI + "b" + PDI + "c"
        levels, types = explicit_levels(bidi_classes(text), 0)
        assert levels == [0, 0, 1, 0, 0]

    def test_fsi_takes_direction_of_its_content(self):
        text = FSI + "عربي" + PDI
        levels, _ = explicit_levels(bidi_classes(text), 0)
        assert levels[1] == 1

    def test_overflow_is_ignored(self):
        text = RLE * 130 + "a"
        levels, _ = explicit_levels(bidi_classes(text), 0)
        assert levels[-1] <= 125

    def test_unmatched_pdf_and_pdi_ignored(self):
        levels, _ = explicit_levels(bidi_classes("a" + PDF + PDI + "b"), 1)
        assert levels == [1, 1, 1, 1]

    def test_matching_pdis(self):
        assert matching_pdis(bidi_classes(LRI + RLI + PDI + PDI + PDI)) == {1: 2, 0: 3}


class TestRunSequences:
    def test_isolate_joins_sequence_across(self):
        text = "ab" + RLI + "ج" + PDI + "cd"
        classes = bidi_classes(text)
        levels, _ = explicit_levels(classes, 0)
        seqs = isolating_run_sequences(classes, levels)
        assert [0, 1, 2, 4, 5, 6] in seqs and [3] in seqs

    def test_removed_characters_left_out(self):
        text = "a" + RLE + "b" + PDF + "c"
        classes = bidi_classes(text)
        levels, _ = explicit_levels(classes, 0)
        assert isolating_run_sequences(classes, levels) == [[0], [2], [4]]

    def test_sos_eos(self):
        text = "a" + RLE + "b" + PDF + "c"
        classes = bidi_classes(text)
        levels, _ = explicit_levels(classes, 0)
        assert sequence_bounds([2], classes, levels, 0, {}) == ("R", "R")
        assert sequence_bounds([0], classes, levels, 0, {}) == ("L", "R")


class TestWeak:
    def test_w1_nsm_follows_previous(self):
        types = ["AL", "NSM", "LRI", "NSM"]
        resolve_weak(types, "R")
        assert types[1] == "R"  # AL -> R by W3 after W1 gave AL
        assert types[3] == "ON"

    def test_w2_european_digits_after_arabic_letter_become_arabic(self):
        types = ["AL", "WS", "EN"]
        resolve_weak(types, "L")
        assert types == ["R", "WS", "AN"]

    def test_w4_separators_between_numbers(self):
        types = ["EN", "CS", "EN", "ES", "EN", "CS", "AN"]
        resolve_weak(types, "R")
        assert types[:5] == ["EN"] * 5 and types[5] == "ON"

    def test_w5_terminators_next_to_numbers(self):
        types = ["ET", "ET", "EN", "ET"]
        resolve_weak(types, "R")
        assert types == ["EN"] * 4

    def test_w7_numbers_after_l(self):
        types = ["L", "WS", "EN"]
        resolve_weak(types, "R")
        assert types[2] == "L"


class TestBrackets:
    def test_pairs_are_found_and_sorted(self):
        chars = list("(a[b)c]")
        assert bracket_pairs(chars, ["ON"] * 7) == [(0, 4)]

    def test_equivalent_angle_brackets_pair(self):
        assert bracket_pairs(["\u2329", "x", "\u3009"], ["ON", "L", "ON"]) == [(0, 2)]

    def test_guillemets_are_not_paired_brackets(self):
        # « » are mirrored (L4) but BidiBrackets.txt does not list them.
        assert bracket_pairs(["«", "x", "»"], ["ON", "L", "ON"]) == []

    def test_n0_content_matching_embedding(self):
        types = ["R", "ON", "R", "ON"]
        resolve_brackets(list("a(b)"), types, ["AL", "ON", "AL", "ON"], 1, "R")
        assert types == ["R", "R", "R", "R"]

    def test_n0_opposite_content_with_opposite_context(self):
        # RTL paragraph: "abc (def)" -> brackets take L from content and context.
        types = ["L", "ON", "L", "ON"]
        resolve_brackets(list("a(b)"), types, ["L", "ON", "L", "ON"], 1, "R")
        assert types == ["L", "L", "L", "L"]

    def test_n0_opposite_content_without_context_takes_embedding(self):
        types = ["R", "ON", "L", "ON"]
        resolve_brackets(list("ب(b)"), types, ["AL", "ON", "L", "ON"], 1, "R")
        assert types == ["R", "R", "L", "R"]


class TestNeutralsAndImplicit:
    def test_n1_between_same_direction(self):
        types = ["R", "ON", "WS", "R"]
        resolve_neutrals(types, 0, "L", "L")
        assert types == ["R", "R", "R", "R"]

    def test_n2_between_different_direction_takes_embedding(self):
        types = ["R", "WS", "L"]
        resolve_neutrals(types, 1, "R", "R")
        assert types == ["R", "R", "L"]

    def test_numbers_count_as_r(self):
        types = ["EN", "WS", "R"]
        resolve_neutrals(types, 0, "L", "L")
        assert types[1] == "R"

    def test_implicit(self):
        assert implicit_levels(["L", "R", "EN", "AN"], 0) == [0, 1, 2, 2]
        assert implicit_levels(["L", "R", "EN", "AN"], 1) == [2, 1, 2, 2]


class TestWholeParagraph:
    def test_numbers_in_arabic(self):
        assert levels_of("عام 2019 م") == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1]

    def test_removed_characters_take_previous_level(self):
        levels = levels_of("ب abc" + RLE + "x")
        assert levels[5] == levels[4] == 2
        assert levels[6] == 4

    def test_empty(self):
        assert levels_of("") == []


class TestLineRules:
    def test_l1_trailing_whitespace_and_isolates(self):
        text = "abc  " + PDI
        classes = bidi_classes(text)
        levels = [2] * len(text)
        assert line_levels(levels, l1_roles(classes), 0, len(text), 1)[0] == [2, 2, 2, 1, 1, 1]

    def test_l1_whitespace_before_tab(self):
        text = "ab \tcd"
        classes = bidi_classes(text)
        assert line_levels([2] * 6, l1_roles(classes), 0, 6, 1)[0] == [2, 2, 1, 1, 2, 2]

    def test_l1_only_on_the_line(self):
        text = "ab cd"
        classes = bidi_classes(text)
        # A line ending at "ab " resets its trailing space; the paragraph's space mid-text is not trailing.
        assert line_levels([2] * 5, l1_roles(classes), 0, 3, 1)[0] == [2, 2, 1]

    def test_l2_reorder(self):
        assert reorder([0, 0, 1, 1, 0]) == [0, 1, 3, 2, 4]
        assert reorder([1, 1, 2, 2, 1]) == [4, 2, 3, 1, 0]
        assert reorder([]) == []


@pytest.mark.parametrize("logical,visual", [
    ("النسبة 12.5% من 1,000 شخص", "صخش 1,000 نم %12.5 ةبسنلا"),
    ("عام ٢٠١٩ و ١٢٣٫٥", "١٢٣٫٥ و ٢٠١٩ ماع"),
    ("الرقم 3-4 فقط", "طقف 4-3 مقرلا"),
    ("درجة -5 اليوم", "مويلا 5- ةجرد"),
    ("تقرير (OCHA) الأخير", "ريخألا (OCHA) ريرقت"),
])
def test_cases_that_look_wrong_but_are_right(logical, visual):
    """The table of docs/rtl-rendering.md: UBA results browsers agree on (unshaped)."""
    from annotator.layout import visual_string

    assert visual_string(logical, shape=False) == visual


def stage_by_stage(text: str, para_level: int) -> list[int]:
    """Levels through the separately tested stage functions (one sequence, no explicit controls)."""
    classes = bidi_classes(text)
    types = list(classes)
    sos = "R" if para_level & 1 else "L"
    resolve_weak(types, sos)
    resolve_brackets(list(text), types, classes, para_level, sos)
    resolve_neutrals(types, para_level, sos, sos)
    return implicit_levels(types, para_level)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ابتلا\u064e\u0651aXb019٠١٢.,:+-%$#()[]«» \t!؟", max_size=40),
       st.sampled_from([0, 1]))
def test_string_fast_path_equals_the_stages(text, para_level):
    """resolve_simple (the paragraph as one sequence, on type codes) gives what the stage
    functions give when called one by one on class names."""
    assert resolve_simple(text, bidi_classes(text), para_level) == stage_by_stage(text, para_level)
