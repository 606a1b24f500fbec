"""GNU FriBidi through ctypes: an implementation of UAX #9 we did not write, used as the oracle.

Levels are resolved once per paragraph (``fribidi_get_par_embedding_levels_ex`` with bracket
types), then each line is reordered with ``fribidi_reorder_line(FRIBIDI_FLAG_REORDER_NSM)``, which
applies L1 to the line and returns its visual-to-logical map. Shaping uses FriBidi's own Arabic
joining and presentation forms (``fribidi_join_arabic`` + ``fribidi_shape``).
Tests call :func:`require` to skip with a reason when libfribidi is missing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

_NAMES = ("libfribidi.so.0", "/usr/lib/x86_64-linux-gnu/libfribidi.so.0", "libfribidi.so")

FLAG_SHAPE_MIRRORING = 0x1
FLAG_REORDER_NSM = 0x2
FLAG_SHAPE_ARAB_PRES = 0x100
FLAG_SHAPE_ARAB_LIGA = 0x200

PAR_LTR = 0x110
PAR_RTL = 0x111
PAR_ON = 0x40

FILL = "\ufeff"  # FriBidi leaves this after a lam-alef ligature
# FriBidi class names of the characters L1 resets at the end of a line.
_TRAILING = frozenset(("WS", "BN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"))


def _load():
    found = ctypes.util.find_library("fribidi")
    for name in ((found,) if found else ()) + _NAMES:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _declare(lib)
        return lib
    return None


def _declare(lib) -> None:
    u32p = ctypes.POINTER(ctypes.c_uint32)
    i8p = ctypes.POINTER(ctypes.c_int8)
    u8p = ctypes.POINTER(ctypes.c_uint8)
    intp = ctypes.POINTER(ctypes.c_int)
    lib.fribidi_get_bidi_type.argtypes = [ctypes.c_uint32]
    lib.fribidi_get_bidi_type.restype = ctypes.c_uint32
    lib.fribidi_get_bidi_type_name.argtypes = [ctypes.c_uint32]
    lib.fribidi_get_bidi_type_name.restype = ctypes.c_char_p
    lib.fribidi_get_bidi_types.argtypes = [u32p, ctypes.c_int, u32p]
    lib.fribidi_get_bidi_types.restype = None
    lib.fribidi_get_bracket.argtypes = [ctypes.c_uint32]
    lib.fribidi_get_bracket.restype = ctypes.c_uint32
    lib.fribidi_get_bracket_types.argtypes = [u32p, ctypes.c_int, u32p, u32p]
    lib.fribidi_get_bracket_types.restype = None
    lib.fribidi_get_par_embedding_levels_ex.argtypes = [u32p, u32p, ctypes.c_int, u32p, i8p]
    lib.fribidi_get_par_embedding_levels_ex.restype = ctypes.c_int8
    lib.fribidi_reorder_line.argtypes = [ctypes.c_uint32, u32p, ctypes.c_int, ctypes.c_int,
                                         ctypes.c_uint32, i8p, u32p, intp]
    lib.fribidi_reorder_line.restype = ctypes.c_int8
    lib.fribidi_get_mirror_char.argtypes = [ctypes.c_uint32, u32p]
    lib.fribidi_get_mirror_char.restype = ctypes.c_int
    lib.fribidi_get_joining_type.argtypes = [ctypes.c_uint32]
    lib.fribidi_get_joining_type.restype = ctypes.c_uint8
    lib.fribidi_get_joining_types.argtypes = [u32p, ctypes.c_int, u8p]
    lib.fribidi_get_joining_types.restype = None
    lib.fribidi_join_arabic.argtypes = [u32p, ctypes.c_int, i8p, u8p]
    lib.fribidi_join_arabic.restype = None
    lib.fribidi_shape.argtypes = [ctypes.c_uint32, i8p, ctypes.c_int, u8p, u32p]
    lib.fribidi_shape.restype = None


LIB = _load()


def require() -> None:
    """Skip the calling test when libfribidi cannot be loaded."""
    if LIB is None:
        import pytest

        pytest.skip("libfribidi (package libfribidi0) is not installed: no oracle to compare with")


def _chars(text: str):
    return (ctypes.c_uint32 * max(len(text), 1))(*[ord(c) for c in text])


def _par_type(direction: str) -> int:
    return {"rtl": PAR_RTL, "ltr": PAR_LTR, "auto": PAR_ON}[direction]


@cache
def bidi_type_name(ch: str) -> str:
    """FriBidi's bidi class name of one character (``AL``, ``NSM``, ``LRI``…)."""
    return LIB.fribidi_get_bidi_type_name(LIB.fribidi_get_bidi_type(ord(ch))).decode()


def mirror_char(ch: str) -> str | None:
    """FriBidi's Bidi_Mirroring_Glyph of ``ch`` (None if it has none)."""
    out = ctypes.c_uint32(0)
    if LIB.fribidi_get_mirror_char(ord(ch), ctypes.byref(out)):
        return chr(out.value)
    return None


def bracket(ch: str) -> int:
    """FriBidi's bracket type: 0 if not a paired bracket, else opening bracket code | open flag."""
    return LIB.fribidi_get_bracket(ord(ch))


def joining_type(ch: str) -> int:
    return LIB.fribidi_get_joining_type(ord(ch))


class Paragraph:
    """One paragraph resolved by FriBidi: levels once, then reorder any line range."""

    def __init__(self, text: str, direction: str = "rtl") -> None:
        self.text = text
        n = len(text)
        self._n = n
        self._str = _chars(text)
        self._types = (ctypes.c_uint32 * max(n, 1))()
        self._brackets = (ctypes.c_uint32 * max(n, 1))()
        self._levels = (ctypes.c_int8 * max(n, 1))()
        LIB.fribidi_get_bidi_types(self._str, n, self._types)
        LIB.fribidi_get_bracket_types(self._str, n, self._types, self._brackets)
        base = ctypes.c_uint32(_par_type(direction))
        if n and not LIB.fribidi_get_par_embedding_levels_ex(self._types, self._brackets, n,
                                                             ctypes.byref(base), self._levels):
            raise RuntimeError("fribidi_get_par_embedding_levels_ex failed")
        self.base_dir = base.value
        self.base_level = 1 if base.value & 1 else 0

    @property
    def levels(self) -> list[int]:
        """Paragraph embedding levels (after FriBidi's L1 for the paragraph end)."""
        return list(self._levels[: self._n])

    def _levels_for_line(self, start: int, end: int, fix_isolates: bool):
        levels = (ctypes.c_int8 * max(self._n, 1))(*self._levels[: self._n])
        if fix_isolates:
            # UAX #9 L1 resets isolate formatting characters at the end of a line too; FriBidi
            # 1.0.8's fribidi_reorder_line only resets whitespace, explicit codes and BN (its
            # paragraph-end L1 does include isolates). Do that part of L1 for it.
            i = end - 1
            while i >= start and bidi_type_name(self.text[i]) in _TRAILING:
                levels[i] = self.base_level
                i -= 1
        return levels

    def visual_map(self, start: int, end: int, *, fix_isolates: bool = True) -> list[int]:
        """Logical indices (into the paragraph) of the line ``[start, end)``, left to right."""
        levels = self._levels_for_line(start, end, fix_isolates)
        index_map = (ctypes.c_int * max(self._n, 1))(*range(self._n))
        if end > start:
            ok = LIB.fribidi_reorder_line(FLAG_REORDER_NSM, self._types, end - start, start,
                                          self.base_dir, levels, None, index_map)
            if not ok:
                raise RuntimeError("fribidi_reorder_line failed")
        return list(index_map[start:end])

    def line_levels(self, start: int, end: int, *, fix_isolates: bool = True) -> list[int]:
        """Levels of the line after FriBidi's L1 for that line (logical order)."""
        levels = self._levels_for_line(start, end, fix_isolates)
        if end > start:
            LIB.fribidi_reorder_line(0, self._types, end - start, start, self.base_dir, levels,
                                     None, None)
        return list(levels[start:end])

    def shaped(self) -> str:
        """The paragraph in logical order with FriBidi's mirroring and Arabic shaping applied.

        A lam-alef ligature takes the lam's place and FriBidi leaves :data:`FILL` at the alef's.
        """
        n = self._n
        joining = (ctypes.c_uint8 * max(n, 1))()
        LIB.fribidi_get_joining_types(self._str, n, joining)
        LIB.fribidi_join_arabic(self._types, n, self._levels, joining)
        out = (ctypes.c_uint32 * max(n, 1))(*self._str[:n])
        flags = FLAG_SHAPE_MIRRORING | FLAG_SHAPE_ARAB_PRES | FLAG_SHAPE_ARAB_LIGA
        LIB.fribidi_shape(flags, self._levels, n, joining, out)
        return "".join(chr(c) for c in out[:n])

    def mirrored(self) -> str:
        """The paragraph in logical order with only mirroring applied (characters at odd levels)."""
        n = self._n
        joining = (ctypes.c_uint8 * max(n, 1))()
        out = (ctypes.c_uint32 * max(n, 1))(*self._str[:n])
        LIB.fribidi_shape(FLAG_SHAPE_MIRRORING, self._levels, n, joining, out)
        return "".join(chr(c) for c in out[:n])


def generate_tables() -> str:
    """Source of ``annotator/layout/unicode_data.py`` (Bidi_Mirroring_Glyph, BidiBrackets, joining types).

    Python's ``unicodedata`` lacks these three properties; FriBidi carries BidiMirroring.txt,
    BidiBrackets.txt and ArabicShaping.txt, so the tables are dumped from it once
    (``python tests/fribidi_oracle.py > annotator/layout/unicode_data.py``). The algorithm using
    them is ours; ``test_layout_oracle.py::test_generated_tables_match_fribidi`` checks the dump.
    """
    def chunks(items, per_line):
        for i in range(0, len(items), per_line):
            yield "    " + " ".join(items[i:i + per_line])

    cps = [cp for cp in range(0x30000) if not 0xD800 <= cp < 0xE000]
    mirrors = [f"{cp:04X}:{ord(mirror_char(chr(cp))):04X}" for cp in cps if mirror_char(chr(cp))]
    brackets = [f"{cp:04X}:{bracket(chr(cp)) & 0xFFFFFF:04X}{'o' if bracket(chr(cp)) & 0x80000000 else 'c'}"
                for cp in cps if bracket(chr(cp))]
    names = {0: "U", 5: "R", 7: "D", 3: "C", 6: "L"}
    joining = []
    ranges = [(0x0600, 0x0900), (0x1800, 0x18B0), (0x200C, 0x200E), (0xA840, 0xA880),
              (0x10AC0, 0x10B00), (0x10B80, 0x10BB0), (0x10D00, 0x10D40), (0x10F30, 0x10F70)]
    for lo, hi in ranges:
        for cp in range(lo, hi):
            jt = joining_type(chr(cp))
            if jt in (3, 5, 6, 7):
                joining.append(f"{cp:04X}:{names[jt]}")
    lines = [
        '"""Unicode properties Python\'s unicodedata lacks (dumped from GNU FriBidi\'s copies of',
        "BidiMirroring.txt, BidiBrackets.txt and ArabicShaping.txt by tests/fribidi_oracle.py).",
        "",
        "Generated file: edit the generator, not this.",
        '"""',
        "",
        "from itertools import repeat",
        "",
        "# Bidi_Mirroring_Glyph: code point -> mirrored code point (hex pairs).",
        '_MIRRORS = """',
        *chunks(mirrors, 8),
        '"""',
        "",
        "# Paired brackets: code point -> bracket identity (the opening bracket, after FriBidi's",
        "# equivalences, e.g. U+2329 -> U+3008) and o(pening)/c(losing).",
        '_BRACKETS = """',
        *chunks(brackets, 8),
        '"""',
        "",
        "# Joining_Type other than U (non-joining) and T (transparent: Mn, Me, Cf), by code point.",
        '_JOINING = """',
        *chunks(joining, 10),
        '"""',
        "",
        "",
        "def _pairs(block: str) -> dict[str, str]:",
        "    \"\"\"Code point -> value, of each ``XXXX:value`` item of ``block``: split and converted in C (a",
        "    comprehension over the items cost every start about 30,000 bytecodes).\"\"\"",
        "    items = block.replace(\":\", \" \").split()",
        "    return dict(zip(map(chr, map(int, items[0::2], repeat(16))), items[1::2], strict=True))",
        "",
        "",
        "MIRRORS: dict[str, str] = {k: chr(int(v, 16)) for k, v in _pairs(_MIRRORS).items()}",
        "OPENING_BRACKETS: dict[str, str] = {",
        "    k: chr(int(v[:-1], 16)) for k, v in _pairs(_BRACKETS).items() if v.endswith(\"o\")}",
        "CLOSING_BRACKETS: dict[str, str] = {",
        "    k: chr(int(v[:-1], 16)) for k, v in _pairs(_BRACKETS).items() if v.endswith(\"c\")}",
        "JOINING_TYPES: dict[str, str] = _pairs(_JOINING)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(generate_tables(), end="")


# ---------------------------------------------------------------------------------------
# Comparing the engine's lines with FriBidi
# ---------------------------------------------------------------------------------------
# Where the engine differs from FriBidi on purpose (tests/test_layout_oracle.py checks each).
DELIBERATE_DIFFERENCES = {
    "lam-mark-alef": "lam + haraka + alef is drawn as one lam-alef ligature carrying the haraka "
                     "(FriBidi joins lam and alef but makes no ligature across the haraka, so its "
                     "visual line has lam and alef as two separate glyphs).",
    "line-end-isolate": "an isolate control (LRI/RLI/FSI/PDI) at the end of a wrapped line goes to "
                        "the paragraph level (UAX #9 L1); fribidi_reorder_line 1.0.8 leaves it "
                        "at its level. The oracle applies that clause of L1 before reordering.",
}


def _lam_marks_alef(chunk: str) -> bool:
    import unicodedata

    return (len(chunk) > 2 and chunk[0] == "\u0644" and chunk[-1] in "\u0622\u0623\u0625\u0627"
            and all(unicodedata.category(c) == "Mn" for c in chunk[1:-1])) or (
        len(chunk) > 2 and chunk[0] == "\u0644" and any(c in "\u0622\u0623\u0625\u0627" for c in chunk)
        and any(unicodedata.category(c) == "Mn" for c in chunk[1:chunk.index(next(
            c for c in chunk if c in "\u0622\u0623\u0625\u0627"))]))


def compare_lines(text: str, lines, direction: str = "rtl", shaped: bool = False,
                  offset: int = 0) -> list[str]:
    """Differences between the engine's visual lines of one paragraph and FriBidi's.

    Per line, FriBidi's visual-to-logical map is turned into a sequence of the engine's cells
    (each index replaced by the cell that shows it): it must be exactly the engine's cells,
    left to right, each cell's characters adjacent. Then every cell drawn from text is
    compared with FriBidi's mirrored (and, with ``shaped``, shaped) characters in FriBidi's
    visual order (lam-alef filler dropped; dotted circles for orphan marks ignored).
    """
    from annotator.layout.glyphs import BASE, DOTTED_CIRCLE, MARK, SPACE, char_kind

    par = Paragraph(text, direction)
    reference = par.shaped() if shaped else par.mirrored()
    problems: list[str] = []
    for number, line in enumerate(lines):
        start, end = line.start - offset, line.end - offset
        order = par.visual_map(start, end)
        cell_of = {}
        for k, cell in enumerate(line.cells):
            for i in range(cell.start - offset, cell.end - offset):
                cell_of[i] = k
        if set(cell_of) != set(range(start, end)):
            problems.append(f"line {number}: cells cover {sorted(set(cell_of) ^ set(range(start, end)))} wrongly")
            continue
        seq: list[int] = []
        for i in order:
            k = cell_of[i]
            if not seq or seq[-1] != k:
                seq.append(k)
        if seq != list(range(len(line.cells))):
            problems.append(f"line {number} [{start}:{end}] order differs: fribidi "
                            f"{''.join(reference[i] for i in order)!r} engine {line.text!r}")
            continue
        position = {i: p for p, i in enumerate(order)}
        for cell in line.cells:
            if cell.width == 0:
                continue
            indices = sorted(range(cell.start - offset, cell.end - offset), key=position.get)
            if not all(char_kind(text[i]) in (BASE, MARK, SPACE) for i in indices):
                continue
            if shaped and _lam_marks_alef(text[cell.start - offset:cell.end - offset]):
                continue  # deliberate: see DELIBERATE_DIFFERENCES
            expected = "".join(reference[i] for i in indices).replace(FILL, "")
            if any(0xD800 <= ord(text[i]) <= 0xDFFF for i in indices):
                continue
            got = cell.text.replace(DOTTED_CIRCLE, "") if DOTTED_CIRCLE not in text[cell.start - offset:cell.end - offset] else cell.text
            if got != expected:
                problems.append(f"line {number} cell {cell.start}:{cell.end} {text[cell.start - offset:cell.end - offset]!r}: "
                                f"fribidi {expected!r} engine {cell.text!r}")
    return problems


_FRIBIDI_NAMES = {"LTR": "L", "RTL": "R", "SS": "S", "BS": "B"}


def class_differs(ch: str) -> bool:
    """True when FriBidi's Bidi_Class of ``ch`` differs from Python's (different Unicode versions)."""
    from annotator.layout.bidi import bidi_class

    name = bidi_type_name(ch)
    return _FRIBIDI_NAMES.get(name, name) != bidi_class(ch)


def known_deviation(text: str) -> str | None:
    """Why FriBidi 1.0.8 cannot be trusted on ``text`` (None when it can).

    - ``unicode-version``: a character whose Bidi_Class FriBidi's older tables give differently
      (mostly emoji added since: FriBidi calls them L, Unicode 14 ON).
    - ``sibling-isolates``: FriBidi keeps one "last strong type" per isolate depth, so an
      isolate's W2/W7 see the strong type left by an earlier isolate instead of its own sos.
    - ``mark-after-neutral``: FriBidi merges a mark that W1 made ON with neighbouring ON runs,
      so N0 (brackets) and N1 resolve the merged run as one; UAX #9 resolves them apart.
    - ``bracket-context-across-embeddings``: FriBidi's N0 looks for the strong type before an
      opening bracket past the start of its isolating run sequence, into text outside an explicit
      embedding (``0 LRE [ ؛ ]``: FriBidi takes the 0 as context; UAX #9 stops at sos, L).
    """
    from annotator.layout.bidi import REMOVED, bidi_classes
    from annotator.layout.unicode_data import CLOSING_BRACKETS, OPENING_BRACKETS

    if any(class_differs(ch) for ch in set(text)):
        return "unicode-version"
    classes = bidi_classes(text)
    if sum(c in ("LRI", "RLI", "FSI") for c in classes) >= 2:
        return "sibling-isolates"
    if any(ch in OPENING_BRACKETS or ch in CLOSING_BRACKETS for ch in text):
        if any(c in ("LRE", "RLE", "LRO", "RLO", "PDF") for c in classes):
            return "bracket-context-across-embeddings"
        previous = None
        for cls in classes:
            if cls == "NSM":
                if previous in ("ON", "ES", "ET", "CS", "WS", "S", "B", "LRI", "RLI", "FSI", "PDI"):
                    return "mark-after-neutral"
            elif cls not in REMOVED:
                previous = cls
    return None
