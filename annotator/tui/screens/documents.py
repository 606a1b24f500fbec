"""The document list: documents with their status, a status filter and Arabic search, at any store size.

Search is normalized (alef forms, harakat, tatweel, digits; see
``annotator.text.search``) and matches the document id or its text. The list
never reads every document: it shows a window of rows paged from the store by
keyset (``Store.document_page``), filtered in SQL (text through the store's search
index, status through the annotations), and loads the next or previous page as the
highlight nears either end; matches are counted up to ``COUNT_CAP`` ("1000+").
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from annotator.layout import visual_string
from annotator.model.annotations import DOC_STATUSES
from annotator.session import AnnotationSession
from annotator.store.base import DocumentRow, ListQuery
from annotator.store.sql_reads import COUNT_CAP
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown
from annotator.tui.widgets.safe_input import SafeInput

STATUS_MARK = {"todo": "·", "in_progress": "…", "done": "✓", "skipped": "↷", "flagged": "⚑"}
PAGE = 60  # rows fetched at a time
NEAR = 10  # how close to either end of the loaded rows the highlight gets before the next page is loaded
QUEUE_CHUNK = 400  # ids of a queue asked about in one query
SCAN_LIMIT = 50_000  # above this many documents, a query of 1 or 2 characters waits for a third: the
# search index works on trigrams, and a shorter substring would be looked for in every text


def first_line(text: str, limit: int = 34) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[: limit - 1] + "…" if len(line) > limit else line


@dataclass(frozen=True)
class Filters:
    """What the list is filtered by: the search as typed (``too_short`` to be searched yet) and a status."""

    typed: str
    too_short: bool
    status: str | None

    @property
    def searched(self) -> str:
        """What the store searches for: nothing while the typed text is too short."""
        return "" if self.too_short else self.typed


class DocumentListScreen(ModalDialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "close", id="documents.close"),
                # typing in the search box, ↑/↓ still move the list (the list's own keys win when it has focus)
                Binding("up", "cursor(-1)", "previous", show=False, id="documents.up"),
                Binding("down", "cursor(1)", "next", show=False, id="documents.down")]

    def __init__(self, session: AnnotationSession, doc_ids: list[str] | None, current: str | None) -> None:
        """``doc_ids``: the annotator's queue when the store assigns them documents (listed in queue
        order, numbered in it); the whole store (or None) lists every document by its number."""
        super().__init__()
        self.session = session
        self.store = session.store
        self.annotator = session.annotator
        self.current = current
        self.total = self.store.count_documents()
        self.queue = list(doc_ids) if doc_ids is not None and len(doc_ids) < self.total else None
        self._queue_pos = {d: i for i, d in enumerate(self.queue)} if self.queue is not None else {}
        self._rows: list[tuple[int, DocumentRow]] = []  # (paging key, row) of the loaded window
        self._more_before = False
        self._more_after = False
        self._filling = False
        self._shown: list[str] = []  # the loaded ids, in order
        self._query = ListQuery("")  # the filter now, prepared once per typed query (``Store.list_query``)
        self._filters = Filters("", False, None)  # what the last refill read

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

    # -- what the store is asked -----------------------------------------------------------

    def _read_filters(self) -> Filters:
        """The search box and the status filter, read once per refill (paging reuses what it read)."""
        status = self.query_one("#filter", Select).value
        typed = self.query_one("#search", Input).value
        return Filters(typed, self._too_short(typed), status if isinstance(status, str) else None)

    def _too_short(self, query: str) -> bool:
        from annotator.text.search_fold import fold

        return self.total > SCAN_LIMIT and 0 < len(fold(query.strip()).strip(" ")) < 3

    def _fetch(self, query: ListQuery, status: str | None, *, after: int = -1, before: int | None = None,
               limit: int = PAGE) -> list[tuple[int, DocumentRow]]:
        """Up to ``limit`` matching rows after key ``after`` (or the last ones before ``before``), in order.
        The key is the document's number in the store, or its place in the queue."""
        if self.queue is None:
            rows = self.store.document_page(self.annotator, query=query, status=status, after=max(after, 0),
                                            before=before, limit=limit)
            return [(r.seq, r) for r in rows]
        out: list[tuple[int, DocumentRow]] = []
        if before is None:
            pos = after + 1
            while pos < len(self.queue) and len(out) < limit:
                out += self._queue_rows(pos, min(pos + QUEUE_CHUNK, len(self.queue)), query, status)
                pos += QUEUE_CHUNK
            return out[:limit]
        end = min(before, len(self.queue))
        while end > 0 and len(out) < limit:
            out = self._queue_rows(max(end - QUEUE_CHUNK, 0), end, query, status) + out
            end -= QUEUE_CHUNK
        return out[-limit:] if limit else []

    def _queue_rows(self, lo: int, hi: int, query: ListQuery, status: str | None) -> list[tuple[int, DocumentRow]]:
        chunk = self.queue[lo:hi] if self.queue is not None else []
        found = {r.id: r for r in self.store.document_page(self.annotator, query=query, status=status,
                                                           ids=chunk, limit=len(chunk))}
        return [(lo + i, found[d]) for i, d in enumerate(chunk) if d in found]

    def _key_of_current(self, query: ListQuery, status: str | None) -> int | None:
        """Where the current document sits in the filtered list, if it is in it."""
        if self.current is None:
            return None
        rows = self.store.document_page(self.annotator, query=query, status=status, ids=[self.current], limit=1)
        if not rows:
            return None
        return rows[0].seq if self.queue is None else self._queue_pos.get(self.current)

    def _count(self, query: ListQuery, status: str | None) -> str:
        if not query.text.strip() and status is None:
            return str(self.total if self.queue is None else len(self.queue))
        if self.queue is None:
            n = self.store.count_matching(self.annotator, query=query, status=status)
        else:
            n = len(self._fetch(query, status, limit=COUNT_CAP + 1))
        return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)

    def matches(self, query: str, status: str | None, limit: int = COUNT_CAP) -> list[str]:
        """Ids of the documents passing the status filter and containing the (normalized) query, in order."""
        out: list[str] = []
        after = -1
        prepared = self.store.list_query(query)
        while len(out) < limit:
            page = self._fetch(prepared, status, after=after)
            out += [row.id for _, row in page]
            if len(page) < PAGE:
                break
            after = page[-1][0]
        return out[:limit]

    # -- the window of rows ------------------------------------------------------------------

    def refill(self) -> None:
        """The first rows for the filters now (around the current document when it passes them)."""
        filters = self._filters = self._read_filters()
        typed, status = filters.searched, filters.status
        # the store's search runs here, once per typed character (or status chosen): every page and count
        # of it, the refill's two to four and those loaded as the highlight moves, reuse what it found
        query = self._query = self.store.list_query(typed)
        key = self._key_of_current(query, status)
        if key is None:
            before: list[tuple[int, DocumentRow]] = []
            after = self._fetch(query, status)
        else:
            before = self._fetch(query, status, before=key, limit=NEAR * 2)
            after = self._fetch(query, status, after=key - 1)
        self._more_before = len(before) == NEAR * 2
        self._more_after = len(after) == PAGE
        self._rows = before + after
        self._show(len(before) if key is not None else 0)
        # a page that is not full is every match (and the rows before it): no count to ask for
        shown = str(len(self._rows)) if not self._more_after and not self._more_before else \
            self._count(query, status)
        count = Text(f" {shown} of {self.total if self.queue is None else len(self.queue)} documents")
        if filters.too_short:
            count.append(" — type 3 or more characters to search them")
        elif typed.strip():  # what the count counts (in reading order, as the input shows it)
            count.append(" matching «")
            count.append(visual_string(typed.strip(), direction="auto"))
            count.append("»")
        self.query_one("#count", Static).update(count)

    def _show(self, highlighted: int) -> None:
        docs = self.query_one("#docs", OptionList)
        self._filling = True
        try:
            docs.clear_options()
            docs.add_options([self._option(key, row) for key, row in self._rows])
            self._shown = [row.id for _, row in self._rows]
            if self._rows:
                docs.highlighted = min(highlighted, len(self._rows) - 1)
        finally:
            self._filling = False

    def _option(self, key: int, row: DocumentRow) -> Option:
        number = key if self.queue is None else key + 1
        st = row.status
        line = Text(f"{number:>4} {STATUS_MARK.get(st, '?')} {shown(st):<11} {shown(row.id[:24]):<24} ",
                    no_wrap=True, overflow="crop")  # wrapping would scramble visual-order text
        line.append(visual_string(first_line(row.head)))
        return Option(line, id=row.id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Near either end of the loaded rows, load the next (or previous) page."""
        if self._filling or not self._rows:
            return
        index = event.option_index
        query, status = self._query, self._filters.status  # the refill's search and filters, not run or read again
        if index >= len(self._rows) - NEAR and self._more_after:
            page = self._fetch(query, status, after=self._rows[-1][0])
            self._more_after = len(page) == PAGE
            if page:
                docs = self.query_one("#docs", OptionList)
                self._rows += page
                self._shown += [row.id for _, row in page]
                docs.add_options([self._option(key, row) for key, row in page])
        elif index < NEAR and self._more_before:
            page = self._fetch(query, status, before=self._rows[0][0])
            self._more_before = len(page) == PAGE
            if page:
                self._rows = page + self._rows
                self._show(index + len(page))

    # -- events ----------------------------------------------------------------------------

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
