"""Pick a claim's claimer from the document's entities (those the schema allows)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotator.model.annotations import Annotations
from annotator.schema.model import Schema
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown
from annotator.tui.widgets.span_panel import span_text


class ClaimerPickerScreen(ModalDialog[str | None]):
    """Returns an entity id, "" for no claimer, BY_MOVING, or None (cancelled)."""

    BY_MOVING = "\0move"
    BINDINGS = [Binding("escape", "cancel", "cancel", id="claimer.cancel")]

    def __init__(self, schema: Schema, state: Annotations, text: str) -> None:
        super().__init__()
        allowed = set(schema.claims.claimer_labels)
        self.entities = [e for e in state.entities if not allowed or e.label in allowed]
        self.text = text

    def compose(self) -> ComposeResult:
        options = [Option(Text("→ pick it by moving the cursor in the text", style="italic"), id="move"),
                   Option(Text("— no claimer —", style="italic"), id="none")]
        for ent in self.entities:
            options.append(Option(Text(f"{shown(ent.label):<5} {span_text(self.text, ent.start, ent.end, 40)}"
                                       f"  ({shown(ent.id)}, {ent.start}–{ent.end})"), id=f"e:{ent.id}"))
        with Vertical() as box:
            box.border_title = "Claimer — enter picks, esc cancels"
            yield OptionList(*options, id="claimers")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = 2 if self.entities else 0
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id or ""
        if oid == "move":
            self.dismiss(self.BY_MOVING)
        elif oid == "none":
            self.dismiss("")
        else:
            self.dismiss(oid.removeprefix("e:"))

    def action_cancel(self) -> None:
        self.dismiss(None)
