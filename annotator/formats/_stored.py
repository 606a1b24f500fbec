"""What a writer may take from a document's stored metadata: nothing on trust.

An import keeps what a foreign format held that our model has no place for in
``Document.meta["import"]["extra"]``, so that exporting to that format gives it
back. That metadata is data like any other: a native file, or a store edited by
hand, can hold a list where a writer expects an object, numbers where it
expects text, or keys that would overwrite the text itself. So writers read it
only through ``Stored``, whose getters name the shape they need; a value of
another shape is reported with the document id and the default is used. As a
backstop, ``written`` builds each record's output; if the build still fails on
a stored value, the record is built again without the import metadata
(reported), and only if even that fails is it skipped (counted in
``WriteContext.skipped``; the export then exits 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from annotator.formats.base import Record, WriteContext
from annotator.model.annotations import Document

T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """A test on a stored value, with the words for what it expects (for the report)."""

    fits: Callable[[Any], bool]
    what: str


def _is_line(v: Any) -> bool:
    return isinstance(v, str) and "\n" not in v and "\r" not in v


ANY = Shape(lambda v: True, "anything")
STR = Shape(lambda v: isinstance(v, str), "a string")
LINE = Shape(_is_line, "one line of text")
BOOL = Shape(lambda v: isinstance(v, bool), "true or false")
INT = Shape(lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number")
OBJECT = Shape(lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v), "an object")


def list_of(item: Shape) -> Shape:
    return Shape(lambda v: isinstance(v, list) and all(item.fits(x) for x in v), f"a list of {item.what}s")


def dict_of(item: Shape) -> Shape:
    return Shape(lambda v: OBJECT.fits(v) and all(item.fits(x) for x in v.values()),
                 f"an object of {item.what}s")


def one_of(*values: Any) -> Shape:
    return Shape(lambda v: isinstance(v, str) and v in values, "one of " + ", ".join(map(repr, values)))


KEY_ORDER = list_of(STR)


def shown(value: Any, limit: int = 60) -> str:
    """A stored value, short enough for one line of a report."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= limit else text[:limit] + '…'}"


class Stored:
    """The foreign metadata an import kept for ``doc``, when it came from format ``fmt``."""

    def __init__(self, doc: Document, fmt: str | tuple[str, ...], ctx: WriteContext) -> None:
        self.doc, self.ctx = doc, ctx
        names = (fmt,) if isinstance(fmt, str) else fmt
        self.fmt = names[0]
        self.values: dict[str, Any] = {}
        meta = doc.meta if isinstance(doc.meta, Mapping) else {}
        info = meta.get("import")
        self.from_format = isinstance(info, Mapping) and isinstance(info.get("format"), str) \
            and info.get("format") in names
        if self.from_format and isinstance(info, Mapping):
            extra = info.get("extra")
            if isinstance(extra, Mapping):
                self.values = {k: v for k, v in extra.items() if isinstance(k, str)}
            elif extra is not None:
                self.bad("extra", extra, OBJECT.what)

    def bad(self, key: str, value: Any, what: str) -> None:
        self.ctx.report_once(f"document {self.doc.id!r}: its stored {self.fmt} import metadata {key!r} is "
                             f"{shown(value)}, not {what}; not used")

    def get(self, key: str, shape: Shape, default: Any = None) -> Any:
        """The value under ``key`` if it has ``shape``, else ``default`` (a wrong shape is reported)."""
        if key not in self.values:
            return default
        value = self.values[key]
        if shape.fits(value):
            return value
        self.bad(key, value, shape.what)
        return default

    def take(self, key: str, shape: Shape, default: Any = None) -> Any:
        """``get``, and the key is no longer part of ``rest``."""
        value = self.get(key, shape, default)
        self.values.pop(key, None)
        return value

    def rest(self, reserved: tuple[str, ...] = ()) -> dict[str, Any]:
        """The other kept keys (foreign fields given back as they were), without ``reserved``
        ones: those the writer fills from our model, which stored metadata never overrides."""
        return {k: v for k, v in self.values.items() if k not in reserved}


_BUILD_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


def without_import(rec: Record) -> Record:
    """``rec`` as if its document had never been imported from another format."""
    meta = rec.document.meta if isinstance(rec.document.meta, Mapping) else {}
    return replace(rec, document=replace(rec.document, meta={k: v for k, v in meta.items() if k != "import"}))


def written(build: Callable[[Record], T], rec: Record, ctx: WriteContext, fmt: str) -> T | None:
    """``build(rec)``: one record's output, built before any of it is written. A failure there
    comes from stored metadata no ``Stored`` getter caught: report it, build again without
    the import metadata; if that fails too, skip the record (reported and counted)."""
    try:
        return build(rec)
    except UnicodeError:
        raise  # a lone surrogate: export_store's own message
    except _BUILD_ERRORS as exc:
        failure = exc
    plain = without_import(rec)
    if plain.document.meta != rec.document.meta:
        ctx.report_once(f"document {rec.document.id!r}: its stored metadata cannot be written as {fmt} "
                        f"({type(failure).__name__}: {shown(str(failure))}); written without its import metadata")
        try:
            return build(plain)
        except UnicodeError:
            raise
        except _BUILD_ERRORS as exc:
            failure = exc
    who = rec.annotations.annotator if rec.annotations else None
    ctx.skip(f"document {rec.document.id!r}{f' (annotator {who!r})' if who else ''}: not written as {fmt} "
             f"({type(failure).__name__}: {shown(str(failure))})")
    return None
