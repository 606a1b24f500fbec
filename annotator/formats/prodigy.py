"""Prodigy JSONL: ``ner.manual`` / ``spans.manual`` answers (and ``rel.manual`` relations).

One task per line: ``text``, ``tokens``, ``spans`` (``start``/``end`` in code
points, ``token_start``/``token_end`` inclusive), ``answer``, hashes and
``_annotator_id``. Claims are spans labelled ``CLAIM`` whose attributes ride in
an ``attributes`` key of the span; the claimer is a ``rel.manual`` relation
``CLAIMED_BY`` from the claim (head) to the claimer (child); the mentions of one identity
(``Entity.identity``) are ``same-as`` relations from each later mention (head) to the first one
(child), as doccano and Label Studio write them. Document notes and
attributes go in top-level ``notes`` / ``attributes`` keys, the document id in
``meta.doc_id``.

``answer`` ↔ status: accept ↔ done, ignore ↔ skipped, reject ↔ flagged; a
document still to do is written without an answer.

Hashes, when the task did not come from Prodigy with its own: ``_input_hash`` is
the first 4 bytes of sha256(text as UTF-8) read as a signed big-endian int;
``_task_hash`` the same over the text, a NUL, and the spans as compact sorted JSON.

Long because a task's token list (an object per token, most of the line) is written two ways that must
agree byte for byte: from a kept token table by a few C calls a document (``_OurTokens.json_bytes``), and
a slice at a time for everything else (``write_json``), with the pieces each takes.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from operator import add, itemgetter, ne
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._json import (
    ENCODE,
    ESCAPED_BYTES,
    INT_SLOT,
    SPLICED_AT_MOST,
    STR_SLOT,
    Raw,
    encode_spliced,
    json_str,
    json_utf8,
    writer,
)
from annotator.formats._lines import ByteLines
from annotator.formats._records import (
    IDENTITY_RELATION,
    JsonLinesFormat,
    Kept,
    identity_relations,
    import_meta,
    is_claimer_relation,
    is_identity_relation,
    keep_foreign_keys,
)
from annotator.formats._spans import SpanCollector, TokenTable, kept_tokens, read_span, token_table
from annotator.formats._stored import shown, written
from annotator.formats.base import ReadContext, Record, WriteContext
from annotator.model.annotations import Annotations, Claim, Document, Entity, identities_of, with_identities

NAME = "prodigy"
CLAIM_LABEL = "CLAIM"
CLAIMER_LABEL = "CLAIMED_BY"
_STATUS_OF_ANSWER = {"accept": "done", "ignore": "skipped", "reject": "flagged"}
_ANSWER_OF_STATUS = {v: k for k, v in _STATUS_OF_ANSWER.items()}
# keys we turn into our model; every other key is kept as it was for export
_MODEL_KEYS = ("text", "spans", "relations", "meta", "notes", "attributes")


def hash32(*parts: str) -> int:
    return _int32(hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).digest())


def _int32(digest: bytes) -> int:
    """A hash as Prodigy keeps it: the digest's first 4 bytes, a signed big-endian int."""
    return int.from_bytes(digest[:4], "big", signed=True)


class ProdigyFormat(JsonLinesFormat):
    name = NAME
    uses_tokens = True
    description = "Prodigy JSONL (ner.manual / spans.manual answers, rel.manual relations)"
    signature = "JSON lines with text and spans/tokens/_input_hash"
    record_keys = frozenset({*_MODEL_KEYS, "id", "answer", "tokens", "_annotator_id", "_session_id",
                             "_input_hash", "_task_hash", "_view_id"})
    holds_identities = True  # same-as relations

    def looks_like(self, first: dict[str, Any]) -> bool:
        return any(k in first for k in ("_input_hash", "_task_hash", "tokens", "spans", "_view_id"))

    def build(self, obj: dict[str, Any], text: str, path: Path, line: int, ctx: ReadContext) -> Record | None:
        meta: dict[str, Any] = obj["meta"] if isinstance(obj.get("meta"), dict) else {}
        extra = keep_foreign_keys(obj, _MODEL_KEYS)
        doc_id = meta.get("doc_id") or obj.get("id")
        if doc_id is None:
            doc_id, extra["derived_id"] = f"{path.stem}:{line}", True
        doc_id = str(doc_id)
        found = SpanCollector(ctx)
        spans = obj.get("spans") or []
        if not isinstance(spans, list):
            ctx.reject(path, line, "\"spans\" is not a list; not imported")
            return None
        for k, sp in enumerate(spans):
            got = read_span(sp, text, "start", "end", "label", ctx, path, line, f"span {k + 1}")
            if got is None:
                continue
            found.add(sp, *got)
        entities, claims = _read_relations(obj.get("relations"), found.entities, found.claims, path, line, ctx)
        answer: Any = obj.get("answer")
        status = _STATUS_OF_ANSWER.get(answer, "todo")
        annotator = obj.get("_annotator_id") or obj.get("_session_id")
        ann = Annotations(
            doc_id=doc_id, annotator=str(annotator) if annotator is not None else None, status=status,
            notes=str(obj.get("notes") or ""), entities=tuple(entities), claims=tuple(claims),
            attributes=dict(obj["attributes"]) if isinstance(obj.get("attributes"), dict) else {},
        )
        doc_meta = {k: v for k, v in meta.items() if k != "doc_id"}
        doc = Document(doc_id, text, import_meta(NAME, path, line, extra, doc_meta))
        return Record(doc, ann, line)

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        with ByteLines(out) as lines:  # a UTF-8 file or standard output: lines written as the bytes made
            for rec in records:
                task = written(lambda r: self.task(r, ctx), rec, ctx, NAME)
                if task is None:
                    continue
                line = _line_bytes(task) if lines.raw is not None else None
                if line is not None:  # the usual document
                    lines.add(line)
                else:  # a stream of text, a huge document: each line written as text at once
                    lines.text(partial(_write_text, task))

    def task(self, rec: Record, ctx: WriteContext) -> dict[str, Any]:
        doc, ann = rec.document, rec.annotations
        kept = Kept(doc, NAME, ctx)
        ex = kept.rest
        own = _kept_tokens(doc, ex.pop("tokens", None))
        tokens = _OurTokens.of(doc, rec.tokens, ctx) if own is None else own
        task: dict[str, Any] = {"text": doc.text, "tokens": tokens}
        if isinstance(tokens, _OurTokens):
            locate = tokens.locate
        else:
            edges = ({t["start"]: t["id"] for t in tokens}, {t["end"]: t["id"] for t in tokens})
            locate = lambda offset, last: (offset in edges[last],  # noqa: E731
                                           _token_at(tokens, edges[last], offset, last))

        def span(start: int, end: int, label: str) -> dict[str, Any]:
            (start_edge, token_start), (end_edge, token_end) = locate(start, False), locate(end, True)
            if not (start_edge and end_edge):
                ctx.report(ctx.target, None, f"document {doc.id!r}: {label} span [{start},{end}) does not fall "
                           "on token edges; token_start/token_end name the tokens holding it")
            return {"start": start, "end": end, "token_start": token_start, "token_end": token_end, "label": label}

        spans: list[dict[str, Any]] = []
        relations: list[dict[str, Any]] = []
        if ann is not None:
            span_of = {e.id: span(e.start, e.end, e.label) for e in ann.entities}  # each reported once
            spans = list(span_of.values())
            for c in ann.claims:
                sp = span(c.start, c.end, CLAIM_LABEL)
                if c.attributes:
                    sp["attributes"] = dict(c.attributes)
                spans.append(sp)
                if c.claimer in span_of:
                    relations.append(_relation({k: v for k, v in sp.items() if k != "attributes"},
                                               span_of[c.claimer], CLAIMER_LABEL))
            relations += [_relation(span_of[later], span_of[first], IDENTITY_RELATION)
                          for later, first in identity_relations(ann.entities)]
            spans.sort(key=lambda s: (s["start"], -s["end"], s["label"]))
        task["spans"] = spans
        if relations:
            task["relations"] = relations
        if ann is not None and ann.status in _ANSWER_OF_STATUS:
            task["answer"] = _ANSWER_OF_STATUS[ann.status]
        else:
            ex.pop("answer", None)
        digest = None  # sha256 of the text, made once for both hashes (hash32's bytes, in two steps)
        if "_input_hash" in ex:
            task["_input_hash"] = ex.pop("_input_hash")
        else:
            digest = hashlib.sha256(_utf8(doc.text, tokens))
            task["_input_hash"] = _int32(digest.digest())
        if "_task_hash" in ex:
            task["_task_hash"] = ex.pop("_task_hash")
        else:
            digest = digest or hashlib.sha256(_utf8(doc.text, tokens))
            compact = "[" + ",".join(map(_span_sorted, spans)) + "]"  # _SORTED_COMPACT(spans)
            digest.update(b"\0" + compact.encode("utf-8", "surrogatepass"))
            task["_task_hash"] = _int32(digest.digest())
        if ann is not None and ann.annotator:
            task["_annotator_id"] = ann.annotator
            ex.pop("_annotator_id", None)
        if ann is not None and ann.notes:
            task["notes"] = ann.notes
        if ann is not None and ann.attributes:
            task["attributes"] = dict(ann.attributes)
        return kept.finish(task, None if kept.derived_id else {"doc_id": doc.id})


def _line_bytes(task: dict[str, Any]) -> bytes | None:
    """The task's line as UTF-8 when its token JSON is made as bytes (``_OurTokens.json_bytes``), else None:
    the task encoded once with a mark in the places of its text, tokens and spans, and their JSON, made as
    bytes (``_json.json_utf8``, ``json_bytes``, ``_spans_json``), put in them. A lone surrogate raises (no UTF-8
    for it: the export says so)."""
    tokens = task["tokens"]
    if not isinstance(tokens, _OurTokens):
        return None
    body = tokens.json_bytes()  # first: a huge text (no kept table) is then encoded once, by _write_text
    if body is None:
        return None
    made = {"text": json_utf8(tokens.text, tokens.utf8()), "tokens": body,
            "spans": _spans_json(task["spans"]).encode("utf-8")}
    obj = {**task, "text": _PLACE, "tokens": _PLACE, "spans": _PLACE}
    parts = ENCODE(obj).split(_PLACE_JSON)
    if len(parts) != 4:  # a value of the task is the mark itself: written whole
        return None
    first, second, third = [made[key] for key in obj if key in made]  # in the task's key order
    return b"".join((parts[0].encode("utf-8"), first, parts[1].encode("utf-8"), second,
                     parts[2].encode("utf-8"), third, parts[3].encode("utf-8")))


def _utf8(text: str, tokens: Any) -> bytes:
    """The text as UTF-8, lone surrogates passed through (the hashes' bytes): made once for the hashes and
    the line when the tokens are ours (``_OurTokens.utf8``)."""
    return tokens.utf8() if isinstance(tokens, _OurTokens) else text.encode("utf-8", "surrogatepass")


def _spans_json(spans: list[dict[str, Any]]) -> str:
    """``ENCODE(spans)``: a format string a span (``_span_json``)."""
    return "[" + ", ".join(map(_span_json, spans)) + "]"


def _around_tokens(task: dict[str, Any]) -> tuple[str, str] | None:
    """The task's JSON before and after its tokens' place, or None when a value of the task is the mark."""
    parts = _task_json(task, _PLACE).split(_PLACE_JSON)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _write_text(task: dict[str, Any], out: TextIO) -> None:
    """The task's line written as text: our tokens a slice at a time in the place the task gives them (a
    huge document is never held as one line), or whole when a value of the task is the mark itself."""
    tokens = task["tokens"]
    if isinstance(tokens, _OurTokens):
        parts = _around_tokens(task)
        if parts is not None:
            out.write(parts[0])
            tokens.write_json(out)
            out.write(parts[1] + "\n")
            return
        task["tokens"] = tokens.dicts(0, len(tokens.starts))
    out.write(_task_json(task) + "\n")


def _task_json(task: dict[str, Any], tokens: str | None = None) -> str:
    """``ENCODE(task)``, its tokens replaced by ``tokens`` if given, its spans' JSON made by a format string
    each (``_span_json``) and spliced in (``_json.encode_spliced``; a text over the splice limit: whole)."""
    obj = {**task} if tokens is None else {**task, "tokens": tokens}
    if not task["spans"] or len(task["text"]) > SPLICED_AT_MOST:
        return ENCODE(obj)
    obj["spans"] = Raw(map(_span_json, task["spans"]))
    return encode_spliced(obj, [(obj, "spans")])


# json.dumps(…, sort_keys=True, separators=(",", ":")), its encoder made once (dumps makes one a call)
_SORTED_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
# a span's JSON (its keys in task order) and its compact sorted JSON for the task hash (``_json.writer``)
_SPAN_SHAPE = {"start": INT_SLOT, "end": INT_SLOT, "token_start": INT_SLOT, "token_end": INT_SLOT, "label": STR_SLOT}
_SPAN = writer(_SPAN_SHAPE)
_SPAN_SORTED = writer(dict(sorted(_SPAN_SHAPE.items())), _SORTED_COMPACT, json.encoder.encode_basestring_ascii,
                      (",", ":"))


def _span_json(sp: dict[str, Any]) -> str:
    """``ENCODE(sp)``: a format string for a span of the five usual keys (a dict the encoder walks costs
    several times more); any other (a claim's attributes) the encoder's."""
    if len(sp) != 5:
        return ENCODE(sp)
    return _SPAN(sp["start"], sp["end"], sp["token_start"], sp["token_end"], sp["label"])


def _span_sorted(sp: dict[str, Any]) -> str:
    """``_SORTED_COMPACT(sp)`` (keys sorted, no spaces, ASCII), the same way."""
    if len(sp) != 5:
        return _SORTED_COMPACT(sp)
    return _SPAN_SORTED(sp["end"], sp["label"], sp["start"], sp["token_end"], sp["token_start"])


def _relation(head: dict[str, Any], child: dict[str, Any], label: str) -> dict[str, Any]:
    """A ``rel.manual`` relation: ``head`` and ``child`` are the index of each span's last token."""
    return {"head": head["token_end"], "child": child["token_end"], "head_span": dict(head),
            "child_span": dict(child), "label": label}


def _read_relations(relations: Any, entities: list[Entity], claims: list[Claim], path: Path, line: int,
                    ctx: ReadContext) -> tuple[list[Entity], list[Claim]]:
    """The task's ``rel.manual`` relations read into our model: ``CLAIMED_BY`` (any claimer name) sets a
    claim's claimer, ``same-as`` makes two mentions one identity (linked groups merge). Spans are
    found by their offsets (and label, when two spans share offsets). A relation of another label,
    of another shape, or naming a span the task does not have is reported and left out."""
    if relations is None or relations == []:
        return entities, claims
    if not isinstance(relations, list):
        ctx.report(path, line, "\"relations\" is not a list; not imported")
        return entities, claims
    claim_at = {(c.start, c.end): i for i, c in enumerate(claims)}
    entity_at: dict[tuple[Any, ...], str] = {}
    for e in reversed(entities):  # the first of several spans at the same offsets wins
        entity_at[(e.start, e.end)] = entity_at[(e.start, e.end, e.label)] = e.id

    def offsets(sp: Any) -> tuple[int, int] | None:
        start, end = (sp.get("start"), sp.get("end")) if isinstance(sp, dict) else (None, None)
        if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) \
                and not isinstance(end, bool):
            return start, end
        return None

    def entity(sp: Any) -> str | None:
        key = offsets(sp)
        if key is None:
            return None
        label = sp.get("label")
        return (entity_at.get((*key, label)) if isinstance(label, str) else None) or entity_at.get(key)

    same: list[tuple[str, str]] = []
    for k, rel in enumerate(relations):
        label = rel.get("label") if isinstance(rel, dict) else None
        if not isinstance(rel, dict):
            ctx.report(path, line, f"relation {k + 1} is not an object; not imported")
        elif isinstance(label, str) and is_identity_relation(label):
            head, child = entity(rel.get("head_span")), entity(rel.get("child_span"))
            if head is None or child is None or head == child:
                ctx.report(path, line, f"relation {k + 1} ({label}) does not join two entities of the task "
                           f"(head_span {_shown_span(rel.get('head_span'))}, child_span "
                           f"{_shown_span(rel.get('child_span'))}); not imported")
            else:
                same.append((head, child))
        elif not isinstance(label, str) or not is_claimer_relation(label):
            ctx.report(path, line, f"relation {k + 1} ({label!r}) is not a claimer or same-as link; not imported")
        else:
            at = offsets(rel.get("head_span"))
            ci = claim_at.get(at) if at is not None else None
            ei = entity(rel.get("child_span"))
            if ci is None or ei is None:
                ctx.report(path, line, f"relation {k + 1} ({label}) does not join a claim to an entity; "
                           "not imported")
                continue
            claims[ci] = Claim(claims[ci].id, claims[ci].start, claims[ci].end, claims[ci].attributes, ei)
    return with_identities(entities, identities_of(same)), claims


def _shown_span(sp: Any) -> str:
    """A relation's span as a problem message names it: its offsets and label, or what it was instead."""
    def plain(value: Any, limit: int) -> str:
        as_is = isinstance(value, int) or (isinstance(value, str) and len(value) <= limit)
        return repr(value) if as_is else shown(value, limit)

    if isinstance(sp, dict):
        return f"[{plain(sp.get('start'), 12)},{plain(sp.get('end'), 12)}) {plain(sp.get('label'), 30)}"
    return "missing" if sp is None else shown(sp, 30)


def _kept_tokens(doc: Document, kept: Any) -> list[dict[str, Any]] | None:
    """The task's own tokens if it had some and they still fit the text (else ours are used)."""
    if isinstance(kept, list) and all(
        isinstance(t, dict) and isinstance(t.get("start"), int) and isinstance(t.get("end"), int)
        and isinstance(t.get("id"), int) and doc.text[t["start"]:t["end"]] == t.get("text") for t in kept
    ):
        return kept
    return None


_PLACE = "\x00tokens\x00"  # where our text, tokens and spans go in a task's JSON (held as a value: written whole)
_PLACE_JSON = ENCODE(_PLACE)
_SLICE = 4096  # tokens made into dicts and encoded at a time


class _OurTokens:
    """Our tokenizer's tokens of a text (``annotator.text.tokenize``) as two integer arrays, with Prodigy's
    token ids (their index): one huge document is never held as a dict per token."""

    def __init__(self, text: str, kept: tuple[TokenTable, str] | None = None, touching: str = " ") -> None:
        """``kept``: the token table the store kept for the text, with its tokens joined by spaces and its
        runs that touch by ``touching`` (``_spans.kept_tokens``): then nothing is tokenized, and the JSON is
        made from the table (``json_bytes``, or ``write_json``'s slices for what that declines)."""
        self.text = text
        self.kept = kept
        self.touching = touching
        self._utf8: bytes | None = None
        self.starts: Sequence[int]
        self.ends: Sequence[int]
        if kept is not None:  # as lists: bisecting and picking pieces make no integer a step (about 3% fewer)
            self.starts, self.ends = _listed(kept[0].starts), _listed(kept[0].ends)
            return
        self.starts, self.ends, _ = token_table(text)

    @classmethod
    def of(cls, doc: Document, blob: bytes | None, ctx: WriteContext) -> _OurTokens:
        """Our tokens of ``doc``: from the table the store kept (``blob``), its runs that touch joined by DEL
        (``_TOUCHING``) unless the text holds one, else tokenized."""
        touching = " " if _TOUCHING in doc.text else _TOUCHING
        return cls(doc.text, kept_tokens(doc, blob, ctx, touching=touching), touching)

    def utf8(self) -> bytes:
        """The text as UTF-8, lone surrogates passed through (made once: for the hashes and the line)."""
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8", "surrogatepass")
        return self._utf8

    def escaped(self) -> list[str] | None:
        """The token texts, JSON-escaped, from a kept table: one ``json_str`` of its joined tokens and one
        ``split`` (escaping is per character and never makes or touches a space, so the escaped tokens
        are the pieces of the escaped whole); None without one (or when the pieces do not fit)."""
        if self.kept is None:
            return None
        joined = self.kept[1] if self.touching == " " else self.kept[1].replace(self.touching, " ")
        escaped = json_str(joined)[1:-1].split(" ") if joined else []
        return escaped if len(escaped) == len(self.starts) else None

    def json_bytes(self) -> bytes | None:
        """The JSON list of the token dicts as UTF-8 (``write_json``'s text, lone surrogates passed through),
        made from a kept table by a few C calls a document and none per token: None for what it does not
        do (no kept table, a DEL in the text, offsets or ids past the number tables) and ``write_json`` does.

        The kept tokens come one space apart where white space follows a token and DEL apart where nothing
        does (``_spans.spaced``), as UTF-8; escaped by one ``json_str`` when they hold anything JSON escapes
        (else they are their own JSON): escaping is per character, never makes a space or a DEL, and never
        touches one (tokens hold no white space), so each space is still a token followed by white space
        and each DEL one that is not. Two ``replace`` calls turn them into what lies between two tokens'
        texts (``ws`` and the next dict's opening) and a NUL, and one ``split`` at the NULs gives each
        token's text with what goes before it. The numbers are pieces made once (``_byte_pieces``),
        picked by ``itemgetter`` (one C call for all tokens), and the four lists are laid side by side by
        slice assignment and joined once."""
        if self.kept is None or self.touching == " ":
            return None
        joined = self.kept[1]
        text, starts, ends = self.text, self.starts, self.ends
        n = len(starts)
        if not n:
            return b"[]"
        start_of, end_of, id_of = _byte_pieces(_TABLE)
        if n > len(id_of) or ends[-1] >= len(end_of):
            return None
        escaped = joined.encode("utf-8", "surrogatepass")
        if len(escaped.translate(None, ESCAPED_BYTES)) != len(escaped):  # something to escape: " \ or a control
            escaped = json_str(joined)[1:-1].encode("utf-8", "surrogatepass")
        texts = escaped.replace(b" ", _THEN_WS).replace(_TOUCHING_B, _THEN_NO_WS).split(b"\0")
        if len(texts) != n:
            return None
        texts[0] = _FIRST_B + texts[0]
        pieces: list[bytes | None] = [None] * (4 * n + 1)
        pieces[0:-1:4] = texts
        pieces[1::4] = itemgetter(*starts)(start_of) if n > 1 else [start_of[starts[0]]]  # one: not a tuple
        pieces[2::4] = itemgetter(*ends)(end_of) if n > 1 else [end_of[ends[0]]]
        pieces[3::4] = id_of[:n]
        pieces[-1] = _LAST_B[text[ends[-1]:ends[-1] + 1].isspace()]
        return b"".join(pieces)  # type: ignore[arg-type]

    def locate(self, offset: int, last: bool) -> tuple[bool, int]:
        """Whether ``offset`` is a token start (an end, when ``last``), and the index of that token, else of
        the token holding that character."""
        edges = self.ends if last else self.starts
        i = bisect_left(edges, offset)
        if i < len(edges) and edges[i] == offset:
            return True, i
        probe = offset - 1 if last else offset
        i = bisect_right(self.starts, probe) - 1
        if i >= 0 and probe < self.ends[i]:
            return False, i
        return False, len(self.starts) - 1 if last and len(self.starts) else 0

    def dicts(self, first: int, stop: int) -> list[dict[str, Any]]:
        text = self.text
        return [{"text": text[s:e], "start": s, "end": e, "id": first + k, "ws": text[e:e + 1].isspace()}
                for k, (s, e) in enumerate(zip(self.starts[first:stop], self.ends[first:stop], strict=True))]

    def write_json(self, out: TextIO) -> None:
        """The JSON list of the token dicts, as ``json.dumps`` writes it (``dicts``' keys, its separators,
        the text encoded by the same function), a slice at a time, without making the dicts. Each token
        is four pieces: its escaped text, then ``", "start": S, "end": ``, ``E, "id": `` and
        ``I, "ws": W}, {"text": "`` taken from tables made once (``_pieces``, ``_id_ws_pieces``); the four are
        laid side by side by slice assignment and the slice is one ``join`` (no Python, no tuple, no hashing
        per token). ``ws`` is whether white space follows: tokens cover every other character, so it is
        whether the next token starts after this one ends (and, for the last, the character after it)."""
        text, starts, ends = self.text, self.starts, self.ends
        n = len(starts)
        start_of, end_of, _ = _pieces(_TABLE)
        id_ws = _id_ws_pieces(_TABLE)
        kept = self.escaped()
        out.write("[")
        for first in range(0, n, _SLICE):
            stop = min(n, first + _SLICE)
            s, e = starts[first:stop], ends[first:stop]
            ws = list(map(ne, e, starts[first + 1:stop + 1]))
            if stop == n:
                ws.append(text[e[-1]:e[-1] + 1].isspace())
            if kept is not None:
                escaped: Iterable[str] = kept[first:stop]
            else:
                escaped = map(_UNQUOTED, map(json_str, map(text.__getitem__, map(slice, s, e))))
            m = stop - first
            pieces: list[Any] = [None] * (4 * m)
            pieces[0::4] = escaped
            if stop <= len(id_ws) // 2 and e[-1] < len(start_of):  # every number in the tables (the usual text)
                pieces[1::4] = map(start_of.__getitem__, s)
                pieces[2::4] = map(end_of.__getitem__, e)
                pieces[3::4] = map(id_ws.__getitem__, map(add, range(2 * first, 2 * stop, 2), ws))
            else:
                pieces[1::4] = map(_START.format, s)
                pieces[2::4] = map(_END.format, e)
                pieces[3::4] = map(add, map(_ID.format, range(first, stop)), map(_WS_NEXT.__getitem__, ws))
            pieces[-1] = pieces[-1][:-len(_NEXT)]  # the last token closes the slice
            if first:
                out.write(", ")
            out.write(_FIRST)
            out.write("".join(pieces))
        out.write("]")


# A token's dict is four pieces after its text: ``", "start": S, "end": ``, ``E, "id": ``, ``I, "ws": `` and
# ``W}, {"text": "`` (the next dict's opening; the last closes the list instead). The text pieces are the
# one spelling: ``json_bytes``' byte pieces are their UTF-8.
_FIRST = '{"text": "'
_NEXT = ', ' + _FIRST  # what follows a token's dict when another comes
_START, _END, _ID = '", "start": {}, "end": ', '{}, "id": ', '{}, "ws": '
_JSON_BOOL = ("false", "true")
_WS_NEXT = tuple(f"{w}}}{_NEXT}" for w in _JSON_BOOL)  # by whether white space follows
_UNQUOTED = itemgetter(slice(1, -1))  # a JSON string's contents


_TABLE = 1 << 13  # numbers whose pieces are made once (about 15 ms): offsets and ids of the usual document
_TOUCHING = "\x7f"  # between two kept runs that touch (``json_bytes``): a token white space does not follow
_TOUCHING_B = _TOUCHING.encode()
_THEN_NO_WS, _THEN_WS = (b"\0" + ws_next.encode() for ws_next in _WS_NEXT)  # a token's end, after its text
_FIRST_B = ("[" + _FIRST).encode()
_LAST_B = tuple((ws_next[:-len(_NEXT)] + "]").encode() for ws_next in _WS_NEXT)


@lru_cache(maxsize=1)
def _pieces(size: int) -> tuple[list[str], list[str], list[str]]:
    """The pieces after a token's text for numbers under ``size`` (about 10 ms to make, once): its start;
    its end; its id."""
    return [_START.format(k) for k in range(size)], [_END.format(k) for k in range(size)], \
        [_ID.format(k) for k in range(size)]


@lru_cache(maxsize=1)
def _id_ws_pieces(size: int) -> list[str]:
    """``write_json``'s last piece of a token: its id, whether white space follows, the next dict's opening
    (at 2 id + ws)."""
    return [id_piece + ws_next for id_piece in _pieces(size)[2] for ws_next in _WS_NEXT]


@lru_cache(maxsize=1)
def _byte_pieces(size: int) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """``_pieces`` as UTF-8, for ``json_bytes``."""
    start_of, end_of, id_of = _pieces(size)
    return list(map(str.encode, start_of)), list(map(str.encode, end_of)), list(map(str.encode, id_of))


def _listed(offsets: Sequence[int]) -> list[int]:
    """A kept table's offsets (a ``memoryview``, or an ``array`` on a big-endian machine) as a list."""
    return offsets.tolist() if isinstance(offsets, memoryview | array) else list(offsets)


def _token_at(tokens: list[dict[str, Any]], edge: dict[int, int], offset: int, last: bool = False) -> int:
    """Token index whose start (or end) is ``offset``, else the token holding that character."""
    if offset in edge:
        return edge[offset]
    probe = offset - 1 if last else offset
    for t in tokens:
        if t["start"] <= probe < t["end"]:
            return t["id"]
    return tokens[-1]["id"] if last and tokens else 0
