"""How good is the learned string matcher (``string-match``) on real labelled Arabic?

For ANERcorp (CAMeL test split, first 100 sentences) and Wojood (the public sample: the first
150 training sentences and the 158 validation sentences), read with the project's own CoNLL
reader (each sentence is a document): the labels of the first half of the documents teach the
matcher, and its proposals on the second half (fitted to the schema's overlap rules as in the
app, starting from no labels) are scored against the gold labels there: precision, recall and
F1 per label and overall, exact span and label; and overall once more scoring each proposal
from the start of its token ("whole-token"), because these corpora label whole tokens
(``والأردن``) where the matcher leaves the proclitic out (``الأردن``). Usage::

    .venv/bin/python bench/bench_recommend.py [--data ../shared/data] [--json]

Figures and discussion: docs/recommenders.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.formats.base import ReadContext  # noqa: E402
from annotator.formats.conll import ConllFormat  # noqa: E402
from annotator.model.annotations import Annotations, Document  # noqa: E402
from annotator.recommend.apply import fit_proposals  # noqa: E402
from annotator.recommend.learned import StringMatch  # noqa: E402
from annotator.schema.model import EntityLabel, Schema  # noqa: E402

CORPORA = {
    "ANERcorp": ["ner_anercorp_camel/ANERcorp_test_original_first100sent.txt"],
    "Wojood": ["ner_wojood/wojood_train_first150sent.txt", "ner_wojood/wojood_val.txt"],
}


def read_corpus(data: Path, files: list[str]) -> list[tuple[Document, Annotations]]:
    """Every sentence of ``files`` as (document, gold labels), in file order."""
    fmt = ConllFormat()
    out = []
    for name in files:
        ctx = ReadContext()
        for rec in fmt.read(data / name, ctx):
            ann = rec.annotations or Annotations(rec.document.id, None)
            # the corpus's labels are a person's, not pre-annotations: they teach
            gold = tuple(replace(e, source=None) for e in ann.entities)
            out.append((rec.document, ann.with_(annotator="gold", entities=gold)))
    return out


def schema_for(docs: list[tuple[Document, Annotations]]) -> Schema:
    """A schema with the corpus's labels, nesting allowed only when the corpus nests (Wojood does,
    ANERcorp does not), crossing refused: what a project labelling that corpus would use."""
    labels = sorted({e.label for _, ann in docs for e in ann.entities})
    nests = any(a.start <= b.start and b.end <= a.end
                for _, ann in docs for a in ann.entities for b in ann.entities if a is not b)
    return Schema("bench", "1", labels=tuple(EntityLabel(k, k, k, "red", "") for k in labels),
                  allow_overlap=False, allow_nesting=nests)


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def evaluate(docs: list[tuple[Document, Annotations]]) -> dict:
    half = len(docs) // 2
    teach, test = docs[:half], docs[half:]
    schema = schema_for(docs)
    matcher = StringMatch()
    t0 = time.perf_counter()
    for doc, ann in teach:
        matcher.observe(doc, ann)
    learn_s = time.perf_counter() - t0
    counts = {how: (Counter(), Counter(), Counter()) for how in ("exact", "whole-token")}
    t0 = time.perf_counter()
    for doc, gold in test:
        empty = Annotations(doc.id, "bench")
        proposed = fit_proposals(matcher.matches(doc.text), empty, doc.text, schema)
        want = {(e.start, e.end, e.label) for e in gold.entities}
        exact = {(p.start, p.end, p.label) for p in proposed}
        # the corpora label whole tokens (والأردن); the project leaves a proclitic out of the span
        # (الأردن): "whole-token" scores a proposal from the start of its token
        whole = {(doc.text.rfind(" ", 0, p.start) + 1, p.end, p.label) for p in proposed}
        for how, got in (("exact", exact), ("whole-token", whole)):
            tp, fp, fn = counts[how]
            tp.update(label for _, _, label in got & want)
            fp.update(label for _, _, label in got - want)
            fn.update(label for _, _, label in want - got)
    propose_s = time.perf_counter() - t0
    tp, fp, fn = counts["exact"]
    labels = sorted(set(tp) | set(fp) | set(fn))
    wtp, wfp, wfn = counts["whole-token"]
    return {
        "documents": {"teach": len(teach), "test": len(test)},
        "nesting": schema.allow_nesting,
        "learned_keys": len(matcher.lexicon),
        "gold_in_test": sum(len(g.entities) for _, g in test),
        "per_label": {label: prf(tp[label], fp[label], fn[label]) for label in labels},
        "overall": prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "overall_whole_token": prf(sum(wtp.values()), sum(wfp.values()), sum(wfn.values())),
        "seconds": {"learn": round(learn_s, 3), "propose": round(propose_s, 3)},
    }


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{100 * x:5.1f}"


def show(name: str, result: dict) -> None:
    d = result["documents"]
    print(f"\n{name} (nesting {'allowed' if result['nesting'] else 'refused'}): taught by {d['teach']} documents ({result['learned_keys']} distinct spans), "
          f"scored on {d['test']} ({result['gold_in_test']} gold entities); "
          f"learn {result['seconds']['learn']} s, propose {result['seconds']['propose']} s")
    print(f"  {'label':<10} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    rows = [*result["per_label"].items(), ("overall", result["overall"]),
            ("whole-token", result["overall_whole_token"])]
    for label, m in rows:
        print(f"  {label:<10} {_pct(m['precision']):>6} {_pct(m['recall']):>6} {_pct(m['f1']):>6} "
              f"{m['tp']:>5} {m['fp']:>5} {m['fn']:>5}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="the shared data folder")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"bench_recommend: no data folder at {data} (give --data)", file=sys.stderr)
        return 2
    results = {name: evaluate(read_corpus(data, files)) for name, files in CORPORA.items()}
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        for name, result in results.items():
            show(name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
