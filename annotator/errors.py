"""Errors a user can fix: they carry where the problem is, so the CLI and TUI can
say "file:line: problem" instead of showing a traceback."""

from __future__ import annotations


class AnnotatorError(Exception):
    """Base for every error meant for a person, not a developer."""


class InputError(AnnotatorError):
    """Bad input: names the file, the line (or byte offset) and the problem."""

    def __init__(self, problem: str, path: str | None = None, line: int | None = None,
                 *, byte_offset: int | None = None, key_path: str | None = None) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.byte_offset = byte_offset
        self.key_path = key_path
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.byte_offset is not None:
            where += f" (byte {self.byte_offset})"
        if self.key_path:
            where += f" [{self.key_path}]"
        return f"{where}: {self.problem}"


class SchemaError(InputError):
    """A schema file is invalid (unknown key, duplicate hotkey, …)."""


class OperationError(AnnotatorError):
    """An annotation operation was refused (unknown label, bad offsets, overlap, …)."""


class StoreError(AnnotatorError):
    """The store cannot do what was asked (read-only, disk full, locked by another session, …)."""


class StaleStateError(StoreError):
    """A write refused because the state it was planned on is no longer the stored one (another writer
    came first): nothing was written; read the state again and plan again."""


class UnstorableTextError(StoreError):
    """A name or id no store can keep (a NUL or a lone surrogate), refused before anything is written.

    ``field`` is what it is ("document id", "annotator name"), ``value`` the text given.
    Both stores raise it for the same values, so a team's PostgreSQL server and
    one person's SQLite file accept exactly the same data.
    """

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        what = "a NUL character (U+0000)" if "\x00" in value else "a lone surrogate from a bad decoder"
        super().__init__(f"{field} {value!r} cannot be stored, no store keeps it in a name or id: "
                         f"it holds {what}; nothing was changed")
