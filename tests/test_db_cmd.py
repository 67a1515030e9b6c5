"""`phonebank db ...` and `phonebank --database URL call` on a real PostgreSQL server (tests/pg.py), and the
promise that the file store's path never loads psycopg."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from phonebank.cli import cli

from callkit import ANA, REPO, make_workspace

NOW = "2017-03-20T18:00:00-07:00"


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch):
    monkeypatch.delenv("PHONEBANK_DATABASE_URL", raising=False)


@pytest.fixture
def empty_database():
    """A new database with nothing in it (not initialized): (name, organizer URL)."""
    import uuid

    import pg

    name = f"pb_test_{uuid.uuid4().hex[:12]}"
    with pg.admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name, pg.database_url(name)
    pg.drop_database(name)


def run(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False,
                                              prog_name="phonebank")


def test_init_is_idempotent_and_status_follows(empty_database):
    _, url = empty_database
    before = run("--database", url, "db", "status")
    assert before.exit_code == 1 and "not initialized — run `phonebank db init`" in before.stdout
    first = run("--database", url, "db", "init")
    assert first.exit_code == 0, first.stderr
    assert "schema phonebank, roles phonebank_owner and phonebank_caller; applied 0001 schema, 0002 calling" \
        in first.stdout
    again = run("db", "init", "--database", url)  # the option after the command works too
    assert again.exit_code == 0 and "already initialized and up to date" in again.stdout
    st = run("db", "status", env={"PHONEBANK_DATABASE_URL": url})
    assert st.exit_code == 0 and "applied  0001 schema" in st.stdout and "Up to date." in st.stdout
    assert run("--database", url, "db", "migrate").stdout.strip() == "Up to date: no migration to apply."


@pytest.mark.stress  # four processes; one `db init` after another: test_init_is_idempotent_and_status_follows
def test_a_migration_is_recorded_once_under_concurrent_runs(empty_database):
    """Four `db init` at once: every migration applied exactly once."""
    _, url = empty_database
    main = "import sys; from phonebank.cli import main; sys.argv[0] = 'phonebank'; main()"
    procs = [subprocess.Popen([sys.executable, "-c", main, "--database", url, "db", "init"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    from phonebank.store import postgres

    with postgres.connect(url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM phonebank.migrations ORDER BY version")]
    assert versions == [m.version for m in postgres.migrations()]


def test_without_a_database_the_db_commands_say_how_to_name_one(tmp_path):
    result = run("db", "status")
    assert result.exit_code == 2
    assert "no database given — use `phonebank --database URL db ...` or set PHONEBANK_DATABASE_URL" in result.stderr


def test_a_bad_url_is_one_line(tmp_path):
    result = run("--database", "postgresql://nobody:secret@/nope?host=/nonexistent", "db", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot connect to the database") and "secret" not in result.stderr


def test_push_invite_call_and_revoke(tmp_path, campaign_url, monkeypatch):
    """The organizer pushes the workspace and invites a volunteer; the volunteer calls with their login;
    the organizer revokes it."""
    ws = make_workspace(tmp_path / "ws")
    pushed = run("--database", campaign_url, "-w", str(ws.root), "db", "push")
    assert pushed.exit_code == 0, pushed.stderr
    assert "list test: 4 voter(s) loaded" in pushed.stdout and "volunteers: 2 added or updated" in pushed.stdout
    again = run("--database", campaign_url, "db", "push", "-w", str(ws.root))
    assert "list test: unchanged" in again.stdout and "results: 0 saved call(s) added" in again.stdout

    invited = run("--database", campaign_url, "db", "invite", "Ana@Example.org")
    assert invited.exit_code == 0, invited.stderr
    lines = invited.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("phonebank join 'postgresql://pb_")
    assert "shown once" in invited.stderr
    url = lines[0].split("'")[1]

    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHONEBANK_NOW", NOW)
    answers = ["n", "", "s", "q"]  # V1: not home, no note, save; then quit
    called = run("--database", url, "-w", str(ws.root), "call", "--email", ANA.email, "--plain",
                 input="\n".join(answers) + "\n")
    assert called.exit_code == 0, called.stdout + called.stderr
    assert "María García" in called.stdout and "Session summary: 1 call," in called.stdout
    from phonebank.results import CsvResultsStore
    from phonebank.store import postgres
    from phonebank.store.outbox import outbox_path, read_outbox

    local = CsvResultsStore(ws.results_dir).read("test")[0]  # the volunteer's local copy first...
    assert [(r.voter_id, r.code, r.volunteer) for r in local] == [("V1", "not_home", ANA.email)]
    assert read_outbox(outbox_path(CsvResultsStore(ws.results_dir).file_for("test", ANA.email))) == {}
    with postgres.connect(campaign_url) as conn:  # ...then the database, acknowledged
        assert conn.execute("SELECT row_id, voter_id, code, volunteer FROM phonebank.results").fetchall() == [
            (local[0].row_id, "V1", "not_home", ANA.email)]

    revoked = run("--database", campaign_url, "db", "revoke", ANA.email)
    assert revoked.exit_code == 0 and revoked.stdout.startswith("Revoked ana@example.org")
    refused = run("--database", url, "-w", str(ws.root), "call", "--email", ANA.email, "--plain", input="q\n")
    assert refused.exit_code == 1 and refused.stderr.startswith(
        "Error: the campaign database refused your login (role ") and len(refused.stderr.splitlines()) == 1
    assert "is not permitted to log in): it was revoked — ask the organizer for a new invitation" in refused.stderr


def test_open_calling_picks_the_store(tmp_path, campaign_url, monkeypatch):
    from phonebank.script import load_script
    from phonebank.store import open_calling, postgres
    from phonebank.store.files import FileStore

    ws = make_workspace(tmp_path / "ws")
    with postgres.connect(campaign_url) as conn:
        postgres.push_workspace(conn, ws)
    script = load_script(ws.script_path)
    files = open_calling(ws, script, "test", lambda: None)
    assert isinstance(files, FileStore)
    files.close()
    monkeypatch.setenv("PHONEBANK_DATABASE_URL", campaign_url)
    db = open_calling(ws, script, "test", lambda: None)
    assert isinstance(db, postgres.PostgresStore) and db._clock is None  # the server's clock
    db.close()
    monkeypatch.setenv("PHONEBANK_NOW", NOW)
    rehearsal = open_calling(ws, script, "test", lambda: "the rehearsal clock")
    assert rehearsal.clock() == "the rehearsal clock"
    rehearsal.close()


def test_call_on_files_never_imports_psycopg(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    code = (
        "import sys; from phonebank.cli import cli\n"
        "try:\n    cli.main(['-w', sys.argv[1], 'call', '--email', 'ana@example.org', '--plain'], standalone_mode=False)\n"
        "except BaseException:\n    pass\n"
        "print('LOADED', [m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_binary')]"
        " + [m for m in sys.modules if m == 'phonebank.store.postgres'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PHONEBANK_DATABASE_URL"}
    out = subprocess.run([sys.executable, "-c", code, str(ws.root)], input="q\n", capture_output=True, text=True,
                         env={**env, "PHONEBANK_NOW": NOW, "PHONEBANK_HOME": str(tmp_path / "home")}, cwd=REPO)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr
    assert "María García" in out.stdout  # it did reach the first voter


def test_without_psycopg_the_database_commands_say_what_to_install(tmp_path):
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from phonebank.cli import main; sys.argv = ['phonebank', '--database', 'postgresql:///x', 'db', 'status']\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 2
    assert out.stderr.strip() == ("Error: the PostgreSQL store needs psycopg — install it with: "
                                  "pip install 'phonebank[postgres]'")
