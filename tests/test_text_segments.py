"""Sentences and paragraphs as spans of the untouched text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.text import TextSpan, line_spans, paragraphs, sentences

ALPHABET = "قال أحمد ١٢٣٫٥ 12.5 1,000 t.co .!?؟…،\"”»)(\u200f\u2069\u064e\u0640😀\n\r\u2029\u2028\x85\t  "
LINE_BREAKS = "\n\r\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"  # what str.splitlines breaks at
PARAGRAPH_BREAKS = "\n\r\u2029"  # what annotator.layout splits paragraphs at


def pieces(text, spans):
    return [text[s.start:s.end] for s in spans]


def test_terminators_end_sentences_but_not_numbers():
    text = "بلغ 12.5 و ١٢٣٫٥ و 1,000 و 3.14 دولار. هل قال؟ نعم! لماذا? ربما… انتهى... ثم"
    assert pieces(text, sentences(text)) == [
        "بلغ 12.5 و ١٢٣٫٥ و 1,000 و 3.14 دولار.",
        "هل قال؟",
        "نعم!",
        "لماذا?",
        "ربما…",
        "انتهى...",
        "ثم",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = "قال: «انتهى.» ثم (نعم؟) و”لا!” أخيرا"
    assert pieces(text, sentences(text)) == ["قال: «انتهى.»", "ثم (نعم؟)", "و”لا!”", "أخيرا"]


def test_line_breaks_end_sentences_and_make_paragraphs():
    text = "  سطر أول\r\nسطر ثان. وثالث\r\n\r\n\u2029 عنوان \rأخير\n"
    assert pieces(text, sentences(text)) == ["سطر أول", "سطر ثان.", "وثالث", "عنوان", "أخير"]
    assert pieces(text, paragraphs(text)) == ["سطر أول", "سطر ثان. وثالث", "عنوان", "أخير"]


def test_line_separator_ends_a_sentence_but_not_the_paragraph():
    text = "سطر\u2028تابع\x85ثالث"
    assert pieces(text, sentences(text)) == ["سطر", "تابع", "ثالث"]
    assert pieces(text, paragraphs(text)) == [text]


def test_crlf_is_one_break_and_offsets_count_both_characters():
    text = "أ\r\nب"
    assert line_spans(text) == [TextSpan(0, 1), TextSpan(3, 4)]
    assert paragraphs(text) == [TextSpan(0, 1), TextSpan(3, 4)]


def test_leading_ellipsis_does_not_make_an_empty_sentence():
    text = "...ثم قال. لا"
    assert pieces(text, sentences(text)) == ["...ثم قال.", "لا"]


def test_url_dots_do_not_split():
    text = "شاهد https://t.co/B3Bx الآن"
    assert pieces(text, sentences(text)) == [text]


def test_empty_and_blank_texts_have_no_spans():
    for text in ["", "   ", "\r\n\n\u2029"]:
        assert sentences(text) == []
        assert paragraphs(text) == []


def assert_partition(text, spans, breaks):
    """Spans are ordered, disjoint, trimmed, hold no break and cover every non-space character."""
    covered = [0] * len(text)
    prev = 0
    for span in spans:
        assert prev <= span.start < span.end <= len(text)
        assert not text[span.start].isspace() and not text[span.end - 1].isspace()
        assert not any(ch in breaks for ch in text[span.start:span.end])
        for i in range(span.start, span.end):
            covered[i] = 1
        prev = span.end
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))


@settings(max_examples=300)
@given(st.one_of(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80), st.text(max_size=50)))
def test_sentences_and_paragraphs_partition_the_non_space_text(text):
    sents = sentences(text)
    paras = paragraphs(text)
    assert_partition(text, sents, LINE_BREAKS)
    assert_partition(text, paras, PARAGRAPH_BREAKS)
    for s in sents:
        assert sum(p.start <= s.start and s.end <= p.end for p in paras) == 1
