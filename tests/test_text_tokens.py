"""Tokens: camel-tools splits, aligned back to exact code-point offsets."""

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.text import Token, tokenize
from annotator.text import tokens as tokens_module

# Characters that have tripped tokenizers: harakat, tatweel, bidi controls,
# ZWJ/ZWNJ, emoji parts, CR/LF, Arabic-Indic digits, Arabic punctuation,
# a lone surrogate, Unicode spaces, presentation forms, Latin.
TRICKY = (
    "والحكومةأحمدإىةلل"
    "\u064e\u064b\u0651\u0652\u0670\u0653"
    "\u0640"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200d\u200c\u200b\ufeff"
    "😀👍🏽\U0001F1F8\U0001F1E6\ufe0f\u20e3#*"
    "\r\n\t \u00a0\u2028\u2029\x85\x1c\u3000"
    "0123456789٠١٢٣٤٥٦٧٨٩۴٫٬"
    ".,!?؟،؛…:;\"'«»()[]-_/"
    "\ud800"
    "ﺁﻻ"
    "abcXYZé"
)

texts = st.one_of(
    st.text(alphabet=st.sampled_from(TRICKY), max_size=80),
    st.text(max_size=60),
)


def assert_faithful(text: str, toks: list[Token]) -> None:
    """Exact slices, in order, every non-space character in one token, and no
    edge between two touching tokens falls inside a grapheme cluster."""
    bounds = {m.end() for m in regex.finditer(r"\X", text)}
    for a, b in zip(toks, toks[1:], strict=False):
        if a.end == b.start:
            assert a.end in bounds, (a, b)
    covered = [0] * len(text)
    prev_end = 0
    for tok in toks:
        assert prev_end <= tok.start < tok.end <= len(text)
        assert text[tok.start:tok.end] == tok.text
        assert tok.kind in {"word", "number", "punct", "symbol", "other"}
        assert all(tok.start < e < tok.end for e in tok.clitic_edges)
        assert list(tok.clitic_edges) == sorted(set(tok.clitic_edges))
        for i in range(tok.start, tok.end):
            covered[i] += 1
        prev_end = tok.end
    for i, ch in enumerate(text):
        assert covered[i] == (0 if ch.isspace() else 1), (i, ch)


@settings(max_examples=400)
@given(texts)
def test_tokens_cover_every_non_space_character_exactly_once(text):
    assert_faithful(text, tokenize(text))


def _spans(text):
    return [(t.text, t.kind) for t in tokenize(text)]


def test_punctuation_is_split_like_camel_tools_and_never_rejoined():
    assert _spans("2019.") == [("2019", "number"), (".", "punct")]
    assert _spans("قال، ثم") == [("قال", "word"), ("،", "punct"), ("ثم", "word")]
    assert [t.text for t in tokenize("12.5")] == ["12", ".", "5"]
    assert [t.text for t in tokenize("١٢٣٫٥")] == ["١٢٣", "٫", "٥"]


def test_offsets_are_code_points_after_emoji_and_crlf():
    text = "😀 قال\r\nأَحْمَد 👍🏽."
    toks = tokenize(text)
    assert [(t.text, t.kind) for t in toks] == [
        ("😀", "symbol"), ("قال", "word"), ("أَحْمَد", "word"), ("👍🏽", "symbol"), (".", "punct"),
    ]
    assert toks[2].start == text.index("أ")
    assert_faithful(text, toks)


def test_harakat_tatweel_and_inner_bidi_marks_stay_in_the_word():
    for word in ["وَالْحُكُومَةُ", "احـــمد", "كلمة\u200fكلمة", "ab\u200ecd", "لا\u200dإله", "\u2067نص\u2069"]:
        toks = tokenize(f"قبل {word} بعد")
        assert [t.text for t in toks] == ["قبل", word, "بعد"]
        assert toks[1].kind == "word"


def test_standalone_invisible_and_emoji_tokens_are_kept():
    assert _spans("أ \u200f ب") == [("أ", "word"), ("\u200f", "other"), ("ب", "word")]
    assert _spans("👨\u200d👩\u200d👧 1️⃣ 🇸🇦") == [
        ("👨\u200d👩\u200d👧", "symbol"), ("1️⃣", "symbol"), ("🇸🇦", "symbol"),
    ]


def test_latin_url_hashtag_and_mixed_tokens():
    assert [t.text for t in tokenize("#حكومه_قطر")] == ["#", "حكومه", "_", "قطر"]
    assert _spans("و2013 COVID-19") == [
        ("و2013", "word"), ("COVID", "word"), ("-", "punct"), ("19", "number"),
    ]


def test_word_tokens_carry_clitic_edges():
    text = "قال والحكومة"
    tok = tokenize(text)[1]
    assert [text[tok.start:e] for e in tok.clitic_edges] == ["و", "وال"]


def test_characters_the_tokenizer_drops_or_alters_are_still_covered(monkeypatch):
    """If camel-tools ever drops or rewrites characters, they get attached, not lost."""
    def lossy(run, split_digits=False):
        return [p for p in run.replace("\u200f", "").replace("X", "Y").split("-") if p]

    monkeypatch.setattr(tokens_module, "simple_word_tokenize", lossy)
    tokens_module._analyse_run.cache_clear()
    try:
        text = "\u200fاب-جد\u200f X-قال\u200f"
        toks = tokenize(text)
        assert_faithful(text, toks)
        assert [t.text for t in toks] == ["\u200fاب-", "جد\u200f", "X-قال\u200f"]
    finally:
        tokens_module._analyse_run.cache_clear()


def test_a_cut_inside_a_grapheme_cluster_is_merged_back():
    assert _spans("قال.\u064e ثم") == [("قال", "word"), (".\u064e", "punct"), ("ثم", "word")]
    assert _spans("😀\u200d😀") == [("😀\u200d😀", "symbol")]
    assert _spans("\u064eقال") == [("\u064eقال", "word")]
