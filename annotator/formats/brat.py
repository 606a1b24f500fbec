"""brat standoff: ``name.txt`` (the text, exactly) beside ``name.ann``.

``.ann`` lines read: ``T`` text-bound spans (``T1<TAB>PER 4 14<TAB>مصطفى بالي``),
``R`` relations, ``A`` (and old ``M``) attributes, ``#`` AnnotatorNotes. Offsets are
code points. A span typed ``Claim`` is a claim; ``A`` lines on it are its
attributes (no value = true); ``R<n><TAB>Claimer Arg1:<claim> Arg2:<entity>`` is its
claimer; ``*<TAB>Equiv T1 T3 …`` makes its entities one identity (``Entity.identity``, numbered
``i1``, ``i2`` … in the order read). Lines our model has no place for (events, other equivalences, normalizations,
attributes on entities, notes, other relations) are kept verbatim and written back.

brat ids are kept as our span ids, so a brat → annotator → brat round trip keeps them.
Documents: one per ``.txt``; the id is the file stem. Discontinuous spans
(``0 5;6 10``) are reported; ``--repair`` imports the covering span.
Export writes a folder (``writes_folders``; ``write_folder(records, folder, ctx)``), one pair per document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.formats._io import NOT_REGULAR, inside, iter_lines, readable_name
from annotator.formats._records import (
    finish,
    import_meta,
    is_claim_label,
    is_claimer_relation,
    render_value,
)
from annotator.formats._stored import Shape, Stored, dict_of, list_of, written
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.model.annotations import Annotations, AttrValue, Claim, Document, Entity, identities_of, with_identities

NAME = "brat"
CLAIM_TYPE = "Claim"
CLAIMER_TYPE = "Claimer"
EQUIV_TYPE = "Equiv"
_T_ID = re.compile(r"^T\d+$")


def _read_text(path: Path) -> str:
    if path.exists() and not path.is_file():
        raise InputError(NOT_REGULAR, str(path))
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"invalid UTF-8 ({exc.reason})", str(path), line, byte_offset=exc.start) from None


def _pairs(path: Path) -> list[tuple[Path, Path]]:
    """(txt, ann) pairs named by ``path``: a folder, a ``.ann`` or a ``.txt`` file."""
    if path.is_dir():
        txts = sorted(path.glob("*.txt"))
        stray = sorted(a for a in path.glob("*.ann") if not a.with_suffix(".txt").exists())
        if stray:
            raise InputError(f"{len(stray)} .ann file(s) without their .txt, e.g. {stray[0].name}", str(path))
        return [(t, t.with_suffix(".ann")) for t in txts]
    txt, ann = path.with_suffix(".txt"), path.with_suffix(".ann")
    if not txt.exists():
        raise InputError(f"brat needs the text beside the annotations: {txt.name} not found", str(path))
    return [(txt, ann)]


class BratFormat(Format):
    name = NAME
    holds_identities = True  # Equiv lines
    description = "brat standoff (.txt + .ann; a folder of pairs)"
    signature = "a .ann standoff file or a .txt with one beside it"
    reads_folders = True
    writes_folders = True
    folder_files = ("*.txt", "*.ann")  # what an export writes: an old export's folder is replaced whole
    folder_carries = ("*.conf",)  # brat's annotation.conf, visual.conf …: copied into the new folder

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix == ".ann":
            return True
        return path.suffix == ".txt" and path.with_suffix(".ann").exists()

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        folder = path if path.is_dir() else path.parent
        for txt, ann in _pairs(path):
            ctx.next_record()
            try:  # a member found by name (not the file named) may be a symlink out of the folder
                for member in (txt, ann):
                    if member != path and (member.exists() or member.is_symlink()):
                        inside(folder, member)
            except InputError as exc:
                ctx.reject(exc.path or path, None, f"{exc.problem}; {txt.name} and {ann.name} not imported")
                continue
            text = _read_text(txt)
            if not ann.exists():
                doc = Document(readable_name(txt.stem), text, import_meta(NAME, txt, None))
                yield Record(doc, Annotations(doc_id=doc.id, annotator=None), None)
                continue
            record = self._record(readable_name(txt.stem), text, ann, ctx)
            record = finish(record, ctx, ann, NAME) if record is not None else None
            if record is not None:
                yield record

    def _record(self, doc_id: str, text: str, ann_path: Path, ctx: ReadContext) -> Record | None:
        entities: dict[str, Entity] = {}
        claims: dict[str, Claim] = {}
        attrs: list[tuple[int, str, str, AttrValue, str]] = []  # line no, claim id, key, value, line
        links: list[tuple[int, str, str, str]] = []  # line, claim id, entity id, the line's brat id
        equivs: list[tuple[int, list[str]]] = []  # line, the entities it says are one
        kept: list[str] = []
        if ann_path.stat().st_size == 0:
            return Record(Document(doc_id, text, import_meta(NAME, ann_path, None)),
                          Annotations(doc_id=doc_id, annotator=None), None)
        for number, line in iter_lines(ann_path):
            if not line.strip():
                continue
            fields = line.split("\t")
            ident = fields[0]
            if ident.startswith("T") and len(fields) >= 2:
                span = self._text_bound(fields, text, ann_path, number, ctx)
                if span is not None:
                    kind, start, end = span
                    if is_claim_label(kind, ctx):
                        claims[ident] = Claim(ident, start, end)
                    else:
                        entities[ident] = Entity(ident, start, end, kind)
                continue
            if ident.startswith(("A", "M")) and len(fields) >= 2:
                parts = fields[1].split(" ")
                if len(parts) in (2, 3):
                    attrs.append((number, parts[1], parts[0], parts[2] if len(parts) == 3 else True, line))
                    continue
            if ident.startswith("R") and len(fields) >= 2:
                m = re.match(r"^(\S+) Arg1:(\S+) Arg2:(\S+)$", fields[1])
                if m and is_claimer_relation(m.group(1)):
                    links.append((number, m.group(2), m.group(3), ident))
                    continue
            if ident == "*" and len(fields) >= 2 and fields[1].split(" ")[0] == EQUIV_TYPE:
                equivs.append((number, fields[1].split(" ")[1:]))
                continue
            if re.match(r"^[TRAEMN#*]\d*$", ident) and len(fields) >= 2:
                ctx.report(ann_path, number, f"{ident} line ({fields[1].split(' ')[0]}) is not part of our "
                           "model; kept as it is for brat export", note=True)
                kept.append(line)
                continue
            ctx.report(ann_path, number, "not a brat annotation line; skipped")
        line_ids: dict[str, str] = {}  # our A/R lines' brat ids, so export keeps them
        for number, target, key, value, raw in attrs:
            if target in claims:
                c = claims[target]
                claims[target] = Claim(c.id, c.start, c.end, {**c.attributes, key: value}, c.claimer)
                line_ids[f"A:{target}:{key}"] = raw.split("\t", 1)[0]
            else:
                ctx.report(ann_path, number, f"attribute {key} on {target}, which is not a claim: kept as it is "
                           "for brat export", note=True)
                kept.append(raw)
        for number, claim_id, entity_id, ident in links:
            if claim_id in claims and entity_id in entities:
                c = claims[claim_id]
                claims[claim_id] = Claim(c.id, c.start, c.end, c.attributes, entity_id)
                line_ids[f"R:{claim_id}"] = ident
            else:
                ctx.report(ann_path, number, f"Claimer relation {claim_id} → {entity_id} does not join a claim "
                           "to an entity; not imported")
        _read_identities(equivs, entities, ann_path, ctx)
        extra: dict[str, Any] = {"kept": kept, "line_ids": line_ids} if kept or line_ids else {}
        doc = Document(doc_id, text, import_meta(NAME, ann_path.with_suffix(".txt"), None, extra))
        ann = Annotations(doc_id=doc_id, annotator=None, entities=tuple(entities.values()),
                          claims=tuple(claims.values()))
        return Record(doc, ann, None)

    @staticmethod
    def _text_bound(fields: list[str], text: str, path: Path, number: int,
                    ctx: ReadContext) -> tuple[str, int, int] | None:
        head = fields[1].split(" ", 1)
        kind, ranges = head[0], head[1] if len(head) > 1 else ""
        try:
            pieces = [tuple(int(x) for x in r.split(" ")) for r in ranges.split(";")]
            if any(len(p) != 2 for p in pieces):
                raise ValueError
        except ValueError:
            ctx.report(path, number, f"{fields[0]}: offsets {ranges!r} are not 'START END'; not imported")
            return None
        start, end = min(p[0] for p in pieces), max(p[1] for p in pieces)
        if not 0 <= start < end <= len(text):
            ctx.report(path, number, f"{fields[0]}: offsets [{start},{end}) outside the text "
                       f"(length {len(text)}) or empty; not imported")
            return None
        if len(pieces) > 1:
            if not ctx.repair:
                ctx.report(path, number, f"{fields[0]}: discontinuous span {ranges!r} is not supported; not "
                           "imported (--repair imports the covering span)")
                return None
            ctx.report(path, number, f"{fields[0]}: discontinuous span {ranges!r} imported as [{start},{end})",
                       repaired=True)
        elif len(fields) >= 3 and fields[2] != text[start:end]:
            ctx.report(path, number, f"{fields[0]}: its text {fields[2]!r} differs from the text at "
                       f"[{start},{end}) {text[start:end]!r}; imported at the offsets given", note=True)
        return kind, start, end

    def write_folder(self, records: Iterable[Record], folder: Path, ctx: WriteContext) -> None:
        """Write the pairs into ``folder``, a fresh one the export made: files are created, never
        opened if already there (``x`` mode), so a symlink could never be written through."""
        used: set[str] = set()
        for rec in records:
            stem = _file_stem(rec.document.id, used)
            lines = written(lambda r: self.ann_lines(r, ctx), rec, ctx, NAME)
            if lines is None:
                continue
            with (folder / f"{stem}.txt").open("xb") as out:
                out.write(rec.document.text.encode("utf-8", "surrogatepass"))
            with (folder / f"{stem}.ann").open("x", encoding="utf-8", newline="\n") as out:
                out.write("".join(line + "\n" for line in lines))

    def ann_lines(self, rec: Record, ctx: WriteContext) -> list[str]:
        """The ``.ann`` lines for one record."""
        doc, ann = rec.document, rec.annotations
        if ann is None:
            return []
        text = doc.text
        spans = sorted([*ann.entities, *ann.claims], key=lambda s: (s.start, -s.end, s.id))
        taken = {s.id for s in spans if _T_ID.match(s.id)}
        numbers = iter(n for n in range(1, 10 ** 9) if f"T{n}" not in taken)
        brat_id: dict[str, str] = {}
        seen: set[str] = set()
        for s in spans:
            key = f"{type(s).__name__}:{s.id}"
            if _T_ID.match(s.id) and s.id not in seen:
                brat_id[key] = s.id
            else:
                brat_id[key] = f"T{next(numbers)}"
            seen.add(brat_id[key])
        lines = []
        for s in spans:
            kind = s.label if isinstance(s, Entity) else CLAIM_TYPE
            piece = text[s.start:s.end].replace("\n", " ")  # brat's own rule for the text column
            lines.append(f"{brat_id[f'{type(s).__name__}:{s.id}']}\t{kind} {s.start} {s.end}\t{piece}")
        ex = Stored(doc, NAME, ctx)
        kept: list[str] = ex.get("kept", _KEPT_LINES, [])
        line_id = _LineIds([line.split("\t", 1)[0] for line in kept], ex.get("line_ids", _LINE_IDS, {}))
        for c in sorted(ann.claims, key=lambda c: (c.start, -c.end, c.id)):
            tid = brat_id[f"Claim:{c.id}"]
            for key, value in sorted(c.attributes.items()):
                if value is None:
                    continue
                shown = render_value(value)
                if " " in shown or "\t" in shown or "\n" in shown:
                    ctx.report(ctx.target, None, f"document {doc.id!r}: claim attribute {key} value {shown!r} has "
                               "spaces, which brat cannot hold; written with '_'")
                    shown = re.sub(r"\s", "_", shown)
                lines.append(f"{line_id('A', f'A:{c.id}:{key}')}\t{key} {tid}"
                             + ("" if value is True else f" {shown}"))
            if c.claimer and ann.entity(c.claimer) is not None:
                claimer = brat_id[f"Entity:{c.claimer}"]
                lines.append(f"{line_id('R', f'R:{c.id}')}\t{CLAIMER_TYPE} Arg1:{tid} Arg2:{claimer}")
        lines += [f"*\t{EQUIV_TYPE} " + " ".join(brat_id[f"Entity:{e.id}"] for e in mentions)
                  for mentions in ann.identities().values() if len(mentions) > 1]
        present = set(brat_id.values())
        for line in kept:
            refs = set(re.findall(r"\bT\d+\b", line.split("\t", 1)[1] if "\t" in line else ""))
            if line.split("\t", 1)[0] in present:
                ctx.report(ctx.target, None, f"document {doc.id!r}: kept brat line {line!r} has the id of a span "
                           "written; left out")
            elif refs <= present:
                lines.append(line)
            else:
                ctx.report(ctx.target, None, f"document {doc.id!r}: kept brat line {line!r} refers to a span "
                           "that is gone; left out")
        if ann.notes or ann.attributes or ann.status != "todo":
            ctx.report(ctx.target, None, f"document {doc.id!r}: brat has no place for document status, notes or "
                       "attributes; not written")
        return lines


def _read_identities(equivs: list[tuple[int, list[str]]], entities: dict[str, Entity], path: Path,
                     ctx: ReadContext) -> None:
    """Give the entities each ``Equiv`` line names one identity (lines sharing an entity merge);
    a line naming anything but two or more entities is reported with its line and not imported."""
    links: list[tuple[str, str]] = []
    for number, refs in equivs:
        bad = [r for r in refs if r not in entities]
        if bad or len(refs) < 2:
            problem = f"refers to {bad[0]!r}, which is not an entity" if bad else "names fewer than two entities"
            ctx.report(path, number, f"{EQUIV_TYPE} {problem}; not imported")
            continue
        links += [(refs[0], r) for r in refs[1:]]
    for e in with_identities(entities.values(), identities_of(links)):
        entities[e.id] = e


# what an import keeps (brat.read): whole annotation lines, and the ids of our A and R lines
_KEPT_LINES = list_of(Shape(lambda v: isinstance(v, str) and re.fullmatch(r"[TRAEMN#*]\d*\t[^\n\r]*", v) is not None,
                            "brat annotation line"))
_LINE_IDS = dict_of(Shape(lambda v: isinstance(v, str) and re.fullmatch(r"[AR]\d+", v) is not None, "brat A/R id"))


class _LineIds:
    """Ids for our A and R lines: the ones they had in brat when still free, else fresh ones
    numbered after every id in use (kept lines included), so nothing collides."""

    def __init__(self, kept_ids: list[str], known: dict[str, str]) -> None:
        self.taken = set(kept_ids)
        self.known = known
        self.reserved = set(known.values())
        self.last = {p: max([int(i[1:]) for i in self.taken | self.reserved if i[:1] == p and i[1:].isdigit()],
                            default=0) for p in "AR"}

    def __call__(self, prefix: str, key: str) -> str:
        wanted = self.known.get(key)
        if wanted and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        self.last[prefix] += 1
        fresh = f"{prefix}{self.last[prefix]}"
        self.taken.add(fresh)
        return fresh


def _file_stem(doc_id: str, used: set[str]) -> str:
    stem = re.sub(r"[^\w.\-]", "_", doc_id).strip(".") or "document"
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate)
    return candidate
