"""`phonebank join` and the volunteer's side of a shared campaign: the binding (workspace.yaml, no password),
the password file, TLS, the invitation line, `call` in a joined workspace, and the outbox."""

from __future__ import annotations

import shlex

import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.errors import UsageProblem, WorkspaceError
from phonebank.workspace import Workspace

from callkit import ANA, BO, Clock, la, make_workspace, voter, write_list
from homekit import T0, open_campaign

REMOTE = "postgresql://pb_x:s3cret@db.example.org:5433/ca34"


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    """Every volunteer here has their own HOME: libpq's ~/.pgpass is theirs."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.setenv("PHONEBANK_NOW", T0)
    return home


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, prog_name="phonebank")


@pytest.fixture
def campaign(tmp_path):
    c = open_campaign(tmp_path)
    yield c
    c.close()


# == no server needed =====================================================================================

@pytest.mark.parametrize(("url", "ok"), [
    ("postgresql://u:p@db.example.org/ca34", False),
    ("postgresql://u:p@db.example.org/ca34?sslmode=prefer", False),
    ("postgresql://u:p@db.example.org/ca34?sslmode=require", True),
    ("postgresql://u:p@db.example.org/ca34?sslmode=verify-full", True),
    ("host=db.example.org dbname=ca34 sslmode=disable", False),
    ("postgresql://u:p@/ca34?host=/var/run/postgresql", True),  # a unix socket
    ("postgresql://u:p@localhost/ca34", True),
    ("postgresql://u:p@127.0.0.1:5432/ca34", True),
    ("postgresql://u:p@localhost,db.example.org/ca34", False),  # one of the hosts is remote
])
def test_remote_servers_only_over_tls(url, ok):
    from phonebank.store.credentials import check_tls

    if ok:
        check_tls(url)
    else:
        with pytest.raises(UsageProblem, match="does not require TLS .* add sslmode=require"):
            check_tls(url)
        check_tls(url, allow_without=True)  # the organizer said so


def test_join_refuses_a_remote_url_without_tls_before_connecting(tmp_path):
    done = run("join", REMOTE, str(tmp_path / "ca34"))
    assert done.exit_code == 2
    assert done.stderr.strip() == (
        "Error: db.example.org is reached over the network and the URL does not require TLS (sslmode=unset) — add "
        "sslmode=require (or verify-full) to it; without TLS only when the organizer says so: `phonebank join --no-tls`")
    assert not (tmp_path / "ca34").exists()
    assert "s3cret" not in done.output


def test_the_invitation_asks_for_tls_for_a_remote_server_unless_told_otherwise():
    from phonebank.store.postgres import Invitation, volunteer_url

    assert volunteer_url("postgresql://org@db.example.org/ca34", "pb_1", "pw") == \
        "postgresql://pb_1:pw@db.example.org/ca34?sslmode=require"
    assert volunteer_url("postgresql://org@db.example.org/ca34?sslmode=prefer", "pb_1", "pw") == \
        "postgresql://pb_1:pw@db.example.org/ca34?sslmode=require"
    assert volunteer_url("postgresql://org@db.example.org/ca34?sslmode=verify-full", "pb_1", "pw").endswith(
        "?sslmode=verify-full")
    assert volunteer_url("postgresql://org@db.example.org/ca34", "pb_1", "pw", tls=False) == \
        "postgresql://pb_1:pw@db.example.org/ca34"
    assert Invitation("a@example.org", "pb_1", "pw", "postgresql://x", tls=False).join_line == \
        "phonebank join --no-tls 'postgresql://x' CAMPAIGN_FOLDER"
    assert Invitation("a@example.org", "pb_1", "pw", "postgresql://x").join_line == \
        "phonebank join 'postgresql://x' CAMPAIGN_FOLDER"


@pytest.mark.parametrize(("url", "bare"), [
    ("postgresql://pb_1:p%40ss@db.example.org:5433/ca34?sslmode=require",
     "postgresql://pb_1@db.example.org:5433/ca34?sslmode=require"),
    ("postgresql://pb_1:pw@/ca34?host=%2Ftmp%2Fpg", "postgresql://pb_1@/ca34?host=%2Ftmp%2Fpg"),
    ("postgresql://pb_1@db/ca34?password=pw&sslmode=require", "postgresql://pb_1@db/ca34?sslmode=require"),
    ("host=db dbname=ca34 user=pb_1 password='a b' sslmode=require", "host=db dbname=ca34 user=pb_1 sslmode=require"),
])
def test_the_binding_keeps_the_url_without_its_password(url, bare):
    from phonebank.store.credentials import without_password
    from phonebank.workspace import has_password

    assert has_password(url)
    assert without_password(url) == bare and not has_password(bare)


def test_the_password_goes_to_a_private_pgpass_replacing_the_old_entry(_home, monkeypatch):
    from phonebank.store.credentials import save_password

    pgpass = _home / ".pgpass"
    pgpass.write_text("other.example.org:*:x:y:keep-me\n")
    assert save_password("postgresql://pb_1:old@db.example.org:5433/ca34?sslmode=require") == pgpass
    assert save_password("postgresql://pb_1:n%3Aw@db.example.org:5433/ca34?sslmode=require") == pgpass
    assert pgpass.read_text().splitlines() == ["other.example.org:*:x:y:keep-me",
                                               "db.example.org:5433:ca34:pb_1:n\\:w"]
    assert oct(pgpass.stat().st_mode & 0o777) == "0o600"
    assert save_password("postgresql://pb_1@db.example.org/ca34") is None  # nothing to save
    elsewhere = _home / "secrets" / "pgpass"
    monkeypatch.setenv("PGPASSFILE", str(elsewhere))
    assert save_password("postgresql://pb_2:pw@/ca34?host=/tmp/pg") == elsewhere
    assert elsewhere.read_text() == "/tmp/pg:*:ca34:pb_2:pw\n"


def test_the_workspace_setting_never_holds_a_password_and_comes_after_option_and_environment(tmp_path, monkeypatch):
    from phonebank.store import database_url

    ws = Workspace(tmp_path)
    assert ws.settings() == {} and database_url(ws) is None
    ws.settings_path.write_text("database: postgresql://pb_1@db.example.org/ca34?sslmode=require\n")
    assert database_url(ws) == "postgresql://pb_1@db.example.org/ca34?sslmode=require"
    monkeypatch.setenv("PHONEBANK_DATABASE_URL", "postgresql:///from-env")
    assert database_url(ws) == "postgresql:///from-env"
    ws.settings_path.write_text("database: postgresql://pb_1:pw@db.example.org/ca34\n")
    monkeypatch.delenv("PHONEBANK_DATABASE_URL")
    with pytest.raises(WorkspaceError, match="the database URL holds a password — remove it"):
        database_url(ws)
    ws.settings_path.write_text("databse: x\n")
    with pytest.raises(WorkspaceError, match="unknown setting 'databse'"):
        ws.settings()


# == with the server ======================================================================================

def test_the_line_db_invite_prints_is_the_join_command(tmp_path, campaign, _home):
    invited = run("--database", campaign.url, "db", "invite", ANA.email)
    assert invited.exit_code == 0, invited.stderr
    argv = shlex.split(invited.stdout.strip())
    assert argv[:2] == ["phonebank", "join"] and argv[-1] == "CAMPAIGN_FOLDER"
    folder = tmp_path / "ana-campaign"
    joined = run(*argv[1:-1], str(folder))
    assert joined.exit_code == 0, joined.output
    assert joined.stdout.startswith(f"Joined the campaign Arturo Carmona for Congress as {ANA.email} in {folder}")
    assert "~/.pgpass                  your password (readable only by you)" in joined.stdout
    assert "Call lists: test" in joined.stdout
    ws = Workspace(folder)
    password = argv[2].split(":")[2].split("@")[0]
    assert password not in "".join(p.read_text() for p in folder.rglob("*") if p.is_file())  # not in the folder
    assert password in (_home / ".pgpass").read_text()
    assert ws.script_path.read_text() == campaign.ws.script_path.read_text()  # the campaign's script
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and oct(ws.results_dir.stat().st_mode & 0o777) == "0o700"
    assert not ws.lists_dir.exists()


def test_join_refuses_an_organizer_url_and_a_folder_holding_a_workspace(tmp_path, campaign):
    organizer = run("join", campaign.url, str(tmp_path / "x"))
    assert organizer.exit_code == 2 and "this URL is not a volunteer's login" in organizer.stderr
    assert not (tmp_path / "x").exists()
    url = campaign.invite(ANA.email).url
    taken = run("join", url, str(campaign.ws.root))
    assert taken.exit_code == 2
    assert "already holds a workspace (found scripts.yaml, lists, results, volunteers.csv) — choose a new folder; " \
           "nothing was changed" in taken.stderr


def test_joining_again_with_a_new_invitation_updates_the_password(tmp_path, campaign, _home):
    folder = tmp_path / "ca34"
    assert run("join", campaign.invite(ANA.email).url, str(folder)).exit_code == 0
    newer = campaign.invite(ANA.email)  # the old password no longer works
    refused = run("-w", str(folder), "call", "--plain", input="q\n")
    assert refused.exit_code == 1 and "refused your login (password authentication failed" in refused.stderr
    again = run("join", newer.url, str(folder))
    assert again.exit_code == 0 and again.stdout.startswith("Joined again the campaign")
    assert (_home / ".pgpass").read_text().count(newer.role) == 1
    ok = run("-w", str(folder), "call", "--plain", input="Ana\nReyes\n90033\nq\n")
    assert ok.exit_code == 0, ok.output


def test_call_in_a_joined_workspace_identity_from_the_login_lists_and_script_from_the_database(tmp_path, campaign):
    folder = tmp_path / "ca34"
    assert run("join", campaign.invite(ANA.email).url, str(folder)).exit_code == 0
    other = run("-w", str(folder), "call", "--plain", "--email", BO.email, input="q\n")
    assert other.exit_code == 2
    assert other.stderr.strip() == f"Error: this campaign login belongs to {ANA.email}, not {BO.email} — leave out --email"
    # the organizer adds a list and changes the script: the volunteer sees both at the next call
    from phonebank.store import postgres

    write_list(campaign.ws, "another", [voter("A1", "Zed", "Zulu", "+12135550177")])
    text = campaign.ws.script_path.read_text().replace("claim_minutes: 30", "claim_minutes: 20")
    campaign.ws.script_path.write_text(text)
    postgres.push_workspace(campaign.conn, campaign.ws)
    # ANA's registration is in the campaign database (the organizer's roster, pushed): not asked here
    got = run("-w", str(folder), "call", "--plain", input="1\nq\n")
    assert got.exit_code == 0, got.output
    out = got.stdout
    assert out.index("The campaign's script changed: scripts.yaml now holds the organizer's latest.") \
        < out.index(f"Logged in as {ANA.email} (your campaign login says who you are: no email to type).") \
        < out.index("Which list are you calling?") < out.index("Zed Zulu")
    assert "1) another" in out and "2) test" in out and "Your email" not in out
    assert Workspace(folder).script_path.read_text() == text
    unknown = run("-w", str(folder), "call", "--plain", "--list", "nope", input="q\n")
    assert unknown.exit_code == 2 and "no list named 'nope' — available: another, test" in unknown.stderr


def test_the_outbox_sends_each_call_once(tmp_path, campaign):
    """A save whose acknowledgement was lost is sent again: the database keeps one; an entry whose row was
    never written is dropped; a row naming another volunteer is refused by the server and stays here."""
    from phonebank.results import CsvResultsStore, ResultRow
    from phonebank.script import load_script
    from phonebank.store.outbox import OUTBOX_HEADER, outbox_path, read_outbox
    from phonebank.store.remote import Campaign

    folder = tmp_path / "ca34"
    assert run("join", campaign.invite(ANA.email).url, str(folder)).exit_code == 0
    ws = Workspace(folder)
    script = load_script(ws.script_path)
    shown: list[str] = []
    c = Campaign(ws.database_setting(), ws)
    store = c.calling_store(script, "test", Clock(la(2017, 3, 20, 18)), notify=shown.append)
    offer = store.next_voter(ANA.email)
    row = ResultRow(recorded_at=T0, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                    phone=offer.phones[0], code="not_home")
    store.save(row, offer.hold)
    journal = outbox_path(CsvResultsStore(ws.results_dir).file_for("test", ANA.email))
    assert read_outbox(journal) == {}
    # as if the process had died after the database saved it but before it said so
    with open(journal, "ab") as fh:
        fh.write(f"pending\t{row.row_id}\t{offer.hold.token}\t{offer.hold.since}\n".encode())
        fh.write(b"pending\tnever-written\t-\t-\n")
    forged = ResultRow(recorded_at=T0, volunteer=BO.email, list="test", voter_id=offer.voter_id,
                       phone=offer.phones[0], code="not_home")
    CsvResultsStore(ws.results_dir).append(forged)  # someone edits Ana's file to save as Bo
    bo_journal = outbox_path(CsvResultsStore(ws.results_dir).file_for("test", BO.email))
    bo_journal.write_bytes(OUTBOX_HEADER + f"pending\t{forged.row_id}\t{offer.hold.token}\t{offer.hold.since}\n".encode())
    store.close()
    again = Campaign(ws.database_setting(), ws)
    done = again.deliver_all(script, Clock(la(2017, 3, 20, 18)))
    assert done.sent == 1  # the lost acknowledgement: sent again, kept once
    assert len(done.refused) == 1 and "was not accepted by the campaign database (this login belongs to " \
        f"{ANA.email} — it cannot act as {BO.email})" in done.refused[0]
    assert read_outbox(journal) == {} and list(read_outbox(bo_journal)) == [forged.row_id]
    assert [(r[0], r[2]) for r in campaign.rows()] == [(row.row_id, ANA.email)]
    again.close()


def test_join_reads_the_line_from_stdin_keeping_the_password_out_of_the_command_line(tmp_path, campaign):
    invited = run("--database", campaign.url, "db", "invite", ANA.email)
    folder = tmp_path / "ca34"
    joined = run("join", "-", str(folder), input=invited.stdout)  # the whole line, pasted
    assert joined.exit_code == 0, joined.output
    assert Workspace(folder).database_setting() is not None
    again = run("join", "-", str(tmp_path / "again"), input=shlex.split(invited.stdout)[2] + "\n")  # the URL alone
    assert again.exit_code == 0, again.output


def test_a_save_that_finds_the_network_down_is_kept_and_sent_at_the_next_voter(tmp_path, campaign):
    """In process, through a proxy whose network is cut right before the save: the save says so in one line,
    the voter's screen is kept from what is known here, undo waits, no new voter; back online, the next voter
    first sends the call (once) and gives back the voter let go while offline."""
    from phonebank.errors import Offline
    from phonebank.messages import say
    from phonebank.results import ResultRow
    from phonebank.script import load_script
    from phonebank.store.remote import Campaign

    from homekit import Proxy

    proxy = Proxy(campaign.url)
    try:
        invitation = campaign.invite(ANA.email)
        url = f"postgresql://{invitation.role}:{invitation.password}@127.0.0.1:{proxy.port}/{campaign.name}"
        folder = tmp_path / "ca34"
        assert run("join", url, str(folder)).exit_code == 0
        ws = Workspace(folder)
        script = load_script(ws.script_path)
        shown: list[str] = []
        store = Campaign(ws.database_setting(), ws).calling_store(script, "test", Clock(la(2017, 3, 20, 18)),
                                                                 notify=shown.append)
        offer = store.next_voter(ANA.email)
        proxy.cut()
        row = ResultRow(recorded_at=T0, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                        phone=offer.phones[0], code="wrong_number")
        saved = store.save(row, offer.hold)
        assert saved.row == row and shown == [say("en", "offline.saved")] and store.offline
        again = store.offer(offer.voter_id, offer.hold)  # the screen, from what is known here
        assert again.phones == offer.phones[1:] and again.history[-1] == row
        store.release(offer.hold)
        with pytest.raises(Offline, match="no new voter until the campaign database can be reached again; 1 saved "
                                          r"call\(s\) are kept on this computer"):
            store.next_voter(ANA.email)
        with pytest.raises(Offline):
            store.last_saved(ANA.email)  # undo waits for the connection
        assert store.heartbeat(offer.hold) and campaign.rows() == []
        proxy.restore()
        following = store.next_voter(ANA.email)
        assert shown[-1] == "Sent 1 call(s) saved while offline to the campaign database."
        assert following.voter_id != offer.voter_id
        assert [(r[0], r[3]) for r in campaign.rows()] == [(row.row_id, "wrong_number")]
        assert campaign.holder(offer.voter_id) is None  # given back at the reconnection
        store.close()
    finally:
        proxy.close()


def test_the_password_file_is_where_libpq_looks_on_each_system(monkeypatch, tmp_path):
    from phonebank.store.credentials import pgpass_path

    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert pgpass_path("posix") == tmp_path / ".pgpass"
    assert pgpass_path("nt") == tmp_path / "Roaming" / "postgresql" / "pgpass.conf"
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "elsewhere"))
    assert pgpass_path("nt") == pgpass_path("posix") == tmp_path / "elsewhere"


def test_check_in_a_joined_workspace_does_not_ask_for_the_lists_the_database_holds(tmp_path, campaign):
    from phonebank.results import ResultRow
    from phonebank.script import load_script
    from phonebank.store.remote import Campaign

    folder = tmp_path / "ca34"
    assert run("join", campaign.invite(ANA.email).url, str(folder)).exit_code == 0
    ws = Workspace(folder)
    c = Campaign(ws.database_setting(), ws)
    store = c.calling_store(load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18)), notify=lambda _: None)
    offer = store.next_voter(ANA.email)
    store.save(ResultRow(recorded_at=T0, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                         phone=offer.phones[0], code="not_home"), offer.hold)
    store.close()
    c.close()
    checked = run("-w", str(folder), "check")
    assert "results/test: 1 saved calls in 1 file(s)" in checked.stdout, checked.output
    assert "there is no call list" not in checked.output
    (folder / "workspace.yaml").unlink()  # a plain workspace with results and no list is still told
    assert "there is no call list lists/test.csv" in run("-w", str(folder), "check").output


def test_the_offline_lines_are_said_in_the_volunteers_language():
    from phonebank.messages import say
    from phonebank.store.outbox import Delivery

    assert Delivery(sent=2, marked=1).lines("es") == [
        "Se enviaron a la base de datos de la campaña 2 llamada(s) guardada(s) sin conexión (1 marcada(s): otro "
        "voluntario llamó al votante mientras tanto)."]
    assert Delivery(sent=1).lines() == ["Sent 1 call(s) saved while offline to the campaign database."]
    for key in ("offline.call", "offline.saved", "offline.no_voter", "offline.back"):
        assert say("es", key) != say("en", key) and "Offline" not in say("es", key)


def test_a_volunteer_registers_once_for_every_computer_and_the_organizer_sees_the_name(tmp_path, campaign):
    from phonebank.roster import read_roster

    cleo = "cleo@example.org"  # invited, never registered by the organizer
    invitation = campaign.invite(cleo).url
    first, second = tmp_path / "laptop", tmp_path / "desktop"
    assert run("join", invitation, str(first)).exit_code == 0
    got = run("-w", str(first), "call", "--plain", "--list", "test", input="Cleo\nDiaz\n90033\nq\n")
    assert got.exit_code == 0, got.output
    assert "First name" in got.output
    assert campaign.conn.execute("SELECT first_name, last_name, zip FROM phonebank.volunteers WHERE email = %s",
                                 (cleo,)).fetchone() == ("Cleo", "Diaz", "90033")
    # the same volunteer on another computer: not asked again, the name the script says is hers
    assert run("join", invitation, str(second)).exit_code == 0
    again = run("-w", str(second), "call", "--plain", "--list", "test", input="q\n")
    assert again.exit_code == 0, again.output
    assert "First name" not in again.output and read_roster(Workspace(second).roster_path)[cleo].last_name == "Diaz"
    # the organizer's files learn the registration from `db pull`
    pulled = run("--database", campaign.url, "-w", str(campaign.ws.root), "db", "pull")
    assert pulled.exit_code == 0, pulled.output
    assert read_roster(campaign.ws.roster_path)[cleo].first_name == "Cleo"


def test_only_a_login_registers_itself_and_only_a_registration_is_taken(campaign):
    import psycopg

    with pytest.raises(psycopg.errors.RaiseException, match="only a volunteer's login registers itself"):
        campaign.conn.execute("SELECT phonebank.register_me('Eve', 'X', '90033', '')")
    invitation = campaign.invite("cleo@example.org")
    with psycopg.connect(invitation.url, autocommit=True) as ana:
        with pytest.raises(psycopg.errors.RaiseException, match="a registration is a first name"):
            ana.execute("SELECT phonebank.register_me(%s, 'Reyes', '90033', '')", ("Cleo\x1b[2J",))
        with pytest.raises(psycopg.errors.RaiseException, match="5-digit ZIP"):
            ana.execute("SELECT phonebank.register_me('Ana', 'Reyes', 'nope', '')")
        assert ana.execute("SELECT phonebank.my_registration()").fetchone()[0] is None
        ana.execute("SELECT phonebank.register_me('Ana', 'Reyes', '90033', '2017-03-20T18:00:00-07:00')")
        assert ana.execute("SELECT phonebank.my_registration()").fetchone()[0]["last_name"] == "Reyes"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ana.execute("UPDATE phonebank.volunteers SET first_name = 'Mallory'")


def test_a_link_planted_as_the_outbox_journal_is_refused_not_truncated(tmp_path):
    from phonebank.errors import UnsafePath
    from phonebank.store.outbox import OUTBOX_HEADER, _compact

    ws = make_workspace(tmp_path / "ws")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(OUTBOX_HEADER + b"sent\tr1\n" + b"precious\n" * 10)
    folder = ws.results_dir / "test"
    folder.mkdir(parents=True, exist_ok=True)
    journal = folder / ".ana@example.org.csv.outbox"
    journal.symlink_to(outside)
    with pytest.raises(UnsafePath):
        _compact(journal)
    assert outside.read_bytes().endswith(b"precious\n" * 10)
