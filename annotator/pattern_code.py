"""The regular expressions ``annotator annotate`` compiles to its first screen, compiled once instead of at every start.

Why: ``re`` turns a pattern into its engine's code in pure Python (``re._parser`` and
``re._compiler``), and the character classes of the layout, the tokenizer, the console's control
filter and the schema's checks, and the alternations of Textual's CSS tokenizer, are large: the
112 patterns compiled on the way to the first painted document cost about a tenth of its
instructions. ``_pattern_code.py`` holds, for each, the engine's code that ``re._compiler`` makes
of it (a list of integers); the pattern is then made with ``_sre.compile`` from that code, the
last step of ``re._compiler.compile`` itself.

How, without changing a pattern: ``install`` gives ``re`` a ``_compiler.compile`` that looks the
pattern and its flags up in the table, and compiles anything else as before. The code depends
only on the pattern, its flags and the Python that compiled it, so the table is used only by the
Python (version and ``_sre.MAGIC``) that wrote it; a pattern that is not in it (an edited one, a
new one) is compiled as usual: a stale table costs time, never behaviour. ``tests/test_startup_tables.py``
checks that each entry is what ``re._compiler`` makes now, and that the first screen compiles no
pattern (it fails, saying to regenerate, when one is added or Textual changes its own).

Textual's own patterns are in the table too: like the collector turned off through start-up, this
makes our start cheaper in work that a bare Textual app also does (of the saving, about 83 M
instructions of 1,300 M are patterns a bare Textual app compiles too, ``compiled_at_start_up("bare")``).

Regenerate after adding or changing a pattern on the way to the first screen, or a new Textual:
``.venv/bin/python -m annotator.pattern_code``.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import sys
from re import _compiler  # type: ignore[attr-defined]
from typing import Any

_real_compile = _compiler.compile
_table: dict[Any, tuple] | None = None  # (pattern, flags) -> what _sre.compile takes after the pattern
# patterns compiled while installed and not in the table, only while a test records them (``recording_misses``):
# a user's session keeps no list
missed: list[tuple[str | bytes, int]] | None = None


def _entries() -> dict[Any, tuple]:
    global _table
    if _table is None:
        from annotator._pattern_code import CODE, PYTHON

        _table = CODE if PYTHON == _python() else {}
    return _table


def _python() -> tuple:
    """What the code depends on besides the pattern: the Python and its regular expression engine."""
    return (*sys.version_info[:3], _sre.MAGIC)


def _precompiled_compile(p: Any, flags: int = 0) -> Any:
    """``re._compiler.compile`` for a pattern given as text: from the table when it is there."""
    if type(p) is str or type(p) is bytes:
        found = _entries().get((p, flags))
        if found is not None:
            final_flags, code, groups, groupindex, indexgroup = found
            return _sre.compile(p, final_flags, list(code), groups, dict(groupindex), indexgroup)
        if missed is not None:
            missed.append((p, flags))
    return _real_compile(p, flags)


def install() -> None:
    """From now on, ``re`` takes the table's patterns from it (``re._compile`` calls this module
    attribute for every pattern not in its cache)."""
    _compiler.compile = _precompiled_compile


class recording_misses:  # lower case: used as a function, ``with recording_misses() as missed``
    """The patterns compiled, and not found in the table, from the start of the ``with`` to its end (for
    the tests: nothing is recorded otherwise). Not ``contextlib``: this module is imported first of all."""

    def __enter__(self) -> list[tuple[str | bytes, int]]:
        global missed
        self._outer, missed = missed, []
        return missed

    def __exit__(self, *exc: object) -> None:
        global missed
        missed = self._outer


def entry(pattern: str | bytes, flags: int) -> tuple:
    """What ``re._compiler.compile`` passes to ``_sre.compile`` for ``pattern`` (after the pattern):
    flags, code, number of groups, group names both ways."""
    from re import _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (flags | parsed.state.flags, tuple(map(int, code)), parsed.state.groups - 1, groupindex,
            tuple(indexgroup))


# -- what start-up compiles: run in a fresh interpreter to its first frame ------------------------------

# ``first_frame.program`` with this first: every pattern compiled from here on is recorded (``annotator``'s table,
# installed over this, passes on only those it lacks), printed at the first frame
_RECORD = '''
import json, sys, types
from re import _compiler
compiled = []
real = _compiler.compile
def recording(p, flags=0):
    if type(p) in (str, bytes):
        compiled.append([p if type(p) is str else None, p.decode("latin-1") if type(p) is bytes else None, flags])
    return real(p, flags)
_compiler.compile = recording
if sys.argv[1] == "generate":  # every pattern goes to ``recording``: an empty table
    sys.modules["annotator._pattern_code"] = types.SimpleNamespace(PYTHON=None, CODE={})  # type: ignore
'''
_PRINT = "sys.__stdout__.write(json.dumps(compiled) + '\\n'); sys.__stdout__.flush()"


def compiled_at_start_up(program: str, *, table: bool = True) -> list[tuple[str | bytes, int]]:
    """The patterns ``program`` compiles up to its first frame, in a fresh interpreter: ``"bare"`` (a
    Textual app of one ``Static``) or a store's path (``annotator annotate`` on it). ``table``: with
    ours in use (then only those it lacks are compiled)."""
    import json
    import subprocess

    from annotator.first_frame import program as first_frame

    code = first_frame("bare" if program == "bare" else "annotate", before=_RECORD, at_first_frame=_PRINT)
    out = subprocess.run([sys.executable, "-c", code, "check" if table else "generate", program],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"recording the patterns of {program} failed:\n{out.stderr[-3000:]}")
    return [(text if text is not None else raw.encode("latin-1"), flags)
            for text, raw, flags in json.loads(out.stdout.strip().splitlines()[-1])]


def seeded_store(folder: str) -> str:
    """A store of the bundled seeds in ``folder`` (what the first screen is measured on)."""
    import os
    import subprocess

    from annotator import bundled

    db = os.path.join(folder, "seeds.db")
    with bundled.seeds() as seeds:
        subprocess.run([sys.executable, "-m", "annotator", "import", str(seeds), "--db", db],
                       check=True, capture_output=True)
    return db


def ours(store: str) -> list[tuple[str | bytes, int]]:
    """What ``annotate`` compiles to its first frame, in order (not a pattern that warns as it is
    compiled, nor one compiled for debugging: those are compiled each time)."""
    import re
    import warnings

    keys = []
    for key in dict.fromkeys(compiled_at_start_up(store, table=False)):
        if key[1] & re.DEBUG:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                entry(*key)
            except Warning:
                continue
        keys.append(key)
    return keys


def render(keys: list[tuple[str | bytes, int]]) -> str:
    out = [
        '"""Generated by `python -m annotator.pattern_code`: the engine\'s code of the regular expressions',
        "``annotator annotate`` compiles to its first screen (see ``annotator/pattern_code.py``). Do not edit.",
        '"""',
        "# mypy: ignore-errors",
        "# ruff: noqa",
        "",
        f"PYTHON = {_python()!r}  # the Python (and _sre.MAGIC) whose re made this code",
        "CODE = {",
    ]
    out += [f"    {key!r}: {entry(*key)!r}," for key in sorted(keys, key=lambda k: (type(k[0]).__name__, k))]
    return "\n".join(out + ["}"]) + "\n"


def main() -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="pattern-code-") as folder:
        keys = ours(seeded_store(folder))
    target = Path(__file__).with_name("_pattern_code.py")
    target.write_text(render(keys), encoding="utf-8")
    print(f"wrote {len(keys)} patterns to {target.name}")


if __name__ == "__main__":
    main()
