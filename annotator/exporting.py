"""Writing a store out: records streamed from the store, files replaced atomically.

The output goes to a temporary file beside the target, is flushed and fsynced,
then renamed over the target, so a failed or killed export leaves either the
old file or the complete new one, never a truncated one. A folder format (brat)
writes a fresh temporary folder and swaps it in whole. An unwritable target, or
one that is not a regular file or folder (a device, a FIFO, a socket), is
refused before any work is done; a symlink is followed and kept. ``-`` is
standard output. Temporary files a killed export left beside the same target are
removed by the next export (``sweep_leftovers``).

Long because the three targets (a file, standard output, a folder swapped in whole) share
the refusal checks and the leftover sweep, which must stay one rule.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import fnmatch
import functools
import io
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from annotator.errors import AnnotatorError, StoreError
from annotator.formats._order import canonical, inside_in_order
from annotator.formats.base import Format, Record, WriteContext
from annotator.model.annotations import Annotations, Document
from annotator.model.checks import brief, is_offset
from annotator.schema.model import Schema
from annotator.store.base import Store


def iter_records(store: Store, annotators: Iterable[str] | None = None,
                 statuses: Iterable[str] | None = None, *, tokens: bool = False) -> Iterator[Record]:
    """One record per (document, annotator); a document nobody touched appears once, status todo.

    Filters narrow that set: ``annotators`` keeps records of those annotators,
    ``statuses`` keeps records with those statuses. With ``tokens``, each record carries the
    token table the store kept for its document (``Store.token_bounds``, one query a page).
    """
    wanted_annotators = set(annotators) if annotators else None
    wanted_status = set(statuses) if statuses else None
    annotated = _with_tokens(store) if tokens else ((doc, states, None) for doc, states in store.iter_annotated())
    for doc, states, table in annotated:  # a page at a time
        for state in states or [Annotations(doc_id=doc.id, annotator=None)]:
            if wanted_annotators is not None and state.annotator not in wanted_annotators:
                continue
            if wanted_status is not None and state.status not in wanted_status:
                continue
            yield Record(doc, _checked(doc, state), tokens=table)


def _checked(doc: Document, state: Annotations) -> Annotations:
    """``state`` with its spans in canonical order (as stored, nearly always: then only checked), each
    with whole-number offsets inside the text; else a StoreError naming the span (a store edited by hand)."""
    size = len(doc.text)
    entities, claims = inside_in_order(state.entities, size), inside_in_order(state.claims, size)
    if entities is None or claims is None:
        span = next((s for s in (*state.entities, *state.claims)
                     if not (is_offset(s.start) and is_offset(s.end) and 0 <= s.start < s.end <= size)), None)
        if span is not None:
            raise StoreError(f"document {brief(doc.id)}: span {brief(span.id)} at [{brief(span.start)}, "
                             f"{brief(span.end)}) is outside its text (length {size}); store damaged?")
        entities, claims = canonical(state.entities), canonical(state.claims)  # bool or int-subclass offsets
    if entities is not state.entities or claims is not state.claims:
        state = state.with_(entities=entities, claims=claims)
    return state


def _with_tokens(store: Store) -> Iterator[tuple[Document, list[Annotations], bytes | None]]:
    """``store.iter_annotated()`` with each document's kept token table, or None. The tables come in the
    same store order from their own stream (``Store.iter_token_bounds``), which skips the documents that
    have none, so the two are merged by id. A document added while the export runs comes after every
    other (a table for it beyond the last document read is never reached); should the streams ever
    disagree otherwise, what is left gets None and is tokenized: slower, never wrong."""
    tables = store.iter_token_bounds()
    pending = next(tables, None)
    for doc, states in store.iter_annotated():
        if pending is not None and pending[0] == doc.id:
            yield doc, states, pending[1]
            pending = next(tables, None)
        else:
            yield doc, states, None


_TMP_SUFFIX = ".tmp"
_RANDOM = "[a-z0-9_]{8}"  # what tempfile.mkstemp/mkdtemp put between prefix and suffix


def output_target(output: str | Path | None, *, folder: bool = False) -> Path | None:
    """Where an export will write, checked before anything is read (None: standard output).

    ``-`` (or nothing) is standard output. A symlink is followed: the file (or folder) it
    names is replaced and the link kept. A character or block device, a FIFO, a socket,
    or a folder where a file is wanted (a file where a folder is wanted) is refused with
    one line: an export never replaces a special file with a regular one.
    """
    if output is None or str(output) in ("", "-"):
        return None
    given = Path(output)
    try:
        st = os.stat(given)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a symlink loop, a path through a file, no permission to look
        raise AnnotatorError(f"{given}: cannot use this path ({exc.strerror or exc}); nothing was written") from None
    target = Path(os.path.realpath(given)) if os.path.islink(given) or folder else given
    shown = f"{given} (a link to {target})" if os.path.islink(given) else str(given)
    if st is not None:
        kind = _kind(st.st_mode)
        if folder and kind == "file":
            raise AnnotatorError(f"{shown}: is a file; this format writes a folder: give a folder with -o "
                                 "(nothing was written)")
        if not folder and kind == "folder":
            raise AnnotatorError(f"{shown}: is a folder; give a file name with -o (nothing was written)")
        if kind not in ("file", "folder"):
            raise AnnotatorError(f"{shown}: is a {kind}, not a regular {'folder' if folder else 'file'}; an export "
                                 "never replaces it (use -o - to write to standard output); nothing was written")
    if folder and not target.name:
        raise AnnotatorError(f"{shown}: cannot replace the root folder; give a folder to create")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise AnnotatorError(f"{shown}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (st is not None and not os.access(target, os.W_OK)):
        raise AnnotatorError(f"{shown}: cannot write here (permission denied); nothing was written")
    return target


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _lock(fd: int) -> None:
    """Mark a temporary file or folder as in use: the lock dies with its process, so a
    later export knows a leftover whose lock it can take was left by a killed one."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def sweep_leftovers(target: Path, ctx: WriteContext | None = None) -> list[str]:
    """Remove ``.NAME.XXXXXXXX.tmp`` files and folders beside ``target`` that a killed export
    of the same target left (their lock is free); one still in use by a live export is kept."""
    parent = target.parent if str(target.parent) else Path(".")
    pattern = re.compile(re.escape(f".{target.name}.") + _RANDOM + re.escape(_TMP_SUFFIX))
    removed: list[str] = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in sorted(n for n in names if pattern.fullmatch(n)):
        path = parent / name
        try:
            st = os.lstat(path)
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)) or st.st_uid != os.getuid():
                continue
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if stat.S_ISDIR(st.st_mode) else 0))
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live export is writing it
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(name)
        finally:
            os.close(fd)
    if ctx is not None:
        for name in removed:
            ctx.report(parent / name, None, "removed: left by an export that was interrupted")
    return removed


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # make renames in it durable
        dfd = os.open(path, os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _mode_for(target: Path, default: int) -> int:
    """The mode ``target`` has now, else ``default`` less the umask (what a fresh file would get)."""
    with contextlib.suppress(OSError):
        return os.stat(target).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return default & ~umask


@contextlib.contextmanager
def atomic_output(target: Path, ctx: WriteContext | None = None) -> Iterator[TextIO]:
    """A text file that replaces ``target`` only once it is complete and on disk.

    A symlink is followed (``output_target``): its target is replaced, the link kept.
    """
    resolved = output_target(target)
    if resolved is None:
        raise AnnotatorError("standard output is not a file to replace; write to sys.stdout instead")
    target = resolved
    parent = target.parent if str(target.parent) else Path(".")
    sweep_leftovers(target, ctx)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TMP_SUFFIX, dir=parent)
    except OSError as exc:
        raise AnnotatorError(f"{target}: cannot create a file here ({exc.strerror}); nothing was written") from None
    tmp = Path(tmp_name)
    _lock(fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, _mode_for(target, 0o666))
            _refuse_if_special(target, folder=False)  # it may have changed while we wrote
            os.replace(tmp, target)
        _fsync_dir(parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AnnotatorError(f"{target}: export failed ({exc.strerror or exc}); the old file is untouched") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _refuse_if_special(target: Path, *, folder: bool) -> None:
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    if _kind(st.st_mode) != ("folder" if folder else "file"):
        raise AnnotatorError(f"{target}: became a {_kind(st.st_mode)} while the export ran; it is left as it is "
                             "and nothing was written")


def check_folder_contents(target: Path, fmt: Format) -> None:
    """An existing output folder is replaced as a whole, so it may hold only what this
    format writes (and the configuration files it carries over): anything else is refused."""
    writes, carries = fmt.folder_files, fmt.folder_carries
    try:
        entries = sorted(os.scandir(target), key=lambda e: e.name)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise AnnotatorError(f"{target}: cannot list this folder ({exc.strerror}); nothing was written") from None
    for entry in entries:
        name = entry.name
        ours = any(fnmatch.fnmatchcase(name, p) for p in writes) and (
            entry.is_symlink() or entry.is_file(follow_symlinks=False))
        carried = any(fnmatch.fnmatchcase(name, p) for p in carries) and entry.is_file(follow_symlinks=False)
        if not (ours or carried):
            raise AnnotatorError(
                f"{target}: holds {name!r}, which a {fmt.name} export does not write; the export replaces the "
                f"whole folder, so give a new or empty folder, or move {name!r} away (nothing was written)")


@contextlib.contextmanager
def atomic_folder(target: Path, fmt: Format, ctx: WriteContext | None = None) -> Iterator[Path]:
    """A fresh folder that replaces ``target`` only once every file in it is complete and on disk.

    Files are written into a new temporary folder beside the target (so no symlink planted
    in the old folder is ever followed); the configuration files the format carries are
    copied over; then the two folders are swapped in one ``renameat2(RENAME_EXCHANGE)``
    and the old one removed. A kill leaves the old folder or the complete new one.
    """
    resolved = output_target(target, folder=True)
    if resolved is None:
        raise AnnotatorError(f"format {fmt.name} writes a folder: give one with -o")
    target = resolved
    check_folder_contents(target, fmt)
    parent = target.parent
    sweep_leftovers(target, ctx)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=_TMP_SUFFIX, dir=parent))
    except OSError as exc:
        raise AnnotatorError(f"{target}: cannot create a folder here ({exc.strerror}); nothing was written") from None
    lock = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    _lock(lock)
    try:
        os.chmod(tmp, _mode_for(target, 0o777))
        for pattern in fmt.folder_carries:
            for conf in sorted(target.glob(pattern)) if target.is_dir() else ():
                if conf.is_file() and not conf.is_symlink():
                    shutil.copy2(conf, tmp / conf.name, follow_symlinks=False)
        yield tmp
        _sync_files(tmp)
        _fsync_dir(tmp)
        _refuse_if_special(target, folder=True)
        if os.path.lexists(target):
            check_folder_contents(target, fmt)  # it may have changed while we wrote
            _swap(tmp, target)
            shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
        else:
            os.rename(tmp, target)
        _fsync_dir(parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AnnotatorError(f"{target}: export failed ({exc.strerror or exc}); the old folder is untouched") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(lock)


def _sync_files(folder: Path) -> None:
    """Put every file in ``folder`` on disk: one ``syncfs`` of its file system (Linux) rather than an
    ``fsync`` per file (brat writes two files a document: thousands of flushes); elsewhere, or if it
    fails, each file in turn."""
    fn = getattr(_libc(), "syncfs", None)
    if fn is not None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if fn(fd) == 0:
                return
        finally:
            os.close(fd)
    for entry in os.scandir(folder):
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders atomically (Linux ``renameat2``); elsewhere two renames, the old
    folder kept as ``.NAME.XXXXXXXX.old`` until the new one is in place."""
    fn = getattr(_libc(), "renameat2", None)
    if fn is not None:
        if fn(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err))
    old = a.with_name(a.name[: -len(_TMP_SUFFIX)] + ".old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to ask
        return None


def export_store(store: Store, schema: Schema, fmt: Format, output: str | Path | None, *,
                 annotators: Iterable[str] | None = None, statuses: Iterable[str] | None = None) -> WriteContext:
    """Export to ``output`` (a file, a folder for folder formats, or stdout when None/"-")."""
    ctx = WriteContext(schema=schema)
    records = _Tracked(iter_records(store, annotators, statuses, tokens=fmt.uses_tokens))
    try:
        export_records(fmt, records, output, ctx)
    except UnicodeEncodeError as exc:  # a lone surrogate kept from a bad decoder: no UTF-8 for it
        bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else "?"
        kept = f"{output} was not written (an old one is untouched)" if output and output != "-" \
            else "the output stops there"
        raise AnnotatorError(
            f"document {records.doc_id!r} holds {bad!r}, a lone surrogate that format {fmt.name} cannot write "
            f"as UTF-8; {kept} (the native format keeps it as a \\u escape)") from None
    return ctx


class _Tracked:
    """Records passed through, remembering which document is being written (for messages)."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._records = records
        self.doc_id: str | None = None

    def __iter__(self) -> Iterator[Record]:
        for record in self._records:
            self.doc_id = record.document.id
            yield record


def export_target(fmt: Format, output: str | Path | None) -> Path | None:
    """Everything checked before a record is read: the format can be exported to, and the
    output suits it (``output_target``; a folder format's folder holds only what it writes).
    None: standard output."""
    return _export_target(fmt, output)[0]


def _export_target(fmt: Format, output: str | Path | None) -> tuple[Path | None, bool]:
    """``export_target``, and whether the output is a folder format's archive (brat's ``-o corpus.tar``: one file)."""
    if not fmt.writable:
        raise AnnotatorError(f"format {fmt.name!r} can be imported but not exported")
    archive = fmt.writes_folders and fmt.archive_suffix(output) is not None
    folder = fmt.writes_folders and not archive
    target = output_target(output, folder=folder)
    if folder:
        if target is None:
            archives = f" (or an archive: {', '.join(fmt.archive_suffixes)})" if fmt.archive_suffixes else ""
            raise AnnotatorError(f"format {fmt.name} writes a folder{archives}: give one with -o")
        check_folder_contents(target, fmt)
    return target, archive


def _identities_lost(records: Iterable[Record], fmt: Format, ctx: WriteContext) -> Iterator[Record]:
    """A format with no place for identities (one without ``holds_identities``) loses them: said
    once per document, never silently."""
    for rec in records:
        if rec.annotations is not None and any(e.identity is not None for e in rec.annotations.entities):
            ctx.report(ctx.target, None, f"document {rec.document.id!r}: format {fmt.name} has no place for "
                       "identities (same-as links); not written")
        yield rec


def export_records(fmt: Format, records: Iterable[Record], output: str | Path | None, ctx: WriteContext) -> None:
    """The one way records leave, for the CLI and the tests alike: standard output (``-``/None,
    UTF-8, no temporary file), a file replaced atomically (``fmt.write``), or a folder swapped
    in whole (``fmt.write_folder``, for ``writes_folders`` formats such as brat)."""
    target, archive = _export_target(fmt, output)
    if not getattr(fmt, "holds_identities", False):
        records = _identities_lost(records, fmt, ctx)
    if target is None:
        wrapper = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n") \
            if hasattr(sys.stdout, "buffer") else None
        out = wrapper or sys.stdout
        sys.stdout.flush()
        try:
            fmt.write(records, out, ctx)
            out.flush()
        finally:
            if wrapper is not None:
                with contextlib.suppress(ValueError, OSError):
                    wrapper.detach()  # sys.stdout keeps its buffer
        return
    ctx.target = str(output)
    if archive:
        with atomic_output(target, ctx) as fh:  # one file like any other: a temporary one renamed over it
            fmt.write_archive(records, fh.buffer, ctx, Path(str(output)))
        return
    if fmt.writes_folders:
        with atomic_folder(target, fmt, ctx) as tmp:
            fmt.write_folder(records, tmp, ctx)
        return
    with atomic_output(target, ctx) as fh:
        fmt.write(records, fh, ctx)
