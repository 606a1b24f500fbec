"""Registries of pluggable parts: the built-in ones listed by name, others' through entry points.

Formats (``annotator.formats``) and stores (``annotator.stores``, keyed by URL scheme) each
keep one ``Registry``: an explicit table of the built-ins (``name -> "module:Class"``,
imported only when first used, so nothing loads at start-up that a run does not need) and
the entry points that installed packages declare in the registry's group. A package adds a
format by declaring, in its ``pyproject.toml``::

    [project.entry-points."annotator.formats"]
    yaml-spans = "acme_formats.yaml_spans:YamlSpans"

Entry points are read (metadata only) on the first lookup and each is imported only when
its name is asked for, or when every entry is needed (format detection). A plugin that
fails to import, is not a subclass of the contract, leaves an abstract method out, or takes
a built-in's name is refused with one line naming its entry point, never a traceback, and
never hides a built-in. See docs/plugins.md.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from annotator.errors import AnnotatorError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

T = TypeVar("T")


class PluginError(AnnotatorError):
    """A part that cannot be used (its one line names the entry point and the reason)."""


def import_object(spec: str) -> Any:
    """``"package.module:Name"`` -> the object (the form entry points use)."""
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points installed in ``group``. ``importlib.metadata`` (which loads email,
    zipfile…) is imported on the first read: opening a built-in store or format reads none."""
    from importlib.metadata import entry_points as installed

    return list(installed(group=group))


def missing_methods(cls: type) -> list[str]:
    """The abstract methods a class leaves unimplemented (it cannot be instantiated)."""
    return sorted(getattr(cls, "__abstractmethods__", ()))


def say_problem(line: str) -> None:
    """Tell the person running annotator about a plugin that cannot be used: one line, made
    terminal-safe (an entry point's name and error come from installed metadata)."""
    from annotator.console import terminal_safe

    print(f"annotator: warning: {terminal_safe(line, one_line=True)}", file=sys.stderr)


class Registry(Generic[T]):
    """Names -> parts of one kind (``kind``: "format", "store scheme").

    ``make(obj, name)`` turns what a built-in spec or an entry point names into the registered
    part, checking the contract; it raises ``PluginError`` (or ``TypeError``) with the reason
    a part is refused. A built-in that fails its check is a bug and raises; a plugin that
    fails is reported once through ``report`` and left out.
    """

    def __init__(self, *, kind: str, group: str, builtins: Mapping[str, str],
                 make: Callable[[Any, str], T], name_pattern: str,
                 report: Callable[[str], None] = say_problem) -> None:
        self.kind = kind
        self.group = group
        self.builtins = dict(builtins)
        self._make = make
        self._name = re.compile(name_pattern)
        self._report = report
        self._made: dict[str, T] = {}
        self._plugins: dict[str, EntryPoint] | None = None
        self._refused: dict[str, str] = {}  # plugin name -> the line that says why it cannot be used
        self._unread = ""  # why the entry points could not be read at all
        self._said: set[str] = set()

    # -- lookups ------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every usable name: the built-ins and the entry points declared (none imported)."""
        return sorted({*self.builtins, *self._entry_points()})

    def get(self, name: str) -> T:
        """The part called ``name``, imported now if it was not yet; ``AnnotatorError`` (one
        line) when there is none or its plugin cannot be used."""
        if name in self._made:
            return self._made[name]
        if name in self.builtins:
            part = self._make(import_object(self.builtins[name]), name)
        elif name in self._entry_points():
            part = self._load(name)
        elif name in self._refused:
            raise PluginError(self._refused[name])
        else:
            raise AnnotatorError(f"unknown {self.kind} {name!r}; known {self.kind}s: {', '.join(self.names())}")
        self._made[name] = part
        return part

    def all(self) -> dict[str, T]:
        """Every usable part (plugins imported now); each plugin refused is reported once (only
        here and when asked for by name: listing names for --help stays silent)."""
        parts = {}
        names = self.names()
        for line in ([self._unread] if self._unread else []) + list(self._refused.values()):
            self._say(line)
        for name in names:
            try:
                parts[name] = self.get(name)
            except PluginError as exc:
                self._say(str(exc))
        return parts

    def is_builtin(self, name: str) -> bool:
        return name in self.builtins

    # -- entry points -------------------------------------------------------------------

    def _entry_points(self) -> dict[str, EntryPoint]:
        """The group's entry points by name, read once (metadata only); a declaration that can
        never be used (a built-in's name, a malformed name, a name two packages declare) is
        refused here, and said by ``all`` or a lookup of that name."""
        if self._plugins is None:
            self._plugins = {}
            try:
                found = list(entry_points(group=self.group))
            except Exception as exc:  # broken metadata somewhere on sys.path
                self._unread = (f"cannot read the {self.group} entry points ({type(exc).__name__}: {exc}); "
                          f"only the built-in {self.kind}s are available")
                found = []
            for ep in found:
                why = None
                if ep.name in self.builtins:
                    why = f"{ep.name!r} is a built-in {self.kind}, which a plugin cannot replace"
                elif not self._name.fullmatch(ep.name):
                    why = f"{ep.name!r} is not a valid {self.kind} name"
                elif ep.name in self._plugins:
                    why = f"{describe(self._plugins[ep.name])} declares it too; the first is used"
                if why is None:
                    self._plugins[ep.name] = ep
                else:
                    self._refused.setdefault(ep.name, f"{self.kind} plugin {describe(ep)} refused: {why}")
        return self._plugins

    def _load(self, name: str) -> T:
        ep = self._entry_points()[name]
        try:
            part = self._make(ep.load(), name)
        except (Exception, SystemExit) as exc:
            reason = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
            line = f"{self.kind} plugin {describe(ep)} not loaded: {reason}"
            del self._plugins[name]  # type: ignore[union-attr]  # read just above
            self._refused[name] = line
            raise PluginError(line) from None
        return part

    def _say(self, line: str) -> None:
        if line not in self._said:
            self._said.add(line)
            self._report(line)

    def forget(self) -> None:
        """Read the entry points again at the next lookup (tests install plugins on the fly)."""
        self._made = {name: part for name, part in self._made.items() if name in self.builtins}
        self._plugins = None
        self._refused.clear()
        self._unread = ""
        self._said.clear()


def describe(ep: EntryPoint) -> str:
    """``'tiny' (entry point tiny = pkg.mod:Cls in annotator.formats, from acme 1.0)``."""
    dist = ep.dist
    source = f", from {dist.name} {dist.version}" if dist is not None else ""
    return f"{ep.name!r} (entry point {ep.name} = {ep.value} in {ep.group}{source})"
