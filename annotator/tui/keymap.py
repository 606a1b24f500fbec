"""A user's keymap: a YAML file mapping binding ids to keys, checked, then handed to
Textual's keymap support (``App.set_keymap``), which rebinds by ``Binding.id``.

The file is read strictly, like a schema: every problem (not YAML, not a mapping, an
unknown id, a key name Textual would never send, a key already used by another binding
on the same screen) is collected with its file and line and raised as one
``KeymapError``; nothing is applied unless the whole file is good. Checking happens
before the app starts, against the keys of the schema in use (label ids are
``label.<KEY>``), because a clash Textual met at run time would silently unbind a key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.keys import Keys, key_to_character

from annotator.errors import InputError
from annotator.schema.model import Schema
from annotator.tui.bindings import CLAIM_ID, LABEL_ID_PREFIX, MAIN_KEYS, all_specs, app_bindings, key_for_character

MAX_KEYMAP_BYTES = 64_000
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual's order: sorted
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<")) - {"ctrl-at"}
if TYPE_CHECKING:  # PyYAML is imported when a keymap file is read: start-up without one does not need it
    from yaml.nodes import Node

_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null")}


class KeymapError(InputError):
    """A keymap file is invalid: names the file, the line and every problem."""


@dataclass(frozen=True)
class Entry:
    """One line of a keymap file: a binding id and the keys it moves to."""

    id: str
    keys: tuple[str, ...]  # Textual key names
    line: int


@dataclass(frozen=True)
class Keymap:
    """The overrides read from one file (``path``), not yet checked against a schema."""

    path: str
    entries: tuple[Entry, ...]

    def resolve(self, schema: Schema) -> dict[str, str]:
        """The Textual keymap (binding id -> comma-separated keys) for the app with ``schema``;
        raises ``KeymapError`` naming every unknown id and every key bound twice."""
        problems: list[tuple[int, str]] = []
        by_id = {e.id: e for e in self.entries}
        scopes = binding_scopes(schema)
        known = {bid for scope in scopes.values() for bid in scope}
        for entry in self.entries:
            if entry.id not in known:
                problems.append((entry.line, _unknown(entry.id, schema, known)))
        for scope in scopes.values():
            holders: dict[str, list[str]] = {}
            for bid, default in scope.items():
                keys = by_id[bid].keys if bid in by_id else default
                for key in dict.fromkeys(keys):
                    holders.setdefault(key, []).append(bid)
            for key, ids in holders.items():
                if len(ids) < 2:
                    continue
                for bid in ids:
                    if bid not in by_id:
                        continue
                    others = ", ".join(_holder(o, by_id) for o in ids if o != bid)
                    problem = f"{bid}: key {key} is already used by {others}"
                    if (by_id[bid].line, problem) not in problems:
                        problems.append((by_id[bid].line, problem))
                    break  # one report per clash, on the first keymap line involved
        _raise(self.path, problems)
        return {e.id: ",".join(e.keys) for e in self.entries}


def default_keymap_path(environ: os._Environ[str] | dict[str, str] | None = None) -> Path | None:
    """``$XDG_CONFIG_HOME/annotator/keymap.yaml``, else ``~/.config/annotator/keymap.yaml``
    (None when there is no home folder). A relative ``XDG_CONFIG_HOME`` is ignored, as the
    XDG spec says."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "annotator" / "keymap.yaml"
    try:
        return Path.home() / ".config" / "annotator" / "keymap.yaml"
    except RuntimeError:
        return None


def find_keymap(option: str | None) -> Keymap | None:
    """The keymap of ``--keymap FILE`` (which must exist), else the default file if there is one."""
    if option is not None:
        return read_keymap(option)
    path = default_keymap_path()
    if path is not None and path.exists():
        return read_keymap(path)
    return None


def read_keymap(path: str | Path) -> Keymap:
    """Read and check the file's shape and key names (ids are checked by ``Keymap.resolve``)."""
    label = str(path)
    if Path(path).exists() and not Path(path).is_file():
        raise KeymapError("not a regular file: a keymap is a YAML file", label)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEYMAP_BYTES + 1)
    except OSError as exc:
        raise KeymapError(f"cannot read the keymap file: {exc.strerror or exc}", label) from None
    if len(data) > MAX_KEYMAP_BYTES:
        raise KeymapError(f"the keymap file is too large (over {MAX_KEYMAP_BYTES} bytes)", label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeymapError("the keymap file is not valid UTF-8", label, data.count(b"\n", 0, exc.start) + 1,
                          byte_offset=exc.start) from None
    return parse_keymap(text, label)


def parse_keymap(text: str, label: str = "<keymap>") -> Keymap:
    """A keymap from YAML text: ``binding.id: key`` per line, a value being one key, keys
    separated by commas, or a list of keys."""
    if "\0" in text:
        raise KeymapError("this is binary data, not a YAML keymap (NUL character)", label,
                          text.count("\n", 0, text.index("\0")) + 1)
    import yaml
    from yaml.nodes import MappingNode, ScalarNode

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise KeymapError(f"not valid YAML: {problem}", label, mark.line + 1 if mark else None) from None
    if root is None:
        return Keymap(label, ())  # empty or only comments: no overrides
    if not isinstance(root, MappingNode):
        raise KeymapError("a keymap is a mapping of binding ids to keys (e.g. `document.next: j`)",
                          label, _line(root))
    problems: list[tuple[int, str]] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = _line(key_node)
        if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
            problems.append((line, "a binding id must be plain text such as document.next"))
            continue
        bid = str(key_node.value)
        if bid in seen:
            problems.append((line, f"{bid} is given twice (first on line {seen[bid]})"))
            continue
        seen[bid] = line
        keys, bad = _keys(value_node)
        if bad:
            problems.append((_line(value_node), f"{bid}: {bad}"))
        elif keys:
            entries.append(Entry(bid, keys, line))
    _raise(label, problems)
    return Keymap(label, tuple(entries))


def key_name(spelled: str) -> str | None:
    """The Textual key name for a key as a person writes it (``?``, ``ctrl+j``, ``F5``,
    ``question_mark``), or None if Textual would never send it."""
    if len(spelled) == 1:
        return key_for_character(spelled) if spelled.isprintable() else None
    *mods, base = spelled.split("+")
    mods = [m.lower() for m in mods]
    if any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods) or not base:
        return None
    if len(base) == 1:
        if not base.isprintable() or base == " ":
            return None
        base = key_for_character(base) if not mods else base.lower() if base.isalpha() else key_for_character(base)
    else:
        base = base.lower() if base.lower() in NAMED_KEYS else base
        if base not in NAMED_KEYS and key_to_character(base) is None:
            return None
    return "+".join([*sorted(mods), base])


def _keys(node: Node) -> tuple[tuple[str, ...], str]:
    """(key names, "") or ((), why not)."""
    from yaml.nodes import ScalarNode, SequenceNode

    if isinstance(node, ScalarNode) and node.tag in _PLAIN_TAGS:
        raw = str(node.value)
        if not raw.strip():
            return (), "give at least one key (a binding cannot be removed, only moved)"
        spelled = [raw] if raw.strip() == "," else [k.strip() for k in raw.split(",")]
    elif isinstance(node, SequenceNode):
        spelled = []
        for item in node.value:
            if not isinstance(item, ScalarNode) or item.tag not in _PLAIN_TAGS:
                return (), "a list of keys holds only keys such as ctrl+j"
            spelled.append(str(item.value) if str(item.value) in (" ", ",") else str(item.value).strip())
        if not spelled:
            return (), "give at least one key (a binding cannot be removed, only moved)"
    else:
        return (), "expected a key, keys separated by commas, or a list of keys"
    names = []
    for key in spelled:
        name = key_name(key) if key else None
        if name is None:
            return (), (f"{key!r} is not a key Textual knows (write e.g. j, J, ?, ctrl+j, alt+left, f5, "
                        "space, enter, escape, pageup)")
        names.append(name)
    return tuple(dict.fromkeys(names)), ""


def binding_scopes(schema: Schema) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each screen, every binding id live there and its default keys: the annotation
    screen with ``schema``'s keys, and each dialog; the app's keys are live everywhere."""
    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
    from annotator.tui.screens.documents import DocumentListScreen
    from annotator.tui.screens.help import HelpScreen
    from annotator.tui.screens.prompts import GotoScreen

    app = _ids(app_bindings())
    scopes = {"annotation screen": {**app, **{s.id: tuple(s.keys.split(",")) for s in all_specs(schema)}}}
    for screen in (HelpScreen, DocumentListScreen, ClaimFormScreen, ClaimerPickerScreen, GotoScreen):
        scopes[screen.__name__] = {**app, **_ids(screen.BINDINGS)}
    return scopes


def _ids(bindings: Iterable) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.id is not None:
            out[binding.id] = (*out.get(binding.id, ()), binding.key)
    return out


def _unknown(bid: str, schema: Schema, known: set[str]) -> str:
    if bid.startswith(LABEL_ID_PREFIX):
        label = bid.removeprefix(LABEL_ID_PREFIX)
        labels = ", ".join(lab.key for lab in schema.labels)
        return f"{bid}: schema {schema.name} has no label {label!r} (its labels: {labels})"
    if bid == CLAIM_ID:
        return f"{bid}: schema {schema.name} has no claims"
    table = {s.id for s in MAIN_KEYS}
    if bid in table:
        return (f"{bid}: not bound with schema {schema.name}, whose hotkeys take its key; "
                "bind the same action with its other id")
    close = difflib.get_close_matches(bid, sorted(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown binding id {bid!r}{hint}; docs/tui.md lists them all"


def _holder(bid: str, by_id: dict[str, Entry]) -> str:
    if bid in by_id:
        return f"{bid} (line {by_id[bid].line})"
    if bid.startswith(LABEL_ID_PREFIX) or bid == CLAIM_ID:
        return f"{bid} (the schema's hotkey)"
    return f"{bid} (its default key)"


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _raise(label: str, problems: list[tuple[int, str]]) -> None:
    if not problems:
        return
    problems.sort(key=lambda p: p[0])
    (line, first), rest = problems[0], problems[1:]
    message = first + "".join(f"\n{label}:{n}: {p}" for n, p in rest)
    raise KeymapError(message, label, line)
