"""A real PostgreSQL server for the tests, and fresh campaign databases on it.

Where the server comes from, in order:

1. ``PHONEBANK_TEST_DATABASE_URL`` — a superuser connection to a running server (``.ci/run`` starts
   one and sets it; a developer may point it at their own server: every test database is created
   and dropped, nothing else is touched);
2. else a throwaway server started here, once per test run, when PostgreSQL's ``initdb`` and
   ``pg_ctl`` are installed (``pg_config --bindir``, ``/usr/lib/postgresql/*/bin``, or ``PATH``):
   data folder and unix socket in a private temporary folder, no TCP (``listen_addresses=''``),
   run as the ``postgres`` user when the tests run as root (``pg_ctl`` refuses root), stopped
   and deleted when the run ends;
3. else the PostgreSQL tests are skipped with a reason that says so — except under CI
   (``CI=true``), where a missing server (or a missing psycopg) fails them.

``campaign_database()`` gives a new database copied from a template initialized once per run
(``phonebank db init``: roles, schema, functions); a background thread makes the next ones ahead and
drops the used ones (``_Pool``), so a test seldom waits for the server's copy.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

URL_VAR = "PHONEBANK_TEST_DATABASE_URL"
TEMPLATE = "phonebank_test_template"
SERVER_SETTINGS = {  # a throwaway server: durability off, speed on
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
# pg_hba.conf of the throwaway server: the superuser by trust over the private socket, every other role
# (the volunteers' logins the security tests create) only with its password, as on a real server.
HBA = "local all postgres trust\nlocal all all scram-sha-256\n"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str):
    """Skip (outside CI) or fail (under CI) the test that needed PostgreSQL."""
    if in_ci():
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL variant skipped: {reason}")


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        try:
            candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                             check=True).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).resolve().parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


class LocalServer:
    """A throwaway PostgreSQL server on a unix socket in a private temporary folder."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="phonebank-pg."))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.user = "postgres"
        self.url = f"postgresql:///postgres?host={self.root}&user={self.user}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)

    def start(self) -> str:
        done = self._run(self.bindir / "initdb", "-D", self.data, "-U", self.user, "--auth-local=trust",
                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        if done.returncode != 0:
            done = self._run(self.bindir / "initdb", "-D", self.data, "-U", self.user, "--auth-local=trust",
                             "-E", "UTF8", "--no-locale", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        hba = self.data / "pg_hba.conf"
        hba.write_text(HBA if self.as_postgres else HBA.replace("postgres trust", f"{self.user} trust"))
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
        options += f" -c unix_socket_directories='{self.root}'"
        done = self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w",
                         "-t", "60", "-o", options, "start")
        if done.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {log[-2000:]}")
        atexit.register(self.stop)
        self._watch()
        return self.url

    def _watch(self) -> None:
        """Stop the server even if this test run is killed (atexit does not run on SIGKILL)."""
        import shlex

        stop = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        if self.as_postgres:
            stop = ["runuser", "-u", "postgres", "--", *stop]
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
                  f"[ -d {shlex.quote(str(self.data))} ] && {shlex.join(stop)}; rm -rf {shlex.quote(str(self.root))}")
        subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_server: dict[str, object] = {}
_lock = threading.RLock()  # the server, template and pool are made once, by the tests or by warm_up's thread


def warm_up() -> None:
    """Start the server, the template and the pool in a background thread now (while pytest collects),
    so the first PostgreSQL test does not wait for them. Any failure is the first test's to report."""

    def work() -> None:
        try:
            with _lock:
                server_url()
                _pool()
        except BaseException:  # noqa: BLE001 - skip/fail outcomes included: recorded, raised again in the test
            pass

    threading.Thread(target=work, name="pg-warm-up", daemon=True).start()


def server_url() -> str:
    """A superuser URL of a running server (started here once when needed); skips or fails the
    calling test when there is none."""
    with _lock:
        return _server_url()


def _server_url() -> str:
    if "url" in _server:
        return _server["url"]  # type: ignore[return-value]
    if "error" in _server:
        unavailable(_server["error"])  # type: ignore[arg-type]
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _server["error"] = "psycopg is not installed (pip install -e '.[test]')"
        unavailable(_server["error"])  # type: ignore[arg-type]
    url = os.environ.get(URL_VAR, "").strip()
    if not url:
        bindir = find_bindir()
        if bindir is None:
            _server["error"] = (f"no PostgreSQL server: {URL_VAR} is not set and initdb/pg_ctl are not installed "
                                "(apt-get install postgresql, or set the variable to a superuser URL)")
            unavailable(_server["error"])  # type: ignore[arg-type]
        server = LocalServer(bindir)
        try:
            url = server.start()
        except (OSError, RuntimeError) as exc:
            server.stop()
            _server["error"] = f"could not start a throwaway server with {bindir}: {exc}"
            unavailable(_server["error"])  # type: ignore[arg-type]
        _server["local"] = server
    _server["url"] = url
    return url


def admin_connection(url: str | None = None, dbname: str | None = None):
    import psycopg
    from psycopg.conninfo import make_conninfo

    conninfo = make_conninfo(url or server_url(), **({"dbname": dbname} if dbname else {}))
    return psycopg.connect(conninfo, autocommit=True)


def database_url(dbname: str, url: str | None = None, **params: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url or server_url(), dbname=dbname, **params)


def _template() -> str:
    """The template database, initialized (``db init``) once per run."""
    with _lock:
        return _make_template()


def _make_template() -> str:
    if "template" in _server:
        return _server["template"]  # type: ignore[return-value]
    from phonebank.store import postgres

    url = server_url()
    name = f"{TEMPLATE}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin_connection(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with postgres.connect(database_url(name, url)) as conn:
        postgres.init_database(conn)
    _server["template"] = name
    atexit.register(_drop, name)
    return name


def _drop(name: str) -> None:
    try:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - the server may be gone already at exit
        pass


def _new_database(template: str) -> tuple[str, str]:
    """Copy the template into a new database and grant it (database-level grants are not copied). Runs in
    the pool's thread too: it uses pg_conn and pg_schema, never the ``postgres`` names tests replace."""
    from phonebank.store.pg_conn import connect
    from phonebank.store.pg_schema import init_database

    name = f"pb_test_{uuid.uuid4().hex[:12]}"
    with admin_connection() as conn:
        strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""  # faster for small databases
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
    url = database_url(name)
    with connect(url) as conn:
        init_database(conn)
    return name, url


class _Pool:
    """Campaign databases made ahead, and used ones dropped, by one background thread: a test takes a
    database that is ready (creating one costs the server a checkpoint, 0.2-5 s on a busy machine) and
    does not wait for its drop. ``PHONEBANK_TEST_DB_POOL=0`` makes and drops them in the test instead."""

    def __init__(self, template: str, size: int):
        import queue

        self.template, self.size = template, size
        self.ready: queue.Queue = queue.Queue()
        self.wanted = threading.Semaphore(size)  # one release per database to make
        self.to_drop: list[str] = []
        self.given: set[str] = set()  # the databases handed out (a test may drop others it made itself)
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._work, name="pg-pool", daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def _work(self) -> None:
        while True:
            self.wanted.acquire()
            if self.closed:
                return
            self._drop_used()
            try:
                self.ready.put(_new_database(self.template))
            except Exception as exc:  # noqa: BLE001 - handed to the test that takes it
                self.ready.put(exc)

    def _drop_used(self) -> None:
        with self.lock:
            names, self.to_drop = self.to_drop, []
        for name in names:
            _drop(name)

    def take(self) -> tuple[str, str]:
        got = self.ready.get()
        self.wanted.release()  # make the next one while the test runs
        if isinstance(got, Exception):
            raise got
        self.given.add(got[0])
        return got

    def give_back(self, name: str) -> bool:
        """Drop ``name`` later if the pool gave it; False (nothing done) for any other database."""
        if name not in self.given:
            return False
        self.given.discard(name)
        with self.lock:
            self.to_drop.append(name)
        return True

    def close(self) -> None:
        """At exit: the thread stops; every database it made or was given back is dropped."""
        self.closed = True
        self.wanted.release()
        self.thread.join(timeout=30)
        self._drop_used()
        while not self.ready.empty():
            got = self.ready.get_nowait()
            if not isinstance(got, Exception):
                _drop(got[0])


def _pool() -> _Pool | None:
    with _lock:
        if "pool" not in _server:
            size = int(os.environ.get("PHONEBANK_TEST_DB_POOL", "2") or 0)
            _server["pool"] = _Pool(_template(), size) if size > 0 else None
        return _server["pool"]  # type: ignore[return-value]


def campaign_database() -> tuple[str, str]:
    """A new, initialized campaign database: (name, organizer URL). Drop it with ``drop_database``."""
    template = _template()
    pool = _pool()
    return pool.take() if pool is not None else _new_database(template)


def drop_database(name: str) -> None:
    """Drop a database: in the background if the pool gave it, else now."""
    pool = _server.get("pool")
    if not (isinstance(pool, _Pool) and not pool.closed and pool.give_back(name)):
        _drop(name)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
