"""A call the disk will not take: `phonebank call` says in one line that it was NOT saved, stops with exit
1 and no traceback, and every call saved before it is kept."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from phonebank import results
from phonebank.cli import cli

from callkit import make_workspace, read_rows


def test_a_call_the_disk_refuses_is_said_not_saved_and_the_calls_before_it_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHONEBANK_NOW", "2017-03-20T18:00:00-07:00")
    monkeypatch.delenv("PHONEBANK_RAISE_ERRORS", raising=False)  # what a volunteer sees, not a test's exception
    ws = make_workspace(tmp_path / "ws")
    real = results.durable_append
    appends: list[bytes] = []

    def second_fails(path, line, header=b""):
        appends.append(line)
        if len(appends) == 2:
            raise OSError(28, "No space left on device")
        return real(path, line, header)

    monkeypatch.setattr(results, "durable_append", second_fails)
    answers = "n\n\ns\nn\n\ns\nq\n"  # V1 not home, saved; V2 not home, the disk is full
    got = CliRunner().invoke(cli, ["--workspace", str(ws.root), "call", "--email", "ana@example.org", "--plain"],
                             input=answers)
    assert got.exit_code == 1, got.output
    assert "Traceback" not in got.output
    last = got.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "could not save the call (No space left on device)" in last
    assert last.endswith("the call was NOT saved")
    assert [r["voter_id"] for r in read_rows(ws)] == ["V1"]


@pytest.fixture(autouse=True)
def _no_stray_workspace(monkeypatch):
    monkeypatch.delenv("PHONEBANK_WORKSPACE", raising=False)
