"""The recommender contract: what a recommender proposes, what it is given, and the registry by name.

A recommender reads a document and the annotator's current labels on it and returns
``Proposal``s (an entity span with a label, or a claim span with a proposed claimer), each
with a score and the recommender's name as its source. It never writes: the proposals
become pre-annotations (spans whose ``source`` is ``recommend:<name>``) through the one
write path, ``annotator.session``, with ``proposals_operation`` (``recommend.apply``), so they
follow the schema's rules, undo and the op log like every other change.

Recommenders are registered by name like formats and stores, in one ``annotator.plugins.Registry``:
the built-ins in ``BUILTIN`` (loaded on first use, so a command that never recommends pays
nothing for them), and third-party ones from the entry-point group ``annotator.recommenders``
(``name = "package.module:Class"``).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Document
from annotator.schema.model import Schema

if TYPE_CHECKING:
    from annotator.plugins import Registry

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

    def propose_near(self, document: Document, annotations: Annotations, context: RecommendContext,
                     start: int, end: int) -> list[Proposal]:
        """At least the proposals that overlap ``[start, end)`` (others may come too): what a
        key that asks about one span needs. By default ``propose`` on the whole document; a
        recommender that can read only the text around the span overrides it (``claim-cues``),
        so the key costs that text, not the document."""
        return [p for p in self.propose(document, annotations, context) if p.start < end and start < p.end]

    def observe(self, document: Document, annotations: Annotations) -> None:  # noqa: B027 (optional hook)
        """The annotator's labels on ``document`` changed (``learns`` recommenders update here)."""


def _make_recommender(obj: Any, name: str) -> type[Recommender]:
    """What a built-in spec or an entry point names, checked against the contract: a
    ``Recommender`` subclass with every abstract method, whose ``name`` is the registered one.
    The registry keeps the class; ``get_recommender`` makes a new instance per use (a
    recommender that learns keeps state)."""
    from annotator.plugins import PluginError, missing_methods

    if not (isinstance(obj, type) and issubclass(obj, Recommender)):
        raise PluginError(f"{obj!r} is not a Recommender subclass")
    if missing := missing_methods(obj):
        raise PluginError(f"{obj.__qualname__} does not implement {', '.join(missing)}")
    if obj.name != name:
        raise PluginError(f"{obj.__qualname__}.name is {obj.name!r}, not the registered name {name!r}")
    return obj


@functools.cache
def registry() -> Registry[type[Recommender]]:
    """The recommenders by name: the built-ins, then the ``annotator.recommenders`` entry
    points (one mechanism with formats and stores: ``annotator.plugins.Registry``)."""
    from annotator.plugins import Registry

    return Registry(kind="recommender", group=ENTRY_POINT_GROUP, builtins=BUILTIN, make=_make_recommender,
                    name_pattern=r"[a-z0-9][a-z0-9._-]*")


def recommender_names() -> list[str]:
    """Every recommender name, built-in first (a plug-in cannot replace a built-in)."""
    return [*BUILTIN, *(n for n in registry().names() if n not in BUILTIN)]


def get_recommender(name: str) -> Recommender:
    """A new recommender of ``name`` (built-in or plug-in); an unknown name, or a plug-in that
    cannot be used, is one clear ``AnnotatorError``."""
    return registry().get(name)()


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
