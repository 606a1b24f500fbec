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

import types
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from annotator.errors import OperationError
from annotator.model.checks import json_type

T = TypeVar("T")


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


def encode_fields(value: Any, *, omit_none: bool = False) -> dict[str, Any]:
    """Every field of dataclass ``value`` in declaration order (``omit_none``: without null ones;
    the fields a class names in ``OMIT_NONE`` are always left out while null: fields added later,
    so that what was written before they existed keeps its bytes)."""
    out: dict[str, Any] = {}
    names = _NAMES.get(type(value))
    if names is None:
        names = _NAMES[type(value)] = tuple(f.name for f in fields(value))
    optional: frozenset[str] = getattr(value, "OMIT_NONE", frozenset())
    for name in names:
        v = getattr(value, name)
        if v is None and (omit_none or name in optional):
            continue
        out[name] = encode(v)
    return out


_NAMES: dict[type, tuple[str, ...]] = {}  # each dataclass's field names, in order (``fields`` is slow)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of ``cls`` (resolved once: it is the slow part of decoding)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def decode(cls: type[T], data: object, what: str) -> T:
    """An instance of dataclass ``cls`` from the JSON object ``data`` (``what`` names it in errors)."""
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
