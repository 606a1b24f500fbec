"""One validator per rule (issue 9 items 10, 12, 13; issue 10 item 1).

Attribute values are owned by the schema's ``Attribute`` (``check`` and ``parse``); ids and
names by ``annotator.model.checks.id_problem``. Operations, every reader and the claim
dialog use them, so what one refuses all refuse, and what is stored has its declared type.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import OperationError
from annotator.formats.base import ReadContext, get_format
from annotator.importing import import_paths
from annotator.model.annotations import DOC_STATUSES, Annotations, Claim, Entity
from annotator.model.checks import id_problem
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    LinkClaimer,
    ReplaceAnnotations,
    SetClaimAttributes,
    SetDocumentAttributes,
    SetNotes,
    SetSource,
    SetStatus,
    apply_operation,
)
from annotator.schema import default_schema_path, load_schema
from annotator.schema.model import Attribute
from annotator.store.sqlite import SQLiteStore

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
PER = (4, 14)  # مصطفى بالي
CLAIM = (18, 68)


def schema():
    """news.yaml with document attributes of every kind (it has only a text one)."""
    base = load_schema(default_schema_path())
    return replace(base, document_attributes=(
        *base.document_attributes,
        Attribute("score", "number", minimum=-10, maximum=10),
        Attribute("pages", "number", integer=True, minimum=0),
        Attribute("urgent", "boolean"),
    ))


SCHEMA = schema()


def with_claim() -> Annotations:
    state, _ = apply_operation(AddClaim(Claim("c1", *CLAIM)), Annotations("d1", "amal"), TEXT, SCHEMA)
    return state


# -- operations: the schema's Attribute.check is the only rule -----------------------------------------


@pytest.mark.parametrize("value, why", [
    (2.5, "whole number"), (2.0, "whole number"), (math.nan, "finite"), (math.inf, "finite"),
    (-math.inf, "finite"), (True, "must be a number"), ("3", "must be a number"), ([3], "must be a number"),
    (0, "at least 1"), (6, "at most 5"),
])
def test_operations_refuse_what_an_integer_attribute_cannot_hold(value, why):
    """news.yaml's ``confidence`` is ``integer: true``, 1..5: 2.5 and NaN used to be stored."""
    state = with_claim()
    with pytest.raises(OperationError, match=why):
        apply_operation(SetClaimAttributes("c1", {"confidence": value}), state, TEXT, SCHEMA)
    with pytest.raises(OperationError, match=why):
        apply_operation(AddClaim(Claim("c2", *CLAIM, {"confidence": value})), state, TEXT, SCHEMA)
    with pytest.raises(OperationError, match=why):
        apply_operation(ReplaceAnnotations(Annotations("d1", "amal", claims=(Claim("c2", *CLAIM, {"confidence": value}),))),
                        Annotations("d1", "amal"), TEXT, SCHEMA)
    after, _ = apply_operation(SetClaimAttributes("c1", {"confidence": 3}), state, TEXT, SCHEMA)
    assert after.claim("c1").attributes["confidence"] == 3


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "1"])
def test_operations_refuse_nan_inf_and_bool_for_any_number(value):
    with pytest.raises(OperationError, match="number"):
        apply_operation(SetDocumentAttributes({"score": value}), Annotations("d1", "amal"), TEXT, SCHEMA)
    after, _ = apply_operation(SetDocumentAttributes({"score": 2.5, "pages": 3}), Annotations("d1", "amal"), TEXT,
                               SCHEMA)
    assert after.attributes == {"score": 2.5, "pages": 3}


def test_document_attributes_are_checked_against_the_schema():
    blank = Annotations("d1", "amal")
    for attrs, why in (({"colour": "red"}, "unknown document attribute"), ({"urgent": "yes"}, "true or false"),
                       ({"pages": 1.5}, "whole number"), ({"topic": 3}, "must be text")):
        with pytest.raises(OperationError, match=why):
            apply_operation(SetDocumentAttributes(attrs), blank, TEXT, SCHEMA)
        with pytest.raises(OperationError, match=why):
            apply_operation(ReplaceAnnotations(Annotations("d1", "amal", attributes=attrs)), blank, TEXT, SCHEMA)


@pytest.mark.parametrize("bad", ["", "   ", "\u200f", {"a": 1}, ["e1"], 7, None, "e\x00", "e\x1b[31m", "e\x7f",
                                 "e\x85", "e\ud800"])
def test_span_ids_follow_the_one_id_rule(bad):
    assert id_problem(bad) is not None
    with pytest.raises(OperationError, match="span id"):
        apply_operation(AddEntity(Entity(bad, *PER, "PER")), Annotations("d1", "amal"), TEXT, SCHEMA)
    with pytest.raises(OperationError, match="span id"):
        apply_operation(AddClaim(Claim(bad, *CLAIM)), Annotations("d1", "amal"), TEXT, SCHEMA)


def test_the_id_rule_accepts_ordinary_names():
    for good in ("e1", "أمل", "s 1", "doc:7", "a\u200fb"):
        assert id_problem(good) is None


@pytest.mark.parametrize("doc_id, annotator", [("d\x00", "amal"), ("d1", "a\x00"), ("d1", "  "), ("", "amal")])
def test_an_import_onto_a_bad_document_id_or_annotator_is_refused(doc_id, annotator):
    """ReplaceAnnotations is what every import validates with before writing anything."""
    with pytest.raises(OperationError, match="document id|annotator"):
        apply_operation(ReplaceAnnotations(Annotations(doc_id, annotator, notes="n")), Annotations(doc_id, annotator),
                        TEXT, SCHEMA)


def test_operations_refuse_values_of_the_wrong_type():
    state, _ = apply_operation(AddEntity(Entity("e1", *PER, "PER")), with_claim(), TEXT, SCHEMA)
    cases = [
        (SetNotes(["n"]), "notes must be text"),
        (SetSource("e1", {"x": 1}), "source must be text"),
        (SetSource("e1", ""), "source is empty"),
        (AddEntity(Entity("e2", 23, 28, "GPE", source=["x"])), "source must be text"),
        (AddEntity(Entity("e2", True, 28, "GPE")), "offsets must be integers"),
        (AddEntity(Entity("e2", 23.0, 28, "GPE")), "offsets must be integers"),
        (AddEntity(Entity("e2", 23, 28, ["GPE"])), "unknown label"),
        (SetStatus(["done"]), "unknown status"),
        (LinkClaimer("c1", {"id": "e1"}), "claimer must be text"),
        (ReplaceAnnotations(Annotations("d1", "amal", notes=["n"])), "notes must be text"),
    ]
    for op, why in cases:
        with pytest.raises(OperationError, match=why):
            apply_operation(op, state, TEXT, SCHEMA)


# -- Attribute.parse: what the dialog and the text-only formats use ------------------------------------


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("٣", 3), ("۴", 4), (" 5 ", 5), ("\u200f٢", 2), ("4.0", 4), ("٤٫٠", 4),
])
def test_parse_reads_ascii_and_arabic_digits(text, value):
    confidence = SCHEMA.claims.attribute("confidence")
    got = confidence.parse(text)
    assert got == value and type(got) is int


@pytest.mark.parametrize("text, value", [("-2.5", -2.5), ("٢٫٥", 2.5), ("۱٫۲۵", 1.25), ("−3", -3), ("+7", 7)])
def test_parse_reads_decimals_with_either_separator(text, value):
    got = SCHEMA.document_attribute("score").parse(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["2.5", "nan", "inf", "1e3", "1,5", "١٬٠٠٠", "٣x", "", "0x3", "1_0", "٣.", "--1", "9"])
def test_parse_refuses_anything_else_with_a_reason(text):
    with pytest.raises(ValueError) as err:
        SCHEMA.claims.attribute("confidence").parse(text)
    assert str(err.value)


def test_parse_of_yes_no_and_choices():
    review = SCHEMA.claims.attribute("needs_review")
    assert review.parse("yes") is True and review.parse("لا") is False and review.parse(" 0 ") is False
    with pytest.raises(ValueError, match="yes/no"):
        review.parse("maybe")
    with pytest.raises(ValueError, match="not one of"):
        SCHEMA.claims.attribute("verdict").parse("maybe")


# -- readers ----------------------------------------------------------------------------------------


def read_native(tmp_path: Path, *objs, raw: str | None = None):
    path = tmp_path / "in.jsonl"
    body = raw if raw is not None else "\n".join(json.dumps(o, ensure_ascii=False) for o in objs) + "\n"
    path.write_text(body, encoding="utf-8")
    ctx = ReadContext(schema=SCHEMA)
    records = list(get_format("native").read(path, ctx))
    return records, ctx


def good(**changes):
    obj = {"id": "d1", "text": TEXT, "annotator": "amal", "status": "in_progress",
           "entities": [{"id": "e1", "start": 4, "end": 14, "label": "PER", "text": "مصطفى بالي"}],
           "claims": [{"id": "c1", "start": 18, "end": 68, "claimer": "e1", "attributes": {"confidence": 3}}],
           "attributes": {"topic": "حرب"}, "notes": "ملاحظة"}
    obj.update(changes)
    return obj


def entity(**changes):
    return {"id": "e1", "start": 4, "end": 14, "label": "PER", **changes}


def claim(**changes):
    return {"id": "c1", "start": 18, "end": 68, **changes}


BAD_FIELDS = [
    ({"annotator": ["x"]}, 'field "annotator"'),
    ({"annotator": ""}, 'field "annotator"'),
    ({"annotator": "a\x00b"}, 'field "annotator"'),
    ({"id": ""}, 'field "id"'),
    ({"id": "   "}, 'field "id"'),
    ({"id": {"a": 1}}, 'field "id"'),
    ({"id": "d\x00"}, 'field "id"'),
    ({"id": True}, 'field "id"'),
    ({"status": ["done"]}, 'field "status"'),
    ({"status": "finished"}, 'field "status"'),
    ({"notes": ["n"]}, 'field "notes"'),
    ({"notes": 3}, 'field "notes"'),
    ({"meta": [1]}, 'field "meta"'),
    ({"meta": {"x": math.nan}}, 'field "meta"'),
    ({"schema": "news"}, 'field "schema"'),
    ({"created_at": 5}, 'field "created_at"'),
    ({"attributes": ["x"]}, 'field "attributes"'),
    ({"attributes": {"colour": "red"}}, 'field "attributes"'),
    ({"attributes": {"topic": 3}}, 'field "attributes"'),
    ({"entities": {"e1": 1}}, 'field "entities"'),
    ({"claims": "c1"}, 'field "claims"'),
    ({"entities": [5]}, "entity #1 must be an object"),
    ({"entities": [entity(id="")]}, 'entity #1 field "id"'),
    ({"entities": [entity(id={"a": 1})]}, 'entity #1 field "id"'),
    ({"entities": [entity(start=True)]}, 'entity #1 field "start"'),
    ({"entities": [entity(start=4.0)]}, 'entity #1 field "start"'),
    ({"entities": [entity(end=13.5)]}, 'entity #1 field "end"'),
    ({"entities": [entity(end="14")]}, 'entity #1 field "end"'),
    ({"entities": [entity(label=["PER"])]}, 'entity #1 field "label"'),
    ({"entities": [entity(text=["x"])]}, 'entity #1 field "text"'),
    ({"entities": [entity(source={"x": 1})]}, 'entity #1 field "source"'),
    ({"entities": [entity(source=3)]}, 'entity #1 field "source"'),
    ({"entities": [entity(start=60, end=90)]}, "outside the text"),
    ({"claims": [claim(attributes={"confidence": 2.5})]}, 'claim #1 field "attributes"'),
    ({"claims": [claim(attributes={"confidence": math.nan})]}, 'claim #1 field "attributes"'),
    ({"claims": [claim(attributes={"confidence": True})]}, 'claim #1 field "attributes"'),
    ({"claims": [claim(attributes=["x"])]}, 'claim #1 field "attributes"'),
    ({"claims": [claim(claimer=["e1"])]}, 'claim #1 field "claimer"'),
    ({"claims": [claim(claimer="")]}, 'claim #1 field "claimer"'),
    ({"claims": [claim(source=[])]}, 'claim #1 field "source"'),
]


@pytest.mark.parametrize("change, field", BAD_FIELDS)
def test_native_names_file_line_and_field_of_a_bad_value_and_counts_it(tmp_path, change, field):
    records, ctx = read_native(tmp_path, {"id": "first", "text": "نص"}, good(**change), good(id="d3"))
    assert [r.document.id for r in records] == ["first", "d3"]  # the bad one only, the rest go on
    assert ctx.rejected == 1
    (problem,) = ctx.problems
    assert problem.path.endswith("in.jsonl") and problem.line == 2
    assert field in problem.message and "not imported" in problem.message


# Every problem a span can have, each message whole: the native reader names them in one place (_Fields.span).
SPAN_PROBLEMS = [
    ({"entities": [5]},
     "entity #1 must be an object, not a number"),
    ({"claims": ["c"]},
     "claim #1 must be an object, not text"),
    ({"entities": [entity(id="")]},
     "entity #1 field \"id\": is empty or only white space ('')"),
    ({"entities": [entity(start=None, end=None)]},
     "entity #1 field \"start\": must be a whole number, not None; entity #1 field \"end\": must be a whole number, not None"),
    ({"entities": [entity(label=["PER"])]},
     "entity #1 field \"label\": must be text, not a list (['PER'])"),
    ({"entities": [entity(text=["x"])]},
     "entity #1 field \"text\": must be text, not a list"),
    ({"entities": [entity(text="غير")]},
     "entity #1 field \"text\": says 'غير' but the text at [4, 14) is 'مصطفى بالي'"),
    ({"entities": [entity(source={"x": 1})]},
     "entity #1 field \"source\": must be text, not an object ({'x': 1})"),
    ({"entities": [entity(identity={"q": 1})]},
     "entity #1 field \"identity\": must be text, not an object ({'q': 1})"),
    ({"entities": [entity(start=60, end=90)]},
     "entity #1 [60, 90) is empty or outside the text (length 68)"),
    ({"claims": [claim(start=3.5)]},
     "claim #1 field \"start\": must be a whole number, not 3.5"),
    ({"claims": [claim(text=7)]},
     "claim #1 field \"text\": must be text, not a number"),
    ({"claims": [claim(text="x")]},
     "claim #1 field \"text\": says 'x' but the text at [18, 68) is 'قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019.'"),
    ({"claims": [claim(source=[])]},
     "claim #1 field \"source\": must be text, not a list ([])"),
    ({"claims": [claim(claimer="")]},
     "claim #1 field \"claimer\": is empty or only white space ('')"),
    ({"claims": [claim(attributes=["x"])]},
     "claim #1 field \"attributes\": must be an object, not a list"),
    ({"claims": [claim(attributes={"confidence": 2.5})]},
     "claim #1 field \"attributes\": claim attribute 'confidence' must be a whole number, not 2.5"),
    ({"claims": [claim(end=5)]},
     "claim #1 [18, 5) is empty or outside the text (length 68)"),
]

@pytest.mark.parametrize("change, message", SPAN_PROBLEMS)
def test_native_names_a_span_s_problems_in_one_place_with_file_line_and_problem(tmp_path, monkeypatch, change,
                                                                                  message):
    from annotator.formats import native

    named: list[tuple] = []
    real = native._Fields.span  # the one owner: there was another style beside it (``fields.bad(f"…")``)

    def span(self, kind, number, field, problem):
        named.append((kind, number, field))
        real(self, kind, number, field, problem)

    monkeypatch.setattr(native._Fields, "span", span)
    records, ctx = read_native(tmp_path, {"id": "first", "text": "نص"}, good(**change), good(id="d3"))
    assert [r.document.id for r in records] == ["first", "d3"] and ctx.rejected == 1
    (problem,) = ctx.problems
    assert problem.path.endswith("in.jsonl") and problem.line == 2
    assert problem.message == f"{message}; record 'd1' not imported"
    assert len(named) == message.count(" #1 ")


def test_native_stores_declared_types_only(tmp_path):
    (record,), ctx = read_native(tmp_path, good(id=17))
    assert ctx.problems == []
    ann = record.annotations
    assert record.document.id == "17" and ann.doc_id == "17"  # a whole-number id stands for its digits
    assert ann.notes == "ملاحظة" and ann.annotator == "amal" and ann.attributes == {"topic": "حرب"}
    (e,), (c,) = ann.entities, ann.claims
    assert (e.start, e.end) == PER and type(e.start) is int and c.attributes == {"confidence": 3}


def import_file(tmp_path: Path, lines: list[str], name="in.jsonl", fmt=None, annotator=None, db="s.db"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = SQLiteStore(tmp_path / db)
    try:
        summary = import_paths(store, SCHEMA, [path], format_name=fmt, annotator=annotator)
        states = {(d, a): store.load(d, a) for d in store.document_ids() for a in store.annotators(d)}
        return summary, store.document_ids(), states
    finally:
        store.close()


def test_a_nul_in_a_native_id_or_name_is_rejected_and_the_import_goes_on(tmp_path):
    lines = [json.dumps(good(id="a\x00")), json.dumps(good(id="b", annotator="x\x00y")),
             json.dumps(good(id="c")), json.dumps({"id": "d\x01", "text": "نص فقط"})]
    summary, ids, _ = import_file(tmp_path, lines)
    assert ids == ["c"] and summary.rejected == 3
    assert [p.line for p in summary.problems] == [1, 2, 4]
    assert all("U+0000" in p.message or "U+0001" in p.message for p in summary.problems)


def test_every_other_reader_applies_the_id_rule_through_finish(tmp_path):
    """Prodigy's annotator and a doccano id go through ``_records.finish``: rejected with
    file and line, the next record imported."""
    prodigy = [json.dumps({"text": "نص أول", "_annotator_id": "a\x00", "spans": [], "answer": "accept"}),
               json.dumps({"text": "نص ثان", "_annotator_id": "  ", "spans": [], "answer": "accept"}),
               json.dumps({"text": "نص ثالث", "_annotator_id": "amal", "spans": [], "answer": "accept"})]
    summary, ids, _ = import_file(tmp_path, prodigy, "p.jsonl", fmt="prodigy")
    assert len(ids) == 1 and summary.rejected == 2
    assert [p.line for p in summary.problems] == [1, 2] and "annotator" in summary.problems[0].message
    doccano = [json.dumps({"id": "", "text": "نص رابع", "label": [[0, 2, "PER"]]}),
               json.dumps({"id": 5, "text": "نص خامس", "label": [[0, 2, "PER"]]})]
    summary, ids, _ = import_file(tmp_path, doccano, "d.jsonl", fmt="doccano", db="d.db")
    assert summary.rejected == 1 and summary.problems[0].line == 1 and "document id" in summary.problems[0].message
    assert len(ids) == 1


def test_an_import_annotator_name_with_a_nul_is_refused_per_record(tmp_path):
    summary, ids, states = import_file(tmp_path, [json.dumps(good())], annotator="x\x00")
    assert states == {} and summary.rejected == 1 and "annotator" in summary.problems[0].message


def test_foreign_text_values_are_parsed_by_the_schema(tmp_path):
    """doccano carries attribute values as text: "2.5" and "NaN" for the integer confidence
    are refused (they used to be stored), "٤" is read as 4."""
    def line(value):
        return json.dumps({"text": TEXT, "entities": [{"id": 0, "start_offset": 18, "end_offset": 67,
                                                       "label": "CLAIM", "attributes": {"confidence": value}}],
                           "relations": []}, ensure_ascii=False)

    path = tmp_path / "d.jsonl"
    path.write_text("\n".join([line("2.5"), line("NaN"), line(2.5), line("٤")]) + "\n", encoding="utf-8")
    ctx = ReadContext(schema=SCHEMA)
    records = list(get_format("doccano").read(path, ctx))
    assert ctx.rejected == 3 and [p.line for p in ctx.problems] == [1, 2, 3]
    assert "whole number" in ctx.problems[0].message and "not a number" in ctx.problems[1].message
    (only,) = records
    value = only.annotations.claims[0].attributes["confidence"]
    assert value == 4 and type(value) is int


# -- the property: no traceback for any JSON value in any field; what is stored round-trips --------------

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20)
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.sampled_from(["", "   ", "\x00", "a\x00", "e1", "c1", "PER", "todo", "done", "yes", "amal",
                                   "مصطفى بالي", "\ud800", "import:x", "2.5", "٣"])
                | st.text(max_size=6))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=4) | st.sampled_from(["confidence", "topic", "x"]),
                                             inner, max_size=3), max_leaves=6)

TOP = ["id", "text", "meta", "annotator", "status", "notes", "attributes", "schema", "created_at", "updated_at",
       "entities", "claims"]
SPAN = ["id", "start", "end", "label", "text", "source", "attributes", "claimer"]
FIELDS = [("top", k) for k in TOP] + [("entity", k) for k in SPAN] + [("claim", k) for k in SPAN] + [
    ("claim-attr", k) for k in ("confidence", "needs_review", "verdict", "cue")] + [
    ("doc-attr", k) for k in ("topic", "score", "pages", "urgent")]


def mutate(changes) -> dict:
    obj = good(attributes={"topic": "حرب", "score": 1.5, "pages": 2, "urgent": False})
    obj["claims"][0]["attributes"] = {"confidence": 3, "needs_review": True, "verdict": "false", "cue": "قال"}
    for (where, key), value in changes:
        target = _container(obj, where)
        if not isinstance(target, dict):
            continue  # an earlier change replaced the container itself
        target[key] = value
    return obj


def _container(obj: dict, where: str):
    """The object a field lives in, or None when an earlier change replaced a parent."""
    if where == "top":
        return obj
    if where == "doc-attr":
        return obj.get("attributes")
    spans = obj.get("entities" if where == "entity" else "claims")
    span = spans[0] if isinstance(spans, list) and spans else None
    if where == "claim-attr":
        return span.get("attributes") if isinstance(span, dict) else None
    return span


def stored_types_are_declared(doc_id, annotator, state: Annotations) -> None:
    assert id_problem(doc_id) is None and id_problem(annotator) is None
    assert state.status in DOC_STATUSES and isinstance(state.notes, str)
    assert SCHEMA.document_attribute_problems(state.attributes) == []
    for e in state.entities:
        assert id_problem(e.id) is None and type(e.start) is int and type(e.end) is int
        assert SCHEMA.label(e.label) is not None and (e.source is None or id_problem(e.source) is None)
    for c in state.claims:
        assert id_problem(c.id) is None and type(c.start) is int and type(c.end) is int
        assert c.claimer is None or state.entity(c.claimer) is not None
        assert SCHEMA.claims.attribute_problems(c.attributes) == []


def canonical(states) -> str:
    out = {}
    for key, s in states.items():
        d = s.to_json()
        for k in ("version", "created_at", "updated_at", "schema_name", "schema_version"):
            d.pop(k)
        out[repr(key)] = d
    return json.dumps(out, sort_keys=True, ensure_ascii=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=3))
def test_any_json_value_in_any_native_field_never_gives_a_traceback(tmp_path_factory, changes):
    tmp = tmp_path_factory.mktemp("prop")
    obj = mutate(changes)
    line = json.dumps(obj, ensure_ascii=True, allow_nan=True)  # NaN/Infinity: Python's reader lets them in
    summary, ids, states = import_file(tmp, [line])
    # a record is either imported or rejected with its line, never both, never silently
    assert (summary.rejected == 1 and ids == [] and summary.problems[0].line == 1) or \
        (summary.rejected == 0 and len(ids) == 1), summary.problems
    for (doc_id, annotator), state in states.items():
        stored_types_are_declared(doc_id, annotator, state)
    if not ids:
        return
    # export and import again: the same states, with the same JSON types (1 is not 1.0 nor true)
    store = SQLiteStore(tmp / "s.db")
    try:
        from annotator.exporting import export_store

        export_store(store, SCHEMA, get_format("native"), str(tmp / "out.jsonl"))
    finally:
        store.close()
    again = (tmp / "out.jsonl").read_text(encoding="utf-8").splitlines()
    summary2, ids2, states2 = import_file(tmp, again, "again.jsonl", db="t.db")
    assert summary2.rejected == 0 and ids2 == ids
    assert canonical(states2) == canonical(states)


# -- the claim dialog -------------------------------------------------------------------------------


async def test_claim_dialog_reads_arabic_digits_and_refuses_the_rest_visibly(tmp_path):
    from test_tui_support import SIZE, make_app, make_session

    session = make_session(tmp_path / "t.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        rows = form.query_one("ClaimForm").rows
        await pilot.press(*["down"] * rows.index("confidence"))

        async def submit(text):
            await pilot.press("enter")
            await pilot.pause()
            form.query_one("#editor").value = text
            await pilot.press("enter")
            await pilot.pause()

        await submit("٣")
        value = session.annotations("a_mixed").claims[0].attributes["confidence"]
        assert value == 3 and type(value) is int
        for bad in ("2.5", "abc", "9", "NaN"):
            await submit(bad)
            status = str(form.query_one("#form-status").render())
            assert "not saved" in status, bad
            assert form.query_one("#editor").display  # still open, the text kept to fix
            assert session.annotations("a_mixed").claims[0].attributes["confidence"] == 3
            await pilot.press("escape")  # close the editor, back to the form
            await pilot.pause()
        await submit("۴")
        assert session.annotations("a_mixed").claims[0].attributes["confidence"] == 4
