"""Issue 12 aim 4, the import's own overhead: the mechanisms that keep it low, tested without timing
(the figures are ``bench/bench_throughput.py``'s)."""

from __future__ import annotations

import random
import unicodedata

from annotator.model import checks


def _id_problem_by_the_rule(value: object) -> str | None:
    """``checks.id_problem``'s rule spelled out character by character, as it was before its fast path."""
    if not isinstance(value, str):
        return "not text"
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value):
        return "empty"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        return "control"
    return None


def test_a_usual_key_is_checked_without_looking_up_each_character(monkeypatch):
    """Ids and labels are checked for every span a reader reads and again when it is applied: a printable
    key is answered at once (``str.isprintable``), not by a Unicode category per character."""

    class Counting:
        calls = 0

        def category(self, ch: str) -> str:
            Counting.calls += 1
            return unicodedata.category(ch)

    monkeypatch.setattr(checks, "unicodedata", Counting())
    for key in ("e1", "PER", "شخص", "import:prodigy", "a b", "ﻻ", "e\u0301"):
        assert checks.id_problem(key) is None
    assert Counting.calls == 0
    assert checks.id_problem("a\u200fb") is None and Counting.calls > 0  # not printable: the whole rule


def test_the_fast_answer_is_the_rule_s_answer():
    """Over keys drawn from every plane's interesting corners (controls, format characters, spaces of
    every kind, surrogates, marks, private use, unassigned), a key has a problem exactly as the rule says."""
    rng = random.Random(12)
    corners = ([chr(c) for c in range(0, 0x250)] + [chr(c) for c in range(0x2000, 0x2070)]
               + ["\u061c", "\u0600", "\u06dd", "\ufeff", "\ud800", "\udfff", "\ue000", "\U000e0001", "\U0010ffff",
                  "\u0378", "\u3000", "\u1680", "\u180e", "\u0651", "ـ", "ش", "👍🏽", " ", "\xa0", "\x85"])
    keys: list[object] = ["", " ", "  ", None, 17, 1.5, ["x"]] + corners
    keys += ["".join(rng.choice(corners) for _ in range(rng.randint(1, 4))) for _ in range(20_000)]
    for key in keys:
        found = checks.id_problem(key, "id")
        assert (found is None) == (_id_problem_by_the_rule(key) is None), (key, found)


def test_a_state_s_spans_are_encoded_once(monkeypatch):
    """``Annotations.to_json`` (twice per imported record: the state and the logged operation) encoded
    every span twice, the second time without its null fields, and kept the second; now once, and the
    JSON is the same: the fields in declaration order, the spans' null fields left out."""
    from annotator.model import annotations, codec
    from annotator.model.annotations import Annotations, Claim, Entity

    state = Annotations("d", "amal", status="done", notes="n",
                        entities=(Entity("e1", 0, 3, "PER"), Entity("e2", 4, 9, "ORG", "import:x", "p1")),
                        claims=(Claim("c1", 0, 9, {"stance": "x"}, "e1"),))
    expected = {"doc_id": "d", "annotator": "amal", "status": "done", "notes": "n",
                "entities": [{"id": "e1", "start": 0, "end": 3, "label": "PER"},
                             {"id": "e2", "start": 4, "end": 9, "label": "ORG", "source": "import:x",
                              "identity": "p1"}],
                "claims": [{"id": "c1", "start": 0, "end": 9, "attributes": {"stance": "x"}, "claimer": "e1"}]}
    encoded: list[str] = []
    real = codec.encode_fields

    def counting(value, **kw):
        encoded.append(type(value).__name__)
        return real(value, **kw)

    monkeypatch.setattr(annotations, "encode_fields", counting)
    monkeypatch.setattr(codec, "encode_fields", counting)
    out = state.to_json()
    assert sorted(encoded) == ["Annotations", "Claim", "Entity", "Entity"]
    assert {k: out[k] for k in expected} == expected
    assert list(out) == [f for f in Annotations.__dataclass_fields__ if f in out]  # declaration order
    monkeypatch.undo()
    assert Annotations.from_json(out) == state
