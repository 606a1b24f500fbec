"""Every key of the annotation screen, in one table, each with an id: the screen binds
from it, a user's keymap (``keymap.py``) rebinds by id, and the help screen and the
palette are generated from what is bound.

Printable app keys are ``RESERVED_HOTKEYS``, which the TUI hands to the schema loader
so no label takes them. Keys marked ``optional`` (u/U for undo/redo) are only bound
when no schema key uses them, so a schema can never be shadowed by the app. Label
hotkeys (ids ``label.<KEY>``) and the claim hotkey (``claim.mark``) come from the schema.
Only public Textual API: ``Binding(id=…)``, class ``BINDINGS`` and ``App.set_keymap``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TypeVar

from textual.binding import Binding, BindingType
from textual.keys import KEY_NAME_REPLACEMENTS
from textual.screen import Screen

from annotator.schema.model import EntityLabel, Schema
from annotator.tui.shown import visible_controls


@dataclass(frozen=True)
class KeySpec:
    """One key of the app: its binding id, keys, action and what the footer and help call it."""

    id: str  # the binding id a keymap file names
    keys: str  # Textual key names, comma-separated alternatives
    action: str
    description: str
    group: str
    optional: bool = False  # yields to a schema hotkey on the same key
    show: bool = False  # shown in the footer
    short: str = ""  # the footer's word for it

    @property
    def footer(self) -> str:
        return self.short or self.description.split(" (")[0]

    def binding(self) -> Binding:
        """The Textual binding; app.* keys are the app's own and take priority (as Textual's are)."""
        app_key = self.action.startswith("app.")
        return Binding(self.keys, self.action.removeprefix("app.") if app_key else self.action, self.footer,
                       show=self.show, priority=app_key, id=self.id)


GROUPS = ("Move", "Select", "Find", "Label", "Proposals", "Claims", "Documents", "History", "App")

MAIN_KEYS: tuple[KeySpec, ...] = (
    # Move
    KeySpec("move.left", "left", "move('left')", "next word (in a right-to-left line)", "Move"),
    KeySpec("move.right", "right", "move('right')", "previous word (in a right-to-left line)", "Move"),
    KeySpec("move.line_up", "up", "move_line(-1)", "line up", "Move"),
    KeySpec("move.line_down", "down", "move_line(1)", "line down", "Move"),
    KeySpec("move.sentence_left", "ctrl+left", "sentence('left')", "next sentence (right-to-left)", "Move"),
    KeySpec("move.sentence_right", "ctrl+right", "sentence('right')", "previous sentence (right-to-left)", "Move"),
    KeySpec("move.paragraph_next", "ctrl+down", "paragraph(1)", "next paragraph", "Move"),
    KeySpec("move.paragraph_previous", "ctrl+up", "paragraph(-1)", "previous paragraph", "Move"),
    KeySpec("move.line_start", "home", "line_edge(1)", "start of the line (its first word)", "Move"),
    KeySpec("move.line_end", "end", "line_edge(0)", "end of the line (its last word)", "Move"),
    KeySpec("move.document_start", "ctrl+home", "document_edge(1)", "start of the document", "Move"),
    KeySpec("move.document_end", "ctrl+end", "document_edge(0)", "end of the document", "Move"),
    KeySpec("move.page_up", "pageup", "page(-1)", "page up", "Move"),
    KeySpec("move.page_down", "pagedown", "page(1)", "page down", "Move"),
    KeySpec("move.unlabelled", "g", "next_unlabelled",
            "next sentence with no label", "Move", show=True, short="unlabelled"),
    # Select
    KeySpec("select.left", "shift+left", "extend('left')", "extend selection a word leftwards", "Select"),
    KeySpec("select.right", "shift+right", "extend('right')", "extend selection a word rightwards", "Select"),
    KeySpec("select.line_up", "shift+up", "extend_line(-1)", "extend selection a line up", "Select"),
    KeySpec("select.line_down", "shift+down", "extend_line(1)", "extend selection a line down", "Select"),
    KeySpec("select.sentence", "space", "select_sentence", "select the whole sentence", "Select"),
    KeySpec("select.start_earlier", "left_square_bracket", "nudge('start',-1)",
            "start edge one character earlier (selection, else span under cursor)", "Select"),
    KeySpec("select.start_later", "right_square_bracket", "nudge('start',1)",
            "start edge one character later (drop و، ب، ل…)", "Select"),
    KeySpec("select.end_earlier", "left_curly_bracket", "nudge('end',-1)", "end edge one character earlier", "Select"),
    KeySpec("select.end_later", "right_curly_bracket", "nudge('end',1)", "end edge one character later", "Select"),
    KeySpec("select.clitic_next", "greater_than_sign", "clitic(1)",
            "start edge to the next proclitic edge (after و / ال)", "Select"),
    KeySpec("select.clitic_previous", "less_than_sign", "clitic(0)",
            "start edge back to the previous proclitic edge", "Select"),
    KeySpec("select.clear", "escape", "clear", "clear the selection / cancel", "Select"),
    # Find
    KeySpec("find.find", "ctrl+f", "find", "find in the document (harakat, hamza forms ignored)", "Find",
            short="find"),
    KeySpec("find.next", "f3", "find_next", "next match", "Find"),
    KeySpec("find.previous", "shift+f3", "find_previous", "previous match", "Find"),
    KeySpec("find.label_all", "ctrl+a", "label_all",
            "label every match (label under the cursor, else the last used); one undo step", "Find"),
    # Label (label hotkeys come from the schema, see label_bindings)
    KeySpec("span.delete", "x,delete,backspace", "delete_span",
            "delete the span under the cursor (innermost)", "Label", show=True, short="delete"),
    KeySpec("span.activate", "enter", "activate",
            "accept a pre-annotation / edit a claim / confirm the claimer", "Label"),
    # Proposals
    KeySpec("proposal.reject", "ctrl+r", "reject_proposal",
            "reject the proposal under the cursor (not proposed again here)", "Proposals"),
    KeySpec("proposal.next", "f4", "next_proposal(0)", "next proposal", "Proposals"),
    KeySpec("proposal.previous", "shift+f4", "next_proposal(1)", "previous proposal", "Proposals"),
    # Claims (the claim hotkey comes from the schema)
    KeySpec("claim.link_claimer", "ctrl+l", "link_claimer",
            "link the claim's claimer: move to an entity, then enter", "Claims"),
    KeySpec("claim.edit", "ctrl+e", "edit_claim", "edit the attributes of the claim under the cursor", "Claims"),
    KeySpec("claim.same_as", "equals_sign", "link_identity",
            "same person / organization: link the entity to another mention (or unlink it)", "Claims"),
    # Documents
    KeySpec("document.next", "n", "next_document", "next document", "Documents", show=True, short="next doc"),
    KeySpec("document.previous", "p", "previous_document",
            "previous document", "Documents", show=True, short="prev doc"),
    KeySpec("document.list", "slash", "document_list",
            "document list: filter by status, search", "Documents", show=True, short="documents"),
    KeySpec("document.goto", "colon", "goto_document", "go to document number N", "Documents"),
    KeySpec("document.done", "d", "set_status('done')",
            "mark done (checks required attributes)", "Documents", show=True, short="done"),
    KeySpec("document.skipped", "ctrl+k", "set_status('skipped')", "mark skipped", "Documents"),
    KeySpec("document.flagged", "ctrl+g", "set_status('flagged')", "mark flagged", "Documents"),
    KeySpec("document.note", "ctrl+n", "edit_note", "add or edit the document's note", "Documents"),
    KeySpec("document.spans", "tab", "focus_panel", "go to the list of spans (enter jumps to one)", "Documents"),
    # History
    KeySpec("history.undo", "ctrl+z", "undo",
            "undo (this document; survives restarts)", "History", show=True, short="undo"),
    KeySpec("history.redo", "ctrl+y", "redo", "redo", "History"),
    KeySpec("history.undo_letter", "u", "undo", "undo", "History", optional=True),
    KeySpec("history.redo_letter", "U", "redo", "redo", "History", optional=True),
    # App
    KeySpec("app.help", "question_mark,f1", "help", "this help", "App", show=True, short="help"),
    KeySpec("app.theme", "ctrl+t", "toggle_theme", "switch dark / light theme", "App"),
    KeySpec("app.controls", "f2", "toggle_controls",
            "show / hide invisible characters (bidi controls, ZWJ, ZWNJ…)", "App"),
    KeySpec("app.save", "ctrl+s", "already_saved", "nothing to do: every change is saved when it is made", "App"),
    KeySpec("app.palette", "ctrl+p", "app.command_palette", "command palette", "App", short="palette"),
    KeySpec("app.quit", "ctrl+q", "app.quit_annotator",
            "quit (everything is already saved)", "App", show=True, short="quit"),
)



LABEL_ID_PREFIX = "label."
CLAIM_ID = "claim.mark"
EXTRA_RESERVED = frozenset("q")  # closes the help screen; kept free for dialogs


def key_for_character(ch: str) -> str:
    """Textual's key name for a typed character ("1" -> "1", "?" -> "question_mark",
    "," -> "comma"): the rule Textual applies to one-character binding keys."""
    if ch.isalnum():
        key = ch
    else:
        try:
            key = unicodedata.name(ch).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            key = {"\t": "tab"}.get(ch, ch)
    return KEY_NAME_REPLACEMENTS.get(key, key)


def _reserved() -> frozenset[str]:
    """The printable characters the table binds (not the optional ones), plus ``EXTRA_RESERVED``."""
    bound = {key for spec in MAIN_KEYS if not spec.optional for key in spec.keys.split(",")}
    typed = (chr(c) for c in range(0x20, 0x7F))  # the table binds ASCII keys only
    return frozenset(ch for ch in typed if key_for_character(ch) in bound) | EXTRA_RESERVED


RESERVED_HOTKEYS = _reserved()
"""Characters a schema's label and claim hotkeys may not use: the TUI passes them to the
schema loader (``annotator annotate`` and ``annotator check --schema`` alike)."""


def schema_keys(schema: Schema) -> set[str]:
    keys = {key_for_character(lab.hotkey) for lab in schema.labels if lab.hotkey}
    if schema.claims.enabled and schema.claims.hotkey:
        keys.add(key_for_character(schema.claims.hotkey))
    return keys


def live_specs(schema: Schema) -> list[KeySpec]:
    """The table minus optional keys a schema hotkey takes."""
    taken = schema_keys(schema)
    out = []
    for spec in MAIN_KEYS:
        keys = [k for k in spec.keys.split(",") if not (spec.optional and k in taken)]
        if keys:
            out.append(KeySpec(spec.id, ",".join(keys), spec.action, spec.description, spec.group,
                               spec.optional, spec.show, spec.short))
    return out


def label_names(label: EntityLabel) -> str:
    """Both names of a label in logical order ("شخص · Person"): descriptions stay logical, and the
    help and the palette draw them through ``shown`` (the layout engine) once."""
    names = [visible_controls(n) for n in (label.name_ar, label.name_en) if n]  # data never raw
    return " · ".join(names) or label.key


def label_specs(schema: Schema) -> list[KeySpec]:
    """The schema's keys. A binding's description (``short``) holds only the label's
    key (letters, digits, _ and -): Textual's key panel parses it as markup. The name
    is in the long description, which the help and the palette draw as plain text."""
    specs = [KeySpec(LABEL_ID_PREFIX + lab.key, key_for_character(lab.hotkey), f"label('{lab.key}')",
                     f"label {lab.key} ({label_names(lab)})", "Label", short=f"label {lab.key}")
             for lab in schema.labels if lab.hotkey]
    if schema.claims.enabled and schema.claims.hotkey:
        specs.append(KeySpec(CLAIM_ID, key_for_character(schema.claims.hotkey), "claim",
                             "mark the selection (or the sentence) as a claim", "Claims", show=True,
                             short="claim"))
    return specs


def all_specs(schema: Schema) -> list[KeySpec]:
    """Every key of the annotation screen and the app with ``schema``, by default (no keymap)."""
    return [*live_specs(schema), *label_specs(schema)]


def main_bindings(schema: Schema) -> list[BindingType]:
    """Bindings of the annotation screen for ``schema`` (the app binds its app.* keys itself)."""
    return [spec.binding() for spec in all_specs(schema) if not spec.action.startswith("app.")]


def app_bindings() -> list[BindingType]:
    """The app's own keys (quit, palette): priority bindings, live on every screen."""
    return [spec.binding() for spec in MAIN_KEYS if spec.action.startswith("app.")]


FOOTER_FIRST = ("app.help",)
"""Bound first, so the footer shows them first: a narrow window drops the footer's last keys,
and the key that lists every other key must never be one of them."""


def screen_bindings() -> list[BindingType]:
    """The annotation screen's keys that do not depend on a schema (``FOOTER_FIRST`` first)."""
    specs = sorted(MAIN_KEYS, key=lambda spec: spec.id not in FOOTER_FIRST)
    return [spec.binding() for spec in specs if not spec.action.startswith("app.")]


S = TypeVar("S", bound=Screen)


def with_schema_keys(screen_cls: type[S], schema: Schema) -> type[S]:
    """``screen_cls`` with ``schema``'s label and claim keys added to its ``BINDINGS``.

    Textual reads bindings (and applies a keymap to them) from a class's ``BINDINGS``;
    keys known only at run time therefore make a subclass. A schema key replaces an
    optional table key on the same key (Textual merges a subclass's bindings per key)."""
    keys: list[BindingType] = [spec.binding() for spec in label_specs(schema)]
    attrs = {"BINDINGS": keys,
             "__module__": screen_cls.__module__, "__doc__": screen_cls.__doc__}
    return type(screen_cls.__name__, (screen_cls,), attrs)


def live_keys(screen: Screen) -> dict[str, list[str]]:
    """Each action (without namespace) and the keys bound to it now, a keymap applied."""
    out: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        out.setdefault(active.binding.action.removeprefix("app."), []).append(key)
    return out


def key_display(key: str) -> str:
    names = {"left": "←", "right": "→", "up": "↑", "down": "↓", "question_mark": "?",
             "slash": "/", "colon": ":", "space": "space", "left_square_bracket": "[",
             "right_square_bracket": "]", "left_curly_bracket": "{", "right_curly_bracket": "}",
             "less_than_sign": "<", "greater_than_sign": ">", "escape": "esc", "equals_sign": "="}
    if "+" in key:
        mod, _, base = key.rpartition("+")
        return f"{mod}+{names.get(base, base)}"
    return names.get(key, key)


def help_rows(bound: dict[str, str], schema: Schema) -> list[tuple[str, str, str]]:
    """(group, keys, description) for each action that is actually bound.

    ``bound`` maps each live key to its action without namespace (from the screen's
    active bindings, where a keymap has already moved keys); the table supplies
    groups, order and the longer descriptions.
    """
    by_action: dict[str, list[str]] = {}
    for key, action in bound.items():
        by_action.setdefault(action, []).append(key)
    rows = []
    seen = set()
    for group in GROUPS:
        for spec in all_specs(schema):
            if spec.group != group or spec.action in seen:
                continue
            live = by_action.get(spec.action.removeprefix("app."), [])
            keys = [k for k in spec.keys.split(",") if k in live]
            keys += [k for k in live if k not in keys]
            if not keys:
                continue
            seen.add(spec.action)
            rows.append((group, " ".join(key_display(k) for k in keys), spec.description))
    return rows
