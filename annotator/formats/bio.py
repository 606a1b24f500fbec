"""BIO tags to token spans and back, with nesting as extra tag columns (Wojood style).

A token line carries one tag per nesting level, outer entity first:
``بيرزيت I-EVENT I-ORG I-ORG B-GPE``. Column *k* is nesting level *k*, so each
column is an ordinary BIO sequence. BIOES tags (E-, S-) are read too; we write BIO.

Decoding never drops anything silently: a malformed tag (``IO``, ``O-ORG``) and an
inside-tag that starts a run without a begin (``I-FAC`` opening a sentence) come
back as issues. With ``repair`` the orphan inside-tag opens the span (a repair,
counted); without it the span is left out and the issue says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TAG = re.compile(r"^([BIES])-(.+)$")


def parse_tag(tag: str) -> tuple[str, str] | None:
    """``("O", "")`` for outside, ``(prefix, label)`` for B-/I-/E-/S- tags, None if malformed.

    The label is taken as written after the first ``-`` (``I--ORG`` has label ``-ORG``)
    so that a typo is shown to the person importing, who can map it with a label map.
    """
    if tag == "O":
        return ("O", "")
    m = _TAG.match(tag)
    return (m.group(1), m.group(2)) if m else None


@dataclass(frozen=True, slots=True)
class TokenSpan:
    start: int  # first token index
    end: int  # one past the last token
    label: str
    depth: int  # tag column, 0 = outermost


@dataclass(frozen=True)
class TagIssue:
    token: int  # index of the token whose tag is the problem
    message: str
    repaired: bool = False


def decode(rows: Sequence[Sequence[str]], *, repair: bool = False) -> tuple[list[TokenSpan], list[TagIssue]]:
    """Spans from per-token tag lists (one list per token, outer level first)."""
    spans: list[TokenSpan] = []
    issues: list[TagIssue] = []
    # per column: [label, start, keep] for the run in progress; keep=False for an orphan run left out
    open_: list[list | None] = []

    def close(col: int, at: int) -> None:
        run = open_[col]
        if run is not None and run[2]:
            spans.append(TokenSpan(run[1], at, run[0], col))
        open_[col] = None

    for i, tags in enumerate(rows):
        width = max(len(tags), len(open_))
        while len(open_) < width:
            open_.append(None)
        for col in range(width):
            tag = tags[col] if col < len(tags) else "O"
            parsed = parse_tag(tag)
            if parsed is None:
                issues.append(TagIssue(i, f"malformed tag {tag!r} (column {col + 2}); token read as outside"))
                parsed = ("O", "")
            prefix, label = parsed
            run = open_[col]
            if prefix in ("I", "E") and run is not None and run[0] == label:
                pass  # continues the run
            elif prefix in ("I", "E"):
                close(col, i)
                if repair:
                    issues.append(TagIssue(i, f"inside-tag {tag!r} without a begin: span starts here", True))
                else:
                    issues.append(TagIssue(
                        i, f"inside-tag {tag!r} without a begin: span not imported (use --repair to make it a begin)"))
                open_[col] = [label, i, repair]
            elif prefix in ("B", "S"):
                close(col, i)
                open_[col] = [label, i, True]
            else:
                close(col, i)
            if prefix in ("E", "S"):
                close(col, i + 1)
    for col in range(len(open_)):
        close(col, len(rows))
    spans.sort(key=lambda s: (s.start, -s.end, s.depth))
    return spans, issues


def encode(n_tokens: int, spans: Sequence[tuple[int, int, str]]) -> tuple[list[list[str]], list[tuple[int, str]]]:
    """Tag lists per token for ``(start, end, label)`` token spans.

    Nested spans go one column deeper than the span holding them. A span that
    partly overlaps another cannot be written as columns: it is returned in the
    second list as ``(index into spans, reason)`` and left out of the tags.
    """
    tagged, rejected = encode_sparse(n_tokens, spans)
    return [tagged.get(t, ["O"]) for t in range(n_tokens)], rejected


def encode_sparse(n_tokens: int, spans: Sequence[tuple[int, int, str]]
                  ) -> tuple[dict[int, list[str]], list[tuple[int, str]]]:
    """``encode`` with only the tagged tokens' lists (every other token is ``O``): a document of a
    million tokens and a few entities costs a few lists, not a million."""
    rows: dict[int, list[str]] = {}
    rejected: list[tuple[int, str]] = []
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], -spans[k][1], k))
    stack: list[tuple[int, int, str]] = []  # spans holding the current position, outermost first
    for k in order:
        start, end, label = spans[k]
        if not 0 <= start < end <= n_tokens:
            rejected.append((k, "span does not cover whole tokens"))
            continue
        while stack and stack[-1][1] <= start:
            stack.pop()
        if stack and stack[-1][1] < end:
            outer = stack[-1]
            rejected.append((k, f"partly overlaps the {outer[2]} span; CoNLL columns can only nest"))
            continue
        for t in range(start, end):
            row = rows.setdefault(t, [])  # one tag per span around it (len(stack)): this one goes one deeper
            row.append(("B-" if t == start else "I-") + label)
        stack.append((start, end, label))
    return rows, rejected
