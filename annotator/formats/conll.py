"""CoNLL / BIO: one ``TOKEN TAG [TAG …]`` line per token, a blank line between sentences.

One tag column is plain BIO (ANERcorp, AQMAR); more columns are Wojood nesting,
outer entity first. Each sentence becomes one document: id ``<file stem>:<n>``
(n counts sentences from 1), text = the tokens joined by single spaces, kept
exactly as written (``$#$`` paragraph markers and bidi-mark tokens included).

Corpus quirks are read, reported and kept where they carry information:
a last column that is not a tag (ANERcorp's ``REVISIT`` and its typos) is kept as
a flag on the token; ``article`` marker lines are read as sentence breaks; a
``-DOCSTART-`` line is a document break. Malformed tags and inside-tags without a
begin are reported with their line (see ``bio``).

Export tokenizes our text with ``annotator.text.tokenize`` (so ``2019.`` gives
``2019`` and ``.``) unless the document came from CoNLL, whose own tokens are kept.
An entity whose edges are not token edges, or one that partly overlaps another,
is reported and left out, never moved.
"""

from __future__ import annotations

import re
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from annotator.formats import bio
from annotator.formats._io import iter_lines, readable_name
from annotator.formats._records import IdMaker, finish, import_meta
from annotator.formats._spans import UNFIT, Offsets, TokenTable, kept_tokens, token_table
from annotator.formats._stored import INT, LINE, Shape, Stored, dict_of, list_of, one_of, written
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.model.annotations import Annotations, Document, Entity

_MARKER = re.compile(r"^article$", re.IGNORECASE)
_FLAG = re.compile(r"^[A-Za-z][A-Za-z?]*$")
# formats whose documents are space-joined CoNLL tokens (their tokens are reused on export)
TOKEN_FORMATS = ("conll", "aqmar-truth")


class _Sentence:
    def __init__(self) -> None:
        # per token, kept lean for long sentences: tags interned (a few distinct strings), line numbers packed
        self.tokens: list[str] = []
        self.rows: list[tuple[str, ...]] = []
        self.lines = array("q")
        self.flags: dict[str, str] = {}
        self.sep = " "
        self.end_marker = ""  # the marker line (``article``) that ended the sentence, if any


def read_sentences(path: Path, ctx: ReadContext) -> Iterator[_Sentence]:
    """Sentences of a token-per-line file, streamed; line quirks are reported here."""
    sent = _Sentence()
    for number, line in iter_lines(path):
        stripped = line.strip()
        if not stripped or stripped.startswith("-DOCSTART-"):
            if sent.tokens:
                yield sent
            sent = _Sentence()
            continue
        if not sent.tokens:
            ctx.next_record()  # problems from here on belong to this sentence (counted with it)
        sep = "\t" if "\t" in line else " "
        fields = line.split(sep)
        while len(fields) > 1 and fields[-1] == "":
            fields.pop()
        if len(fields) == 1:
            if _MARKER.match(stripped):
                ctx.report(path, number, f"marker line {stripped!r} read as a sentence break", note=True)
                if sent.tokens:
                    sent.end_marker = line
                    yield sent
                sent = _Sentence()
                continue
            ctx.report(path, number, f"token {fields[0]!r} has no tag; read as outside (O)", note=True)
            fields.append("O")
        token, tags = fields[0], fields[1:]
        if len(tags) > 1 and bio.parse_tag(tags[-1]) is None and _FLAG.match(tags[-1]):
            flag = tags.pop()
            ctx.report(path, number, f"extra column {flag!r} is not a tag: kept as a flag on the token",
                       note=True)
            sent.flags[str(len(sent.tokens))] = flag
        if not sent.tokens:
            sent.sep = sep
        sent.tokens.append(sys.intern(token))  # words repeat: one copy each
        sent.rows.append(tuple(map(sys.intern, tags)))
        sent.lines.append(number)
    if sent.tokens:
        yield sent


def token_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    """Offsets of tokens in their single-space join."""
    out, pos = [], 0
    for tok in tokens:
        out.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return out


def sentence_record(sent: _Sentence, number: int, path: Path, ctx: ReadContext, fmt: str,
                    spans: list[tuple[int, int, str]], extra: dict | None = None) -> Record | None:
    """A document for one sentence and its token spans ``(first, end, label)``."""
    text = " ".join(sent.tokens)
    starts, pos = array("q"), 0  # where each token starts in the text (as token_offsets, packed)
    for tok in sent.tokens:
        starts.append(pos)
        pos += len(tok) + 1
    doc_id = f"{readable_name(path.stem)}:{number}"
    new_id = IdMaker("e")
    entities = []
    for first, end, label in spans:
        start, stop = starts[first], starts[end - 1] + len(sent.tokens[end - 1])
        if start >= stop:
            ctx.report(path, sent.lines[first], f"{label} span covers only empty tokens; not imported")
            continue
        entities.append(Entity(new_id(), start, stop, label))
    extra = dict(extra or {})
    if sent.flags:
        extra["flags"] = sent.flags
    if sent.sep != " ":
        extra["sep"] = sent.sep
    if sent.end_marker:
        extra["end_marker"] = sent.end_marker
    if any(" " in tok for tok in sent.tokens):  # a space inside a token: keep the token edges
        extra["lengths"] = [len(tok) for tok in sent.tokens]
    doc = Document(doc_id, text, import_meta(fmt, path, sent.lines[0], extra))
    ann = Annotations(doc_id=doc_id, annotator=None, entities=tuple(entities))
    return finish(Record(doc, ann, sent.lines[0]), ctx, path, fmt)


class ConllFormat(Format):
    name = "conll"
    description = "CoNLL/BIO: TOKEN TAG per line, blank line between sentences; extra tag columns = nesting"
    signature = "lines of TOKEN TAG [TAG …] with BIO tags"
    uses_tokens = True

    def sniff(self, path: Path, head: str) -> bool:
        lines = [ln for ln in head.splitlines()[:200] if ln.strip()]
        if len(lines) > 1:
            lines = lines[:-1]  # the last line may be cut by the head limit
        if not lines:
            return False
        good = 0
        for ln in lines:
            fields = ln.replace("\t", " ").split(" ")
            if len(fields) >= 2 and bio.parse_tag(fields[1]) is not None:
                good += 1
        return good >= max(1, int(0.8 * len(lines)))

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        for number, sent in enumerate(read_sentences(path, ctx), start=1):
            spans, issues = bio.decode(sent.rows, repair=ctx.repair)
            for issue in issues:
                ctx.report(path, sent.lines[issue.token], issue.message, repaired=issue.repaired)
            record = sentence_record(sent, number, path, ctx, self.name,
                                     [(s.start, s.end, s.label) for s in spans])
            if record is not None:
                yield record

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        for rec in records:
            block = written(lambda r: self.block(r, ctx), rec, ctx, self.name)
            if block is not None:
                out.writelines(block)

    def block(self, rec: Record, ctx: WriteContext) -> Iterator[str] | None:
        """One document's lines (a sentence block), or None when it has no tokens.

        Everything taken from stored metadata is checked here; the lines themselves are then
        made as they are written (a generator), so a document of a million tokens is never
        held as a million lines, and tokens are two integer arrays found by bisection."""
        doc = rec.document
        ex = Stored(doc, TOKEN_FORMATS, ctx)
        kept = None if ex.from_format or rec.tokens is None else _kept_lines(doc, rec.tokens, ctx)
        starts, ends, texts = (kept.starts, kept.ends, None) if kept is not None else document_tokens(doc, ex)
        mark = len(ctx.problems)
        n = len(starts)
        if not n:
            ctx.report(ctx.target, None, f"document {doc.id!r} has no tokens; not written")
            return None
        entities = list(rec.annotations.entities) if rec.annotations else []
        if kept is not None:
            flat = kept.flat(entities)  # side by side (none inside another): no tag lists at all
            if flat is not None:
                if rec.annotations and rec.annotations.claims:
                    ctx.report(ctx.target, None, f"document {doc.id!r}: {len(rec.annotations.claims)} claim(s) "
                               "not written (CoNLL holds entities only)")
                return iter(flat)
        spans = []
        for ent in entities:
            first, last = bisect_left(starts, ent.start), bisect_left(ends, ent.end)
            if first == n or starts[first] != ent.start or last == n or ends[last] != ent.end:
                ctx.report(ctx.target, None, f"document {doc.id!r}: {ent.label} entity {ent.id} "
                           f"{doc.text[ent.start:ent.end]!r} [{ent.start},{ent.end}) does not fall on token "
                           "edges; left out of the CoNLL output")
                continue
            spans.append((first, last + 1, ent.label))
        tagged, rejected = bio.encode_sparse(n, spans)
        for k, reason in rejected:
            ctx.report(ctx.target, None, f"document {doc.id!r}: {spans[k][2]} entity over tokens "
                       f"{spans[k][0] + 1}-{spans[k][1]}: {reason}; left out")
        if rec.annotations and rec.annotations.claims:
            ctx.report(ctx.target, None, f"document {doc.id!r}: {len(rec.annotations.claims)} claim(s) "
                       "not written (CoNLL holds entities only)")
        if kept is not None:  # not CoNLL-born: no kept separator, flags or marker
            block = kept.lines(tagged)
            if block is None:  # a damaged table: the whole block again from the text's tokens
                del ctx.problems[mark:]
                ctx.report_once(UNFIT.format(doc.id))
                return self.block(replace(rec, tokens=None), ctx)
            return iter(block)
        sep = ex.get("sep", one_of(" ", "\t"), " ")
        flags: dict[str, str] = ex.get("flags", dict_of(_COLUMN), {})
        end_marker = ex.get("end_marker", LINE, "")
        return _lines(doc.text, starts, ends, tagged, sep, flags, end_marker, texts)


def _lines(text: str, starts: Offsets, ends: Offsets, tagged: dict[int, list[str]], sep: str,
           flags: dict[str, str], end_marker: str, texts: list[str] | None = None) -> Iterator[str]:
    """A block's lines, one token each, from values already checked; yielded a few thousand lines at
    a time (bounded). The untagged, unflagged tokens between two others are written by one ``join``
    of their texts (``texts`` when the tokenizer gave them, else sliced in C), so the work per token
    stays out of Python."""
    plain = sep + "O\n"
    n = len(starts)
    flagged = {int(k): v for k, v in flags.items() if k.isascii() and k.isdigit() and len(k) < 19
               and str(int(k)) == k and int(k) < n}  # the keys str(i) names, as the lines look them up
    special = sorted(i for i in {*tagged, *flagged} if 0 <= i < n)
    parts: list[str] = []
    held = pos = 0  # lines in parts; the next token
    for i in [*special, n]:
        while pos < i:  # untagged tokens pos..i-1, at most a piece's room at a time
            stop = min(i, pos + _LINES_AT_ONCE - held)
            pieces = texts[pos:stop] if texts is not None else map(text.__getitem__, map(slice, starts[pos:stop],
                                                                                         ends[pos:stop]))
            parts.append(plain.join(pieces) + plain)
            held += stop - pos
            pos = stop
            if held >= _LINES_AT_ONCE:
                yield "".join(parts)
                parts.clear()
                held = 0
        if i == n:
            break
        fields = [text[starts[i]:ends[i]], *tagged.get(i, ("O",))]
        if i in flagged:
            fields.append(flagged[i])
        parts.append(sep.join(fields) + "\n")
        held += 1
        pos = i + 1
        if held >= _LINES_AT_ONCE:
            yield "".join(parts)
            parts.clear()
            held = 0
    parts.append(end_marker + "\n")
    yield "".join(parts)


_LINES_AT_ONCE = 4096
_PLAIN = " O\n"  # an untagged token's line, after its text


class _KeptLines:
    """A block made from the token table the store kept (``annotator.text.bounds``): every token's line
    untagged at once (the tokens joined by spaces, each space made a line end: one ``replace``), then the
    tagged tokens' lines put in their place, found by arithmetic (line i starts after the i tokens
    before it and their i line ends). No Python work per token; the text is under
    ``bounds.STORED_MAX`` characters, so the block is written in one piece. The body starts with a line
    end of its own (never written), so that every line, the first too, is checked whole: "\\n", its
    token, " O\\n"."""

    def __init__(self, text: str, table: TokenTable, lines: str) -> None:
        self.text, self.body = text, f"\n{lines}{_PLAIN}"  # one copy
        self.starts, self.ends, self.before = table.starts, table.ends, table.before

    def flat(self, entities: list[Entity]) -> list[str] | None:
        """The block when every entity falls on token edges and none is inside another (the usual case):
        each entity's lines are a stretch of the untagged body whose line ends are replaced, the first
        with ``B-``, the rest with ``I-`` (C calls per entity, none per token). None otherwise (then the
        general path decides and reports), or if an entity's lines are not where the table says (a
        damaged table: the general path finds that too).

        The body is cut just before the "O" of each entity's first line; the piece that ends there is
        checked to end with the line's whole start (its line end, its token, a space: its token is
        ``text[start:end]`` and the line is where the table says), and the next piece starts at that
        line's end. Every space of the body is followed by "O\n" (``_KeptLines``), so no more is checked."""
        text, body, starts, ends, before = self.text, self.body, self.starts, self.ends, self.before
        n = len(starts)
        parts: list[str] = []
        append = parts.append
        prev = edge = 0  # where the next piece starts (a line end); the first token an entity may start at
        try:
            for entity in entities:  # attributes read in the loop: quicker than a zip of attrgetter maps
                start, end_at, label = entity.start, entity.end, entity.label
                first = bisect_left(starts, start, edge)
                nl = before[first] + 3 * first  # the line end before its line: 3 (len(_PLAIN)) a token before it
                if ends[first] == end_at:  # one token (the usual entity): its line and no more
                    cut = nl + end_at - start + 2
                    piece = body[prev:cut]
                    if starts[first] != start or not piece.endswith(f"\n{text[start:end_at]} "):
                        return None
                    append(piece)
                    append(f"B-{label}")
                    prev, edge = cut + 1, first + 1
                    continue
                if starts[first] != start:
                    return None
                end = bisect_left(ends, end_at, first) + 1
                token = text[start:ends[first]]
                cut = nl + len(token) + 2
                last = before[end] + 3 * end if end < n else len(body) - 1  # the line end of its last line
                piece = body[prev:cut]
                if ends[end - 1] != end_at or not piece.endswith(f"\n{token} ") \
                        or not body.startswith(_PLAIN, last - 2) or body.count("\n", cut, last) != end - first - 1:
                    return None
                append(piece)
                append(f"B-{label}")
                # its other lines, all but the last's "O\n"
                append(body[cut + 1:last - 1].replace(_PLAIN, f" I-{label}\n"))
                append(f"I-{label}")
                prev, edge = last, end
        except IndexError:  # a token past the last: not on token edges, or a damaged table
            return None
        append(body[prev:])
        append("\n")
        parts[0] = parts[0][1:]  # the body's own first line end
        return ["".join(parts)]

    def lines(self, tagged: dict[int, list[str]]) -> list[str] | None:
        """The block, or None if a tagged token's line is not where the table says (a damaged table)."""
        text, body, starts, ends, before = self.text, self.body, self.starts, self.ends, self.before
        step = len(_PLAIN)
        parts, done = [], 1
        for i in sorted(tagged):
            at = before[i] + i * step + 1
            token = text[starts[i]:ends[i]]
            stop = at + len(token) + step
            if body[at - 1:stop] != f"\n{token}{_PLAIN}" or at < done:
                return None
            parts.append(body[done:at])
            parts.append(" ".join([token, *tagged[i]]) + "\n")
            done = stop
        parts.append(body[done:])
        parts.append("\n")
        return ["".join(parts)]


def _kept_lines(doc: Document, blob: bytes, ctx: WriteContext) -> _KeptLines | None:
    """The block maker of a document's kept token table, or None: tokenize instead (``kept_tokens``)."""
    kept = kept_tokens(doc, blob, ctx, _PLAIN)  # each token's untagged line but the last's
    if kept is None or not kept[1]:
        return None  # none that fits, or no tokens (said by the caller)
    return _KeptLines(doc.text, kept[0], kept[1])


# a kept flag column: one field, whatever separates the columns
_COLUMN = Shape(lambda v: isinstance(v, str) and v != "" and not any(c.isspace() for c in v), "one column")


def document_tokens(doc: Document, stored: Stored) -> tuple[Offsets, Offsets, list[str] | None]:
    """Token starts, ends (and texts, when at hand) for export: the file's own tokens for CoNLL-born
    documents, else our tokenizer. Kept token lengths are used only if they still tile the text
    (tokens joined by single spaces)."""
    if stored.from_format:
        lengths = stored.get("lengths", list_of(INT))
        if lengths:
            offsets = token_offsets([" " * n for n in lengths])
            if min(lengths) > 0 and offsets[-1][1] == len(doc.text) and all(
                    doc.text[e] == " " for _, e in offsets[:-1]):
                return array("q", (s for s, _ in offsets)), array("q", (e for _, e in offsets)), None
            stored.bad("lengths", lengths, "token lengths that fit the text")
        offsets = token_offsets(doc.text.split(" "))
        return array("q", (s for s, _ in offsets)), array("q", (e for _, e in offsets)), None
    return token_table(doc.text)
