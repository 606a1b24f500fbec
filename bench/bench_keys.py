"""Keys per label (issue 13, "Measure"): replay a complete labelling of one seed article in the app.

Long because it is a planner and a replayer in one: it reads a hand-written expected-labels file
(``bench/expected/<doc>.yaml``), opens the real app headless (``App.run_test``) on a fresh store
holding that one document, and for each expected entity and claim plans the cheapest key sequence
a skilled user would press with the app's own features, presses every key through
``pilot.press`` (typed characters count one each) and checks the app did what was planned.

How an item is planned (``docs/recommenders.md``, "Keys per label"):

* moving: a breadth-first search over the motion keys (word, line, sentence, paragraph, line and
  document edges, ``f4`` / ``shift+f4`` to proposals), driven by the app's own ``Navigator``;
* or find: ``ctrl+f``, the word typed (the dialog keeps the last query, selected: typing replaces
  it), ``enter``, then ``f3`` to later matches; the match is selected;
* marking: ``shift+←/→/↑/↓`` from the chosen end, then the edge keys (``[ ] { } < >``) when the
  span starts after a proclitic;
* an entity: its label key (``enter`` on a proposal with the right label); a text labelled with
  the same label at two or more places whose every match is expected is labelled with "label
  all": find, the label key on the first match, ``ctrl+a``; those keys are shared equally among
  the entities the batch labelled;
* a claim: ``enter`` on a proposal with exactly its span (the form opens), else the span marked and
  ``c``; in the form the claimer (``↑`` to its row, ``enter``, filter letters, ``↓``, ``enter``;
  or ``↑`` and ``delete`` to clear a wrong proposal), each attribute hotkey not already right, ``esc``;
* a proposal that is wrong is rejected (moving to it, ``ctrl+r``), charged to the next item.

At the end the document is exported (``annotator export``) and its labels must equal the expected
file exactly (entities, claims, claimers, attributes with the schema's defaults, no proposal left);
otherwise the bench fails loudly.

    .venv/bin/python bench/bench_keys.py [--expected FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.editing import Editor, find_matches, step_match  # noqa: E402
from annotator.editing.editor import Where  # noqa: E402
from annotator.editing.find import plan_label_all  # noqa: E402
from annotator.model.annotations import Annotations, Claim, Document, Entity  # noqa: E402
from annotator.recommend.apply import next_proposal  # noqa: E402
from annotator.schema import load_schema  # noqa: E402
from annotator.schema.model import Schema  # noqa: E402
from annotator.session import claim_defaults  # noqa: E402
from annotator.text import TextIndex  # noqa: E402
from annotator.text.matching import normalize_for_search  # noqa: E402
from annotator.tui.cursor import Navigator, Selection  # noqa: E402

DEFAULT = ROOT / "bench" / "expected" / "000_72ab5779234c0ced.yaml"
SEEDS = ROOT / "annotator" / "bundled" / "seeds"
SIZE = (120, 40)
AIM_ENTITY, AIM_CLAIM = 3, 10
NAV_KEYS = ("left", "right", "up", "down", "ctrl+left", "ctrl+right", "ctrl+down", "ctrl+up", "home", "end",
            "ctrl+home", "ctrl+end", "pageup", "pagedown", "f4", "shift+f4")
EXTEND_KEYS = ("shift+left", "shift+right", "shift+up", "shift+down")
EDGE_KEYS = {"[": ("start", -1), "]": ("start", 1), "{": ("end", -1), "}": ("end", 1), ">": ("clitic", 1),
             "<": ("clitic", 0)}


class BenchError(Exception):
    """The expected file is wrong, or the app did not do what the plan said: stop loudly."""


# -- the expected labels ------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpEntity:
    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True)
class ExpClaim:
    start: int
    end: int
    claimer: int | None  # index into the expected entities
    attributes: dict
    text: str


@dataclass
class Expected:
    doc_id: str
    text: str
    schema: Schema
    entities: list[ExpEntity]
    claims: list[ExpClaim]
    # right entities this run does not label (a subset's rest): proposals of them are not wrong,
    # and may be left as they are
    beyond: frozenset[tuple[int, int, str]] = frozenset()

    def subset(self, n_entities: int, n_claims: int) -> Expected:
        """The first entities and claims (with the claimers those claims need): the test's small part."""
        claims = self.claims[:n_claims]
        keep = set(range(min(n_entities, len(self.entities)))) | {c.claimer for c in claims if c.claimer is not None}
        index = {old: new for new, old in enumerate(sorted(keep))}
        beyond = frozenset((e.start, e.end, e.label) for i, e in enumerate(self.entities) if i not in keep)
        return Expected(self.doc_id, self.text, self.schema, [self.entities[i] for i in sorted(keep)],
                        [ExpClaim(c.start, c.end, index[c.claimer] if c.claimer is not None else None,
                                  c.attributes, c.text) for c in claims], beyond)


def _locate(text: str, needle: str, occurrence: int, where: str) -> tuple[int, int]:
    if not isinstance(needle, str) or not needle:
        raise BenchError(f"{where}: the text must be a non-empty string")
    if not isinstance(occurrence, int) or occurrence < 1:
        raise BenchError(f"{where}: occurrence must be a whole number ≥ 1, not {occurrence!r}")
    pos = -1
    for n in range(occurrence):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            raise BenchError(f"{where}: «{needle}» occurs only {n} time(s), not {occurrence}")
    return pos, pos + len(needle)  # text.find: text[pos:pos + len(needle)] == needle


def load_expected(path: Path) -> Expected:
    """The expected file, resolved to offsets and checked against the document and the schema."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BenchError(f"{path}: cannot read it ({exc})") from None
    schema = load_schema(str(ROOT / "schemas" / f"{data.get('schema', 'news')}.yaml"))
    doc_id = data["document"]
    text = (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")
    entities: list[ExpEntity] = []
    spans: dict[tuple[str, int], int] = {}
    for n, item in enumerate(data.get("entities") or [], 1):
        where = f"{path}: entity #{n} {item!r}"
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise BenchError(f"{where}: expected [text, label, occurrence]")
        needle, label, occ = item[0], item[1], item[2] if len(item) == 3 else 1
        if schema.label(label) is None:
            raise BenchError(f"{where}: the schema has no label {label!r}")
        start, end = _locate(text, needle, occ, where)
        if any((e.start, e.end) == (start, end) for e in entities):
            raise BenchError(f"{where}: this span is listed twice")
        spans[(needle, occ)] = len(entities)
        entities.append(ExpEntity(start, end, label, needle))
    claims: list[ExpClaim] = []
    keys = {a.key: a for a in schema.claims.attributes}
    for n, item in enumerate(data.get("claims") or [], 1):
        where = f"{path}: claim #{n}"
        start, end = _locate(text, item.get("text"), item.get("occurrence", 1), where)
        claimer = item.get("claimer")
        index = None
        if claimer is not None:
            ref = (claimer[0], claimer[1] if len(claimer) > 1 else 1)
            if ref not in spans:
                raise BenchError(f"{where}: claimer {claimer!r} is not one of the entities listed")
            index = spans[ref]
        attrs = dict(claim_defaults(schema))
        for key, value in item.items():
            if key in ("text", "occurrence", "claimer"):
                continue
            attr = keys.get(key)
            if attr is None or (attr.kind == "choice" and value not in [c.value for c in attr.choices]):
                raise BenchError(f"{where}: {key}={value!r} is not a value of the schema")
            attrs[key] = value
        claims.append(ExpClaim(start, end, index, attrs, item["text"]))
    return Expected(doc_id, text, schema, entities, claims)


# -- planning -----------------------------------------------------------------------------------
def _motion(nav: Navigator, state: Annotations, key: str, cursor: int, goal: int | None,
            page: int = 1) -> tuple[int, int | None]:
    """Where ``key`` takes the cursor (the screen's movement actions, on the pure navigator)."""
    if key in ("pageup", "pagedown"):
        offset, new_goal = nav.vertical(cursor, page if key == "pagedown" else -page, goal)
        return nav.snap(offset), new_goal
    if key in ("left", "right", "shift+left", "shift+right"):
        return nav.snap(nav.horizontal(cursor, key.removeprefix("shift+"))), None
    if key in ("up", "down", "shift+up", "shift+down"):
        offset, new_goal = nav.vertical(cursor, -1 if key.endswith("up") else 1, goal)
        return nav.snap(offset), new_goal
    if key in ("ctrl+left", "ctrl+right"):
        return nav.snap(nav.sentence_step(cursor, nav.reading_forward(cursor, key[5:]))), None
    if key in ("ctrl+down", "ctrl+up"):
        return nav.snap(nav.paragraph_step(cursor, key == "ctrl+down")), None
    if key in ("home", "end"):
        return nav.snap(nav.line_edge(cursor, key == "home")), None
    if key in ("ctrl+home", "ctrl+end"):
        return nav.snap(nav.document_edge(key == "ctrl+home")), None
    span = next_proposal(state, cursor, backwards=key == "shift+f4")  # f4 / shift+f4
    return (nav.snap(span.start) if span is not None else cursor), None


def shortest(nav: Navigator, state: Annotations, cursor: int, goal: int | None, targets: set[int],
             keys: tuple[str, ...], limit: int = 14, page: int = 1) -> tuple[list[str], int | None] | None:
    """The fewest ``keys`` taking the cursor from ``cursor`` to one of ``targets`` (breadth first),
    with the goal column they leave (a vertical move keeps one)."""
    if cursor in targets:
        return [], goal
    seen = {(cursor, goal)}
    queue = deque([(cursor, goal, [])])
    while queue:
        c, g, path = queue.popleft()
        if len(path) >= limit:
            continue
        for key in keys:
            if key in ("f4", "shift+f4") and not any(s.source for s in (*state.entities, *state.claims)):
                continue
            nc, ng = _motion(nav, state, key, c, g, page)
            if nc in targets:
                return path + [key], ng
            if (nc, ng) not in seen:
                seen.add((nc, ng))
                queue.append((nc, ng, path + [key]))
    return None


def edge_keys(nav: Navigator, sel: Selection, start: int, end: int) -> list[str] | None:
    """Edge keys turning the selection ``sel`` into ``[start, end)`` (breadth first, a few keys)."""
    seen = {(sel.start, sel.end)}
    queue = deque([(sel, [])])
    while queue:
        s, path = queue.popleft()
        if (s.start, s.end) == (start, end):
            return path
        if len(path) >= 6:
            continue
        for key, (edge, delta) in EDGE_KEYS.items():
            new = nav.clitic_jump(s, bool(delta)) if edge == "clitic" else nav.nudge(s, edge, delta)
            if (new.start, new.end) not in seen:
                seen.add((new.start, new.end))
                queue.append((new, path + [key]))
    return None


def typed(chars: str) -> list[str]:
    """Key names for typing ``chars`` (one key each)."""
    return ["space" if ch == " " else ch for ch in chars]


@dataclass
class Tally:
    """Keys charged to each item; a shared batch is split equally among its items."""

    keys: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    pressed: int = 0
    trace: list[tuple[str, list[str]]] = field(default_factory=list)

    def charge(self, items: list[str], n: int) -> None:
        for item in items:
            self.keys[item] = self.keys.get(item, 0.0) + n / len(items)


class Replay:
    """Plans and presses the keys of one labelling on the live app."""

    def __init__(self, app, pilot, expected: Expected) -> None:
        from annotator.tui.screens.annotate import AnnotateScreen

        self.app, self.pilot, self.exp = app, pilot, expected
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        self.screen = screen
        self.tally = Tally()
        self.sentences = [(s.start, s.end) for s in TextIndex(expected.text).sentences]
        # find starts with the entity under the cursor (an app without it: the last query)
        self.prefill = hasattr(screen, "_find_default")

    # -- the live app -----------------------------------------------------------------------
    @property
    def state(self) -> Annotations:
        assert self.screen.editor is not None
        return self.screen.editor.state

    @property
    def nav(self) -> Navigator:
        return self.screen.view.nav

    async def press(self, keys: list[str], items: list[str]) -> None:
        if keys:
            await self.pilot.press(*keys)
        self.tally.charge(items, len(keys))
        self.tally.pressed += len(keys)
        self.tally.trace.append((",".join(items), keys))

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            raise BenchError(f"the app did not do what was planned: {what} (status line: {self.screen.status.message!r})")

    # -- moving ---------------------------------------------------------------------------
    def tokens_of(self, start: int, end: int) -> list[int]:
        index = self.screen.view.index
        return [t.start for t in index.tokens_in(start, end)]  # TextIndex answers with tokens

    def goto(self, targets: set[int]) -> list[str] | None:
        found = self._goto(targets)
        return found[0] if found is not None else None

    def _goto(self, targets: set[int]) -> tuple[list[str], int | None] | None:
        view = self.screen.view
        return shortest(self.nav, self.state, view.cursor, view.goal_column, targets, NAV_KEYS, page=view.page_height)

    def plan_mark(self, start: int, end: int) -> list[str] | None:
        """Keys leaving exactly ``[start, end)`` marked (selected, or the cursor's word): move to one
        end, extend to the other, nudge the edges."""
        nav, toks = self.nav, self.tokens_of(start, end)
        best: list[str] | None = None
        for anchor, other in ((toks[0], toks[-1]), (toks[-1], toks[0])):
            found = self._goto({anchor})
            if found is None:
                continue
            move, goal = found
            grown = shortest(nav, self.state, anchor, goal, {other}, EXTEND_KEYS) if other != anchor else ([], goal)
            if grown is None:
                continue
            grow = grown[0]
            a0, a1 = nav.token_span(anchor)
            b0, b1 = nav.token_span(other)
            sel = Selection(min(a0, b0), max(a1, b1), anchor)
            edges = edge_keys(nav, sel, start, end)
            if edges is None:
                continue
            if edges and not grow and Editor(self.exp.schema, self.exp.text, self.state).span_at(
                    Where(nav.token_span(anchor))) is not None:
                continue  # an edge key with no selection would move the span there
            keys = move + grow + edges
            if best is None or len(keys) < len(best):
                best = keys
        return best

    def plan_find(self, start: int, end: int) -> list[str] | None:
        """Keys selecting ``[start, end)`` with find (and f3)."""
        query = self.exp.text[start:end]
        matches = find_matches(self.screen.view.index, query)
        if (start, end) not in matches:
            return None
        first = step_match(matches, self.screen.view.cursor - 1)
        assert first is not None
        hops = (matches.index((start, end)) - first) % len(matches)
        return ["ctrl+f", *self.typing(query), "enter"] + ["f3"] * hops

    def typing(self, query: str) -> list[str]:
        """What to type after ctrl+f for ``query``: nothing when find already starts with it."""
        start = self.screen._find_default() if self.prefill else self.screen.find_query
        return [] if start == query else typed(query)

    def cheapest_mark(self, start: int, end: int) -> list[str]:
        options = [k for k in (self.plan_mark(start, end), self.plan_find(start, end)) if k is not None]
        if not options:
            raise BenchError(f"no way found to mark {start}–{end}")
        return min(options, key=len)

    async def do_mark(self, keys: list[str], start: int, end: int, items: list[str]) -> None:
        if "ctrl+f" in keys:
            i = keys.index("enter")
            await self.press(keys[:i], items)
            self.check_find(self.exp.text[start:end])
            await self.press(keys[i:], items)
        else:
            await self.press(keys, items)
        marked = self.screen.view.selection
        span = (marked.start, marked.end) if marked is not None else self.nav.token_span(self.screen.view.cursor)
        self.check(span == (start, end), f"marked {span}, planned {(start, end)}")

    def check_find(self, query: str) -> None:
        from annotator.tui.screens.prompts import FindScreen

        self.check(isinstance(self.app.screen, FindScreen), "the find dialog is open")
        value = self.app.screen.query_one("#find").value
        self.check(value == query, f"find holds «{value}», planned «{query}»")

    # -- proposals --------------------------------------------------------------------------
    def _pre_at(self, word_start: int):
        editor = Editor(self.exp.schema, self.exp.text, self.state)
        return editor.span_at(Where(self.nav.token_span(word_start)), pre_only=True)

    def proposal_targets(self, span) -> set[int]:
        return {t for t in self.tokens_of(span.start, span.end) if (p := self._pre_at(t)) is not None and p.id == span.id}

    async def reject_wrong(self, before: int, item: str, wanted: set[tuple], kind: type) -> None:
        """Reject every proposal of ``kind`` starting before ``before`` that is not expected."""
        while True:
            wrong = [s for s in (*self.state.entities, *self.state.claims) if s.source and s.start < before
                     and isinstance(s, kind) and _key(s) not in wanted]
            if not wrong:
                return
            span = wrong[0]
            move = self.goto(self.proposal_targets(span))
            if move is None:
                raise BenchError(f"cannot reach the proposal {span}")
            await self.press(move + ["ctrl+r"], [item])
            self.check(all(s.id != span.id for s in (*self.state.entities, *self.state.claims)),
                       f"rejected {span.id}")

    # -- entities -------------------------------------------------------------------------
    def label_key(self, label: str) -> str:
        spec = self.exp.schema.label(label)
        assert spec is not None and spec.hotkey
        return spec.hotkey

    def _done(self, e: ExpEntity) -> bool:
        return any((x.start, x.end, x.label) == (e.start, e.end, e.label) and x.source is None
                   for x in self.state.entities)

    def _wanted(self) -> set[tuple]:
        """Every span the ground truth holds (what ``reject_wrong`` leaves alone)."""
        return {("entity", e.start, e.end, e.label) for e in self.exp.entities} | {
            ("entity", *span) for span in self.exp.beyond} | {
            ("claim", c.start, c.end, None) for c in self.exp.claims}

    async def entities(self) -> None:
        wanted = self._wanted()
        for n, e in enumerate(self.exp.entities):
            item = f"e{n + 1}"
            self.tally.names[item] = f"{e.label:<8} {e.text}"
            self.tally.keys.setdefault(item, 0.0)
            if self._done(e):
                continue
            await self.reject_wrong(e.end, item, wanted, Entity)
            if self._done(e):
                continue
            batch = self.plan_label_all(e)
            if batch is not None:
                await self.label_all(e, *batch)
                continue
            pre = next((x for x in self.state.entities if x.source and (x.start, x.end) == (e.start, e.end)), None)
            if pre is not None:
                move = self.goto(self.proposal_targets(pre))
                if move is not None:
                    await self.press(move + ["enter" if pre.label == e.label else self.label_key(e.label)], [item])
                    self.check(self._done(e), f"accepted the proposal {e.text}")
                    continue
            keys = self.cheapest_mark(e.start, e.end)
            await self.do_mark(keys, e.start, e.end, [item])
            await self.press([self.label_key(e.label)], [item])
            self.check(self._done(e), f"labelled {e.text} {e.label}")

    async def label_all(self, e: ExpEntity, typed_keys: list[str], items: list[str]) -> None:
        """Label every mention of ``e``'s text at once, the cheaper way: label ``e`` itself, then
        ctrl+f (find starts with the entity under the cursor) enter ctrl+a; or find it by typing,
        a label key on the first match, ctrl+a. Every key is shared equally by ``items``."""
        mark = self.cheapest_mark(e.start, e.end)
        if self.prefill and len(mark) + 4 <= len(typed_keys):
            await self.do_mark(mark, e.start, e.end, items)
            await self.press([self.label_key(e.label)], items)
            await self.press(["ctrl+f"], items)
            self.check_find(e.text)
            await self.press(["enter", "ctrl+a"], items)
        else:
            i = typed_keys.index("enter")
            await self.press(typed_keys[:i], items)
            self.check_find(e.text)
            await self.press(typed_keys[i:], items)
        labelled = {(x.start, x.end, x.label) for x in self.state.entities if x.source is None}
        self.check(all((x.start, x.end, x.label) in labelled for i, x in enumerate(self.exp.entities)
                       if f"e{i + 1}" in items), f"label all labelled every {e.text}")

    def plan_label_all(self, e: ExpEntity) -> tuple[list[str], list[str]] | None:
        """Find + label key + ctrl+a (and the items it labels), when it labels two or more expected
        entities and nothing else."""
        query = self.exp.text[e.start:e.end]
        matches = find_matches(self.screen.view.index, query)
        if len(matches) < 2:
            return None
        plan = plan_label_all(self.exp.schema, self.exp.text, self.state, matches, e.label)
        before = {x.id for x in self.state.entities}
        added = [x for x in plan.after.entities if x.id not in before or
                 (x.source is None and any(y.id == x.id and y.source for y in self.state.entities))]
        expected = {(x.start, x.end, x.label): f"e{i + 1}" for i, x in enumerate(self.exp.entities)}
        items = [expected.get((x.start, x.end, x.label)) for x in added]
        if len(items) < 2 or None in items:
            return None
        first = matches[step_match(matches, self.screen.view.cursor - 1) or 0]
        keys = ["ctrl+f", *self.typing(query), "enter"]
        labelled = any((x.start, x.end, x.label) == (*first, e.label) and x.source is None
                       for x in self.state.entities)
        return keys + ([] if labelled else [self.label_key(e.label)]) + ["ctrl+a"], [i for i in items if i]

    # -- claims ---------------------------------------------------------------------------
    def entity_id(self, index: int | None) -> str | None:
        if index is None:
            return None
        e = self.exp.entities[index]
        found = next((x for x in self.state.entities if (x.start, x.end, x.label) == (e.start, e.end, e.label)), None)
        if found is None:
            raise BenchError(f"claimer {e.text} is not labelled")
        return found.id

    async def claims(self) -> None:
        wanted = self._wanted()
        for n, c in enumerate(self.exp.claims):
            item = f"c{n + 1}"
            self.tally.names[item] = f"claim    {c.text[:40]}…"
            self.tally.keys.setdefault(item, 0.0)
            await self.reject_wrong(c.end, item, wanted, Claim)
            pre = next((x for x in self.state.claims if x.source and (x.start, x.end) == (c.start, c.end)), None)
            move = self.goto(self.proposal_targets(pre)) if pre is not None else None
            if move is not None:
                await self.press(move + ["enter"], [item])
            else:
                keys = self.cheapest_mark(c.start, c.end)
                await self.do_mark(keys, c.start, c.end, [item])
                await self.press([self.exp.schema.claims.hotkey or "c"], [item])
            await self.fill_form(c, item)
        if self.exp.claims:  # what is left after the last claim is charged to it
            await self.reject_wrong(len(self.exp.text) + 1, f"c{len(self.exp.claims)}", wanted, Claim)

    async def fill_form(self, c: ExpClaim, item: str) -> None:
        from annotator.tui.screens.claim_form import ClaimFormScreen
        from annotator.tui.screens.claimer_picker import ClaimerPickerScreen

        form = self.app.screen
        self.check(isinstance(form, ClaimFormScreen), "the claim form is open")
        claim_id = form.claim_id
        claim = self.state.claim(claim_id)
        self.check(claim is not None and (claim.start, claim.end) == (c.start, c.end) and claim.source is None,
                   f"claim {claim_id} has the planned span")
        want = self.entity_id(c.claimer)
        if claim.claimer != want:
            if want is None:
                await self.press(["up", "delete"], [item])
            else:
                await self.press(["up", "enter"], [item])
                picker = self.app.screen
                self.check(isinstance(picker, ClaimerPickerScreen), "the claimer picker is open")
                await self.press(self.plan_pick(picker, want), [item])
                await self.press(["enter"], [item])
        for attr in self.exp.schema.claims.attributes:
            value = c.attributes.get(attr.key)
            if self.state.claim(claim_id).attributes.get(attr.key) == value:
                continue
            choice = next((ch for ch in attr.choices if ch.value == value), None) if attr.kind == "choice" else None
            if choice is None or not choice.hotkey:
                raise BenchError(f"{attr.key}={value!r} has no hotkey in the form")
            await self.press([choice.hotkey], [item])
        await self.press(["escape"], [item])
        got = self.state.claim(claim_id)
        self.check(got is not None and got.claimer == want and got.attributes == c.attributes,
                   f"claim {claim_id}: claimer {got.claimer if got else None} (want {want}), "
                   f"attributes {got.attributes if got else None} (want {c.attributes})")

    def plan_pick(self, picker, want: str) -> list[str]:
        """Filter letters then ↓/↑ to ``want`` in the claimer list (fewest keys)."""
        entities = picker.entities
        keys = picker._keys
        ids = [e.id for e in entities]

        def moves(shown: list[str]) -> int | None:
            if want not in shown:
                return None
            start = shown.index(picker.current) if picker.current in shown else 0
            return shown.index(want) - start

        best: list[str] | None = None
        delta = moves(ids)
        if delta is not None:
            best = ["down"] * delta if delta >= 0 else ["up"] * -delta
        target = next(e for e in entities if e.id == want)
        source = f"{self.exp.text[target.start:target.end]} {target.label} {target.id}"
        for size in range(1, 8):
            if best is not None and size >= len(best):
                break
            for i in range(len(source) - size + 1):
                raw = source[i:i + size]
                needle = normalize_for_search(raw).strip()
                if not needle or raw != raw.strip():
                    continue
                shown = [x for x in ids if needle in keys[x]]
                delta = moves(shown)
                if delta is None:
                    continue
                keys_here = typed(raw) + (["down"] * delta if delta >= 0 else ["up"] * -delta)
                if best is None or len(keys_here) < len(best):
                    best = keys_here
        if best is None:
            raise BenchError(f"claimer {want} is not in the picker")
        return best


def _key(span) -> tuple:
    if isinstance(span, Entity):
        return ("entity", span.start, span.end, span.label)
    return ("claim", span.start, span.end, None)


# -- one run ------------------------------------------------------------------------------------
@dataclass
class Result:
    recommend: bool
    tally: Tally
    entities: list[float]
    claims: list[float]


async def run(expected: Expected, recommend: bool, workdir: Path) -> Result:
    """Label the whole expected file in the app; export and compare; the keys per item."""
    from annotator.cli import main
    from annotator.recommend import get_recommender
    from annotator.session import AnnotationSession
    from annotator.store import open_store
    from annotator.tui.app import AnnotatorApp

    db = workdir / f"keys-{'rec' if recommend else 'plain'}.db"
    store = open_store(str(db))
    store.add_document(Document(expected.doc_id, expected.text))
    session = AnnotationSession(store, expected.schema, "bench")
    recommenders = (get_recommender("string-match"), get_recommender("claim-cues")) if recommend else ()
    app = AnnotatorApp(session, clock=lambda: "", recommenders=recommenders)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        replay = Replay(app, pilot, expected)
        await replay.entities()
        await replay.claims()
        replay.screen.saver.settle()
        tally = replay.tally
    store.close()
    out = workdir / f"export-{'rec' if recommend else 'plain'}.jsonl"
    code = main(["export", "--db", str(db), "--annotator", "bench", "-o", str(out)])
    if code != 0:
        raise BenchError(f"export failed with exit code {code}")
    compare(expected, out)
    entities = [tally.keys[f"e{i + 1}"] for i in range(len(expected.entities))]
    claims = [tally.keys[f"c{i + 1}"] for i in range(len(expected.claims))]
    return Result(recommend, tally, entities, claims)


def compare(expected: Expected, exported: Path) -> None:
    """The exported labels equal the expected ones exactly, or a BenchError listing the differences."""
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines() if line.strip()]
    record = next((r for r in lines if r["id"] == expected.doc_id), None)
    if record is None:
        raise BenchError(f"{exported}: no line for {expected.doc_id}")
    text = record["text"]
    problems = []
    beyond = [e for e in record["entities"] if e.get("source") and (e["start"], e["end"], e["label"]) in expected.beyond]
    record["entities"] = [e for e in record["entities"] if e not in beyond]  # right, and not this run's part
    for span in (*record["entities"], *record["claims"]):
        if text[span["start"]:span["end"]] != span["text"]:
            problems.append(f"span {span['id']}: text[start:end] != its text")
        if span.get("source"):
            problems.append(f"proposal left: {span['id']} {span['text']}")
    got_e = {(e["start"], e["end"], e["label"]) for e in record["entities"]}
    want_e = {(e.start, e.end, e.label) for e in expected.entities}
    problems += [f"missing entity {text[s:e]} {lab} {s}–{e}" for s, e, lab in sorted(want_e - got_e)]
    problems += [f"extra entity {text[s:e]} {lab} {s}–{e}" for s, e, lab in sorted(got_e - want_e)]
    spans = {e["id"]: (e["start"], e["end"]) for e in record["entities"]}
    got_c = {(c["start"], c["end"]): (spans.get(c["claimer"]) if c["claimer"] else None, c["attributes"])
             for c in record["claims"]}
    want_c = {(c.start, c.end): ((expected.entities[c.claimer].start, expected.entities[c.claimer].end)
                                 if c.claimer is not None else None, c.attributes) for c in expected.claims}
    for span in sorted(set(got_c) | set(want_c)):
        if got_c.get(span) != want_c.get(span):
            problems.append(f"claim {text[span[0]:span[1]][:30]}…: got {got_c.get(span)}, want {want_c.get(span)}")
    if problems:
        raise BenchError("the export differs from the expected labels:\n  " + "\n  ".join(problems))


# -- report -------------------------------------------------------------------------------------
def summary(values: list[float]) -> tuple[float, float]:
    return (statistics.median(values), max(values)) if values else (0.0, 0.0)


def report(results: list[Result], expected: Expected) -> dict:
    out: dict = {"document": expected.doc_id, "entities": len(expected.entities), "claims": len(expected.claims)}
    for r in results:
        mode = "with recommendations" if r.recommend else "without recommendations"
        em, ex = summary(r.entities)
        cm, cx = summary(r.claims)
        out[mode] = {"keys": r.tally.pressed, "entity_median": em, "entity_max": ex, "claim_median": cm,
                     "claim_max": cx, "per_item": {k: round(v, 2) for k, v in r.tally.keys.items()}}
    return out


def print_report(results: list[Result], expected: Expected) -> bool:
    import os

    print(f"keys per label: {expected.doc_id}, {len(expected.entities)} entities, {len(expected.claims)} claims "
          f"(load average {os.getloadavg()[0]:.2f})")
    names = results[0].tally.names
    print(f"{'item':<5} {'what':<52}" + "".join(f"{'rec' if r.recommend else 'plain':>8}" for r in results))
    for item, name in names.items():
        print(f"{item:<5} {name[:52]:<52}" + "".join(f"{r.tally.keys.get(item, 0):>8.2f}" for r in results))
    ok = True
    for r in results:
        em, ex = summary(r.entities)
        cm, cx = summary(r.claims)
        mode = "with recommendations" if r.recommend else "without recommendations"
        print(f"{mode}: {r.tally.pressed} keys; per entity median {em:.2f} max {ex:.2f}; "
              f"per claim median {cm:.2f} max {cx:.2f}")
        if r.recommend:
            aims = em <= AIM_ENTITY and cm <= AIM_CLAIM
            ok = aims
            print(f"aims (with recommendations: median ≤ {AIM_ENTITY} per entity, ≤ {AIM_CLAIM} per claim): "
                  f"{'met' if aims else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--expected", default=str(DEFAULT), help="the expected-labels file")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--only", choices=("plain", "rec"), help="one mode only")
    p.add_argument("--trace", action="store_true", help="print every key pressed, by item")
    args = p.parse_args(argv)
    try:
        expected = load_expected(Path(args.expected))
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            for recommend in (False, True):
                if args.only and args.only != ("rec" if recommend else "plain"):
                    continue
                results.append(asyncio.run(run(expected, recommend, Path(tmp))))
    except BenchError as exc:
        print(f"bench_keys: FAILED: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report(results, expected), ensure_ascii=False, indent=1))
        return 0
    if args.trace:
        for r in results:
            for items, keys in r.tally.trace:
                print(f"{'rec' if r.recommend else 'plain'} {items}: {' '.join(keys)}")
    print_report(results, expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
