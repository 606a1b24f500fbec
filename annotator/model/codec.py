"""The one JSON codec of the model's dataclasses, driven by their fields and type hints.

``encode`` writes every field in declaration order; ``decode`` reads them back,
recursing into the fields whose type hints name a class with a ``from_json``
(spans, states, operations) and into tuples and mappings of them. Missing fields
take the dataclass default; a required field that is missing, or an object or list
where the hints want the other, is an ``OperationError`` naming the field. Scalar
values are passed through as they are: the operations check them (``model.checks``,
``Attribute.check``) when they are applied, so a value is judged in one place only.

The formats these produce are fixed by existing stores (the op log and the stored
state); ``tests/golden/oplog_v1.jsonl`` holds what the first, hand-written codecs wrote.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from annotator.errors import OperationError
from annotator.model.checks import json_type

T = TypeVar("T")
F = TypeVar("F")


class WritesItself:
    """Base of the classes whose JSON form is their own ``to_json()`` (operations add their
    ``"op"`` tag, a state leaves null span fields out); ``encode`` calls it when nested."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


_SCALARS = frozenset({str, int, float, bool, type(None)})


def encode(value: Any) -> Any:
    """JSON data for a ``WritesItself``, a dataclass (every field, in order), a tuple or
    list, a mapping, or a scalar."""
    if type(value) in _SCALARS:  # most values: answered before the slower checks (imports encode millions)
        return value
    if isinstance(value, WritesItself):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return encode_fields(value)
    if isinstance(value, (tuple, list)):
        return [encode(x) for x in value]
    if isinstance(value, Mapping):
        return {k: encode(v) for k, v in value.items()}
    return value


def encode_fields(value: Any, *, omit_none: bool = False, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every field of dataclass ``value`` in declaration order (``omit_none``: without null ones;
    the fields a class names in ``OMIT_NONE`` are always left out while null: fields added later,
    so that what was written before they existed keeps its bytes); ``given``: fields the caller has
    encoded its own way, put in their place (not encoded a second time only to be replaced)."""
    out: dict[str, Any] = {}
    names = _NAMES.get(type(value))
    if names is None:
        names = _NAMES[type(value)] = tuple(f.name for f in fields(value))
    optional: frozenset[str] = getattr(value, "OMIT_NONE", frozenset())
    for name in names:
        if given is not None and name in given:
            out[name] = given[name]
            continue
        v = getattr(value, name)
        if v is None and (omit_none or name in optional):
            continue
        out[name] = encode(v)
    return out


def span_writer(cls: type, keys: tuple[str, ...], omit_none: frozenset[str]) -> Any:
    """``Span.to_json`` for ``cls`` as straight-line code, made once per class (an export writes every
    span): ``keys`` in order, ``"text"`` the covered ``text[start:end]``, a key of ``omit_none`` left out
    while null, a mapping written with its keys sorted, then ``source`` when set."""
    writer = _WRITERS.get(cls)
    if writer is None:
        body = ["def to_json(self, text):", "    out = {}"]
        for key in keys:
            if key == "text":
                body.append("    out['text'] = text[self.start:self.end]")
                continue
            body.append(f"    v = self.{key}")
            put = f"out[{key!r}] = v if type(v) in _S else _sorted_map(v)"
            body.append(f"    if v is not None: {put}" if key in omit_none else f"    {put}")
        body += ["    if self.source is not None: out['source'] = self.source", "    return out"]
        env: dict[str, Any] = {"_S": _SCALARS, "_sorted_map": _sorted_map}
        if not all(k.isidentifier() for k in keys):
            raise TypeError(f"{cls.__name__}.EXPORT_KEYS must be field names: {keys!r}")
        exec("\n".join(body), env)  # noqa: S102 - code made from the class's own key names, no data
        writer = _WRITERS[cls] = env["to_json"]
    return writer


def _sorted_map(value: Any) -> Any:
    return dict(sorted(value.items())) if isinstance(value, Mapping) else value


_WRITERS: dict[type, Any] = {}
_NAMES: dict[type, tuple[str, ...]] = {}  # each dataclass's field names, in order (``fields`` is slow)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of ``cls`` (resolved once: it is the slow part of decoding)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def decode(cls: type[T], data: object, what: str) -> T:
    """An instance of dataclass ``cls`` from the JSON object ``data`` (``what`` names it in errors).

    A quick decoder made for ``cls`` from its plan (``_quick``) tries first: it checks what
    ``decode_checked`` checks, but bails out at anything unexpected, and the checked path then decides,
    so the result, and every error and its words, are those of ``decode_checked``."""
    quick = _QUICK.get(cls)
    if quick is None:
        quick = _QUICK[cls] = _quick(cls)
    try:
        return quick(data)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - anything unexpected: the checked path answers, or raises its own error
        return decode_checked(cls, data, what)


def decode_checked(cls: type[T], data: object, what: str) -> T:
    """``decode`` field by field, naming the field in each error (the reference the quick path follows)."""
    if not isinstance(data, Mapping):
        raise OperationError(f"{what} must be an object, not {json_type(data)}")
    kwargs: dict[str, Any] = {}
    for name, hint, required, plain in _plan(cls):
        if name not in data:
            if required:
                raise OperationError(f"{what}: {name!r} is missing")
            continue
        kwargs[name] = data[name] if plain else _value(hint, data[name], f"{what} {name}")
    return cls(**kwargs)


_BY_FIELDS: set[Any] = set()


def by_fields(from_json: F) -> F:
    """Mark a ``from_json`` that is ``decode(cls, data, …)`` and nothing else: a quick decoder holding
    such objects calls their quick decoder directly (a failure then sends the whole object to the
    checked path, which calls ``from_json`` and reports the error as it always did)."""
    _BY_FIELDS.add(from_json)
    return from_json


class _Bail(Exception):
    """The quick decoder met what it does not handle: the checked path takes over."""


_QUICK: dict[type, Any] = {}
_MISSING_KEY = object()


def _quick(cls: type) -> Any:
    """A function decoding a ``dict`` into ``cls`` with no per-field interpretation: the plan is
    turned into straight-line code once per class (an export decodes every stored state, about
    20 objects per document). A field whose hint is not a plain value, a tuple of a class with
    ``from_json`` or a mapping is left to ``_value`` with the same hint. The instance is built by
    filling its ``__dict__`` when the class is a plain dataclass whose ``__init__`` does nothing else
    (no ``__post_init__``, no slots, every field set by ``__init__``), else by calling the class."""
    env: dict[str, Any] = {"_cls": cls, "_Bail": _Bail, "_M": _MISSING_KEY, "_value": _value, "_new": object.__new__}
    body = ["def quick(data):", "    if type(data) is not dict: raise _Bail", "    get = data.get"]
    names = []
    dc_fields = {f.name: f for f in fields(cls)}
    for i, (name, hint, required, plain) in enumerate(_plan(cls)):
        v = f"v{i}"
        names.append((name, v))
        f = dc_fields[name]
        if required:
            body.append(f"    {v} = data[{name!r}]")  # a KeyError bails
        elif plain and f.default is not MISSING:
            env[f"d{i}"] = f.default  # one shared default (a plain value, as ``__init__`` shares it too)
            body.append(f"    {v} = get({name!r}, d{i})")
            continue
        else:
            env[f"d{i}"] = f.default if f.default is not MISSING else f.default_factory
            call = "" if f.default is not MISSING else "()"
            body.append(f"    {v} = get({name!r}, _M)")
            body.append(f"    if {v} is _M: {v} = d{i}{call}")
            if not plain:
                body.append("    else:")
        indent = "    " if required else "        "
        if plain:
            continue
        origin, args = get_origin(hint), get_args(hint)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type) \
                and hasattr(args[0], "from_json"):
            item = args[0]
            by_fields = getattr(item.from_json, "__func__", None) in _BY_FIELDS
            env[f"f{i}"] = (_QUICK.setdefault(item, _quick(item)) if item not in _QUICK else _QUICK[item]) \
                if by_fields else item.from_json
            body.append(f"{indent}if type({v}) is not list: raise _Bail")
            many = _many(item) if by_fields else None
            if many is not None:  # a list of plain objects (entities): made in bulk, no call an item
                env[f"m{i}"] = many
                body.append(f"{indent}{v} = m{i}({v})")
            else:
                body.append(f"{indent}{v} = tuple([f{i}(x) for x in {v}])")
        elif origin is Mapping or origin is dict:
            body.append(f"{indent}if {v} is None: {v} = {{}}")
            body.append(f"{indent}elif type({v}) is dict: {v} = dict({v})")
            body.append(f"{indent}else: raise _Bail")
        else:
            env[f"h{i}"] = hint
            body.append(f"{indent}{v} = _value(h{i}, {v}, '')")
    if _fills_dict(cls, [n for n, _ in names]):
        body.append("    obj = _new(_cls)")
        body.append("    obj.__dict__.update({" + ", ".join(f"{n!r}: {v}" for n, v in names) + "})")
        body.append("    return obj")
    else:
        body.append("    return _cls(" + ", ".join(f"{n}={v}" for n, v in names) + ")")
    exec("\n".join(body), env)  # noqa: S102 - code made from the class's own field names, no data
    return env["quick"]


def _many(cls: type) -> Any:
    """A function decoding a list of ``dict`` into a tuple of ``cls`` in bulk, for a class whose fields are all
    plain values with plain defaults and whose instances ``_quick`` fills by ``__dict__`` (``Entity``: an export
    decodes every span of every state): each object's ``__dict__`` is the defaults updated with its ``dict``
    (``{**defaults, **x}``: the fields in their order, as ``_quick`` fills them), set with C calls only. It
    raises ``_Bail`` (the checked path answers) for an item that is not a ``dict``, lacks a required field or
    holds a key that is not a field (which the checked path ignores); None when ``cls`` does not qualify."""
    plan = _plan(cls)
    defaults = {f.name: f.default for f in fields(cls)}
    if not plan or not all(plain for *_, plain in plan) or not _fills_dict(cls, [n for n, *_ in plan]) \
            or any(not required and defaults[name] is MISSING for name, _, required, _ in plan):
        return None
    setter = next((k.__dict__["__dict__"].__set__ for k in cls.__mro__ if "__dict__" in k.__dict__), None)
    if setter is None:
        return None
    template = {name: None if required else defaults[name] for name, _, required, _ in plan}
    needed = [name for name, _, required, _ in plan if required]
    env: dict[str, Any] = {"_cls": cls, "_Bail": _Bail, "_T": template, "_N": {len(template)}, "_D": {dict},
                           "_need": itemgetter(*needed) if needed else None, "_new": object.__new__,
                           "_set": setter, "_repeat": repeat}
    body = ["def many(items):",
            "    if {*map(type, items)} - _D: raise _Bail",  # dicts only (a KeyError of _need, a bail too)
            *(["    list(map(_need, items))"] if needed else []),
            "    made = [{**_T, **x} for x in items]",
            "    if {*map(len, made)} - _N: raise _Bail",  # a key that is not a field
            "    objs = list(map(_new, _repeat(_cls, len(made))))",
            "    any(map(_set, objs, made))",  # each returns None: all are set
            "    return tuple(objs)"]
    exec("\n".join(body), env)  # noqa: S102 - code made from the class's own field names, no data
    return env["many"]


def _fills_dict(cls: type, init_names: list[str]) -> bool:
    """Whether filling ``__dict__`` with the init fields makes the instance ``cls(**fields)`` makes: a
    dataclass without slots or ``__post_init__``, whose fields are all set by the ``__init__`` that
    ``dataclasses`` wrote (it is compiled from a string)."""
    init = cls.__dict__.get("__init__") or getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    return (is_dataclass(cls) and not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
            and code is not None and code.co_filename in _written_by_dataclasses()
            and [f.name for f in fields(cls)] == init_names
            and not any(repr(getattr(f, "_field_type", "")) == "_FIELD_INITVAR"  # an InitVar goes to __post_init__
                        for f in getattr(cls, "__dataclass_fields__", {}).values()))


def _written_by_dataclasses() -> tuple[str, ...]:
    """Where the code of an ``__init__`` that ``dataclasses`` wrote comes from: compiled from a string, or
    taken precompiled from ``annotator._dataclass_code`` (``annotator.dataclass_code``: the same source)."""
    table = sys.modules.get("annotator._dataclass_code")
    return ("<string>", getattr(table, "__file__", None) or "<string>")


_PLANS: dict[type, list[tuple[str, Any, bool, bool]]] = {}


def _plan(cls: type) -> list[tuple[str, Any, bool, bool]]:
    """Per init field of ``cls``: (name, hint, required, plain: passed through as it is), worked out once
    (an export decodes every stored state: asking the type hints per value was most of its time)."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = _hints(cls)
        plan = _PLANS[cls] = [
            (f.name, hints[f.name], f.default is MISSING and f.default_factory is MISSING,
             not _structured(hints[f.name]) and not any(_structured(a) for a in get_args(hints[f.name])))
            for f in fields(cls) if f.init]
    return plan


def _value(hint: Any, value: object, what: str) -> Any:
    """One field's value, decoded as far as its type hint says it is structured."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        if value is None:
            return None
        structured = [a for a in get_args(hint) if a is not type(None) and _structured(a)]
        return _value(structured[0], value, what) if structured else value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise OperationError(f"{what} must be a list, not {json_type(value)}")
        return tuple(_value(get_args(hint)[0], x, what) for x in value)
    if origin is Mapping or origin is dict:
        if value is None:
            return {}  # the first codecs read a null mapping as empty
        if not isinstance(value, Mapping):
            raise OperationError(f"{what} must be an object, not {json_type(value)}")
        return dict(value)
    if isinstance(hint, type) and hasattr(hint, "from_json"):
        return hint.from_json(value)
    return value


def _structured(hint: Any) -> bool:
    return get_origin(hint) in (tuple, Mapping, dict) or (isinstance(hint, type) and hasattr(hint, "from_json"))
