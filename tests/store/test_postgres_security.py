"""Volunteers' logins on a real server: the engine's own security, not the client's good manners.

A login (``invite``) may only run the calling functions: it cannot read or write any table, cannot
call the helpers, cannot act or save as another volunteer, cannot save on a voter it was never given,
cannot see voters it was not given, holds at most one voter; a revoked login is refused.
"""

from __future__ import annotations

import pytest

from phonebank.errors import DataError, LoginRefused, UsageProblem
from phonebank.results import UNDO, ResultRow
from phonebank.script import load_script
from phonebank.store.port import Hold

from callkit import ANA, BO, la, make_workspace

EVENING = la(2017, 3, 20, 18, 0)


@pytest.fixture
def campaign(campaign):
    """The store's campaign (conftest) with Ana and Bo invited: (workspace, URL, admin connection, Ana's
    invitation, Bo's)."""
    from phonebank.store import postgres

    ws, url, conn = campaign
    return ws, url, conn, postgres.invite(conn, ANA.email, url), postgres.invite(conn, BO.email, url)


def login_store(campaign, invitation, clock):
    from phonebank.store.postgres import PostgresStore

    return PostgresStore(invitation.url, load_script(campaign[0].script_path), "test", clock)


def call_row(offer, code, clock, email=ANA.email, **kw):
    return ResultRow(recorded_at=clock().isoformat(), volunteer=email, list="test", voter_id=offer.voter_id,
                     phone=offer.phones[0], code=code, **kw)


def test_the_invitation_is_a_url_with_an_opaque_role(campaign):
    _, _, conn, ana, _ = campaign
    assert ana.role.startswith("pb_") and "ana" not in ana.role  # other logins can list roles: no emails there
    assert ana.url.startswith(f"postgresql://{ana.role}:") and ana.password in ana.url
    assert ana.join_line.startswith("phonebank join '")
    assert conn.execute("SELECT login_role FROM phonebank.volunteers WHERE email = %s",
                        (ANA.email,)).fetchone()[0] == ana.role


def test_a_login_cannot_read_or_write_any_table(campaign):
    import psycopg

    from phonebank.store import postgres

    _, _, conn, ana, _ = campaign
    tables = [t for (t,) in conn.execute(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'phonebank' ORDER BY 1")]
    assert {"phonebank.voters", "phonebank.results", "phonebank.volunteers", "phonebank.dnc",
            "phonebank.secrets", "phonebank.campaign"} <= set(tables)
    with postgres.connect(ana.url) as mine:
        for table in tables:
            for statement in (f"SELECT * FROM {table} LIMIT 1", f"DELETE FROM {table}"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    mine.execute(statement)
        for helper in ("phonebank._sign(1, 'V1', 'ana@example.org', 0, 'x')", "phonebank._me('bo@example.org', true)",
                       "phonebank._history(1, 'V1')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                mine.execute(f"SELECT {helper}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            mine.execute("CREATE TABLE phonebank.mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            mine.execute("CREATE TEMP TABLE mine (x int)")
        assert mine.execute("SELECT phonebank.whoami()").fetchone()[0] == ANA.email


def test_a_login_cannot_change_any_table_nor_use_a_sequence_nor_run_a_helper(campaign):
    """Beyond reading: no INSERT, UPDATE, TRUNCATE on any table (partitions included), no sequence, and
    the only functions it may run are the SECURITY DEFINER calling functions — never a helper."""
    import psycopg

    from phonebank.store import postgres

    _, _, conn, ana, _ = campaign
    columns = dict(conn.execute(
        "SELECT format('%I.%I', c.table_schema, c.table_name), min(format('%I', c.column_name)) "
        "FROM information_schema.columns c WHERE c.table_schema = 'phonebank' GROUP BY 1"))
    assert "phonebank.voters_1" in columns  # a list's own partition
    sequences = [s for (s,) in conn.execute(
        "SELECT format('%I.%I', sequence_schema, sequence_name) FROM information_schema.sequences "
        "WHERE sequence_schema = 'phonebank'")]
    assert sequences
    with postgres.connect(ana.url) as mine:
        for table, column in columns.items():
            for statement in (f"INSERT INTO {table} DEFAULT VALUES", f"UPDATE {table} SET {column} = {column}",
                              f"TRUNCATE {table}", f"COPY {table} TO STDOUT"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    mine.execute(statement)
        for sequence in sequences:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                mine.execute("SELECT nextval(%s)", (sequence,))
        runnable = mine.execute(
            "SELECT p.proname, p.prosecdef FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'phonebank' AND has_function_privilege(p.oid, 'EXECUTE')").fetchall()
    assert {"claim", "save_call", "whoami"} <= {name for name, _ in runnable}
    assert [name for name, definer in runnable if name.startswith("_") or not definer] == []


def test_a_login_claims_and_saves_as_itself_only(campaign, clock):
    s = login_store(campaign, campaign[3], clock)
    with pytest.raises(UsageProblem, match="cannot act as bo@example.org"):
        s.next_voter(BO.email)
    offer = s.next_voter(ANA.email)
    assert offer.voter_id == "V1"
    with pytest.raises(UsageProblem, match="it cannot (save a call|act) as bo@example.org"):
        s.save(call_row(offer, "supporter", clock, email=BO.email), offer.hold)
    saved = s.save(call_row(offer, "supporter", clock), offer.hold)
    assert not saved.hold_lost
    assert s.last_saved(ANA.email).row_id == saved.row.row_id
    with pytest.raises(UsageProblem, match="cannot act as bo@example.org"):
        s.last_saved(BO.email)
    s.close()


def test_a_login_holds_at_most_one_voter(campaign, clock):
    ana = login_store(campaign, campaign[3], clock)
    bo = login_store(campaign, campaign[4], clock)
    assert ana.next_voter(ANA.email).voter_id == "V1"
    assert ana.next_voter(ANA.email, exclude={"V1"}).voter_id == "V2"  # V1 given back
    assert bo.next_voter(BO.email, exclude={"V2"}).voter_id == "V1"
    held = campaign[2].execute("SELECT voter_id FROM phonebank.voters WHERE holder = %s", (ANA.email,)).fetchall()
    assert held == [("V2",)]


def test_a_login_cannot_save_on_a_voter_it_was_never_given(campaign, clock):
    ana = login_store(campaign, campaign[3], clock)
    bo = login_store(campaign, campaign[4], clock)
    theirs = bo.next_voter(BO.email)  # V1, BO's
    mine = ana.next_voter(ANA.email)  # V2
    forged = Hold(theirs.voter_id, ANA.email, mine.hold.token, mine.hold.since)  # my token on their voter
    with pytest.raises(UsageProblem, match="was never handed to ana@example.org"):
        ana.save(call_row(theirs, "refused", clock), forged)
    with pytest.raises(UsageProblem, match="was never handed"):
        ana.save(call_row(theirs, "refused", clock), None)
    with pytest.raises(UsageProblem, match="was never handed"):
        ana.save(call_row(theirs, "refused", clock), Hold(theirs.voter_id, ANA.email, "0" * 64, 0))
    assert campaign[2].execute("SELECT count(*) FROM phonebank.results").fetchone()[0] == 0


def test_a_login_sees_only_the_voters_it_was_given(campaign, clock):
    ana = login_store(campaign, campaign[3], clock)
    mine = ana.next_voter(ANA.email)
    assert ana.offer(mine.voter_id, mine.hold).voter["first_name"] == "María"
    with pytest.raises(DataError, match="no voter V3"):
        ana.offer("V3", mine.hold)
    assert ana.voter_name("V3") == "V3"  # no name for a voter never given
    saved = ana.save(call_row(mine, "not_home", clock), mine.hold)
    ana.release(mine.hold)
    assert ana.voter_name("V1") == "María García"  # a voter ANA called: for the undo line
    assert ana.offer("V1").voter_id == "V1"
    assert saved.row.row_id


def test_a_login_undoes_only_its_own_calls(campaign, clock):
    ana = login_store(campaign, campaign[3], clock)
    bo = login_store(campaign, campaign[4], clock)
    offer = bo.next_voter(BO.email)
    theirs = bo.save(call_row(offer, "moved", clock, email=BO.email), offer.hold).row
    bo.release(offer.hold)
    undo = ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id=theirs.voter_id,
                     phone=theirs.phone, code=UNDO, undoes=theirs.row_id)
    with pytest.raises(UsageProblem, match="undo only your own calls"):
        ana.save(undo)
    mine = bo.save(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test",
                             voter_id=theirs.voter_id, phone=theirs.phone, code=UNDO, undoes=theirs.row_id))
    assert mine.row.code == UNDO and bo.last_saved(BO.email) is None


def test_a_login_saves_only_codes_of_the_script(campaign, clock):
    ana = login_store(campaign, campaign[3], clock)
    offer = ana.next_voter(ANA.email)
    with pytest.raises(DataError, match="code 'made_up' is not in the campaign's script"):
        ana.save(call_row(offer, "made_up", clock), offer.hold)


def test_a_revoked_login_is_refused(campaign, clock):
    from phonebank.store import postgres

    _, url, conn, ana, _ = campaign
    s = login_store(campaign, ana, clock)
    offer = s.next_voter(ANA.email)
    assert postgres.revoke(conn, ANA.email) == 1  # the open session is ended
    with pytest.raises(DataError, match="lost the connection"):
        s.heartbeat(offer.hold)
    with pytest.raises(LoginRefused, match="refused your login .*is not permitted to log in.*it was revoked"):
        postgres.connect(ana.url)
    assert conn.execute("SELECT count(*) FROM phonebank.voters WHERE holder = %s", (ANA.email,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM phonebank.holds WHERE volunteer = %s", (ANA.email,)).fetchone()[0] == 0
    bo = login_store(campaign, campaign[4], clock)
    assert bo.next_voter(BO.email).voter_id == offer.voter_id  # ANA's voter is back in the pool at once
    with pytest.raises(UsageProblem, match="nothing to revoke"):
        postgres.revoke(conn, "nobody@example.org")


def test_a_role_that_is_not_a_volunteer_of_this_campaign_is_refused(campaign, clock):
    """A login of another campaign on the same server (roles are server-wide) gets nothing here."""
    import psycopg

    from phonebank.store import postgres

    _, url, conn, ana, _ = campaign
    conn.execute("UPDATE phonebank.volunteers SET login_role = NULL WHERE email = %s", (ANA.email,))
    with postgres.connect(ana.url) as stranger, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                              match="not a volunteer of this campaign"):
        stranger.execute("SELECT phonebank.claim('test', NULL, 'en', '{}', '{}', NULL)")


def test_an_organizer_without_superuser_runs_the_campaign(tmp_path, clock):
    """A managed server gives the organizer CREATEROLE and a database, never superuser: init, push,
    invite, call and revoke all work with that."""
    import uuid

    import pg

    from phonebank.store import postgres

    org, password, db = f"org_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, f"pb_test_{uuid.uuid4().hex[:12]}"
    with pg.admin_connection() as admin:
        admin.execute(f"CREATE ROLE {org} LOGIN CREATEROLE PASSWORD '{password}'")
        admin.execute(f'CREATE DATABASE "{db}" OWNER {org}')
    try:
        url = pg.database_url(db, user=org, password=password)
        ws = make_workspace(tmp_path / "ws")
        with postgres.connect(url) as conn:
            assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
            postgres.init_database(conn)
            postgres.push_workspace(conn, ws)
            ana = postgres.invite(conn, ANA.email, url)
        organizer = postgres.PostgresStore(url, load_script(ws.script_path), "test", clock)
        assert organizer.next_voter(BO.email).voter_id == "V1"
        volunteer = login_store((ws,), ana, clock)
        offer = volunteer.next_voter(ANA.email)
        assert offer.voter_id == "V2"
        volunteer.save(call_row(offer, "not_home", clock), offer.hold)
        with postgres.connect(url) as conn:
            assert postgres.revoke(conn, ANA.email) is None  # may not end the session: it is refused instead
        with pytest.raises(UsageProblem, match="the login of ana@example.org was revoked"):
            volunteer.next_voter(ANA.email)
        with pytest.raises(UsageProblem, match="was revoked"):
            volunteer.heartbeat(offer.hold)
        with pytest.raises(LoginRefused, match="refused your login .*it was revoked"):
            postgres.connect(ana.url)
        volunteer.close()
        organizer.close()
    finally:
        pg.drop_database(db)
        with pg.admin_connection() as admin:
            admin.execute(f"DROP ROLE IF EXISTS {org}")
