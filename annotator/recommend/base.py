"""The recommender contract: what a recommender proposes, what it is given, and the registry by name.

A recommender reads a document and the annotator's current labels on it and returns
``Proposal``s (an entity span with a label, or a claim span with a proposed claimer), each
with a score and the recommender's name as its source. It never writes: the proposals
become pre-annotations (spans whose ``source`` is ``recommend:<name>``) through the one
write path, ``annotator.session``, with ``proposals_operation`` (``recommend.apply``), so they
follow the schema's rules, undo and the op log like every other change.

Recommenders are registered by name like formats: the built-ins in ``BUILTIN`` (loaded on
first use, so a command that never recommends pays nothing for them), and third-party ones
from the entry-point group ``annotator.recommenders`` (``name = "package.module:Class"``).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Document
from annotator.schema.model import Schema

__all__ = [
    "ENTRY_POINT_GROUP", "BUILTIN", "Proposal", "RecommendContext", "Recommender", "RecommenderUnavailable",
    "Progress", "get_recommender", "recommender_names", "SOURCE_PREFIX",
]

ENTRY_POINT_GROUP = "annotator.recommenders"
SOURCE_PREFIX = "recommend:"

# name -> "module:Class": the built-in recommenders, imported only when asked for
BUILTIN: dict[str, str] = {
    "string-match": "annotator.recommend.learned:StringMatch",
    "patterns": "annotator.recommend.patterns:Patterns",
    "claim-cues": "annotator.recommend.claims:ClaimCues",
    "camel-ner": "annotator.recommend.camel_ner:CamelNer",
}

# A progress callback: (done, total or None, what is being done)
Progress = Callable[[int, "int | None", str], None]


class RecommenderUnavailable(AnnotatorError):
    """The recommender cannot run here (its model data is not installed): the message says how to fix it."""


@dataclass(frozen=True)
class Proposal:
    """One proposed span. ``kind`` is "entity" (with ``label``) or "claim" (with an optional
    ``claimer``: the id of an entity already on the document). ``score`` is in [0, 1]; ``source``
    names the recommender; ``reason`` says why, for a person."""

    kind: str
    start: int
    end: int
    label: str | None = None
    score: float = 1.0
    source: str = ""
    claimer: str | None = None
    reason: str = ""

    @property
    def span_source(self) -> str:
        """The ``source`` the pre-annotation carries: ``recommend:<recommender>``."""
        return f"{SOURCE_PREFIX}{self.source}"


@dataclass
class RecommendContext:
    """What every call is given: the schema the labels must fit and whose work the proposals go
    into. ``options`` carries command-line settings (``patterns``, ``learn_from``…) for ``prepare``."""

    schema: Schema
    annotator: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


class Recommender(ABC):
    """Base of every recommender. Subclasses set ``name`` and ``description`` and implement
    ``propose``; the other methods have defaults that do nothing.

    Declared defaults (class attributes a subclass may override):
    ``kinds`` what it proposes ({"entity"} or {"claim"} or both); ``slow``: loading or running it
    takes long enough to need a worker thread and a progress bar (a model); ``learns``: it changes
    as the annotator labels (``observe``), so the TUI should call ``observe`` after each change.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset({"entity"})
    slow: ClassVar[bool] = False
    learns: ClassVar[bool] = False

    def prepare(self, store: Any, context: RecommendContext, progress: Progress | None = None) -> None:  # noqa: B027 (optional hook)
        """Load what it needs once before proposing (a model, a patterns file, what a store
        teaches). Raises ``RecommenderUnavailable`` or ``AnnotatorError`` with one clear line."""

    @abstractmethod
    def propose(self, document: Document, annotations: Annotations, context: RecommendContext) -> list[Proposal]:
        """Proposals for ``document`` given the labels already on it (pure: nothing is written).
        They may overlap the labels: ``recommend.apply.fit_proposals`` keeps those that fit."""

    def observe(self, document: Document, annotations: Annotations) -> None:  # noqa: B027 (optional hook)
        """The annotator's labels on ``document`` changed (``learns`` recommenders update here)."""


def _load(spec: str, name: str) -> type[Recommender]:
    module, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise AnnotatorError(f"recommender {name!r} cannot be loaded from {spec}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, Recommender)):
        raise AnnotatorError(f"recommender {name!r} ({spec}) is not a Recommender subclass")
    return obj


def _entry_points() -> dict[str, str]:
    """Third-party recommenders: name -> "module:attr" of the ``annotator.recommenders`` group."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def recommender_names() -> list[str]:
    """Every recommender name, built-in first (a plug-in cannot replace a built-in)."""
    return [*BUILTIN, *sorted(n for n in _entry_points() if n not in BUILTIN)]


def get_recommender(name: str) -> Recommender:
    """A new recommender of ``name`` (built-in or plug-in); an unknown name is one clear error."""
    spec = BUILTIN.get(name) or _entry_points().get(name)
    if spec is None:
        raise AnnotatorError(f"unknown recommender {name!r}; known recommenders: {', '.join(recommender_names())}")
    return _load(spec, name)()


def read_text_file(path: str | Path, what: str) -> str:
    """A small UTF-8 data file (patterns, cues), or one clear error naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnotatorError(f"{p}: no such {what} file") from None
    except IsADirectoryError:
        raise AnnotatorError(f"{p}: is a folder, not a {what} file") from None
    except UnicodeDecodeError as exc:
        raise AnnotatorError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise AnnotatorError(f"{p}: cannot read the {what} file ({exc.strerror})") from None
