"""Search normalization (camel-tools) and search answered in original offsets."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.text import normalize_for_search, normalized_with_map, search


def is_mark(ch):
    return unicodedata.category(ch) in ("Mn", "Me")


def found(text, query):
    return [text[s.start:s.end] for s in search(text, query)]


def test_ahmad_matches_alef_forms_harakat_and_tatweel():
    text = "قال أحمد ثم إحمد و أَحْمَد و احـــمد و آحمد."
    assert found(text, "احمد") == ["أحمد", "إحمد", "أَحْمَد", "احـــمد", "آحمد"]
    assert found(text, "أَحْمَد") == found(text, "احمد")


def test_match_keeps_the_harakat_of_its_last_letter():
    text = "محمدٌ وأحمدُ."
    assert found(text, "احمد") == ["أحمدُ"]


def test_alef_maksura_teh_marbuta_and_digits():
    text = "على مستشفى المدرسة عام ٢٠١٩"
    assert found(text, "علي") == ["على"]
    assert found(text, "مستشفي") == ["مستشفى"]
    assert found(text, "المدرسه") == ["المدرسة"]
    assert found(text, "2019") == ["٢٠١٩"]


def test_bidi_controls_and_joiners_are_ignored_inside_matches_not_included_outside():
    text = "\u200fأحم\u200dد\u200f"
    spans = search(text, "احمد")
    assert [(s.start, s.end) for s in spans] == [(1, 6)]


def test_spans_never_cut_a_letter_from_its_marks():
    assert found("cafe\u0301 قال", "cafe") == ["cafe\u0301"]
    assert found("ab\u0301c", "\u0301c") == ["b\u0301c"]


def test_latin_is_case_insensitive():
    assert found("قال Trump و TRUMP", "trump") == ["Trump", "TRUMP"]


def test_empty_query_or_query_of_only_marks_finds_nothing():
    assert search("أحمد", "") == []
    assert search("أحمد", "\u064e\u0640") == []


def test_normalize_for_search_uses_camel_tools_rules():
    assert normalize_for_search("أَحْمَدُ إلى مدرسةٍ") == "احمد الي مدرسه"
    assert normalize_for_search("احـــمد\u200f") == "احمد"


def test_stored_text_is_never_changed():
    text = "وَالْحُكُومَةُ"
    copy = str(text)
    search(text, "الحكومه")
    assert text == copy


@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from("احمدأإآٱىيةه\u064e\u0651\u0640\u200f\u200d ﻻلaA٢2\u0301"), max_size=40),
    st.text(alphabet=st.sampled_from("احمدأىةلaA2\u064e\u0301"), min_size=1, max_size=4),
)
def test_every_hit_slices_the_original_and_normalizes_to_contain_the_query(text, query):
    norm, origin = normalized_with_map(text)
    assert len(norm) == len(origin)
    assert origin == sorted(origin)
    needle = normalize_for_search(query)
    prev_end = 0
    for span in search(text, query):
        assert prev_end <= span.start < span.end <= len(text)
        assert not is_mark(text[span.start]) or span.start == 0 or text[span.start - 1].isspace()
        assert span.end == len(text) or not is_mark(text[span.end])
        assert needle in normalize_for_search(text[span.start:span.end])
        prev_end = span.end
    if needle:
        assert len(search(text, query)) >= (1 if needle in norm else 0)


def test_whitespace_in_a_query_matches_any_whitespace_run():
    text = "قوات\u00a0سوريا ثم قوات  \u200f سوريا ثم قوات\r\nسوريا"
    assert found(text, " قوات سوريا ") == ["قوات\u00a0سوريا", "قوات  \u200f سوريا", "قوات\r\nسوريا"]
    assert normalize_for_search("أ \t\u200f  ب") == "ا ب"


def test_presentation_forms_match_plain_letters():
    text = "قرأ ﻭﺍﻟﺤﻜﻮﻣﺔ في مرﺁة"  # presentation forms, as in Wojood's مرﺁة (U+FE81)
    assert found(text, "والحكومة") == ["ﻭﺍﻟﺤﻜﻮﻣﺔ"]
    assert found(text, "مرآة") == ["مرﺁة"]
    assert normalize_for_search("\ufdfd") == "بسم الله الرحمن الرحيم"
