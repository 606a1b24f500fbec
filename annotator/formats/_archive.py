"""Writing many small files as one stream: a tar archive member after member, and the names given.

brat's export (``formats/brat.py``) writes two files a document, into a folder or one archive; both
need each file name once only, and the archive needs headers cheaper than ``tarfile.addfile``'s.
"""

from __future__ import annotations

import array
import gzip
import os
import tarfile
import zlib
from typing import BinaryIO


class TarStream:
    """A tar archive written member after member: what ``tarfile`` writes for the same entries (PAX
    format, its end blocks and record padding), byte for byte, without its per-member costs (a copy
    of each ``TarInfo``, a file object per member). A member whose header has fields of fixed
    contents (a file with an ASCII name under 100 bytes, under 8 GiB: nearly all) takes a header
    ``tarfile`` made once, with its name, size and checksum put in place; any other, ``tarfile``'s own."""

    def __init__(self, out: BinaryIO | gzip.GzipFile, mtime: int, umask: int) -> None:
        self.out, self.mtime, self.umask, self.offset = out, mtime, umask, 0
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
        self.out.write(head)
        if data:
            self.out.write(data)
        pad = -len(data) % tarfile.BLOCKSIZE
        if pad:
            self.out.write(tarfile.NUL * pad)
        self.offset += len(head) + len(data) + pad

    def close(self) -> None:
        """The end of the archive: two empty blocks, then padding to a whole record (``tarfile.close``)."""
        end = tarfile.BLOCKSIZE * 2
        self.out.write(tarfile.NUL * (end + -(self.offset + end) % tarfile.RECORDSIZE))


_SIZE, _CHKSUM = slice(124, 136), slice(148, 156)  # a tar header's fields (POSIX ustar)


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
        raw = name.encode("utf-8", "surrogatepass")
        # the slot is the low bits: CRC-32's, spread evenly (Adler-32's are not, for names alike)
        key = (zlib.adler32(raw) << 32 | zlib.crc32(raw)) or 1  # 0 marks an empty slot
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

    @staticmethod
    def _put(slots: array.array[int], key: int) -> bool:
        mask = len(slots) - 1
        i = key & mask
        while held := slots[i]:
            if held == key:
                return False
            i = (i + 1) & mask
        slots[i] = key
        return True
