"""Many small files as one stream: a tar archive written member after member, or read so, and the names given.

brat's export (``formats/brat.py``) writes two files a document, into a folder or one archive; both
need each file name once only, and the archive needs headers cheaper than ``tarfile.addfile``'s.
brat's import reads such an archive as a stream (``TarReader``), never extracted, its member names
untrusted. Which names are archives is one rule (``split_archive``), for export and import alike.
"""

from __future__ import annotations

import array
import contextlib
import gzip
import io
import os
import posixpath
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Self, cast

# the archives of a folder format's files (brat's): an output or input named so, gzipped or not
ARCHIVES = {".tar": False, ".tar.gz": True, ".tgz": True}


def split_archive(name: str, suffixes: Iterable[str] = tuple(ARCHIVES)) -> tuple[str, str] | None:
    """``(stem, suffix)`` when ``name`` ends with one of ``suffixes`` (any case; the longest) after a
    stem that is not empty, else None: the one rule for which names are archives (export's ``-o``,
    import's paths, the folder an archive holds)."""
    low = name.lower()
    found = [s for s in suffixes if low.endswith(s) and len(name) > len(s)]
    if not found:
        return None
    suffix = max(found, key=len)
    return name[: -len(suffix)], suffix


class TarStream:
    """A tar archive written member after member: what ``tarfile`` writes for the same entries (PAX
    format, its end blocks and record padding), byte for byte, without its per-member costs (a copy
    of each ``TarInfo``, a file object per member). A member whose header has fields of fixed
    contents (a file with an ASCII name under 100 bytes, under 8 GiB: nearly all) takes a header
    ``tarfile`` made once, with its name, size and checksum put in place; any other, ``tarfile``'s own."""

    def __init__(self, out: BinaryIO | gzip.GzipFile, mtime: int, umask: int) -> None:
        self.out, self.mtime, self.umask, self.offset = out, mtime, umask, 0
        self.buf = bytearray()
        self.template = bytearray(self.info("", tarfile.REGTYPE, 0).tobuf(tarfile.PAX_FORMAT))
        self.template[_CHKSUM] = b" " * 8  # as the checksum is counted
        self.sum = sum(self.template) - sum(self.template[_SIZE])

    def info(self, name: str, kind: bytes, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.size, info.mtime = kind, size, self.mtime
        info.mode = (0o777 if kind == tarfile.DIRTYPE else 0o666) & ~self.umask
        info.uid, info.gid = os.getuid(), os.getgid()
        return info

    def header(self, name: str, kind: bytes, size: int) -> bytes:
        raw = name.encode("utf-8", "surrogateescape")
        if not (kind == tarfile.REGTYPE and raw.isascii() and len(raw) < 100 and size < 8 ** 11):
            return self.info(name, kind, size).tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        block = bytearray(self.template)  # its name is all NUL
        field = b"%011o\0" % size
        total = self.sum + sum(raw) + sum(field)
        block[: len(raw)] = raw
        block[_SIZE] = field
        block[_CHKSUM] = b"%06o\0 " % total
        return bytes(block)

    def add(self, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
        head = self.header(name, kind, len(data))
        pad = -len(data) % tarfile.BLOCKSIZE
        buf = self.buf  # members gathered into large writes: three small ones a member cost more than the copy
        buf += head
        buf += data
        buf += _PADS[pad]
        self.offset += len(head) + len(data) + pad
        if len(buf) >= _WRITE_BYTES:
            self.out.write(buf)
            buf.clear()

    def close(self) -> None:
        """The end of the archive: two empty blocks, then padding to a whole record (``tarfile.close``)."""
        end = tarfile.BLOCKSIZE * 2
        self.buf += tarfile.NUL * (end + -(self.offset + end) % tarfile.RECORDSIZE)
        self.out.write(self.buf)
        self.buf.clear()


_SIZE, _CHKSUM = slice(124, 136), slice(148, 156)  # a tar header's fields (POSIX ustar)
_PADS = [tarfile.NUL * n for n in range(tarfile.BLOCKSIZE)]  # a member's data is padded to whole blocks
_WRITE_BYTES = 1 << 18  # TarStream writes in pieces of about this size


class Names:
    """The file names an export has given, so no two documents share one (``a/b`` and ``a_b`` both
    want ``a_b``): a 64-bit digest of each (CRC-32 and Adler-32: zlib is loaded anyway, hashlib would
    load OpenSSL, 3.6 MB) in an open-addressing table at most half full, 8 to 16 bytes a name where a
    set of the names held about 100 (95 MB at a million documents). Two names with one digest would
    only give the second a ``-2``, never one file to two documents."""

    def __init__(self) -> None:
        self.slots = array.array("Q", bytes(8 * 1024))
        self.count = 0

    def add(self, name: str) -> bool:
        """Take ``name``: True if it was free."""
        key = self._key(name)
        if not self._put(self.slots, key):
            return False
        self.count += 1
        if 2 * self.count > len(self.slots):
            grown = array.array("Q", bytes(16 * len(self.slots)))
            for old in self.slots:
                if old:
                    self._put(grown, old)
            self.slots = grown
        return True

    def __contains__(self, name: str) -> bool:
        key, slots = self._key(name), self.slots
        return slots[self._probe(slots, key)] == key

    @staticmethod
    def _key(name: str) -> int:
        raw = name.encode("utf-8", "surrogatepass")
        # the slot is the low bits: CRC-32's, spread evenly (Adler-32's are not, for names alike)
        return (zlib.adler32(raw) << 32 | zlib.crc32(raw)) or 1  # 0 marks an empty slot

    @staticmethod
    def _probe(slots: array.array[int], key: int) -> int:
        """The slot holding ``key``, else the empty slot where it would go (linear probing)."""
        mask = len(slots) - 1
        i = key & mask
        while (held := slots[i]) and held != key:
            i = (i + 1) & mask
        return i

    @classmethod
    def _put(cls, slots: array.array[int], key: int) -> bool:
        i = cls._probe(slots, key)
        if slots[i] == key:
            return False
        slots[i] = key
        return True


class TarReader:
    """A tar archive (gzipped or not: ``tarfile`` tells) read as a stream, member after member, never
    extracted and never seeking back: each pass opens it again. Member names are untrusted: each
    member comes with the problem that keeps it from being read as a file of the archive's folder
    (None: a regular file with a safe name). A damaged header stops the reading with an error, where
    ``tarfile`` alone would take it for the archive's end and drop the rest unsaid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tar: tarfile.TarFile | None = None

    def __iter__(self) -> Iterator[tuple[tarfile.TarInfo, str | None]]:
        with open(self.path, "rb") as raw:
            with _damage_said():
                tar = tarfile.open(fileobj=raw, mode="r|*", encoding="utf-8", errors="surrogateescape",
                                   tarinfo=_Checked)
            with tar:
                self._tar = tar
                try:
                    while True:
                        with _damage_said():
                            info = tar.next()
                        if info is None:
                            break
                        tar.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member seen
                        yield info, member_problem(info)
                finally:
                    self._tar = None

    def open(self, info: tarfile.TarInfo) -> io.BufferedReader:
        """The data of ``info``, the member just given, as a stream (read before the next member)."""
        assert self._tar is not None
        data = self._tar.extractfile(info)  # a BufferedReader (tarfile.ExFileObject); None for a folder
        return cast(io.BufferedReader, data) if data is not None else io.BufferedReader(io.BytesIO())


@contextlib.contextmanager
def _damage_said() -> Iterator[None]:
    """What ``tarfile`` lets slip on a damaged stream (``ord()`` of nothing on a cut gzip header, a bad
    gzip or bz2 stream, a truncated one) as the ``ReadError`` it raises for the rest."""
    try:
        yield
    except tarfile.TarError:
        raise
    except (EOFError, zlib.error, OSError, ValueError, TypeError) as exc:
        raise tarfile.ReadError(f"{type(exc).__name__}: {exc}") from None


def member_problem(info: tarfile.TarInfo) -> str | None:
    """Why the member ``info`` is not read as a file (None: it may be). Nothing is written, so no name
    could escape; they are refused all the same, as the archive's maker cannot have meant them."""
    name = info.name
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        return "its name is not UTF-8"
    if name.startswith("/"):
        return "an absolute name"
    if ".." in name.split("/"):
        return "a name with '..' (it would leave the archive's folder)"
    if info.issym():
        return f"a symbolic link (to {info.linkname!r}): not followed"
    if info.islnk():
        return f"a hard link (to {info.linkname!r}): not followed"
    if info.ischr() or info.isblk() or info.isfifo():
        return "a device or FIFO, not a file"
    return None


def member_key(name: str) -> str:
    """The file a member's name stands for: ``./a//b.txt`` and ``a/b.txt`` are one (tar extracts both to one place)."""
    return posixpath.normpath(name).lstrip("/")


class _Checked(tarfile.TarInfo):
    """A header that is not one (a bad checksum, the archive cut inside a header) after the first is an
    error: ``tarfile`` takes it for the end of the archive, and the members after it would be lost unsaid."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        try:
            return super().frombuf(buf, encoding, errors)
        except _NOT_A_HEADER as exc:
            raise tarfile.ReadError(f"damaged: {exc}") from None


_NOT_A_HEADER = (tarfile.InvalidHeaderError, tarfile.TruncatedHeaderError)  # type: ignore[attr-defined]
