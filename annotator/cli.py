"""Command line entry point: ``annotator <command> …``.

Each command lives in its own module under ``annotator.commands`` and exposes
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; they are
discovered here, so adding a command never means editing this file.
A user mistake (``AnnotatorError``) is printed as one clear line, exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from annotator import __version__, commands
from annotator.console import SafeMessages
from annotator.errors import AnnotatorError


def _command_modules() -> list[ModuleType]:
    mods = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"annotator.commands.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Label Arabic named entities and claims in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        # No command: the main job, annotating the bundled seeds.
        args = parser.parse_args(["annotate"])
    stderr, sys.stderr = sys.stderr, SafeMessages(sys.stderr)  # messages quote input: no raw controls
    try:
        return int(args._run(args) or 0)
    except AnnotatorError as exc:
        print(f"annotator: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("annotator: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stderr = stderr


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
