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
Export writes a folder (``writes_folders``; ``write_folder(records, folder, ctx)``), one pair per document,
or the same files as one tar archive for an output named ``.tar``/``.tar.gz``/``.tgz`` (``write_archive``).

Long because the reader and the writer share brat's line grammar (ids, kept lines, Equiv), one owner.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import operator
import os
import re
import tarfile
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from annotator.errors import InputError
from annotator.formats._archive import ARCHIVES, Names, TarReader, TarStream, member_key, split_archive
from annotator.formats._io import (
    NOT_REGULAR,
    START_BYTES,
    check_start,
    inside,
    iter_lines,
    iter_stream_lines,
    readable_name,
)
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
GZIP_LEVEL = 1  # fast: at 6 (gzip's default) or tarfile's 9 the compression alone is slower than the export
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _read_text(path: Path) -> str:
    if path.exists() and not path.is_file():
        raise InputError(NOT_REGULAR, str(path))
    return _decoded(path.read_bytes(), path)


def _decoded(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"invalid UTF-8 ({exc.reason})", str(path), line, byte_offset=exc.start) from None


class _Pairing:
    """brat's pairing rule, one owner for a folder and an archive: each ``.txt`` is a document, with the
    ``.ann`` of the same stem when there is one; an ``.ann`` without its ``.txt`` stops the import of the
    whole folder (or archive) before anything is imported. Stems are told as found, in any order; what is
    kept is a digest of each (``Names``) and the ``.ann`` stems still waiting for their ``.txt``."""

    def __init__(self) -> None:
        self.texts, self.anns = Names(), Names()
        self.waiting: dict[str, str] = {}  # stem → the .ann's name, while its .txt has not been seen

    def add(self, stem: str, suffix: str, name: str) -> bool:
        """Tell the ``.txt`` or ``.ann`` ``name`` of ``stem``: False if one was told already."""
        if suffix == ".txt":
            self.waiting.pop(stem, None)
            return self.texts.add(stem)
        if not self.anns.add(stem):
            return False
        if stem not in self.texts:
            self.waiting[stem] = name
        return True

    def check(self, where: str) -> None:
        """Every ``.ann`` has its ``.txt`` (call once all are told), else the error for the whole input."""
        if self.waiting:
            raise InputError(f"{len(self.waiting)} .ann file(s) without their .txt, e.g. "
                             f"{next(iter(self.waiting.values()))}", where)

    def has_ann(self, stem: str) -> bool:
        return stem in self.anns


def _pairs(path: Path) -> list[tuple[Path, Path]]:
    """(txt, ann) pairs named by ``path``: a folder, a ``.ann`` or a ``.txt`` file."""
    if path.is_dir():
        txts = sorted(path.glob("*.txt"))
        pairing = _Pairing()
        for f in [*txts, *sorted(path.glob("*.ann"))]:
            pairing.add(f.name[:-4], f.name[-4:], f.name)
        pairing.check(str(path))
        return [(t, t.with_suffix(".ann")) for t in txts]
    txt, ann = path.with_suffix(".txt"), path.with_suffix(".ann")
    if not txt.exists():
        raise InputError(f"brat needs the text beside the annotations: {txt.name} not found", str(path))
    return [(txt, ann)]


def _member_stem(name: str) -> tuple[str, str] | None:
    """(stem, suffix) of an archive member that brat reads (``corpus/a.txt``: ``corpus/a``), else None."""
    key = member_key(name)
    for suffix in (".txt", ".ann"):
        if key.endswith(suffix) and len(key) > len(suffix) and not key.endswith("/" + suffix):
            return key[: -len(suffix)], suffix
    return None


class BratFormat(Format):
    name = NAME
    holds_identities = True  # Equiv lines
    description = "brat standoff (.txt + .ann; a folder of pairs)"
    signature = "a .ann standoff file or a .txt with one beside it"
    reads_folders = True
    writes_folders = True
    folder_files = ("*.txt", "*.ann")  # what an export writes: an old export's folder is replaced whole
    folder_carries = ("*.conf",)  # brat's annotation.conf, visual.conf …: copied into the new folder
    archive_suffixes = tuple(ARCHIVES)  # -o corpus.tar (.tar.gz, .tgz): the same files in one archive

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix == ".ann":
            return True
        return path.suffix == ".txt" and path.with_suffix(".ann").exists()

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        if not path.is_dir() and split_archive(path.name) is not None:
            yield from self._read_archive(path, ctx)
            return
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
                yield self._text_only(txt, text)
                continue
            record = self._record(readable_name(txt.stem), text, iter_lines(ann), ann, ann.stat().st_size, ctx)
            record = finish(record, ctx, ann, NAME) if record is not None else None
            if record is not None:
                yield record

    @staticmethod
    def _text_only(txt: Path, text: str) -> Record:
        doc = Document(readable_name(txt.stem), text, import_meta(NAME, txt, None))
        return Record(doc, Annotations(doc_id=doc.id, annotator=None), None)

    def _read_archive(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        """The pairs of a tar archive (``.tar``, ``.tar.gz``, ``.tgz``), read as a stream, never extracted, in
        two passes: the first reads only the headers (each member's name checked, the pairs found by
        ``_Pairing``, an ``.ann`` without its ``.txt`` an error before anything is imported); the second
        gives each pair as soon as both its members are read (an archive brat's export wrote has each
        ``.txt`` right before its ``.ann``: one document in memory at a time). A member that is not a
        plain file with a plain name (a link, a device, ``..``, an absolute or non-UTF-8 name, a name given
        twice) is reported with the archive and its name, and its pair not imported; the problems of a
        member read name it ``ARCHIVE/MEMBER``."""
        tar = TarReader(path)
        pairing, bad = _Pairing(), set[str]()
        try:
            for info, problem in tar:
                found = _member_stem(info.name)
                if found is not None and not pairing.add(*found, readable_name(info.name)):
                    problem = problem or "the archive holds this name twice"
                if problem is None and found is not None and not info.isfile():
                    problem = "not a regular file"
                if problem is None:
                    continue
                shown = readable_name(info.name)
                if found is None:  # never read (a .conf, a README): said, but nothing is lost
                    ctx.report(path, None, f"member {shown}: {problem}; not read (brat reads .txt and .ann)",
                               note=True)
                    continue
                ctx.next_record()
                stem = readable_name(found[0].rsplit("/", 1)[-1])
                ctx.reject(path, None, f"member {shown}: {problem}; {stem}.txt and .ann not imported")
                bad.add(found[0])
            pairing.check(str(path))
            yield from self._archive_pairs(path, tar, pairing, bad, ctx)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(f"not a tar archive, or a damaged one ({exc}); nothing after this was read",
                             str(path)) from None

    def _archive_pairs(self, path: Path, tar: TarReader, pairing: _Pairing, bad: set[str],
                       ctx: ReadContext) -> Iterator[Record]:
        held: dict[tuple[str, str], tuple[str, bytes]] = {}  # (stem, suffix) → (name, data): the other not yet read
        for info, problem in tar:
            found = _member_stem(info.name)
            if problem is not None or found is None or found[0] in bad or not info.isfile():
                continue
            stem, suffix = found
            other = ".ann" if suffix == ".txt" else ".txt"
            if suffix == ".txt" and not pairing.has_ann(stem):
                ctx.next_record()
                yield self._text_only(path / info.name, _decoded(tar.open(info).read(), path / info.name))
                continue
            if (stem, other) not in held:
                held[found] = (info.name, tar.open(info).read())
                continue
            ctx.next_record()
            name, data = held.pop((stem, other))
            stream: BinaryIO
            if suffix == ".ann":  # the .txt came first (brat's own archives): the .ann's lines as they are read
                member = tar.open(info)
                txt, ann, size, stream, start = name, info.name, info.size, member, member.peek(START_BYTES)
            else:
                txt, ann, size, stream = info.name, name, len(data), io.BytesIO(data)
                start, data = data, tar.open(info).read()
            if size:  # the checks iter_lines makes of a file
                check_start(start[:START_BYTES], path / ann)
            lines = iter_stream_lines(stream, path / ann)
            text = _decoded(data, path / txt)
            del data
            record = self._record(readable_name(txt.rsplit("/", 1)[-1][:-4]), text, lines, path / ann, size, ctx)
            record = finish(record, ctx, path / ann, NAME) if record is not None else None
            if record is not None:
                yield record
        for name, _ in held.values():  # the archive changed between the passes: said, never dropped unsaid
            ctx.next_record()
            ctx.reject(path, None, f"member {readable_name(name)}: the other file of its pair was not found when "
                                   "the archive was read again (did it change?); not imported")

    def _record(self, doc_id: str, text: str, ann_lines: Iterable[tuple[int, str]], ann_path: Path, size: int,
                ctx: ReadContext) -> Record | None:
        entities: dict[str, Entity] = {}
        claims: dict[str, Claim] = {}
        attrs: list[tuple[int, str, str, AttrValue, str]] = []  # line no, claim id, key, value, line
        links: list[tuple[int, str, str, str]] = []  # line, claim id, entity id, the line's brat id
        equivs: list[tuple[int, list[str]]] = []  # line, the entities it says are one
        kept: list[str] = []
        if size == 0:
            return Record(Document(doc_id, text, import_meta(NAME, ann_path, None)),
                          Annotations(doc_id=doc_id, annotator=None), None)
        for number, line in ann_lines:
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
        opened if already there (``O_EXCL``), so a symlink could never be written through. Bytes go
        straight to ``os.write`` through the folder's descriptor (no file object, no path per file);
        the export puts the whole folder on disk once, before swapping it in."""
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for name, data in self.files(records, ctx):
                fd = os.open(name, _CREATE, 0o666, dir_fd=dfd)
                try:
                    done = os.write(fd, data) if data else 0
                    while done < len(data):  # a short write (a signal, a full disk): go on or raise
                        done += os.write(fd, memoryview(data)[done:])
                finally:
                    os.close(fd)
        finally:
            os.close(dfd)

    def write_archive(self, records: Iterable[Record], out: BinaryIO, ctx: WriteContext, target: Path) -> None:
        """Stream the pairs into ``out`` as a tar archive (``.tar.gz``/``.tgz``: gzipped, fast level), in one
        folder named after the archive (``corpus.tar`` holds ``corpus/<id>.txt``, ``corpus/<id>.ann``),
        as brat collections are shipped: the same names and bytes ``write_folder`` gives, one document
        in memory at a time. ``out`` is the export's temporary file, renamed over ``target`` once whole."""
        named = split_archive(target.name, self.archive_suffixes)
        assert named is not None, target
        stem, suffix = named
        top = _file_stem(stem, Names())
        now, umask = int(time.time()), os.umask(0)
        os.umask(umask)
        with contextlib.ExitStack() as stack:
            sink: BinaryIO | gzip.GzipFile = out
            if ARCHIVES[suffix]:
                sink = stack.enter_context(gzip.GzipFile(fileobj=out, mode="wb", compresslevel=GZIP_LEVEL, mtime=now))
            tar = TarStream(sink, now, umask)
            tar.add(top, b"", tarfile.DIRTYPE)
            for name, data in self.files(records, ctx):
                tar.add(f"{top}/{name}", data)
            tar.close()

    def files(self, records: Iterable[Record], ctx: WriteContext) -> Iterator[tuple[str, bytes]]:
        """Each document's ``<stem>.txt`` and ``<stem>.ann`` (name, bytes), in order: the one source of
        what a folder and an archive hold."""
        used = Names()
        lost = _Unheld()
        for rec in records:
            stem = _file_stem(rec.document.id, used)
            lines = written(lambda r: self.ann_lines(r, ctx, lost), rec, ctx, NAME)
            if lines is None:
                continue
            yield f"{stem}.txt", rec.document.text.encode("utf-8", "surrogatepass")
            yield f"{stem}.ann", ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        lost.report(ctx)

    def ann_lines(self, rec: Record, ctx: WriteContext, lost: _Unheld) -> list[str]:
        """The ``.ann`` lines for one record. What brat has no place for (document status, notes,
        attributes) is told to ``lost``, which reports it once for the export."""
        doc, ann = rec.document, rec.annotations
        if ann is None:
            return []
        text = doc.text
        # in (start, -end, id) order: three stable sorts in C rather than a Python key per span
        spans: list[Entity | Claim] = sorted([*ann.entities, *ann.claims], key=_ID)
        spans.sort(key=_END, reverse=True)
        spans.sort(key=_START)
        ids = list(map(_ID, spans))
        taken = {i for i in ids if i[:1] == "T" and _T_ID.match(i)}  # ids brat can keep as they are
        entity_id: dict[str, str] = {}  # our span id → its brat id, entities and claims apart
        claim_id: dict[str, str] = {}
        if taken:
            seen: set[str] = set()
            n = 0
            for s in spans:
                if s.id in taken and s.id not in seen:
                    bid = s.id
                else:
                    n += 1
                    while f"T{n}" in taken:
                        n += 1
                    bid = f"T{n}"
                seen.add(bid)
                (claim_id if isinstance(s, Claim) else entity_id)[s.id] = bid
        else:  # none to keep (labels made here): T1, T2 … in order, the last for an id given twice
            for s, bid in zip(spans, _t_ids(len(ids)), strict=True):
                (claim_id if isinstance(s, Claim) else entity_id)[s.id] = bid
        # an id given twice: its lines all take its last brat id; brat's own rule for the text column: no line break
        lines = [f"{claim_id[s.id]}\t{CLAIM_TYPE} {s.start} {s.end}\t{text[s.start:s.end].replace(NL, ' ')}"
                 if isinstance(s, Claim) else
                 f"{entity_id[s.id]}\t{s.label} {s.start} {s.end}\t{text[s.start:s.end].replace(NL, ' ')}"
                 for s in spans]
        ex = Stored(doc, NAME, ctx)
        kept: list[str] = ex.get("kept", _KEPT_LINES, [])
        if kept or ann.claims:
            self._claim_lines(lines, spans, claim_id, entity_id, kept, ex, rec, ctx)
        if any(e.identity is not None for e in ann.entities):
            lines += [f"*\t{EQUIV_TYPE} " + " ".join(entity_id[e.id] for e in mentions)
                      for mentions in ann.identities().values() if len(mentions) > 1]
        if kept:
            self._kept_lines(lines, kept, {*entity_id.values(), *claim_id.values()}, doc.id, ctx)
        if ann.notes or ann.attributes or ann.status != "todo":
            lost.add(doc.id)
        return lines

    @staticmethod
    def _claim_lines(lines: list[str], spans: list[Entity | Claim], claim_id: dict[str, str],
                     entity_id: dict[str, str], kept: list[str], ex: Stored, rec: Record, ctx: WriteContext) -> None:
        """The claims' ``A`` (attribute) and ``R`` (claimer) lines, with the ids they had in brat when still free."""
        doc, ann = rec.document, rec.annotations
        assert ann is not None
        line_id = _LineIds([line.split("\t", 1)[0] for line in kept], ex.get("line_ids", _LINE_IDS, {}))
        for c in [s for s in spans if isinstance(s, Claim)]:  # in the spans' order
            tid = claim_id[c.id]
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
                lines.append(f"{line_id('R', f'R:{c.id}')}\t{CLAIMER_TYPE} Arg1:{tid} Arg2:{entity_id[c.claimer]}")

    @staticmethod
    def _kept_lines(lines: list[str], kept: list[str], present: set[str], doc_id: str, ctx: WriteContext) -> None:
        """The lines an import kept verbatim, unless their id is taken or a span they name is gone."""
        for line in kept:
            refs = set(re.findall(r"\bT\d+\b", line.split("\t", 1)[1] if "\t" in line else ""))
            if line.split("\t", 1)[0] in present:
                ctx.report(ctx.target, None, f"document {doc_id!r}: kept brat line {line!r} has the id of a span "
                           "written; left out")
            elif refs <= present:
                lines.append(line)
            else:
                ctx.report(ctx.target, None, f"document {doc_id!r}: kept brat line {line!r} refers to a span "
                           "that is gone; left out")


_UNHELD = "brat has no place for document status, notes or attributes; not written"


class _Unheld:
    """The documents whose status, notes or attributes an export left out, reported once at its end
    with their count and the first few ids: one problem per document would grow with the export."""

    SHOWN = 5

    def __init__(self) -> None:
        self.count = 0
        self.first: list[str] = []
        self.last: str | None = None

    def add(self, doc_id: str) -> None:
        if doc_id == self.last:
            return  # the same document built again (``written``'s second try)
        self.count, self.last = self.count + 1, doc_id
        if len(self.first) < self.SHOWN:
            self.first.append(doc_id)

    def report(self, ctx: WriteContext) -> None:
        if self.count == 1:
            ctx.report(ctx.target, None, f"document {self.first[0]!r}: {_UNHELD}")
        elif self.count:
            more = f" and {self.count - len(self.first):,} more" if self.count > len(self.first) else ""
            ctx.report(ctx.target, None, f"{self.count:,} documents ({', '.join(map(repr, self.first))}{more}): "
                       f"{_UNHELD}")



_ID, _START, _END = operator.attrgetter("id"), operator.attrgetter("start"), operator.attrgetter("end")
NL = "\n"
_T_IDS = [f"T{n}" for n in range(1, 257)]  # the fresh brat ids most documents need, made once


def _t_ids(count: int) -> list[str]:
    """``T1`` … ``T<count>``."""
    return _T_IDS[:count] if count <= len(_T_IDS) else [*_T_IDS, *(f"T{n}" for n in range(len(_T_IDS) + 1, count + 1))]


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


def _file_stem(doc_id: str, used: Names) -> str:
    stem = re.sub(r"[^\w.\-]", "_", doc_id).strip(".") or "document"
    candidate, n = stem, 1
    while not used.add(candidate):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate
