"""A throwaway PostgreSQL server for the distributed-search tests.

``start_postgres`` runs ``initdb`` and ``pg_ctl`` (found on ``PATH`` or in Debian's
``/usr/lib/postgresql/<version>/bin``) in a fresh temporary folder: TCP on 127.0.0.1 and a
free port only (no Unix socket), trust authentication, durability off (the data are thrown
away). PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
system user of the Debian package, else as ``nobody``.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "find_postgres_bin", "start_postgres"]

START_TIMEOUT = 60
_SETTINGS = """
# added by tests/automl/_postgres.py: loopback TCP only, no durability (throwaway data)
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
"""


def find_postgres_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, newest version first; else None."""
    candidates = []
    on_path = shutil.which("initdb")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    versions = Path("/usr/lib/postgresql").glob("*/bin")

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates += sorted(versions, key=version, reverse=True)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> pwd.struct_passwd:
    """Ourselves, or under root an unprivileged system user (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and there is neither a 'postgres' nor a 'nobody' user to run "
                       "PostgreSQL as; create one (useradd --system postgres).")


@dataclass
class PostgresServer:
    """A running server; :meth:`stop` shuts it down and deletes its files."""

    bin_dir: Path
    base: Path
    port: int
    user: str
    database: str
    _as_user: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the database made at start."""
        return self.url_of(self.database)

    def url_of(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; return its URL."""
        connection = _connect(self)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url_of(name)

    def log(self) -> str:
        """The server's log (for failure messages)."""
        path = self.base / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def run(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the server's user; raise with its output if it fails."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.base,
                              stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"}, **self._as_user)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n"
                               f"{done.stderr}\n{self.log()}")
        return done

    def stop(self) -> None:
        """Stop the server at once (its data are thrown away) and delete its folder."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_postgres(bin_dir: Path, database: str = "automl") -> PostgresServer:
    """Initialise a cluster in a new temporary folder, start it and create ``database``."""
    account = _server_user()
    # not under pytest's tmp_path (private to its owner): the server user must enter the folder
    base = Path(tempfile.mkdtemp(prefix="automl-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        os.chown(base, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    server = PostgresServer(bin_dir, base, _free_port(), account.pw_name, database, as_user)
    try:
        server.run("initdb", "-D", str(server.data_dir), "--username", account.pw_name, "--auth=trust",
                   "--encoding=UTF8", "--locale=C", "--no-sync")
        with open(server.data_dir / "postgresql.conf", "a") as conf:  # stays owned by the server user
            conf.write(_SETTINGS.format(port=server.port))
        server.run("pg_ctl", "start", "-D", str(server.data_dir), "-l", str(base / "server.log"),
                   "-w", "-t", str(START_TIMEOUT))
        server.create_database(database)
    except BaseException:
        server.stop()
        raise
    return server


def _connect(server: PostgresServer) -> Any:
    import psycopg2

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return psycopg2.connect(host="127.0.0.1", port=server.port, user=server.user, dbname="postgres",
                                    connect_timeout=5)
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


if __name__ == "__main__":  # manual check: python -m tests.automl._postgres
    found = find_postgres_bin()
    if found is None:
        raise SystemExit("no PostgreSQL server binaries found")
    started = time.perf_counter()
    running = start_postgres(found)
    print(f"{running.url} up in {time.perf_counter() - started:.1f} s as {getpass.getuser()}->{running.user}")
    running.stop()
