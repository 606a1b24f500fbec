"""``--label-map FILE``: how foreign labels become the schema's labels.

The file is YAML (a mapping ``FOREIGN: OURS``) or TSV (``FOREIGN<TAB>OURS`` per
line, ``#`` comments and blank lines ignored). The same map also renames
document- and claim-attribute keys (``claim_worthiness: check_worthy``), since a
foreign file names those too. Labels not in the map pass through unchanged; the
schema check afterwards says which ones the schema lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from annotator.errors import InputError


def load_label_map(path: str | Path) -> dict[str, str]:
    """Read a label map, with a file:line message for every mistake."""
    p = Path(path)
    if p.exists() and not p.is_file() and not p.is_dir():
        raise InputError("label map is not a regular file (a named pipe or device would never end)", str(p))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read label map ({exc.strerror})", str(p)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("label map is not valid UTF-8", str(p), byte_offset=exc.start) from None
    if p.suffix.lower() in (".yaml", ".yml") or ("\t" not in text and ":" in text):
        return _from_yaml(text, p)
    return _from_tsv(text, p)


def _from_yaml(text: str, path: Path) -> dict[str, str]:
    import yaml

    try:
        _refuse_aliases_and_depth(yaml, text, path)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"label map is not valid YAML ({getattr(exc, 'problem', exc)})", str(path),
                         mark.line + 1 if mark else None) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("label map must be a mapping FOREIGN: OURS", str(path))
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:60] + "…"
            raise InputError(f"label {key!r} maps to {shown}; expected a label name", str(path), key_path=str(key))
        out[str(key)] = str(value)
    return out


def _refuse_aliases_and_depth(yaml, text: str, path: Path) -> None:
    """A label map is a flat mapping: aliases (a "billion laughs" bomb) and deep nesting
    (a stack overflow in the loader) are refused from the event stream, before building anything."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.AliasEvent):
            raise InputError("label map uses a YAML alias (*name); write each label out",
                             str(path), event.start_mark.line + 1)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > 8:
                raise InputError("label map is nested too deeply; expected FOREIGN: OURS lines",
                                 str(path), event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _from_tsv(text: str, path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].strip():
            raise InputError("expected FOREIGN<TAB>OURS", str(path), number)
        if fields[0] in out and out[fields[0]] != fields[1].strip():
            raise InputError(f"label {fields[0]!r} is mapped twice", str(path), number)
        out[fields[0]] = fields[1].strip()
    return out


def map_label(label: str, mapping: Mapping[str, str]) -> str:
    return mapping.get(label, label)
