"""The data shipped inside the package: label schemas (``schemas/*.yaml``) and sample texts (``seeds/``).

They live in the package and are read through ``importlib.resources`` so that a plain wheel
install (``pip install .``, not only a checkout or an editable install) has its default schema
and seeds. The checkout's top-level ``schemas`` and ``seeds`` are symlinks to these folders.
This module is the one place that knows where they are.
"""

from __future__ import annotations

import atexit
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_KEEP = contextlib.ExitStack()  # temporary copies of resources that are not plain files (zip imports)
_COPIES: dict[str, Path] = {}
atexit.register(_KEEP.close)


def _root() -> Traversable:
    """This package's folder: on disk (a checkout, an editable or a wheel install), the same
    ``Path`` that ``importlib.resources.files`` gives, without importing it (and ``zipfile``)
    at start-up; elsewhere (a zip import) what ``files`` gives."""
    here = Path(__file__).parent
    if (here / "schemas").is_dir():
        return here
    from importlib.resources import files

    return files(__name__)


def schema_names() -> tuple[str, ...]:
    """The names of the bundled schemas ("news", "wojood", …), sorted."""
    folder = _root() / "schemas"
    return tuple(sorted(e.name[: -len(".yaml")] for e in folder.iterdir()
                        if e.name.endswith(".yaml") and e.is_file()))


def schema_path(name: str) -> Path:
    """A real file path for bundled schema ``name`` (it may not exist: callers check ``is_file``).

    Schemas are loaded by path (error messages name the file), so a resource that is not a file
    on disk is copied to a temporary file kept until the process exits.
    """
    resource = _root() / "schemas" / f"{name}.yaml"
    if isinstance(resource, Path):
        return resource
    if not resource.is_file():
        return Path(str(resource))  # names the missing file; not a file on disk either
    if name not in _COPIES:
        from importlib.resources import as_file

        _COPIES[name] = _KEEP.enter_context(as_file(resource))
    return _COPIES[name]


@contextlib.contextmanager
def seeds() -> Iterator[Path]:
    """The bundled seeds folder as a real directory, for as long as the ``with`` block lasts."""
    folder = _root() / "seeds"
    if isinstance(folder, Path):
        yield folder
        return
    # Not on disk (e.g. a zip import): copy the texts out; ``as_file`` takes folders only from 3.12.
    with tempfile.TemporaryDirectory(prefix="annotator-seeds-") as tmp:
        for entry in folder.iterdir():
            if entry.is_file():
                (Path(tmp) / entry.name).write_bytes(entry.read_bytes())
        yield Path(tmp)
