"""The file store's own promises: the index is derived from the CSV files, survives crashes between a
results append and its COMMIT, opens safely when many callers start at once, and stays private."""

from __future__ import annotations

import multiprocessing
import shutil

import pytest

from phonebank.results import CsvResultsStore, ResultRow
from phonebank.script import load_script
from phonebank.store import file_index
from phonebank.store.files import FileStore

from callkit import ANA, BO, Clock, la, make_workspace

EVENING = la(2017, 3, 20, 18, 0)


def store_for(ws, clock, name="test", **kw):
    return FileStore(ws, load_script(ws.script_path), name, clock, **kw)


def save(store, offer, code, clock, volunteer=ANA):
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=store.list_name,
                    voter_id=offer.voter_id, phone=offer.phones[0], code=code)
    store.save(row, offer.hold)
    store.release(offer.hold)
    return row


def test_the_index_is_derived_delete_it_and_nothing_is_lost(ws, clock):
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "supporter", clock)
    save(s, s.next_voter(ANA.email), "not_home", clock)
    before = s.counts()
    s.close()
    shutil.rmtree(ws.root / ".phonebank")
    again = store_for(ws, clock)
    after = again.counts()
    assert (after.finished, after.waiting, after.callable_now) == (before.finished, before.waiting, before.callable_now)
    assert again.next_voter(ANA.email).voter_id == "V3"


def test_a_row_appended_by_a_session_killed_before_its_commit_is_read_before_the_voter_returns(ws, clock):
    a, b = store_for(ws, clock), store_for(ws, clock)
    held = b.next_voter(BO.email)  # V1; BO's process appends the result, then dies before COMMIT
    CsvResultsStore(ws.results_dir).append(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email,
                                                     list="test", voter_id=held.voter_id, phone=held.phones[0],
                                                     code="deceased"))
    clock.advance(minutes=31)  # BO's hold lapses
    offer = a.next_voter(ANA.email, exclude={"V2", "V3", "V4"})
    assert offer is None  # V1 is finished: the dead session's row was read


def test_rows_copied_in_from_elsewhere_are_read_within_the_scan_interval(ws, clock, monkeypatch):
    s = store_for(ws, clock)
    CsvResultsStore(ws.results_dir).append(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email,
                                                     list="test", voter_id="V1", phone="+12135550101",
                                                     code="supporter"))
    monkeypatch.setattr(file_index, "SCAN_SECONDS", 0.0)
    assert s.next_voter(ANA.email).voter_id == "V2"


def test_editing_the_script_rescores_without_a_rebuild_and_keeps_holds(ws, clock):
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "not_home", clock)  # V1 due again in 24 h
    held = s.next_voter(BO.email)
    clock.advance(minutes=20)
    assert s.next_voter(ANA.email, exclude={"V3", "V4"}) is None
    text = ws.script_path.read_text().replace("retry: {after_hours: 24, max_attempts: 3}",
                                              "retry: {after_hours: 0.25, max_attempts: 3}")
    ws.script_path.write_text(text)
    rebuilt = []
    again = store_for(ws, clock, on_rebuild=lambda: rebuilt.append(1))
    assert rebuilt == []
    assert again.next_voter(ANA.email, exclude={"V3", "V4"}).voter_id == "V1"
    assert again.holds(held.hold)


def test_files_holding_voter_data_are_private(ws, clock):
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "refused", clock)
    private = [ws.roster_path, ws.dnc_path, *ws.results_files("test"), s.db_path, s.lock_path]
    private += list(s.db_path.parent.glob("*.sqlite-*"))
    assert len(private) >= 6
    for path in private:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
    assert (ws.root / ".phonebank").stat().st_mode & 0o077 == 0


def _open_and_claim(root: str, n: int, queue) -> None:
    from pathlib import Path

    from phonebank.workspace import Workspace

    try:
        ws = Workspace(Path(root))
        s = FileStore(ws, load_script(ws.script_path), "test", Clock(EVENING))
        offer = s.next_voter(f"v{n}@example.org")
        queue.put(("ok", offer.voter_id if offer else None))
    except Exception as exc:  # reported to the parent, which fails the test
        queue.put(("error", repr(exc)))


@pytest.mark.parametrize("attempt", range(3))
def test_many_callers_starting_at_once_on_a_fresh_workspace_all_get_in(tmp_path, attempt):
    ws = make_workspace(tmp_path / "ws")
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_open_and_claim, args=(str(ws.root), n, results)) for n in range(6)]
    for p in procs:
        p.start()
    got = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert [g for g in got if g[0] == "error"] == []
    offered = [v for _, v in got if v]
    assert sorted(offered) == ["V1", "V2", "V3", "V4"]  # four voters, six callers: two get none


def test_an_index_left_by_an_older_phonebank_is_rebuilt_not_reported_damaged(ws, clock):
    import sqlite3

    ws.index_dir.mkdir(exist_ok=True)
    old = sqlite3.connect(ws.index_dir / "test.sqlite")
    old.executescript("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "INSERT INTO meta VALUES ('list_stamp', '[\"1\", 0, 0]');"
                      "CREATE TABLE voters(seq INTEGER PRIMARY KEY, voter_id TEXT UNIQUE, zone_key TEXT);"
                      "CREATE TABLE claims(voter_id TEXT PRIMARY KEY, volunteer TEXT, expires_at REAL);")
    old.close()
    assert store_for(ws, clock).next_voter(ANA.email).voter_id == "V1"


def test_a_save_the_disk_refuses_is_not_saved_and_the_index_rolls_back(ws, clock, monkeypatch):
    """The append fails (disk full): the call is NOT saved — nowhere, not half — the volunteer is told, the
    hold stays, and the same call saves once when the disk has room again."""
    from phonebank import results
    from phonebank.errors import DataError

    s = store_for(ws, clock)
    offer = s.next_voter(ANA.email)
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                    phone=offer.phones[0], code="refused")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results, "durable_append", full)
    with pytest.raises(DataError, match=r"could not save the call \(No space left on device\).*the call was NOT saved"):
        s.save(row, offer.hold)
    assert not s.db.in_transaction
    assert s.db.execute("SELECT count(*) FROM rows").fetchone()[0] == 0
    assert s.db.execute("SELECT count(*) FROM dnc").fetchone()[0] == 0  # the refusal's do-not-call not taken
    assert s.last_saved(ANA.email) is None and s.heartbeat(offer.hold)
    assert CsvResultsStore(ws.results_dir).read("test")[0] == []
    monkeypatch.undo()
    saved = s.save(row, offer.hold)
    assert not saved.hold_lost and s.last_saved(ANA.email) == row
    assert [r.row_id for r in CsvResultsStore(ws.results_dir).read("test")[0]] == [row.row_id]


def test_a_claim_that_fails_midway_holds_nobody_and_the_next_claim_works(ws, clock, monkeypatch):
    s = store_for(ws, clock)

    def broken(*args, **kwargs):
        raise RuntimeError("the machine ran out of memory in the middle of a claim")

    monkeypatch.setattr(s, "_pick", broken)
    with pytest.raises(RuntimeError):
        s.next_voter(ANA.email)
    assert not s.db.in_transaction
    assert s.db.execute("SELECT count(*) FROM claims").fetchone()[0] == 0
    monkeypatch.undo()
    assert s.next_voter(ANA.email).voter_id == "V1"
    other = store_for(ws, clock)
    assert other.next_voter(BO.email).voter_id == "V2"  # the database is not left locked
