"""DocumentLayout: lazy, cached per paragraph, absolute offsets, width changes and edits."""

from __future__ import annotations

from dataclasses import replace

from annotator.layout import DocumentLayout, LayoutOptions
from annotator.layout import document as document_module
from annotator.layout import layout_text as numbered_layout_text


def layout_text(text, options):
    """``layout_text`` with each line's paragraph named by its start offset, as DocumentLayout names it."""
    lines = numbered_layout_text(text, options)
    starts = {}
    for line in lines:
        starts.setdefault(line.paragraph, line.start)
    return [replace(line, paragraph=starts[line.paragraph]) for line in lines]

TEXT = "قال مصطفى بالي إن قوات سوريا\nالديمقراطية سيطرت على الباغوز\r\n\nعام 2019 (OCHA)\u2029آخر"


def test_same_lines_as_layout_text():
    options = LayoutOptions(12)
    doc = DocumentLayout(TEXT, options)
    expected = layout_text(TEXT, options)
    assert doc.line_count == len(expected)
    assert [doc.line(i) for i in range(doc.line_count)] == expected
    assert doc.lines(1, 3) == expected[1:4]
    assert doc.lines(len(expected) - 1, 10) == expected[-1:]


def count_layouts(monkeypatch) -> list[str]:
    """Record the text of every paragraph DocumentLayout lays out from now on."""
    calls: list[str] = []
    real = document_module.layout_paragraph

    def counting(text, options, **kw):
        calls.append(text)
        return real(text, options, **kw)

    monkeypatch.setattr(document_module, "layout_paragraph", counting)
    return calls


def test_lazy_layout(monkeypatch):
    calls = count_layouts(monkeypatch)
    doc = DocumentLayout("\n".join(f"فقرة رقم {i}" for i in range(1000)), LayoutOptions(40))
    doc.lines(0, 5)
    assert 5 <= len(calls) < 1000
    assert sum(map(len, calls)) <= document_module.WINDOW  # one window of paragraphs, not the text


def test_locate_and_line_of_offset():
    doc = DocumentLayout(TEXT, LayoutOptions(12))
    for offset in range(len(TEXT)):
        index, col = doc.locate(offset)
        line = doc.line(index)
        assert line.start <= offset
        # Past the line's end only the paragraph separator (\r\n is two characters).
        assert offset <= line.end or TEXT[line.end:offset + 1] in ("\r\n", "\n")
        cell = line.cell_of_offset(offset)
        if cell is not None and cell.width:
            assert line.offset_at_column(col) == cell.start
    # A separator belongs to the last line of its paragraph.
    newline = TEXT.index("\n")
    assert doc.line_of_offset(newline) == doc.line_of_offset(newline - 1)
    assert doc.locate(len(TEXT))[0] == doc.line_count - 1


def test_set_width_relays_out(monkeypatch):
    doc = DocumentLayout(TEXT, LayoutOptions(40))
    narrow = doc.line_count
    doc.set_width(8)
    assert doc.line_count > narrow
    assert [doc.line(i) for i in range(doc.line_count)] == layout_text(TEXT, LayoutOptions(8))


def test_edit_relays_out_only_the_changed_paragraph(monkeypatch):
    doc = DocumentLayout(TEXT, LayoutOptions(12))
    _ = doc.line_count
    calls = count_layouts(monkeypatch)
    edited = "ال" + TEXT  # the first paragraph changes; all offsets after it shift by 2
    doc.set_text(edited)
    assert [doc.line(i) for i in range(doc.line_count)] == layout_text(edited, LayoutOptions(12))
    assert calls == ["ال" + TEXT[:TEXT.index("\n")]]


def test_empty_document():
    doc = DocumentLayout("", LayoutOptions(10))
    assert doc.line_count == 1
    assert doc.locate(0) == (0, 0)


def test_laid_out_windows_are_kept_by_the_one_bounded_cache(monkeypatch):
    """The windows' lines are kept in ``layout.bounded.Bounded`` (the core's one least-recently-used
    cache), not a cache of their own: at most WINDOW_CACHE windows, the least recently used out first,
    and a window asked for again comes from it (the same lines object)."""
    from annotator.layout.bounded import Bounded

    monkeypatch.setattr(document_module, "WINDOW_CACHE", 3)
    text = "\n".join(f"سطر {i} من النص" for i in range(40))
    doc = DocumentLayout(text, LayoutOptions(20), window=16, long=64)
    assert isinstance(doc._lines, Bounded) and doc._lines.limit == 3
    first = doc.window_lines(0)
    doc.window_lines(1)
    doc.window_lines(2)
    assert doc.window_lines(0) is first  # kept, and now the most recently used
    doc.window_lines(3)  # window 1, the least recently used, goes
    assert 1 not in doc._lines and all(k in doc._lines for k in (0, 2, 3)) and len(doc._lines) == 3
    assert doc.window_lines(0) is first
    doc.set_width(30)  # new options: nothing laid out at the old width is kept
    assert len(doc._lines) == 0
