"""One round trip per voter on a shared campaign: a save that moves on (``done=True``) gives the voter
back and claims the volunteer's next voter in the same transaction (``phonebank.save_and_claim``), and
``next_voter`` hands that voter out only when nothing that picks a voter has changed since."""

from __future__ import annotations

from phonebank.results import ResultRow
from phonebank.script import load_script

from callkit import ANA, BO


def store(campaign, clock):
    from phonebank.store.postgres import PostgresStore

    ws, url, _ = campaign
    return PostgresStore(url, load_script(ws.script_path), "test", clock)


def counted(s) -> list[str]:
    """The calling functions ``s`` runs from now on, one entry per round trip."""
    calls: list[str] = []
    real = s._call

    def call(query, params):
        calls.append(query.split("(")[0].removeprefix("SELECT phonebank."))
        return real(query, params)

    s._call = call
    return calls


def save(s, offer, clock, code="not_home", done=True, volunteer=ANA):
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=s.list_name,
                    voter_id=offer.voter_id, phone=offer.phones[0], code=code)
    return s.save(row, offer.hold, done=done)


def holders(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT voter_id, holder FROM phonebank.voters WHERE holder IS NOT NULL").fetchall())


def test_a_volunteer_moving_on_pays_one_round_trip_per_voter(campaign, clock):
    s = store(campaign, clock)
    calls = counted(s)
    seen = []
    offer = s.next_voter(ANA.email)
    while offer is not None:  # what the calling session does: claim, save (moving on), release, claim
        seen.append(offer.voter_id)
        assert holders(campaign[2]) == {offer.voter_id: ANA.email}  # one voter at a time
        saved = save(s, offer, clock)
        assert not saved.hold_lost
        s.release(offer.hold)
        offer = s.next_voter(ANA.email)
    assert seen == ["V1", "V2", "V3", "V4"]
    assert calls == ["claim_next"] + ["save_and_claim"] * 4
    assert holders(campaign[2]) == {}
    n, attempts = campaign[2].execute("SELECT count(*), sum(attempts) FROM phonebank.voters").fetchone()
    assert (n, attempts) == (4, 4)
    assert campaign[2].execute("SELECT count(*) FROM phonebank.results").fetchone()[0] == 4


def test_a_save_that_stays_on_the_voter_claims_nothing(campaign, clock):
    s = store(campaign, clock)
    calls = counted(s)
    offer = s.next_voter(ANA.email)
    save(s, offer, clock, code="wrong_number", done=False)  # V1 has a second number: the volunteer stays
    assert calls == ["claim_next", "save_call"]
    assert holders(campaign[2]) == {"V1": ANA.email}
    assert s.heartbeat(offer.hold)


def test_a_voter_claimed_ahead_for_other_terms_is_given_back_at_once(campaign, clock):
    s, other = store(campaign, clock), store(campaign, clock)
    first = s.next_voter(ANA.email)
    save(s, first, clock)  # claims V2 ahead for ANA
    s.release(first.hold)
    assert holders(campaign[2]) == {"V2": ANA.email}
    # ANA asks with other terms (V2 excluded): V2 is given back in the same round trip as the claim of V3
    assert s.next_voter(ANA.email, exclude={"V2"}).voter_id == "V3"
    assert other.next_voter(BO.email).voter_id == "V2"
    second = s.next_voter(ANA.email, exclude={"V2"})
    save(s, second, clock)  # claims V4 ahead in English
    assert s.next_voter(ANA.email, "es", exclude={"V2"}).voter_id == "V4"  # a fresh claim in Spanish
    assert holders(campaign[2]) == {"V2": BO.email, "V4": ANA.email}


def test_a_voter_claimed_ahead_is_not_handed_out_after_the_clock_moved(campaign, clock):
    s, other = store(campaign, clock), store(campaign, clock)
    first = s.next_voter(ANA.email)
    save(s, first, clock)  # V2 claimed ahead at 18:00
    s.release(first.hold)
    clock.advance(hours=3, minutes=30)  # 21:30: calling hours are over in every zone of the list
    assert s.next_voter(ANA.email) is None
    assert holders(campaign[2]) == {}  # V2 given back, not left held for claim_minutes
    clock.advance(hours=20, minutes=30)  # 18:00 the next day
    assert other.next_voter(BO.email).voter_id == "V2"  # free: new voters come before due retries
    assert s.next_voter(ANA.email).voter_id == "V3"


def test_close_gives_back_a_voter_claimed_ahead(campaign, clock):
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email)
    save(s, offer, clock)
    s.release(offer.hold)
    assert holders(campaign[2]) == {"V2": ANA.email}
    s.close()  # the volunteer quits right after the save
    assert holders(campaign[2]) == {}


def test_a_stale_save_is_folded_again_and_still_claims_the_next_voter(campaign, clock):
    a, b = store(campaign, clock), store(campaign, clock)
    slow = a.next_voter(ANA.email)
    clock.advance(minutes=31)  # ANA's hold lapses; BO takes V1 and saves first
    fast = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    save(b, fast, clock, volunteer=BO, done=False)
    calls = counted(a)
    late = save(a, slow, clock)  # a's history of V1 is stale: refused, folded again, sent again
    assert late.hold_lost
    assert calls == ["save_and_claim", "save_and_claim"]
    assert a.next_voter(ANA.email).voter_id == "V2"
    assert calls == ["save_and_claim", "save_and_claim"]
    attempts = campaign[2].execute("SELECT attempts FROM phonebank.voters WHERE voter_id = 'V1'").fetchone()[0]
    assert attempts == 2


def test_a_reimport_between_the_save_and_the_next_claim_keeps_the_voter_claimed_ahead(campaign, clock):
    """A list re-loaded in the instant between a save and the session's next claim: the voter claimed ahead
    (as any voter already claimed) keeps its hold; the session hands it out with the header it knows, and
    its next claim learns the new list — a voter new in the list comes next, nobody is offered twice."""
    import os

    from phonebank.store import postgres

    from callkit import voter, write_list

    ws, _, conn = campaign
    s = store(campaign, clock)
    first = s.next_voter(ANA.email)
    save(s, first, clock)  # V2 claimed ahead
    s.release(first.hold)
    write_list(ws, "test", [voter("V0", "New", "Voter", "+12135550199"),
                            *[voter(f"V{i}", "Same", str(i), f"+1213555010{i}") for i in (1, 2, 3)]])
    os.utime(ws.list_path("test"), ns=(1, 1))
    postgres.push_workspace(conn, ws, lists=["test"])
    clock.advance(seconds=20)  # same minute: the claim ahead is handed out
    ahead = s.next_voter(ANA.email)
    assert ahead.voter_id == "V2" and holders(conn) == {"V2": ANA.email}
    save(s, ahead, clock)
    s.release(ahead.hold)
    nxt = s.next_voter(ANA.email)
    assert nxt.voter_id == "V0" and nxt.voter["first_name"] == "New"  # the new list, learnt at the claim
    assert holders(conn) == {"V0": ANA.email}
    seen = {first.voter_id, ahead.voter_id, nxt.voter_id}
    save(s, nxt, clock)
    s.release(nxt.hold)
    last = s.next_voter(ANA.email)
    assert last.voter_id == "V3" and last.voter_id not in seen


def test_a_resent_save_that_moves_on_still_gives_the_voter_back(campaign, clock):
    """The save already on the server (a resend after a lost answer) changes nothing, but the volunteer still
    moves on: the hold ends and the next voter is claimed in that round trip."""
    s = store(campaign, clock)
    offer = s.next_voter(ANA.email)
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list=s.list_name,
                    voter_id=offer.voter_id, phone=offer.phones[0], code="not_home")
    s.save(row, offer.hold, done=False)  # saved; the volunteer stays on V1
    assert holders(campaign[2]) == {"V1": ANA.email}
    calls = counted(s)
    s.save(row, offer.hold, done=True)  # the same row again, moving on
    assert calls == ["save_and_claim"]
    assert holders(campaign[2]) == {"V2": ANA.email}
    assert s.next_voter(ANA.email).voter_id == "V2"
    assert campaign[2].execute("SELECT count(*) FROM phonebank.results").fetchone()[0] == 1
