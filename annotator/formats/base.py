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
    note: bool = False  # nothing was left out (a quirk read as written, a kept line): not a loss

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
    """Options and the problem sink for one import run, and the one place records are counted.

    Counting is automatic, so no reader can forget it: the shared loops of ``_io``
    call ``next_record`` as each record starts (the importer also opens one scope per
    file), and every problem reported until the next one belongs to that record. A
    problem is a loss unless it is a ``note`` or a repair. When a record's scope ends,
    each ``reject`` in it counts one rejected record; a loss with nothing kept counts
    one rejected record; a loss beside a kept record counts one record imported in
    part. The importer calls ``record_kept`` once a record is stored.
    """

    schema: Schema | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    repair: bool = False
    problems: list[Problem] = field(default_factory=list)
    on_problem: Callable[[Problem], None] | None = None
    # format-specific options, e.g. {"tokens": "dev.txt"} for aqmar-truth's token file
    options: dict[str, str] = field(default_factory=dict)
    # the keys the format being read turns into data (set by the importer from ``record_keys``): an
    # annotation-like key outside them is reported, never silently ignored (see _io.check_keys)
    record_keys: frozenset[str] | None = None
    format_name: str = ""  # the format being read, for messages
    _rejected: int = field(default=0, repr=False)
    _partial: int = field(default=0, repr=False)
    _losses: int = field(default=0, repr=False)  # in the record being read
    _rejects: int = field(default=0, repr=False)
    _kept: int = field(default=0, repr=False)

    def report(self, path: str | Path, line: int | None, message: str, *, repaired: bool = False,
               note: bool = False) -> None:
        p = Problem(str(path), line, message, repaired, note or repaired)
        self.problems.append(p)
        if not p.note:
            self._losses += 1
        if self.on_problem is not None:
            self.on_problem(p)

    def reject(self, path: str | Path, line: int | None, message: str) -> None:
        """Report a record that cannot be imported (counted once in ``rejected``)."""
        self._rejects += 1
        self.report(path, line, message)

    def next_record(self) -> None:
        """A new record starts: settle the counts of the one before."""
        if self._losses or self._rejects:
            self._rejected += self._pending_rejected()
            self._partial += self._pending_partial()
        self._losses = self._rejects = self._kept = 0

    def record_kept(self) -> None:
        """The importer stored a record of the current scope."""
        self._kept += 1

    def _pending_rejected(self) -> int:
        if self._rejects:
            return self._rejects
        return 1 if self._losses and not self._kept else 0

    def _pending_partial(self) -> int:
        return 1 if self._kept and self._losses > self._rejects else 0

    @property
    def rejected(self) -> int:
        """Records not imported at all (each one also reported)."""
        return self._rejected + self._pending_rejected()

    @property
    def partial(self) -> int:
        """Records imported with something in them left out (each loss reported)."""
        return self._partial + self._pending_partial()

    @property
    def repairs(self) -> int:
        return sum(1 for p in self.problems if p.repaired)


@dataclass
class WriteContext:
    schema: Schema
    problems: list[Problem] = field(default_factory=list)
    target: str = "<output>"  # the output file or folder, named in problems
    skipped: int = 0  # documents a writer could not write at all (each one also reported)

    def report(self, path: str | Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(str(path), line, message))

    def report_once(self, message: str) -> None:
        """Report about the output, unless just said (a document's records, one per annotator,
        share its stored metadata and so its problems with it)."""
        problem = Problem(self.target, None, message)
        if problem not in self.problems[-20:]:
            self.problems.append(problem)

    def skip(self, message: str) -> None:
        """Report a document left out of the output (counted: the export then exits non-zero)."""
        self.skipped += 1
        self.report_once(message)


class Format(Protocol):
    """Optional attributes read with getattr: ``signature`` (what detection recognised, for the
    reason it reports), ``writable = False`` (import only), ``reads_folders`` / ``writes_folders``
    (brat: ``read`` takes a folder, ``write`` is given the output folder as a ``Path``),
    ``record_keys`` (JSON formats: the keys of a record it reads; see ``_io.check_keys``)."""

    name: str  # the --format value
    description: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when ``head`` (the first 64 KB of ``path``, an ``_io.Sample`` whose ``first``
        is the first whole JSON record) looks like this format."""

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


# -- detection and writing helpers ------------------------------------------------

# Content sniffing tries formats in this order: the most specific signatures first,
# the loose token-per-line CoNLL last. Formats not listed come after, by name.
DETECT_ORDER = (
    "label-studio", "label-studio-min", "araieval", "prodigy", "doccano", "native",
    "checkthat", "aqmar-truth", "brat", "conll",
)
SNIFF_BYTES = 64 * 1024


def detect_format(path: str | Path) -> tuple[Format, str]:
    """Guess a file's format from its content; returns the format and a one-line reason.

    A folder holding ``.ann`` files is brat standoff. Formats are asked with a
    ``_io.Sample``: the first 64 KB as text (BOM dropped exactly as the readers drop
    it) that also holds the file's first whole JSON record, however long, so a long
    first record is judged by all its keys. An explicit ``--format`` always wins
    over this guess (the caller simply does not call it).
    """
    from annotator.errors import AnnotatorError, InputError
    from annotator.formats._io import Sample

    _load_builtin()
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", str(p))
    if p.is_dir():
        anns = sum(1 for _ in p.glob("*.ann"))
        if anns and "brat" in _REGISTRY:
            return _REGISTRY["brat"], f"folder with {anns} .ann file(s): brat standoff"
        raise InputError("folder without .ann files: give a file, or a brat folder", str(p))
    head = Sample.of(p, SNIFF_BYTES)
    names = [n for n in DETECT_ORDER if n in _REGISTRY]
    names += sorted(n for n in _REGISTRY if n not in names)
    for name in names:
        fmt = _REGISTRY[name]
        if fmt.sniff(p, head):
            why = getattr(fmt, "signature", fmt.description)
            return fmt, f"detected format {name!r} from the content ({why}); use --format to override"
    raise AnnotatorError(
        f"{p}: cannot tell the format from the content; give --format "
        f"(one of {', '.join(sorted(_REGISTRY))})"
    )


def can_write(fmt: Format) -> bool:
    """Import-only formats (corpus readers such as ``aqmar-truth``) set ``writable = False``."""
    return getattr(fmt, "writable", True)


def writes_folders(fmt: Format) -> bool:
    """brat writes a folder of ``.txt``/``.ann`` pairs through ``write_folder(records, folder, ctx)``."""
    return getattr(fmt, "writes_folders", False)


def export_records(fmt: Format, records: Iterable[Record], target: str | Path, ctx: WriteContext) -> None:
    """Write records to ``target`` (a file, or a folder for brat), streaming, through the one
    export path (``annotator.exporting.write_output``: atomic file, swapped-in folder, checks)."""
    from annotator.exporting import write_output

    write_output(fmt, records, target, ctx)
