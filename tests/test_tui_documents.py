"""The document list reads its filters (the search box, the status filter) once per refill, and the
pages loaded as the highlight moves reuse what that refill read."""

from __future__ import annotations

from test_tui_support import SIZE, make_app, make_session

DOCS = tuple((f"doc-{i:03d}", f"نص رقم {i}") for i in range(150))


async def test_a_refill_reads_the_filters_once_and_paging_reads_none(tmp_path, monkeypatch):
    from textual.widgets import OptionList

    from annotator.tui.screens.documents import PAGE, DocumentListScreen

    session = make_session(tmp_path / "list.db", docs=DOCS)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        listing = app.screen
        assert isinstance(listing, DocumentListScreen)
        reads = []
        real = DocumentListScreen._too_short
        monkeypatch.setattr(DocumentListScreen, "_too_short", lambda self, q: reads.append(q) or real(self, q))
        await pilot.press("d")
        await pilot.pause()
        assert reads == ["d"]  # one read of the search box for the refill (twice before)
        assert listing._shown[:2] == ["doc-000", "doc-001"]
        reads.clear()
        docs = listing.query_one("#docs", OptionList)
        docs.highlighted = len(listing._shown) - 1  # near the end: the next page comes
        await pilot.pause()
        assert len(listing._shown) > PAGE
        assert reads == []  # the page reuses the refill's filters
    session.store.close()
