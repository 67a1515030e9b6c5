"""The PostgreSQL store beyond the shared contract: retried claims and resent saves, the server's
clock, zone probing, the planner, loading a workspace twice, re-loading a list with called voters."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from phonebank.results import ResultRow
from phonebank.script import load_script

from callkit import ANA, BO, Clock, la, make_workspace, voter, write_list

EVENING = la(2017, 3, 20, 18, 0)


def store(campaign, clock, name="test"):
    from phonebank.store.postgres import PostgresStore

    ws, url, _ = campaign
    return PostgresStore(url, load_script(ws.script_path), name, clock)


def row(s, offer, code, clock, volunteer=ANA, **kw):
    return ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=s.list_name,
                     voter_id=offer.voter_id, phone=offer.phones[0], code=code, **kw)


def test_a_retried_claim_returns_the_voter_already_held(campaign, clock):
    s = store(campaign, clock)
    first = s.next_voter(ANA.email)
    again = s.next_voter(ANA.email)  # the reply to the first claim was lost: ask again
    assert again.voter_id == first.voter_id == "V1" and again.hold == first.hold
    assert s.next_voter(ANA.email, exclude={"V1"}).voter_id == "V2"  # a skip is not a retry


def test_a_resent_save_is_saved_once(campaign, clock):
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email)
    r = row(s, offer, "not_home", clock)
    first = s.save(r, offer.hold)
    second = s.save(r, offer.hold)  # the reply was lost; the session sends it again
    assert not first.hold_lost and not second.hold_lost
    conn = campaign[2]
    assert conn.execute("SELECT count(*) FROM phonebank.results WHERE row_id = %s", (r.row_id,)).fetchone()[0] == 1
    assert conn.execute("SELECT attempts FROM phonebank.voters WHERE voter_id = 'V1'").fetchone()[0] == 1


def test_a_save_from_a_stale_history_is_folded_again(campaign, clock):
    a, b = store(campaign, clock), store(campaign, clock)
    slow = a.next_voter(ANA.email)
    clock.advance(minutes=31)
    fast = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    b.save(row(b, fast, "not_home", clock, volunteer=BO), fast.hold)
    late = a.save(row(a, slow, "not_home", clock), slow.hold)  # a folded V1 with no calls: refused, folded again
    assert late.hold_lost
    attempts, version = campaign[2].execute(
        "SELECT attempts, version FROM phonebank.voters WHERE voter_id = 'V1'").fetchone()
    assert (attempts, version) == (2, 2)


def test_without_a_clock_the_server_decides(campaign):
    from phonebank.store.postgres import PostgresStore

    ws, url, conn = campaign
    s = PostgresStore(url, load_script(ws.script_path), "test")  # no clock: the server's now()
    assert abs(s.clock() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    offer = s.next_voter(ANA.email)
    if offer is None:  # outside calling hours in every zone of the list right now
        assert s.counts().held_by_hours + s.counts().waiting > 0
        return
    until = conn.execute("SELECT lease_until - now() FROM phonebank.voters WHERE voter_id = %s",
                         (offer.voter_id,)).fetchone()[0]
    assert dt.timedelta(minutes=29) < until <= dt.timedelta(minutes=30)
    saved = s.save(ResultRow(recorded_at=s.clock().isoformat(), volunteer=ANA.email, list="test",
                             voter_id=offer.voter_id, phone=offer.phones[0], code="not_home"), offer.hold)
    assert not saved.hold_lost


def test_only_open_zones_are_probed_and_list_order_holds_across_them(tmp_path, clock):
    """Voters in five zones; in the morning only the East is open, in the evening all but the East."""
    import pg

    from phonebank.store import postgres

    zips = {"NY": "10001", "CHI": "60601", "DEN": "80202", "LA": "90012", "HNL": "96813"}
    area = {"NY": "212", "CHI": "312", "DEN": "303", "LA": "213", "HNL": "808"}
    voters = [voter(f"{z}{i}", z, str(i), f"+1{area[z]}555{i:04d}", zip_code=zips[z])
              for i in range(1, 6) for z in ("LA", "NY", "HNL", "CHI", "DEN")]
    ws = make_workspace(tmp_path / "ws", voters=voters)
    name, url = pg.campaign_database()
    try:
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, ws)
        s = postgres.PostgresStore(url, load_script(ws.script_path), "test", clock)
        clock.now = la(2017, 3, 20, 6, 30)  # 09:30 in New York, 08:30 in Chicago
        assert s.open_zone_keys(clock()) == ["America/New_York"]
        got = []
        while (offer := s.next_voter(ANA.email, exclude=set(got))) is not None:
            got.append(offer.voter_id)
        assert got == [f"NY{i}" for i in range(1, 6)]
        clock.now = la(2017, 3, 20, 17, 55)  # 20:55 in New York: closing; everywhere else open
        got = []
        while (offer := s.next_voter(BO.email, exclude=set(got))) is not None:
            got.append(offer.voter_id)
        assert got == [v["voter_id"] for v in voters if not v["voter_id"].startswith("NY")]
        s.close()
    finally:
        pg.drop_database(name)


def test_the_pick_uses_the_partial_indexes_with_generic_plans(tmp_path):
    """No full index in list order for the planner to walk past every called voter (the planner trap):
    20,000 voters, the first 15,000 called."""
    import pg

    from phonebank.store import postgres

    ws = make_workspace(tmp_path / "ws", voters=[voter(f"V{i}", "A", str(i), f"+1213{i:07d}") for i in range(20000)])
    name, url = pg.campaign_database()
    try:
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, ws)
            conn.execute("UPDATE phonebank.voters SET attempts = 1, finished = (seq % 2 = 0), "
                         "next_at = now() + interval '1 day' WHERE seq <= 15000")
            conn.execute("ANALYZE phonebank.voters")
            conn.execute("SET plan_cache_mode = force_generic_plan")
            conn.execute("PREPARE fresh(int, timestamptz, text[]) AS SELECT * FROM phonebank.voters WHERE list_id = $1 "
                         "AND attempts = 0 AND NOT finished AND NOT blocked AND (lease_until IS NULL OR lease_until <= $2) "
                         "AND voter_id <> ALL ($3) ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED")
            conn.execute("PREPARE due(int, text, timestamptz) AS SELECT c.* FROM unnest(ARRAY[1, 2]) AS k(zone) "
                         "CROSS JOIN LATERAL (SELECT * FROM phonebank.voters x WHERE x.list_id = $1 "
                         "AND x.zone = k.zone AND x.attempts > 0 AND NOT x.finished AND NOT x.blocked "
                         "AND x.next_at <= $3 AND (x.route_language = '' OR x.route_language = $2) "
                         "ORDER BY x.next_at, x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) c ORDER BY c.next_at, c.seq LIMIT 1")
            list_id = conn.execute("SELECT id FROM phonebank.lists WHERE name = 'test'").fetchone()[0]
            fresh = "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE fresh({int(list_id)}, now(), '{{}}')"))
            due = "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE due({int(list_id)}, 'en', now())"))
            assert "Seq Scan" not in fresh and "_seq_idx" in fresh and "pkey" not in fresh, fresh
            assert "Seq Scan" not in due and "_zone_next_at_seq_idx" in due, due
        s = postgres.PostgresStore(url, load_script(ws.script_path), "test", Clock(EVENING))
        assert s.next_voter(ANA.email).voter_id == "V15000"
        s.close()
    finally:
        pg.drop_database(name)


def test_loading_a_workspace_twice_changes_nothing(campaign):
    from phonebank.store import postgres

    ws, _, conn = campaign
    before = conn.execute("SELECT (SELECT count(*) FROM phonebank.voters), (SELECT count(*) FROM phonebank.dnc), "
                          "(SELECT count(*) FROM phonebank.volunteers), (SELECT generation FROM phonebank.lists "
                          "WHERE name = 'test')").fetchone()
    again = postgres.push_workspace(conn, ws)
    assert again.script == "unchanged" and again.volunteers == 0 and again.dnc_entries == 0
    assert again.results == 0 and again.lists == {"test": "unchanged"}
    after = conn.execute("SELECT (SELECT count(*) FROM phonebank.voters), (SELECT count(*) FROM phonebank.dnc), "
                         "(SELECT count(*) FROM phonebank.volunteers), (SELECT generation FROM phonebank.lists "
                         "WHERE name = 'test')").fetchone()
    assert after == before


def test_a_workspace_with_saved_calls_loads_their_outcomes(tmp_path, clock):
    """Calls made on files, then the campaign moves to the database: finished voters stay finished, a
    refusal's number stays on the do-not-call list, a resent push adds nothing."""
    import pg

    from phonebank.store import postgres
    from phonebank.store.files import FileStore

    ws = make_workspace(tmp_path / "ws")
    write_list(ws, "second", [voter("W9", "Same", "Phone", "+12135550103")])
    files = FileStore(ws, load_script(ws.script_path), "test", clock)
    for code in ("supporter", "refused", "not_home"):
        offer = files.next_voter(ANA.email)
        files.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test",
                             voter_id=offer.voter_id, phone=offer.phones[0], code=code), offer.hold)
        files.release(offer.hold)
    files.close()
    name, url = pg.campaign_database()
    try:
        with postgres.connect(url) as conn:
            first = postgres.push_workspace(conn, ws)
            assert first.results == 3 and first.dnc_entries == 1
            assert postgres.push_workspace(conn, ws).results == 0
        s = postgres.PostgresStore(url, load_script(ws.script_path), "test", clock)
        assert s.next_voter(BO.email).voter_id == "V4"  # V1 finished, V2 refused, V3 waits 24 h
        assert s.last_saved(ANA.email).code == "not_home"
        other = postgres.PostgresStore(url, load_script(ws.script_path), "second", clock)
        assert other.next_voter(BO.email) is None  # the refused number, in every list
        clock.advance(hours=24)
        assert s.next_voter(BO.email, exclude={"V4"}).voter_id == "V3"
        s.close()
        other.close()
    finally:
        pg.drop_database(name)


def test_a_reload_that_changes_a_called_voters_numbers_recomputes_them(campaign, clock):
    from phonebank.store import postgres

    ws, _, conn = campaign
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email)
    s.save(row(s, offer, "wrong_number", clock), offer.hold)
    second = s.offer("V1", offer.hold)
    s.save(row(s, second, "disconnected", clock), offer.hold)
    s.release(offer.hold)
    assert conn.execute("SELECT finished FROM phonebank.voters WHERE voter_id = 'V1'").fetchone()[0]
    write_list(ws, "test", [voter("V1", "María", "García", "+12135550101", "+13235550102", "+16265550100")])
    os.utime(ws.list_path("test"), ns=(1, 1))
    postgres.push_workspace(conn, ws, lists=["test"])  # a new number for V1
    again = s.next_voter(BO.email)
    assert again.voter_id == "V1" and again.phones == ["+16265550100"]


def test_calls_for_a_voter_no_longer_in_the_list_are_kept(campaign, clock):
    from phonebank.store import postgres

    ws, _, conn = campaign
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email)
    write_list(ws, "test", [voter("V2", "José", "Hernández", "+12135550103")])
    os.utime(ws.list_path("test"), ns=(1, 1))
    postgres.push_workspace(conn, ws, lists=["test"])
    saved = s.save(row(s, offer, "supporter", clock), offer.hold)
    assert saved.hold_lost  # V1 left the list while ANA was on the phone: saved all the same
    assert conn.execute("SELECT count(*) FROM phonebank.results WHERE voter_id = 'V1'").fetchone()[0] == 1


def test_list_fields_round_trip_exactly(tmp_path, clock):
    """Whatever a list cell holds — quotes, backslashes, braces, commas, tabs, line breaks, accents —
    the screen shows it as the file has it (COPY text format and array literals escaped)."""
    import pg

    from phonebank.store import postgres

    odd = 'O\'Brien "Bo" \\ {x,y} a\tb\nc NULL é'
    v = voter("V1", odd, "NULL", "+12135550101")
    v["city"] = "\\N"
    ws = make_workspace(tmp_path / "ws", voters=[v])
    name, url = pg.campaign_database()
    try:
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, ws)
        s = postgres.PostgresStore(url, load_script(ws.script_path), "test", clock)
        offer = s.next_voter(ANA.email)
        assert offer.voter["first_name"] == odd and offer.voter["last_name"] == "NULL"
        assert offer.voter["city"] == "\\N"
        v["last_name"] = odd + " again"  # a re-load takes the other path (row by row)
        write_list(ws, "test", [v])
        os.utime(ws.list_path("test"), ns=(1, 1))
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, ws)
        assert s.offer("V1", offer.hold).voter["last_name"] == odd + " again"
        s.close()
    finally:
        pg.drop_database(name)


@pytest.mark.parametrize("moving_on", [False, True], ids=["claim after save", "claim with the save"])
@pytest.mark.parametrize("moment", ["all zones open", "some zones open"])
def test_concurrent_callers_never_share_a_voter_and_never_see_a_false_end(tmp_path, moment, moving_on):
    """Six callers on six connections drain 240 voters at once: every voter called exactly once, and no
    caller is told the list is done while voters it could call remain (SKIP LOCKED with per-zone probes,
    each session going on from its own place when the first voter is being taken) — whether the next
    voter is claimed on its own or in the save's round trip (save_and_claim)."""
    import threading

    import pg

    from phonebank.store import postgres

    zips = [("90012", "213"), ("10001", "212"), ("60601", "312"), ("96813", "808")]
    voters = [voter(f"V{i}", "A", str(i), f"+1{zips[i % 4][1]}555{i:04d}", zip_code=zips[i % 4][0])
              for i in range(240)]
    ws = make_workspace(tmp_path / "ws", voters=voters)
    # 14:00 in LA: every zone open; 06:30 in LA: only New York
    now = la(2017, 3, 20, 14, 0) if moment == "all zones open" else la(2017, 3, 20, 6, 30)
    expected = {v["voter_id"] for v in voters if moment == "all zones open" or v["zip"] == "10001"}
    name, url = pg.campaign_database()
    called: list[str] = []
    errors: list[BaseException] = []
    script = load_script(ws.script_path)
    try:
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, ws)

        def caller(n: int) -> None:
            try:
                s = postgres.PostgresStore(url, script, "test", lambda: now)
                email = f"caller{n}@example.org"
                while (offer := s.next_voter(email)) is not None:
                    s.save(ResultRow(recorded_at=now.isoformat(), volunteer=email, list="test",
                                     voter_id=offer.voter_id, phone=offer.phones[0], code="supporter"), offer.hold,
                           done=moving_on)
                    s.release(offer.hold)
                    called.append(offer.voter_id)
                s.close()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        assert sorted(called) == sorted(expected)  # each once, none left behind
    finally:
        pg.drop_database(name)


def test_resends_racing_on_two_connections_save_once(campaign, clock):
    """The session resends a save after a timeout while the first attempt is still in flight."""
    import threading

    a, b = store(campaign, clock), store(campaign, clock)
    offer = a.next_voter(ANA.email)
    b.offer(offer.voter_id, offer.hold)  # b knows the voter's history too
    r = row(a, offer, "supporter", clock)
    conn = campaign[2]
    conn.execute("BEGIN")
    conn.execute("SELECT 1 FROM phonebank.voters WHERE voter_id = 'V1' FOR UPDATE")  # hold both saves at the lock
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.save(r, offer.hold))) for s in (a, b)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    conn.execute("COMMIT")
    for t in threads:
        t.join(30)
    assert len(results) == 2 and not any(x.hold_lost for x in results)
    assert conn.execute("SELECT count(*) FROM phonebank.results").fetchone()[0] == 1
    assert conn.execute("SELECT attempts, version FROM phonebank.voters WHERE voter_id = 'V1'").fetchone() == (1, 1)


def test_open_store_reads_the_script_from_the_database(campaign, clock):
    from phonebank.errors import DataError
    from phonebank.store import postgres

    ws, url, conn = campaign
    s = postgres.open_store(url, None, "test", clock)
    assert s.script.campaign.name == load_script(ws.script_path).campaign.name
    assert s.next_voter(ANA.email).voter_id == "V1"
    s.close()
    conn.execute("DELETE FROM phonebank.campaign")
    with pytest.raises(DataError, match="no campaign yet"):
        postgres.open_store(url, None, "test", clock)


def test_claims_commit_without_waiting_for_the_disk_and_saves_wait(campaign, clock):
    """A claim, a heartbeat and a release only move a lease: their transactions commit with
    synchronous_commit off (migration 0005); a save's transaction keeps the server's setting (on)."""
    _, _, conn = campaign
    conn.execute("SET synchronous_commit = on")  # the throwaway test server runs with it off
    calls = {
        "claim_next": ("SELECT phonebank.claim_next('test', %s, 'en', '{}'::text[], NULL::int[], %s::timestamptz, "
                       "NULL, NULL)", (ANA.email, clock().isoformat())),
        "heartbeat": ("SELECT phonebank.heartbeat('test', 'V1', 'no-such-token', NULL)", ()),
        "release": ("SELECT phonebank.release('test', 'V1', 'no-such-token')::text", ()),
    }
    for name, (query, params) in calls.items():
        with conn.transaction():
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
            conn.execute(query, params)
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off", name
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on", f"{name} leaked past its transaction"
    s = store(campaign, clock)
    s.conn.execute("SET synchronous_commit = on")
    offer = s.next_voter(BO.email)
    assert s.save(row(s, offer, "not_home", clock, volunteer=BO), offer.hold).hold_lost is False
    assert s.conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"


def test_a_remote_connection_notices_a_dead_network_within_a_minute():
    """TCP connections get keepalives and tcp_user_timeout (a save waiting on a dropped Wi-Fi fails in
    60 s instead of the kernel's ~15 minutes), each an option libpq knows; a unix socket gets neither;
    what the URL sets itself wins."""
    from psycopg import pq

    from phonebank.store.pg_conn import conninfo

    remote = {o.keyword.decode(): (o.val or b"").decode() for o in pq.Conninfo.parse(
        conninfo("postgresql://db.example.org/campaign?keepalives_idle=5").encode())}
    assert remote["tcp_user_timeout"] == "60000" and remote["keepalives"] == "1"
    assert remote["keepalives_idle"] == "5" and remote["connect_timeout"] == "10"
    local = {o.keyword.decode(): (o.val or b"").decode() for o in pq.Conninfo.parse(
        conninfo("postgresql:///campaign?host=/tmp/sock").encode())}
    assert local["tcp_user_timeout"] == "" and local["keepalives"] == "" and local["connect_timeout"] == "10"


@pytest.mark.parametrize("done", [False, True], ids=["save_call", "save_and_claim"])
def test_every_field_of_a_saved_call_arrives_exactly(campaign, clock, done):
    """A call is sent as one text[] literal: quotes, backslashes, braces, commas, the word NULL, empty
    fields, line breaks and accents arrive as typed (a NUL, which text cannot hold, as a space)."""
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email, exclude={"V9"})
    note = 'He said "call me" \\ {not, now} NULL\nsecond line, é ñ 中 \x00end'
    saved = s.save(row(s, offer, "supporter", clock, note=note, answers={"q1": 'a,"b"'}), offer.hold, done=done)
    got = campaign[2].execute("SELECT note, answers, volunteer, callback_at, undoes FROM phonebank.results "
                              "WHERE row_id = %s", (saved.row.row_id,)).fetchone()
    written = saved.row.to_fields()[8].replace("\x00", " ")  # the note as a results file holds it: one line
    assert got == (written, 'q1=a,"b"', ANA.email, "", "")
    assert written.startswith('He said "call me" \\ {not, now} NULL') and written.endswith("é ñ 中 end")
    s.release(offer.hold)
    assert s.next_voter(ANA.email, exclude={"V2", 'odd"id\\'}).voter_id == "V3"  # excluded ids too
    s.close()
