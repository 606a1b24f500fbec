"""A throwaway PostgreSQL cluster for the tests: started once per test session, removed at the end.

It uses the server binaries of the Debian ``postgresql`` package
(``/usr/lib/postgresql/<version>/bin``), listens only on 127.0.0.1 (a free port)
and a Unix socket inside its own temporary folder, trusts local connections and
keeps no data afterwards. PostgreSQL refuses to run as root, so under root the
cluster belongs to the unprivileged ``postgres`` user the package creates (or a
``pgtest`` system user made here). Tests that need it skip, with the reason,
when the binaries or psycopg are missing.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

SUPERUSER = "annotator_test"
DATABASE = "contract"  # holds one schema per test: far quicker than a database each
NO_BINARIES = "PostgreSQL server binaries not installed (Debian package postgresql)"
NO_PSYCOPG = "psycopg not installed (pip install 'psycopg[binary]', the postgres extra)"


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb and pg_ctl, else one on PATH."""
    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def skip_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return NO_PSYCOPG
    if find_bindir() is None:
        return NO_BINARIES
    return None


def _server_user() -> str | None:
    """Under root, the unprivileged user who owns and runs the cluster; otherwise None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgtest"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pgtest"],
                   check=True, capture_output=True)
    return "pgtest"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    """A running cluster: ``url(dbname)`` for a database in it, ``new_database()`` for a fresh one."""

    root: Path
    bindir: Path
    port: int
    user: str | None
    _names: count = field(default_factory=lambda: count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        init = self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                         "--locale=C.UTF-8", "--no-sync")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=16MB")
        started = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
                            "-w", "-t", "60", "start")
        if started.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log[-3000:]}")
        self.sql(f"CREATE DATABASE {DATABASE} ENCODING 'UTF8' TEMPLATE template0")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def sql(self, statement: str, dbname: str = "postgres") -> list[tuple]:
        """Run one statement as the superuser (autocommit): for setting up and for tampering in tests."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def new_schema(self) -> str:
        """A fresh, empty schema in ``DATABASE``, as a URL whose search_path points at it."""
        name = f"t_{os.getpid()}_{next(self._names)}"
        self.sql(f"CREATE SCHEMA {name}", DATABASE)
        return f"{self.url(DATABASE)}?options=-csearch_path%3D{name}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty UTF8 database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        return self.url(name)


def start_cluster() -> PgCluster:
    """Start a throwaway cluster (callers check ``skip_reason()`` first); stopped at exit at the latest."""
    bindir = find_bindir()
    assert bindir is not None, NO_BINARIES
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
    cluster = PgCluster(root, bindir, _free_port(), user)
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    atexit.register(cluster.stop)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
