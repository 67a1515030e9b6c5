"""The ``make_store`` fixture: one contract suite, every store behind the port.

* ``files``: the file store on the test's workspace.
* ``postgres``: the PostgreSQL store on a real server (``tests/pg.py``): the first store opened on a
  workspace gets a fresh campaign database and the workspace is loaded into it (``push_workspace``:
  scripts.yaml, volunteers, do-not-call, every list, saved calls); the store is an organizer's
  connection that names the volunteer, with the test's clock. Skipped (outside CI only) when no server
  can be had — the skip reason says why.

``make_store`` is also the place for the few things a test does *to the campaign's record* rather than
through the port, so the contract stays store-neutral:

* ``make_store.reimport(ws, name="test")`` after the test rewrote ``lists/NAME.csv`` (the file store
  notices by itself; the database loads the list again, as `phonebank import` with a database will);
* ``make_store.dnc(ws)``: the numbers on the do-not-call list now;
* ``make_store.rows(ws, name="test")``: every saved call of a list.
"""

from __future__ import annotations

import pytest

from phonebank.script import load_script

BACKENDS = ["files", "postgres"]


class FileBackend:
    name = "files"

    def __init__(self):
        self.opened = []

    def __call__(self, ws, clock, name: str = "test", on_rebuild=None):
        from phonebank.store.files import FileStore

        store = FileStore(ws, load_script(ws.script_path), name, clock, on_rebuild=on_rebuild)
        self.opened.append(store)
        return store

    def reimport(self, ws, name: str = "test") -> None:
        """The file store checks the list file at every claim."""

    def dnc(self, ws) -> set[str]:
        from phonebank.dnc import read_dnc

        return read_dnc(ws.dnc_path)

    def rows(self, ws, name: str = "test"):
        from phonebank.results import CsvResultsStore

        return CsvResultsStore(ws.results_dir).read(name)[0]

    def close(self) -> None:
        for store in self.opened:
            store.close()


class PostgresBackend:
    name = "postgres"

    def __init__(self):
        import pg

        self.url = pg.server_url()  # skips (or, under CI, fails) without a server
        self.databases: dict = {}  # workspace root -> (database name, organizer URL, admin connection)
        self.opened = []

    def campaign(self, ws):
        """The workspace's database, made and loaded on first use; lists written since are loaded too."""
        import pg

        from phonebank.store import postgres

        got = self.databases.get(ws.root)
        if got is None:
            name, url = pg.campaign_database()
            conn = postgres.connect(url)
            got = self.databases[ws.root] = (name, url, conn)
            postgres.push_workspace(conn, ws)
        else:
            loaded = {n for (n,) in got[2].execute("SELECT name FROM phonebank.lists")}
            new = [n for n in ws.list_names() if n not in loaded]
            if new:
                postgres.push_workspace(got[2], ws, lists=new)
        return got

    def __call__(self, ws, clock, name: str = "test", on_rebuild=None):
        from phonebank.store.postgres import PostgresStore

        ws.list_path(name)  # an unsafe name fails here, as with files
        _, url, _ = self.campaign(ws)
        store = PostgresStore(url, load_script(ws.script_path), name, clock)
        self.opened.append(store)
        return store

    def reimport(self, ws, name: str = "test") -> None:
        from phonebank.store import postgres

        postgres.push_workspace(self.campaign(ws)[2], ws, lists=[name])

    def dnc(self, ws) -> set[str]:
        conn = self.campaign(ws)[2]
        return {p for (p,) in conn.execute("SELECT DISTINCT phone FROM phonebank.dnc WHERE active")}

    def rows(self, ws, name: str = "test"):
        from phonebank.results import ResultRow

        conn = self.campaign(ws)[2]
        return [ResultRow.from_fields(list(f)) for (f,) in conn.execute(
            "SELECT ARRAY[row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, language, "
            "seconds, callback_at, undoes, \"overlaps\"] FROM phonebank.results WHERE list = %s ORDER BY seq", (name,))]

    def close(self) -> None:
        import pg

        for store in self.opened:
            store.close()
        for name, _, conn in self.databases.values():
            conn.close()
            pg.drop_database(name)


@pytest.fixture(params=BACKENDS)
def make_store(request):
    """``make_store(ws, clock, name="test")`` opens the calling store of list ``name``."""
    backend = FileBackend() if request.param == "files" else PostgresBackend()
    yield backend
    backend.close()


@pytest.fixture
def ws(tmp_path):
    """A workspace with the sample script, list 'test' (four voters: V1-V4) and two volunteers."""
    from callkit import make_workspace

    return make_workspace(tmp_path / "ws")


@pytest.fixture
def clock():
    """A settable clock at 18:00 Pacific on Monday, March 20, 2017 (inside every zone's calling hours)."""
    from callkit import Clock, la

    return Clock(la(2017, 3, 20, 18, 0))


@pytest.fixture
def campaign(ws, campaign_url):
    """(workspace, organizer URL, admin connection): ``ws`` loaded into a fresh campaign database."""
    from phonebank.store import postgres

    conn = postgres.connect(campaign_url)
    postgres.push_workspace(conn, ws)
    yield ws, campaign_url, conn
    conn.close()
