"""Helpers for the TUI tests (no tests here): a session on a temp store, an app, screen text."""

from __future__ import annotations

import time
from pathlib import Path

import wcwidth

from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

MIXED = ("قال John Smith إن عام 2019 كان صعباً. وقالت الوزارة في بيروت إن الأرقام صحيحة.\n"
         "والرئيس يزور بيروت غداً.")
SECOND = "أعلنت الحكومة المصرية أمس أن 40% من الناخبين شاركوا في الانتخابات."
THIRD = "الأكراد يسيطرون بالكامل على الباغوز."
DOCS = (("a_mixed", MIXED), ("b_second", SECOND), ("c_third", THIRD))
SIZE = (100, 30)


def make_session(db: Path, docs=DOCS, annotator: str = "tester") -> AnnotationSession:
    store = open_store(str(db))
    for doc_id, text in docs:
        store.add_document(Document(doc_id, text))
    return AnnotationSession(store, load_schema(default_schema_path()), annotator)


def reopen(session: AnnotationSession) -> AnnotationSession:
    """A fresh session on the same database file (as after a restart)."""
    path = session.store.path
    session.store.close()
    return AnnotationSession(open_store(str(path)), session.schema, session.annotator)


def make_app(session: AnnotationSession, **kwargs):
    from annotator.tui.app import AnnotatorApp

    kwargs.setdefault("clock", lambda: "")
    return AnnotatorApp(session, **kwargs)


def token_start(text: str, word: str, nth: int = 0) -> int:
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(word, pos + 1)
    return pos


def word_span(text: str, word: str, nth: int = 0) -> tuple[int, int]:
    """``[start, end)`` of the ``nth`` occurrence of ``word`` in ``text``."""
    start = token_start(text, word, nth)
    return start, start + len(word)


def main(app):
    """The app's annotate screen (it must be the one showing)."""
    from annotator.tui.screens.annotate import AnnotateScreen

    assert isinstance(app.screen, AnnotateScreen)
    return app.screen


def cells(row: str) -> list[str]:
    """A captured terminal row as screen cells: zero-width marks join the character before them,
    a wide character is followed by an empty cell."""
    out: list[str] = []
    for ch in row:
        if wcwidth.wcwidth(ch) == 0 and out:
            out[-1] += ch
        else:
            out.append(ch)
            out.extend([""] * (max(wcwidth.wcwidth(ch), 1) - 1))
    return out


async def wait_until(pilot, condition, limit: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (a background job finished), failing after ``limit`` s:
    a fixed pause is too short on a loaded machine."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)
