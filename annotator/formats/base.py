"""The contract every file format implements (``Format``), and the registry of formats by name.

A reader turns a file into a stream of ``Record`` (a document plus, optionally,
the annotations it carried); a writer turns records back into a file. Problems
are reported through ``ReadContext.report`` with file and line, so one bad record
never hides the others and nothing is dropped silently.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar, TextIO

from annotator.model.annotations import Annotations, Document
from annotator.schema.model import Schema

if TYPE_CHECKING:
    from annotator.plugins import Registry


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
    # on export, for a format that ``uses_tokens``: the token table the store kept for the document
    # (``annotator.text.bounds``: packed, of the current tokenizer), None when it kept none
    tokens: bytes | None = None


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


class Format(ABC):
    """A file format: what ``annotator import`` reads and ``annotator export`` writes.

    Every capability is declared here with its default, so a format states what it can do
    and nothing is probed with ``getattr``. A subclass sets ``name`` and ``description``,
    implements ``sniff`` and ``read``, and, to be exported to, overrides ``write`` (one
    file) or, with ``writes_folders = True``, ``write_folder`` (a folder of files): which
    one it overrides is what ``writable`` says. The registry (``get_format``) checks all
    this for built-ins and plugins alike (``contract_problems``).
    """

    name: ClassVar[str] = ""  # the --format value (required)
    description: ClassVar[str] = ""  # one line for --help and the docs (required)
    # what detection recognised, for the reason it reports ("" means the description)
    signature: ClassVar[str] = ""
    # the files taken from a folder given with --format (e.g. (".txt",)); () means the importer's default list
    suffixes: ClassVar[tuple[str, ...]] = ()
    reads_folders: ClassVar[bool] = False  # ``read`` is given a whole folder (brat) rather than each file in it
    writes_folders: ClassVar[bool] = False  # export writes a folder through ``write_folder``
    # folder formats: the files an export writes (an existing folder holding anything else is refused,
    # since it is replaced whole) and the configuration files carried over into the new folder
    folder_files: ClassVar[tuple[str, ...]] = ()
    folder_carries: ClassVar[tuple[str, ...]] = ()
    # folder formats that also ship their files as one archive: an output named with one of these
    # suffixes (e.g. ".tar") is one file, written by ``write_archive`` and replaced atomically
    archive_suffixes: ClassVar[tuple[str, ...]] = ()
    # JSON formats: the keys of a record that it turns into data; any other annotation-like key is
    # reported, never silently ignored (``_io.check_keys``). None: not checked.
    record_keys: ClassVar[frozenset[str] | None] = None
    # writes our tokens: an export hands it each document's kept token table (``Record.tokens``)
    uses_tokens: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, path: Path, head: str) -> bool:
        """True when ``head`` (the first 64 KB of ``path``, an ``_io.Sample`` whose ``first``
        is the first whole JSON record) looks like this format."""

    @abstractmethod
    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        """Stream records; report bad ones through ``ctx`` and go on."""

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        """Stream records into ``out``, a text file the caller opened (``annotator.exporting``,
        the one export path, which makes the file atomic). Not overridden: not a file format."""
        from annotator.errors import AnnotatorError

        if self.writes_folders:
            raise AnnotatorError(f"format {self.name!r} writes a folder of files, not one file: give a folder "
                                 "as the output (-o FOLDER)")
        raise AnnotatorError(f"format {self.name!r} can be imported but not exported")

    def write_folder(self, records: Iterable[Record], folder: Path, ctx: WriteContext) -> None:
        """Write records as files into ``folder``, a fresh empty folder that the export swaps in
        whole once complete. Only for ``writes_folders`` formats."""
        from annotator.errors import AnnotatorError

        raise AnnotatorError(f"format {self.name!r} does not write folders")

    def archive_suffix(self, output: str | Path | None) -> str | None:
        """The one of ``archive_suffixes`` that ``output``'s name ends with (any case; the longest),
        else None: then a folder format writes a folder."""
        from annotator.formats._archive import split_archive  # the one rule, for import and export

        if output is None or str(output) in ("", "-"):
            return None
        found = split_archive(Path(output).name, self.archive_suffixes)
        return found[1] if found else None

    def write_archive(self, records: Iterable[Record], out: BinaryIO, ctx: WriteContext, target: Path) -> None:
        """Stream into ``out`` (binary, the export's temporary file for ``target``) one archive of
        the files ``write_folder`` writes. Only for formats with ``archive_suffixes``."""
        from annotator.errors import AnnotatorError

        raise AnnotatorError(f"format {self.name!r} does not write archives")

    @property
    def writable(self) -> bool:
        """Whether it can be exported to: it implements the write its kind calls for."""
        if self.writes_folders:
            return type(self).write_folder is not Format.write_folder
        return type(self).write is not Format.write

    def detection_reason(self) -> str:
        return self.signature or self.description


def contract_problems(fmt: Format, name: str) -> list[str]:
    """What a format gets wrong about its declared contract (empty: nothing)."""
    problems = []
    cls = type(fmt)
    if cls.name != name:
        problems.append(f"its class {cls.__qualname__} declares name {cls.name!r}, not {name!r}")
    if not (isinstance(cls.description, str) and cls.description):
        problems.append("it declares no description")
    if not isinstance(fmt.signature, str):
        problems.append("signature is not a string")
    for flag, value in (("reads_folders", fmt.reads_folders), ("writes_folders", fmt.writes_folders)):
        if not isinstance(value, bool):
            problems.append(f"{flag} is not True or False")
    for what, patterns in (("suffixes", fmt.suffixes), ("folder_files", fmt.folder_files),
                           ("folder_carries", fmt.folder_carries), ("archive_suffixes", fmt.archive_suffixes)):
        if not (isinstance(patterns, tuple) and all(isinstance(v, str) for v in patterns)):
            problems.append(f"{what} is not a tuple of strings")
    if isinstance(fmt.suffixes, tuple) and not all(
            isinstance(s, str) and s.startswith(".") and s == s.lower() for s in fmt.suffixes):
        problems.append("suffixes must be lower-case and start with a dot, e.g. ('.txt',)")
    if fmt.record_keys is not None and not isinstance(fmt.record_keys, frozenset):
        problems.append("record_keys is not a frozenset")
    overrides_folder = cls.write_folder is not Format.write_folder
    if overrides_folder and not fmt.writes_folders:
        problems.append("it implements write_folder but does not declare writes_folders = True")
    if fmt.writes_folders and cls.write is not Format.write:
        problems.append("it declares writes_folders = True but implements write (a folder format writes "
                        "through write_folder)")
    if fmt.archive_suffixes and not (fmt.writes_folders and cls.write_archive is not Format.write_archive):
        problems.append("it declares archive_suffixes but does not write folders and implement write_archive")
    if fmt.writes_folders and not fmt.folder_files:
        problems.append("it writes folders but declares no folder_files (the files an export writes)")
    return problems


def _make_format(obj: object, name: str) -> Format:
    """A registered format: an instance of a complete ``Format`` subclass keeping its contract."""
    from annotator.plugins import PluginError, missing_methods

    if not (isinstance(obj, type) and issubclass(obj, Format)):
        raise PluginError(f"{obj!r} is not a subclass of annotator.formats.base.Format")
    if missing := missing_methods(obj):
        raise PluginError(f"{obj.__qualname__} does not implement {', '.join(missing)}")
    fmt = obj()
    if problems := contract_problems(fmt, name):
        raise PluginError(f"{obj.__qualname__}: {'; '.join(problems)}")
    return fmt


# The built-in formats, by --format name: each module is imported the first time its format is used.
BUILTIN_FORMATS: dict[str, str] = {
    "native": "annotator.formats.native:NativeFormat",
    "text": "annotator.formats.plaintext:PlainTextFormat",
    "prodigy": "annotator.formats.prodigy:ProdigyFormat",
    "doccano": "annotator.formats.doccano:DoccanoFormat",
    "label-studio": "annotator.formats.label_studio:LabelStudioFormat",
    "label-studio-min": "annotator.formats.label_studio:LabelStudioMinFormat",
    "brat": "annotator.formats.brat:BratFormat",
    "conll": "annotator.formats.conll:ConllFormat",
    "checkthat": "annotator.formats.checkthat:CheckThatFormat",
    "araieval": "annotator.formats.araieval:AraievalFormat",
    "aqmar-truth": "annotator.formats.aqmar_truth:AqmarTruthFormat",
}
FORMAT_GROUP = "annotator.formats"  # the entry-point group through which other packages add formats


@functools.cache
def registry() -> Registry[Format]:
    from annotator.plugins import Registry

    return Registry(kind="format", group=FORMAT_GROUP, builtins=BUILTIN_FORMATS, make=_make_format,
                    name_pattern=r"[a-z0-9][a-z0-9._-]*")


def format_names() -> list[str]:
    """Every --format value (built-in, or declared by an installed package), none imported."""
    return registry().names()


def get_format(name: str) -> Format:
    """The format called ``name`` (its module imported now); one clear ``AnnotatorError`` if
    there is none, or it is a plugin that cannot be used."""
    return registry().get(name)


def all_formats() -> dict[str, Format]:
    """Every usable format, plugins included (each refused plugin is reported once)."""
    return registry().all()
