"""A program run headless to its first painted frame and ended there: the one harness of what start-up does.

Two measure start-up this way, in a fresh interpreter: ``pattern_code.compiled_at_start_up`` (which regular
expressions the first screen compiles) and ``bench/bench_startup.py --instructions`` (how many instructions it
runs, under callgrind). Textual's ``App._display`` is wrapped so that the first frame that shows the screen
(``shown``: the static text, or the document drawn) calls ``at_first_frame`` and ends the process; ``App.run``
is made headless at 100×30. Never imported by the app itself.
"""

from __future__ import annotations

__all__ = ["BARE_APP", "program"]

# a minimal Textual app painting one static screen (what ``annotator annotate``'s start-up is compared with)
BARE_APP = '''\
from textual.app import App, ComposeResult
from textual.widgets import Static


def shown(screen):
    return bool(screen.query(Static))


class Minimal(App):
    def compose(self) -> ComposeResult:
        yield Static("minimal textual app: one static screen")


Minimal().run()
'''

# ``annotator annotate`` on the store named by the last argument, a new annotator each run (a process ended at
# its first frame leaves its session claim live)
_ANNOTATE = '''\
def shown(screen):
    view = getattr(screen, "view", None) if hasattr(screen, "doc_id") else None
    return view is not None and bool(len(view._strips)) and screen.doc_id is not None
from annotator.cli import main
main(["annotate", "--db", sys.argv[-1], "--annotator", f"i{os.getpid()}", "--rtl-mode", "plain"])
'''

_FRAME = '''\
import os, sys
import textual.app
display = textual.app.App._display
def first_frame(self, screen, renderable):
    display(self, screen, renderable)
    if renderable is not None and not self._batch_count and shown(screen):
        at_first_frame()
        os._exit(0)
textual.app.App._display = first_frame
run = textual.app.App.run
textual.app.App.run = lambda self, **kw: run(self, headless=True, size=(100, 30))
'''


def program(kind: str, *, before: str = "", at_first_frame: str = "pass") -> str:
    """The source of ``kind`` (``"bare"``: ``BARE_APP``; ``"annotate"``: ``annotator annotate`` on the store given
    as the last argument) run to its first frame: ``before`` first (code that must see everything imported),
    then, for ``annotate``, ``import annotator`` (as ``python -m annotator`` and the ``annotator`` script do:
    the package sets up the start-up tables before anything else is imported), then Textual, patched; at the
    first frame the statements ``at_first_frame`` (one line) run, then the process ends."""
    if kind not in ("bare", "annotate"):
        raise ValueError(f"no program {kind!r}: bare or annotate")
    return (before + ("import annotator\n" if kind == "annotate" else "")
            + f"def at_first_frame():\n    {at_first_frame}\n" + _FRAME
            + (_ANNOTATE if kind == "annotate" else BARE_APP) + 'sys.exit("no first frame")\n')
