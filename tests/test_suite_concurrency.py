"""Concurrency suite: 8 processes call one list of 2,000 voters through the calling session (the code
path `phonebank call` uses) until the list is exhausted.

Afterwards: no voter was held by two volunteers at once, no voter with a final result was called
again, every results row parses, and the number of rows equals the number of calls saved.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from pathlib import Path

import pytest

from phonebank.loop import Session
from phonebank.results import ReadProblems, read_results_file
from phonebank.roster import Volunteer
from phonebank.script import load_script
from phonebank.store.files import FileStore
from phonebank.workspace import Workspace

import figures
from callkit import Clock, la, make_workspace, voter

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

PROCESSES = 8
VOTERS = 2000


class RandomVolunteer:
    """A prompter that codes calls at random, the way a (fast) volunteer would."""

    style = "plain"

    def __init__(self, rng: random.Random):
        self.rng = rng

    def show(self, text: str) -> None:
        pass

    def choose(self, message, choices, default=None):
        values = [c.value for c in choices]
        if message.startswith("Call the number above"):
            return self.rng.choice(["script", "not_home", "more", "more"])
        if message == "What next?":
            return "quit"
        if message == "Save?":
            return "save"
        picks = [v for v in values if v not in ("back", "more", "call_back")]
        return self.rng.choice(picks)

    def text(self, message, default="", validate=None):
        return ""

    def confirm(self, message, default=True):
        return self.rng.random() < 0.5


class LoggingQueue(FileStore):
    """The real queue, logging when each voter was taken and given back."""

    log = None

    def next_voter(self, volunteer, language="en", exclude=()):
        offer = super().next_voter(volunteer, language, exclude)
        if offer is not None:
            self.log.write(json.dumps(["take", offer.voter_id, time.time()]) + "\n")
        return offer

    def save(self, row, hold=None, done=False):
        saved = super().save(row, hold, done)
        self.log.write(json.dumps(["save", [row.voter_id, row.code], time.time()]) + "\n")
        return saved

    def release(self, hold):
        self.log.write(json.dumps(["give", hold.voter_id, time.time()]) + "\n")
        super().release(hold)


def worker(root: str, n: int, log_path: str) -> None:
    ws = Workspace(Path(root))
    script = load_script(ws.script_path)
    clock = Clock(la(2017, 3, 20, 18, 0))  # fixed: retries are not due again during the run
    with open(log_path, "w", buffering=1) as log:
        queue = LoggingQueue(ws, script, "test", clock)
        queue.log = log
        volunteer = Volunteer(f"vol{n}@example.org", "Vol", str(n), "90033")
        tally = Session(script, queue, volunteer, RandomVolunteer(random.Random(n))).run()
        log.write(json.dumps(["calls", tally.calls, 0]) + "\n")


def test_eight_processes_exhaust_one_list(tmp_path):
    voters = [voter(f"V{i:05d}", "Voter", str(i), f"+1213{5000000 + i:07d}",
                    *([f"+1323{5000000 + i:07d}"] if i % 4 == 0 else [])) for i in range(VOTERS)]
    ws = make_workspace(tmp_path / "ws", voters)
    script = load_script(ws.script_path)
    FileStore(ws, script, "test", Clock(la(2017, 3, 20, 18, 0))).close()  # build the index once
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=worker, args=(str(ws.root), n, str(tmp_path / f"log{n}"))) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
        assert p.exitcode == 0

    # 1. no voter held by two volunteers at once
    holds: dict[str, list[tuple[float, float, int]]] = {}
    timeline: list[tuple[float, str, str, str]] = []
    calls_made = 0
    for n in range(PROCESSES):
        open_at: dict[str, float] = {}
        for line in (tmp_path / f"log{n}").read_text().splitlines():
            kind, what, at = json.loads(line)
            if kind == "take":
                open_at[what] = at
                timeline.append((at, "take", what, ""))
            elif kind == "save":
                timeline.append((at, "save", what[0], what[1]))
            elif kind == "give" and what in open_at:
                holds.setdefault(what, []).append((open_at.pop(what), at, n))
            elif kind == "calls":
                calls_made += what
        assert not open_at, f"process {n} never gave back {sorted(open_at)[:3]}"
    for voter_id, spans in holds.items():
        spans.sort()
        for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
            assert start >= end, f"{voter_id} held by processes {a} and {b} at once"

    # 2. every row parses; as many rows as calls saved
    problems = ReadProblems()
    rows = []
    for path in ws.results_files("test"):
        got, _ = read_results_file(path, problems)
        rows += got
    assert problems.bad == [] and problems.torn == []
    assert len(rows) == calls_made
    assert len({r.row_id for r in rows}) == len(rows)

    # 3. no voter with a final result was called again
    finals = {c.id for c in script.codes if c.effect in ("final", "do_not_call")}
    finished_at: dict[str, float] = {}
    for at, kind, voter_id, code in sorted(timeline):
        if kind == "take":
            assert voter_id not in finished_at, f"{voter_id} offered again after a final result"
        elif code in finals:
            finished_at[voter_id] = at
    assert len(finished_at) > VOTERS / 3
    assert len(holds) == VOTERS  # the list was exhausted: every voter was offered
    workers_used = len({r.volunteer for r in rows})
    assert workers_used > 1
    figures.record("concurrency", f"{PROCESSES} processes coded {calls_made} calls on {VOTERS} voters; "
                   "0 voters held twice, 0 finished voters called again, every row parses")
