"""The speed paths of the layout engine (issue 12, aim 5) give exactly what the general paths give.

Each fast path is compared with its general path (or with the plain implementation it
replaced, kept here as the reference) on the seeds, on the shared corpora (skipped when
absent) and on generated text, including the texts each fast path must refuse.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.layout import LayoutOptions, layout_paragraph, layout_text, split_paragraphs
from annotator.layout.atoms import PreparedParagraph, mirrored_glyphs
from annotator.layout.bidi import (
    CLASS_CODE_TABLE,
    bidi_classes,
    bidi_codes,
    paragraph_level,
    paragraph_level_of_codes,
    reorder,
    resolve_levels,
    resolve_simple_codes,
)
from annotator.layout.bidi.implicit import OPENING_BRACKETS, bracket_codes, type_codes
from annotator.layout.clusters import _join_marks, _marks_join_the_letter_before
from annotator.layout.codes import SHORT, Pages
from annotator.layout.glyphs import CHAR_CODES, CONTROL_MARKERS, DOTTED_CIRCLE, REPLACEMENT, control_symbol
from annotator.layout.joins import shape_plain
from annotator.layout.shaping import joining_type, shape
from annotator.layout.unicode_data import CLOSING_BRACKETS, MIRRORS

from conftest import SEEDS, SHARED_DATA, shared_data

LETTERS = list("بتثجحلاأإآمنهويةءىكشسصضطظعغفق")
MARKS = ["\u064b", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0670"]
PIECES = (LETTERS + MARKS + ["لا", "لَا", "لًّا", "ـ", " ", "  ", "\t", "2019", "12.5", "٢٠١٩", "abc", "Word", "(", ")",
                              "[", "]", "«", "»", "<", "،", ".", "%", "-", "$", "👍", "界", "\u00a0", "\u3000", "\x1b",
                              "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u202a", "\u202b",
                              "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff",
                              "\u00ad", "\ud800", "ᠠᠡ", "ܐܒ", "\u0300"])
TEXTS = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
# Arabic with many marks (diacritized text: every cluster path)
DIACRITIZED = st.lists(st.sampled_from(LETTERS + MARKS + MARKS + [" ", "لا", "لَا", "2", "(", ")"]),
                       max_size=80).map("".join)
OPTIONS = st.builds(LayoutOptions, st.sampled_from([1, 4, 10, 80]), st.sampled_from(["rtl", "ltr", "auto"]),
                    st.booleans(), st.booleans())


def paragraphs(text: str) -> list[str]:
    return [text[p.start:p.end] for p in split_paragraphs(text) if p.end > p.start]


def seeds() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))


def corpus(path: str, limit: int = 150) -> list[str]:
    return paragraphs(shared_data(path).read_text(encoding="utf-8"))[:limit]


def assert_same_layout(text: str, options: LayoutOptions) -> None:
    fast = layout_paragraph(text, options, offset=3, paragraph=1)
    general = layout_paragraph(text, replace(options, fast_paths=False), offset=3, paragraph=1)
    assert fast == general, text
    assert [line._columns for line in fast] == [line._columns for line in general], text


def prepared_fields(par: PreparedParagraph) -> tuple[object, ...]:
    return (par.para_level, par.levels, par.shaped, par.atom_starts, list(par.atom_widths), list(par.atom_spaces),
            par.atom_glyphs, par.atom_rtl_glyphs, list(par.atom_levels), list(par.atom_roles), par.has_separators,
            par.has_complex)


# -- whole paragraphs: every fast path at once ------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, options=OPTIONS)
def test_generated_paragraphs_are_laid_out_as_by_the_general_paths(text, options):
    assert_same_layout(text, options)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DIACRITIZED, width=st.sampled_from([3, 12, 80]))
def test_diacritized_paragraphs_are_prepared_as_by_the_general_paths(text, width):
    options = LayoutOptions(width)
    assert prepared_fields(PreparedParagraph(text, options)) == \
        prepared_fields(PreparedParagraph(text, replace(options, fast_paths=False)))
    assert_same_layout(text, options)


@pytest.mark.parametrize("direction", ["rtl", "ltr", "auto"])
def test_an_empty_paragraph_is_what_the_general_path_makes(direction):
    assert_same_layout("", LayoutOptions(20, direction=direction))


def test_seeds_at_every_width():
    text = seeds()
    for width in (7, 20, 80):
        for direction in ("rtl", "auto"):
            options = LayoutOptions(width, direction=direction)
            assert layout_text(text, options) == layout_text(text, replace(options, fast_paths=False))


@pytest.mark.parametrize("path", ["diacritics_wikinews/WikiNewsTruth.txt", "diacritics_tashkeela/val_lines1-300.txt",
                                  "claims_checkthat2022_ar/CT22_arabic_1A_checkworthy_train_first300.tsv"])
def test_shared_corpora(path):
    for text in corpus(path):
        for width in (20, 80):
            options = LayoutOptions(width)
            assert layout_paragraph(text, options) == layout_paragraph(text, replace(options, fast_paths=False))


# -- codes by pages ------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES + ["é", "ß", "Ω", "ж", "—", "\u2029", "\U0001f600", "\udfff"]),
                     max_size=40).map("".join))
def test_codes_by_pages_are_those_of_str_translate(text):
    text = text * (1 + SHORT // max(1, len(text)))  # past the length str.translate takes alone
    pages = Pages(text)
    for table in (CLASS_CODE_TABLE,):
        assert pages.codes(table) == text.translate(table).encode("latin-1")
    assert pages.codes(CLASS_CODE_TABLE).decode("latin-1") == bidi_codes(text)
    for show in (False, True):
        from annotator.layout.atoms import _DRAW_CODES

        assert pages.codes(_DRAW_CODES[show]) == text.translate(CHAR_CODES[show]).encode("latin-1")


def test_each_way_of_cutting_a_paragraph_is_taken():
    arabic = "قال المتحدث (John) إن 2,500 شخص حضروا، وَقَالَ: لا" * 3
    assert Pages(arabic).single is not None  # Windows-1256: one byte each
    wide = arabic + "界" + "٢٠١٩"
    assert Pages(wide).single is None and Pages(wide).low is not None  # UTF-16 pages
    for text in (arabic, wide):
        assert Pages(text).codes(CLASS_CODE_TABLE).decode("latin-1") == bidi_codes(text)


def test_a_paragraph_is_encoded_once_for_its_codes_and_its_shapes(monkeypatch):
    """Shaping picks its forms from the paragraph's ``Pages`` (encoded there once): a paragraph
    Windows-1256 refuses is not offered to it again, and the forms are those picked one by one."""
    from operator import getitem

    import annotator.layout.codes as codes_module
    import annotator.layout.joins as joins_module

    tried = []
    real = codes_module.charmap_encode

    def counting(text, *args):
        tried.append(text)
        return real(text, *args)

    monkeypatch.setattr(codes_module, "charmap_encode", counting)
    monkeypatch.setattr(joins_module, "charmap_encode", counting, raising=False)  # where it was tried again
    for text in ("قال المتحدث إن الوزير وصل إلى العاصمة" * 3, "قال المتحدث 界 إن الوزير وصل إلى العاصمة" * 3):
        tried.clear()
        par = PreparedParagraph(text, LayoutOptions(width=40))
        assert tried == [text] and par.shaped is not None
    sides = bytes(i % 4 for i in range(len(text)))
    assert joins_module._forms_of(text, sides, Pages(text)) == \
        list(map(getitem, map(joins_module._FORMS_BY_CHAR.__getitem__, text), sides))


def test_pages_refuse_what_utf16_cannot_split():
    for text in ("a\U0001f600b", "ب\ud800", "\udc00", "short"):
        text = text * (SHORT // 5) if text != "short" else text
        pages = Pages(text)
        assert pages.low is None and (pages.single is None or text == "short")  # str.translate instead
        assert pages.codes(CLASS_CODE_TABLE).decode("latin-1") == bidi_codes(text)


# -- UAX #9 --------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(text=TEXTS, direction=st.sampled_from(["rtl", "ltr", "auto"]))
def test_paragraph_level_from_codes(text, direction):
    assert paragraph_level_of_codes(bidi_codes(text), direction) == paragraph_level(bidi_classes(text), direction)


RTL_ONLY = st.lists(st.sampled_from(LETTERS + MARKS + [" ", "(", ")", "«", "»", "،", ".", "%", "-", "$", "\t"]),
                    max_size=60).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=RTL_ONLY)
def test_a_right_to_left_paragraph_without_ltr_or_numbers_is_at_one_level(text):
    """The shortcut of resolve_simple_codes, against X1–I2 in full."""
    levels = resolve_simple_codes(text, bidi_codes(text), 1)
    assert levels == resolve_levels(text, bidi_classes(text), 1, fast_paths=False)
    assert set(levels) <= {1}


@pytest.mark.parametrize("text", ["كتب 12 كلمة", "كتب abc كلمة", "كتب ١٢ كلمة", "(abc)", "كتب"])
@pytest.mark.parametrize("level", [0, 1])
def test_the_one_level_shortcut_refuses_numbers_ltr_and_even_paragraphs(text, level):
    assert resolve_simple_codes(text, bidi_codes(text), level) == \
        resolve_levels(text, bidi_classes(text), level, fast_paths=False)


def reference_brackets(chars: list[str], types: list[str], original: list[str], level: int, sos: str) -> None:
    """N0 as it was written before the speed work (class names, one character at a time)."""
    stack: list[tuple[str, int]] = []
    pairs = []
    for k, ch in enumerate(chars):
        if types[k] != "ON":
            continue
        if ch in OPENING_BRACKETS:
            if len(stack) == 63:
                break
            stack.append((OPENING_BRACKETS[ch], k))
        elif ch in CLOSING_BRACKETS:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == CLOSING_BRACKETS[ch]:
                    pairs.append((stack[depth][1], k))
                    del stack[depth:]
                    break
    pairs.sort()

    def strong(t: str) -> str | None:
        return "L" if t == "L" else "R" if t in ("R", "EN", "AN") else None

    embedding = "R" if level & 1 else "L"
    opposite = "L" if embedding == "R" else "R"
    for open_k, close_k in pairs:
        found_opposite = False
        resolved = None
        for k in range(open_k + 1, close_k):
            d = strong(types[k])
            if d == embedding:
                resolved = embedding
                break
            if d == opposite:
                found_opposite = True
        if resolved is None:
            if not found_opposite:
                continue
            context = sos
            for k in range(open_k - 1, -1, -1):
                d = strong(types[k])
                if d is not None:
                    context = d
                    break
            resolved = opposite if context == opposite else embedding
        for k in (open_k, close_k):
            types[k] = resolved
            m = k + 1
            while m < len(types) and original[m] == "NSM":
                types[m] = resolved
                m += 1


BRACKETED = st.lists(st.sampled_from(["(", ")", "[", "]", "{", "}", "«", "»", "a", "ب", "1", " ", "\u064e", "!"]),
                     max_size=40).map("".join)
RESOLVED = st.lists(st.sampled_from(["L", "R", "EN", "AN", "ON", "WS"]), min_size=40, max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=BRACKETED, resolved=RESOLVED, level=st.sampled_from([0, 1, 2]), sos=st.sampled_from(["L", "R"]))
def test_brackets_on_codes_are_n0_as_before(text, resolved, level, sos):
    original = bidi_classes(text)
    # brackets stay ON (as after W1–W7), the rest any resolved type
    types = ["ON" if cls == "ON" else resolved[k] for k, cls in enumerate(original)]
    expected = list(types)
    reference_brackets(list(text), expected, original, level, sos)
    codes = bracket_codes(text, type_codes(types), type_codes(original), level, sos)
    assert codes == type_codes(expected)


def reference_reorder(levels: list[int]) -> list[int]:
    """L2 as written before: run by run, on the levels as reordered so far."""
    order = list(range(len(levels)))
    if not levels:
        return order
    for level in range(max(levels), (min(levels) | 1) - 1, -1):
        k = 0
        while k < len(order):
            if levels[order[k]] >= level:
                end = k
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[k:end] = order[k:end][::-1]
                k = end
            else:
                k += 1
    return order


@settings(max_examples=400, deadline=None)
@given(levels=st.lists(st.integers(0, 7), max_size=40))
def test_reorder_by_slices_is_l2(levels):
    assert reorder(levels) == reference_reorder(levels)


# -- atoms -----------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(TEXTS, DIACRITIZED), direction=st.sampled_from(["rtl", "ltr"]))
def test_marks_joined_in_bulk_as_one_by_one(text, direction):
    if not text:
        return
    codes = bidi_codes(text).encode("latin-1")  # as PreparedParagraph.class_bytes
    level = 1 if direction == "rtl" else 0
    levels = resolve_levels(text, bidi_classes(text), level)
    general = bytearray(len(text))
    _join_marks(codes, levels, level, general)
    fast = bytearray(len(text))
    if _marks_join_the_letter_before(codes, levels, fast):
        assert fast == general, text
    else:
        assert fast == bytearray(len(text))  # refused: untouched


class _NotEncoded(str):
    """Class codes that must not be encoded back to bytes (they come as bytes: ``class_bytes``)."""

    def encode(self, *args, **kwargs):  # type: ignore[override]
        raise AssertionError("class codes decoded to a str and encoded back")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(TEXTS, DIACRITIZED), options=OPTIONS)
def test_class_codes_are_looked_up_once_as_bytes_and_never_encoded_back(text, options):
    """``PreparedParagraph`` keeps the class codes as ``codes.Pages`` gives them (bytes, for the atoms'
    work: ``clusters.atom_starts``, L1 roles) and decoded once (a str, for the bidi rules' regular
    expressions); nothing turns the str back into bytes."""
    from annotator.layout.clusters import atom_starts

    par = PreparedParagraph(text, options)
    assert par.class_bytes == Pages(text).codes(CLASS_CODE_TABLE) and par.codes == bidi_codes(text)
    want = (list(par.atom_levels), bytes(par.atom_roles))
    again = PreparedParagraph(text, options)
    again.codes = _NotEncoded(again.codes)
    assert (list(again.atom_levels), bytes(again.atom_roles)) == want
    starts = atom_starts(text, par.class_bytes, par.levels, par.shaped, par.para_level,
                         fast=options.fast_paths)[0]
    assert starts == par.atom_starts


def test_marks_in_bulk_refuse_a_leading_mark_a_tab_and_a_level_change():
    for text in ("\u064eبت", "ب\t\u064e", "a\u064eب\u202b\u064e"):
        codes = bidi_codes(text).encode("latin-1")
        levels = resolve_levels(text, bidi_classes(text), 1)
        assert not _marks_join_the_letter_before(codes, levels, bytearray(len(text)))


def test_nothing_drawn_for_a_character_mirrors_unless_the_character_does():
    """Why mirrored_glyphs may look at the text only: shaped letters, control symbols and
    markers never mirror."""
    drawn = [*CONTROL_MARKERS.values(), DOTTED_CIRCLE, REPLACEMENT, "\u25c7", "\u2370", "\u2421",
             *(control_symbol(chr(c)) for c in [*range(0x20), 0x7f, *range(0x80, 0xa0)]),
             *(chr(c) for c in range(0xfb50, 0xfe00)), *(chr(c) for c in range(0xfe70, 0xff00))]
    assert not set(drawn) & set(MIRRORS)
    glyphs: list[str | None] = ["(", "ب", None, "a"]
    assert mirrored_glyphs(glyphs, text="(بa") == mirrored_glyphs(glyphs, fast=False)


# -- shaping ------------------------------------------------------------------------------
def shaped_both(text: str, direction: str = "rtl") -> tuple[object, list[str | None]]:
    classes = bidi_classes(text)
    level = {"rtl": 1, "ltr": 0}[direction]
    levels = resolve_levels(text, classes, level)
    joining = "".join(map(joining_type, text))
    return shape_plain(text, joining, levels), shape(text, levels, classes)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(TEXTS, DIACRITIZED), direction=st.sampled_from(["rtl", "ltr"]))
def test_shaping_in_bulk_is_shape(text, direction):
    plain, general = shaped_both(text, direction)
    if plain is not None:
        out, consumed = plain
        assert out == general, text
        assert consumed == [i for i, g in enumerate(general) if g is None]
    levels = resolve_levels(text, bidi_classes(text), {"rtl": 1, "ltr": 0}[direction])
    if levels and levels.count(levels[0]) == len(levels):  # the one-level variant gives the same
        assert shape_plain(text, "".join(map(joining_type, text)), levels, one_level=True) == plain


def test_shaping_in_bulk_refuses_zwj_and_letters_forced_left_to_right():
    assert shaped_both("ب\u200dت")[0] is None
    assert shaped_both("\u202dبت\u202c")[0] is None  # LRO: the letters at an even level
    assert shaped_both("بَت لَا")[0] is not None  # marks are fine


def test_shaping_in_bulk_on_the_seeds_and_corpora():
    texts = paragraphs(seeds())
    for path in ("diacritics_wikinews/WikiNewsTruth.txt", "diacritics_tashkeela/val_lines1-300.txt"):
        if (SHARED_DATA / path).exists():
            texts += paragraphs((SHARED_DATA / path).read_text(encoding="utf-8"))[:200]
    taken = 0
    for text in texts:
        plain, general = shaped_both(text)
        if plain is not None:
            taken += 1
            assert plain[0] == general, text[:60]
    assert taken >= len(texts) * 0.9  # the fast path is the common one


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES + [chr(0x100 * page + 0x41) for page in range(1, 40)]),
                     max_size=50).map("".join), data=st.data())
def test_forms_by_page_ids_are_the_forms_by_character(text, data):
    """_forms_of (ids of page, side and low byte, one itemgetter) against the forms picked one by one,
    also past 14 pages and with surrogates (both refused: picked one by one)."""
    from operator import getitem

    from annotator.layout.joins import _FORMS_BY_CHAR, _forms_of

    text = text * data.draw(st.sampled_from([1, 5]))  # short texts are picked one by one anyway
    sides = bytes(data.draw(st.lists(st.integers(0, 3), min_size=len(text), max_size=len(text))))
    assert _forms_of(text, sides) == list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_without_marks_and_tabs_every_atom_is_one_cell(text):
    """The shortcut of measure_atoms (no NSM, no mark, no tab: only lam-alefs join) never
    takes a paragraph that _every_atom_one_cell would refuse."""
    from annotator.layout.atoms import _DRAW_CODES, _every_atom_one_cell
    from annotator.layout.clusters import atom_starts
    from annotator.layout.glyphs import KIND_OF_CODE

    par = PreparedParagraph(text, LayoutOptions(20))
    codes = par.pages.codes(_DRAW_CODES[False])
    kinds = codes.translate(KIND_OF_CODE)
    _, joined, consumed = atom_starts(text, par.class_bytes, par.levels, par.shaped, par.para_level)
    if joined is not None and "m" not in par.codes and b"\x02" not in kinds and b"\x05" not in kinds:
        assert _every_atom_one_cell(kinds, joined, consumed)


@pytest.mark.parametrize("mark", ["\u0cbf", "\u0cc6", "\u064e"])  # Mn of class L (Kannada), NSM
def test_a_mark_of_another_class_between_lam_and_alef(mark):
    """A mark that is not NSM still joins a lam-alef's cluster: the lam-alef shortcuts must see it."""
    for text in ("قال" + "ل" + mark + "ا" + " كتب", "ل" + mark + "ا" + "بت" * 40):
        for width in (3, 80):
            assert_same_layout(text, LayoutOptions(width))


# -- scans for any of a few codes: ``in`` per code, or one ``bytes.translate``, not a class search --
@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_scans_for_a_set_of_codes_find_what_a_class_search_finds(text):
    """``bidi.levels.holds_any`` (the one-level shortcut's test for L, EN, AN; ``has_explicit``) and the
    test for characters not drawn as themselves (``atoms._char_glyphs``) answer as the character-class
    searches they replaced (kept here), on every kind of character the engine meets."""
    import re

    from annotator.layout.atoms import _DRAW_CODES
    from annotator.layout.bidi.levels import _EXPLICIT_CODES, _LTR_OR_NUMBER, has_explicit, holds_any
    from annotator.layout.glyphs import NOT_ITSELF_OF_CODE

    codes = bidi_codes(text)
    assert holds_any(codes, _LTR_OR_NUMBER) == bool(re.search("[LEN]", codes))
    assert has_explicit(codes) == bool(re.search(f"[{re.escape(_EXPLICIT_CODES)}]", codes))
    assert len(_EXPLICIT_CODES) == 10 and not holds_any(codes, "")
    pages = Pages(text)
    for show in (False, True):
        drawn = pages.codes(_DRAW_CODES[show])
        flags = drawn.translate(NOT_ITSELF_OF_CODE)
        assert [i for i in range(len(flags)) if flags[i]] == [m.start() for m in re.finditer(b"[\x00-\x3f]", drawn)]
