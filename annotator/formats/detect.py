"""Which format a file is in, guessed from its content (``annotator import`` without ``--format``).

Above both ``base`` (the formats and their registry) and ``_io`` (the ``Sample`` every sniffer
is given), so neither needs the other at import time.
"""
from __future__ import annotations

from pathlib import Path

from annotator.errors import AnnotatorError, InputError
from annotator.formats._io import Sample
from annotator.formats.base import Format, all_formats, registry
from annotator.plugins import say_problem

# Content sniffing tries formats in this order: the most specific signatures first,
# the loose token-per-line CoNLL last. Built-ins not listed come after, by name; plugins last.
DETECT_ORDER = (
    "label-studio", "label-studio-min", "araieval", "prodigy", "doccano", "native",
    "checkthat", "aqmar-truth", "brat", "conll",
)
SNIFF_BYTES = 64 * 1024


def detect_format(path: str | Path) -> tuple[Format, str]:
    """Guess a file's format from its content; returns the format and a one-line reason.

    A folder holding ``.ann`` files is brat standoff. Formats are asked with a
    ``_io.Sample``: the first 64 KB as text (BOM dropped exactly as the readers drop
    it) that also holds the file's first whole JSON record, however long, so a long
    first record is judged by all its keys. An explicit ``--format`` always wins
    over this guess (the caller simply does not call it).
    """
    formats = all_formats()
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", str(p))
    if p.is_dir():
        anns = sum(1 for _ in p.glob("*.ann"))
        if anns and "brat" in formats:
            return formats["brat"], f"folder with {anns} .ann file(s): brat standoff"
        raise InputError("folder without .ann files: give a file, or a brat folder", str(p))
    head = Sample.of(p, SNIFF_BYTES)
    builtin = registry().is_builtin
    names = [n for n in DETECT_ORDER if n in formats]
    names += sorted(n for n in formats if n not in names and builtin(n))
    names += sorted(n for n in formats if not builtin(n))  # plugins after every built-in: never hiding one
    for name in names:
        fmt = formats[name]
        if _sniffs(fmt, p, head):
            return fmt, (f"detected format {name!r} from the content ({fmt.detection_reason()}); "
                         "use --format to override")
    raise AnnotatorError(
        f"{p}: cannot tell the format from the content; give --format "
        f"(one of {', '.join(sorted(formats))})"
    )


def _sniffs(fmt: Format, path: Path, head: str) -> bool:
    """``fmt.sniff``; a plugin's failure is reported once and taken as "not this format"."""
    if registry().is_builtin(fmt.name):
        return fmt.sniff(path, head)
    try:
        return bool(fmt.sniff(path, head))
    except Exception as exc:
        key = (fmt.name, type(exc).__name__)
        if key not in _SNIFF_FAILED:
            _SNIFF_FAILED.add(key)
            say_problem(f"format plugin {fmt.name!r} failed to look at {path} ({type(exc).__name__}: {exc}); "
                        "taken as not this format")
        return False


_SNIFF_FAILED: set[tuple[str, str]] = set()
