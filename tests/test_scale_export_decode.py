"""The quick decoders and span writers of ``model.codec`` (made per class for export speed) give
what the checked, field-by-field path gives: the same objects for every stored state, the same
error, word for word, for every malformed one, and the same exported span forms."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import OperationError
from annotator.exporting import export_store
from annotator.formats.base import get_format
from annotator.model import codec
from annotator.model import operations as o
from annotator.model.annotations import Annotations, Claim, Document, Entity, Rejection, in_canonical_order, sort_spans
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
from annotator.text import tokenize

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))
CLASSES = (Annotations, Entity, Claim, Rejection)


def checked(cls: type, data: object) -> tuple[str, Any]:
    """The checked path's answer; for a state, with the spans in the canonical order ``from_json`` promises."""
    try:
        got = codec.decode_checked(cls, data, cls.__name__.lower())
        return "ok", in_canonical_order(got) if cls is Annotations else got
    except OperationError as exc:
        return "error", str(exc)


def quick(cls: type, data: object) -> tuple[str, Any]:
    try:
        return "ok", cls.from_json(data)
    except OperationError as exc:
        return "error", str(exc)


def same_objects(a: Any, b: Any) -> None:
    """Equal, of the same class, with the same attributes in the same order, all the way down."""
    assert type(a) is type(b)
    if isinstance(a, (Annotations, Entity, Claim, Rejection, o.Operation)):
        assert list(vars(a)) == list(vars(b))
        for name in vars(a):
            same_objects(getattr(a, name), getattr(b, name))
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_objects(x, y)
    else:
        assert a == b


def seed_states() -> list[tuple[str, Annotations]]:
    out = []
    for n, path in enumerate(SEEDS):
        text = path.read_text(encoding="utf-8")
        words = [m.span() for m in re.finditer(r"\S{3,}", text)]
        entities = [Entity(f"e{k}", s, e, ("PER", "ORG", "GPE")[k % 3], "import:x" if k % 5 == 0 else None,
                           f"i{k % 4}" if k % 3 == 0 else None) for k, (s, e) in enumerate(words[::7])]
        claims = [Claim(f"c{k}", s, e, {"verdict": "false", "checkworthy": k % 2 == 0}, entities[0].id if k else None)
                  for k, (s, e) in enumerate(words[3::40])]
        state = Annotations(path.stem, f"a{n}", "done", "ملاحظة", sort_spans(entities), sort_spans(claims),
                            {"topic": "سياسة"}, n + 3, "news", "1", "2026-01-01T00:00:00Z", None,
                            (Rejection("entity", 0, 3, "PER"),) if n % 2 else ())
        out.append((text, state))
    return out


def test_stored_seed_states_decode_quickly_to_the_checked_objects() -> None:
    assert SEEDS
    for _, state in seed_states():
        data = json.loads(json.dumps(state.to_json()))
        kind, slow = checked(Annotations, data)
        assert kind == "ok"
        same_objects(Annotations.from_json(data), slow)
        same_objects(Annotations.from_json(data), state)


def test_the_quick_path_is_taken_for_a_well_formed_state(monkeypatch: pytest.MonkeyPatch) -> None:
    _, state = seed_states()[0]
    data = json.loads(json.dumps(state.to_json()))

    def refuse(*args: object) -> None:
        raise AssertionError("the checked path was used for a well-formed state")

    monkeypatch.setattr(codec, "decode_checked", refuse)
    assert Annotations.from_json(data) == state


def test_malformed_stored_states_are_refused_with_the_checked_words() -> None:
    good = json.loads(json.dumps(seed_states()[0][1].to_json()))
    bad: list[object] = [
        [], "x", None,
        {k: v for k, v in good.items() if k != "doc_id"},
        {**good, "entities": "e1"},
        {**good, "entities": [{"id": "e1", "start": 0, "label": "PER"}]},
        {**good, "entities": [7]},
        {**good, "claims": [{"id": "c1", "start": 0, "end": 3, "attributes": [1]}]},
        {**good, "attributes": ["topic"]},
        {**good, "rejected": {"kind": "entity"}},
    ]
    for data in bad:
        kind, message = checked(Annotations, data)
        assert kind == "error"
        assert quick(Annotations, data) == ("error", message)


# -- any JSON a store or a hand-edited file could hold ----------------------------------------

FIELD_NAMES = sorted({f for cls in CLASSES for f, *_ in codec._plan(cls)} | {"op", "extra"})
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 50), st.floats(allow_nan=False),
                    st.text(max_size=4))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=6)), max_leaves=12)


@st.composite
def near_objects(draw: st.DrawFn, cls: type) -> dict[str, Any]:
    """Mostly well-formed objects of ``cls`` with fields missing, of other shapes, or extra."""
    out: dict[str, Any] = {}
    for name, *_ in codec._plan(cls):
        if draw(st.integers(0, 9)) == 0:
            continue
        if name in ("entities", "claims", "rejected"):
            item = {"entities": Entity, "claims": Claim, "rejected": Rejection}[name]
            out[name] = draw(st.one_of(st.lists(near_objects(item), max_size=3), json_values))
        elif name == "attributes":
            out[name] = draw(st.one_of(st.dictionaries(st.text(max_size=3), scalars, max_size=3), json_values))
        else:
            out[name] = draw(st.one_of(scalars, json_values) if draw(st.integers(0, 4)) == 0 else scalars)
    return out


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CLASSES).flatmap(lambda cls: st.tuples(st.just(cls), st.one_of(near_objects(cls),
                                                                                        json_values))))
def test_any_json_decodes_as_the_checked_path_decodes_it(case: tuple[type, object]) -> None:
    as_checked(*case)


def as_checked(cls: type, data: object) -> None:
    """``cls.from_json(data)`` gives the checked path's objects, or its error word for word."""
    kind, want = checked(cls, data)
    got_kind, got = quick(cls, data)
    assert got_kind == kind
    if kind == "ok":
        same_objects(got, want)
    else:
        assert got == want


spans_of = st.tuples(st.integers(0, 30), st.integers(1, 9), st.text("abe", min_size=1, max_size=3))
attr_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))


@st.composite
def states(draw: st.DrawFn) -> Annotations:
    ents = [Entity(f"e{i}{x}", s, s + n, draw(st.sampled_from(["PER", "ORG"])),
                   draw(st.sampled_from([None, "import:x"])), draw(st.sampled_from([None, "i1", "i2"])))
            for i, (s, n, x) in enumerate(draw(st.lists(spans_of, max_size=6)))]
    claims = [Claim(f"c{i}{x}", s, s + n, draw(st.dictionaries(st.sampled_from(["verdict", "w"]), attr_values)),
                    draw(st.sampled_from([None, "e0a"])), draw(st.sampled_from([None, "import:y"])))
              for i, (s, n, x) in enumerate(draw(st.lists(spans_of, max_size=3)))]
    return Annotations(draw(st.text(min_size=1, max_size=4)), draw(st.one_of(st.none(), st.text(max_size=3))),
                       draw(st.sampled_from(["todo", "in_progress", "done"])), draw(st.text(max_size=4)),
                       sort_spans(ents), sort_spans(claims), draw(st.dictionaries(st.text(max_size=3), attr_values)),
                       draw(st.integers(0, 99)), draw(st.one_of(st.none(), st.text(max_size=3))), None,
                       draw(st.one_of(st.none(), st.text(max_size=5))), None,
                       tuple(Rejection("entity", s, s + n, x) for s, n, x in draw(st.lists(spans_of, max_size=2))))


@settings(max_examples=200, deadline=None)
@given(states())
def test_random_states_round_trip_through_the_quick_path(state: Annotations) -> None:
    data = json.loads(json.dumps(state.to_json()))
    got = Annotations.from_json(data)
    same_objects(got, state)
    same_objects(got, checked(Annotations, data)[1])
    op = o.ReplaceAnnotations(state)  # operations decode through the same quick decoders
    same_objects(o.operation_from_json(json.loads(json.dumps(op.to_json()))), op)


def reference_span_json(span: Entity | Claim, text: str) -> dict[str, Any]:
    """``Span.to_json`` as it was written before ``codec.span_writer``: a loop over the keys."""
    out: dict[str, Any] = {}
    for key in span.EXPORT_KEYS:
        value = span.text_in(text) if key == "text" else getattr(span, key)
        if value is None and key in span.OMIT_NONE:
            continue
        out[key] = dict(sorted(value.items())) if isinstance(value, Mapping) else value
    if span.source is not None:
        out["source"] = span.source
    return out


@settings(max_examples=200, deadline=None)
@given(states(), st.one_of(st.none(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=3)))
def test_span_writers_write_what_the_key_loop_wrote(state: Annotations, odd: dict | None) -> None:
    text = "نص عربي مع كلمات كثيرة " * 3
    spans: list[Entity | Claim] = [*state.entities, *state.claims]
    if odd is not None and state.entities:  # a value of another shape a damaged store could hold
        spans.append(Entity.from_json({**state.entities[0].__dict__, "label": odd, "identity": odd}))
    for span in spans:
        got = span.to_json(text)
        assert got == reference_span_json(span, text)
        assert list(got) == list(reference_span_json(span, text))


def test_exported_seed_spans_cover_their_text(tmp_path: Path) -> None:
    """Seed states stored, read back through the quick path and exported: each state as stored,
    every span's text its text[start:end] in native JSONL and Label Studio (whose regions skip the
    UTF-16 conversion when the text has no astral character)."""
    store = SQLiteStore(tmp_path / "s.db")
    for text, state in seed_states():
        store.add_document(Document(state.doc_id, text))
        store.commit(state.doc_id, str(state.annotator), 0, state.with_(version=1), "do",
                     o.ReplaceAnnotations(state), None, None)
    wanted = {s.doc_id: s.with_(version=1, created_at=None, updated_at=None) for _, s in seed_states()}
    for _, stored in store.iter_annotated():
        assert len(stored) == 1
        same_objects(stored[0].with_(created_at=None, updated_at=None), wanted[stored[0].doc_id])
    schema = load_schema(default_schema_path())
    for fmt in ("native", "label-studio"):
        out = tmp_path / f"o.{fmt}"
        export_store(store, schema, get_format(fmt), out)
        if fmt == "native":
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            spans = [(r["text"], s) for r in records for s in r["entities"] + r["claims"]]
        else:
            tasks = json.loads(out.read_text(encoding="utf-8"))
            spans = [(t["data"]["text"], item["value"]) for t in tasks for a in t["annotations"]
                     for item in a["result"] if "start" in item.get("value", {})]
        assert len(spans) >= sum(len(s.entities) for s in wanted.values())
        for text, span in spans:
            assert text[span["start"]:span["end"]] == span["text"]


# -- the tokenizing writers: tokens as offsets, lines and token JSON made without per-token objects ----

texts = st.lists(st.sampled_from([*"ab \n\t.،؟\"\\\x00\ud800😀‍", "كتب", "وال", "2019", "é"]),
                 max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_prodigy_token_json_is_what_json_dumps_wrote(text: str) -> None:
    from annotator.formats import prodigy

    tokens = prodigy._OurTokens(text)
    out = io.StringIO()
    tokens.write_json(out)
    assert out.getvalue() == json.dumps(tokens.dicts(0, len(tokens.starts)), ensure_ascii=False)
    assert [(t["start"], t["end"]) for t in tokens.dicts(0, len(tokens.starts))] == \
        [(t.start, t.end) for t in tokenize(text)]


@settings(max_examples=200, deadline=None)
@given(texts, st.dictionaries(st.integers(0, 20), st.lists(st.sampled_from(["B-PER", "I-PER", "x"]), min_size=1,
                                                                  max_size=2), max_size=4),
       st.dictionaries(st.integers(0, 20).map(str), st.sampled_from(["F", "#"]), max_size=3),
       st.sampled_from([" ", "\t"]), st.integers(1, 5))
def test_conll_lines_are_one_per_token_as_before(text: str, tagged: dict, flags: dict, sep: str,
                                                 at_once: int) -> None:
    from annotator.formats import conll
    from annotator.formats._spans import token_bounds

    starts, ends = token_bounds(text)
    want = [sep.join([text[s:e], *tagged.get(i, ["O"]), *([flags[str(i)]] if str(i) in flags else [])]) + "\n"
            for i, (s, e) in enumerate(zip(starts, ends, strict=True))] + ["END\n"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conll, "_LINES_AT_ONCE", at_once)
        pieces = list(conll._lines(text, starts, ends, tagged, sep, flags, "END"))
    assert "".join(pieces) == "".join(want)
    assert all(piece.count("\n") <= at_once + 1 for piece in pieces)  # bounded, not the whole block at once


# -- a state's entities made in bulk (``codec._many``): the objects of the item-by-item path, or a bail -------

entity_dicts = st.lists(st.one_of(
    st.fixed_dictionaries({"id": st.text(max_size=3), "start": scalars, "end": scalars, "label": scalars},
                          optional={"source": scalars, "identity": scalars, "extra": scalars, "claimer": scalars}),
    st.dictionaries(st.sampled_from(["id", "start", "end", "label", "source", "identity"]), scalars),
    json_values), max_size=5)


@settings(max_examples=300, deadline=None)
@given(entity_dicts)
def test_entities_made_in_bulk_are_the_item_by_item_objects(items: list) -> None:
    many = codec._many(Entity)
    assert many is not None  # Entity qualifies: plain fields with plain defaults
    try:
        want: tuple | None = tuple(codec._quick(Entity)(x) for x in items)
    except Exception:  # noqa: BLE001 - the item-by-item path bails too
        want = None
    try:
        got: tuple | None = many(items)
    except (codec._Bail, KeyError, TypeError):
        got = None
    if got is not None:
        assert want is not None
        same_objects(got, want)
    elif want is not None:  # a bail is allowed only where the checked path decides: an extra key
        assert any(set(x) - {n for n, *_ in codec._plan(Entity)} for x in items)
    as_checked(Annotations, {"doc_id": "d", "annotator": None, "entities": items})

def test_a_claim_is_not_made_in_bulk() -> None:
    """Claims hold a mapping (copied per claim by the checked path): item by item."""
    assert codec._many(Claim) is None
