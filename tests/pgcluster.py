"""A throw-away PostgreSQL cluster: `initdb` in a temporary directory, a server on 127.0.0.1.

Used by the integration tests' fixture (tests/postgres.py) and by the
PostgreSQL benchmark (tests/benchmarks/postgres.py), so it imports neither
pytest nor a driver. `server_binaries()` finds the machine's server (Debian's
newest `postgresql` package, else `initdb` on PATH); `Cluster(binaries)` is one
cluster, which `start()` creates and starts and `stop()` stops and deletes.

PostgreSQL refuses to run as root. Run as root (CI), the cluster directory is
given to the `postgres` user that the Debian package creates, and `initdb`
and `pg_ctl` run as that user (`subprocess`'s `user=`); run as anyone else,
they run as the caller.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["Cluster", "server_binaries"]


def server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: Debian's newest, else the ones on PATH."""
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if debian:
        return Path(debian[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _major(initdb: str) -> int:
    version = Path(initdb).parts[-3]
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """One throw-away cluster: `start()` it, `stop()` it; `dsn` says how to reach it."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="rpool-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        # As root, everything runs as the package's `postgres` user, who must
        # own the directory (mkdtemp makes it 0700).
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        done = subprocess.run(
            command, user=self.user, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}{log}"
            )

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        # No fsync (a throw-away cluster), the socket in our directory (not
        # /var/run/postgresql, which may not exist), and room for the tests'
        # connections beside the pools'.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
