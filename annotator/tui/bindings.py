"""Every key of the annotation screen, in one table: the screen binds from it and the
help screen is generated from what is bound.

App keys are the schema loader's reserved keys (space ? / : n p d x g q [ ] { } < >),
control/function/arrow keys, and the claim hotkey. Keys marked ``optional`` (u/U for
undo/redo) are only bound when no schema label uses them, so a schema can never be
shadowed by the app. Label hotkeys and the claim hotkey come from the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import _character_to_key

from annotator.schema.model import Schema
from annotator.tui.shown import shown


@dataclass(frozen=True)
class KeySpec:
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


GROUPS = ("Move", "Select", "Label", "Claims", "Documents", "History", "App")

MAIN_KEYS: tuple[KeySpec, ...] = (
    # Move
    KeySpec("left", "move('left')", "next word (in a right-to-left line)", "Move"),
    KeySpec("right", "move('right')", "previous word (in a right-to-left line)", "Move"),
    KeySpec("up", "move_line(-1)", "line up", "Move"),
    KeySpec("down", "move_line(1)", "line down", "Move"),
    KeySpec("ctrl+left", "sentence('left')", "next sentence (right-to-left)", "Move"),
    KeySpec("ctrl+right", "sentence('right')", "previous sentence (right-to-left)", "Move"),
    KeySpec("ctrl+down", "paragraph(1)", "next paragraph", "Move"),
    KeySpec("ctrl+up", "paragraph(-1)", "previous paragraph", "Move"),
    KeySpec("home", "line_edge(1)", "start of the line (its first word)", "Move"),
    KeySpec("end", "line_edge(0)", "end of the line (its last word)", "Move"),
    KeySpec("ctrl+home", "document_edge(1)", "start of the document", "Move"),
    KeySpec("ctrl+end", "document_edge(0)", "end of the document", "Move"),
    KeySpec("pageup", "page(-1)", "page up", "Move"),
    KeySpec("pagedown", "page(1)", "page down", "Move"),
    KeySpec("g", "next_unlabelled", "next sentence with no label", "Move", show=True, short="unlabelled"),
    # Select
    KeySpec("shift+left", "extend('left')", "extend selection a word leftwards", "Select"),
    KeySpec("shift+right", "extend('right')", "extend selection a word rightwards", "Select"),
    KeySpec("shift+up", "extend_line(-1)", "extend selection a line up", "Select"),
    KeySpec("shift+down", "extend_line(1)", "extend selection a line down", "Select"),
    KeySpec("space", "select_sentence", "select the whole sentence", "Select"),
    KeySpec("left_square_bracket", "nudge('start',-1)", "start edge one character earlier (selection, else span under cursor)", "Select"),
    KeySpec("right_square_bracket", "nudge('start',1)", "start edge one character later (drop و، ب، ل…)", "Select"),
    KeySpec("left_curly_bracket", "nudge('end',-1)", "end edge one character earlier", "Select"),
    KeySpec("right_curly_bracket", "nudge('end',1)", "end edge one character later", "Select"),
    KeySpec("greater_than_sign", "clitic(1)", "start edge to the next proclitic edge (after و / ال)", "Select"),
    KeySpec("less_than_sign", "clitic(0)", "start edge back to the previous proclitic edge", "Select"),
    KeySpec("escape", "clear", "clear the selection / cancel", "Select"),
    # Label (label hotkeys come from the schema, see label_bindings)
    KeySpec("x,delete,backspace", "delete_span", "delete the span under the cursor (innermost)", "Label", show=True, short="delete"),
    KeySpec("enter", "activate", "accept a pre-annotation / edit a claim / confirm the claimer", "Label"),
    # Claims (the claim hotkey comes from the schema)
    KeySpec("ctrl+l", "link_claimer", "link the claim's claimer: move to an entity, then enter", "Claims"),
    KeySpec("ctrl+e", "edit_claim", "edit the attributes of the claim under the cursor", "Claims"),
    # Documents
    KeySpec("n", "next_document", "next document", "Documents", show=True, short="next doc"),
    KeySpec("p", "previous_document", "previous document", "Documents", show=True, short="prev doc"),
    KeySpec("slash", "document_list", "document list: filter by status, search", "Documents", show=True, short="documents"),
    KeySpec("colon", "goto_document", "go to document number N", "Documents"),
    KeySpec("d", "set_status('done')", "mark done (checks required attributes)", "Documents", show=True, short="done"),
    KeySpec("ctrl+k", "set_status('skipped')", "mark skipped", "Documents"),
    KeySpec("ctrl+f", "set_status('flagged')", "mark flagged", "Documents"),
    KeySpec("ctrl+n", "edit_note", "add or edit the document's note", "Documents"),
    KeySpec("tab", "focus_panel", "go to the list of spans (enter jumps to one)", "Documents"),
    # History
    KeySpec("ctrl+z", "undo", "undo (this document; survives restarts)", "History", show=True, short="undo"),
    KeySpec("ctrl+y", "redo", "redo", "History"),
    KeySpec("u", "undo", "undo", "History", optional=True),
    KeySpec("U", "redo", "redo", "History", optional=True),
    # App
    KeySpec("question_mark,f1", "help", "this help", "App", show=True, short="help"),
    KeySpec("ctrl+t", "toggle_theme", "switch dark / light theme", "App"),
    KeySpec("f2", "toggle_controls", "show / hide invisible characters (bidi controls, ZWJ, ZWNJ…)", "App"),
    KeySpec("ctrl+s", "already_saved", "nothing to do: every change is saved when it is made", "App"),
    KeySpec("ctrl+p", "app.command_palette", "command palette", "App"),
    KeySpec("ctrl+q", "app.quit_annotator", "quit (everything is already saved)", "App", show=True, short="quit"),
)


def key_for_character(ch: str) -> str:
    """Textual's key name for a typed character ("1" -> "1", "?" -> "question_mark")."""
    return _character_to_key(ch)


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
            out.append(KeySpec(",".join(keys), spec.action, spec.description, spec.group,
                               spec.optional, spec.show, spec.short))
    return out


def label_specs(schema: Schema) -> list[KeySpec]:
    """The schema's keys. A binding's description (``short``) holds only the label's
    key (letters, digits, _ and -): Textual's key panel parses it as markup. The name
    is in the long description, which the help and the palette draw as plain text."""
    specs = [KeySpec(key_for_character(lab.hotkey), f"label('{lab.key}')",
                     f"label {lab.key} ({shown(lab.name_en)})", "Label", short=f"label {lab.key}")
             for lab in schema.labels if lab.hotkey]
    if schema.claims.enabled and schema.claims.hotkey:
        specs.append(KeySpec(key_for_character(schema.claims.hotkey), "claim",
                             "mark the selection (or the sentence) as a claim", "Claims", show=True,
                             short="claim"))
    return specs


def main_bindings(schema: Schema) -> list[Binding]:
    """Bindings of the annotation screen for ``schema``."""
    return [Binding(spec.keys, spec.action, spec.footer, show=spec.show)
            for spec in (*live_specs(schema), *label_specs(schema))
            if not spec.action.startswith("app.")]  # app.* keys are bound by the app itself


def key_display(key: str) -> str:
    names = {"left": "←", "right": "→", "up": "↑", "down": "↓", "question_mark": "?",
             "slash": "/", "colon": ":", "space": "space", "left_square_bracket": "[",
             "right_square_bracket": "]", "left_curly_bracket": "{", "right_curly_bracket": "}",
             "less_than_sign": "<", "greater_than_sign": ">", "escape": "esc"}
    if "+" in key:
        mod, _, base = key.rpartition("+")
        return f"{mod}+{names.get(base, base)}"
    return names.get(key, key)


def help_rows(bound: dict[str, str], schema: Schema) -> list[tuple[str, str, str]]:
    """(group, keys, description) for each action that is actually bound.

    ``bound`` maps each live key to its action without namespace (from the screen's
    active bindings);
    the table supplies groups, order and the longer descriptions.
    """
    by_action: dict[str, list[str]] = {}
    for key, action in bound.items():
        by_action.setdefault(action, []).append(key)
    rows = []
    seen = set()
    for group in GROUPS:
        for spec in (*live_specs(schema), *label_specs(schema)):
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
