"""The file store's index reads new calls without scanning every saved call: each statement it runs on
``rows`` while catching up with other volunteers' files finds its rows through an index (a statement that
scans the table once per new call made a re-import with 1M saved calls run for minutes)."""

from __future__ import annotations

from phonebank.results import CsvResultsStore, ResultRow
from phonebank.script import load_script
from phonebank.store import file_index
from phonebank.store.files import FileStore

from callkit import ANA, BO


def test_catching_up_with_refusals_and_undos_uses_indexes_only(ws, clock, monkeypatch):
    store = FileStore(ws, load_script(ws.script_path), "test", clock)
    assert store.next_voter(ANA.email).voter_id == "V1"  # the index is built
    results = CsvResultsStore(ws.results_dir)
    refused = ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id="V2",
                        phone="+12135550103", code="refused")
    results.append(refused)  # another volunteer's calls, written outside this store: a refusal,
    results.append(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id="V3",
                             phone="+12135550104", code="refused"))
    results.append(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id="V2",
                             phone="+12135550103", code="undo", undoes=refused.row_id))  # and an undo of it
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    monkeypatch.setattr(file_index, "SCAN_SECONDS", -1)  # every claim looks at every results file
    store.next_voter(BO.email, exclude={"V1"})  # reads the new rows
    store.db.set_trace_callback(None)
    on_rows = [s for s in statements  # lookups (a bare "SELECT 1 FROM rows LIMIT 1" stops at the first row)
               if s.lstrip().upper().startswith("SELECT") and " rows " in f" {s} " and " WHERE " in s.upper()]
    assert any("undoes" in s for s in on_rows), statements  # the refusals were checked for undos
    for statement in on_rows:
        plan = " ".join(str(step[-1]) for step in store.db.execute("EXPLAIN QUERY PLAN " + statement))
        assert "SCAN rows" not in plan, (statement, plan)
    store.close()


def test_a_claim_finds_its_voter_through_indexes_only(ws, clock):
    """Handing out a voter looks up the SQLite part by index (a claim that scans ``voters`` grows with
    every call made), whichever way the voter is found: a call-back, a fresh voter, a retry."""
    store = FileStore(ws, load_script(ws.script_path), "test", clock)
    first = store.next_voter(ANA.email)
    store.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="test", voter_id=first.voter_id,
                         phone=first.phones[0], code="not_home"), first.hold, done=True)
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    assert store.next_voter(BO.email).voter_id == "V2"
    clock.advance(minutes=60 * 25)  # V1's retry due
    assert store.next_voter(BO.email, exclude={"V2", "V3", "V4"}).voter_id == "V1"
    store.db.set_trace_callback(None)
    on_voters = [s for s in statements if s.lstrip().upper().startswith("SELECT") and " voters " in f" {s} "]
    assert len(on_voters) >= 4, statements
    for statement in on_voters:
        plan = " ".join(str(step[-1]) for step in store.db.execute("EXPLAIN QUERY PLAN " + statement))
        assert "SCAN v" not in plan.replace("SCAN voters", "SCAN v"), (statement, plan)
    store.close()
