"""The server's instructions for one annotator's connection on PostgreSQL (issue 12 aim 6), counted by callgrind.

Wall-clock CPU figures on a shared 2-CPU machine move with everyone's load; instruction counts do not. A throwaway
cluster runs with its postmaster under ``valgrind --tool=callgrind`` (children traced, autovacuum off); a database of
120 documents on a dynamic queue (overlap 2) where another annotator took 40 first, as a team's pool looks. Then one
annotator process takes, labels twice and marks done ``--docs`` documents (default 8: a benchmark connection's share,
then 24) on one fresh connection, and its backend's instructions (``PostgresMain``, inclusive: the connection's own
start before the first document is in both) are read from its callgrind file. From the two: the steady state per
document, and what a connection spends warming up (the first figure minus that many steady documents).

``--against DIR`` counts the same with another checkout's code (its annotator processes and its migrations, in a
database of its own on the same cluster) and prints the ratios.

Run: .venv/bin/python bench/bench_pg_backend.py [--against DIR] [--docs 8,24]
(needs the Debian postgresql package and valgrind; about a minute and a half per checkout).
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests"))
from _common import load_average  # noqa: E402

import pg_server  # noqa: E402

POOL, OTHERS = 120, 40

# Run in a process whose code is the checkout's: fill (or not) the database, then one connection doing DOCS documents;
# prints its backend's pid.
CLIENT = """
import sys
sys.path.insert(0, sys.argv[1])
import bench_team
from annotator.assignment import SETTING, DynamicQueue
from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

url, who, docs, fill = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
if fill:
    store = open_store(url)
    for i in range(fill):
        store.add_document(Document(f"doc{i:04d}", bench_team.doc_text(i)))
    store.set_setting(SETTING, DynamicQueue(2, 1800.0).to_setting())
    store.close()
store = open_store(url, create=False)
session = AnnotationSession(store, load_schema(default_schema_path()), who)
session.claim()
pid = store._conn.info.backend_pid
doc = None
for _ in range(docs):
    doc = session.next_document(doc)
    assert doc is not None, "the pool ran out"
    for k in (1, 5):
        session.add_entity(doc, 4 * k, 4 * k + 3, "PER")
    session.set_status(doc, "done")
store.close()
print(pid)
"""


def start(root: Path) -> tuple[pg_server.PgCluster, subprocess.Popen, Path]:
    """A cluster whose postmaster runs under callgrind, each backend's counts in ``root/cg/cg.PID``."""
    bindir = pg_server.find_bindir()
    assert bindir is not None, pg_server.NO_BINARIES
    user = pg_server._server_user()
    cluster = pg_server.PgCluster(root, bindir, pg_server._free_port(), user)
    out = root / "cg"
    out.mkdir()
    if user:
        pw = pwd.getpwnam(user)
        for path in (root, out):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    init = cluster._run("initdb", "-D", str(cluster.data), "-U", pg_server.SUPERUSER, "--auth=trust",
                        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr}")
    cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={out}/cg.%p",
           str(bindir / "postgres"), "-D", str(cluster.data)]
    for setting in ("listen_addresses=127.0.0.1", f"port={cluster.port}", f"unix_socket_directories={root}",
                    "fsync=off", "full_page_writes=off", "max_connections=50", "shared_buffers=16MB", "autovacuum=off"):
        cmd += ["-c", setting]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    postmaster = subprocess.Popen(cmd, stdout=(root / "log").open("w"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            cluster.sql("SELECT 1")
            break
        except Exception:  # still starting under valgrind
            time.sleep(0.5)
    cluster.sql(f"CREATE DATABASE {pg_server.DATABASE} ENCODING 'UTF8' TEMPLATE template0")
    return cluster, postmaster, out


def instructions(path: Path, function: str = "PostgresMain") -> int:
    """``function``'s inclusive instructions in a callgrind file (waits for the file: a backend writes it at exit)."""
    for _ in range(240):
        if path.exists() and "totals:" in path.read_text(errors="replace"):
            break
        time.sleep(0.5)
    shown = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(path)], capture_output=True, text=True,
                           check=True).stdout
    return next(int(line.split()[0].replace(",", "")) for line in shown.splitlines() if f":{function} [" in line)


def count(cluster: pg_server.PgCluster, out: Path, tree: Path, docs: list[int]) -> dict[int, int]:
    """``PostgresMain``'s instructions for a connection doing each number of ``docs``, with ``tree``'s code."""
    url = cluster.new_database("cg")
    env = dict(os.environ, PYTHONPATH=str(tree))

    def client(who: str, n: int, fill: int = 0) -> int:
        done = subprocess.run([sys.executable, "-c", CLIENT, str(tree / "bench"), url, who, str(n), str(fill)],
                              cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the annotator process with {tree} failed: {done.stderr[-2000:]}")
        return int(done.stdout.split()[-1])

    client("other", OTHERS, fill=POOL)  # a team's pool: another annotator took some first
    return {n: instructions(out / f"cg.{client(f'ann{n:02d}', n)}") for n in docs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, default=None, help="another checkout, counted the same way")
    parser.add_argument("--docs", default="8,24", help="documents of the connections counted (two numbers)")
    args = parser.parse_args()
    reason = pg_server.skip_reason()
    if reason:
        print(f"not measured: {reason}")
        return 1
    docs = sorted(int(x) for x in args.docs.split(","))
    trees = {"this": REPO} | ({"other": args.against.resolve()} if args.against else {})
    root = Path(tempfile.mkdtemp(prefix="annotator-pg-callgrind-"))
    cluster, postmaster, out = start(root)
    try:
        counts = {name: count(cluster, out, tree, docs) for name, tree in trees.items()}
    finally:
        postmaster.terminate()
        postmaster.wait(120)
        subprocess.run(["rm", "-rf", str(root)], check=False)
    print(f"One annotator's backend on PostgreSQL, instructions (callgrind, PostgresMain), pool of {POOL} documents "
          f"after another annotator took {OTHERS}; load average {load_average()} (no effect on the counts)")
    first, last = docs[0], docs[-1]
    print(f"{'code':<48}" + "".join(f"{f'{n} documents':>15}" for n in docs)
          + f"{'steady, a document':>20}{'warming up':>13}")
    summary = {}
    for name, tree in trees.items():
        c = counts[name]
        steady = (c[last] - c[first]) / (last - first)
        summary[name] = (c, steady, c[first] - first * steady)
        print(f"{str(tree):<48}" + "".join(f"{c[n] / 1e6:>13.1f} M" for n in docs)
              + f"{steady / 1e6:>18.3f} M{summary[name][2] / 1e6:>11.1f} M")
    if "other" in summary:
        (a, sa, wa), (b, sb, wb) = summary["this"], summary["other"]
        print("this / other: " + ", ".join(f"{n} documents {a[n] / b[n]:.3f}" for n in docs)
              + f", steady {sa / sb:.3f}, warming up {wa / wb:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
