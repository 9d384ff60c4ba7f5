"""A throw-away PostgreSQL cluster for the tests: ``initdb`` into a temporary folder, the server on
a free loopback port with its unix socket in that folder, stopped and deleted at the end.

Why a real server and not a mock: the PostgreSQL backend is SQL run by PostgreSQL, and only
PostgreSQL says whether it runs. The binaries are Debian's ``postgresql`` package (the test
command installs it where it runs as root, as it does Chromium: tasks.py); where they are
missing the tests that need them are skipped, saying so. As root, ``initdb`` and ``postgres``
refuse to run, so the cluster belongs to the unprivileged ``postgres`` user (created if missing).

One cluster per test process; each test gets a fresh database, copied from a template that was
migrated once (``CREATE DATABASE … TEMPLATE``), which takes milliseconds instead of a migration.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE = "souchastie_template"
USER = "postgres"  # the unprivileged owner of the cluster when the tests run as root


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``pg_config --bindir``, Debian's versioned
    folders (newest first), then PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(folder) for folder in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists() and (folder / "postgres").exists():
            return folder
    return None


def why_unavailable() -> str | None:
    """None when a cluster can be started here; otherwise why not, in a sentence."""
    if binaries() is None:
        return ("PostgreSQL is not installed (no initdb/pg_ctl in `pg_config --bindir`, "
                "/usr/lib/postgresql/*/bin or PATH); `python3 tasks.py test` installs Debian's "
                "postgresql package when it runs as root")
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _owner() -> tuple[int, int] | None:
    """(uid, gid) the server runs as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


@dataclass
class Cluster:
    folder: Path
    port: int
    bindir: Path
    owner: tuple[int, int] | None

    @property
    def user(self) -> str:
        return USER if self.owner else pwd.getpwuid(os.geteuid()).pw_name

    def url(self, database: str) -> str:
        """A ``postgresql://`` URL over TCP on loopback (trust authentication inside the cluster)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        def demote() -> None:
            if self.owner:
                os.setgid(self.owner[1])
                os.setuid(self.owner[0])
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              preexec_fn=demote if self.owner else None, cwd=self.folder)

    @classmethod
    def start(cls) -> "Cluster":
        bindir = binaries()
        if bindir is None:
            raise RuntimeError(why_unavailable())
        folder = Path(tempfile.mkdtemp(prefix="souchastie-pg-"))
        owner = _owner()
        if owner:
            os.chown(folder, *owner)
        cluster = cls(folder, _free_port(), bindir, owner)
        data = folder / "data"
        made = cluster._run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8",
                            "--locale=C.UTF-8", "-U", cluster.user)
        if made.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {made.stderr or made.stdout}")
        for _ in range(3):  # a free port may be taken by another test process before the server binds it
            # fsync off: a test cluster is thrown away, durability across a power cut is not tested here.
            options = (f"-p {cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}"
                       " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            started = cluster._run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                                   "-o", options, "-w", "start")
            if started.returncode == 0:
                break
            cluster.port = _free_port()
        if started.returncode != 0:
            log = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"pg_ctl start failed: {started.stderr or started.stdout}\n{log}")
        return cluster

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Databases:
    """Fresh databases in one cluster, each a copy of a template migrated once."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._template_ready = False

    async def _admin(self, statement: str) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.cluster.url("postgres"), autocommit=True) as admin:
            await admin.execute(statement)

    async def _prepare_template(self) -> None:
        from storage.postgres.database import PostgresDatabase

        await self._admin(f'CREATE DATABASE "{TEMPLATE}"')
        db = await PostgresDatabase.open(self.cluster.url(TEMPLATE))
        await db.close()
        self._template_ready = True

    async def fresh(self) -> str:
        """The URL of a new database with the current schema."""
        if not self._template_ready:
            await self._prepare_template()
        name = f"t_{uuid.uuid4().hex[:16]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        return self.cluster.url(name)

    async def empty(self) -> str:
        """The URL of a new database with no schema at all (what an operator creates)."""
        name = f"e_{uuid.uuid4().hex[:16]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        return self.cluster.url(name)

    async def connection(self, url: str) -> Any:
        """A bare psycopg connection to ``url`` (autocommit), for the tests of the adapter itself."""
        import psycopg

        return await psycopg.AsyncConnection.connect(url, autocommit=True)

    async def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the whole end-to-end suite on PostgreSQL (SOUCHASTIE_TEST_STORAGE=postgresql) -------------------

TEST_STORAGE = "SOUCHASTIE_TEST_STORAGE"  # "postgresql": every bot the tests start uses PostgreSQL
# The same choice, renamed on import: the bot's settings refuse any SOUCHASTIE_ variable they do
# not know, and every `python -m bot` a test starts inherits this process's environment.
CHOSEN_ENGINE = "TESTS_STORAGE_ENGINE"
if TEST_STORAGE in os.environ:
    os.environ[CHOSEN_ENGINE] = os.environ.pop(TEST_STORAGE)
_shared: dict[str, Any] = {}
_engine_of_this_test: list[str] = []  # set by the ``both_engines`` parametrisation (tests/conftest.py)


def on_postgresql() -> bool:
    """Whether this test puts its bots on PostgreSQL instead of SQLite files: the engine its
    ``both_engines`` parameter names, else the run's (``SOUCHASTIE_TEST_STORAGE``)."""
    if _engine_of_this_test:
        return _engine_of_this_test[-1] == "postgresql"
    return os.environ.get(CHOSEN_ENGINE, "").lower() == "postgresql"


@contextmanager
def engine(name: str) -> Iterator[None]:
    """Meanwhile the tests' bots run on ``name`` (``sqlite`` or ``postgresql``)."""
    _engine_of_this_test.append(name)
    try:
        yield
    finally:
        _engine_of_this_test.pop()


def stand_in(path: Path | str) -> str:
    """The URL of the PostgreSQL database standing in, in this run, for the SQLite file ``path``:
    the same file names the same database, so a bot restarted on it, another process and the
    test's own reads (``stored.InFile``) all meet the same data."""
    return shared_fresh_url(os.path.abspath(path))


def bot_environment(path: Path | str) -> dict[str, str]:
    """What a `python -m bot` started by a test is given to find its database: the SQLite file,
    and on PostgreSQL the URL of the database standing in for it (``stand_in``)."""
    found = {"SOUCHASTIE_STORAGE_PATH": str(path)}
    if on_postgresql():
        found["SOUCHASTIE_STORAGE_URL"] = stand_in(path)
    return found


def shared_fresh_url(key: str) -> str:
    """A migrated database per ``key`` (``stand_in``: a SQLite file's path, so a bot restarted on
    the same file finds its data again) in one cluster for the whole process (started on
    first use, stopped when the process exits), made without an event loop, since test settings
    are assembled in plain functions. The template is migrated by ``python -m bot db upgrade``."""
    if key in _shared:
        return str(_shared[key])
    import atexit
    import sys

    import psycopg

    if "cluster" not in _shared:
        missing = why_unavailable()
        if missing:
            raise RuntimeError(f"{TEST_STORAGE}=postgresql, but {missing}")
        cluster = _shared["cluster"] = Cluster.start()
        atexit.register(cluster.stop)
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        environment = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
        folder = cluster.folder
        migrated = subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"], capture_output=True, text=True, check=False,
            cwd=Path(__file__).resolve().parents[1],
            env={**environment, "SOUCHASTIE_STORAGE_URL": cluster.url(TEMPLATE),
                 "SOUCHASTIE_STORAGE_PATH": str(folder / "unused.db")})
        if migrated.returncode != 0:
            raise RuntimeError(f"the template database was not migrated: {migrated.stderr}")
    cluster = _shared["cluster"]
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    _shared[key] = cluster.url(name)
    return str(_shared[key])

