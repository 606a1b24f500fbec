"""Helpers the bench scripts share: running a bench in a child process, counting a command's instructions
(callgrind), and describing the machine (CPU model, load average) beside the figures, since on a shared
machine the load may decide them."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def run_child(args: list[str], what: object, timeout: float, env: dict[str, str] | None = None) -> dict:
    """``python ARGS`` (a bench script run as its own child) and the JSON object it prints last;
    a failure ends the bench with the child's error, naming ``what`` it ran on."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise SystemExit(f"child failed on {what}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def callgrind_instructions(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """The instructions ``command`` runs, counted by valgrind's callgrind, after one plain run that writes the
    bytecode caches (so neither count compiles them): a figure the machine's load does not change."""
    import tempfile

    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command], cwd=cwd, env=env,
                       capture_output=True, check=True)
        return next(int(line.split()[1]) for line in out.read_text().splitlines()
                    if line.startswith(("summary:", "totals:")))


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or "unknown CPU"."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def load_average(sep: str = "/") -> str:
    """The machine's 1/5/15-minute load averages."""
    return sep.join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    """CPUs, their model, Python and the load average, in one line."""
    return (f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
            f"load average {load_average(', ')}")
