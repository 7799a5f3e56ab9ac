"""A throwaway PostgreSQL cluster for the clinic tests: initdb + pg_ctl in a temporary folder,
on 127.0.0.1 and a free port, the socket directory inside that folder.

initdb and postgres refuse to run as root; CI runs as root, so there the cluster runs as the
``postgres`` user (Debian's package creates it), in a folder that user owns. Stopped with
``pg_ctl -m immediate`` (the same as the server being killed, which the tests also use).
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SUPERUSER = "kaproom_admin"
SUPERUSER_PASSWORD = "admin-secret"


def pg_bin() -> Path | None:
    """The folder with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in PG_BIN_CANDIDATES:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    folder: Path
    port: int
    user: str | None  # the OS user the server runs as (None: ourselves)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in command]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        pwfile = self.folder / "pw"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        self._own(pwfile)
        self._run(self.bin / "initdb", "-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile, "-A", "scram-sha-256",
                  "-E", "UTF8", "--locale", "C", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.folder}'\nfsync = off\nfull_page_writes = off\n"
                       "max_connections = 100\nshared_buffers = 32MB\n")

    def _own(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        self.port = self.port or free_port()
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "log", "-w", "-t", "60", "start")

    def start_on_same_port(self) -> None:
        """Start again after a stop: the same port, so joined rooms find it where they left it."""
        for _ in range(50):  # the old socket may linger for a moment after an immediate stop
            result = self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "log", "-w", "-t", "60",
                               "start", check=False)
            if result.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start again: {result.stderr}")

    def stop(self) -> None:
        """Kill it the hard way (``-m immediate``): what a crash or a pulled cable looks like to a room."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)

    def use_certificate(self, cert_pem: bytes, key_pem: bytes) -> None:
        """Serve TLS (``ssl = on``) with this certificate and key from now on, as a clinic's
        administrator would: the files in the data folder, then a reload when the server runs."""
        for name, data, mode in (("server.crt", cert_pem, 0o644), ("server.key", key_pem, 0o600)):
            path = self.data / name
            path.write_bytes(data)
            os.chmod(path, mode)
            self._own(path)
        self.set_ssl(True)

    def set_ssl(self, on: bool) -> None:
        """Turn TLS on or off (the last line of postgresql.conf wins); reloaded when running."""
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"ssl = {'on' if on else 'off'}\n")
        if (self.data / "postmaster.pid").exists():
            self.reload()

    def reload(self) -> None:
        """``pg_ctl reload``, and wait until the server has read its configuration again."""
        with self.admin() as conn:
            before = conn.execute("SELECT pg_conf_load_time()").fetchone()
            self._run(self.bin / "pg_ctl", "-D", self.data, "reload")
            for _ in range(100):
                if conn.execute("SELECT pg_conf_load_time()").fetchone() != before:
                    return
                time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not read its configuration again")

    def admin(self) -> psycopg.Connection:
        """The superuser over the Unix socket in the cluster's folder (TLS or not, always reachable)."""
        return psycopg.connect(host=str(self.folder), port=self.port, user=SUPERUSER, password=SUPERUSER_PASSWORD,
                               dbname="postgres", autocommit=True)

    def url(self, user: str = SUPERUSER, password: str | None = SUPERUSER_PASSWORD, database: str = "postgres") -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"


#: Run beside the cluster: stops it and removes its folder once the process that started it is gone
#: (a test run killed by a timeout or ^C never runs its teardown, and must not leave a server behind).
WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, pg_ctl, data, folder, user = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
while alive(owner) and os.path.isdir(data):
    time.sleep(0.5)
if os.path.isdir(data):
    argv = [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"]
    subprocess.run((["runuser", "-u", user, "--"] if user else []) + argv, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)
"""


def start_watchdog(cluster: Cluster) -> None:
    subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()), str(cluster.bin / "pg_ctl"),
                      str(cluster.data), str(cluster.folder), cluster.user or ""],
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)


def start_cluster() -> Cluster:
    """A running throwaway cluster (raises RuntimeError with the reason when it cannot start)."""
    binaries = pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
        user = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="kaproom-pg-"))
    os.chmod(folder, 0o755)
    cluster = Cluster(binaries, folder, free_port(), user)
    if user:
        cluster._own(folder)
    cluster.init()
    start_watchdog(cluster)
    cluster.start()
    return cluster


def remove_cluster(cluster: Cluster) -> None:
    cluster.stop()
    shutil.rmtree(cluster.folder, ignore_errors=True)
