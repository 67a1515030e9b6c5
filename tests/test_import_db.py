"""`phonebank import SOURCE --list NAME` with a campaign database (tests/pg.py): the list file, its rejects
and the database load (COPY beside the file write); a re-import keeps saved calls and holds."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.results import ResultRow
from phonebank.script import load_script

from callkit import ANA, BO, Clock, la, make_workspace

EVENING = la(2017, 3, 20, 18, 0)
SOURCE = (
    "Voter File VANID,FirstName,LastName,Cell Phone,Home Phone,Zip5,State,Notes\n"
    "101,María,García,(213) 555-0101,323-555-0102,90033,CA,first\n"
    "102,José,Hernández,213.555.0103,,10001,NY,\"a, note\"\n"
    "103,No,Phone,,,60601,IL,none\n"
    "104,Grace,Kim,+1 818 555 0105,,96813,HI,\n"
)


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch):
    monkeypatch.delenv("PHONEBANK_DATABASE_URL", raising=False)


@pytest.fixture
def campaign():
    import pg

    name, url = pg.campaign_database()
    yield url
    pg.drop_database(name)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="phonebank")


def test_import_into_the_database_writes_the_files_and_loads_the_list(tmp_path, campaign):
    from phonebank.store import postgres

    ws = make_workspace(tmp_path / "ws", voters=[])
    ws.list_path("test").unlink()
    source = tmp_path / "van.csv"
    source.write_text(SOURCE, encoding="utf-8")
    done = run("--database", campaign, "-w", str(ws.root), "import", str(source), "--list", "ca")
    assert done.exit_code == 0, done.output
    assert "Imported 3 voters" in done.stdout and "rejected                      1" in done.stdout
    assert "list 'ca', 3 voter(s) loaded" in done.stdout and "calling index" not in done.stdout
    assert ws.list_path("ca").is_file() and "no valid phone" in ws.rejects_path("ca").read_text()
    assert not (ws.root / ".phonebank" / "ca.sqlite").exists()  # volunteers call from the database
    with postgres.connect(campaign) as conn:
        rows = conn.execute("SELECT voter_id, phones, data[2] FROM phonebank.voters ORDER BY seq").fetchall()
        assert rows == [("101", ["+12135550101", "+13235550102"], "María"), ("102", ["+12135550103"], "José"),
                        ("104", ["+18185550105"], "Grace")]
        # the database knows the file it loaded: a push of the workspace leaves the list alone
        postgres._push_campaign(conn, ws.script_path.read_text(encoding="utf-8"), load_script(ws.script_path))
        assert postgres.push_workspace(conn, ws, lists=["ca"]).lists == {"ca": "unchanged"}
    again = run("--database", campaign, "-w", str(ws.root), "import", str(source), "--list", "ca")
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_a_reimport_keeps_saved_calls_and_holds(tmp_path, campaign):
    from phonebank.store import postgres

    ws = make_workspace(tmp_path / "ws", voters=[])
    source = tmp_path / "van.csv"
    source.write_text(SOURCE, encoding="utf-8")
    assert run("--database", campaign, "-w", str(ws.root), "import", str(source), "--list", "ca").exit_code == 0
    with postgres.connect(campaign) as conn:
        postgres.push_workspace(conn, ws, lists=[])  # the script and the roster
    clock = Clock(la(2017, 3, 20, 14, 0))
    script = load_script(ws.script_path)
    ana = postgres.PostgresStore(campaign, script, "ca", clock)
    bo = postgres.PostgresStore(campaign, script, "ca", clock)
    first = ana.next_voter(ANA.email)
    ana.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="ca", voter_id=first.voter_id,
                       phone=first.phones[0], code="supporter"), first.hold)
    ana.release(first.hold)
    held = bo.next_voter(BO.email)
    assert (first.voter_id, held.voter_id) == ("101", "102")
    source.write_text(SOURCE.replace("104,Grace", "105,Ana,Nueva,(213) 555-0107,,90012,CA,\n104,Grace"),
                      encoding="utf-8")
    done = run("--database", campaign, "-w", str(ws.root), "import", str(source), "--list", "ca", "--replace")
    assert done.exit_code == 0, done.output
    assert "4 voter(s) loaded (2 called or held voter(s) kept)" in done.stdout
    with postgres.connect(campaign) as conn:
        state = {v: (f, h) for v, f, h in conn.execute("SELECT voter_id, finished, holder FROM phonebank.voters")}
    assert state["101"][0] and state["102"] == (False, BO.email) and state["105"] == (False, None)
    assert not bo.save(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="ca", voter_id="102",
                                 phone=held.phones[0], code="not_home"), held.hold).hold_lost
    bo.release(held.hold)
    assert bo.next_voter(BO.email).voter_id == "105"  # in list order: 105 now comes before 104
    ana.close()
    bo.close()
