"""Help: every key of the annotation screen, generated from the keys actually bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from annotator.schema.model import Schema
from annotator.tui.bindings import help_rows
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown_text, ui_text


def help_table(bound: dict[str, str], schema: Schema) -> Table:
    """Every cell is a ``Text``: descriptions carry label names from the schema, and a
    ``str`` cell would be parsed as Rich markup (``[/]`` in a name crashed the app)."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("keys", style="bold", no_wrap=True, min_width=14)
    table.add_column("does")
    group = None
    for row_group, keys, description in help_rows(bound, schema):
        if row_group != group:
            if group is not None:
                table.add_row(ui_text(""), ui_text(""))
            table.add_row(ui_text(f" {row_group} ", style="reverse"), ui_text(""))
            group = row_group
        table.add_row(ui_text(keys), shown_text(description))  # Arabic in reading order
    return table


class HelpScreen(ModalDialog[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "close help", id="help.close")]

    def __init__(self, bound: dict[str, str], schema: Schema) -> None:
        super().__init__()
        self.bound = bound
        self.schema = schema

    @classmethod
    def of(cls, screen: Screen, schema: Schema) -> Self:
        """The help of ``screen``: its keys as they are bound now (a keymap may have moved them)."""
        return cls({key: active.binding.action.removeprefix("app.")
                    for key, active in screen.active_bindings.items()}, schema)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys (esc closes) — every action is saved at once"
            yield from self.tables()

    def tables(self) -> Iterator[Static]:
        yield Static(help_table(self.bound, self.schema), id="help-table")
