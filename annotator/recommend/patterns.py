"""``patterns``: a gazetteer or Prodigy patterns file, given with ``--patterns FILE``.

Two file forms:

* Prodigy's patterns JSONL, one object a line: ``{"label": "ORG", "pattern": "الأمم المتحدة"}``
  (a phrase, matched like ``string-match``: whole tokens under the search normalization, the
  first token also after a proclitic) or a token pattern
  ``{"label": "GPE", "pattern": [{"lower": "new"}, {"orth": "york"}]}`` whose attributes are
  ``orth`` / ``text`` (the token exactly) or ``lower`` (the token under the search normalization:
  case, harakat, alef forms…); an optional ``id`` is allowed.
* A plain TSV: ``text<TAB>label`` a line (a ``text<TAB>label`` header, blank lines and lines
  starting with ``#`` are skipped).

The file is read whole before anything is proposed: any line it cannot use (bad JSON, a
missing label, an attribute other than those above, a label the schema lacks) is an error
naming the file and line, so a gazetteer is never half applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Document
from annotator.model.checks import brief, id_problem
from annotator.recommend.base import Progress, Proposal, RecommendContext, Recommender, read_text_file
from annotator.recommend.learned import Lexicon, scan_tokens, span_key
from annotator.schema.model import Schema
from annotator.text.matching import normalize_for_search
from annotator.text.tokens import Token

__all__ = ["Patterns", "PatternSet", "PatternsError", "load_patterns", "TOKEN_ATTRIBUTES"]

TOKEN_ATTRIBUTES = ("orth", "text", "lower")


class PatternsError(AnnotatorError):
    """A patterns file with lines that cannot be used: each in ``problems`` ("file:line: problem")."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}; nothing proposed from {path}")


@dataclass(frozen=True)
class TokenPattern:
    label: str
    specs: tuple[tuple[str, str], ...]  # (attribute, value) per token
    line: int


class PatternSet:
    """Phrases (a ``Lexicon``) and token patterns read from one file, with where each came from."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.phrases = Lexicon()
        self.phrase_lines: dict[tuple[tuple[str, ...], str], int] = {}
        self.token_patterns: list[TokenPattern] = []

    def __len__(self) -> int:
        return len(self.phrase_lines) + len(self.token_patterns)

    @property
    def labels(self) -> set[str]:
        return {label for _, label in self.phrase_lines} | {t.label for t in self.token_patterns}

    def add_phrase(self, text: str, label: str, line: int) -> str | None:
        key = span_key(text)
        if not key:
            return f"pattern {brief(text)} has too little text to match on"
        if (key, label) not in self.phrase_lines:
            self.phrases.add(key, label)
            self.phrase_lines[(key, label)] = line
        return None


def _token_specs(pattern: list[Any]) -> tuple[tuple[tuple[str, str], ...], str | None]:
    specs = []
    for n, spec in enumerate(pattern, 1):
        if not isinstance(spec, Mapping) or len(spec) != 1:
            return (), f"token {n} of the pattern must be an object with one of {', '.join(TOKEN_ATTRIBUTES)}"
        ((attr, value),) = spec.items()
        attr_l = str(attr).lower()
        if attr_l not in TOKEN_ATTRIBUTES:
            return (), (f"token {n}: attribute {brief(attr)} is not supported "
                        f"(supported: {', '.join(TOKEN_ATTRIBUTES)})")
        if not isinstance(value, str) or not value.strip():
            return (), f"token {n}: {attr_l} must be non-empty text, not {brief(value)}"
        specs.append(("orth" if attr_l == "text" else attr_l, value))
    if not specs:
        return (), "the token pattern is empty"
    return tuple(specs), None


def _jsonl_line(patterns: PatternSet, raw: str, line: int) -> str | None:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(obj, Mapping):
        return "a pattern must be a JSON object"
    unknown = sorted(set(obj) - {"label", "pattern", "id"})
    if unknown:
        return f"unknown key(s) {', '.join(brief(k) for k in unknown)} (a pattern has label, pattern and id)"
    label, pattern = obj.get("label"), obj.get("pattern")
    problem = id_problem(label, "label") if "label" in obj else "the label is missing"
    if problem or not isinstance(label, str):  # id_problem refuses a label that is not text
        return problem
    if isinstance(pattern, str):
        return patterns.add_phrase(pattern, label, line)
    if isinstance(pattern, list):
        specs, problem = _token_specs(pattern)
        if problem:
            return problem
        patterns.token_patterns.append(TokenPattern(label, specs, line))
        return None
    return "the pattern must be text or a list of token objects" if "pattern" in obj else "the pattern is missing"


def _tsv_line(patterns: PatternSet, raw: str, line: int) -> str | None:
    if "\t" not in raw:
        return "expected text<TAB>label"
    text, _, label = raw.rstrip("\r").rpartition("\t")
    problem = id_problem(label.strip(), "label") or (None if text.strip() else "the text is empty")
    return problem or patterns.add_phrase(text, label.strip(), line)


def load_patterns(path: str | Path, schema: Schema | None = None) -> PatternSet:
    """Every pattern of ``path`` (JSONL when it ends in .jsonl/.json or its first line is an
    object, else TSV); an ``AnnotatorError`` listing the lines it cannot use."""
    text = read_text_file(path, "patterns")
    patterns = PatternSet(str(path))
    lines = text.lstrip("\ufeff").splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    jsonl = Path(path).suffix.lower() in (".jsonl", ".json") or first.lstrip().startswith("{")
    problems: list[str] = []
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not stripped or (not jsonl and (stripped.startswith("#") or
                                           (number == 1 and stripped.lower().split("\t") == ["text", "label"]))):
            continue
        problem = (_jsonl_line if jsonl else _tsv_line)(patterns, raw, number)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
    if schema is not None and not problems:
        for label in sorted(patterns.labels):
            if schema.label(label) is None:
                where = min([ln for (_, lb), ln in patterns.phrase_lines.items() if lb == label] +
                            [t.line for t in patterns.token_patterns if t.label == label])
                problems.append(f"{path}:{where}: label {brief(label)} is not in schema {schema.name} "
                                f"({', '.join(schema.label_keys)})")
    if problems:
        raise PatternsError(str(path), problems)
    if not len(patterns):
        raise AnnotatorError(f"{path}: no patterns in the file")
    return patterns


class Patterns(Recommender):
    name: ClassVar[str] = "patterns"
    description: ClassVar[str] = "gazetteers and Prodigy patterns (--patterns FILE: JSONL or text<TAB>label)"

    def __init__(self, patterns: PatternSet | None = None) -> None:
        self.patterns = patterns

    def prepare(self, store: Any, context: RecommendContext, progress: Progress | None = None) -> None:
        path = context.options.get("patterns")
        if path:
            self.patterns = load_patterns(path, context.schema)
        elif self.patterns is None:
            raise AnnotatorError("the patterns recommender needs --patterns FILE (JSONL or text<TAB>label)")

    def propose(self, document: Document, annotations: Annotations, context: RecommendContext) -> list[Proposal]:
        if self.patterns is None:
            return []
        text = document.text
        found = []
        for start, end, key in self.patterns.phrases.find(text):
            for label in sorted(self.patterns.phrases.labels[key]):
                line = self.patterns.phrase_lines[(key, label)]
                found.append(Proposal("entity", start, end, label, 1.0, self.name,
                                      reason=f"{Path(self.patterns.path).name} line {line}"))
        found += self._token_matches(text)
        found.sort(key=lambda p: (p.start, -p.end))
        return found

    def _token_matches(self, text: str) -> list[Proposal]:
        if not self.patterns or not self.patterns.token_patterns:
            return []
        source = Path(self.patterns.path).name
        wanted = [(tp, tuple(v if a == "orth" else normalize_for_search(v) for a, v in tp.specs))
                  for tp in self.patterns.token_patterns]
        longest = max(len(values) for _, values in wanted)
        out: list[Proposal] = []
        for tokens, forms, places in scan_tokens(text, longest, _forms):
            for i in places:
                for tp, values in wanted:
                    n = len(values)
                    if i + n <= len(tokens) and all(forms[i + k][a] == values[k]
                                                    for k, (a, _) in enumerate(tp.specs)):
                        out.append(Proposal("entity", tokens[i].start, tokens[i + n - 1].end, tp.label, 1.0,
                                            self.name, reason=f"{source} line {tp.line}"))
        return out


def _forms(token: Token) -> dict[str, str]:
    """What a token pattern's attributes compare: ``orth`` (the text) and ``lower`` (its search form)."""
    return {"orth": token.text, "lower": normalize_for_search(token.text)}
