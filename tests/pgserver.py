"""A throw-away PostgreSQL server for the tests: Debian's binaries, a temporary folder, loopback only.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the ``postgres``
system user (created by Debian's package) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (Debian package 'postgresql')")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="armoury-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.run_as: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root and no 'postgres' system user exists") from exc
            self.run_as = "postgres"
            shutil.chown(self.root, user="postgres")
            os.chmod(self.root, 0o700)

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self) -> None:
        subprocess.run(
            self._cmd("initdb", "-D", str(self.datadir), "-U", "armoury", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, cwd=self.root,
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.root / "log"), "-w",
                      "-t", "60", "start"),
            check=True, capture_output=True, cwd=self.root,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start: " + (self.root / "log").read_text(errors="replace"))

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://armoury@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop"),
            capture_output=True, cwd=self.root,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
