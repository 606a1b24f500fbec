"""The small protocol every file format implements, and the registry of formats by name.

A reader turns a file into a stream of ``Record`` (a document plus, optionally,
the annotations it carried); a writer turns records back into a file. Problems
are reported through ``ReadContext.report`` with file and line, so one bad record
never hides the others and nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, TextIO

from annotator.model.annotations import Annotations, Document
from annotator.schema.model import Schema


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    repaired: bool = False  # True when --repair fixed it (counted, not dropped)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {'repaired: ' if self.repaired else ''}{self.message}"


@dataclass(frozen=True)
class Record:
    """One document read from a file, with the annotations the file carried (if any).

    ``annotations.annotator`` may be None (unknown) and its spans may carry a
    ``source`` such as ``"import:prodigy"`` to mark them as pre-annotations.
    """

    document: Document
    annotations: Annotations | None = None
    line: int | None = None  # where the record starts in its file, for messages


@dataclass
class ReadContext:
    """Options and the problem sink for one import run."""

    schema: Schema | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    repair: bool = False
    problems: list[Problem] = field(default_factory=list)
    on_problem: Callable[[Problem], None] | None = None

    def report(self, path: str | Path, line: int | None, message: str, *, repaired: bool = False) -> None:
        p = Problem(str(path), line, message, repaired)
        self.problems.append(p)
        if self.on_problem is not None:
            self.on_problem(p)

    @property
    def repairs(self) -> int:
        return sum(1 for p in self.problems if p.repaired)


@dataclass
class WriteContext:
    schema: Schema
    problems: list[Problem] = field(default_factory=list)

    def report(self, path: str | Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(str(path), line, message))


class Format(Protocol):
    name: str  # the --format value
    description: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when ``head`` (the first few KB of ``path``) looks like this format."""

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        """Stream records; report bad ones through ``ctx`` and go on."""

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        """Stream records out (``out`` is a text file opened by the caller)."""


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    _REGISTRY[fmt.name] = fmt
    return fmt


def get_format(name: str) -> Format:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        from annotator.errors import AnnotatorError

        raise AnnotatorError(
            f"unknown format {name!r}; known formats: {', '.join(sorted(_REGISTRY))}"
        ) from None


def all_formats() -> dict[str, Format]:
    _load_builtin()
    return dict(_REGISTRY)


def _load_builtin() -> None:
    """Import every module of ``annotator.formats`` once so each can register itself."""
    import importlib
    import pkgutil

    import annotator.formats as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in ("base",) and not info.name.startswith("_"):
            importlib.import_module(f"annotator.formats.{info.name}")
