"""Messages for the terminal: never a raw control character, whatever the input held.

Error and problem messages quote ids, labels and file names taken from input
files. Printed raw, an ``ESC [2J`` in a label would clear the user's screen, an
OSC 52 write their clipboard, an RLO reorder the rest of the line. Such
characters are written as visible escapes (``\\x1b``, ``\\u202e``) instead.

One mechanism for both streams: ``SafeMessages`` wraps stderr (``cli.main``) and
``say`` prints the lines a command writes for a person on stdout (stats, check,
summaries). Each message is one line: a newline *inside* it (from a file name,
an id) is escaped too, so data can never forge an extra summary line. Data
streams (``export -o -``, ``render``'s laid-out rows) do not go through here:
they are written exactly (render's rows are made safe by the layout engine).
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 (but newline and tab), DEL, C1, bidi embeddings/overrides/isolates and marks, lone surrogates
_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# the same, plus everything that starts a new line
_RAW_OR_BREAK = re.compile(_RAW.pattern[:-1] + "\n\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    cp = ord(match.group())
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    """``text`` with every character that could drive a terminal written as a visible escape;
    with ``one_line``, line breaks too (a message quoting data stays one line)."""
    return (_RAW_OR_BREAK if one_line else _RAW).sub(_escape, text)


def message_safe(text: str) -> str:
    """One written message made safe: its own final newline kept, any other line break escaped."""
    if text.endswith("\n"):
        return terminal_safe(text[:-1], one_line=True) + "\n"
    return terminal_safe(text, one_line=True)


class SafeMessages:
    """A text stream for messages (stderr, a command's report on stdout): every write made
    ``message_safe``. ``print`` writes its text and its line end separately, so each
    printed message is one line on the terminal, whatever it quotes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(message_safe(text))
        return len(text)

    def __getattr__(self, name: str):  # flush, isatty, fileno, encoding, …
        return getattr(self._stream, name)


def say(line: str = "", file: TextIO | None = None) -> None:
    """Print one line meant for a person (on stdout unless ``file``), escaped like stderr."""
    stream = sys.stdout if file is None else file
    stream.write(message_safe(line) + "\n")
