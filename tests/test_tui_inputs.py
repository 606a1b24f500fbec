"""Every text input draws its value in reading order (issue 13 §5.5): Arabic typed into the find,
document search, note, claim attribute (cue), claimer and same-as filters and command palette inputs is drawn as
``annotator render`` prints it, the cursor on the cell of its logical offset, while the value
stays exactly the typed characters in logical order."""

from __future__ import annotations

import pytest
from test_tui_support import MIXED, SIZE, main, make_app, make_session
from textual.app import App, ComposeResult

from annotator.commands.render import render_lines
from annotator.layout import LayoutOptions, layout_paragraph
from annotator.tui.widgets.safe_input import SafeInput

MIXED_VALUE = "قال John 2019 نعم"  # right-to-left paragraph with a Latin name and digits
ENGINE = LayoutOptions(width=10_000, direction="auto", show_controls=True)


def rendered(value: str) -> str:
    """What ``annotator render --direction auto`` prints for ``value`` (one line, no padding)."""
    [row] = render_lines(value, 10_000, direction="auto")
    return row.strip()


def drawn(inp: SafeInput) -> tuple[str, list[int]]:
    """The input's drawn row and the columns drawn in the cursor's style."""
    strip = inp.render_line(0)
    cursor = inp.get_component_rich_style("input--cursor")
    columns, col = [], 0
    for seg in strip:
        if seg.style is not None and seg.style.bgcolor == cursor.bgcolor and seg.style.color == cursor.color:
            columns.append(col)
        col += seg.cell_length
    return strip.text, columns


def cursor_offset(inp: SafeInput) -> int:
    """The logical offset the drawn cursor stands on, read back through the engine's own map
    (the text's length when it is on the blank cell past the text's end)."""
    row, columns = drawn(inp)
    assert len(columns) == 1, (row, columns)
    visual = rendered(inp.value)
    left = row.index(visual)
    line = layout_paragraph(inp.value, ENGINE)[0]
    col = columns[0] - left
    if col == (-1 if line.rtl else line.width):
        return len(inp.value)
    found = line.offset_at_column(col)
    assert found is not None, (row, col)
    return found


async def type_text(pilot, text: str) -> None:
    """Press a key per character; one that has no key name (a haraka, «) arrives as a paste does."""
    for ch in text:
        inp = pilot.app.focused
        before = inp.value
        await pilot.press("space" if ch == " " else ch)
        if inp.value == before:
            inp.insert_text_at_cursor(ch)
    await pilot.pause()


async def check_typing(pilot, inp: SafeInput, value: str = MIXED_VALUE) -> None:
    """Type ``value`` into ``inp`` (focused, empty): the value, the drawing and the cursor."""
    inp.cursor_blink = False  # the cursor is drawn at every look
    await type_text(pilot, value)
    assert inp.value == value  # stored exactly as typed, logical order
    row, _ = drawn(inp)
    assert rendered(value) in row, row
    assert row.strip() == rendered(value)
    assert cursor_offset(inp) == len(value)
    await pilot.press("home")
    assert inp.cursor_position == 0 and cursor_offset(inp) == 0
    row, [column] = drawn(inp)
    assert row.rstrip().endswith(row[column])  # the text's first character is its rightmost cell
    for _ in range(8):  # ← goes one drawn cell left each time, across the Latin name and digits too
        await pilot.press("left")
        row, [now] = drawn(inp)
        assert now == column - 1 and cursor_offset(inp) == inp.cursor_position, (row, column, now)
        column = now
    await pilot.press("right")
    row, [now] = drawn(inp)
    assert now == column + 1 and cursor_offset(inp) == inp.cursor_position
    await pilot.press("end")
    assert inp.cursor_position == len(value) and cursor_offset(inp) == len(value)
    assert inp.value == value


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "inputs.db")
    s.add_entity("a_mixed", MIXED.index("John"), MIXED.index("John") + 10, "PER")
    s.add_entity("a_mixed", MIXED.index("بيروت"), MIXED.index("بيروت") + 5, "GPE")
    s.add_claim("a_mixed", 0, 37, {"checkworthy": "yes"}, claimer=None)
    yield s
    s.store.close()


async def open_find(pilot):
    await pilot.press("ctrl+f")
    return "#find"


async def open_documents(pilot):
    await pilot.press("slash")
    return "#search"


async def open_note(pilot):
    await pilot.press("ctrl+n")
    return "#note"


async def _claim_form_row(pilot, row: str):
    from annotator.tui.widgets.claim_form import ClaimForm

    main(pilot.app).view.move_to(20)
    await pilot.press("ctrl+e")
    await pilot.pause()
    form = pilot.app.screen.query_one(ClaimForm)
    form.row = form.rows.index(row)
    await pilot.press("enter")


async def open_cue(pilot):
    await _claim_form_row(pilot, "cue")
    return "#editor"


async def open_claimer_filter(pilot):
    from annotator.tui.widgets.claim_form import CLAIMER_ROW

    await _claim_form_row(pilot, CLAIMER_ROW)
    return "#claimer-filter"


async def open_identity_filter(pilot):
    main(pilot.app).view.move_to(MIXED.index("John"))
    await pilot.press("equals_sign")  # the same-as (identity) picker
    return "#claimer-filter"


async def open_palette(pilot):
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    return "PaletteInput"


@pytest.mark.parametrize("opener", [open_find, open_documents, open_note, open_cue, open_claimer_filter,
                                    open_identity_filter, open_palette], ids=lambda f: f.__name__.removeprefix("open_"))
async def test_every_input_draws_typed_arabic_in_reading_order(session, opener):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        selector = await opener(pilot)
        await pilot.pause()
        inp = app.screen.query_one(selector, SafeInput)
        assert inp.has_focus
        if inp.value:  # the note editor and the find prompt start with their last value
            inp.value = ""
        await check_typing(pilot, inp)


# -- the widget alone -----------------------------------------------------------------------------


class OneInput(App):
    def __init__(self, value: str = "", placeholder: str = "", width: str = "100%") -> None:
        super().__init__()
        self.start, self.placeholder, self.width = value, placeholder, width

    def compose(self) -> ComposeResult:
        inp = SafeInput(value=self.start or None, placeholder=self.placeholder)
        inp.styles.width = self.width
        yield inp


@pytest.mark.parametrize("value", ["abc 12 xyz", "١٢٣ سنة", "«بيروت» (Beirut) 2019.", "لا إله", "مَدْرَسَة"])
async def test_latin_arabic_digits_and_marks(value):
    app = OneInput()
    async with app.run_test(size=(60, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        inp.cursor_blink = False
        await type_text(pilot, value)
        assert inp.value == value
        row, _ = drawn(inp)
        assert row.strip() == rendered(value)
        assert cursor_offset(inp) == len(value)
        await pilot.press("home")
        assert cursor_offset(inp) == 0


async def test_right_to_left_is_right_aligned_and_left_to_right_left_aligned():
    app = OneInput()
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        await type_text(pilot, "نعم")
        row, _ = drawn(inp)
        avail = inp.scrollable_content_region.width
        assert row.rstrip() == " " * (avail - 3) + rendered("نعم")  # ends at the field's right edge
        inp.value = "yes"
        await pilot.pause()
        row, _ = drawn(inp)
        assert row.startswith("yes")


async def test_a_long_value_scrolls_to_keep_the_cursor_in_sight():
    value = " ".join(["كلمة"] * 20) + " end"  # far wider than the field
    app = OneInput(value)
    async with app.run_test(size=(30, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        inp.cursor_blink = False
        await pilot.pause()
        avail = inp.scrollable_content_region.width
        for keys in ((), ("home",), ("left",) * 30, ("end",), ("right",) * 7, ("ctrl+left",)):
            await pilot.press(*keys)
            row, columns = drawn(inp)
            assert len(columns) == 1 and 0 <= columns[0] < avail + 1, (keys, row, columns)
            visible = row[:avail]
            # what is in sight is a piece of the engine's line for the whole value
            assert visible.strip() in rendered(value), (keys, row)
        assert inp.value == value


async def test_selection_is_drawn_on_the_selected_cells():
    app = OneInput("قال John")
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        inp.cursor_blink = False
        await pilot.pause()
        await pilot.press("home", "shift+left", "shift+left", "shift+left")  # قال, logical 0..3
        assert tuple(sorted(inp.selection)) == (0, 3)
        strip = inp.render_line(0)
        chosen = inp.get_component_rich_style("input--selection")
        selected = "".join(seg.text for seg in strip
                           if seg.style is not None and seg.style.bgcolor == chosen.bgcolor)
        assert selected == rendered("قال")


async def test_click_puts_the_cursor_on_the_clicked_cell():
    app = OneInput("قال John")
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        await pilot.pause()
        row = inp.render_line(0).text
        border = inp.content_region.x - inp.region.x
        await pilot.click(SafeInput, offset=(border + row.index("J") + 1, 1))  # the o of John
        assert inp.cursor_position == "قال John".index("o")
        await pilot.click(SafeInput, offset=(border + len(row.rstrip()) - 1, 1))  # the rightmost cell: ق
        assert inp.cursor_position == 0


async def test_placeholder_in_reading_order_and_controls_visible():
    app = OneInput(placeholder="ابحث هنا")
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        row, _ = drawn(inp)
        assert row.strip() == rendered("ابحث هنا")
        assert row.rstrip().endswith(rendered("ابحث هنا"))  # right-aligned
        inp.value = "a\x1b[2Jb\u202ec"
        await pilot.pause()
        row, _ = drawn(inp)
        assert "\x1b" not in row and "\u202e" not in row and "␛" in row
        assert inp.value == "a\x1b[2Jb\u202ec"


async def test_a_password_field_is_still_dots():
    app = OneInput("سر")
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.password = True
        await pilot.pause()
        assert inp.render_line(0).text.strip() == "••" and inp.value == "سر"


async def test_find_count_is_an_english_sentence_with_the_arabic_in_reading_order(session):
    """The count under the find input reads left to right ("«…»: 1 match(es)"), not reversed."""
    from textual.widgets import Static

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        n = session.document(main(app).doc_id).text.count("بيروت")
        await pilot.press("ctrl+f")
        await pilot.pause()
        await type_text(pilot, "بيروت")
        said = str(app.screen.query_one("#find-count", Static).render())
        # the count stays after the quote: the query is isolated, so the number is not drawn
        # into the Arabic run ("«2 :«…" before)
        assert said.strip() == f"«{rendered('بيروت')}»: {n} match(es)", said


async def test_wide_characters_cut_by_the_window_keep_the_columns():
    value = "中文" * 30  # two cells each
    app = OneInput(value)
    async with app.run_test(size=(31, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        inp.cursor_blink = False
        await pilot.pause()
        avail = inp.scrollable_content_region.width
        for keys in ((), ("left",), ("home",), ("right",) * 9):
            await pilot.press(*keys)
            strip = inp.render_line(0)
            assert strip.cell_length == avail + 1
            row, columns = drawn(inp)
            assert len(columns) == 1 and columns[0] < avail + 1


async def test_palette_hits_show_arabic_label_names_in_reading_order(session):
    from textual.command import CommandList

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await type_text(pilot, "label")
        await pilot.pause(0.5)
        hits = app.screen.query_one(CommandList)
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        person = next(p for p in prompts if "Person" in p)
        assert rendered("شخص") in person and "شخص" not in person, person


def test_rendered_is_what_annotator_render_prints(tmp_path, capsys):
    """The reference the tests above compare with is the command's own output."""
    from annotator.cli import main as cli_main

    path = tmp_path / "value.txt"
    path.write_text(MIXED_VALUE, encoding="utf-8")
    assert cli_main(["render", str(path), "--width", "200", "--direction", "auto", "--rtl-mode", "plain"]) in (0, None)
    assert capsys.readouterr().out.strip() == rendered(MIXED_VALUE)


async def test_an_arrow_steps_over_a_letter_with_its_harakat_at_once():
    value = "مَدْرَسَة"  # five letters, three harakat and a sukun: five cells
    app = OneInput(value)
    async with app.run_test(size=(40, 5)) as pilot:
        inp = app.query_one(SafeInput)
        inp.focus()
        inp.cursor_blink = False
        await pilot.press("home")
        offsets = [inp.cursor_position]
        for _ in range(5):
            await pilot.press("left")
            offsets.append(inp.cursor_position)
        assert offsets == [0, 2, 4, 6, 8, len(value)]
        await pilot.press("shift+right", "shift+right")
        assert tuple(sorted(inp.selection)) == (6, 9) and inp.value == value


async def test_a_refused_number_names_the_typed_arabic_in_reading_order(session):
    from textual.widgets import Static

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_confidence(pilot)
        await pilot.pause()
        await type_text(pilot, "ثلاثة")
        await pilot.press("enter")
        await pilot.pause()
        said = str(app.screen.query_one("#form-status", Static).render())
        assert said.startswith("not saved: ") and rendered("ثلاثة") in said, said


async def open_confidence(pilot):
    await _claim_form_row(pilot, "confidence")
    return "#editor"
