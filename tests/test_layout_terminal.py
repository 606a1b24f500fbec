"""annotator.terminal.rtl_mode: probing, choosing and switching the terminal's bidi mode."""

from __future__ import annotations

import io
import os
import pty
import select
import threading

import pytest

from annotator.terminal import rtl_mode
from annotator.terminal.rtl_mode import (
    BDSM_EXPLICIT,
    BDSM_IMPLICIT,
    LRO,
    PDF,
    enter_mode,
    exit_mode,
    parse_decrqm_reply,
    probe_bdsm,
    resolve_mode,
    tmux_passthrough,
    wrap_line_for_mode,
)


def test_resolve_mode():
    assert resolve_mode("auto", True, environ={}) == "explicit"
    assert resolve_mode("auto", False, environ={}) == "plain"
    assert resolve_mode("auto", None, environ={}) == "plain"
    assert resolve_mode("auto", None, environ={"MLTERM": "3.9.0"}) == "lro"
    for forced in ("explicit", "lro", "plain"):
        assert resolve_mode(forced, None, environ={}) == forced
    with pytest.raises(ValueError):
        resolve_mode("off", None)


def test_parse_reply():
    assert parse_decrqm_reply(b"\x1b[8;1$y") == 1
    assert parse_decrqm_reply(b"junk\x1b[8;2$y\x1b[?62c") == 2
    assert parse_decrqm_reply(b"\x1b[?62;22c") is None


def test_wrap_line_never_puts_a_control_in_column_zero():
    assert wrap_line_for_mode("  abc", "lro") == " " + LRO + " abc" + PDF
    assert wrap_line_for_mode("abc", "lro") == " " + LRO + "abc" + PDF
    assert wrap_line_for_mode("abc", "lro", column=5) == LRO + "abc" + PDF
    assert wrap_line_for_mode("abc", "plain") == "abc"
    assert wrap_line_for_mode("abc", "explicit") == "abc"


def test_tmux_passthrough_doubles_escapes():
    assert tmux_passthrough("\x1b[8l") == "\x1bPtmux;\x1b\x1b[8l\x1b\\"


def test_enter_and_exit_explicit_mode(monkeypatch):
    monkeypatch.delenv("TMUX", raising=False)
    out = io.StringIO()
    enter_mode("explicit", out)
    exit_mode("explicit", out)
    assert out.getvalue() == BDSM_EXPLICIT + BDSM_IMPLICIT
    other = io.StringIO()
    enter_mode("plain", other)
    exit_mode("plain", other)
    enter_mode("lro", other)
    assert other.getvalue() == ""


def test_explicit_mode_through_tmux(monkeypatch):
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    out = io.StringIO()
    enter_mode("explicit", out)
    exit_mode("explicit", out)
    assert out.getvalue() == tmux_passthrough(BDSM_EXPLICIT) + tmux_passthrough(BDSM_IMPLICIT)


def test_restored_at_exit_without_exit_mode(monkeypatch):
    """A crash skips exit_mode: the atexit/signal handler writes CSI 8 h with write(2)."""
    monkeypatch.delenv("TMUX", raising=False)
    read_fd, write_fd = os.pipe()
    out = os.fdopen(write_fd, "w")
    try:
        enter_mode("explicit", out)
        rtl_mode._restore()  # what atexit / SIGTERM run
        out.flush()
        data = os.read(read_fd, 100).decode()
        assert data == BDSM_EXPLICIT + BDSM_IMPLICIT
        rtl_mode._restore()  # only once
        out.write("x")
        out.flush()
        assert os.read(read_fd, 100) == b"x"
    finally:
        out.close()
        os.close(read_fd)


def test_probe_without_terminal_returns_none():
    read_fd, write_fd = os.pipe()
    try:
        assert probe_bdsm(read_fd, timeout=0.05) is None
    finally:
        os.close(read_fd)
        os.close(write_fd)


def _fake_terminal(master: int, reply: bytes) -> None:
    """Answer the probe like a terminal: read the query, send ``reply``."""
    data = b""
    while b"\x1b[c" not in data:
        ready, _, _ = select.select([master], [], [], 2)
        if not ready:
            return
        data += os.read(master, 100)
    os.write(master, reply)


@pytest.mark.parametrize("reply,expected", [
    (b"\x1b[8;1$y\x1b[?62c", True),      # VTE, implicit mode
    (b"\x1b[8;2$y\x1b[?62c", True),      # VTE, explicit mode
    (b"\x1b[8;0$y\x1b[?62c", False),     # mlterm: mode unknown
    (b"\x1b[?62;22c", None),             # tmux/xterm without DECRQM: only DA answers
])
def test_probe_reads_the_reply(monkeypatch, reply, expected):
    monkeypatch.delenv("TMUX", raising=False)
    master, slave = pty.openpty()
    thread = threading.Thread(target=_fake_terminal, args=(master, reply))
    thread.start()
    try:
        assert probe_bdsm(slave, timeout=2) is expected
    finally:
        thread.join()
        os.close(master)
        os.close(slave)
