"""The label schema as plain data: what may be labelled, how, and with which keys.

Loaded and validated from YAML by ``annotator.schema.loader``; used by the
operations (validation), the TUI (hotkeys, colours) and every format (names).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from annotator.model.annotations import AttrValue
from annotator.model.checks import brief


@dataclass(frozen=True)
class EntityLabel:
    """An entity label of the schema: its key, its names, colour and hotkey."""

    key: str  # e.g. "PER": what is stored and exported
    name_en: str
    name_ar: str
    color: str  # a colour name or #rrggbb that Textual/Rich understands
    hotkey: str  # one key, unique across the schema's labels and claim hotkey
    guideline: str = ""
    guideline_ar: str = ""


@dataclass(frozen=True)
class AttributeChoice:
    """One allowed value of a choice attribute, with its names and hotkey."""

    value: str
    name_en: str = ""
    name_ar: str = ""
    hotkey: str = ""


@dataclass(frozen=True)
class Attribute:
    """A claim (or document) attribute. ``kind`` is one of choice, boolean, text, number."""

    key: str
    kind: str
    name_en: str = ""
    name_ar: str = ""
    required: bool = False
    default: str | bool | int | float | None = None
    choices: tuple[AttributeChoice, ...] = ()
    hotkey: str = ""  # for boolean attributes in the claim form
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False  # number attributes: whole numbers only
    guideline: str = ""
    ordered: bool = False  # choice attributes: the choices are a scale, in order (agreement: ordinal α)

    def choice(self, value: str) -> AttributeChoice | None:
        return next((c for c in self.choices if c.value == value), None)

    def check(self, value: object) -> str | None:
        """Why ``value`` cannot be stored for this attribute, or None when it can (None is "unset").

        The one owner of this rule: operations, importers and the claim form all ask here.
        A number is an int or a finite float (never true/false, NaN or infinity); an
        ``integer`` attribute holds ints only, so what is stored is what was declared.
        """
        if value is None:
            return f"{self.key!r} is required" if self.required else None
        if self.kind == "choice":
            if isinstance(value, str) and self.choice(value) is not None:
                return None
            return f"{self.key!r}: {brief(value)} is not one of {', '.join(c.value for c in self.choices)}"
        if self.kind == "boolean":
            return None if isinstance(value, bool) else f"{self.key!r} must be true or false, not {brief(value)}"
        if self.kind == "text":
            return None if isinstance(value, str) else f"{self.key!r} must be text, not {brief(value)}"
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{self.key!r} must be a number, not {brief(value)}"
            if isinstance(value, float) and not math.isfinite(value):
                return f"{self.key!r} must be a finite number, not {value!r}"
            if self.integer and not isinstance(value, int):
                how = " written without a decimal point" if value.is_integer() else ""
                return f"{self.key!r} must be a whole number{how}, not {value!r}"
            if self.minimum is not None and value < self.minimum:
                return f"{self.key!r} must be at least {self.minimum:g}, not {brief(value)}"
            if self.maximum is not None and value > self.maximum:
                return f"{self.key!r} must be at most {self.maximum:g}, not {brief(value)}"
            return None
        return f"{self.key!r} has unknown kind {self.kind!r}"

    def parse(self, text: str) -> AttrValue:
        """The value that ``text`` (typed in the claim form, or read from a format that holds only
        strings) stands for, already checked; raises ValueError saying why it is refused.

        Numbers may use ASCII, Arabic-Indic (٠-٩) or Eastern Arabic-Indic (۰-۹) digits, an
        optional sign and ``.`` or ``٫`` before the decimals; nothing else (no exponents, no
        thousands separators, no NaN). Yes/no values: true/false, yes/no, 1/0, نعم/لا.
        """
        value: AttrValue
        if self.kind == "number":
            value = parse_number(text)
            if self.integer and isinstance(value, float) and value.is_integer() and math.isfinite(value):
                value = int(value)  # "4.0" typed for a whole number means 4
        elif self.kind == "boolean":
            low = text.strip().casefold()
            if low in _TRUE:
                value = True
            elif low in _FALSE:
                value = False
            else:
                raise ValueError(f"{self.key!r}: {brief(text)} is not a yes/no value (true/false, yes/no, 1/0)")
        else:
            value = text  # text and choices are taken exactly as given
        problem = self.check(value)
        if problem:
            raise ValueError(problem)
        return value


_TRUE = {"true", "1", "yes", "y", "t", "نعم"}
_FALSE = {"false", "0", "no", "n", "f", "لا"}
_BLANK = " \t\n\r\u00a0\u200e\u200f\u061c"  # spaces and the direction marks a paste may carry
_DIGITS = {chr(base + i): str(i) for base in (0x30, 0x660, 0x6F0) for i in range(10)}
_NUMBER = re.compile(r"([-+\u2212]?)([0-9\u0660-\u0669\u06f0-\u06f9]+)(?:[.\u066b]([0-9\u0660-\u0669\u06f0-\u06f9]+))?")


def parse_number(text: str) -> int | float:
    """A number written in ASCII or Arabic digits (see ``Attribute.parse``); ValueError otherwise."""
    m = _NUMBER.fullmatch(text.strip(_BLANK))
    if m is None:
        raise ValueError(f"{brief(text)} is not a number (digits 0-9, ٠-٩ or ۰-۹, with . or ٫ before decimals)")
    sign, whole, frac = m.groups()
    digits = "".join(_DIGITS[ch] for ch in whole)
    try:
        if frac is None:
            value: int | float = int(digits)
        else:
            value = float(digits + "." + "".join(_DIGITS[ch] for ch in frac))
    except ValueError:  # more digits than Python converts
        raise ValueError(f"{brief(text)} has too many digits") from None
    return -value if sign in ("-", "\u2212") else value


def attribute_problems(specs: tuple[Attribute, ...], values: object, what: str) -> list[str]:
    """Why a set of attribute values does not fit ``specs``: not an object, names the schema
    does not declare, or values its attributes refuse. A None value means "unset" and passes
    (a required attribute is enforced when the document is marked done)."""
    if not isinstance(values, Mapping):
        return [f"{what} attributes must be an object, not {brief(values)}"]
    by_key = {a.key: a for a in specs}
    problems: list[str] = []
    unknown: list[str] = []
    for key, value in values.items():
        attr = by_key.get(key) if isinstance(key, str) else None
        if attr is None:
            unknown.append(brief(key))
        elif value is not None:
            problem = attr.check(value)
            if problem:
                problems.append(f"{what} attribute {problem}")
    if unknown:
        known = ", ".join(by_key) or "none"
        problems.append(f"unknown {what} attribute(s), not in the schema: {', '.join(sorted(set(unknown)))} "
                        f"(it has: {known})")
    return problems


@dataclass(frozen=True)
class ClaimSpec:
    """How claims are marked: whether at all, their hotkey and colour, who may make one, their attributes."""

    enabled: bool = True
    hotkey: str = "c"
    color: str = "yellow"
    claimer_labels: tuple[str, ...] = ()  # entity label keys that may be a claimer
    claimer_required: bool = False
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)

    def attribute_problems(self, values: object) -> list[str]:
        return attribute_problems(self.attributes, values, "claim")


@dataclass(frozen=True)
class Schema:
    """What may be labelled: entity labels, claims and attributes, and the overlap rules."""

    name: str
    version: str
    description: str = ""
    labels: tuple[EntityLabel, ...] = ()
    allow_overlap: bool = False  # partially overlapping entity spans
    allow_nesting: bool = True  # one entity fully inside another
    claims: ClaimSpec = field(default_factory=ClaimSpec)
    document_attributes: tuple[Attribute, ...] = ()  # e.g. CheckThat! check_worthy
    source_path: str | None = None

    def label(self, key: str) -> EntityLabel | None:
        return next((lab for lab in self.labels if lab.key == key), None)

    @property
    def label_keys(self) -> tuple[str, ...]:
        return tuple(lab.key for lab in self.labels)

    def document_attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.document_attributes if a.key == key), None)

    def document_attribute_problems(self, values: object) -> list[str]:
        return attribute_problems(self.document_attributes, values, "document")
