"""Load a label schema from YAML, safely and strictly.

Safely: the YAML is only *composed* (never constructed, ``yaml_tree``), so no tag can
run code; any tag outside the plain-data core (``!!python/object``, ``!!binary``,
``!foo``) is refused, files over ``MAX_SCHEMA_BYTES`` are refused, and aliases may
expand to at most ``located.MAX_NODES`` nodes and ``MAX_DEPTH`` levels, so a "billion
laughs" document fails at once instead of eating memory. A bundled schema as shipped
is not composed at all: its tree is stored (``located``), so start-up needs no PyYAML.

Strictly: every problem (unknown key, duplicate hotkey, unknown colour, …) is
collected with its file, line and key path such as ``labels[3].hotkey`` and
raised as one ``SchemaError`` listing them all, one per line. Scalars the schema
treats as text are read from their original spelling, so ``version: 1.10`` is
"1.10" and ``value: yes`` is "yes", not a float or a boolean.

Long because the checks of every schema section report into one problem collector;
each part is short.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from annotator import bundled
from annotator.errors import SchemaError
from annotator.schema.located import UNREADABLE, Item, Report, thaw
from annotator.schema.model import Attribute, AttributeChoice, ClaimSpec, EntityLabel, Schema

MAX_SCHEMA_BYTES = 1_000_000

ATTRIBUTE_KINDS = ("choice", "boolean", "text", "number")
BUILTIN_DOCUMENT_FIELDS = ("status", "notes")  # every document has these; schemas add others
KEY_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")

_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")

# key -> required?, for each mapping in the file
_TOP_KEYS = {"name": True, "version": True, "description": False, "labels": True,
             "allow_overlap": False, "allow_nesting": False, "claims": False,
             "document_attributes": False}
_LABEL_KEYS = {"key": True, "name_en": True, "name_ar": True, "color": True, "hotkey": True,
               "guideline": False, "guideline_ar": False}
_CLAIM_KEYS = {"enabled": False, "hotkey": False, "color": False, "claimer_labels": False,
               "claimer_required": False, "attributes": False}
_ATTRIBUTE_KEYS = {"key": True, "kind": True, "name_en": False, "name_ar": False,
                   "guideline": False, "required": False, "default": False, "choices": False,
                   "hotkey": False, "minimum": False, "maximum": False, "integer": False,
                   "ordered": False}
_CHOICE_KEYS = {"value": True, "name_en": False, "name_ar": False, "hotkey": False}


def default_schema_path() -> Path:
    """The bundled news fact-checking schema (``news.yaml`` in ``annotator.bundled``)."""
    return bundled_schema_path("news")


def bundled_schema_path(name: str) -> Path:
    """The bundled schema ``name`` as a file; it ships inside the package, so a wheel has it too."""
    return bundled.schema_path(name)


def bundled_schema_names() -> tuple[str, ...]:
    return bundled.schema_names()


def resolve_schema_path(spec: str | Path) -> Path:
    """A schema file from a path or the name of a bundled schema ("news", "wojood", "conll")."""
    path = Path(spec)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    bundled = bundled_schema_path(str(spec))
    if bundled.is_file():
        return bundled
    names = ", ".join(bundled_schema_names()) or "none found"
    raise SchemaError(f"no schema file or bundled schema named {str(spec)!r} (bundled: {names})", str(spec))


def load_schema(path: str | Path, *, reserved: Collection[str] = frozenset()) -> Schema:
    """Read, check and build the schema in ``path``; raise ``SchemaError`` naming every problem.

    ``reserved``: characters the app that will use the schema keeps for itself, which
    label and claim hotkeys may not take (the TUI passes its own; the loader knows no app)."""
    label = str(path)
    if Path(path).exists() and not Path(path).is_file() and not Path(path).is_dir():
        raise SchemaError("not a regular file (a named pipe or device would never end)", label)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SCHEMA_BYTES + 1)
    except OSError as exc:
        raise SchemaError(f"cannot read the schema file: {exc.strerror or exc}", label) from None
    return _load(_decode(data, label), label, reserved)


def load_schema_text(text: str, path: str | None = None, *, reserved: Collection[str] = frozenset()) -> Schema:
    """Check and build a schema from YAML text (``path`` only names it in messages; ``reserved``
    as for ``load_schema``)."""
    label = path or "<schema>"
    if len(text) > MAX_SCHEMA_BYTES:
        raise SchemaError(f"schema is too large (over {MAX_SCHEMA_BYTES} characters)", label)
    _refuse_binary_or_empty(text, label)
    return _load(text, label, reserved)


# --- reading ---------------------------------------------------------------------------

def _decode(data: bytes, label: str) -> str:
    if len(data) > MAX_SCHEMA_BYTES:
        raise SchemaError(f"schema file is too large (over {MAX_SCHEMA_BYTES} bytes)", label)
    nul = data.find(b"\0")
    if nul >= 0:
        raise SchemaError("this is a binary file, not a YAML schema (NUL byte)", label,
                          data.count(b"\n", 0, nul) + 1, byte_offset=nul)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaError("the schema file is not valid UTF-8", label,
                          data.count(b"\n", 0, exc.start) + 1, byte_offset=exc.start) from None
    _refuse_binary_or_empty(text, label)
    return text


def _refuse_binary_or_empty(text: str, label: str) -> None:
    nul = text.find("\0")
    if nul >= 0:
        raise SchemaError("this is binary data, not a YAML schema (NUL character)", label,
                          text.count("\n", 0, nul) + 1)
    if not text.strip():
        raise SchemaError("the schema file is empty", label)


# --- checking ----------------------------------------------------------------------------

def _suggestion(word: str, choices: Iterable[str]) -> str:
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Collects every problem of one file and builds the dataclasses as it goes."""

    def __init__(self, label: str, reserved: Collection[str] = frozenset()) -> None:
        self.label = label
        self.reserved = frozenset(reserved)
        self.problems: list[SchemaError] = []

    def report(self, problem: str, line: int | None, key_path: str | None) -> None:
        self.problems.append(SchemaError(problem, self.label, line, key_path=key_path or None))

    def fail_if_any(self) -> None:
        if not self.problems:
            return
        self.problems.sort(key=lambda p: p.line or 0)  # in file order, stable within a line
        first, rest = self.problems[0], self.problems[1:]
        problem = first.problem
        if rest:
            problem += "".join(f"\n{p.describe()}" for p in rest)
        error = SchemaError(problem, first.path, first.line, key_path=first.key_path)
        error.problems = tuple(self.problems)  # type: ignore[attr-defined]
        raise error

    # typed readers: each reports a wrong type and returns the default

    def fields(self, item: Item, spec: dict[str, bool], what: str) -> dict[str, Item]:
        if not isinstance(item.value, dict):
            self.report(f"{what} must be a mapping (key: value lines), found {item.describe()}",
                        item.line, item.path)
            return {}
        for key, sub in item.value.items():
            if key not in spec:
                self.report(f"unknown key {key!r} in {what}{_suggestion(key, spec)}", sub.key_line, sub.path)
        for key, required in spec.items():
            if required and key not in item.value:
                self.report(f"{what} is missing the required key {key!r}", item.line, _join(item.path, key))
        return {k: v for k, v in item.value.items() if k in spec}

    def text(self, item: Item | None, default: str = "", *, required: bool = False) -> str:
        if item is None:
            return default
        if not item.is_scalar:
            self.report(f"expected text, found {item.describe()}", item.line, item.path)
            return default
        if item.value is None or (isinstance(item.value, str) and not item.value.strip()):
            if required:
                self.report("must not be empty", item.line, item.path)
            return default
        return item.raw if item.raw is not None else default

    def flag(self, item: Item | None, default: bool) -> bool:
        if item is None:
            return default
        if not isinstance(item.value, bool):
            self.report(f"expected true or false, found {item.describe()}", item.line, item.path)
            return default
        return item.value

    def number(self, item: Item | None) -> int | float | None:
        if item is None or item.value is None or item.value is UNREADABLE:
            return None  # unreadable numbers are reported once, where they are read
        value = item.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.report(f"expected a number, found {item.describe()}", item.line, item.path)
            return None
        return value

    def items(self, item: Item | None) -> list[Item]:
        if item is None or item.value is None:
            return []
        if not isinstance(item.value, list):
            self.report(f"expected a list, found {item.describe()}", item.line, item.path)
            return []
        return item.value

    def key(self, item: Item | None) -> str:
        key = self.text(item, required=True)
        if key and not KEY_PATTERN.match(key):
            self.report(f"key {key!r} must be a letter followed by letters, digits, '_' or '-'",
                        item.line, item.path)  # type: ignore[union-attr]
        return key

    def hotkey(self, item: Item | None, owner: str, *, reserved: bool, required: bool = False) -> str:
        """One visible key, or "" when absent, null or ``""`` (and not ``required``).

        Read from the spelling, not via ``text``: that would strip a non-breaking space
        or a tab to nothing, and the label would silently have no key."""
        if item is None or item.value is None or item.raw == "":
            if required and item is not None:
                self.report(f"the hotkey of {owner} is empty: give it one key", item.line, item.path)
            return ""
        if not item.is_scalar:
            self.report(f"hotkey of {owner}: expected one character, found {item.describe()}", item.line, item.path)
            return ""
        key = item.raw if item.raw is not None else str(item.value)
        problem = _hotkey_problem(key)
        if problem:
            self.report(f"hotkey {_describe_key(key)} of {owner} must be a single printable character{problem}",
                        item.line, item.path)
        elif reserved and key in self.reserved:
            shown = "space" if key == " " else repr(key)
            self.report(f"hotkey {shown} is reserved by the annotation screen "
                        f"(reserved: {_reserved_list(self.reserved)})", item.line, item.path)
        return key

    def colour(self, item: Item | None, default: str) -> str:
        spelled = self.text(item)
        if not spelled:
            return _hex_colour(default) or default
        hex_colour = _hex_colour(spelled)
        if hex_colour is None:
            from rich.color import ANSI_COLOR_NAMES
            self.report(f"unknown colour {spelled!r}{_suggestion(spelled, ANSI_COLOR_NAMES)} "
                        "(use #rrggbb, #rgb or a Rich colour name)", item.line, item.path)  # type: ignore[union-attr]
            return default
        return hex_colour


def _hotkey_problem(key: str) -> str:
    """"" for one visible character; else why not (appended to the error)."""
    if len(key) != 1:
        return f", not {len(key)} characters"
    category = unicodedata.category(key)
    if key.isspace() or category.startswith("Z"):
        return ", not whitespace"
    if category.startswith("M"):
        return ", not a combining mark on its own"
    if category == "Cf":
        return ", not an invisible format character"
    if not key.isprintable():
        return ", not a control character"
    return ""


def _describe_key(key: str) -> str:
    """``'ab'``; with the code point and name of every invisible or blank character in it."""
    hidden = [ch for ch in key if not ch.isprintable() or ch.isspace()
              or unicodedata.category(ch).startswith("M")]
    if not hidden:
        return repr(key)
    names = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() for ch in dict.fromkeys(hidden))
    return names if len(key) == 1 else f"{key!r} ({names})"


def _reserved_list(reserved: frozenset[str]) -> str:
    return " ".join("space" if k == " " else k for k in sorted(reserved))


def _hex_colour(spelled: str) -> str | None:
    """``spelled`` as ``#rrggbb`` (understood alike by Rich and Textual), or None if unknown."""
    spelled = spelled.strip()
    match = _HEX_COLOUR.match(spelled)
    if match:
        digits = match.group(1).lower()
        return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits))
    from rich.color import Color, ColorParseError
    try:
        colour = Color.parse(spelled)
    except ColorParseError:
        return None
    if colour.is_default:
        return None
    r, g, b = colour.get_truecolor()
    return f"#{r:02x}{g:02x}{b:02x}"


class _Hotkeys:
    """Who holds each hotkey, to name the first holder when a second one claims it."""

    def __init__(self, check: _Checker) -> None:
        self.check = check
        self.holders: dict[str, str] = {}

    def claim(self, key: str, holder: str, item: Item | None) -> None:
        if not key or item is None:
            return
        if key in self.holders:
            self.check.report(f"duplicate hotkey {key!r}: already used by {self.holders[key]}", item.line, item.path)
        else:
            self.holders[key] = holder


def _load(text: str, label: str, reserved: Collection[str]) -> Schema:
    check = _Checker(label, reserved)
    root = _located_tree(text, label, check.report)
    if not isinstance(root.value, dict):
        raise SchemaError(f"a schema must be a mapping of keys (name, version, labels, …), "
                          f"found {root.describe()}", label, root.line)
    schema = _schema(check, root, label)
    check.fail_if_any()
    return schema


def _located_tree(text: str, label: str, report: Report) -> Item:
    """The tree of ``text`` (``SchemaError`` when it is not YAML or is refused whole); problems
    that leave a tree (a duplicate key, an unreadable number) go to ``report``."""
    from annotator.schema._bundled_trees import TREES  # a bundled schema as shipped: PyYAML not needed

    frozen = TREES.get(text)  # the whole text is the key: any other byte, and PyYAML reads it
    if frozen is not None:
        return thaw(frozen)
    from annotator.schema.yaml_tree import build_tree

    return build_tree(text, label, report)


def _schema(check: _Checker, root: Item, label: str) -> Schema:
    top = check.fields(root, _TOP_KEYS, "the schema")
    name = check.text(top.get("name"), required=True)
    version_item = top.get("version")
    if version_item is not None and version_item.is_scalar and isinstance(version_item.value, bool):
        check.report(f"version must be text or a number, found {version_item.describe()}",
                     version_item.line, version_item.path)
    version = check.text(version_item, required=True)
    hotkeys = _Hotkeys(check)
    labels = _labels(check, top.get("labels"), hotkeys)
    claims = _claims(check, top.get("claims"), labels, hotkeys)
    doc_attributes = _attributes(check, top.get("document_attributes"), "document attribute",
                                 taken=BUILTIN_DOCUMENT_FIELDS)
    return Schema(
        name=name,
        version=version,
        description=check.text(top.get("description")),
        labels=labels,
        allow_overlap=check.flag(top.get("allow_overlap"), False),
        allow_nesting=check.flag(top.get("allow_nesting"), True),
        claims=claims,
        document_attributes=doc_attributes,
        source_path=None if label == "<schema>" else label,
    )


def _labels(check: _Checker, item: Item | None, hotkeys: _Hotkeys) -> tuple[EntityLabel, ...]:
    if item is None:
        return ()  # reported as a missing required key
    entries = check.items(item)
    if not entries and isinstance(item.value, (list, type(None))):
        check.report("the label set is empty: a schema needs at least one entity label", item.line, item.path)
    labels: list[EntityLabel] = []
    seen: dict[str, str] = {}
    for entry in entries:
        f = check.fields(entry, _LABEL_KEYS, "a label")
        key = check.key(f.get("key"))
        if key:
            if key.lower() in seen:
                check.report(f"duplicate label key {key!r} (already used by {seen[key.lower()]})",
                             f["key"].line, f["key"].path)
            else:
                seen[key.lower()] = entry.path
        hotkey = check.hotkey(f.get("hotkey"), f"label {key!r}" if key else "this label",
                              reserved=True, required=True)
        hotkeys.claim(hotkey, f"{entry.path} ({key})", f.get("hotkey"))
        labels.append(EntityLabel(
            key=key,
            name_en=check.text(f.get("name_en"), required=True),
            name_ar=check.text(f.get("name_ar"), required=True),
            color=check.colour(f.get("color"), "white"),
            hotkey=hotkey,
            guideline=check.text(f.get("guideline")),
            guideline_ar=check.text(f.get("guideline_ar")),
        ))
    return tuple(labels)


def _claims(check: _Checker, item: Item | None, labels: tuple[EntityLabel, ...], hotkeys: _Hotkeys) -> ClaimSpec:
    if item is None:
        return ClaimSpec(enabled=False, color=_hex_colour(ClaimSpec.color) or ClaimSpec.color)
    f = check.fields(item, _CLAIM_KEYS, "the claims section")
    enabled = check.flag(f.get("enabled"), True)
    hotkey = check.hotkey(f.get("hotkey"), "claims", reserved=True) or ClaimSpec.hotkey
    if enabled:
        hotkeys.claim(hotkey, "the claim hotkey", f.get("hotkey") or item)
    label_keys = {lab.key for lab in labels}
    claimers: list[str] = []
    for entry in check.items(f.get("claimer_labels")):
        key = check.text(entry, required=True)
        if key and labels and key not in label_keys:
            check.report(f"claimer label {key!r} is not an entity label of this schema"
                         f"{_suggestion(key, label_keys)}", entry.line, entry.path)
        elif key in claimers:
            check.report(f"claimer label {key!r} is listed twice", entry.line, entry.path)
        elif key:
            claimers.append(key)
    return ClaimSpec(
        enabled=enabled,
        hotkey=hotkey,
        color=check.colour(f.get("color"), ClaimSpec.color),
        claimer_labels=tuple(claimers),
        claimer_required=check.flag(f.get("claimer_required"), False),
        attributes=_attributes(check, f.get("attributes"), "claim attribute"),
    )


def _attributes(check: _Checker, item: Item | None, what: str,
                taken: tuple[str, ...] = ()) -> tuple[Attribute, ...]:
    attributes: list[Attribute] = []
    seen: dict[str, str] = {}
    hotkeys = _Hotkeys(check)
    for entry in check.items(item):
        attribute = _attribute(check, entry, what)
        if attribute.key in taken:
            check.report(f"{attribute.key!r} is built into every document; choose another key",
                         entry.line, _join(entry.path, "key"))
        elif attribute.key in seen:
            check.report(f"duplicate {what} key {attribute.key!r} (already used by {seen[attribute.key]})",
                         entry.line, _join(entry.path, "key"))
        elif attribute.key:
            seen[attribute.key] = entry.path
        if isinstance(entry.value, dict):
            hotkeys.claim(attribute.hotkey, f"{entry.path} ({attribute.key})", entry.value.get("hotkey"))
        attributes.append(attribute)
    return tuple(attributes)


def _attribute(check: _Checker, entry: Item, what: str) -> Attribute:
    f = check.fields(entry, _ATTRIBUTE_KEYS, f"a {what}")
    key = check.key(f.get("key"))
    kind = check.text(f.get("kind"), required=True)
    if kind and kind not in ATTRIBUTE_KINDS:
        check.report(f"unknown attribute kind {kind!r}{_suggestion(kind, ATTRIBUTE_KINDS)} "
                     f"(kinds: {', '.join(ATTRIBUTE_KINDS)})", f["kind"].line, f["kind"].path)
    for only, kinds in (("choices", ("choice",)), ("minimum", ("number",)),
                        ("maximum", ("number",)), ("integer", ("number",)),
                        ("ordered", ("choice",))):
        if only in f and kind in ATTRIBUTE_KINDS and kind not in kinds:
            check.report(f"{only!r} only applies to {kinds[0]} attributes, not {kind}",
                         f[only].key_line, f[only].path)
    choices = _choices(check, f.get("choices")) if kind == "choice" else ()
    if kind == "choice" and not choices:
        where = f.get("choices") or entry
        check.report("a choice attribute needs at least one choice", where.line, _join(entry.path, "choices"))
    integer = check.flag(f.get("integer"), False)
    minimum, maximum = check.number(f.get("minimum")), check.number(f.get("maximum"))
    if minimum is not None and maximum is not None and minimum > maximum:
        check.report(f"minimum {minimum:g} is greater than maximum {maximum:g}", f["minimum"].line, f["minimum"].path)
    attribute = Attribute(
        key=key,
        kind=kind,
        name_en=check.text(f.get("name_en"), key),
        name_ar=check.text(f.get("name_ar")),
        required=check.flag(f.get("required"), False),
        choices=choices,
        hotkey=check.hotkey(f.get("hotkey"), f"{what} {key!r}" if key else f"this {what}", reserved=False),
        minimum=minimum,
        maximum=maximum,
        integer=integer,
        guideline=check.text(f.get("guideline")),
        ordered=check.flag(f.get("ordered"), False),
    )
    default_item = f.get("default")
    if default_item is None or default_item.value is None or kind not in ATTRIBUTE_KINDS:
        return attribute
    if kind in ("choice", "text") and not default_item.is_scalar:
        check.report(f"bad default: expected text, found {default_item.describe()}",
                     default_item.line, default_item.path)
        return attribute
    default = default_item.raw if kind in ("choice", "text") else default_item.value
    problem = attribute.check(default)
    if problem:
        check.report(f"bad default: {problem}", default_item.line, default_item.path)
        return attribute
    return replace(attribute, default=default)


def _choices(check: _Checker, item: Item | None) -> tuple[AttributeChoice, ...]:
    choices: list[AttributeChoice] = []
    values: dict[str, str] = {}
    hotkeys = _Hotkeys(check)
    for entry in check.items(item):
        f = check.fields(entry, _CHOICE_KEYS, "a choice")
        value = check.text(f.get("value"), required=True)
        if value in values:
            check.report(f"duplicate choice value {value!r} (already used by {values[value]})",
                         f["value"].line, f["value"].path)
        elif value:
            values[value] = entry.path
        hotkey = check.hotkey(f.get("hotkey"), f"choice {value!r}" if value else "this choice", reserved=False)
        hotkeys.claim(hotkey, f"{entry.path} ({value})", f.get("hotkey"))
        choices.append(AttributeChoice(value=value, name_en=check.text(f.get("name_en"), value),
                                       name_ar=check.text(f.get("name_ar")), hotkey=hotkey))
    return tuple(choices)
