"""The label schema as plain data: what may be labelled, how, and with which keys.

Loaded and validated from YAML by ``annotator.schema.loader``; used by the
operations (validation), the TUI (hotkeys, colours) and every format (names).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntityLabel:
    key: str  # e.g. "PER": what is stored and exported
    name_en: str
    name_ar: str
    color: str  # a colour name or #rrggbb that Textual/Rich understands
    hotkey: str  # one key, unique across the schema's labels and claim hotkey
    guideline: str = ""
    guideline_ar: str = ""


@dataclass(frozen=True)
class AttributeChoice:
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

    def choice(self, value: str) -> AttributeChoice | None:
        return next((c for c in self.choices if c.value == value), None)

    def check(self, value: object) -> str | None:
        """Why ``value`` does not fit this attribute, or None when it does (None is "unset")."""
        if value is None:
            return f"{self.key!r} is required" if self.required else None
        if self.kind == "choice":
            if isinstance(value, str) and self.choice(value) is not None:
                return None
            return f"{self.key!r} must be one of {', '.join(c.value for c in self.choices)}, not {value!r}"
        if self.kind == "boolean":
            return None if isinstance(value, bool) else f"{self.key!r} must be true or false, not {value!r}"
        if self.kind == "text":
            return None if isinstance(value, str) else f"{self.key!r} must be text, not {value!r}"
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                return f"{self.key!r} must be a number, not {value!r}"
            if self.integer and not float(value).is_integer():
                return f"{self.key!r} must be a whole number, not {value!r}"
            if self.minimum is not None and value < self.minimum:
                return f"{self.key!r} must be at least {self.minimum:g}, not {value!r}"
            if self.maximum is not None and value > self.maximum:
                return f"{self.key!r} must be at most {self.maximum:g}, not {value!r}"
            return None
        return f"{self.key!r} has unknown kind {self.kind!r}"


@dataclass(frozen=True)
class ClaimSpec:
    enabled: bool = True
    hotkey: str = "c"
    color: str = "yellow"
    claimer_labels: tuple[str, ...] = ()  # entity label keys that may be a claimer
    claimer_required: bool = False
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)


@dataclass(frozen=True)
class Schema:
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

    def label_for_hotkey(self, hotkey: str) -> EntityLabel | None:
        return next((lab for lab in self.labels if lab.hotkey == hotkey), None)

    @property
    def label_keys(self) -> tuple[str, ...]:
        return tuple(lab.key for lab in self.labels)

    def document_attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.document_attributes if a.key == key), None)
