"""``annotator render``: the black-box interface of the layout engine, in a pipe and in tmux."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import unicodedata
import uuid
from pathlib import Path

import pytest
from wcwidth import wcswidth

from annotator.cli import main
from annotator.commands.render import render_lines
from annotator.layout import LayoutOptions, layout_paragraph, visual_string

import fribidi_oracle as oracle

REPO = Path(__file__).resolve().parents[1]

# Harakat, a lam-alef, a mixed Latin/number run, and a first line long enough that its first
# letter (with a haraka) lands in the last usable column.
SAMPLE = [
    "كَتَبَ الوَلَدُ الدَّرسَ لا بأس",
    "تقرير (OCHA) رقم 12.5% عن 2019 الأخير",
    "بَ" + "ب" * 98,
    "سلام على العالم",
]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["render", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_render_prints_right_aligned_visual_lines(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("مرحبا (عالم)\nabc\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, str(path), "--width", "20", "--no-shape", "--rtl-mode", "plain")
    assert code == 0
    rows = out.split("\n")
    assert rows[0] == " " * 7 + "(ملاع) ابحرم"  # 12 cells right-aligned in 19 (one spare column)
    assert rows[1] == " " * 16 + "abc"  # an RTL paragraph: right-aligned too
    assert len(rows[0]) == 19


def test_render_shapes_and_shows_controls(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("سلام\u200f\x1b", encoding="utf-8")
    _, out, _ = run_cli(capsys, str(path), "--width", "10", "--rtl-mode", "plain")
    salam = visual_string("سلام")
    assert salam == "\ufee1\ufefc\ufeb3"
    assert out.strip() == "\u241b" + salam
    _, out, _ = run_cli(capsys, str(path), "--width", "10", "--show-controls", "--rtl-mode", "plain")
    assert out.strip() == "\u241b\u2190" + salam
    assert "\x1b" not in out


def test_render_wraps_to_width(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("قوات سوريا الديمقراطية تسيطر على آخر بقعة", encoding="utf-8")
    _, out, _ = run_cli(capsys, str(path), "--width", "16", "--rtl-mode", "plain")
    rows = out.rstrip("\n").split("\n")
    assert len(rows) > 2 and all(wcswidth(r) <= 15 for r in rows)


def test_render_lro_mode_never_puts_a_control_in_column_zero():
    rows = render_lines("مرحبا", 10, mode="lro")
    assert rows == [" \u202d   " + visual_string("مرحبا") + "\u202c"]  # 4 spaces of indent
    assert all(r[0] not in "\u202d\u202c" for r in rows)


def test_render_bad_input_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("سطر\n".encode() + b"\xff\n")
    code, _, err = run_cli(capsys, str(bad))
    assert code == 2
    assert err.strip() == f"annotator: error: {bad}:2 (byte 7): invalid UTF-8 (invalid start byte)"
    code, _, err = run_cli(capsys, str(tmp_path / "missing.txt"))
    assert code == 2 and "missing.txt" in err and "Traceback" not in err


def expected_rows(text: str, width: int) -> list[str]:
    """What FriBidi says the screen shows: its visual, shaped string of each of our lines,
    right-aligned in ``width - 1`` columns."""
    avail = width - 1
    par = oracle.Paragraph(text)
    shaped = par.shaped()
    rows = []
    for line in layout_paragraph(text, LayoutOptions(avail)):
        order = par.visual_map(line.start, line.end)
        visual = "".join(shaped[i] for i in order).replace(oracle.FILL, "")
        cells = sum(1 for c in visual if unicodedata.category(c) not in ("Mn", "Me"))
        rows.append(" " * (avail - cells) + visual)
    return rows


@pytest.mark.tmux
@pytest.mark.fribidi
def test_render_in_tmux_matches_fribidi(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    oracle.require()
    path = tmp_path / "sample.txt"
    path.write_text("\n".join(SAMPLE), encoding="utf-8")
    width = 100
    socket = f"annotator-test-{uuid.uuid4().hex[:10]}"
    session = f"render-{uuid.uuid4().hex[:8]}"
    command = (f"{sys.executable} -m annotator render {path} --width {width} --rtl-mode plain; "
               f"echo __DONE__; sleep 60")
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    tmux = ["tmux", "-u", "-L", socket, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", "30", "-s", session,
                    "sh", "-c", command], check=True, env=env, cwd=REPO)
    try:
        captured = ""
        for _ in range(100):
            captured = subprocess.run([*tmux, "capture-pane", "-p", "-N", "-t", session],
                                      capture_output=True, text=True, check=True, env=env).stdout
            if "__DONE__" in captured:
                break
            time.sleep(0.1)
        assert "__DONE__" in captured, captured
        rows = captured.split("\n")
        rows = rows[: rows.index("__DONE__")]
        expected = [row for text in SAMPLE for row in expected_rows(text, width)]
        assert [r.rstrip() for r in rows] == [e.rstrip() for e in expected]
        # Harakat stay on their letters, the lam-alef is one cell, digits and Latin read LTR.
        assert "\ufefb" in rows[0] and "\u064e" in rows[0]
        assert "(OCHA)" in rows[1] and "2019" in rows[1]
        # The long line fills columns 1-99: its first letter and haraka sit in the last usable
        # column, still together; column 100 stays empty.
        long_row = rows[2].rstrip()
        assert long_row.endswith("\ufe91\u064e") and not long_row.startswith(" ")
        assert wcswidth(long_row) == width - 1
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, env=env)
