"""Writing a store out: records streamed from the store, files replaced atomically.

The output goes to a temporary file beside the target, is flushed and fsynced,
then renamed over the target, so a failed or killed export leaves either the
old file or the complete new one, never a truncated one. An unwritable target
is refused before any work is done.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from annotator.errors import AnnotatorError, StoreError
from annotator.formats.base import Format, Record, WriteContext
from annotator.model.annotations import Annotations, sort_spans
from annotator.schema.model import Schema
from annotator.store.base import Store


def iter_records(store: Store, annotators: Iterable[str] | None = None,
                 statuses: Iterable[str] | None = None) -> Iterator[Record]:
    """One record per (document, annotator); a document nobody touched appears once, status todo.

    Filters narrow that set: ``annotators`` keeps records of those annotators,
    ``statuses`` keeps records with those statuses.
    """
    wanted_annotators = set(annotators) if annotators else None
    wanted_status = set(statuses) if statuses else None
    for doc in store.iter_documents():
        names = store.annotators(doc.id)
        states = [store.load(doc.id, n) for n in names] or [Annotations(doc_id=doc.id, annotator=None)]
        for state in states:
            if wanted_annotators is not None and state.annotator not in wanted_annotators:
                continue
            if wanted_status is not None and state.status not in wanted_status:
                continue
            state = state.with_(entities=sort_spans(state.entities), claims=sort_spans(state.claims))
            for span in (*state.entities, *state.claims):
                if not 0 <= span.start < span.end <= len(doc.text):  # pragma: no cover - guarded by ops
                    raise StoreError(f"document {doc.id}: span {span.id} is outside its text; store damaged?")
            yield Record(doc, state)


def check_writable(target: Path) -> None:
    """Fail before touching anything when the target cannot be written."""
    parent = target.parent if str(target.parent) else Path(".")
    if target.exists() and target.is_dir():
        raise AnnotatorError(f"{target}: is a folder; give a file name with -o")
    if not parent.exists():
        raise AnnotatorError(f"{target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise AnnotatorError(f"{target}: cannot write here (permission denied); nothing was written")


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[TextIO]:
    """A text file that replaces ``target`` only once it is complete and on disk."""
    check_writable(target)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise AnnotatorError(f"{target}: cannot create a file here ({exc.strerror}); nothing was written") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        with contextlib.suppress(OSError):  # make the rename itself durable
            dfd = os.open(parent, os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AnnotatorError(f"{target}: export failed ({exc.strerror or exc}); the old file is untouched") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def export_store(store: Store, schema: Schema, fmt: Format, output: str | None, *,
                 annotators: Iterable[str] | None = None, statuses: Iterable[str] | None = None) -> WriteContext:
    """Export to ``output`` (a file, a folder for folder formats, or stdout when None/"-")."""
    ctx = WriteContext(schema=schema)
    records = _Tracked(iter_records(store, annotators, statuses))
    try:
        _write(fmt, records, output, ctx)
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


def _write(fmt: Format, records: Iterable[Record], output: str | None, ctx: WriteContext) -> None:
    if getattr(fmt, "writes_folders", False):
        if not output or output == "-":
            raise AnnotatorError(f"format {fmt.name} writes a folder: give one with -o")
        fmt.write(records, Path(output), ctx)  # type: ignore[arg-type]
        return
    if not output or output == "-":
        fmt.write(records, sys.stdout, ctx)
        sys.stdout.flush()
        return
    with atomic_output(Path(output)) as fh:
        fmt.write(records, fh, ctx)
