"""The layout engine against GNU FriBidi (through ctypes), an implementation we did not write.

Every paragraph of the seeds and of the shared corpora, at widths 20, 40, 80 and 120: FriBidi
resolves the paragraph once and reorders each of *our* lines (same breaks) with
FRIBIDI_FLAG_REORDER_NSM; the cells must come out in the same order, with the same mirroring
and the same shaping (FriBidi's own shaping), with zero differences. Where FriBidi 1.0.8
itself deviates from UAX #9 (see ``fribidi_oracle.known_deviation``) the paragraph may differ,
and the deliberate differences are each pinned down below with the reason.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.layout import LayoutOptions, layout_paragraph, split_paragraphs
from annotator.layout.bidi import bidi_classes, l1_roles, line_levels, paragraph_level, resolve_levels

import fribidi_oracle as oracle

pytestmark = pytest.mark.fribidi

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
WIDTHS = (20, 40, 80, 120)


@pytest.fixture(autouse=True)
def _need_fribidi():
    oracle.require()


def check_paragraph(text: str, width: int, *, shaped: bool = True, show_controls: bool = False,
                    direction: str = "rtl") -> list[str]:
    """Differences with FriBidi for one paragraph; those FriBidi explains by its own bugs pass."""
    lines = layout_paragraph(text, LayoutOptions(width, direction=direction, shape=shaped,
                                                 show_controls=show_controls))
    problems = oracle.compare_lines(text, lines, direction, shaped=shaped)
    if problems and oracle.known_deviation(text):
        return []
    return problems


def check_corpus(paragraphs: list[str], widths=WIDTHS, **kw) -> None:
    failures = []
    for text in paragraphs:
        for width in widths:
            problems = check_paragraph(text, width, **kw)
            if problems:
                failures.append(f"width {width}: {text[:60]!r}: {problems[:2]}")
    assert not failures, f"{len(failures)} differences with FriBidi:\n" + "\n".join(failures[:10])


def paragraphs_of(text: str) -> list[str]:
    return [text[p.start:p.end] for p in split_paragraphs(text) if p.end > p.start]


def shared(path: str) -> Path:
    full = SHARED / path
    if not full.exists():
        pytest.skip(f"../shared/data/{path} is absent (shared test data not available here)")
    return full


# -- corpora --------------------------------------------------------------------------------
def test_seeds():
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    assert seeds, "the repository's seeds/ folder is empty"
    paragraphs = [p for f in seeds for p in paragraphs_of(f.read_text(encoding="utf-8"))]
    check_corpus(paragraphs)
    check_corpus(paragraphs, widths=(40,), shaped=False)


@pytest.mark.shared
def test_wikinews_fully_diacritized():
    check_corpus(paragraphs_of(shared("diacritics_wikinews/WikiNewsTruth.txt").read_text(encoding="utf-8")))


@pytest.mark.shared
def test_tashkeela():
    check_corpus(paragraphs_of(shared("diacritics_tashkeela/val_lines1-300.txt").read_text(encoding="utf-8")))


def wojood_sentences() -> list[str]:
    sentences = []
    for name in ("wojood_val.txt", "wojood_train_first150sent.txt", "wojood_train_edgecases.txt"):
        tokens: list[str] = []
        for line in shared(f"ner_wojood/{name}").read_text(encoding="utf-8").split("\n"):
            if line.strip():
                tokens.append(line.split(" ")[0])
            elif tokens:
                sentences.append(" ".join(tokens))
                tokens = []
        if tokens:
            sentences.append(" ".join(tokens))
    return sentences


@pytest.mark.shared
def test_wojood_sentences():
    check_corpus(wojood_sentences())


@pytest.mark.shared
def test_checkthat_tweets():
    paragraphs = []
    files = ["claims_checkthat2021_ar/CT21-AR-Dev-T1-Labels_first200.tsv",
             "claims_checkthat2021_ar/CT21-AR-Train-T1-Labels_first300.tsv",
             "claims_checkthat2022_ar/CT22_arabic_1A_checkworthy_train_first300.tsv",
             "claims_checkthat2022_ar/CT22_arabic_1B_claim_train_first300.tsv"]
    for name in files:
        with open(shared(name), encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        column = rows[0].index("tweet_text")
        for row in rows[1:]:
            if len(row) > column:
                paragraphs.extend(paragraphs_of(row[column]))
    assert len(paragraphs) > 500
    check_corpus(paragraphs)


@pytest.mark.shared
def test_araieval_texts():
    path = shared("spans_araieval24_task1/araieval24_task1_dev.jsonl")
    paragraphs = [p for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
                  for p in paragraphs_of(json.loads(line)["text"])]
    check_corpus(paragraphs)
    check_corpus(paragraphs[:200], widths=(40,), show_controls=True)


# -- generated text -------------------------------------------------------------------------
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآؤئـ"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۱۲"
LATIN = "abcdefXYZ"
BRACKETS = "()[]{}«»<>‹›"
PUNCT = " .,:;!?؟،؛%+-/$#@'\"\u00a0\t\x1b"
CONTROLS = ["\u200e", "\u200f", "\u061c", "\u200c", "\u200d", "\ufeff", "\u202a", "\u202b",
            "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]

word = st.one_of(
    st.text(alphabet=ARABIC + HARAKAT, min_size=1, max_size=8),
    st.text(alphabet=DIGITS + ".,", min_size=1, max_size=6),
    st.text(alphabet=LATIN, min_size=1, max_size=6),
    st.text(alphabet=BRACKETS + PUNCT, min_size=1, max_size=2),
    st.sampled_from(CONTROLS),
)
paragraph = st.lists(word, min_size=1, max_size=25).map(
    lambda words: "".join(w + (" " if i % 2 else "") for i, w in enumerate(words)))


@pytest.mark.parametrize("direction", ["rtl", "ltr"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=paragraph, width=st.sampled_from(WIDTHS + (7,)), shaped=st.booleans(), show=st.booleans())
def test_generated_paragraphs(direction, text, width, shaped, show):
    assert check_paragraph(text, width, shaped=shaped, show_controls=show, direction=direction) == []


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ARABIC + HARAKAT + DIGITS + LATIN + BRACKETS + PUNCT + "".join(CONTROLS),
                    max_size=40))
def test_generated_levels(text):
    """Levels after L1 (the engine's own L1, applied to characters) equal FriBidi's for any
    string, except where FriBidi deviates."""
    classes = bidi_classes(text)
    level = paragraph_level(classes, "rtl")
    ours = line_levels(resolve_levels(text, classes, level), l1_roles(classes), 0, len(text), level)[0]
    if oracle.known_deviation(text) is None:
        assert ours == oracle.Paragraph(text).line_levels(0, len(text))


# -- deliberate differences, each with its reason -------------------------------------------
def test_deliberate_lam_haraka_alef():
    """Lam + haraka + alef: one ligature cell carrying the haraka (FriBidi: two glyphs)."""
    text = "لَا"
    ours = layout_paragraph(text, LayoutOptions(10))[0]
    assert [c.text for c in ours.cells] == ["\ufefb\u064e"]
    par = oracle.Paragraph(text)
    fribidi = "".join(par.shaped()[i] for i in par.visual_map(0, 3))
    assert "\ufefb" not in fribidi, "FriBidi now ligates across the haraka: drop this difference"
    assert "lam-mark-alef" in oracle.DELIBERATE_DIFFERENCES


def test_deliberate_isolate_at_line_end():
    """L1 puts an isolate control ending a wrapped line at the paragraph level; FriBidi does not."""
    text = "ءء ءء ءء ء\u202a ء\u2066 ءءءءءء "
    lines = layout_paragraph(text, LayoutOptions(20, shape=False, show_controls=True))
    assert (lines[0].start, lines[0].end) == (0, 15)
    classes = bidi_classes(text)
    ours = line_levels(resolve_levels(text, classes, 1), l1_roles(classes), 0, 15, 1)[0]
    assert ours[13:] == [1, 1]  # LRI and the space after it
    par = oracle.Paragraph(text)
    assert par.line_levels(0, 15, fix_isolates=False)[13] == 2, "FriBidi resets it now: drop the fix"
    assert par.line_levels(0, 15)[13:] == [1, 1]
    assert oracle.compare_lines(text, lines, shaped=False) == []
    assert "line-end-isolate" in oracle.DELIBERATE_DIFFERENCES


@pytest.mark.parametrize("text,reason,expected", [
    # RLI ب PDI ب LRI 0: the second isolate's sos is L (its level 2), so W7 makes 0 an L at
    # level 2; FriBidi carries the R of the first isolate over and leaves it EN (level 4).
    ("\u2067ب\u2069ب\u20660", "sibling-isolates", [1, 3, 1, 1, 1, 2]),
    # ي[ى]َ! in an LTR paragraph: the mark after ] takes R with its bracket (N0), and ! sits
    # between R and eos L, so it gets the embedding level 0; FriBidi merged the mark with !.
    ("ي[ى]\u064e!", "mark-after-neutral", [1, 1, 1, 1, 1, 0]),
    # 🟠 (U+1F7E0, Unicode 12) is ON in Unicode 14; FriBidi 1.0.8's tables call it L.
    ("ب 🟠 ب", "unicode-version", [1, 1, 1, 1, 1]),
])
def test_deliberate_fribidi_deviations(text, reason, expected):
    """Where FriBidi 1.0.8 departs from UAX #9 we follow UAX #9 (hand-derived levels)."""
    direction = "ltr" if reason == "mark-after-neutral" else "rtl"
    classes = bidi_classes(text)
    level = paragraph_level(classes, direction)
    ours = line_levels(resolve_levels(text, classes, level), l1_roles(classes), 0, len(text), level)[0]
    assert ours == expected
    assert oracle.known_deviation(text) == reason
    fribidi = oracle.Paragraph(text, direction).line_levels(0, len(text))
    assert fribidi != expected, "FriBidi agrees now: remove this deviation from known_deviation()"


def test_generated_tables_match_fribidi():
    """The mirroring, bracket and joining tables dumped from FriBidi are still what it says."""
    from annotator.layout.unicode_data import CLOSING_BRACKETS, JOINING_TYPES, MIRRORS, OPENING_BRACKETS

    for ch, mirrored in MIRRORS.items():
        assert oracle.mirror_char(ch) == mirrored
    for ch, ident in OPENING_BRACKETS.items():
        assert oracle.bracket(ch) == 0x80000000 | ord(ident)
    for ch, ident in CLOSING_BRACKETS.items():
        assert oracle.bracket(ch) == ord(ident)
    names = {"R": 5, "D": 7, "C": 3, "L": 6}
    for ch, jt in JOINING_TYPES.items():
        assert oracle.joining_type(ch) == names[jt]
    assert MIRRORS["«"] == "»" and MIRRORS["("] == ")" and MIRRORS["≤"] == "≥"


@pytest.mark.parametrize("direction", ["rtl", "ltr"])
def test_a_haraka_after_a_tab_is_ordered_as_fribidi_orders_it(direction):
    """Found by the generated tests: L1 resets a tab to the paragraph level but not the mark after it,
    so in a left-to-right paragraph the mark must not travel with the tab."""
    for width in WIDTHS:
        assert check_paragraph("ءء ءء ءء \tًء ", width, shaped=True, show_controls=False,
                               direction=direction) == []


def test_brackets_inside_an_embedding_take_their_context_from_sos():
    """UAX #9 N0 looks back only within the isolating run sequence (here: sos, L), so the brackets stay
    at the embedding's level 2; FriBidi 1.0.8 looks past it (a pinned deviation)."""
    text = "0\u202a[\u061b]"
    assert oracle.known_deviation(text) == "bracket-context-across-embeddings"
    classes = bidi_classes(text)
    level = paragraph_level(classes, "rtl")
    ours = line_levels(resolve_levels(text, classes, level), l1_roles(classes), 0, len(text), level)[0]
    assert [ours[0], ours[2], ours[3], ours[4]] == [2, 2, 3, 2]
