"""The call queue: who gets whom, retries, call-backs, do-not-call, calling hours, the derived index."""

from __future__ import annotations

import shutil

import pytest

from phonebank.dnc import read_dnc
from phonebank.queue import CallQueue
from phonebank.results import CsvResultsStore, ResultRow
from phonebank.script import load_script

from callkit import ANA, BO, Clock, la, make_workspace, voter, write_list

EVENING = la(2017, 3, 20, 18, 0)


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def clock():
    return Clock(EVENING)


def queue_for(ws, clock, name="test"):
    return CallQueue(ws, load_script(ws.script_path), name, clock)


def save(q, offer, code, clock, volunteer=ANA, phone=None, **kw):
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=q.list_name,
                    voter_id=offer.voter_id, phone=phone or offer.phones[0], code=code, **kw)
    q.record(row)
    q.release(offer.voter_id, volunteer.email)
    return row


def test_voters_come_in_list_order_and_are_never_shown_to_two_volunteers(ws, clock):
    qa, qb = queue_for(ws, clock), queue_for(ws, clock)
    first = qa.next_voter(ANA.email)
    second = qb.next_voter(BO.email)
    assert (first.voter_id, second.voter_id) == ("V1", "V2")
    third = qa.next_voter(ANA.email, exclude={"V1"})
    assert third.voter_id == "V3"


def test_claim_expires_so_a_crashed_sessions_voter_comes_back(ws, clock):
    qa, qb = queue_for(ws, clock), queue_for(ws, clock)
    assert qa.next_voter(ANA.email).voter_id == "V1"  # then ANA's terminal dies
    assert qb.next_voter(BO.email).voter_id == "V2"
    clock.advance(minutes=31)  # claim_minutes is 30 in the sample script
    assert qb.next_voter(BO.email, exclude={"V2"}).voter_id == "V1"


def test_final_result_is_never_offered_again(ws, clock):
    q = queue_for(ws, clock)
    offer = q.next_voter(ANA.email)
    save(q, offer, "supporter", clock, answers={"bernie_2016": "yes"})
    clock.advance(days=30)
    seen = set()
    while (o := q.next_voter(ANA.email, exclude=seen)) is not None:
        seen.add(o.voter_id)
    assert "V1" not in seen and seen == {"V2", "V3", "V4"}


def test_retry_comes_back_after_its_delay_and_stops_at_max_attempts(ws, clock):
    q = queue_for(ws, clock)
    others = {"V2", "V3", "V4"}
    for attempt in range(3):  # not_home: after 24 h, up to 3 attempts
        offer = q.next_voter(ANA.email, exclude=others)
        assert offer is not None and offer.voter_id == "V1", f"attempt {attempt + 1}"
        save(q, offer, "not_home", clock)
        clock.advance(hours=23, minutes=59)
        assert q.next_voter(ANA.email, exclude=others) is None
        clock.advance(minutes=1)
    assert q.next_voter(ANA.email, exclude=others) is None  # three attempts made: finished


def test_call_back_comes_back_at_its_time_before_new_voters(ws, clock):
    q = queue_for(ws, clock)
    offer = q.next_voter(ANA.email)
    save(q, offer, "call_back", clock, callback_at=la(2017, 3, 20, 19, 30).isoformat())
    assert q.next_voter(ANA.email).voter_id == "V2"
    q.release("V2", ANA.email)
    clock.now = la(2017, 3, 20, 19, 30)
    assert q.next_voter(ANA.email).voter_id == "V1"


def test_wrong_number_moves_to_the_next_number_then_finishes(ws, clock):
    q = queue_for(ws, clock)
    offer = q.next_voter(ANA.email)
    assert offer.phones == ["+12135550101", "+13235550102"]
    q.record(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id="V1",
                       phone="+12135550101", code="wrong_number"))
    assert q.offer("V1").phones == ["+13235550102"]
    q.release("V1", ANA.email)
    again = q.next_voter(BO.email, exclude={"V2", "V3", "V4"})  # after the voters never called
    assert again.voter_id == "V1" and again.phones == ["+13235550102"]
    save(q, again, "disconnected", clock, volunteer=BO)
    assert q.next_voter(BO.email, exclude={"V2", "V3", "V4"}) is None


def test_do_not_call_is_honored_in_every_list(ws, clock):
    write_list(ws, "second", [voter("W9", "Same", "Phone", "+12135550103")])
    q = queue_for(ws, clock)
    q.next_voter(ANA.email)  # V1
    offer = q.next_voter(ANA.email, exclude={"V1"})
    assert offer.voter_id == "V2"
    save(q, offer, "refused", clock)
    assert "+12135550103" in read_dnc(ws.dnc_path)
    other = queue_for(ws, clock, "second")
    assert other.next_voter(BO.email) is None
    assert other.counts().finished == 1


def test_undo_puts_the_voter_back(ws, clock):
    q = queue_for(ws, clock)
    offer = q.next_voter(ANA.email)
    row = save(q, offer, "moved", clock)
    assert q.last_saved(ANA.email).row_id == row.row_id
    q.record(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id="V1",
                       phone=row.phone, code="undo", undoes=row.row_id))
    assert q.last_saved(ANA.email) is None
    assert q.next_voter(BO.email).voter_id == "V1"


def test_calling_hours_in_the_voters_zone(ws, clock):
    write_list(ws, "hours", [voter("H1", "Ana", "LA", "+12135550111", zip_code="90012"),
                             voter("H2", "Ben", "NY", "+12125550112", zip_code="90012")])
    clock.now = la(2017, 3, 20, 8, 30)
    q = queue_for(ws, clock, "hours")
    assert q.next_voter(ANA.email) is None
    counts = q.counts()
    assert counts.held_by_hours == 2 and counts.reopens_at == la(2017, 3, 20, 9, 0)
    clock.now = la(2017, 3, 20, 9, 0)
    assert q.next_voter(ANA.email).voter_id == "H1"
    # a 212 number with a Los Angeles zip: both zones must be inside 9:00-21:00 (18:00 PT = 21:00 ET)
    clock.now = la(2017, 3, 20, 18, 0)
    assert q.next_voter(ANA.email, exclude={"H1"}) is None
    clock.now = la(2017, 3, 20, 17, 59)
    assert q.next_voter(ANA.email, exclude={"H1"}).voter_id == "H2"


def test_language_barrier_goes_to_a_spanish_caller(ws, clock):
    q = queue_for(ws, clock)
    offer = q.next_voter(ANA.email)
    save(q, offer, "language_spanish", clock)
    assert q.next_voter(ANA.email, language="en").voter_id == "V2"
    q.release("V2", ANA.email)
    assert q.next_voter(BO.email, language="es").voter_id == "V1"


def test_index_is_derived_delete_it_and_nothing_is_lost(ws, clock):
    q = queue_for(ws, clock)
    save(q, q.next_voter(ANA.email), "supporter", clock)
    save(q, q.next_voter(ANA.email), "not_home", clock)
    before = q.counts()
    q.close()
    shutil.rmtree(ws.root / ".phonebank")
    q2 = queue_for(ws, clock)
    after = q2.counts()
    assert (after.finished, after.waiting, after.callable_now) == (before.finished, before.waiting, before.callable_now)
    assert q2.next_voter(ANA.email).voter_id == "V3"


def test_rows_written_by_a_session_that_died_before_updating_the_index_are_seen(ws, clock):
    q = queue_for(ws, clock)
    q.next_voter(ANA.email)
    # another process appended a final result but died before touching the index
    CsvResultsStore(ws.results_dir).append(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email,
                                                     list="test", voter_id="V2", phone="+12135550103",
                                                     code="deceased"))
    assert q.next_voter(ANA.email).voter_id == "V3"


def test_reimported_list_rebuilds_the_index_and_keeps_results_by_voter_id(ws, clock):
    q = queue_for(ws, clock)
    save(q, q.next_voter(ANA.email), "supporter", clock)  # V1
    q.close()
    write_list(ws, "test", [voter("V0", "New", "Voter", "+12135550199"), voter("V1", "María", "García", "+12135550101")])
    q2 = queue_for(ws, clock)
    assert q2.next_voter(ANA.email).voter_id == "V0"
    assert q2.next_voter(ANA.email) is None  # V1 already finished, V0 held by ANA


def test_unknown_list_name_is_a_clear_error(ws, clock):
    from phonebank.errors import DataError, UsageProblem

    with pytest.raises(DataError, match="no list named 'nope'"):
        queue_for(ws, clock, "nope")
    with pytest.raises(UsageProblem, match="invalid list name"):
        queue_for(ws, clock, "../../etc/passwd")


def test_files_holding_voter_data_are_private(ws, clock):
    q = queue_for(ws, clock)
    save(q, q.next_voter(ANA.email), "refused", clock)
    private = [ws.roster_path, ws.dnc_path, *ws.results_files("test"), q.db_path]
    private += list(q.db_path.parent.glob("*.sqlite-*"))
    assert len(private) >= 5
    for path in private:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
    assert (ws.root / ".phonebank").stat().st_mode & 0o077 == 0


def test_editing_the_script_rescores_voters_without_losing_claims(ws, clock):
    q = queue_for(ws, clock)
    save(q, q.next_voter(ANA.email), "not_home", clock)  # V1 due again in 24 h
    held = q.next_voter(BO.email)  # V2 held by BO
    clock.advance(minutes=20)  # BO's 30-minute claim still holds
    assert q.next_voter(ANA.email, exclude={"V3", "V4"}) is None
    text = ws.script_path.read_text().replace("retry: {after_hours: 24, max_attempts: 3}",
                                              "retry: {after_hours: 0.25, max_attempts: 3}")
    ws.script_path.write_text(text)
    rebuilt = []
    q2 = CallQueue(ws, load_script(ws.script_path), "test", clock, on_rebuild=lambda: rebuilt.append(1))
    assert rebuilt == []  # only the outcomes were recomputed, not the whole index
    assert q2.next_voter(ANA.email, exclude={"V3", "V4"}).voter_id == "V1"
    assert q2.holds(held.voter_id, BO.email)


def test_a_running_session_sees_a_reimported_list(ws, clock):
    import os

    q = queue_for(ws, clock)
    assert q.next_voter(ANA.email).voter_id == "V1"
    write_list(ws, "test", [voter("N1", "New", "Person", "+12135550150")])
    os.utime(ws.list_path("test"), ns=(1, 1))  # make sure the stamp differs even within one clock tick
    assert q.next_voter(ANA.email).voter_id == "N1"
