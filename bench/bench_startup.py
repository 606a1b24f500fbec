"""Start-up to the first painted screen: ``annotator annotate`` against a minimal Textual app.

Issue 12, aim 1: ``annotator annotate`` must reach its first painted document within 1.5×
the start-up of a minimal Textual app that paints one static screen. Both run in a real
terminal (a private tmux server, 100×30), alternately in the same run so that machine
load hits both alike: (a) ``annotator annotate --db STORE`` on a 5-document store (the
bundled seeds, imported once beforehand) and (b) a Textual ``App`` whose one screen is a
``Static``. Time runs from the moment the shell ``exec``s the Python process
(``$EPOCHREALTIME``) to the first ``capture-pane`` that shows the screen's text (the
document's header and body for (a), the static text for (b)); the pane is polled every
few milliseconds, the same for both. The first round is a warm-up (page cache, .pyc
files) and is not counted; medians are reported, and their ratio.

    .venv/bin/python bench/bench_startup.py [--rounds 10] [--rtl-mode auto] [--baseline TREE] [--instructions]

``--baseline TREE`` also runs ``annotator annotate`` from another checkout (``PYTHONPATH=TREE``,
e.g. ``git archive main | tar -x -C /tmp/main``) in the same rounds, so a change is measured
against the code before it under the same load, not in a separate run. ``--instructions`` counts
instead the instructions each program runs to its first frame (headless, under valgrind's callgrind):
a ratio the machine's load does not move.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import callgrind_instructions, cpu_model  # noqa: E402

from annotator.first_frame import BARE_APP, program  # noqa: E402  (``--instructions``: each run to its first frame)

AIM = 1.5
POLL = 0.004  # seconds between captures of the pane

MINIMAL_MARKERS = ("one static screen",)

BASELINE = "baseline annotate"
# the header (document counter and progress) and a number from the first seed's body
ANNOTATE_MARKERS = ("1/5", "/5 finished", "157")


class Pane:
    """A private tmux server per command run (a new socket each time: a server still
    shutting down on a reused socket makes the next start fail now and then)."""

    def __init__(self, width: int = 100, height: int = 30) -> None:
        self.socket = ""
        self.size = (str(width), str(height))

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True).stdout

    def time_to(self, command: str, markers: tuple[str, ...], stamp: Path, timeout: float = 30.0,
                pythonpath: str = "") -> float:
        """Seconds from ``exec`` of ``command`` to a screen showing every marker."""
        stamp.unlink(missing_ok=True)
        # bytecode caches as an installed package has them (a test run may have turned them off)
        # in the run's own folder: ``python -m`` puts the working directory first on sys.path, so a
        # checkout there would shadow --baseline's PYTHONPATH
        shell = (f"cd {shlex.quote(str(stamp.parent))}; unset COLUMNS LINES PYTHONDONTWRITEBYTECODE; "
                 "export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8; "
                 + (f"export PYTHONPATH={shlex.quote(pythonpath)}; " if pythonpath else "") +
                 f"printf %s $EPOCHREALTIME > {stamp}; exec {command}")
        for _ in range(3):  # a server that dies while starting is started again (it happens under load)
            self.socket = f"bench-startup-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            # remain-on-exit: a command that fails leaves its message on the screen for the report
            self.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                      "new-session", "-d", "-x", self.size[0], "-y", self.size[1], "bash", "-c", shell)
            if subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0:
                break
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                screen = self.tmux("capture-pane", "-p")
                seen = time.time()
                if all(m in screen for m in markers) and stamp.exists():
                    return seen - float(stamp.read_text().replace(",", "."))
                time.sleep(POLL)
            raise RuntimeError(f"the screen never showed {markers!r}; last screen:\n{screen}")
        finally:
            self.tmux("kill-server")


def make_store(folder: Path, tree: str | None = None) -> Path:
    """A store holding the 5 bundled seed documents, made by the code of ``tree`` (default: this one),
    so an older checkout is timed on a store of its own schema."""
    db = folder / ("five.db" if tree is None else "five-baseline.db")
    env = os.environ | ({"PYTHONPATH": tree} if tree else {})
    subprocess.run([sys.executable, "-m", "annotator", "import", str(REPO / "seeds"), "--db", str(db)],
                   check=True, capture_output=True, cwd=folder, env=env)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="counted rounds (after one warm-up)")
    parser.add_argument("--baseline", metavar="TREE", help="also time `annotator annotate` from this checkout "
                                                         "(PYTHONPATH=TREE), in the same rounds")
    parser.add_argument("--rtl-mode", default="auto", help="passed to annotate (auto probes the terminal, "
                                                            "as a user's run does)")
    parser.add_argument("--instructions", action="store_true",
                        help="instead: count the instructions each program runs to its first frame (headless, "
                             "under valgrind's callgrind, a few minutes): the same on a quiet or a loaded machine")
    args = parser.parse_args()
    if args.instructions:
        return instructions(args.baseline)
    if shutil.which("tmux") is None or shutil.which("bash") is None:
        print("bench_startup: needs tmux and bash", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        db = make_store(folder)
        minimal = folder / "minimal_app.py"
        minimal.write_text(BARE_APP, encoding="utf-8")
        stamp = folder / "started"
        py = sys.executable
        annotate = f"{py} -m annotator annotate --db {db} --rtl-mode {args.rtl_mode} --annotator"
        base_db = make_store(folder, args.baseline) if args.baseline else db
        base_annotate = f"{py} -m annotator annotate --db {base_db} --rtl-mode {args.rtl_mode} --annotator"
        minimal_app = f"{py} {minimal}"
        pane = Pane()
        times: dict[str, list[float]] = {"annotator annotate": [], "minimal Textual app": []}
        if args.baseline:
            times[BASELINE] = []
        ratios: list[float] = []
        for round_no in range(args.rounds + 1):
            # a killed app leaves its session claim live: a new annotator name each round
            commands: dict[str, tuple] = {"annotator annotate": (f"{annotate} bench{round_no}", ANNOTATE_MARKERS),
                                          "minimal Textual app": (minimal_app, MINIMAL_MARKERS)}
            if args.baseline:
                commands[BASELINE] = (f"{base_annotate} base{round_no}", ANNOTATE_MARKERS, args.baseline)
            # rotate which goes first, so none always runs right after another
            names = list(commands)
            order = names[round_no % len(names):] + names[:round_no % len(names)]
            got = {name: pane.time_to(*commands[name][:2], stamp=stamp, pythonpath=(commands[name] + ("",))[2])
                   for name in order}
            if round_no == 0:
                continue  # warm-up
            for name, seconds in got.items():
                times[name].append(seconds)
            ratios.append(got["annotator annotate"] / got["minimal Textual app"])
            print(f"round {round_no:2d}: " + "  ".join(f"{n} {got[n] * 1000:6.0f} ms" for n in times)
                  + f"  ratio {ratios[-1]:.2f}", flush=True)
    med = {name: statistics.median(v) for name, v in times.items()}
    ratio = med["annotator annotate"] / med["minimal Textual app"]
    print()
    print(f"{'':22s}{'median':>9s}{'min':>9s}{'max':>9s}")
    for name, values in times.items():
        print(f"{name:22s}{med[name] * 1000:7.0f}ms{min(values) * 1000:7.0f}ms{max(values) * 1000:7.0f}ms")
    print(f"ratio of medians: {ratio:.2f} (median of per-round ratios {statistics.median(ratios):.2f}); "
          f"aim <= {AIM}: {'holds' if ratio <= AIM else 'MISSED'}")
    if args.baseline:
        print(f"baseline ({args.baseline}): ratio of medians {med[BASELINE] / med['minimal Textual app']:.2f}; "
              f"this tree saves {(med[BASELINE] - med['annotator annotate']) * 1000:.0f} ms of the median")
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


def instructions(baseline: str | None) -> int:
    """Instructions to the first frame, counted by callgrind: the machine's load does not change them,
    so the ratio of a loaded shared machine is a quiet one's (a cross-check of the timed rounds, which
    measure the terminal too: its output, and waits such as the disk's)."""
    if shutil.which("valgrind") is None:
        print("bench_startup: --instructions needs valgrind", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        db = make_store(folder)
        (folder / "minimal.py").write_text(program("bare"), encoding="utf-8")
        (folder / "annotate.py").write_text(program("annotate"), encoding="utf-8")
        programs = {"minimal Textual app": ("minimal.py", ""), "annotator annotate": ("annotate.py", "")}
        if baseline:
            programs[BASELINE] = ("annotate.py", baseline)
        counts = {}
        for name, (script, pythonpath) in programs.items():
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env.update({"PYTHONPATH": pythonpath} if pythonpath else {})
            counts[name] = callgrind_instructions([sys.executable, str(folder / script), str(db)], env, cwd=folder)
            print(f"{name:22s}{counts[name] / 1e6:9.0f} M instructions", flush=True)
    ratio = counts["annotator annotate"] / counts["minimal Textual app"]
    print(f"ratio: {ratio:.2f}" + (f"; baseline ({baseline}): {counts[BASELINE] / counts['minimal Textual app']:.2f}"
                                   if baseline else ""))
    return 0



if __name__ == "__main__":
    sys.exit(main())
