"""Recommenders: proposals of entities and claims that an annotator accepts or rejects (issue 13).

Pure (no Textual): the contract and registry (``base``), turning proposals into
pre-annotations and the operations on them (``apply``), and the built-ins, each loaded
only when asked for by name: ``string-match`` (``learned``), ``patterns``, ``claim-cues``
(``claims`` + ``claim_cues.yaml``) and ``camel-ner``. docs/recommenders.md says how the
app and ``annotator pre-annotate`` use them.
"""

from annotator.recommend.apply import (
    accept_operation,
    fit_proposals,
    next_proposal,
    proposals_in,
    proposals_operation,
    recommender_of,
    reject_operation,
)
from annotator.recommend.base import (
    BUILTIN,
    ENTRY_POINT_GROUP,
    Proposal,
    RecommendContext,
    Recommender,
    RecommenderUnavailable,
    get_recommender,
    recommender_names,
)

__all__ = [
    "BUILTIN", "ENTRY_POINT_GROUP", "Proposal", "RecommendContext", "Recommender", "RecommenderUnavailable",
    "get_recommender", "recommender_names", "fit_proposals", "proposals_operation", "accept_operation",
    "reject_operation", "next_proposal", "proposals_in", "recommender_of",
]
