"""How to stop a bidi-aware terminal from reordering our already-visual lines.

The layout engine sends text in visual order, shaped. Terminals that run the bidi
algorithm themselves (VTE, Konsole, mlterm, …) would reorder it a second time. Modes:

- ``explicit``: BDSM explicit mode (``CSI 8 l``; ``CSI 8 h`` restores implicit mode at
  exit, also after a crash or a signal). From the terminal-wg "BiDi in terminal emulators"
  recommendation; VTE supports it.
- ``lro``: wrap each visual line in LRO … PDF, for terminals that reorder without BDSM.
  A bidi control is never put in screen column 0 (VTE drops it there).
- ``plain``: send the visual text and nothing else (most terminals do not reorder).
- ``auto``: probe with DECRQM (``CSI 8 $ p``) before the app starts; explicit if the
  terminal knows the mode, else plain (lro when the environment names a terminal known
  to reorder without BDSM).

Under tmux, mode changes only reach the outer terminal through passthrough
(``ESC P tmux; … ESC \\``, with ``allow-passthrough on``).
"""

from __future__ import annotations

import atexit
import os
import re
import select
import signal
import sys
import time
from collections.abc import Mapping
from typing import IO

MODES = ("auto", "explicit", "lro", "plain")

BDSM_EXPLICIT = "\x1b[8l"
BDSM_IMPLICIT = "\x1b[8h"
DECRQM_BDSM = "\x1b[8$p"
PRIMARY_DA = "\x1b[c"
LRO = "\u202d"
PDF = "\u202c"

_REPLY = re.compile(rb"\x1b\[\??8;(\d)\$y")
_DA_REPLY = re.compile(rb"\x1b\[\?[\d;]*c")


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped so that tmux forwards it to the outer terminal."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def _for_terminal(sequence: str, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return tmux_passthrough(sequence) if environ.get("TMUX") else sequence


def parse_decrqm_reply(data: bytes) -> int | None:
    """The Ps of a DECRQM reply for mode 8 (0 unknown, 1 set, 2 reset, 3/4 permanent), or None."""
    match = _REPLY.search(data)
    return int(match.group(1)) if match else None


def probe_bdsm(fd: int | None = None, timeout: float = 0.2) -> bool | None:
    """Ask the terminal whether it knows BDSM; call before the app takes the terminal.

    True: it answered set/reset (explicit mode can be used); False: it answered that the mode
    is unknown or permanent; None: no terminal (not a tty) or no answer in ``timeout``.
    A primary device attributes query goes out after DECRQM: every terminal answers that, so
    a terminal that ignores DECRQM does not cost the whole timeout.
    """
    try:
        import termios
        import tty
    except ImportError:  # pragma: no cover - not POSIX
        return None
    own = False
    if fd is None:
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
            own = True
        except OSError:
            return None
    try:
        if not os.isatty(fd):
            return None
        try:
            saved = termios.tcgetattr(fd)
        except termios.error:
            return None
        try:
            tty.setcbreak(fd, termios.TCSANOW)
            attrs = termios.tcgetattr(fd)
            attrs[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
            query = _for_terminal(DECRQM_BDSM) + PRIMARY_DA
            os.write(fd, query.encode())
            data = b""
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    break
                chunk = os.read(fd, 256)
                if not chunk:
                    break
                data += chunk
                if _REPLY.search(data) or _DA_REPLY.search(data):
                    break  # answered, or DA answered first: no DECRQM reply is coming
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
    finally:
        if own:
            os.close(fd)
    status = parse_decrqm_reply(data)
    if status is None:
        return None
    return status in (1, 2)


# Terminals known to reorder without understanding BDSM (lro is the safe choice there).
_REORDERING_TERMINALS = ("MLTERM", "KONSOLE_VERSION")


def resolve_mode(requested: str, probe_result: bool | None,
                 environ: Mapping[str, str] | None = None) -> str:
    """The mode to use: the requested one, or for ``auto`` the probe's verdict."""
    if requested not in MODES:
        raise ValueError(f"unknown rtl mode {requested!r}; choose one of {', '.join(MODES)}")
    if requested != "auto":
        return requested
    if probe_result:
        return "explicit"
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in _REORDERING_TERMINALS):
        return "lro"
    return "plain"


def wrap_line_for_mode(text: str, mode: str, *, column: int = 0) -> str:
    """A visual line as it must be sent in ``mode`` (starting at screen ``column``).

    ``lro`` wraps it in LRO … PDF so a reordering terminal keeps our order. At column 0
    the LRO goes after the line's first character when that is a padding space, else a
    padding space is added in front (one more column): no bidi control in column 0.
    """
    if mode != "lro" or not text:
        return text
    if column > 0:
        return LRO + text + PDF
    if text[0] == " ":
        return " " + LRO + text[1:] + PDF
    return " " + LRO + text + PDF


# -- entering and leaving explicit mode, restored however the program ends -----------------
_active: dict[str, object] = {}


def enter_mode(mode: str, out: IO[str] | None = None) -> None:
    """Switch the terminal for ``mode`` (only ``explicit`` sends anything) and make sure the
    terminal is restored at exit, on SIGTERM/SIGHUP and after an uncaught exception."""
    if mode != "explicit":
        return
    out = sys.stdout if out is None else out
    out.write(_for_terminal(BDSM_EXPLICIT))
    out.flush()
    _active["out"] = out
    try:
        _active["fd"] = out.fileno()
    except (AttributeError, OSError, ValueError):
        _active["fd"] = None
    if not _active.get("registered"):
        atexit.register(_restore)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous = signal.getsignal(signum)
                signal.signal(signum, _make_handler(previous))
            except (ValueError, OSError):  # not the main thread
                pass
        _active["registered"] = True


def exit_mode(mode: str, out: IO[str] | None = None) -> None:
    """Restore implicit mode (``CSI 8 h``) if ``mode`` had switched the terminal."""
    if mode != "explicit" or "out" not in _active:
        return
    out = _active.get("out") if out is None else out  # type: ignore[assignment]
    try:
        out.write(_for_terminal(BDSM_IMPLICIT))  # type: ignore[union-attr]
        out.flush()  # type: ignore[union-attr]
    except (OSError, ValueError):
        _restore_raw()
    _active.pop("out", None)


def _restore_raw() -> None:
    """Restore with a bare write(2): safe inside a signal handler."""
    fd = _active.get("fd")
    if isinstance(fd, int):
        try:
            os.write(fd, _for_terminal(BDSM_IMPLICIT).encode())
        except OSError:
            pass


def _restore() -> None:
    if "out" in _active:
        _restore_raw()
        _active.pop("out", None)


def _make_handler(previous):
    def handler(signum, frame):
        _restore()
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
    return handler
