"""``annotator render FILE``: print a text file's visual lines, as the app shows them.

A preview for users (how will this Arabic text look?) and a black-box interface for
tests: the same layout engine as the app, right-aligned to the width, plain text.
One column at the right stays empty: tmux (and other terminals with autowrap off)
attach a combining mark written in the last column to the previous cell.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from annotator.errors import InputError
from annotator.formats._io import check_regular
from annotator.layout import LayoutOptions, layout_text
from annotator.terminal.rtl_mode import MODES, enter_mode, exit_mode, probe_bdsm, resolve_mode, wrap_line_for_mode

MAX_MB = 50  # the default size limit; --max-size raises it

NAME = "render"
HELP = "print a text file in visual order (right-to-left, shaped) as the app shows it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a UTF-8 text file")
    p.add_argument("--width", type=int, metavar="N",
                   help="columns to fill, one kept empty at the right (default: the terminal width)")
    p.add_argument("--no-shape", action="store_true", help="do not join Arabic letters (presentation forms)")
    p.add_argument("--show-controls", action="store_true",
                   help="show invisible bidi controls (LRM, RLM, isolates, ZWJ…) as visible marks")
    p.add_argument("--direction", choices=("rtl", "ltr", "auto"), default="rtl",
                   help="paragraph direction (default rtl; auto: from each paragraph's first letter)")
    p.add_argument("--rtl-mode", choices=MODES, default="auto",
                   help="auto (probe the terminal), explicit (BDSM), lro (LRO…PDF per line), plain")
    p.add_argument("--max-size", type=int, default=MAX_MB, metavar="MB",
                   help=f"refuse files larger than this many megabytes (default {MAX_MB})")


def read_text(path: str, max_mb: int = MAX_MB) -> str:
    """The file's exact text (a leading BOM is a file marker and is dropped).

    The same regular-file check as import (``check_regular``): a named pipe would block for
    ever, ``/dev/zero`` never ends. And at most ``max_mb`` megabytes, so memory does not run out.
    """
    p = Path(path)
    check_regular(p)
    limit = max_mb * 1024 * 1024
    too_big = InputError(f"larger than {max_mb} MB; not rendered (--max-size MB raises the limit)", path)
    try:
        if p.stat().st_size > limit:
            raise too_big
        with p.open("rb") as f:
            raw = f.read(limit + 1)  # not trusting the size alone: a file may grow while it is read
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if len(raw) > limit:
        raise too_big
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"invalid UTF-8 ({exc.reason})", path, line, byte_offset=exc.start) from None
    return text[1:] if text.startswith("\ufeff") else text


def render_lines(text: str, width: int, *, shape: bool = True, show_controls: bool = False,
                 direction: str = "rtl", mode: str = "plain") -> list[str]:
    """The screen rows for ``text`` in ``width`` columns (the last one left empty)."""
    avail = max(1, width - 1)
    options = LayoutOptions(avail, direction=direction, shape=shape, show_controls=show_controls)
    rows = []
    for line in layout_text(text, options):
        row = " " * line.indent(avail) + line.text
        rows.append(wrap_line_for_mode(row, mode))
    return rows


def run(args: argparse.Namespace) -> int:
    if args.max_size < 1:
        raise InputError(f"--max-size must be at least 1 (megabyte), not {args.max_size}", args.file)
    text = read_text(args.file, args.max_size)
    width = args.width if args.width is not None else shutil.get_terminal_size((80, 24)).columns
    if width < 2:
        raise InputError(f"--width must be at least 2, not {width}", args.file)
    out = sys.stdout
    interactive = out.isatty()
    probe = probe_bdsm() if args.rtl_mode == "auto" and interactive else None
    mode = resolve_mode(args.rtl_mode, probe) if interactive or args.rtl_mode != "auto" else "plain"
    enter_mode(mode, out)
    try:
        for row in render_lines(text, width, shape=not args.no_shape, show_controls=args.show_controls,
                                direction=args.direction, mode=mode):
            out.write(row + "\n")
        out.flush()
    finally:
        exit_mode(mode, out)
    return 0
