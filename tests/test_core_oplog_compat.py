"""The op log and stored state keep their JSON format: lines written by the first,
hand-written codecs (``tests/golden/oplog_v1.jsonl``, captured before the generic codec
of ``model.codec``) still decode to the same operations and encode to the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.errors import OperationError
from annotator.model import operations as o
from annotator.model.annotations import Annotations, Claim, Entity, Rejection
from annotator.store.sql_reads import dumps_ascii

GOLDEN = Path(__file__).parent / "golden" / "oplog_v1.jsonl"

ent = Entity("e1", 0, 5, "PER")
ent_src = Entity("e2", 6, 11, "ORG", "import:prodigy")
claim = Claim("c1", 0, 11, {"verdict": "false", "checkworthy": True, "score": 0.5, "n": 3}, "e1")
claim_bare = Claim("c2", 12, 20)
claim_src = Claim("c3", 12, 20, {}, None, "import:checkthat")
state = Annotations("doc\u00e9 مستند", "amal", "in_progress", "ملاحظة \"note\"\n",
                    (ent, ent_src), (claim, claim_bare), {"topic": "سياسة", "flag": False, "x": None},
                    7, "news", "3", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
OPS = [
    o.AddEntity(ent), o.AddEntity(ent_src), o.RemoveEntity("e1"), o.RelabelEntity("e1", "ORG"),
    o.MoveEntity("e1", 1, 4), o.SetSource("e2", None), o.SetSource("c3", "import:x"),
    o.AddClaim(claim), o.AddClaim(claim_bare), o.AddClaim(claim_src), o.RemoveClaim("c1"), o.MoveClaim("c1", 2, 9),
    o.SetClaimAttributes("c1", {"verdict": "true", "score": None, "checkworthy": False}), o.SetClaimAttributes("c1"),
    o.LinkClaimer("c1", "e1"), o.LinkClaimer("c1", None),
    o.SetStatus("done"), o.RestoreStatus("todo"), o.SetNotes("نص \ud800 NUL\x00"),
    o.SetDocumentAttributes({"topic": "اقتصاد", "x": None}), o.SetDocumentAttributes(),
    o.ReplaceAnnotations(state), o.ReplaceAnnotations(Annotations("d", None)),
    o.Batch((o.AddEntity(ent), o.SetStatus("in_progress")), "label PER"),
    o.Batch((o.RestoreStatus("todo"), o.Batch((o.RemoveEntity("e1"),), "")), ""),
    # added with recommenders (issue 13): their lines were written by the generic codec
    o.AddProposals((ent_src,), (claim_src,), "2 proposal(s) from string-match"), o.RejectProposal("e2"),
    o.SetRejected(Rejection("entity", 0, 5, "PER"), False),
    # added with identities (issue 13): an entity's identity is written only when set
    o.AddEntity(Entity("e3", 12, 20, "PER", None, "i1")), o.LinkIdentity("e3", "e1"), o.UnlinkIdentity("e3"),
    o.SetIdentities({"e1": "i1", "e3": None}),
]


def test_the_fixture_covers_every_operation():
    assert {type(op) for op in OPS} == set(o._OPS.values())


@pytest.mark.parametrize("op, line", list(zip(OPS, GOLDEN.read_text(encoding="utf-8").splitlines(), strict=True)),
                         ids=[op.kind for op in OPS])
def test_old_log_lines_decode_to_the_same_operation_and_encode_to_the_same_bytes(op, line):
    decoded = o.operation_from_json(json.loads(line))
    assert decoded == op and type(decoded) is type(op)
    assert dumps_ascii(op.to_json()) == line


def test_stored_state_round_trips_and_leaves_null_span_fields_out():
    data = state.to_json()
    assert data["entities"][0] == {"id": "e1", "start": 0, "end": 5, "label": "PER"}
    assert data["claims"][1] == {"id": "c2", "start": 12, "end": 20, "attributes": {}}
    assert list(data) == ["doc_id", "annotator", "status", "notes", "entities", "claims", "attributes",
                          "version", "schema_name", "schema_version", "created_at", "updated_at"]
    assert Annotations.from_json(json.loads(json.dumps(data))) == state
    assert Annotations.from_json({"doc_id": "d", "annotator": None, "attributes": None}) == Annotations("d", None)


def test_export_form_of_spans_keeps_its_key_order():
    text = "أحمد في بيروت اليوم"
    assert list(ent_src.to_json(text)) == ["id", "start", "end", "label", "text", "source"]
    assert list(Entity("e1", 0, 4, "PER", None, "i1").to_json(text)) == ["id", "start", "end", "label", "text",
                                                                          "identity"]
    assert list(claim.to_json(text)) == ["id", "start", "end", "text", "claimer", "attributes"]
    assert list(claim.to_json(text)["attributes"]) == ["checkworthy", "n", "score", "verdict"]


@pytest.mark.parametrize("data, problem", [
    ({"op": "nope"}, "unknown operation 'nope'"),
    ([1], "must be an object, not a list"),
    ({"op": "move_entity", "entity_id": "e1", "start": 1}, "'end' is missing"),
    ({"op": "add_entity", "entity": "e1"}, "must be an object, not text"),
    ({"op": "batch", "ops": {"op": "set_notes"}, "label": ""}, "must be a list, not an object"),
    ({"op": "batch", "ops": [{"op": "set_notes"}], "label": ""}, "'notes' is missing"),
])
def test_a_damaged_log_line_is_an_operation_error_not_a_traceback(data, problem):
    with pytest.raises(OperationError, match=problem):
        o.operation_from_json(data)
