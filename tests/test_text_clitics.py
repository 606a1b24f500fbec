"""Proclitic edges: hints where a span edge may move to exclude و ف ب ل ك / ال / لل."""

import pytest

from annotator.text import Token, proclitic_edges, tokenize


def prefixes(word: str) -> list[str]:
    """The text before each proposed edge of ``word`` tokenized inside a sentence."""
    text = f"قال {word} أمس"
    tok = tokenize(text)[1]
    assert tok.text == word
    assert proclitic_edges(text, tok) == tok.clitic_edges
    return [text[tok.start:e] for e in tok.clitic_edges]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("والحكومة", ["و", "وال"]),
        ("بالكامل", ["ب", "بال"]),
        ("للأمم", ["لل"]),
        ("وللأمم", ["و", "ولل"]),
        ("الحكومة", ["ال"]),
        ("فالأمر", ["ف", "فال"]),
        ("كالبحر", ["ك", "كال"]),
        ("وبالكامل", ["و", "وب", "وبال"]),
        ("لسوريا", ["ل"]),
        ("وسوريا", ["و"]),
        ("و2013", ["و"]),
        # an honest hint list: وزير is not و + زير, but the edge is offered
        ("وزير", ["و"]),
    ],
)
def test_edges_on_real_words(word, expected):
    assert prefixes(word) == expected


@pytest.mark.parametrize("word", ["بل", "ول", "لله", "في", "من", "قسد", "Trump", "2019"])
def test_no_edge_when_less_than_two_letters_remain_or_no_clitic(word):
    assert prefixes(word) == []


def test_harakat_tatweel_and_marks_stay_with_the_clitic_letter():
    assert prefixes("وَالْحُكُومَةُ") == ["وَ", "وَالْ"]
    assert prefixes("بـالكامل") == ["بـ", "بـال"]
    assert prefixes("لِلْأُمَمِ") == ["لِلْ"]


def test_leading_bidi_mark_is_skipped():
    assert prefixes("\u200fوالحكومة") == ["\u200fو", "\u200fوال"]


def test_edges_are_absolute_and_strictly_inside():
    text = "😀 والحكومة"
    tok = tokenize(text)[1]
    assert tok.clitic_edges == (3, 5)  # the emoji is one code point
    assert all(tok.start < e < tok.end for e in tok.clitic_edges)


def test_proclitic_edges_rejects_a_token_from_another_text():
    with pytest.raises(ValueError):
        proclitic_edges("والحكومة", Token(0, 5, "بالكا", "word"))


def test_presentation_form_letters_are_recognised():
    # ﻭﺍﻟﺤﻜﻮﻣﺔ: و ا ل written with Arabic presentation forms (as in some PDFs)
    assert prefixes("ﻭﺍﻟﺤﻜﻮﻣﺔ") == ["ﻭ", "ﻭﺍﻟ"]
