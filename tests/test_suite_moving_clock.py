"""Concurrency suite under a MOVING clock: six calling processes (the code path `phonebank call` uses)
share one list while a simulated evening runs at 60x speed — holds lapse (claim_minutes: 1), a slow
volunteer idles past them, 21:00 arrives in New York, the organizer re-imports the list mid-run, and
processes are killed with SIGKILL and restarted.

Afterwards, from the processes' logs and the results files:

* every row parses; a row whose voter another volunteer was on at the same time is marked ``overlaps``
  (so reports count the voter once), and only then;
* no voter was handed out after a final result was saved for them (re-import included);
* no New York voter was handed out in the last ``last_call_minutes`` before 21:00 Eastern, and no
  New York number was shown after 20:59 Eastern;
* voters added by the re-import were called.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest

from phonebank.lists import canonical_columns
from phonebank.loop import Session
from phonebank.results import UNDO, ReadProblems, read_results_file
from phonebank.roster import Volunteer
from phonebank.script import load_script
from phonebank.store.files import FileStore
from phonebank.workspace import Workspace

import figures
from callkit import la, make_workspace, voter

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

SPEED = 60.0  # simulated seconds per real second
START = la(2017, 3, 20, 17, 38)  # 20:38 in New York
NY_LAST_CLAIM = la(2017, 3, 20, 17, 50)  # 21:00 Eastern minus last_call_minutes (10)
NY_CLOSE = la(2017, 3, 20, 18, 0)
END = la(2017, 3, 20, 18, 4)
FAST, SLOW = 5, 1
NAME_LINE = re.compile(r"^Voter (V\d+)\s{4}")


def sim_clock(t0: float):
    return lambda: START + dt.timedelta(seconds=(time.time() - t0) * SPEED)


def people(first: int, count: int) -> list[dict[str, str]]:
    """Even numbers: Los Angeles only; odd: an LA ZIP with a 212 (New York) cell — both zones count."""
    out = []
    for i in range(first, first + count):
        phone = f"+1212{5000000 + i:07d}" if i % 2 else f"+1213{5000000 + i:07d}"
        out.append(voter(f"V{i:05d}", "Voter", f"V{i:05d}", phone, zip_code="90012"))
    return out


class Volunteering:
    """A prompter coding calls at random, logging every voter screen with the simulated time."""

    style = "plain"

    def __init__(self, rng: random.Random, clock, log, slow: bool):
        self.rng, self.clock, self.log, self.slow = rng, clock, log, slow

    def _think(self) -> None:
        time.sleep(self.rng.random() / 25)

    def show(self, text: str) -> None:
        for line in text.splitlines()[:2]:  # the voter screen: name and number on its second line
            m = NAME_LINE.match(line)
            if m:
                self.log.write(json.dumps(["screen", m.group(1), self.clock().timestamp()]) + "\n")

    def choose(self, message, choices, default=None):
        self._think()
        values = [c.value for c in choices]
        if message == "What next?":
            if self.clock() >= END:
                return "quit"
            time.sleep(0.05)
            return "again"
        if message.startswith("Call the number above"):
            pool = ["script", "script", "not_home", "more"] + [v for v in ("next_number", "skip", "undo")
                                                                 if v in values and self.rng.random() < 0.1]
            return self.rng.choice(pool) if self.clock() < END else "quit"
        if message == "Save?":
            return "save"
        picks = [v for v in values if v not in ("back", "more", "call_back", "")]
        return self.rng.choice(picks or values)

    def text(self, message, default="", validate=None):
        if message.startswith("Note"):
            if self.slow and self.rng.random() < 0.6:
                time.sleep(1.4)  # 84 simulated seconds: the hold (1 minute) lapses
            return "x" * 1500 if self.rng.random() < 0.1 else ""
        if message.startswith("Call back when"):
            return "tomorrow 10:00"
        return default

    def confirm(self, message, default=True):
        self._think()
        return self.rng.random() < 0.5


class LoggingStore(FileStore):
    log = None

    def next_voter(self, volunteer, language="en", exclude=()):
        asked = self.clock().timestamp()  # the claim's time is read in between (a few ms: 0.2 s at 60x)
        offer = super().next_voter(volunteer, language, exclude)
        if offer is not None:
            self.log.write(json.dumps(["take", offer.voter_id, self.clock().timestamp(), offer.hold.token, asked])
                           + "\n")
        return offer


def worker(root: str, n: int, t0: float, log_path: str, seed: int) -> None:
    ws = Workspace(Path(root))
    script = load_script(ws.script_path)
    clock = sim_clock(t0)
    with open(log_path, "a", buffering=1) as log:
        store = LoggingStore(ws, script, "test", clock)
        store.log = log
        volunteer = Volunteer(f"vol{n}@example.org", "Vol", str(n), "90033")
        ui = Volunteering(random.Random(seed), clock, log, slow=n >= FAST)
        Session(script, store, volunteer, ui, clock=clock).run()
        log.write(json.dumps(["done", n, clock().timestamp()]) + "\n")


def reimport(ws: Workspace, voters: list[dict[str, str]]) -> None:
    """What `phonebank import --replace` does to the list file: a new file renamed over the old."""
    path = ws.list_path("test")
    tmp = path.with_name(".test.csv.tmp")
    cols = canonical_columns(1)
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for v in voters:
            w.writerow({c: v.get(c, "") for c in cols})
    os.replace(tmp, path)


def test_a_moving_evening_with_lapsed_holds_the_close_a_reimport_and_kills(tmp_path):
    first = people(0, 3000)
    ws = make_workspace(tmp_path / "ws", first)
    text = ws.script_path.read_text()
    ws.script_path.write_text(re.sub(r"claim_minutes: \d+", "claim_minutes: 1", text))
    script = load_script(ws.script_path)
    assert script.calling.claim_minutes == 1 and script.calling.hours.last_call_minutes == 10
    t0 = time.time()
    FileStore(ws, script, "test", sim_clock(t0)).close()
    ctx = multiprocessing.get_context("fork")
    logs = [tmp_path / f"log{n}" for n in range(FAST + SLOW)]

    def start(n: int, seed: int):
        p = ctx.Process(target=worker, args=(str(ws.root), n, t0, str(logs[n]), seed))
        p.start()
        return p

    procs = {n: start(n, n) for n in range(FAST + SLOW)}
    rng = random.Random(1)
    kill_at = sorted(rng.uniform(3, 18) for _ in range(4))
    added = people(5000, 60)
    reimported = False
    kills = 0
    while time.time() - t0 < (END - START).total_seconds() / SPEED + 60:
        elapsed = time.time() - t0
        if not reimported and elapsed > 7:
            reimport(ws, added[:30] + first + added[30:])  # new voters first and last, same voter ids
            reimported = True
        if kill_at and elapsed > kill_at[0]:
            kill_at.pop(0)
            n = rng.randrange(FAST)
            if procs[n].is_alive():
                os.kill(procs[n].pid, signal.SIGKILL)
                procs[n].join()
                kills += 1
                procs[n] = start(n, 100 + kills)
        if all(not p.is_alive() for p in procs.values()):
            break
        time.sleep(0.05)
    for p in procs.values():
        p.join(30)
        assert p.exitcode == 0

    takes, screens, asked = [], [], []
    for log in logs:
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event[0] == "take":
                takes.append((event[2], event[1]))
                asked.append((event[4], event[1]))
            elif event[0] == "screen":
                screens.append((event[2], event[1]))
    problems = ReadProblems()
    rows = []
    for path in ws.results_files("test"):
        rows += read_results_file(path, problems)[0]
    assert problems.bad == []
    assert len(problems.torn) <= kills  # a kill mid-write leaves at most one torn tail, never a torn row read
    assert len({r.row_id for r in rows}) == len(rows)

    # no voter handed out after a final result (undone results excepted)
    undone = {r.undoes for r in rows if r.code == UNDO}
    finals = {c.id for c in script.codes if c.effect in ("final", "do_not_call")}
    finished = {}
    for r in rows:
        if r.code in finals and r.row_id not in undone:
            at = dt.datetime.fromisoformat(r.recorded_at).timestamp()
            finished[r.voter_id] = min(at, finished.get(r.voter_id, at))
    again = [(v, at) for at, v in takes if v in finished and at > finished[v] + 2]
    assert again == []

    # calling hours: New York voters (odd numbers) never handed out in the last 10 minutes, never shown after
    ny_takes = [at for at, v in asked if int(v[1:]) % 2]  # by when the claim was asked for
    ny_screens = [at for at, v in screens if int(v[1:]) % 2]
    assert ny_takes and max(ny_takes) < NY_LAST_CLAIM.timestamp()
    assert ny_screens and max(ny_screens) < NY_CLOSE.timestamp() - 59
    assert max(at for at, v in takes) > NY_CLOSE.timestamp()  # Los Angeles voters went on being called

    # two volunteers on one voter at once: the later call is marked, the earlier not
    taken_by: dict[tuple[str, str], list[float]] = {}
    for log, n in zip(logs, range(FAST + SLOW), strict=True):
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event[0] == "take":
                taken_by.setdefault((event[1], f"vol{n}@example.org"), []).append(event[2])
    calls = sorted(((dt.datetime.fromisoformat(r.recorded_at).timestamp(), r) for r in rows if r.code != UNDO),
                   key=lambda pair: pair[0])
    by_voter: dict[str, list] = {}
    for at, r in calls:
        by_voter.setdefault(r.voter_id, []).append((at, r))
    marked, unmarked_pairs = 0, []
    for voter_id, saved in by_voter.items():
        for i, (at2, later) in enumerate(saved):
            claims = [c for c in taken_by.get((voter_id, later.volunteer), []) if c <= at2 + 1]
            if not claims:
                continue
            claimed = max(claims)
            for at1, earlier in saved[:i]:
                if earlier.volunteer != later.volunteer and claimed + 2 < at1 and not later.overlaps:
                    unmarked_pairs.append((voter_id, earlier.row_id, later.row_id))
        marked += sum(1 for _, r in saved if r.overlaps)
    assert unmarked_pairs == []
    new_ids = {v["voter_id"] for v in added}
    assert {v for _, v in takes} & new_ids, "voters added by the re-import were never called"
    figures.record("moving clock", f"{FAST} fast + {SLOW} slow callers over a simulated evening at {SPEED:.0f}x "
                   f"(claim_minutes 1, 21:00 Eastern reached, 1 re-import, {kills} SIGKILLs): {len(rows)} calls, "
                   f"{marked} overlapping calls all marked, 0 finished voters offered again, 0 New York voters "
                   "handed out in the last 10 minutes or shown after 20:59")
