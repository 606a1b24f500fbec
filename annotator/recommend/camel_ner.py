"""``camel-ner``: entities proposed by camel-tools' BERT NER model (``camel_tools.ner.NERecognizer``).

The model is not part of camel-tools' pip package: its data is installed once with
``camel_data -i ner-arabert`` (into ``~/.camel_tools``, or ``$CAMELTOOLS_DATA``). Where it is
absent, ``prepare`` raises ``RecommenderUnavailable`` with that one line, before camel-tools'
data module is imported (importing it without installed data tries to download a catalogue).
``--ner-model DIR`` (option ``ner_model``) points at a model folder directly.

Each sentence (``text.segments``) is cut into the project's tokens (``text.tokens``) and
given to ``predict``; its BIO tags become token spans, mapped onto the schema's labels by
``LABEL_MAP`` (the first of the candidates that the schema has; none: not proposed, and
counted in ``unmapped``). The model gives no confidence through this API, so every proposal
scores ``SCORE``. Loading takes seconds and predicting about a second per few sentences on a
CPU, so it is ``slow``: ``pre-annotate`` runs it in a worker thread behind a progress bar.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from annotator.model.annotations import Annotations, Document
from annotator.recommend.base import Progress, Proposal, RecommendContext, Recommender, RecommenderUnavailable
from annotator.schema.model import Schema
from annotator.text.segments import sentences
from annotator.text.tokens import tokenize

__all__ = ["CamelNer", "LABEL_MAP", "SCORE", "INSTALL_HINT", "find_model", "load_recognizer"]

# camel-tools tag -> schema labels to try, in order (docs/recommenders.md has this table)
LABEL_MAP: dict[str, tuple[str, ...]] = {
    "PERS": ("PER", "PERS", "PERSON"),
    "ORG": ("ORG", "ORGANIZATION"),
    "LOC": ("GPE", "LOC", "LOCATION"),  # ANERcorp's LOC is mostly countries and cities: GPE where the schema has it
    "MISC": ("MISC",),
}
SCORE = 0.7
INSTALL_HINT = ("the camel-tools NER model is not installed: run `camel_data -i ner-arabert` "
                "(about 500 MB, into ~/.camel_tools or $CAMELTOOLS_DATA), or give --ner-model DIR")
_DEFAULT_DATASET = "ner/arabert"


class Recognizer(Protocol):
    """What is used of ``NERecognizer``: BIO tags for pre-tokenized sentences."""

    def predict(self, sentences: list[list[str]], batch_size: int = 32) -> list[list[str]]: ...


def _data_dir() -> Path:
    """camel-tools' data folder, found the way camel-tools finds it (without importing it)."""
    env = os.environ.get("CAMELTOOLS_DATA")
    return Path(env).expanduser().absolute() if env else Path.home() / ".camel_tools"


def find_model(explicit: str | None = None) -> Path | None:
    """The NER model folder (one with a ``config.json``), or None when it is not installed."""
    if explicit:
        path = Path(explicit).expanduser()
        return path if (path / "config.json").is_file() else None
    data = _data_dir()
    catalogue = data / "catalogue.json"
    if not catalogue.is_file():
        return None  # camel_data was never run here
    rel = _DEFAULT_DATASET
    try:
        component = json.loads(catalogue.read_text(encoding="utf-8"))["components"]["NamedEntityRecognition"]
        rel = component["datasets"][component["default"]]["path"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # an unexpected catalogue: try the usual place
    path = data / "data" / rel
    return path if (path / "config.json").is_file() else None


def load_recognizer(explicit: str | None = None) -> Recognizer:
    """camel-tools' ``NERecognizer`` on the installed model (CPU); RecommenderUnavailable when absent."""
    path = find_model(explicit)
    if path is None:
        if explicit:
            raise RecommenderUnavailable(f"{explicit}: not a camel-tools NER model folder (no config.json); "
                                         + INSTALL_HINT.split(": ", 1)[1])
        raise RecommenderUnavailable(INSTALL_HINT)
    try:
        from camel_tools.ner import NERecognizer
    except Exception as exc:  # torch/transformers missing, or camel-tools' data module failing to load
        raise RecommenderUnavailable(f"camel-tools NER cannot be loaded ({type(exc).__name__}: {exc}); "
                                     "it needs torch and transformers, and the model data") from None
    try:
        return NERecognizer(str(path), use_gpu=False)
    except Exception as exc:
        raise RecommenderUnavailable(f"{path}: the camel-tools NER model cannot be loaded ({exc})") from None


def map_label(tag: str, schema: Schema) -> str | None:
    """The schema label a camel-tools type becomes (``LABEL_MAP``), or None."""
    return next((k for k in LABEL_MAP.get(tag, (tag,)) if schema.label(k) is not None), None)


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first token, end token, type) of each entity in a BIO tag sequence; a stray I- opens one."""
    spans: list[tuple[int, int, str]] = []
    current: list[Any] | None = None
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and current is not None and current[2] == kind:
            current[1] = i + 1
            continue
        if current is not None:
            spans.append((current[0], current[1], current[2]))
            current = None
        if prefix in ("B", "I") and kind:
            current = [i, i + 1, kind]
    if current is not None:
        spans.append((current[0], current[1], current[2]))
    return spans


class CamelNer(Recommender):
    name: ClassVar[str] = "camel-ner"
    description: ClassVar[str] = "camel-tools' BERT NER model (needs `camel_data -i ner-arabert`)"
    slow: ClassVar[bool] = True

    def __init__(self, recognizer: Recognizer | None = None) -> None:
        self.recognizer = recognizer
        self.unmapped: Counter[str] = Counter()  # model types the schema has no label for

    def prepare(self, store: Any, context: RecommendContext, progress: Progress | None = None) -> None:
        if self.recognizer is None:
            if progress is not None:
                progress(0, None, "loading the camel-tools NER model")
            self.recognizer = load_recognizer(context.options.get("ner_model"))

    def propose(self, document: Document, annotations: Annotations, context: RecommendContext) -> list[Proposal]:
        if self.recognizer is None:
            self.prepare(None, context)
        assert self.recognizer is not None
        text = document.text
        tokens = [t for t in tokenize(text) if t.text.strip()]
        groups = []
        for sent in sentences(text):
            group = [t for t in tokens if sent.start <= t.start < sent.end]
            if group:
                groups.append(group)
        if not groups:
            return []
        tagged = self.recognizer.predict([[t.text for t in g] for g in groups])
        out = []
        for group, tags in zip(groups, tagged, strict=True):
            for first, end, kind in bio_spans(list(tags)[:len(group)]):
                label = map_label(kind, context.schema)
                if label is None:
                    self.unmapped[kind] += 1
                    continue
                out.append(Proposal("entity", group[first].start, group[end - 1].end, label, SCORE, self.name,
                                    reason=f"camel-tools NER: {kind}"))
        return out
