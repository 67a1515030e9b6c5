"""Loading lists into the database (``pg_load``: COPY BINARY built column-wise, a partition swap) and the
queue counters (0003): exact values, holds and states kept across a re-load, calls saved while a load
runs caught up at the swap, counts that match a full count and do not read the whole list."""

from __future__ import annotations

import os

import pytest

from phonebank.results import ResultRow
from phonebank.script import load_script

from callkit import ANA, BO, Clock, la, make_workspace, voter, write_list

EVENING = la(2017, 3, 20, 18, 0)

FULL_COUNT = """
    SELECT zone_key, (finished OR blocked) AS done, (attempts = 0 OR next_at <= %(now)s) AS due, count(*),
           min(next_at) FILTER (WHERE next_at > %(now)s)
    FROM phonebank.voters WHERE list_id = (SELECT id FROM phonebank.lists WHERE name = %(list)s) GROUP BY 1, 2, 3"""


def normalized(rows) -> dict:
    """(zone, done, due) -> (n, next_at) as queue_counts reports them: done voters in one group."""
    out: dict = {}
    for key, done, due, n, next_at in rows:
        group = (key, bool(done), True if done else bool(due))
        old_n, old_next = out.get(group, (0, None))
        nexts = [t for t in (old_next, None if done or due else next_at) if t is not None]
        out[group] = (old_n + n, min(nexts) if nexts else None)
    return {k: v for k, v in out.items() if v[0]}


def counts_agree(conn, name: str, now) -> None:
    full = normalized(conn.execute(FULL_COUNT, {"now": now, "list": name}).fetchall())
    fast = normalized(conn.execute("SELECT * FROM phonebank.queue_counts(%s, %s)", (name, now)).fetchall())
    assert fast == full


@pytest.fixture
def campaign(tmp_path, campaign_url):
    """(a folder, organizer URL, admin connection) of a fresh, empty campaign database."""
    from phonebank.store import postgres

    conn = postgres.connect(campaign_url)
    yield tmp_path, campaign_url, conn
    conn.close()


def test_every_cell_arrives_exactly_and_blocked_voters_are_marked(campaign):
    from phonebank.store import postgres

    tmp_path, url, conn = campaign
    odd = 'O\'Brien "Bo" \\ {x,y} a\tb\nc NULL é, \\N'
    voters = [
        voter("V1", odd, "", "+12135550101", "+13235550102"),
        voter("V2", "Nul\x00byte", "Kim", "+12135550103", zip_code="10001"),
        voter("V3", "No", "Phone", zip_code="60601"),
        voter("V1", "Repeated", "Id", "+12135550109"),  # the first row of a voter_id is kept
        voter("V4", "On", "DNC", "+12135550199", zip_code="96813"),
        voter("V5", "", "", "+18085550100", "", zip_code=""),
    ]
    ws = make_workspace(tmp_path / "ws", voters=voters)
    ws.dnc_path.write_text("phone,added_at,source,reason,row_id\n+12135550199,2017-03-01,import,,\n")
    postgres.push_workspace(conn, ws)
    header, zone_keys, count = conn.execute(
        "SELECT header, zone_keys, voters FROM phonebank.lists WHERE name = 'test'").fetchone()
    assert header == ["voter_id", "first_name", "last_name", "zip", "city", "state", "language", "age", "party",
                      "phone_1", "phone_2"]
    assert count == 5 and len(set(zone_keys)) == len(zone_keys)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT voter_id, seq, phones, data, finished, blocked, zone_key, zone, attempts, version "
        "FROM phonebank.voters ORDER BY seq")}
    assert [v for v, r in sorted(rows.items(), key=lambda x: x[1][0])] == ["V1", "V2", "V3", "V4", "V5"]
    assert rows["V1"][1:3] == (["+12135550101", "+13235550102"],
                               ["V1", odd, "", "90033", "Los Angeles", "CA", "en", "44", "D", "+12135550101",
                                "+13235550102"])
    assert rows["V2"][2][1] == "Nul byte"  # PostgreSQL text holds no NUL
    assert rows["V3"][1] == [] and rows["V3"][3:5] == (True, True)  # no number: finished
    assert rows["V4"][3:5] == (False, True)  # every number on the do-not-call list: blocked
    assert rows["V5"][1] == ["+18085550100"] and rows["V5"][3:5] == (False, False)
    for vid, (_, _, _, _, _, key, zone, attempts, version) in rows.items():
        assert zone_keys[zone - 1] == key and (attempts, version) == (0, 0), vid
    counts_agree(conn, "test", EVENING)
    s = postgres.PostgresStore(url, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 14, 0)))
    offer = s.next_voter(ANA.email)
    assert offer.voter_id == "V1" and offer.voter["first_name"] == odd and offer.voter["phone_2"] == "+13235550102"
    s.close()


def test_a_reload_keeps_holds_and_states_and_catches_up_calls_made_while_it_ran(campaign):
    from phonebank.store import pg_load, postgres

    tmp_path, url, conn = campaign
    ws = make_workspace(tmp_path / "ws")
    postgres.push_workspace(conn, ws)
    script = load_script(ws.script_path)
    clock = Clock(EVENING)
    ana = postgres.PostgresStore(url, script, "test", clock)
    bo = postgres.PostgresStore(url, script, "test", clock)
    held = ana.next_voter(ANA.email)  # V1, held through the re-load
    called = bo.next_voter(BO.email)  # V2: not home before the re-load
    bo.save(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id=called.voter_id,
                      phone=called.phones[0], code="not_home"), called.hold)
    bo.release(called.hold)
    assert (held.voter_id, called.voter_id) == ("V1", "V2")
    write_list(ws, "test", [
        voter("V1", "María", "García", "+12135550101", "+13235550102"),
        voter("V2", "José", "Hernández", "+12135550103", language="es"),
        voter("V4", "Arman", "Petrosyan", "+18185550105", zip_code="90041"),
        voter("V5", "New", "Voter", "+12135550106"),
    ])  # V3 leaves the list, V5 comes in
    os.utime(ws.list_path("test"), ns=(1, 1))
    with postgres.connect(url) as other, pg_load.ListLoad(other, "test", script) as load:
        load.copy(pg_load.read_list(ws.list_path("test")))
        late = bo.next_voter(BO.email, exclude={"V3"})  # calls go on while the load runs
        assert late.voter_id == "V4"
        bo.save(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id="V4",
                          phone=late.phones[0], code="supporter"), late.hold)
        bo.release(late.hold)
        what = load.finish("new")
    assert what.startswith("4 voter(s) loaded")
    state = {r[0]: r[1:] for r in conn.execute(
        "SELECT voter_id, attempts, finished, holder, token FROM phonebank.voters ORDER BY seq")}
    assert set(state) == {"V1", "V2", "V4", "V5"}
    assert state["V1"][2:] == (ANA.email, held.hold.token)  # the hold survives the swap
    assert state["V2"][:2] == (1, False)  # the state survives
    assert state["V4"][:2] == (1, True)  # saved during the load: caught up at the swap
    assert state["V5"][:3] == (0, False, None)
    saved = ana.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id="V1",
                               phone=held.phones[0], code="undecided"), held.hold)
    assert not saved.hold_lost
    counts_agree(conn, "test", clock())
    assert bo.next_voter(BO.email).voter_id == "V5"  # the re-loaded list, as generation tells the session
    ana.close()
    bo.close()


def test_counts_follow_every_save_and_fold_their_changes(campaign):
    from phonebank.store import postgres

    tmp_path, url, conn = campaign
    ws = make_workspace(tmp_path / "ws", voters=[voter(f"V{i}", "A", str(i), f"+1213555{i:04d}") for i in range(40)])
    postgres.push_workspace(conn, ws)
    clock = Clock(EVENING)
    s = postgres.PostgresStore(url, load_script(ws.script_path), "test", clock)
    for i, code in enumerate(["not_home", "supporter", "refused", "wrong_number", "not_home", "moved"] * 3):
        offer = s.next_voter(ANA.email)
        s.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test",
                         voter_id=offer.voter_id, phone=offer.phones[0], code=code), offer.hold)
        s.release(offer.hold)
        if i % 5 == 0:
            counts_agree(conn, "test", clock())
    counts_agree(conn, "test", clock())
    clock.advance(hours=30)  # retries due again
    counts_agree(conn, "test", clock())
    c = s.counts()
    assert c.total == 40 and c.finished + c.waiting + c.callable_now + c.held_by_hours == 40
    list_id = conn.execute("SELECT id FROM phonebank.lists WHERE name = 'test'").fetchone()[0]
    conn.execute("INSERT INTO phonebank.voter_counts_delta (list_id, zone_key, done, fresh, pending) "
                 "SELECT %s, 'America/Los_Angeles', 1 - 2 * (i %% 2), 0, 0 FROM generate_series(1, 2002) i",
                 (list_id,))  # changes that cancel out, enough to be folded into the counters
    counts_agree(conn, "test", clock())
    assert conn.execute("SELECT count(*) FROM phonebank.voter_counts_delta").fetchone()[0] == 0
    counts_agree(conn, "test", clock())
    s.close()


def test_counts_read_the_waiting_voters_through_an_index_not_the_list(campaign):
    """The counters answer for the whole list; the only rows read are voters waiting for a retry."""
    from phonebank.store import postgres

    tmp_path, url, conn = campaign
    ws = make_workspace(tmp_path / "ws", voters=[voter(f"V{i}", "A", str(i), f"+1213{i:07d}") for i in range(20000)])
    postgres.push_workspace(conn, ws)
    conn.execute("UPDATE phonebank.voters SET attempts = 1, next_at = now() + interval '1 day' WHERE seq <= 50")
    conn.execute("ANALYZE phonebank.voters")
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute("PREPARE waiting(int, timestamptz) AS SELECT v.zone_key, count(*), min(v.next_at) "
                 "FROM phonebank.voters v WHERE v.list_id = $1 AND v.attempts > 0 AND NOT v.finished "
                 "AND NOT v.blocked AND v.next_at > $2 GROUP BY v.zone_key")
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE waiting(1, now())"))
    assert "Seq Scan" not in plan and "next_at" in plan and "Index" in plan, plan
    counts_agree(conn, "test", EVENING)


def test_zone_keys_that_keep_the_same_hours_share_a_class(campaign):
    """New York and Toronto (and a New York address with a Toronto cell) open and close together: one
    class; Los Angeles another. At 09:30 Eastern the claim probes the open class, old clients' claim with
    zone keys too."""
    from phonebank.store import postgres

    tmp_path, url, conn = campaign
    voters = [voter("LA1", "A", "1", "+12135550101", zip_code="90012"),
              voter("NY1", "B", "2", "+12125550102", zip_code="10001"),
              voter("DT1", "C", "3", "+14165550103", zip_code="", state=""),
              voter("NY2", "D", "4", "+12125550104", "+14165550105", zip_code="10001")]
    ws = make_workspace(tmp_path / "ws", voters=voters)
    postgres.push_workspace(conn, ws)
    keys, classes, sizes, n = conn.execute(
        "SELECT zone_keys, zone_classes, class_sizes, n_classes FROM phonebank.lists WHERE name = 'test'").fetchone()
    of = dict(zip(keys, classes, strict=True))
    assert of["America/Toronto"] == of["America/New_York"] == of["America/New_York|America/Toronto"]
    assert of["America/Los_Angeles"] != of["America/New_York"] and n == 2 and sorted(sizes) == [1, 3]
    zone = dict(conn.execute("SELECT voter_id, zone FROM phonebank.voters").fetchall())
    assert zone["NY1"] == zone["DT1"] == zone["NY2"] == of["America/New_York"]
    morning = Clock(la(2017, 3, 20, 6, 30))  # 09:30 in New York and Toronto, 06:30 in Los Angeles
    s = postgres.PostgresStore(url, load_script(ws.script_path), "test", morning)
    assert sorted(s.open_zone_keys(morning())) == sorted(k for k in keys if k != "America/Los_Angeles")
    got = []
    while (offer := s.next_voter(ANA.email, exclude=set(got))) is not None:
        got.append(offer.voter_id)
    assert got == ["NY1", "DT1", "NY2"]
    old = conn.execute("SELECT phonebank.claim('test', %s, 'en', '{}', %s, %s)",
                       (BO.email, [k for k in keys if k != "America/Los_Angeles"], morning())).fetchone()[0]
    assert old["voter"] is None  # all three held by ANA; LA closed
    old = conn.execute("SELECT phonebank.claim('test', %s, 'en', '{}', %s, %s)",
                       (BO.email, ["America/Los_Angeles"], morning())).fetchone()[0]
    assert old["voter"]["voter_id"] == "LA1"  # a client that sends zone keys
    s.close()


def test_a_list_of_many_slices_goes_in_two_streams_with_every_voter_once_in_list_order(campaign, monkeypatch):
    from phonebank.store import pg_copy, pg_load

    tmp_path, url, conn = campaign
    voters = [voter(f"W{i:03d}", "Many", str(i), f"+1{area}5550{i:03d}", zip_code=zip_code)
              for i, (area, zip_code) in enumerate([("213", "90012"), ("212", "10001"), ("808", "96813")] * 9)]
    ws = make_workspace(tmp_path / "ws")
    write_list(ws, "many", voters)
    monkeypatch.setattr(pg_copy, "SLICE", 4)  # 27 voters: 7 slices
    opened = []
    real = pg_load._second_connection
    monkeypatch.setattr(pg_load, "_second_connection", lambda c: opened.append(1) or real(c))
    script = load_script(ws.script_path)
    with pg_load.ListLoad(conn, "many", script) as load:
        prepared = load.copy(pg_load.read_list(ws.list_path("many")))
        assert len(opened) == 1  # the second stream's connection
        load.finish("sha")
    rows = conn.execute("SELECT voter_id, seq, zone_key FROM phonebank.voters WHERE list_id = "
                        "(SELECT id FROM phonebank.lists WHERE name = 'many') ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [v["voter_id"] for v in voters]
    assert [r[1] for r in rows] == list(range(1, 28))
    keys = list(dict.fromkeys(r[2] for r in rows))  # in order of first appearance, as one stream makes them
    assert prepared.zone_keys == keys and len(keys) == 3
    zone_keys = conn.execute("SELECT zone_keys FROM phonebank.lists WHERE name = 'many'").fetchone()[0]
    assert zone_keys == keys
