"""Crash suite for saving calls: SIGKILL a calling process at random moments, 50 times.

Afterwards every results file parses, a torn last row is set aside with a warning and the next save
starts on a fresh line, no call reported saved is missing, and no voter was called twice.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from phonebank.results import ReadProblems, ResultRow, read_results_file
from phonebank.script import load_script
from phonebank.store.files import FileStore
from phonebank.workspace import Workspace

import figures
from callkit import Clock, la, make_workspace, voter

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

KILLS = 50
CODES = ["supporter", "undecided", "moved", "not_home", "refused", "deceased"]


def caller(root: str, email: str, log: str, seed: int) -> None:
    rng = random.Random(seed)
    ws = Workspace(Path(root))
    script = load_script(ws.script_path)
    clock = Clock(la(2017, 3, 20, 18, 0))
    queue = FileStore(ws, script, "test", clock)
    with open(log, "a") as reported:
        while (offer := queue.next_voter(email)) is not None:
            row = ResultRow(recorded_at=clock().isoformat(), volunteer=email, list="test", voter_id=offer.voter_id,
                            phone=offer.phones[0], code=rng.choice(CODES), note="note, with \"quotes\"")
            queue.save(row)
            reported.write(row.row_id + "\n")  # only now is the call "reported saved"
            reported.flush()
            queue.release(offer.hold)
            time.sleep(rng.random() / 1000)


def test_sigkill_while_saving_calls_loses_nothing(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws", [voter(f"V{i:05d}", "Voter", str(i), f"+1213{5000000 + i:07d}")
                                          for i in range(20000)])
    FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 0))).close()
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(2017)
    log = tmp_path / "reported.txt"
    emails = ["ana@example.org", "bo@example.org"]
    torn_injected = 0
    for kill in range(KILLS):
        email = emails[kill % 2]
        proc = ctx.Process(target=caller, args=(str(ws.root), email, str(log), kill))
        proc.start()
        time.sleep(rng.uniform(0.02, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        if kill % 10 == 9:  # a kill in the middle of a write: half a row, no newline
            path = ws.results_dir / "test" / f"{email}.csv"
            with open(path, "ab") as fh:
                fh.write(b"deadbeef0000,2017-03-20T18:00:00-07:00," + email.encode() + b",te")
            torn_injected += 1
    # one last clean run after the final kill, so the last torn row is repaired by a save
    proc = ctx.Process(target=caller, args=(str(ws.root), emails[1], str(log), 999))
    proc.start()
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()

    reported = log.read_text().split()
    rows = []
    problems = ReadProblems()
    for path in ws.results_files("test"):
        got, _ = read_results_file(path, problems)
        rows += got
    assert problems.bad == [], problems.bad  # no damaged row anywhere: torn tails were set aside
    saved_ids = {r.row_id for r in rows}
    missing = [r for r in reported if r not in saved_ids]
    assert missing == [], f"{len(missing)} calls reported saved are missing"
    assert len(rows) >= len(reported) > KILLS  # a kill between fsync and report may leave an unreported row
    assert max(Counter(r.voter_id for r in rows).values()) == 1  # nobody was called twice
    torn_files = list((ws.results_dir / "test").glob("*.torn"))
    assert sum(p.read_bytes().count(b"\n") for p in torn_files) >= torn_injected - 1
    figures.record("crash (calls)", f"{KILLS + 1} SIGKILLs while saving survived; {len(rows)} calls on file, "
                   f"{len(reported)} reported saved, 0 lost; {torn_injected} torn rows set aside and repaired")
    # the index rebuilt from scratch agrees
    queue = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 0)))
    assert queue.counts().finished + queue.counts().waiting >= len({r.voter_id for r in rows})
