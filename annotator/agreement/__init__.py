"""Agreement between annotators: span F1, Krippendorff's α (coding and unitizing), Cohen's and
Fleiss' κ, for entities, claims and document attributes (``annotator agreement``).

``measures``: the formulas on plain values; ``report``: what a store's annotators agree on,
as one JSON-ready dict; ``output``: that dict as table lines and CSV rows. No Textual here.
Definitions, matching rules and the published values the tests check: docs/agreement.md.
"""

from annotator.agreement.report import Corpus, agreement_report, collect

__all__ = ["Corpus", "agreement_report", "collect"]
