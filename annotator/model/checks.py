"""The shape rules every stored value obeys, each in one place.

Operations, every reader (through ``formats._records.finish`` and the native
reader) and the app call these, so a value refused in one place is refused in
all of them. Each returns why a value is wrong, or None when it is fine, so a
caller can raise (operations) or report with file and line (readers).
Attribute values are checked by the schema's ``Attribute.check``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # checks is below annotations (which uses it through the codec)
    from annotator.model.annotations import Annotations, Span

DOC_STATUSES = ("todo", "in_progress", "done", "skipped", "flagged")


def json_type(value: object) -> str:
    """What a JSON value is, in words, for messages ("a list", "true/false" …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def brief(value: object, limit: int = 60) -> str:
    """``repr`` of a value cut to ``limit`` characters: messages stay one short, escaped line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def id_problem(value: object, what: str = "id") -> str | None:
    """The one rule for names that are keys (document, span and annotator ids, labels, sources):
    non-empty text that is not only white space or invisible marks, without control characters
    (C0 such as NUL, DEL, C1) or lone surrogates, which a database or a terminal cannot take."""
    if isinstance(value, str) and value.isprintable() and value.strip(" "):
        return None  # at once, the usual key: printable means no Cc, Cs or Cf, and no white space but " "
    subject = f"{what} " if what else ""  # "" when the caller names the field itself
    if not isinstance(value, str):
        return f"{subject}must be text, not {json_type(value)} ({brief(value)})"
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value):
        return f"{subject}is empty or only white space ({brief(value)})"
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            kind = "a lone surrogate" if unicodedata.category(ch) == "Cs" else "a control character"
            return f"{subject}{brief(value)} holds {kind} (U+{ord(ch):04X})"
    return None


def is_offset(value: object) -> bool:
    """Offsets are Python ints: not bools (``true`` is not 1), not floats (1.5 is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def scalar_problem(value: object, what: str) -> str | None:
    """An attribute value without a schema to say more: text, true/false, a finite number or null."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{what} must be a finite number, not {value!r}"
    return f"{what} must be text, true/false, a number or null, not {json_type(value)}"


def attributes_shape_problems(values: object, what: str) -> list[str]:
    """Attributes are an object of text keys to scalar values (the schema checks the rest)."""
    if not isinstance(values, Mapping):
        return [f"{what} attributes must be an object, not {json_type(values)}"]
    problems = []
    for key, value in values.items():
        if not isinstance(key, str):
            problems.append(f"{what} attribute name {brief(key)} is not text")
            continue
        p = scalar_problem(value, f"{what} attribute {brief(key)}")
        if p:
            problems.append(p)
    return problems


def source_problem(value: object, what: str = "source") -> str | None:
    """A span's ``source`` is null (the annotator's own) or a name such as ``import:prodigy``."""
    return None if value is None else id_problem(value, what)


def annotations_problems(ann: Annotations) -> list[str]:
    """Everything wrong with the types of a reader's record (not the schema's rules, which the
    operations check): ids, offsets, labels, status, notes, sources and attribute shapes."""
    problems = [p for p in (id_problem(ann.doc_id, "document id"),
                            None if ann.annotator is None else id_problem(ann.annotator, "annotator"))
                if p]
    if not isinstance(ann.status, str) or ann.status not in DOC_STATUSES:
        problems.append(f"status must be one of {', '.join(DOC_STATUSES)}, not {brief(ann.status)}")
    if not isinstance(ann.notes, str):
        problems.append(f"notes must be text, not {json_type(ann.notes)}")
    problems += attributes_shape_problems(ann.attributes, "document")
    for e in ann.entities:
        problems += _span_problems(e, "entity", [id_problem(e.label, f"entity {brief(e.id)} label"),
                                                 source_problem(e.identity, f"entity {brief(e.id)} identity")])
    for c in ann.claims:
        name = f"claim {brief(c.id)}"
        claimer = None if c.claimer is None else id_problem(c.claimer, f"{name} claimer")
        problems += _span_problems(c, "claim", [*attributes_shape_problems(c.attributes, name), claimer])
    return problems


def _span_problems(span: Span, kind: str, more: list[str | None]) -> list[str]:
    """What is wrong with a span's id, offsets and source, then ``more`` (its own fields')."""
    name = f"{kind} {brief(span.id)}"
    found = [id_problem(span.id, f"{kind} id"),
             None if is_offset(span.start) and is_offset(span.end) else
             f"{name}: offsets must be whole numbers, not {brief(span.start)}, {brief(span.end)}",
             source_problem(span.source, f"{name} source"), *more]
    return [p for p in found if p]
