"""Who annotates which document: dealing, and the dynamic queue's setting. Pure logic, no store.

``annotator assign`` deals documents out in advance (``deal``); in dynamic mode
nothing is dealt and each annotator takes the next document when they ask for
it (``Store.take_document``, under the ``DynamicQueue`` kept as a project
setting). docs/assignment.md says what every term means.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from annotator.errors import AnnotatorError
from annotator.model.checks import id_problem

SETTING = "assignment"  # the project setting row holding the dynamic queue
DEFAULT_LEASE_MINUTES = 30.0


class AssignmentError(AnnotatorError):
    """An assignment request that cannot be carried out (bad names, impossible overlap)."""


@dataclass(frozen=True)
class DynamicQueue:
    """Dynamic mode: each document goes to ``overlap`` annotators, taken one at a time; a document
    taken but untouched for ``lease_seconds`` returns to the pool."""

    overlap: int
    lease_seconds: float

    def to_setting(self) -> str:
        return json.dumps({"mode": "dynamic", "overlap": self.overlap, "lease_seconds": self.lease_seconds},
                          sort_keys=True)

    @staticmethod
    def from_setting(value: str | None) -> DynamicQueue | None:
        """The stored setting, or None (no dynamic mode) when absent or not one we understand."""
        if value is None:
            return None
        try:
            data = json.loads(value)
            overlap, lease = data["overlap"], data["lease_seconds"]
        except (ValueError, TypeError, KeyError):
            return None
        if data.get("mode") != "dynamic" or not isinstance(overlap, int) or isinstance(overlap, bool) \
                or overlap < 1 or not isinstance(lease, (int, float)) or isinstance(lease, bool) or lease < 0:
            return None
        return DynamicQueue(overlap, float(lease))


def check_team(annotators: Sequence[str], overlap: int) -> list[str]:
    """The team's names, checked: each a valid id, none twice, at least ``overlap`` of them."""
    names: list[str] = []
    for name in annotators:
        problem = id_problem(name, "annotator name")
        if problem:
            raise AssignmentError(problem)
        if name in names:
            raise AssignmentError(f"annotator {name!r} is named twice in --annotators")
        names.append(name)
    if overlap < 1:
        raise AssignmentError(f"--overlap must be at least 1, not {overlap}")
    if not names:
        raise AssignmentError("--annotators names nobody: give at least one name (a,b,c)")
    if overlap > len(names):
        raise AssignmentError(f"--overlap {overlap} needs at least {overlap} annotators, but --annotators names "
                              f"{len(names)}: each document must go to {overlap} different people")
    return names


def deal(doc_ids: Sequence[str], annotators: Sequence[str], overlap: int,
         existing: Mapping[str, Sequence[str]], seed: int) -> list[tuple[str, str]]:
    """New (document, annotator) pairs so that each of ``doc_ids`` has ``overlap`` different annotators.

    ``existing`` (every document's current annotators, for all documents) is kept:
    a document only gets the places it lacks, and the team's loads count what each
    already has, so dealing again keeps loads within one of each other. Each place
    goes to the least-loaded annotator not yet on the document; ties are broken by
    a draw from ``seed``, fresh for each document, so pairs vary (useful for
    agreement) and the same inputs and seed always give the same result, whatever
    the order of ``annotators``. Partly assigned documents are dealt first: they
    constrain the choice, and fresh documents then even out the loads.
    """
    team = sorted(check_team(annotators, overlap))
    load = {name: 0 for name in team}
    for names in existing.values():
        for name in names:
            if name in load:
                load[name] += 1
    wanted = list(dict.fromkeys(doc_ids))
    wanted.sort(key=lambda d: 0 if existing.get(d) else 1)  # stable: partly assigned first, else in order
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for doc_id in wanted:
        have = set(existing.get(doc_id, ()))
        need = overlap - len(have)
        if need <= 0:
            continue
        draw = {name: rng.random() for name in team}
        candidates = sorted((n for n in team if n not in have), key=lambda n: (load[n], draw[n]))
        for name in candidates[:need]:
            pairs.append((doc_id, name))
            load[name] += 1
    return pairs


def loads(assignments: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many documents each annotator has."""
    out: dict[str, int] = {}
    for names in assignments.values():
        for name in names:
            out[name] = out.get(name, 0) + 1
    return out
