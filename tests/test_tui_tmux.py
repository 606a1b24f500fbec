"""The real ``annotator annotate`` in a real terminal (tmux): keystrokes in, store/JSONL out,
and the document pane's rows compared with the layout engine's visual lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_tui_support import cells

from annotator.layout import DocumentLayout, LayoutOptions

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """One private tmux server (its own -L socket), killed at teardown."""

    def __init__(self) -> None:
        self.socket = f"annotator-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=True).stdout

    def start(self, command: str, width: int = 100, height: int = 30) -> None:
        # COLUMNS/LINES (set by pytest) would override the real terminal size
        env = "unset COLUMNS LINES; export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8; "
        self.run("new-session", "-d", "-x", str(width), "-y", str(height), env + command)
        self.run("set-option", "-s", "escape-time", "0")

    def screen(self) -> list[str]:
        return self.run("capture-pane", "-p").split("\n")

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        for key in keys:
            self.run("send-keys", key)
            # a lone ESC is only known to be one when nothing follows it quickly
            time.sleep(0.4 if key == "Escape" else pause)

    def wait_for(self, text: str, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.screen()
            if any(text in row for row in rows):
                return rows
            if text != "EXITED 0" and any(row.startswith("EXITED") for row in rows):
                break  # the program ended: no point waiting
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n" + "\n".join(self.screen()))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.kill()


def annotate_command(tmp_path: Path, *args: str) -> str:
    return (f"cd {tmp_path} && {sys.executable} -m annotator annotate {' '.join(args)} "
            f"--db {tmp_path / 't.db'} --annotator e2e --rtl-mode plain; echo EXITED $?; sleep 60")


def test_label_entity_and_claim_with_keys_then_export(tmux, tmp_path):
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    tmux.start(annotate_command(tmp_path, "seeds"))
    tmux.wait_for("finished")
    first = sorted(p.stem for p in (tmp_path / "seeds").glob("*.txt"))[0]
    # Second paragraph starts "قوات سوريا الديمقراطية": select three words, label ORG (2).
    tmux.keys("C-Down", "S-Left", "S-Left", "2")
    tmux.wait_for("ORG")
    # Claim on the sentence under the cursor; the form opens.
    tmux.keys("c")
    tmux.wait_for("Check-worthy")
    tmux.keys("y", "q")  # check-worthy: yes; claim type: quantity
    tmux.keys(*["Down"] * 5, "Enter")  # claimer row -> picker
    tmux.wait_for("Claimer")
    tmux.keys("Enter")  # the first allowed entity (our ORG)
    tmux.keys("Escape")
    rows = tmux.wait_for("saved ✓")
    assert any("ORG the claimer of claim" in row for row in rows), "\n".join(rows)
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")

    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, "-m", "annotator", "export", "--db", str(tmp_path / "t.db"),
                    "-o", str(out)], check=True, cwd=tmp_path, capture_output=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    for line in lines:
        record = json.loads(line)
        if record["id"] != first:
            assert record["entities"] == [] and record["claims"] == [], record["id"]
            continue
        assert record["annotator"] == "e2e"
        assert record["status"] == "in_progress"
        [entity] = record["entities"]
        assert (entity["label"], entity["text"]) == ("ORG", "قوات سوريا الديمقراطية")
        assert record["text"][entity["start"]:entity["end"]] == entity["text"]
        [claim] = record["claims"]
        assert claim["text"].startswith("قوات سوريا الديمقراطية تسيطر")
        assert claim["text"].endswith("المتشددين.")
        assert claim["claimer"] == entity["id"]
        assert claim["attributes"]["checkworthy"] == "yes"
        assert claim["attributes"]["claim_type"] == "quantity"
        assert claim["attributes"]["verdict"] == "unverified"


PANE_TEXT = (
    "بِسْمِ اللَّهِ الرَّحْمَنِ الرَّحِيمِ\n"
    "لا إله إلا الله، قال رئيس شركة Open AI إن GPT-4 صدر عام 2023 بسعر 20.5 دولار للاشتراك.\n"
    "والسلام عليكم ورحمة الله وبركاته، هذه فقرة طويلة بما يكفي لتلتف على أكثر من سطر واحد في "
    "نافذة المستند، حتى يصل النص إلى العمود الأخير المسموح به قبل الهامش الأيمن الذي نتركه فارغاً."
)




def test_document_pane_rows_match_layout_engine(tmux, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sample.txt").write_text(PANE_TEXT, encoding="utf-8")
    tmux.start(annotate_command(tmp_path, "docs"))
    rows = tmux.wait_for("finished")
    time.sleep(0.3)
    rows = tmux.screen()
    # The side panel starts with its border: the document pane is every column left of it.
    grid = [cells(row) for row in rows]
    pane = grid[1].index("│")
    # one gutter column on the left; one blank column and the scrollbar on the right
    layout_width = pane - 3
    layout = DocumentLayout(PANE_TEXT, LayoutOptions(width=layout_width))
    assert layout.line_count >= 5
    checked = 0
    for index in range(layout.line_count):
        line = layout.line(index)
        row = grid[1 + index][:pane]
        expected = " " + " " * line.indent(layout_width) + line.text
        assert "".join(row).rstrip() == expected.rstrip(), f"row {index}:\n{row!r}\n{expected!r}"
        assert row[pane - 2] == " ", f"row {index}: the column right of the text must stay blank"
        checked += 1
    # the wrapped paragraph really reaches the last usable column
    widths = [layout.line(i).width for i in range(layout.line_count)]
    assert max(widths) >= layout_width - 3
    assert any("ﻻ" in layout.line(i).text for i in range(layout.line_count))  # lam-alef ligature
    assert checked == layout.line_count
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")


def test_killed_process_loses_nothing_shown_as_saved(tmux, tmp_path):
    import signal

    from annotator.store import open_store

    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    # exec: the pane's process is the app itself, so we can kill it without a goodbye
    command = annotate_command(tmp_path, "seeds").replace(f"cd {tmp_path} && ", f"cd {tmp_path} && exec ", 1)
    tmux.start(command)
    tmux.wait_for("finished")
    tmux.keys("Left", "Left", "1")
    tmux.wait_for("saved ✓")
    pid = int(tmux.run("display-message", "-p", "#{pane_pid}").strip())
    os.kill(pid, signal.SIGKILL)
    store = open_store(str(tmp_path / "t.db"))
    try:
        first = sorted(store.document_ids())[0]
        state = store.load(first, "e2e")
        assert [(e.label, e.start, e.end) for e in state.entities] == [("PER", 16, 23)]
    finally:
        store.close()


def test_find_input_shows_typed_arabic_in_reading_order(tmux, tmp_path):
    """Issue 13 §5.5 in a real terminal: the find input draws mixed text as ``annotator render``
    does (right-aligned), and the terminal cursor sits on the cell past the text's logical end."""
    from annotator.commands.render import render_lines

    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    tmux.start(annotate_command(tmp_path, "seeds"))
    tmux.wait_for("finished")
    tmux.keys("C-f")
    tmux.wait_for("Find")
    value = "قال John 2019 نعم"
    tmux.run("send-keys", "-l", value)
    [expected] = render_lines(value, 1000, direction="auto")
    expected = expected.strip()
    rows = tmux.wait_for(expected)
    row = next(r for r in rows if expected in r and "«" not in r)  # the input, not the count below it
    assert "نعم" not in row  # never the logical order (unshaped, left to right)
    left = len(cells(row[:row.index(expected)]))
    right = left + len(cells(expected))
    tail = row[row.index(expected) + len(expected):]  # right-aligned: only the padding and borders after it
    assert set(tail) <= set(" ▎│") and tail.count(" ") <= 3, repr(tail)

    def cursor_reaches(x: int) -> bool:
        deadline = time.monotonic() + 15  # the app may be slow to answer on a loaded machine
        while time.monotonic() < deadline:
            if int(tmux.run("display-message", "-p", "#{cursor_x}").strip()) == x:
                return True
            time.sleep(0.1)
        return False

    assert cursor_reaches(left - 1), (left, right, row)  # the blank cell past the text's end
    tmux.keys("Home")
    assert cursor_reaches(right - 1), (left, right, row)  # on ق, the text's first character
    tmux.keys("Escape", "C-q")
    tmux.wait_for("EXITED 0")
