"""Messages for the terminal: never a raw control character, whatever the input held.

Error and problem messages quote ids, labels and file names taken from input
files. Printed raw, an ``ESC [2J`` in a label would clear the user's screen, an
OSC 52 write their clipboard, an RLO reorder the rest of the line. Such
characters are written as visible escapes (``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 (but newline and tab), DEL, C1, bidi embeddings/overrides/isolates and marks, lone surrogates
_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    cp = ord(match.group())
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every character that could drive a terminal written as a visible escape."""
    return _RAW.sub(_escape, text)


class SafeMessages:
    """A text stream (stderr) that passes everything through ``terminal_safe``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str):  # flush, isatty, fileno, encoding, …
        return getattr(self._stream, name)
