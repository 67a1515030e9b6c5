"""`phonebank db pull` end to end on a real server (tests/pg.py): the same calls saved through the database
and through the file store give byte-identical results files, the same do-not-call list and the same
`report --format json`; a second pull writes nothing; a save committed late is picked up once."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.results import UNDO, ResultRow, row_to_line
from phonebank.script import load_script

from callkit import ANA, BO, Clock, la, make_workspace, voter

NOW = "2017-03-21T09:00:00-07:00"
VOTERS = [voter(f"V{i}", "Name", f"Number{i}", f"+1213555{i:04d}", f"+1323555{i:04d}") for i in range(1, 9)]


@pytest.fixture
def campaign(campaign_url):
    """(organizer URL, admin connection) of a fresh campaign database."""
    from phonebank.store import postgres

    conn = postgres.connect(campaign_url)
    yield campaign_url, conn
    conn.close()


def run(*args):
    return CliRunner().invoke(cli, list(args), env={"PHONEBANK_NOW": NOW}, catch_exceptions=False,
                              prog_name="phonebank")


def snapshot(ws) -> dict[str, bytes]:
    files = [*sorted(ws.results_dir.rglob("*.csv")), ws.dnc_path, ws.roster_path]
    return {str(p.relative_to(ws.root)): p.read_bytes() for p in files if p.exists()}


PLAN = [  # (volunteer, code, extra fields of the row)
    (ANA, "supporter", {"answers": {"aware_election": "yes", "bernie_2016": "yes"}, "note": "yard sign", "seconds": 95}),
    (BO, "not_home", {"seconds": 20}),
    (ANA, "refused", {"seconds": 12}),
    (BO, "undecided", {"answers": {"bernie_2016": "no"}, "language": "es", "seconds": 140}),
    (ANA, "call_back", {"callback_at": "2017-03-21T18:30:00-07:00", "seconds": 30}),
    (BO, "wrong_number", {"seconds": 8}),
    (ANA, "other_candidate", {"answers": {"aware_election": "no"}, "note": "a, \"quoted\" note", "seconds": 61}),
]


def test_pulled_calls_are_the_file_store_s_calls(tmp_path, campaign):
    from phonebank.store import pg_pull, postgres
    from phonebank.store.files import FileStore

    url, conn = campaign
    on_db, on_files = make_workspace(tmp_path / "db", voters=VOTERS), make_workspace(tmp_path / "files", voters=VOTERS)
    postgres.push_workspace(conn, on_db)
    script = load_script(on_db.script_path)
    clock = Clock(la(2017, 3, 20, 14, 0))
    db = postgres.PostgresStore(url, script, "test", clock)
    files = FileStore(on_files, script, "test", clock)
    for who, code, extra in PLAN:
        a, b = db.next_voter(who.email), files.next_voter(who.email)
        assert a.voter_id == b.voter_id
        row = ResultRow(recorded_at=clock().isoformat(), volunteer=who.email, list="test", voter_id=a.voter_id,
                        phone=a.phones[0], code=code, **extra)
        assert db.save(row, a.hold).row == files.save(row, b.hold).row
        db.release(a.hold)
        files.release(b.hold)
        clock.advance(minutes=7)
    last = db.last_saved(ANA.email)  # ANA undoes her last call
    assert last == files.last_saved(ANA.email)
    undo = ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id=last.voter_id,
                     phone=last.phone, code=UNDO, undoes=last.row_id)
    db.save(undo)
    files.save(undo)
    db.close()
    files.close()

    pulled = run("--database", url, "-w", str(on_db.root), "db", "pull")
    assert pulled.exit_code == 0, pulled.output
    assert "results/test: 8 new call(s) in 2 file(s)" in pulled.stdout
    assert "do-not-call.csv: 1 entry added" in pulled.stdout
    made_on_files = snapshot(on_files)
    got = snapshot(on_db)
    for name in ("results/test/ana@example.org.csv", "results/test/bo@example.org.csv", "do-not-call.csv"):
        assert got[name] == made_on_files[name], name

    reports = [json.loads(run("-w", str(ws.root), "report", "--format", "json").stdout) for ws in (on_db, on_files)]
    assert reports[0] == reports[1]
    assert reports[0]["calls"]["dials"] == 6 and reports[0]["progress"]["do_not_call"] == 1
    exports = [run("-w", str(ws.root), "export", "results").stdout for ws in (on_db, on_files)]
    assert exports[0] == exports[1] and exports[0].count("\n") > 1
    checked = run("-w", str(on_db.root), "check")
    assert checked.exit_code == 0, checked.output

    again = run("--database", url, "-w", str(on_db.root), "db", "pull")
    assert again.exit_code == 0 and "already has everything" in again.stdout
    assert snapshot(on_db) == got

    # a save whose transaction began before the last pull and committed after it: an earlier time
    late = ResultRow(recorded_at="2017-03-20T15:10:00-07:00", volunteer=BO.email, list="test", voter_id="V8",
                     phone="+12135550008", code="busy")
    conn.execute("INSERT INTO phonebank.results (row_id, list_id, recorded_at, volunteer, list, voter_id, phone, code, "
                 "language, saved_at) SELECT %s, id, %s, %s, 'test', 'V8', %s, 'busy', 'en', now() - interval "
                 "'5 minutes' FROM phonebank.lists WHERE name = 'test'", (late.row_id, late.recorded_at, BO.email,
                                                                         late.phone))
    conn.execute("INSERT INTO phonebank.volunteers (email, first_name, last_name, zip, registered_at) "
                 "VALUES ('cy@example.org', 'Cy', 'Lee', '90012', '2017-03-20T10:00:00-07:00')")
    third = pg_pull.pull_workspace(conn, on_db)
    assert third.results == {"test": (1, 1)} and third.volunteers == 1 and third.dnc_entries == 0
    assert (on_db.results_dir / "test" / "bo@example.org.csv").read_bytes().endswith(row_to_line(late))
    assert pg_pull.pull_workspace(conn, on_db).written == 0


def test_pull_of_one_list_and_of_a_list_the_workspace_lacks(tmp_path, campaign):
    from phonebank.store import pg_pull, postgres

    url, conn = campaign
    ws = make_workspace(tmp_path / "ws", voters=VOTERS)
    postgres.push_workspace(conn, ws)
    elsewhere = make_workspace(tmp_path / "other", voters=VOTERS[:2], name="other")
    postgres.push_workspace(conn, elsewhere, lists=["other"])
    summary = pg_pull.pull_workspace(conn, ws)
    assert set(summary.results) == {"other", "test"} and summary.missing_lists == ["other"]
    assert any(line.startswith("Warning: list 'other' is in the database but not in lists/") for line in summary.lines())
    assert set(pg_pull.pull_workspace(conn, ws, lists=["test"]).results) == {"test"}
    missing = run("--database", url, "-w", str(ws.root), "db", "pull", "--list", "nope")
    assert missing.exit_code == 2 and "no list named 'nope' in the database" in missing.stderr  # as every --list
