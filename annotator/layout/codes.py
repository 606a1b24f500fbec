"""One code byte per character, looked up for a whole paragraph in C, 256 code points at a time.

``str.translate`` with a dict costs some 30–50 ns per non-ASCII character (an int object and a
dict lookup each), and the engine needs several codes of every character (bidi class, how it
is drawn, joining type). A paragraph that Windows-1256 encodes (most Arabic text: the codec
is C) is one byte per character, and a table then answers with one ``bytes.translate``.
Otherwise a paragraph is encoded once in UTF-16 and cut into its high
bytes (the *page* of each character: 0x06 for Arabic, 0x00 for ASCII) and low bytes. A table
then answers per page with ``bytes.translate`` on the low bytes, pages combined by masks (big
integer ANDs): a few passes in C, under a nanosecond per character each. Text holding a
character outside the Basic Multilingual Plane or a lone surrogate, or shorter than
:data:`SHORT` characters, takes ``str.translate``.
"""

from __future__ import annotations

import unicodedata
from codecs import charmap_encode
from collections.abc import Callable
from encodings.cp1256 import encoding_table as _SINGLE_BYTE_TABLE

# page -> a table keeping only that page's byte (built by slicing: a generator per page cost 3 ms of start-up)
_PAGE_MASKS = [b"\x00" * page + b"\xff" + b"\x00" * (255 - page) for page in range(256)]
COMMON_PAGES = bytes((0x00, 0x06))  # ASCII and Latin-1, Arabic
SHORT = 64  # characters: a text shorter than this is looked up by str.translate
# Windows-1256 holds ASCII, Arabic letters and harakat, Persian letters, ZWJ/ZWNJ/LRM/RLM and
# common punctuation in one byte each: nearly every Arabic paragraph encodes (in C) with it.
SINGLE_BYTE = "cp1256"
_SINGLE_BYTE_CHARS = bytes(range(256)).decode(SINGLE_BYTE, "replace")


NAMED: dict[str, ByteTable] = {}  # name -> the table: those whose Windows-1256 codes are generated


class ByteTable(dict[int, str]):
    """Character -> one code byte (``code(ch)``, 0..255), computed on first use: a
    ``str.translate`` table (code point -> the code as a character) and, per page, a
    ``bytes.translate`` table of the 256 code points of the page.

    A table with a ``name`` reads its Windows-1256 codes from ``_single_byte_codes.py``
    (``tablegen``), made with this Python's Unicode data: the first Arabic string of every start
    computed them, 256 characters per table, character by character."""

    def __init__(self, code: Callable[[str], int], name: str | None = None) -> None:
        super().__init__()
        self._code = code
        self._pages: dict[int, bytes] = {}
        self._single: bytes | None = None
        self.name = name
        if name is not None:
            NAMED[name] = self

    def __missing__(self, cp: int) -> str:
        value = self[cp] = chr(self._code(chr(cp)))
        return value

    def single_bytes(self) -> bytes:
        """The codes of the 256 characters of :data:`SINGLE_BYTE` (Windows-1256), by byte."""
        if self._single is None:
            self._single = _generated(self.name) or self.computed_single_bytes()
        return self._single

    def computed_single_bytes(self) -> bytes:
        """:meth:`single_bytes` made from ``code`` (what ``_single_byte_codes.py`` holds)."""
        return bytes(ord(self[ord(ch)]) for ch in _SINGLE_BYTE_CHARS)

    def page(self, page: int) -> bytes:
        """The codes of the 256 code points ``page * 256 + low``, indexed by ``low``."""
        found = self._pages.get(page)
        if found is None:
            base = page << 8
            found = self._pages[page] = bytes(ord(self[base | low]) for low in range(256))
        return found


def _generated(name: str | None) -> bytes | None:
    """The generated Windows-1256 codes of table ``name``, if made with this Python's Unicode data."""
    if name is None:
        return None
    from annotator.layout._single_byte_codes import CODES, UNIDATA_VERSION

    return CODES.get(name) if UNIDATA_VERSION == unicodedata.unidata_version else None


class Pages:
    """A paragraph cut into pages once, for :meth:`codes` of any number of tables."""

    __slots__ = ("text", "n", "single", "low", "high", "pages", "masks")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = n = len(text)
        self.low: bytes | None = None  # the low and high byte of each character (its page): UTF-16 cut
        self.high: bytes | None = None
        self.pages: list[int] = []
        self.masks: list[int] = []
        try:
            self.single: bytes | None = charmap_encode(text, "strict", _SINGLE_BYTE_TABLE)[0]  # C, no codec frame
            return  # one byte per character: every table is one bytes.translate
        except UnicodeEncodeError:
            self.single = None
        if n < SHORT:
            return  # str.translate costs less than cutting pages
        units = text.encode("utf-16-be", "surrogatepass")
        if len(units) != 2 * n:
            return  # a character beyond the BMP: a surrogate pair
        high = units[0::2]
        rest = high.translate(None, COMMON_PAGES)
        pages = sorted(set(rest)) if rest else []
        if any(0xD8 <= page <= 0xDF for page in pages):
            return  # a lone surrogate
        pages.extend(page for page in COMMON_PAGES if page in high)
        self.low = units[1::2]
        self.high = high
        self.pages = pages
        if len(pages) > 1:
            self.masks = [int.from_bytes(high.translate(_PAGE_MASKS[page]), "big") for page in pages]

    def codes(self, table: ByteTable) -> bytes:
        """``table``'s code of every character of the paragraph."""
        if self.single is not None:
            return self.single.translate(table.single_bytes())
        low = self.low
        if low is None:
            return self.text.translate(table).encode("latin-1")
        if len(self.pages) == 1:
            return low.translate(table.page(self.pages[0]))
        found = 0
        for page, mask in zip(self.pages, self.masks, strict=True):
            found |= int.from_bytes(low.translate(table.page(page)), "big") & mask
        return found.to_bytes(self.n, "big")
