"""A schema file as a tree of values that know where they came from (line, key path).

The checks (``loader``) read this tree, never YAML nodes, so it has two sources: PyYAML's
composer (``yaml_tree``), and for the bundled schemas the same trees made ahead of time
(``_bundled_trees``, looked up by the file's whole text; ``loader._located_tree`` picks). With the default schema,
``annotator annotate`` starts without importing PyYAML (about 15 ms of a quiet start: its
reader compiles a large character class, and composing is pure Python). The checks and so
every message (file, line, key path) are the same either way; ``tests/test_startup.py``
checks each stored tree against PyYAML's. Regenerate after editing a bundled schema:

    .venv/bin/python -m annotator.schema.yaml_tree
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FROZEN_TABLE = Path(__file__).with_name("_bundled_trees.py")
MAX_NODES = 100_000  # nodes visited with aliases expanded; real schemas use a few hundred
MAX_DEPTH = 64

Report = Callable[[str, "int | None", "str | None"], None]  # problem, line, key path
# (kind, …) tuples: ("m", ((key, tree), …), line, path, key_line), ("l", (tree, …), line, path,
# key_line), ("s", value, raw, line, path, key_line), or ("t", raw, line, path, key_line) for text
# (a scalar whose value is what was written)
Frozen = tuple[Any, ...]


@dataclass
class Item:
    """A YAML value with where it came from: its line, key path and original scalar text."""

    value: Any  # dict[str, Item] | list[Item] | str | int | float | bool | None
    raw: str | None  # the scalar as written; None for mappings and lists
    line: int
    path: str
    key_line: int

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    def describe(self) -> str:
        if isinstance(self.value, dict):
            return "a mapping"
        if isinstance(self.value, list):
            return "a list"
        if self.value is None:
            return "nothing (null)"
        return repr(shorten(self.raw or ""))


class Refused(Exception):
    """A file refused whole (a bomb, a tag, too deep): one message, no tree."""

    def __init__(self, problem: str, line: int | None, key_path: str | None = None) -> None:
        super().__init__(problem)
        if key_path and len(key_path) > 60:  # an alias bomb's path is as deep as the limit
            key_path = key_path[:60] + "…"
        self.problem, self.line, self.key_path = problem, line, key_path


UNREADABLE = object()  # a number too long or malformed to convert


def shorten(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


def freeze(item: Item) -> Frozen:
    """``item`` as nested tuples of constants (what ``_bundled_trees`` stores)."""
    if isinstance(item.value, dict):
        return ("m", tuple((k, freeze(v)) for k, v in item.value.items()), item.line, item.path, item.key_line)
    if isinstance(item.value, list):
        return ("l", tuple(freeze(v) for v in item.value), item.line, item.path, item.key_line)
    if isinstance(item.value, str) and item.value == item.raw:
        return ("t", item.raw, item.line, item.path, item.key_line)
    return ("s", item.value, item.raw, item.line, item.path, item.key_line)


def thaw(frozen: Frozen) -> Item:
    """The ``Item`` tree that ``freeze`` stored."""
    kind = frozen[0]
    if kind == "m":
        return Item({k: thaw(v) for k, v in frozen[1]}, None, *frozen[2:])
    if kind == "l":
        return Item([thaw(v) for v in frozen[1]], None, *frozen[2:])
    if kind == "t":
        return Item(frozen[1], *frozen[1:])
    return Item(*frozen[1:])
