"""A throwaway PostgreSQL server for the gradebook tests.

``PostgresServer`` runs Debian's (or any local) PostgreSQL binaries in a fresh temporary
directory: ``initdb`` with trust authentication, a unix socket directory inside the
temporary directory and a free TCP port on 127.0.0.1, so it never touches a system
cluster and never collides with one. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` OS user (created by Debian's package) or else ``nobody``,
with the temporary directory handed over to that user.

Usage::

    bindir = find_postgres_bindir()      # None when PostgreSQL is not installed
    with PostgresServer(bindir) as server:
        url = server.create_database("gradebook")   # postgresql+psycopg2://...
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

SERVER_PROGRAMS = ("initdb", "postgres", "pg_ctl")
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
STARTUP_TIMEOUT_S = 60
LOG_TAIL_LINES = 20
# Durability off: this cluster lives for one test session.
SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def has_server_programs(bindir):
    """True when ``bindir`` holds initdb, postgres and pg_ctl."""
    return all((Path(bindir) / name).is_file() for name in SERVER_PROGRAMS)


def debian_bindirs():
    """Debian's ``/usr/lib/postgresql/<major>/bin`` folders, newest major version first."""
    def major(bindir):
        return int(bindir.parent.name) if bindir.parent.name.isdigit() else -1
    return sorted(Path("/").glob(DEBIAN_BINDIRS.lstrip("/")), key=major, reverse=True)


def find_postgres_bindir():
    """The folder with the PostgreSQL server programs, or None when they are not installed.

    Looks at ``$PG_BINDIR``, then at the folder of ``pg_ctl`` on ``PATH``, then at Debian's
    ``/usr/lib/postgresql/<major>/bin`` (Debian keeps initdb and pg_ctl off ``PATH``).
    """
    candidates = [os.environ.get("PG_BINDIR")]
    on_path = shutil.which("pg_ctl")
    candidates.append(str(Path(on_path).resolve().parent) if on_path else None)
    candidates.extend(map(str, debian_bindirs()))
    return next((Path(c) for c in candidates if c and has_server_programs(c)), None)


def free_tcp_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_account():
    """The OS account that runs the server: ourselves, or when we are root, an unprivileged one."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("PostgreSQL refuses to run as root, and neither a 'postgres' nor a "
                       "'nobody' OS user exists to run it as")


def tail(path, lines=LOG_TAIL_LINES):
    """The last ``lines`` lines of a text file ('' when it does not exist)."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, started and stopped by the tests."""

    def __init__(self, bindir):
        self.bindir = Path(bindir)
        self.account = server_account()
        self.root = Path(tempfile.mkdtemp(prefix="nncourse-postgres-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_file = self.root / "server.log"
        self.port = None
        self.process = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def command(self, program, *args):
        """argv running ``program`` from bindir as the server account (setpriv when root)."""
        argv = [str(self.bindir / program), *map(str, args)]
        if os.geteuid() != self.account.pw_uid:
            argv = ["setpriv", f"--reuid={self.account.pw_uid}",
                    f"--regid={self.account.pw_gid}", "--clear-groups", "--", *argv]
        return argv

    def hand_over_root(self):
        """Make the temporary directory (data, socket, log) the server account's."""
        self.socket_dir.mkdir()
        self.log_file.touch()
        for path in (self.root, self.socket_dir, self.log_file):
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def init_cluster(self):
        """Run initdb: trust authentication, UTF-8, C locale, superuser ``postgres``."""
        proc = subprocess.run(
            self.command("initdb", "--pgdata", self.data_dir, "--username", SUPERUSER,
                         "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync"),
            cwd=self.root, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {proc.returncode}) for {self.data_dir} "
                               f"as OS user {self.account.pw_name}:\n{proc.stdout}{proc.stderr}")

    def launch(self):
        """Start the postmaster in the background, logging to ``server.log``."""
        self.port = free_tcp_port()
        settings = {"listen_addresses": "127.0.0.1", "port": self.port,
                    "unix_socket_directories": self.socket_dir, **SERVER_SETTINGS}
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                self.command("postgres", "-D", self.data_dir, *options),
                cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def connect(self, dbname="postgres"):
        """A psycopg2 connection over TCP as the superuser."""
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                                dbname=dbname, connect_timeout=2)

    def startup_failure(self, reason):
        """A RuntimeError that says why the server is not up and shows the log tail."""
        return RuntimeError(f"PostgreSQL ({self.bindir}) on 127.0.0.1:{self.port} {reason}; "
                            f"last lines of its log:\n{tail(self.log_file)}")

    def wait_until_ready(self, timeout_s=STARTUP_TIMEOUT_S):
        """Poll with psycopg2 until the server accepts connections; raise if it dies or hangs."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise self.startup_failure(f"exited with code {self.process.returncode}")
            try:
                self.connect().close()
                return
            except psycopg2.OperationalError as error:
                if time.monotonic() > deadline:
                    raise self.startup_failure(
                        f"did not accept connections within {timeout_s} s ({error})") from error
            time.sleep(0.1)

    def start(self):
        """initdb, start the server and wait until it accepts connections."""
        self.hand_over_root()
        self.init_cluster()
        self.launch()
        self.wait_until_ready()

    def create_database(self, name):
        """Create an empty database; return its SQLAlchemy URL."""
        conn = self.connect()
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self):
        """Stop the server (``pg_ctl stop -m fast``) and delete the temporary directory."""
        if self.process is not None and self.process.poll() is None:
            stopped = subprocess.run(
                self.command("pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w"),
                cwd=self.root, capture_output=True, text=True)
            if stopped.returncode != 0:
                self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
