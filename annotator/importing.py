"""Bringing files into a store: any registered format, streamed record by record.

Each record is written in a savepoint of its own: its document, then its labels,
validated once by the session's write; a bad record is rolled back whole (its
document too), reported with file and line and skipped, and everything else
(including what was already in the store) is kept. An annotator's existing work
is never overwritten unless asked.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from annotator.errors import AnnotatorError, InputError, OperationError, StoreError
from annotator.formats._io import inside
from annotator.formats.base import Format, Problem, ReadContext, all_formats, get_format
from annotator.formats.detect import detect_format
from annotator.model.annotations import Annotations, Document
from annotator.model.operations import ReplaceAnnotations, apply_operation
from annotator.schema.model import Schema
from annotator.session import AnnotationSession, default_annotator
from annotator.store.base import Store


@dataclass
class ImportSummary:
    files: int = 0
    documents_added: int = 0
    duplicates: int = 0
    annotated: int = 0  # records whose annotations were stored
    kept_existing: int = 0  # records whose annotations were not applied: the annotator had work there
    rejected: int = 0  # records not imported at all
    partial: int = 0  # records imported with something in them left out (reported)
    problems: list[Problem] = field(default_factory=list)
    repairs: int = 0
    formats: dict[str, str] = field(default_factory=dict)  # file → "format (reason)"

    def lines(self) -> list[str]:
        out = [f"imported {self.documents_added} document(s) from {self.files} file(s); "
               f"{self.duplicates} duplicate(s) skipped; {self.rejected} record(s) rejected"
               + (f"; {self.partial} record(s) imported in part (what was left out is listed above)"
                  if self.partial else "")]
        if self.annotated or self.kept_existing:
            out.append(f"annotations stored for {self.annotated} record(s)"
                       + (f"; {self.kept_existing} kept the annotator's existing work (use --replace)"
                          if self.kept_existing else ""))
        if self.repairs:
            out.append(f"{self.repairs} repair(s) made (--repair)")
        if self.problems:
            out.append(f"{len(self.problems) - self.repairs} problem(s) reported")
        return out

    @property
    def complete(self) -> bool:
        """Every record was imported whole (notes and repairs aside): ``annotator import`` exits 0."""
        return not self.rejected and not self.partial


def iter_input_files(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None = None,
                     skipped: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    """Files named, and files inside folders named (sorted, symlinks to folders not followed: no loops).

    A folder's symlinks must not lead the import out of the folder named (``in/passwd.txt ->
    /etc/passwd``): each such link is passed over and handed to ``skipped(path, why)``, so the
    import reports and counts it (a file named on the command line is the user's own choice).
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("no such file or folder", str(path))
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path, followlinks=False, onerror=None):
            dirs.sort()
            for name in dirs:  # never entered; a link out of the folder is said so
                _leaves_folder(path, Path(root) / name, skipped)
            for name in sorted(files):
                if name.startswith("."):
                    continue
                f = Path(root) / name
                if suffixes is None or f.suffix.lower() in suffixes:
                    if not _leaves_folder(path, f, skipped):
                        yield f


def _leaves_folder(folder: Path, entry: Path, skipped: Callable[[Path, str], None] | None) -> bool:
    """True (and ``skipped`` told) when ``entry`` is a symlink that resolves outside ``folder``."""
    if entry.name.startswith(".") or not entry.is_symlink():
        return False
    try:
        inside(folder, entry)
    except InputError as exc:
        if skipped is not None:
            skipped(entry, f"symbolic link {exc.problem}; not followed")
        return True
    return False


def detect(path: Path) -> tuple[Format, str]:
    """The format of ``path`` from its content (an explicit --format always wins over this); an archive
    named as a folder format ships its files (brat's ``corpus.tar``) is that format's, read from it."""
    for fmt in all_formats().values() if not path.is_dir() else ():
        suffix = fmt.archive_suffix(path) if fmt.reads_folders else None
        if suffix is not None:
            return fmt, f"a {suffix} archive of {fmt.name} files, read from it; use --format to override"
    return detect_format(path)


def import_paths(
    store: Store,
    schema: Schema,
    paths: Iterable[str | Path],
    *,
    format_name: str | None = None,
    annotator: str | None = None,
    label_map: dict[str, str] | None = None,
    repair: bool = False,
    replace: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    ctx = ReadContext(schema=schema, label_map=dict(label_map or {}), repair=repair, on_problem=on_problem)
    sessions: dict[str, AnnotationSession] = {}
    fmt_given = get_format(format_name) if format_name else None
    with _Batches(store) as batch:
        _import_units(store, schema, paths, fmt_given, ctx, summary, sessions, annotator, replace, batch)
    ctx.next_record()  # settle the last record's count
    summary.problems = ctx.problems
    summary.repairs = ctx.repairs
    summary.rejected = ctx.rejected  # every record not imported, whoever found the problem
    summary.partial = ctx.partial
    return summary


def _import_units(store, schema, paths, fmt_given, ctx, summary, sessions, annotator, replace, batch) -> None:
    for path in _named_units(paths, fmt_given, ctx, summary):
        ctx.next_record()  # a file-wide scope: what goes wrong before its first record is counted too
        if not path.is_dir() and not path.is_file() and path.exists():
            # A named pipe would block the first read forever; a device may never end.
            ctx.reject(path, None, "not a regular file (a named pipe, socket or device); skipped")
            continue
        try:  # one bad file is reported and skipped; the others are still imported
            fmt, reason = (fmt_given, "--format") if fmt_given else detect(path)
            summary.files += 1
            summary.formats[str(path)] = f"{fmt.name} ({reason})"
            ctx.record_keys, ctx.format_name = fmt.record_keys, fmt.name
            for record in fmt.read(path, ctx):
                try:
                    with batch.record():  # a kill leaves whole records only, never a text without its labels
                        _import_record(store, schema, record, path, ctx, summary, sessions, annotator, replace)
                except _Refused as exc:  # its savepoint undone: nothing of it stored
                    ctx.reject(_record_file(Path(path), record), record.line, str(exc))
                except RecursionError:
                    ctx.reject(_record_file(Path(path), record), record.line,
                               "nested too deeply to store (over about 1,000 levels); record not imported")
        except InputError as exc:
            where = f" at byte {exc.byte_offset} of the file" if exc.byte_offset is not None else ""
            ctx.reject(exc.path or path, exc.line, f"{exc.problem}{where}")
        except StoreError:
            raise  # the store, not this file, is the problem (disk full, read-only): stop, say it once
        except AnnotatorError as exc:
            message = str(exc)
            ctx.reject(path, None, message.removeprefix(f"{path}: "))  # the report names the file itself
        except RecursionError:
            ctx.reject(path, None, "input nested too deeply (over about 1,000 levels); the rest of the file "
                                   "is not imported")
        except OSError as exc:  # unreadable (permissions), vanished, or a failing disk
            ctx.reject(exc.filename or path, None, f"cannot read: {exc.strerror or exc}; skipped")


BATCH_RECORDS = 500  # records per transaction at most
BATCH_SECONDS = 0.25  # and no transaction kept open longer than this (other writers wait meanwhile)


class _Batches:
    """Records committed in groups: one durable commit per batch, not per record (import speed),
    and still whole records only. Batches double from one record up to BATCH_RECORDS.

    Each record runs in its own savepoint inside the batch's transaction (``Store.transaction``
    nested): a record that fails is undone alone, and a batch is committed only between records,
    so a kill leaves every record before the last commit whole and nothing of the ones after.
    Whatever ends the import (the end, an error) commits the whole records of the open batch.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._open: contextlib.ExitStack | None = None
        self._records = 0
        self._since = 0.0
        self._size = 1  # batches grow from one record: the first records are saved as soon as they are read

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            self.commit()
        except StoreError:
            if exc is None:
                raise  # else the error that stopped the import says it (a full disk fails the commit too)

    def commit(self) -> None:
        if self._open is not None:
            group, self._open = self._open, None
            self._size = min(self._size * 2, BATCH_RECORDS)
            group.close()  # COMMIT: every record in it finished, whole or undone

    @contextlib.contextmanager
    def record(self) -> Iterator[None]:
        if self._open is None:
            group = contextlib.ExitStack()
            group.enter_context(self.store.transaction())
            self._open, self._records, self._since = group, 0, time.monotonic()
        with self.store.transaction():  # nested: this record's savepoint
            yield
        self._records += 1
        if self._records >= self._size or time.monotonic() - self._since >= BATCH_SECONDS:
            self.commit()


def _named_units(paths: Iterable[str | Path], fmt: Format | None, ctx: ReadContext,
                 summary: ImportSummary) -> Iterator[Path]:
    """The units of each named path; a folder with nothing to import is said so, not passed over."""
    for raw in paths:
        found = False

        def skip(path: Path, why: str) -> None:  # a symlink out of the folder: reported and counted
            nonlocal found
            found = True
            ctx.next_record()  # a record of its own, not a loss of the file read before it
            ctx.reject(path, None, why)

        for unit in _units([raw], fmt, skip):
            found = True
            yield unit
        if not found:
            ctx.next_record()
            ctx.reject(raw, None, "no files to import in this folder (hidden files and unknown extensions "
                                  "are left out)")


# the files taken from a folder when the format is detected, or declares no ``suffixes`` of its own
FOLDER_SUFFIXES = (".txt", ".jsonl", ".json", ".ndjson", ".conll", ".tsv", ".csv", ".ann")


def _units(paths: Iterable[str | Path], fmt: Format | None,
           skipped: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    """What a reader is given: folders as a whole for folder formats (brat), else each file."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and fmt is not None and fmt.reads_folders:
            yield path
            continue
        if path.is_dir() and fmt is None:
            try:
                found, _ = detect_format(path)
                if found.reads_folders:
                    yield path
                    continue
            except AnnotatorError:
                pass
        suffixes = fmt.suffixes if fmt is not None else ()
        yield from iter_input_files([path], suffixes or (FOLDER_SUFFIXES if path.is_dir() else None), skipped)


def _record_file(path: Path, record) -> Path:
    """The file a record came from: for a folder (brat), the one its import meta names."""
    info = record.document.meta.get("import") if path.is_dir() else None
    if isinstance(info, dict) and isinstance(info.get("file"), str):
        return path / info["file"]
    return path


class _Refused(Exception):
    """A record's labels refused while it is written: its savepoint undoes its document too."""


def _import_record(store, schema, record, path, ctx, summary, sessions, annotator, replace) -> None:
    """One record, in its own savepoint (``_Batches.record``). Its labels are validated once, by the
    session's write (they were validated before it too, only to keep a refused record's document out
    of the store: the savepoint's rollback does that); what the summary counts, it counts after."""
    doc, ann = record.document, record.annotations
    path = _record_file(Path(path), record)
    who = annotator or (ann.annotator if ann is not None else None) or default_annotator()
    if _has_surrogate(doc.id + who):  # texts keep them; ids and names are keys a database must encode
        ctx.reject(path, record.line, f"document {doc.id!r} (annotator {who!r}): a lone surrogate in the id "
                                      "or annotator name; record not imported")
        return
    has_work = ann is not None and _has_content(ann)
    result = store.add_document(doc)
    kept = False
    if has_work:
        session = sessions.get(who)
        if session is None:
            session = sessions[who] = AnnotationSession(store, schema, who)
        if result.added:  # the text just stored, not read back (a long one would be held twice more)
            session.keep_document(Document(result.doc_id, doc.text, doc.meta))
        # a document just added has no annotations yet: nothing to read
        kept = not replace and not result.added and _has_content(session.annotations(result.doc_id))
        try:
            if kept:  # not applied, but a record that could not be is still refused
                apply_operation(ReplaceAnnotations(ann), Annotations(doc.id, who), doc.text, schema)
            else:
                session.apply(result.doc_id, ReplaceAnnotations(ann.with_(doc_id=result.doc_id, annotator=who)))
        except OperationError as exc:  # the record's savepoint takes its document away: the session forgets it
            session.forget(result.doc_id)
            raise _Refused(f"document {doc.id}: {exc}; record not imported") from None
        except BaseException:
            session.forget(result.doc_id)
            raise
    if result.added:
        summary.documents_added += 1
        if result.renamed_from:
            ctx.report(path, record.line, f"id {result.renamed_from!r} is taken by another text; "
                                          f"stored as {result.doc_id!r}", note=True)
    else:
        summary.duplicates += 1
    if kept:
        summary.kept_existing += 1
        ctx.report(path, record.line, f"document {result.doc_id}: {who} already has annotations there; "
                                      "kept them (use --replace to overwrite; the old ones stay in the log)",
                   note=True)
    elif has_work:
        summary.annotated += 1
    ctx.record_kept()


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _has_content(ann: Annotations) -> bool:
    return bool(ann.entities or ann.claims or ann.notes or ann.attributes or ann.status != "todo")

