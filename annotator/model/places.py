"""What the editing core already keeps of a state's spans, offered to the checks of one change and looked up by the
spans' tuple itself: where its entities are (the index by start, ``text.overlaps.SpansByStart``) and which ids its
spans take.

The editing core keeps an index of the state shown in step with each change (``editing.spans.SpanIndex``) and
offers it here (``offer``); a check of a new or moved entity (``operations.check_entity_fits``) then looks only at
the entities it overlaps, found by bisection, where it looked at each of the state's entities (3 ms a label among
30,000 proposals, on the screen's thread and again on the writer's), and the check that a new span's id is new
(``operations._check_new_id``, its one owner) looks the id up among the ids taken, where it compared each span's
(0.6 ms). Without anything offered for the tuple (a command-line change, a replayed op log, an import, a small
state) the checks pass over every span, as they always did: nothing is indexed here for one check.

Kept by the tuple's identity (a state's spans never change; the tuple is held, so its id is not reused by
another), for the last few tuples offered: the state shown, the one before it, and the session's copy of them,
of each kind (entities, claims).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from annotator.model.annotations import Entity, Span
    from annotator.text.overlaps import SpansByStart

PLACED_FROM = 64  # spans from which an index is worth offering (below, a pass over each costs less)
KEPT = 8  # tuples offered and kept (least recently offered out first)


class Ids(Protocol):
    """The ids of a tuple's spans, as offered (``editing.spans.IdSet``): each once, so as many as the spans."""

    def __contains__(self, span_id: object, /) -> bool: ...

    def __len__(self) -> int: ...


class _Offered(NamedTuple):
    spans: tuple[Span, ...]
    by_start: SpansByStart[Entity] | None
    ids: Ids | None


_lock = threading.Lock()  # the screen's thread offers, the session's writer looks up
_kept: dict[int, _Offered] = {}


def offer(spans: tuple[Span, ...], index: SpansByStart[Entity] | None = None, ids: Ids | None = None) -> None:
    """Keep, for the checks of a change to a state holding this very tuple: ``index``, the entities of ``spans``
    in their order (ties of bounds by id), and ``ids``, the ids of ``spans`` (counted when first looked up)."""
    if len(spans) < PLACED_FROM:
        return
    with _lock:
        before = _kept.pop(id(spans), None)
        if before is not None and before.spans is spans:  # what was offered for it too (one tuple of both kinds: ())
            index = before.by_start if index is None else index
            ids = before.ids if ids is None else ids
        _kept[id(spans)] = _Offered(spans, index, ids)
        while len(_kept) > KEPT:
            del _kept[next(iter(_kept))]


def _offered(spans: tuple[Span, ...]) -> _Offered | None:
    with _lock:
        kept = _kept.get(id(spans))
    return kept if kept is not None and kept.spans is spans else None


def placed(entities: tuple[Entity, ...]) -> SpansByStart[Entity] | None:
    """The index offered for this very tuple, or None."""
    kept = _offered(entities)
    return kept.by_start if kept is not None else None


def taken(spans: tuple[Span, ...]) -> Ids | None:
    """The ids offered for this very tuple (every span's), or None; None too when they are fewer than the spans
    (one id held twice: a store edited by hand): the check then compares each span's, which finds it."""
    kept = _offered(spans)
    ids = kept.ids if kept is not None else None
    return ids if ids is not None and len(ids) == len(spans) else None
