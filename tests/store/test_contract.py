"""The storage port's contract: every queue promise, stated once, run against every store.

List order, never two holders, heartbeat and expiry, a save after a lost hold, finished never again,
retries and call-backs, do-not-call in every list and its undo, calling hours at the close,
language routing, re-import while calling, undo in save order.
"""

from __future__ import annotations

import os

import pytest

from phonebank.results import UNDO, ResultRow

from callkit import ANA, BO, la, voter, write_list

EVENING = la(2017, 3, 20, 18, 0)


def call(store, offer, code, clock, volunteer=ANA, phone=None, release=True, done=False, **kw):
    """Save one call on ``offer``, then give the voter back. ``done``: say with the save that the volunteer
    moves on, as the calling session does — the hold ends with it (the release afterwards changes nothing)
    and a store may claim the volunteer's next voter in the same step, so a test that interleaves other
    volunteers' claims between the save and the next one keeps it False."""
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=store.list_name,
                    voter_id=offer.voter_id, phone=phone or offer.phones[0], code=code, **kw)
    saved = store.save(row, offer.hold, done=done)
    if release:
        store.release(offer.hold)
    return saved


def undo(store, target, clock, volunteer=ANA):
    return store.save(ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=store.list_name,
                                voter_id=target.voter_id, phone=target.phone, code=UNDO, undoes=target.row_id))


def drain(store, email, clock=None):
    """Every voter ``email`` can be offered now (each is held until the end)."""
    seen = []
    while (offer := store.next_voter(email, exclude=set(seen))) is not None:
        seen.append(offer.voter_id)
    return seen


# -- order and holders ----------------------------------------------------------------------------------

def test_voters_come_in_list_order_and_are_never_held_by_two(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    first, second = a.next_voter(ANA.email), b.next_voter(BO.email)
    assert (first.voter_id, second.voter_id) == ("V1", "V2")
    assert first.hold.volunteer == ANA.email and first.hold.token != second.hold.token
    assert a.next_voter(ANA.email, exclude={"V1"}).voter_id == "V3"
    assert b.next_voter(BO.email, exclude={"V2"}).voter_id == "V4"
    assert a.next_voter(ANA.email, exclude={"V1", "V3"}) is None  # V2 and V4 are held


def test_a_hold_expires_after_claim_minutes_without_activity(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    assert a.next_voter(ANA.email).voter_id == "V1"  # then ANA's terminal dies
    clock.advance(minutes=29)
    assert b.next_voter(BO.email, exclude={"V2", "V3", "V4"}) is None
    clock.advance(minutes=2)  # claim_minutes is 30 in the sample script
    assert b.next_voter(BO.email, exclude={"V2", "V3", "V4"}).voter_id == "V1"


def test_a_lapsed_hold_on_a_voter_never_called_keeps_its_place_in_list_order(ws, clock, make_store):
    """The file store hands out never-called voters from a cursor that has moved past a held one: when that
    hold lapses, the voter comes back before the voters after it in the list, as on the database."""
    a, b, c = make_store(ws, clock), make_store(ws, clock), make_store(ws, clock)
    assert a.next_voter(ANA.email).voter_id == "V1"  # then ANA's terminal dies
    assert b.next_voter(BO.email).voter_id == "V2"
    clock.advance(minutes=20)
    assert b.heartbeat(b.next_voter(BO.email).hold)  # BO still on V2
    assert c.next_voter("cy@example.org", exclude={"V3"}).voter_id == "V4"  # V1 still held: past it
    clock.advance(minutes=11)  # 31 minutes: ANA's hold on V1 lapses, BO's heartbeat keeps V2
    assert make_store(ws, clock).next_voter("di@example.org").voter_id == "V1"  # before V3


def test_a_heartbeat_keeps_the_voter_for_as_long_as_the_volunteer_is_active(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    offer = a.next_voter(ANA.email)
    for _ in range(6):  # an hour and a half on one voter, a keystroke every 15 minutes
        clock.advance(minutes=15)
        assert a.heartbeat(offer.hold)
        assert b.next_voter(BO.email, exclude={"V2", "V3", "V4"}) is None
    clock.advance(minutes=31)  # then silence
    taken = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    assert taken.voter_id == "V1"
    assert not a.heartbeat(offer.hold)  # ANA learns at her next keystroke


def test_a_heartbeat_after_expiry_with_nobody_else_keeps_the_voter(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    offer = a.next_voter(ANA.email)
    clock.advance(minutes=40)
    assert a.heartbeat(offer.hold)  # nobody took V1 meanwhile
    assert b.next_voter(BO.email, exclude={"V2", "V3", "V4"}) is None


def test_a_retried_release_and_a_stale_release_change_nothing(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    mine = a.next_voter(ANA.email)
    clock.advance(minutes=31)
    theirs = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    assert theirs.voter_id == mine.voter_id
    a.release(mine.hold)  # ANA's late release must not free BO's voter
    assert a.next_voter(ANA.email, exclude={"V2", "V3", "V4"}) is None
    b.release(theirs.hold)
    b.release(theirs.hold)
    assert a.next_voter(ANA.email, exclude={"V2", "V3", "V4"}).voter_id == "V1"


def test_a_save_that_moves_on_ends_the_hold_with_it(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    first = a.next_voter(ANA.email)
    kept = a.next_voter(ANA.email, exclude={"V1"})  # a second hold of the same organizer connection
    clock.advance(minutes=5)
    call(a, first, "not_home", clock, release=False)
    assert a.heartbeat(first.hold)  # a save that stays on the voter keeps the hold
    assert not call(a, kept, "not_home", clock, release=False, done=True).hold_lost
    assert not a.heartbeat(kept.hold)  # gone with the save
    a.release(kept.hold)  # the session's release afterwards changes nothing
    a.release(first.hold)
    clock.advance(hours=24)  # both retries due, the next evening
    assert sorted(drain(b, BO.email)) == ["V1", "V2", "V3", "V4"]


# -- saving after a lost hold ----------------------------------------------------------------------------

def test_a_call_saved_after_the_hold_was_lost_is_kept_and_marked(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    slow = a.next_voter(ANA.email)  # ANA reads the script for 40 minutes without a keystroke
    clock.advance(minutes=40)
    fast = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    assert fast.voter_id == "V1"
    first = call(b, fast, "supporter", clock, volunteer=BO)
    assert not first.hold_lost and not first.overlaps
    clock.advance(minutes=1)
    late = call(a, slow, "undecided", clock)
    assert late.hold_lost and late.overlaps == first.row.row_id
    assert late.row.overlaps == first.row.row_id
    rows = {r.row_id: r for r in make_store.rows(ws)}
    assert rows[late.row.row_id].overlaps == first.row.row_id and rows[first.row.row_id].overlaps == ""


def test_the_second_call_is_marked_even_when_the_new_holder_saves_last(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    slow = a.next_voter(ANA.email)
    clock.advance(minutes=31)
    fast = b.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    early = call(a, slow, "not_home", clock)  # ANA saves first, her hold already taken by BO
    assert early.hold_lost and not early.overlaps
    later = call(b, fast, "supporter", clock, volunteer=BO)
    assert not later.hold_lost and later.overlaps == early.row.row_id


def test_a_lapsed_hold_nobody_took_saves_as_usual(ws, clock, make_store):
    a = make_store(ws, clock)
    offer = a.next_voter(ANA.email)
    clock.advance(minutes=45)
    saved = call(a, offer, "supporter", clock)
    assert not saved.hold_lost and not saved.overlaps


# -- outcomes --------------------------------------------------------------------------------------------

def test_a_finished_voter_is_never_offered_again(ws, clock, make_store):
    s = make_store(ws, clock)
    call(s, s.next_voter(ANA.email), "supporter", clock, done=True, answers={"bernie_2016": "yes"})
    clock.advance(days=30)
    assert sorted(drain(s, ANA.email)) == ["V2", "V3", "V4"]


def test_a_retry_comes_back_after_its_delay_and_stops_at_max_attempts(ws, clock, make_store):
    s = make_store(ws, clock)
    others = {"V2", "V3", "V4"}
    for attempt in range(3):  # not_home: after 24 h, up to 3 attempts
        offer = s.next_voter(ANA.email, exclude=others)
        assert offer is not None and offer.voter_id == "V1", f"attempt {attempt + 1}"
        call(s, offer, "not_home", clock, done=True)
        clock.advance(hours=23, minutes=59)
        assert s.next_voter(ANA.email, exclude=others) is None
        clock.advance(minutes=1)
    assert s.next_voter(ANA.email, exclude=others) is None


def test_a_call_back_comes_back_at_its_time_before_new_voters(ws, clock, make_store):
    s = make_store(ws, clock)
    call(s, s.next_voter(ANA.email), "call_back", clock, callback_at=la(2017, 3, 20, 19, 30).isoformat())
    offer = s.next_voter(ANA.email)
    assert offer.voter_id == "V2"
    s.release(offer.hold)
    clock.now = la(2017, 3, 20, 19, 30)
    assert s.next_voter(ANA.email).voter_id == "V1"


def test_a_wrong_number_moves_to_the_next_number_then_finishes(ws, clock, make_store):
    s = make_store(ws, clock)
    offer = s.next_voter(ANA.email)
    assert offer.phones == ["+12135550101", "+13235550102"]
    call(s, offer, "wrong_number", clock, release=False)
    assert s.offer("V1").phones == ["+13235550102"]
    s.release(offer.hold)
    again = s.next_voter(BO.email, exclude={"V2", "V3", "V4"})
    assert again.voter_id == "V1" and again.phones == ["+13235550102"]
    call(s, again, "disconnected", clock, volunteer=BO)
    assert s.next_voter(BO.email, exclude={"V2", "V3", "V4"}) is None


def test_language_barrier_goes_to_a_caller_of_that_language(ws, clock, make_store):
    s = make_store(ws, clock)
    call(s, s.next_voter(ANA.email), "language_spanish", clock)
    offer = s.next_voter(ANA.email, language="en")
    assert offer.voter_id == "V2"
    s.release(offer.hold)
    assert s.next_voter(BO.email, language="es").voter_id == "V1"


# -- do-not-call -----------------------------------------------------------------------------------------

def test_do_not_call_is_honoured_in_every_list(ws, clock, make_store):
    write_list(ws, "second", [voter("W9", "Same", "Phone", "+12135550103")])
    s = make_store(ws, clock)
    offer = s.next_voter(ANA.email, exclude={"V1"})
    assert offer.voter_id == "V2"
    call(s, offer, "refused", clock)
    assert "+12135550103" in make_store.dnc(ws)
    other = make_store(ws, clock, "second")
    assert other.next_voter(BO.email) is None
    assert other.counts().finished == 1


def test_undoing_a_refusal_takes_the_number_off_do_not_call_everywhere(ws, clock, make_store):
    write_list(ws, "second", [voter("W9", "Same", "Phone", "+12135550103")])
    s = make_store(ws, clock)
    refused = call(s, s.next_voter(ANA.email, exclude={"V1"}), "refused", clock)
    other = make_store(ws, clock, "second")
    assert other.next_voter(BO.email) is None
    saved = undo(s, refused.row, clock)
    assert saved.dnc_taken_back
    assert "+12135550103" not in make_store.dnc(ws)
    assert s.next_voter(BO.email, exclude={"V1"}).voter_id == "V2"
    assert other.next_voter(BO.email).voter_id == "W9"


def test_undo_keeps_a_number_that_is_on_do_not_call_for_another_reason(ws, clock, make_store):
    from phonebank.dnc import append_dnc

    append_dnc(ws.dnc_path, [("+12135550103", "2017-03-01T10:00:00-08:00", "import", "county opt-out")])
    s = make_store(ws, clock)
    write_list(ws, "test", [voter("V2", "José", "Hernández", "+12135550103", "+12135550199")])
    os.utime(ws.list_path("test"), ns=(1, 1))
    make_store.reimport(ws)
    offer = s.next_voter(ANA.email)
    assert offer.phones == ["+12135550199"]
    refused = call(s, offer, "refused", clock)
    undo(s, refused.row, clock)
    assert "+12135550103" in make_store.dnc(ws)
    assert "+12135550199" not in make_store.dnc(ws)


# -- undo ------------------------------------------------------------------------------------------------

def test_undo_takes_back_the_last_call_in_save_order(ws, clock, make_store):
    s = make_store(ws, clock)
    saved = [call(s, s.next_voter(ANA.email), code, clock) for code in ("moved", "supporter", "deceased")]
    # all three in the same second: the time stamps cannot tell them apart, the save order does
    assert s.last_saved(ANA.email).row_id == saved[2].row.row_id
    undo(s, saved[2].row, clock)
    assert s.last_saved(ANA.email).row_id == saved[1].row.row_id
    undo(s, saved[1].row, clock)
    assert s.last_saved(ANA.email).row_id == saved[0].row.row_id
    assert sorted(drain(s, BO.email)) == ["V2", "V3", "V4"]


def test_undo_follows_save_order_even_when_the_clock_went_back(ws, clock, make_store):
    s = make_store(ws, clock)
    first = call(s, s.next_voter(ANA.email), "moved", clock)
    clock.now = EVENING.replace(hour=17)  # a rehearsal clock restarted at an earlier time
    second = call(s, s.next_voter(ANA.email), "supporter", clock)
    assert s.last_saved(ANA.email).row_id == second.row.row_id != first.row.row_id


def test_undo_puts_the_voter_back_and_names_them(ws, clock, make_store):
    s = make_store(ws, clock)
    moved = call(s, s.next_voter(ANA.email), "moved", clock)
    assert s.voter_name("V1") == "María García"
    undo(s, moved.row, clock)
    assert s.last_saved(ANA.email) is None
    assert s.next_voter(BO.email).voter_id == "V1"


# -- calling hours ---------------------------------------------------------------------------------------

def test_calling_hours_in_every_zone_the_voter_may_be_in(ws, clock, make_store):
    write_list(ws, "hours", [voter("H1", "Ana", "LA", "+12135550111", zip_code="90012"),
                             voter("H2", "Ben", "NY", "+12125550112", zip_code="90012")])
    clock.now = la(2017, 3, 20, 8, 30)
    s = make_store(ws, clock, "hours")
    assert s.next_voter(ANA.email) is None
    counts = s.counts()
    assert counts.held_by_hours == 2 and counts.reopens_at == la(2017, 3, 20, 9, 0)
    clock.now = la(2017, 3, 20, 9, 0)
    assert s.next_voter(ANA.email).voter_id == "H1"
    # a 212 number with a Los Angeles zip: 21:00 in New York is 18:00 in LA, and no new voter is handed
    # out in the last 10 minutes (calling.hours.last_call_minutes)
    clock.now = la(2017, 3, 20, 17, 50)
    assert s.next_voter(ANA.email, exclude={"H1"}) is None
    clock.now = la(2017, 3, 20, 17, 49)
    assert s.next_voter(ANA.email, exclude={"H1"}).voter_id == "H2"


def test_no_new_voter_in_the_last_minutes_before_the_window_closes(ws, clock, make_store):
    s = make_store(ws, clock)
    clock.now = la(2017, 3, 20, 20, 49)
    offer = s.next_voter(ANA.email)
    assert offer.voter_id == "V1"
    clock.advance(minutes=1)  # 20:50: ten minutes left
    assert s.next_voter(BO.email) is None
    counts = s.counts()
    assert counts.held_by_hours == 4 and counts.reopens_at == la(2017, 3, 21, 9, 0)
    assert s.heartbeat(offer.hold)  # the voter already on screen stays held


# -- re-import while calling -----------------------------------------------------------------------------

def test_a_reimport_while_calling_keeps_holds_and_finished_voters(ws, clock, make_store):
    a, b = make_store(ws, clock), make_store(ws, clock)
    call(a, a.next_voter(ANA.email), "supporter", clock)  # V1 finished
    held = b.next_voter(BO.email)  # V2 held by BO
    write_list(ws, "test", [voter("V0", "New", "Voter", "+12135550199"), *[
        voter(f"V{i}", "Same", str(i), f"+1213555010{i}") for i in (1, 2, 3)]])
    os.utime(ws.list_path("test"), ns=(1, 1))  # a different stamp even within one clock tick
    make_store.reimport(ws)
    assert drain(a, ANA.email) == ["V0", "V3"]  # V1 finished, V2 still BO's
    assert b.heartbeat(held.hold)
    saved = call(b, held, "supporter", clock, volunteer=BO)
    assert not saved.hold_lost


def test_the_claim_checks_the_index_matches_the_list(ws, clock, make_store):
    s = make_store(ws, clock)
    assert s.next_voter(ANA.email).voter_id == "V1"
    write_list(ws, "test", [voter("N1", "New", "Person", "+12135550150")])
    os.utime(ws.list_path("test"), ns=(1, 1))
    make_store.reimport(ws)
    assert s.next_voter(ANA.email).voter_id == "N1"


def test_an_unknown_list_is_a_clear_error(ws, clock, make_store):
    from phonebank.errors import DataError, UsageProblem

    with pytest.raises(DataError, match="no list named 'nope'"):
        make_store(ws, clock, "nope")
    with pytest.raises(UsageProblem, match="invalid list name"):
        make_store(ws, clock, "../../etc/passwd")
