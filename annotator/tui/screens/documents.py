"""The document list: every document with its status, a status filter and Arabic search.

Search is normalized (alef forms, harakat, tatweel, digits; see
``annotator.text.search``) and matches the document id or its text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from annotator.layout import visual_string
from annotator.model.annotations import DOC_STATUSES
from annotator.session import AnnotationSession
from annotator.text import normalize_for_search
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown
from annotator.tui.widgets.safe_input import SafeInput

STATUS_MARK = {"todo": "·", "in_progress": "…", "done": "✓", "skipped": "↷", "flagged": "⚑"}


def first_line(text: str, limit: int = 34) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[: limit - 1] + "…" if len(line) > limit else line


class DocumentListScreen(ModalDialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "close", id="documents.close"),
                # typing in the search box, ↑/↓ still move the list (the list's own keys win when it has focus)
                Binding("up", "cursor(-1)", "previous", show=False, id="documents.up"),
                Binding("down", "cursor(1)", "next", show=False, id="documents.down")]

    def __init__(self, session: AnnotationSession, doc_ids: list[str], current: str | None) -> None:
        super().__init__()
        self.session = session
        self.doc_ids = doc_ids
        self.current = current
        self.statuses = session.statuses()
        self._normalized: dict[str, str] = {}
        self._first: dict[str, str] = {}
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Documents — type to search (Arabic normalized), enter opens, esc closes"
            with Horizontal():
                yield SafeInput(placeholder="search id or text", id="search")
                yield Select([(s, s) for s in DOC_STATUSES], prompt="any status", id="filter")
            yield Static("", id="count")
            yield OptionList(id="docs")

    def on_mount(self) -> None:
        self.refill()
        self.query_one("#search", Input).focus()

    def _read_all(self) -> None:
        """One pass over the store: first lines now, normalized texts for search."""
        for doc in self.session.iter_documents():
            self._first[doc.id] = visual_string(first_line(doc.text))
            self._normalized[doc.id] = normalize_for_search(doc.id + "\n" + doc.text)

    def _text(self, doc_id: str) -> str:
        if not self._normalized:
            self._read_all()
        return self._normalized.get(doc_id, "")

    def matches(self, query: str, status: str | None) -> list[str]:
        """Document ids passing the status filter and containing the (normalized) query."""
        needle = normalize_for_search(query.strip())
        out = []
        for doc_id in self.doc_ids:
            if status and self.statuses.get(doc_id, "todo") != status:
                continue
            if needle and needle not in self._text(doc_id):
                continue
            out.append(doc_id)
        return out

    def refill(self) -> None:
        status = self.query_one("#filter", Select).value
        status = status if isinstance(status, str) else None
        self._shown = self.matches(self.query_one("#search", Input).value, status)
        options = []
        for doc_id in self._shown:
            number = self.doc_ids.index(doc_id) + 1
            st = self.statuses.get(doc_id, "todo")
            line = Text(f"{number:>4} {STATUS_MARK.get(st, '?')} {shown(st):<11} {shown(doc_id[:24]):<24} ",
                        no_wrap=True, overflow="crop")  # wrapping would scramble visual-order text
            if not self._first:
                self._read_all()
            line.append(self._first.get(doc_id, ""))
            options.append(Option(line, id=doc_id))
        docs = self.query_one("#docs", OptionList)
        docs.clear_options()
        docs.add_options(options)
        if self.current in self._shown:
            docs.highlighted = self._shown.index(self.current)
        elif options:
            docs.highlighted = 0
        count = Text(f" {len(self._shown)} of {len(self.doc_ids)} documents")
        query = self.query_one("#search", Input).value
        if query.strip():  # the input shows typing in logical order: repeat it readably
            count.append(" matching «")
            count.append(visual_string(query.strip(), direction="auto"))
            count.append("»")
        self.query_one("#count", Static).update(count)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        docs = self.query_one("#docs", OptionList)
        if self._shown:
            self.dismiss(self._shown[docs.highlighted or 0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cursor(self, delta: int) -> None:
        docs = self.query_one("#docs", OptionList)
        if docs.option_count:
            docs.highlighted = min(max((docs.highlighted or 0) + delta, 0), docs.option_count - 1)

    def action_cancel(self) -> None:
        self.dismiss(None)
