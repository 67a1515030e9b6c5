"""A call the disk will not take (full, a permission): `phonebank call` says so in one line and offers to
save the same call again — the call on screen is not lost to a problem the volunteer can fix. Declining
ends the session with the one-line error (exit 1, no traceback), every call saved before it kept."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from phonebank import results
from phonebank.cli import cli

from callkit import make_workspace, read_rows


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHONEBANK_NOW", "2017-03-20T18:00:00-07:00")
    monkeypatch.delenv("PHONEBANK_RAISE_ERRORS", raising=False)  # what a volunteer sees, not a test's exception
    return make_workspace(tmp_path / "ws")


def disk_full_on(monkeypatch, failing: set[int]) -> list[bytes]:
    """Make the results append fail (no space left) on the given attempts (1-based)."""
    real = results.durable_append
    attempts: list[bytes] = []

    def append(path, line, header=b""):
        attempts.append(line)
        if len(attempts) in failing:
            raise OSError(28, "No space left on device")
        return real(path, line, header)

    monkeypatch.setattr(results, "durable_append", append)
    return attempts


def call(ws, answers: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "call", "--email", "ana@example.org", "--plain"],
                              input=answers)


def test_the_same_call_is_saved_when_the_volunteer_tries_again(ws, monkeypatch):
    attempts = disk_full_on(monkeypatch, {2})
    got = call(ws, "n\n\ns\nn\n\ns\ny\nq\n")  # V1 not home; V2 not home: the disk is full, try again: yes
    assert got.exit_code == 0, got.output
    assert "could not save the call (No space left on device)" in got.output
    assert "This call is not saved yet. Try to save it again" in got.output
    assert [r["voter_id"] for r in read_rows(ws)] == ["V1", "V2"]
    assert attempts[1] == attempts[2]  # the very same row, once in the file
    assert "Session summary: 2 calls" in got.output


def test_declining_ends_with_one_line_and_keeps_the_calls_before(ws, monkeypatch):
    disk_full_on(monkeypatch, {2})
    got = call(ws, "n\n\ns\nn\n\ns\nn\n")  # ... try again: no
    assert got.exit_code == 1, got.output
    assert "Traceback" not in got.output
    last = got.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "could not save the call (No space left on device)" in last
    assert last.endswith("the call was NOT saved")
    assert [r["voter_id"] for r in read_rows(ws)] == ["V1"]


def test_a_retry_after_the_hold_lapsed_is_saved_once_and_marked(tmp_path, monkeypatch):
    """The clock moves while the volunteer frees disk space: 40 minutes pass (claim_minutes is 30), another
    volunteer is handed the same voter and saves a call. The retried save is kept — once — and marked with
    the other call's row id, and the volunteer is told."""
    from phonebank.loop import Session
    from phonebank.results import ResultRow
    from phonebank.script import load_script
    from phonebank.store.files import FileStore

    from callkit import ANA, BO, Clock, ScriptedPrompter, la

    ws = make_workspace(tmp_path / "ws")
    script = load_script(ws.script_path)
    clock = Clock(la(2017, 3, 20, 18, 0))
    disk_full_on(monkeypatch, {1})
    theirs: list[ResultRow] = []

    def meanwhile(kind, message, options):
        assert kind == "confirm" and "not saved yet" in message
        clock.advance(minutes=40)
        other = FileStore(ws, script, "test", clock)
        offer = other.next_voter(BO.email)
        assert offer.voter_id == "V1"  # the lapsed hold: V1 is handed to BO
        row = ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="test", voter_id="V1",
                        phone=offer.phones[0], code="not_home")
        other.save(row, offer.hold)
        theirs.append(row)
        return True

    ui = ScriptedPrompter(["not_home", "", "save", meanwhile, "quit"])
    Session(script, FileStore(ws, script, "test", clock), ANA, ui, "en").run()
    rows = read_rows(ws)
    assert sorted((r["volunteer"], r["voter_id"]) for r in rows) == [(ANA.email, "V1"), (BO.email, "V1")]
    mine = next(r for r in rows if r["volunteer"] == ANA.email)
    assert mine["overlaps"] == theirs[0].row_id and mine["recorded_at"] == "2017-03-20T18:00:00-07:00"
    assert "could not save the call (No space left on device)" in ui.screen
    assert "another volunteer" in ui.screen.lower()
