"""Split a document into paragraphs without losing a single offset.

Paragraph separators are ``\\n``, ``\\r\\n``, ``\\r`` and U+2029 (the class B
characters that end a line in practice; the rare others are drawn as control
symbols). Offsets stay absolute into the whole text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_SEPARATOR = re.compile("\r\n|[\n\r\u2029]")


class Paragraph(NamedTuple):
    """A paragraph: its text is ``document[start:end]``; ``next_start`` skips the separator."""

    start: int
    end: int
    next_start: int


def split_paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of ``text``; an empty text is one empty paragraph, as is a trailing newline's tail."""
    result: list[Paragraph] = []
    pos = 0
    for match in _SEPARATOR.finditer(text):
        result.append(Paragraph(pos, match.start(), match.end()))
        pos = match.end()
    result.append(Paragraph(pos, len(text), len(text)))
    return result
