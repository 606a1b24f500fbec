"""Where a state's entities are, for the overlap checks of one change: the index by start of an entities tuple
(``text.overlaps.SpansByStart``) that its holder already keeps, looked up by the tuple itself.

The editing core keeps an index of the state shown in step with each change (``editing.spans.SpanIndex``) and
offers it here (``offer``); a check of a new or moved entity (``operations.check_entity_fits``) then looks only at
the entities it overlaps, found by bisection, where it looked at each of the state's entities (3 ms a label among
30,000 proposals, on the screen's thread and again on the writer's). Without an index offered for the tuple
(a command-line change, a small state) the check passes over every entity, as it always did: nothing is indexed
here for one check.

Kept by the tuple's identity (a state's entities never change; the tuple is held, so its id is not reused by
another), for the last few tuples offered: the state shown, the one before it, and the session's copy of them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotator.model.annotations import Entity
    from annotator.text.overlaps import SpansByStart

PLACED_FROM = 64  # entities from which an index is worth offering (below, a pass over each costs less)
KEPT = 4  # tuples offered and kept (least recently offered out first)

_lock = threading.Lock()  # the screen's thread offers, the session's writer looks up
_kept: dict[int, tuple[tuple[Entity, ...], SpansByStart[Entity]]] = {}


def offer(entities: tuple[Entity, ...], index: SpansByStart[Entity]) -> None:
    """Keep ``index`` (the entities of ``entities``, in their order, ties of bounds by id) for the checks of a
    change to a state holding this very tuple."""
    if len(entities) < PLACED_FROM:
        return
    with _lock:
        _kept.pop(id(entities), None)
        _kept[id(entities)] = (entities, index)
        while len(_kept) > KEPT:
            del _kept[next(iter(_kept))]


def placed(entities: tuple[Entity, ...]) -> SpansByStart[Entity] | None:
    """The index offered for this very tuple, or None."""
    with _lock:
        kept = _kept.get(id(entities))
    return kept[1] if kept is not None and kept[0] is entities else None
