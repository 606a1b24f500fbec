"""PyYAML's side of the schema loader: compose (never construct) a file into a located tree.

Only composed, so no tag can run code; tags outside plain data are refused, and aliases may
expand to at most ``MAX_NODES`` nodes and ``MAX_DEPTH`` levels. Imported only for a schema
that is not a bundled one as shipped (``located.located_tree``); ``python -m
annotator.schema.yaml_tree`` regenerates the bundled schemas' stored trees (``_bundled_trees.py``).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from annotator.errors import SchemaError
from annotator.schema.located import (
    MAX_DEPTH,
    MAX_NODES,
    UNREADABLE,
    Item,
    Refused,
    Report,
    freeze,
    shorten,
)

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAGS = {f"{_YAML}seq", f"{_YAML}map"}


def build_tree(text: str, label: str, report: Report) -> Item:
    """The located tree of ``text``; ``SchemaError`` when it is not YAML or is refused whole."""
    root_node = _compose(text, label)
    try:
        return _TreeBuilder(report).build(root_node, "", root_node.start_mark.line + 1)
    except Refused as exc:
        raise SchemaError(exc.problem, label, exc.line, key_path=exc.key_path) from None


class _ComposeLoader(yaml.SafeLoader):
    """Composes node trees only, with a nesting limit so deep brackets cannot overflow the stack."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
                raise Refused(f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _compose(text: str, label: str) -> Node:
    loader = None
    try:
        loader = _ComposeLoader(text)  # the reader already checks characters here
        node = loader.get_single_node()
    except Refused as exc:
        raise SchemaError(exc.problem, label, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise SchemaError(f"invalid YAML: {problem}", label, mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SchemaError(f"invalid YAML: character U+{exc.character:04X} is not allowed", label, line) from None
    except yaml.YAMLError as exc:
        raise SchemaError(f"invalid YAML: {exc}", label) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise SchemaError("the schema file is empty (no YAML document)", label)
    return node


_constructor = SafeConstructor()


class _TreeBuilder:
    """Turns composed nodes into ``Item`` trees, refusing tags and counting expanded nodes."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.visited = 0

    def build(self, node: Node, path: str, key_line: int, depth: int = 0) -> Item:
        self.visited += 1
        line = node.start_mark.line + 1
        if self.visited > MAX_NODES:
            raise Refused(f"the YAML expands to more than {MAX_NODES} nodes "
                          "(aliases used as a 'billion laughs' bomb?)", line, path or None)
        if depth > MAX_DEPTH:
            raise Refused(f"nesting deeper than {MAX_DEPTH} levels (a recursive alias?)", line, path or None)
        if node.tag not in _SCALAR_TAGS and node.tag not in _COLLECTION_TAGS:
            raise Refused(f"YAML tag {node.tag.replace(_YAML, '!!')} is not allowed: "
                          "a schema is plain data (text, numbers, true/false, lists, mappings)",
                          line, path or None)
        if isinstance(node, ScalarNode):
            return Item(self._scalar(node, path, line), node.value, line, path, key_line)
        if isinstance(node, SequenceNode):
            items = [self.build(sub, f"{path}[{i}]", sub.start_mark.line + 1, depth + 1)
                     for i, sub in enumerate(node.value)]
            return Item(items, None, line, path, key_line)
        assert isinstance(node, MappingNode)
        mapping: dict[str, Item] = {}
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if key_node.tag == f"{_YAML}merge":
                raise Refused("YAML merge keys (<<) are not supported in schemas", kline, path or None)
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.report("mapping keys must be plain words", kline, path)
                continue
            key = key_node.value
            sub_path = f"{path}.{key}" if path else key
            if key in mapping:
                self.report(f"duplicate key {key!r} (first on line {mapping[key].key_line})", kline, sub_path)
                continue
            mapping[key] = self.build(value_node, sub_path, kline, depth + 1)
        return Item(mapping, None, line, path, key_line)

    def _scalar(self, node: ScalarNode, path: str, line: int) -> Any:
        tag = node.tag[len(_YAML):]
        try:
            if tag == "int":
                return _constructor.construct_yaml_int(node)
            if tag == "float":
                return _constructor.construct_yaml_float(node)
            if tag == "bool":
                return _constructor.construct_yaml_bool(node)
        except (ValueError, OverflowError, KeyError, IndexError):  # "!!bool maybe", "!!int ''"
            self.report(f"cannot read {shorten(node.value)!r} as {tag}", line, path)
            return UNREADABLE
        if tag == "null":
            return None
        return node.value  # str, and timestamps kept as written


def generate_table() -> str:
    """The source of ``_bundled_trees.py``: each bundled schema's tree, by its whole text."""
    from annotator import bundled

    def refuse(problem: str, line: int | None, key_path: str | None) -> None:
        raise SchemaError(problem, name, line, key_path=key_path)

    trees = {}
    for name in bundled.schema_names():
        text = bundled.schema_path(name).read_text(encoding="utf-8")
        trees[text] = freeze(build_tree(text, name, refuse))
    return ('"""Generated by ``python -m annotator.schema.yaml_tree``: the bundled schemas\' located trees\n'
            f"({', '.join(bundled.schema_names())}), by their whole text; do not edit.\n"
            '"""\n\nfrom typing import Any\n\n'
            "TREES: dict[str, Any] = {\n"
            + "".join(f"    {_literal(key, 4)}: {_literal(tree, 2)},\n" for key, tree in trees.items()) + "}\n")


def _literal(value: object, depth: int, width: int = 110) -> str:
    """``repr(value)`` for nested tuples of constants, broken into lines of at most ``width``."""
    pad = " " * depth
    text = repr(value)
    if len(text) + depth <= width:
        return text
    if isinstance(value, str):  # implicit concatenation of short pieces, a line of text each where they fit
        size = max(20, width - depth - 20)
        pieces = [line[i:i + size] for line in value.splitlines(keepends=True) for i in range(0, len(line), size)]
        return "(" + f"\n{pad}".join(repr(piece) for piece in pieces) + ")"
    assert isinstance(value, tuple), value
    inner = ",".join(f"\n{pad} {_literal(v, depth + 1, width)}" for v in value)
    return "(" + inner + ("," if len(value) == 1 else "") + ")"


if __name__ == "__main__":
    from annotator.schema.located import FROZEN_TABLE

    FROZEN_TABLE.write_text(generate_table(), encoding="utf-8")
