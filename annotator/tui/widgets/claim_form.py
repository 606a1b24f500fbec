"""The claim form: one row per attribute of the schema's claims, plus the claimer.

Keys: ↑/↓ choose a row; a choice's hotkey sets it (on the current row first, else on
the one attribute that has that hotkey); a boolean's hotkey or space toggles it;
enter edits text/number rows or picks the claimer; delete clears the row.
The form does not save anything itself: it posts ``Set`` / ``Edit`` / ``PickClaimer``
and its screen sends them through the session.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from annotator.layout import visual_string
from annotator.layout.stored import Text as DocText
from annotator.model.annotations import Annotations, Claim
from annotator.schema.model import Attribute, Schema
from annotator.tui.shown import shown

CLAIMER_ROW = "__claimer__"


class ClaimForm(Widget, can_focus=True):

    class Set(Message):
        """Set ``key`` to ``value`` (None clears it)."""

        def __init__(self, key: str, value) -> None:
            super().__init__()
            self.key = key
            self.value = value

    class Edit(Message):
        """Open the text editor for a text/number attribute."""

        def __init__(self, attribute: Attribute) -> None:
            super().__init__()
            self.attribute = attribute

    class PickClaimer(Message):
        pass

    def __init__(self, schema: Schema, id: str | None = None) -> None:
        super().__init__(id=id)
        self.schema = schema
        self.attributes = schema.claims.attributes
        self.row = 0
        self.claim: Claim | None = None
        self.state: Annotations | None = None
        self.text: DocText = ""

    @property
    def rows(self) -> list[str]:
        return [a.key for a in self.attributes] + [CLAIMER_ROW]

    def show(self, claim: Claim, state: Annotations, text: DocText) -> None:
        self.claim, self.state, self.text = claim, state, text
        self.refresh(layout=True)

    def render(self) -> Table:
        width = max(40, self.size.width or 80)
        table = Table(box=None, show_header=False, padding=(0, 1), width=width)
        table.add_column("", width=1, no_wrap=True)
        table.add_column("attribute", width=32, no_wrap=True, overflow="ellipsis")
        table.add_column("value", width=22, no_wrap=True, overflow="ellipsis")
        table.add_column("choices", ratio=1, overflow="fold")
        claim = self.claim
        if claim is None:
            return table
        for i, key in enumerate(self.rows):
            pointer = "▶" if i == self.row else " "
            if key == CLAIMER_ROW:
                who = "—"
                if claim.claimer and self.state is not None:
                    ent = self.state.entity(claim.claimer)
                    if ent is not None:
                        who = f"{shown(ent.label)} {visual_string(self.text[ent.start:ent.end])} ({shown(ent.id)})"
                req = "*" if self.schema.claims.claimer_required else ""
                table.add_row(pointer, Text(f"claimer{req}", style="bold"), Text(who),
                              Text("enter: pick from a list or by moving to it", style="dim"))
                continue
            attr = next(a for a in self.attributes if a.key == key)
            value = claim.attributes.get(key)
            name = Text(f"{shown(attr.name_en or attr.key)}{'*' if attr.required else ''} ", style="bold")
            if attr.name_ar:
                name.append(visual_string(attr.name_ar), style="dim")
            value_text = Text("—" if value is None else shown(value),
                              style="red" if value is None and attr.required else "green")
            table.add_row(pointer, name, value_text, self._choices(attr, value))
        return table

    @staticmethod
    def _choices(attr: Attribute, value) -> Text:
        out = Text()
        if attr.kind == "choice":
            for choice in attr.choices:
                style = "reverse" if choice.value == value else ""
                key = f"[{choice.hotkey}]" if choice.hotkey else ""
                out.append(f"{shown(key)}{shown(choice.name_en or choice.value)}", style=style)
                out.append(" ")
        elif attr.kind == "boolean":
            out.append(f"[{attr.hotkey or 'space'}] toggle", style="dim")
        else:
            out.append("enter: type a value", style="dim")
        return out

    def current(self) -> Attribute | None:
        key = self.rows[self.row]
        return next((a for a in self.attributes if a.key == key), None)

    def on_key(self, event: events.Key) -> None:
        if self.claim is None:
            return
        handled = True
        attr = self.current()
        if event.key == "up":
            self.row = (self.row - 1) % len(self.rows)
        elif event.key == "down":
            self.row = (self.row + 1) % len(self.rows)
        elif event.key == "enter":
            if attr is None:
                self.post_message(self.PickClaimer())
            elif attr.kind in ("text", "number"):
                self.post_message(self.Edit(attr))
            else:
                handled = False
        elif event.key in ("delete", "backspace"):
            if attr is None:
                self.post_message(self.Set(CLAIMER_ROW, None))
            else:
                self.post_message(self.Set(attr.key, None))
        elif event.key == "space" and attr is not None and attr.kind == "boolean":
            self.post_message(self.Set(attr.key, not bool(self.claim.attributes.get(attr.key))))
        elif event.character and event.character.isprintable():
            handled = self._hotkey(event.character)
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()
            self.refresh()

    def _hotkey(self, ch: str) -> bool:
        """Apply hotkey ``ch``: the current row's choice first, else the one attribute owning it."""
        assert self.claim is not None
        current = self.current()
        candidates = ([current] if current is not None else []) + [a for a in self.attributes if a is not current]
        for attr in candidates:
            if attr.kind == "choice":
                choice = next((c for c in attr.choices if c.hotkey == ch), None)
                if choice is not None:
                    self.row = self.rows.index(attr.key)
                    self.post_message(self.Set(attr.key, choice.value))
                    return True
            elif attr.kind == "boolean" and attr.hotkey == ch:
                self.row = self.rows.index(attr.key)
                self.post_message(self.Set(attr.key, not bool(self.claim.attributes.get(attr.key))))
                return True
        return False
