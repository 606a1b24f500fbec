"""The report as a person reads it (a table of lines) and as a spreadsheet reads it (CSV rows).

Both are drawn from the JSON-ready report, so the three formats cannot disagree. The lines
quote annotator names, labels and document ids from the store: the caller prints them
through ``annotator.console`` (``say`` / ``message_safe``), which escapes control characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CSV_HEADER = ("section", "measure", "scope", "name", "value", "items", "why")
_SCOPES = {"per_label": "label", "pairs": "pair", "per_document": "document", "annotators": "annotator"}


def is_figure(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "items" in node


def csv_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """One row per figure: where it sits (section, measure, scope, name), value, items, why."""
    yield CSV_HEADER

    def walk(node: Any, section: str, measure: list[str], scope: str, name: str) -> Iterator[tuple[Any, ...]]:
        if is_figure(node):
            value = node["value"]
            yield (section, ".".join(measure), scope, name, "" if value is None else repr(float(value)),
                   node["items"], node.get("why", ""))
        if not isinstance(node, dict):
            return
        for key, sub in node.items():
            if key in _SCOPES and isinstance(sub, dict):
                for item_name, item in sub.items():
                    yield from walk(item, section, measure, _SCOPES[key], item_name)
            elif isinstance(sub, dict):
                yield from walk(sub, section, [*measure, key], scope, name)

    for section in ("entities", "claims", "document_attributes", "against"):
        if section in report:
            yield from walk(report[section], section, [], "overall", "")


def _num(fig: dict[str, Any] | None) -> str:
    if not fig:
        return "—"
    if fig.get("value") is None:
        return f"n/a (n={fig.get('items', 0)})"
    return f"{fig['value']:.3f} (n={fig['items']})"


def _row(name: str, cells: list[str], width: int) -> str:
    return "    " + name.ljust(width) + "  " + "  ".join(c.ljust(18) for c in cells)


def table_lines(report: dict[str, Any]) -> Iterator[str]:
    """The readable report: one figure per cell as ``value (n=items)``, ``n/a`` where undefined."""
    names = report["annotators"]
    yield (f"agreement between {len(names)} annotator(s): {', '.join(names) or 'none'}; "
           f"{len(report['documents'])} document(s), {len(report['group_documents'])} counted by all")
    against = report.get("against")
    if against:
        yield ""
        yield f"against the reference {against['reference']} (precision / recall / F1)"
        for name, entry in against["annotators"].items():
            yield f"  {name} ({entry['documents']} document(s))"
            for what in ("entities", "claims"):
                for mode in ("exact", "overlap"):
                    s = entry[what][mode]
                    yield (f"    {what}, {mode}: P {_num(s['precision'])}  R {_num(s['recall'])}  "
                           f"F1 {_num(s['f1'])}")
    ent = report["entities"]
    yield ""
    yield "entities"
    yield f"  span F1, exact:   {_num(ent['f1_exact']['micro'])}"
    yield f"  span F1, overlap: {_num(ent['f1_overlap']['micro'])}"
    yield f"  u-alpha:          {_num(ent['alpha_u']['overall'])}"
    kt = ent["kappa_tokens"]
    yield f"  token kappa ({kt.get('measure', 'kappa')}): {_num(kt)}"
    labels = list(ent["f1_exact"]["per_label"])
    if labels:
        width = max(len(x) for x in labels + ["label"])
        yield "  per label"
        yield _row("label", ["F1 exact", "F1 overlap", "u-alpha"], width)
        for lab in labels:
            if not ent["f1_exact"]["per_label"][lab]["items"]:
                continue  # a schema label nobody used
            yield _row(lab, [_num(ent["f1_exact"]["per_label"][lab]), _num(ent["f1_overlap"]["per_label"][lab]),
                             _num(ent["alpha_u"]["per_label"].get(lab))], width)
    pairs = list(ent["f1_exact"]["pairs"])
    if pairs:
        width = max(len(x) for x in pairs + ["pair"])
        yield "  per annotator pair"
        yield _row("pair", ["F1 exact", "F1 overlap", "u-alpha", "token kappa"], width)
        for pair in pairs:
            yield _row(pair, [_num(ent["f1_exact"]["pairs"][pair]), _num(ent["f1_overlap"]["pairs"][pair]),
                              _num(ent["alpha_u"]["pairs"][pair]), _num(kt["pairs"][pair])], width)
    docs = list(ent["f1_exact"]["per_document"])
    if docs:
        width = max(len(x) for x in docs + ["document"])
        yield "  per document"
        yield _row("document", ["F1 exact", "F1 overlap", "u-alpha", "token kappa"], width)
        for doc in docs:
            yield _row(doc, [_num(ent["f1_exact"]["per_document"][doc]),
                             _num(ent["f1_overlap"]["per_document"][doc]),
                             _num(ent["alpha_u"]["per_document"].get(doc)),
                             _num(kt["per_document"].get(doc))], width)
    cl = report["claims"]
    yield ""
    yield "claims"
    yield f"  span F1, exact:   {_num(cl['f1_exact']['micro'])}"
    yield f"  span F1, overlap: {_num(cl['f1_overlap']['micro'])}"
    yield (f"  same claimer:     {_num(cl['claimer']['agreement'])} (exact matches), "
           f"{_num(cl['claimer']['agreement_overlap'])} (overlap matches)")
    for key, entry in cl["attributes"].items():
        yield (f"  {key} ({entry['level']}): alpha {_num(entry['alpha'])}, kappa {_num(entry['kappa'])}; "
               f"overlap matches: alpha {_num(entry['overlap']['alpha'])}, kappa {_num(entry['overlap']['kappa'])}")
    yield ""
    yield "document attributes"
    for key, entry in report["document_attributes"].items():
        yield f"  {key} ({entry['level']}): alpha {_num(entry['alpha'])}, kappa {_num(entry['kappa'])}"
    if report["diagnostics"]:
        yield ""
        yield "diagnostics"
        for d in report["diagnostics"]:
            yield f"  ! {d['message']}"
