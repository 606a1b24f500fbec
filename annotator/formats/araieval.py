"""ArAIEval 2024 Task 1 JSONL: ``{id, text, labels: [{start, end, technique, text}], type}``.

Offsets are UTF-16 code units (they differ from ours after an emoji) and ``end`` is
exclusive. Every span is checked against its own ``text``: some spans in the
published data are shifted 3–19 characters from where their text occurs. A shifted
span is reported; without ``--repair`` it is imported at the offsets given (the
data as published), with ``--repair`` it moves to the nearest exact occurrence of
its text (counted as a repair). Labels are the technique names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._io import readable_name
from annotator.formats._records import IdMaker, JsonLinesFormat, import_meta, in_key_order
from annotator.formats._stored import ANY, INT, KEY_ORDER, Shape, Stored, list_of, written
from annotator.formats.base import ReadContext, Record, WriteContext
from annotator.formats.offsets import Utf16Offsets
from annotator.model.annotations import Annotations, Document, Entity

NAME = "araieval"


def nearest_occurrence(text: str, needle: str, near: int) -> int | None:
    """Start of the occurrence of ``needle`` in ``text`` closest to offset ``near`` (the earlier
    one on a tie). Two searches outward from ``near``, not a walk over every occurrence: a
    short text that occurs thousands of times costs no more than a rare one."""
    if not needle:
        return None
    near = max(0, min(near, len(text)))
    before = text.rfind(needle, 0, near + len(needle) - 1)  # the last start < near
    after = text.find(needle, near)  # the first start >= near
    if before == -1:
        return None if after == -1 else after
    if after == -1 or near - before <= after - near:
        return before
    return after


class AraievalFormat(JsonLinesFormat):
    name = NAME
    description = "ArAIEval 2024 propaganda spans JSONL (UTF-16 offsets, checked against span text)"
    signature = "JSON lines with text and labels [{start, end, technique}]"
    record_keys = frozenset({"id", "text", "labels", "type"})

    def looks_like(self, first: dict[str, Any]) -> bool:
        return isinstance(first.get("labels"), list) and (
            "type" in first or any(isinstance(x, dict) and "technique" in x for x in first["labels"]))

    def build(self, obj: dict[str, Any], text: str, path: Path, line: int, ctx: ReadContext) -> Record:
        doc_id = str(obj.get("id", f"{readable_name(path.stem)}:{line}"))
        conv = Utf16Offsets(text)
        new_id = IdMaker("e")
        entities = []
        labels = obj.get("labels") or []
        differing = []  # spans kept where the file put them although their text differs: keep that text too
        for k, lab in enumerate(labels if isinstance(labels, list) else []):
            span = self._span(lab, k, conv, path, line, ctx)
            if span is not None:
                entities.append(Entity(new_id(), *span))
                if lab.get("text") != text[span[0]:span[1]]:
                    differing.append([span[0], span[1], span[2], lab.get("text")])
        extra = {k: v for k, v in obj.items() if k not in ("text", "labels")}
        if differing:
            extra["differing_text"] = differing
        extra["key_order"] = list(obj)
        extra["label_keys"] = [list(lab) for lab in labels if isinstance(lab, dict)][:1]
        doc = Document(doc_id, text, import_meta(NAME, path, line, extra))
        return Record(doc, Annotations(doc_id=doc_id, annotator=None, entities=tuple(entities)), line)

    @staticmethod
    def _span(lab: Any, k: int, conv: Utf16Offsets, path: Path, line: int,
              ctx: ReadContext) -> tuple[int, int, str] | None:
        what = f"label {k + 1}"
        if not isinstance(lab, dict) or not isinstance(lab.get("technique"), str):
            ctx.report(path, line, f"{what} has no technique; not imported")
            return None
        technique, given = lab["technique"], lab.get("text")
        start_u, end_u = lab.get("start"), lab.get("end")
        start = conv.to_codepoint(start_u) if isinstance(start_u, int) else None
        end = conv.to_codepoint(end_u) if isinstance(end_u, int) else None
        offsets = (start, end) if start is not None and end is not None and start < end else None
        if offsets is not None and (not isinstance(given, str) or conv.text[start:end] == given):
            return offsets[0], offsets[1], technique
        found = nearest_occurrence(conv.text, given, start or 0) if isinstance(given, str) and given else None
        where = f"UTF-16 [{start_u},{end_u})"
        if offsets is not None:
            problem = f"{what} ({technique}) at {where} reads {conv.text[start:end]!r}, not its text {given!r}"
        else:
            problem = f"{what} ({technique}): offsets {where} are not valid in the text"
        if ctx.repair and found is not None and isinstance(given, str):
            ctx.report(path, line, f"{problem}: moved to its nearest exact occurrence [{found},"
                       f"{found + len(given)})", repaired=True)
            return found, found + len(given), technique
        if offsets is not None:
            hint = " (--repair moves it to its text)" if found is not None else " (its text does not occur)"
            ctx.report(path, line, f"{problem}; imported at the offsets given{hint}", note=True)
            return offsets[0], offsets[1], technique
        ctx.report(path, line, f"{problem}; not imported")
        return None

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        for rec in records:
            line = written(lambda r: self.line(r, ctx), rec, ctx, NAME)
            if line is not None:
                out.write(line)

    def line(self, rec: Record, ctx: WriteContext) -> str:
        doc, ann = rec.document, rec.annotations
        ex = Stored(doc, NAME, ctx)
        order = ex.take("key_order", KEY_ORDER, ["id", "text", "labels", "type"])
        label_keys = (ex.take("label_keys", list_of(KEY_ORDER), None) or [["start", "end", "technique", "text"]])[0]
        conv = Utf16Offsets(doc.text)
        differing = {(s, e, label): given for s, e, label, given in ex.take("differing_text", _DIFFERING, [])}
        labels = []
        for e in (ann.entities if ann else ()):
            item = {"start": conv.to_utf16(e.start), "end": conv.to_utf16(e.end), "technique": e.label,
                    "text": differing.get((e.start, e.end, e.label), doc.text[e.start:e.end])}
            labels.append({k: item[k] for k in [*label_keys, *item] if k in item})
        if ann and ann.claims:
            ctx.report(ctx.target, None, f"document {doc.id!r}: {len(ann.claims)} claim(s) not written "
                       "(ArAIEval holds technique spans only)")
        kept_id = ex.get("id", ANY)  # the file's own id (a number stays a number) while it is still ours
        obj: dict[str, Any] = {**ex.rest(), "id": kept_id if kept_id is not None and str(kept_id) == doc.id else doc.id,
                               "text": doc.text, "labels": labels}  # stored keys never override ours
        return json.dumps(in_key_order(obj, order), ensure_ascii=False) + "\n"


# spans an import kept where the file put them although their text differed: [start, end, technique, text]
_DIFFERING = list_of(Shape(lambda v: isinstance(v, list) and len(v) == 4 and INT.fits(v[0]) and INT.fits(v[1])
                           and isinstance(v[2], str), "[start, end, technique, text]"))
