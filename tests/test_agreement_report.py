"""The agreement report on plain data: which spans, claims and values each figure rests on."""

from __future__ import annotations

import krippendorff
import pytest

from annotator.agreement.report import Corpus, agreement_report, claim_units, token_labels
from annotator.errors import SchemaError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.schema import load_schema_text


def _state(doc, name, entities=(), claims=(), status="done", attributes=None):
    ents = tuple(Entity(f"e{i}", s, e, lab) for i, (s, e, lab) in enumerate(entities, 1))
    return Annotations(doc_id=doc, annotator=name, status=status, entities=ents, claims=tuple(claims),
                       attributes=attributes or {})


def _corpus(texts, states, names=None):
    by_doc = {}
    for s in states:
        by_doc.setdefault(s.doc_id, {})[s.annotator] = s
    names = names or sorted({s.annotator for s in states})
    return Corpus(names, dict(texts), by_doc, {d: {n: s.status for n, s in v.items()} for d, v in by_doc.items()})


def _words(text):
    out, pos = [], 0
    for w in text.split(" "):
        if w:
            out.append((pos, pos + len(w)))
        pos += len(w) + 1
    return out


def test_krippendorff_2004_example_through_the_report():
    """The published unitizing example, as two annotators' entities on a 300-character text."""
    text = "x" * 300
    one = _state("d", "coder1", [(75, 145, "c"), (220, 250, "c"), (30, 90, "k"), (150, 200, "k")])
    two = _state("d", "coder2", [(70, 150, "c"), (205, 225, "c"), (250, 270, "c"), (30, 90, "k"), (150, 200, "k")])
    report = agreement_report(_corpus({"d": text}, [one, two]), tokenizer=_words)
    alpha = report["entities"]["alpha_u"]
    assert alpha["per_label"]["c"]["value"] == pytest.approx(0.7286, abs=5e-5)
    assert alpha["per_label"]["k"]["value"] == 1.0
    assert alpha["overall"]["value"] == pytest.approx(0.859, abs=5e-4)
    assert alpha["overall"]["items"] == 9
    assert alpha["pairs"]["coder1|coder2"]["value"] == pytest.approx(alpha["overall"]["value"])


def test_documents_are_pooled_as_one_continuum():
    """Two documents of 150 characters give the figure of their 300-character concatenation."""
    a = [_state("d1", "p", [(75, 145, "c")]), _state("d2", "p", [(70, 100, "c")])]
    b = [_state("d1", "q", [(70, 150, "c")]), _state("d2", "q", [(55, 75, "c"), (100, 120, "c")])]
    pooled = agreement_report(_corpus({"d1": "x" * 150, "d2": "y" * 150}, a + b), tokenizer=_words)
    whole = agreement_report(_corpus({"d": "z" * 300}, [
        _state("d", "p", [(75, 145, "c"), (220, 250, "c")]),
        _state("d", "q", [(70, 150, "c"), (205, 225, "c"), (250, 270, "c")])]), tokenizer=_words)
    assert pooled["entities"]["alpha_u"]["overall"]["value"] == pytest.approx(0.7286, abs=5e-5)
    assert pooled["entities"]["alpha_u"]["overall"]["value"] == \
        pytest.approx(whole["entities"]["alpha_u"]["overall"]["value"])
    assert set(pooled["entities"]["alpha_u"]["per_document"]) == {"d1", "d2"}


def test_span_f1_pairs_labels_and_pooled():
    text = "one two three four five six seven eight"
    states = [
        _state("d", "a", [(0, 3, "PER"), (4, 7, "ORG"), (8, 13, "GPE")]),
        _state("d", "b", [(0, 3, "PER"), (4, 8, "ORG")]),
        _state("d", "c", [(0, 3, "PER"), (14, 18, "GPE")]),
    ]
    report = agreement_report(_corpus({"d": text}, states), tokenizer=_words)
    exact, overlap = report["entities"]["f1_exact"], report["entities"]["f1_overlap"]
    assert exact["pairs"]["a|b"]["value"] == pytest.approx(2 * 1 / 5)
    assert exact["pairs"]["a|c"]["value"] == pytest.approx(2 * 1 / 5)
    assert exact["pairs"]["b|c"]["value"] == pytest.approx(2 * 1 / 4)
    assert overlap["pairs"]["a|b"]["value"] == pytest.approx(2 * 2 / 5)
    # pooled: 2·Σ|A∩B| / Σ(|A|+|B|) = 2·3 / 14
    assert exact["micro"]["value"] == pytest.approx(6 / 14) and exact["micro"]["items"] == 14
    assert exact["per_label"]["PER"]["value"] == 1.0 and exact["per_label"]["PER"]["items"] == 6
    assert exact["per_label"]["GPE"]["value"] == 0.0
    # ORG: a|b match; a|c and b|c each have one unmatched ORG → 2·1 / (2 + 1 + 1)
    assert overlap["per_label"]["ORG"]["value"] == pytest.approx(2 * 1 / 4)
    # three annotators: Fleiss on tokens; every pair: Cohen
    assert report["entities"]["kappa_tokens"]["measure"] == "fleiss"
    assert report["entities"]["kappa_tokens"]["items"] == 8
    assert report["entities"]["kappa_tokens"]["pairs"]["a|b"]["measure"] == "cohen"


def test_token_labels_take_the_innermost_span_and_o_outside():
    state = _state("d", "a", [(0, 20, "ORG"), (5, 10, "GPE")])
    assert token_labels([(0, 4), (5, 10), (11, 14), (21, 25)], state) == ["ORG", "GPE", "ORG", "O"]


def test_token_kappa_against_hand_count():
    text = "w1 w2 w3 w4"
    a = _state("d", "a", [(0, 2, "PER"), (6, 8, "ORG")])
    b = _state("d", "b", [(0, 2, "PER")])
    fig = agreement_report(_corpus({"d": text}, [a, b]), tokenizer=_words)["entities"]["kappa_tokens"]
    # a: PER O ORG O; b: PER O O O → P_o = 3/4, P_e = (1·1 + 2·3)/16 = 7/16
    assert fig["value"] == pytest.approx((3 / 4 - 7 / 16) / (1 - 7 / 16)) and fig["measure"] == "cohen"


SCHEMA = load_schema_text("""
name: t
version: '1'
labels: [{key: PER, name_en: p, name_ar: p, color: red, hotkey: '1'}]
claims:
  attributes:
    - {key: sev, kind: choice, ordered: true, choices: [{value: low}, {value: mid}, {value: high}]}
    - {key: kind, kind: choice, choices: [{value: x}, {value: y}]}
    - {key: score, kind: number}
    - {key: flag, kind: boolean}
    - {key: note, kind: text}
""")


def _claims(spec):
    return [Claim(f"c{i}", s, e, attrs, claimer) for i, (s, e, attrs, claimer) in enumerate(spec, 1)]


def test_claims_matched_across_annotators_then_claimer_and_attributes():
    text = "x" * 200
    a = _state("d", "a", [(0, 5, "PER"), (50, 55, "PER")], _claims([
        (10, 40, {"sev": "low", "kind": "x", "score": 1, "flag": True, "note": "n"}, "e1"),
        (60, 90, {"sev": "high", "kind": "y", "score": 5, "flag": False}, None),
        (100, 130, {"sev": "mid", "kind": "x", "score": 3, "flag": True}, "e2"),
    ]))
    b = _state("d", "b", [(0, 5, "PER"), (50, 56, "PER")], _claims([
        (10, 40, {"sev": "low", "kind": "x", "score": 2, "flag": True}, "e1"),
        (60, 90, {"sev": "mid", "kind": "y", "score": 4, "flag": False}, None),
        (105, 135, {"sev": "mid", "kind": "y", "score": 3, "flag": True}, "e2"),
    ]))
    report = agreement_report(_corpus({"d": text}, [a, b]), SCHEMA, tokenizer=_words)
    claims = report["claims"]
    assert claims["f1_exact"]["micro"]["value"] == pytest.approx(2 * 2 / 6)
    assert claims["f1_overlap"]["micro"]["value"] == 1.0
    # exact matches: claimers (0,5)=(0,5) and none=none; overlap adds (50,55) vs (50,56)
    assert claims["claimer"]["agreement"] == {"value": 1.0, "items": 2, "agreeing": 2}
    assert claims["claimer"]["agreement_overlap"]["value"] == pytest.approx(2 / 3)
    attrs = claims["attributes"]
    assert "note" not in attrs  # free text has no level of measurement
    assert attrs["sev"]["level"] == "ordinal" and attrs["kind"]["level"] == "nominal"
    assert attrs["score"]["level"] == "interval" and attrs["flag"]["level"] == "nominal"
    rank = {"low": 0, "mid": 1, "high": 2}
    expected = krippendorff.alpha(reliability_data=[[0, 2], [0, 1]], level_of_measurement="ordinal",
                                  value_domain=[0, 1, 2])
    assert attrs["sev"]["alpha"]["value"] == pytest.approx(expected)
    over = [[rank["low"], rank["high"], rank["mid"]], [rank["low"], rank["mid"], rank["mid"]]]
    assert attrs["sev"]["overlap"]["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=over, level_of_measurement="ordinal"))
    assert attrs["score"]["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=[[1, 5], [2, 4]], level_of_measurement="interval"))
    assert attrs["sev"]["kappa"]["value"] is None and "nominal" in attrs["sev"]["kappa"]["why"]
    assert attrs["kind"]["overlap"]["kappa"]["value"] == pytest.approx(
        (2 / 3 - (2 * 1 + 1 * 2) / 9) / (1 - (2 * 1 + 1 * 2) / 9))
    assert attrs["kind"]["overlap"]["kappa"]["items"] == 3


def test_overlap_units_never_hold_two_claims_of_one_annotator():
    a = _state("d", "a", claims=_claims([(0, 10, {}, None), (20, 30, {}, None)]))
    b = _state("d", "b", claims=_claims([(5, 25, {}, None)]))
    c = _state("d", "c", claims=_claims([(22, 28, {}, None), (0, 8, {}, None)]))
    units = claim_units(_corpus({"d": "x" * 40}, [a, b, c]), ["a", "b", "c"], "overlap")
    for unit in units:
        assert len(unit) == len(set(unit))
        assert len(unit) >= 2


def test_ordered_is_only_for_choices():
    with pytest.raises(SchemaError, match="'ordered' only applies to choice"):
        load_schema_text("""
name: t
version: '1'
labels: [{key: PER, name_en: p, name_ar: p, color: red, hotkey: '1'}]
claims:
  attributes: [{key: n, kind: number, ordered: true}]
""")
    assert SCHEMA.claims.attribute("sev").ordered and not SCHEMA.claims.attribute("kind").ordered


def test_document_attributes_status_and_schema_keys():
    schema = load_schema_text("""
name: t
version: '1'
labels: [{key: PER, name_en: p, name_ar: p, color: red, hotkey: '1'}]
document_attributes: [{key: worthy, kind: boolean}]
""")
    states = []
    for i, (x, y) in enumerate([(True, True), (False, True), (False, False), (True, True)]):
        states.append(_state(f"d{i}", "a", attributes={"worthy": x}))
        states.append(_state(f"d{i}", "b", attributes={"worthy": y}, status="done" if i else "flagged"))
    corpus = _corpus({f"d{i}": "abc" for i in range(4)}, [s for s in states if s.status == "done"])
    corpus.statuses = {s.doc_id: {**corpus.statuses.get(s.doc_id, {}), s.annotator: s.status} for s in states}
    for s in states:
        corpus.statuses[s.doc_id][s.annotator] = s.status
    report = agreement_report(corpus, schema, tokenizer=_words)
    doc = report["document_attributes"]
    assert doc["worthy"]["alpha"]["items"] == 3  # d0 counts for a only: b flagged it
    assert doc["status"]["alpha"]["items"] == 4
    assert doc["status"]["kappa"]["value"] is not None


def test_one_annotator_gives_nulls_and_says_why():
    report = agreement_report(_corpus({"d": "abc def"}, [_state("d", "solo", [(0, 3, "PER")])]),
                              tokenizer=_words)
    assert report["entities"]["f1_exact"]["micro"]["value"] is None
    assert report["entities"]["alpha_u"]["overall"]["value"] is None
    assert report["entities"]["kappa_tokens"]["value"] is None
    assert report["claims"]["claimer"]["agreement"]["value"] is None
    assert [d["code"] for d in report["diagnostics"]] == ["one_annotator"]


def test_diagnostics_for_few_items_skew_and_no_common_documents():
    texts = {"d1": "a b c d", "d2": "e f g h"}
    states = [_state("d1", "a", [(0, 1, "PER")]), _state("d1", "b", [(0, 1, "PER")]),
              _state("d2", "c", [(0, 1, "PER")])]
    report = agreement_report(_corpus(texts, states), tokenizer=_words)
    codes = {(d["code"], d.get("where")) for d in report["diagnostics"]}
    assert ("no_common_documents", "a|c") in codes and ("no_common_documents", "b|c") in codes
    assert ("few_items", "entities.f1_exact.micro") in codes
    assert report["entities"]["f1_exact"]["pairs"]["a|c"] == {
        "value": None, "items": 0, "documents": 0, "why": "no document in common"}
    # u-α and token κ need every annotator on a document: none here
    assert report["entities"]["alpha_u"]["overall"]["value"] is None
    assert any(d["code"] == "documents_left_out" for d in report["diagnostics"])


def test_token_labels_match_the_definition_on_random_spans():
    import random

    rng = random.Random(3)
    tokens = [(i * 4, i * 4 + 3) for i in range(30)]
    for _ in range(300):
        spans = []
        for _ in range(rng.randint(0, 8)):
            s = rng.randrange(0, 118)
            spans.append((s, rng.randint(s + 1, 120), rng.choice("ABC")))
        state = _state("d", "a", spans)
        naive = []
        for ts, te in tokens:
            touching = sorted((e - s, s, lab) for s, e, lab in spans if s < te and ts < e)
            naive.append(touching[0][2] if touching else "O")
        assert token_labels(tokens, state) == naive


def test_values_an_older_schema_allowed_are_left_out_and_said_so():
    a = _state("d", "a", claims=_claims([(0, 5, {"sev": "low", "score": 1}, None),
                                         (10, 15, {"sev": "extreme", "score": "lots"}, None),
                                         (20, 25, {"sev": "high", "score": 3}, None)]))
    b = _state("d", "b", claims=_claims([(0, 5, {"sev": "mid", "score": 2}, None),
                                         (10, 15, {"sev": "low", "score": 2}, None),
                                         (20, 25, {"sev": "high", "score": 3}, None)]))
    report = agreement_report(_corpus({"d": "x" * 30}, [a, b]), SCHEMA, tokenizer=_words)
    sev = report["claims"]["attributes"]["sev"]["alpha"]
    assert sev["items"] == 2 and sev["value"] is not None
    messages = [d["message"] for d in report["diagnostics"] if d["code"] == "values_left_out"]
    assert any("'extreme'" in m for m in messages) and any("'lots'" in m for m in messages)
