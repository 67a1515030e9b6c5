"""Crash suites for the roster and the do-not-call list: real processes append in a loop (two at a
time; rows of a few bytes to 600 KB, and 16 MB in the last rounds) and are SIGKILLed at random
moments — one of the two just as a long row's write begins, so some kills land mid-write.

Afterwards every row a writer acknowledged (its append returned) is in the file, no torn row is ever
read as data (not even while the tear is still there), the file parses, every line in it is whole
once the next append has run, and the torn fragments are in PATH.torn. Plus: a results file with a
torn tail longer than 64 KiB is repaired without moving any earlier row.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest

from phonebank.dnc import append_dnc, read_dnc, read_dnc_entries, remove_dnc_for_call
from phonebank.fsutil import torn_path
from phonebank.results import CsvResultsStore, ReadProblems, ResultRow, read_results_file
from phonebank.roster import Volunteer, add_volunteer, read_roster

import figures

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

ROUNDS = 30  # more rounds follow (up to MAX_ROUNDS) until a kill has torn a row
MAX_ROUNDS = 80
NOW = "2017-03-20T18:00:00-07:00"
SIZES = (1, 20, 300, 2_000, 20_000)
LONG = (140_000, 600_000)  # the 4th row of each writer: over the csv module's default field limit
HUGE = 16_000_000  # ... in the last rounds: a write so long that a kill nearly always lands in it


def _size(rng: random.Random, i: int, long_size: int) -> int:
    return (long_size if i == 3 else rng.choice(SIZES)) + rng.randrange(50)


def _acknowledged(log: Path) -> list[str]:
    """Complete lines of a writer's log (a kill may tear the last one: it was never acknowledged)."""
    try:
        data = log.read_bytes()
    except FileNotFoundError:
        return []
    return data[: data.rfind(b"\n") + 1].decode().splitlines()


def _wait_for_change(path: Path, deadline: float) -> None:
    size = path.stat().st_size if path.exists() else 0
    while time.monotonic() < deadline and (path.stat().st_size if path.exists() else 0) == size:
        pass


def _run_rounds(target, path: Path, tmp_path: Path, check_torn_state) -> tuple[int, int, int, list[bytes]]:
    """Rounds of two concurrent writers: one killed at a random moment, the other a random 0-0.2 ms
    after the file starts changing for the long row it appends (about when that write begins). Every
    5th round a torn fragment (some over 64 KiB) is injected by hand. Returns (kills, rows torn by a
    kill, tears set aside, injected fragments)."""
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(2017)
    kills = killed_mid_write = tears = 0
    injected: list[bytes] = []
    round_ = 0
    while round_ < ROUNDS or (not killed_mid_write and round_ < MAX_ROUNDS):
        long_row = [ctx.Event() for _ in range(2)]
        long_size = [rng.randint(*LONG), HUGE if round_ >= ROUNDS - 2 else rng.randint(*LONG)]
        procs = [ctx.Process(target=target, args=(str(path), str(tmp_path / f"log-{round_}-{w}"), round_ * 2 + w,
                                                  long_row[w], long_size[w])) for w in range(2)]
        for proc in procs:
            proc.start()
        time.sleep(rng.uniform(0.01, 0.2))
        os.kill(procs[0].pid, signal.SIGKILL)
        if long_row[1].wait(timeout=10):  # the writer is building a long row (the csv module takes a while)
            _wait_for_change(path, time.monotonic() + 5)  # ... and now starts writing it
            time.sleep(rng.uniform(0, 0.0002))
        os.kill(procs[1].pid, signal.SIGKILL)
        for proc in procs:
            proc.join()
            assert proc.exitcode == -signal.SIGKILL
            kills += 1
        data = path.read_bytes() if path.exists() else b""
        torn = bool(data) and not data.endswith(b"\n")
        if torn:
            killed_mid_write += 1
            check_torn_state()  # readers skip the tear; it is never data
        if round_ % 5 == 4:
            fragment = b"torn-%d-" % round_ + b"z" * rng.choice((10, 70_000, 200_000))
            with open(path, "ab") as fh:
                fh.write(fragment)  # after a kill's tear, both make one fragment
            injected.append(fragment)
            torn = True
            check_torn_state()
        tears += torn
        round_ += 1
    return kills, killed_mid_write, tears, injected


# -- the roster -----------------------------------------------------------------------------------

def _volunteer(seed: int, i: int, size: int) -> Volunteer:
    return Volunteer(f"p{seed}-{i}@example.org", "F" * size, str(size), "90012", f"2017-03-20T18:00:{i % 60:02d}-07:00")


def _valid_volunteer(v: Volunteer) -> bool:
    m = re.fullmatch(r"p(\d+)-(\d+)@example\.org", v.email)
    return bool(m) and v.last_name.isdigit() and v == _volunteer(int(m[1]), int(m[2]), int(v.last_name))


def roster_writer(path: str, log: str, seed: int, long_row, long_size: int) -> None:
    rng = random.Random(seed)
    with open(log, "a") as acked:
        for i in range(10**6):
            volunteer = _volunteer(seed, i, _size(rng, i, long_size))
            if i == 3:
                long_row.set()
            add_volunteer(Path(path), volunteer)
            acked.write(f"p{seed}-{i}@example.org\n")  # only now is the registration acknowledged
            acked.flush()


def test_sigkill_while_registering_volunteers_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"

    def check_torn_state() -> None:
        assert all(_valid_volunteer(v) for v in read_roster(path).values())

    kills, killed_mid_write, tears, injected = _run_rounds(roster_writer, path, tmp_path, check_torn_state)
    add_volunteer(path, _volunteer(999, 0, 10))  # the next append repairs the last tear
    roster = read_roster(path)
    acked = [e for log in tmp_path.glob("log-*") for e in _acknowledged(log)]
    missing = [e for e in acked if e not in roster]
    assert missing == [], f"{len(missing)} acknowledged registrations are missing"
    assert all(_valid_volunteer(v) for v in roster.values())  # no torn row read as data
    with open(path, encoding="utf-8", newline="") as fh:  # every line whole, with all five fields
        rows = list(csv.reader(fh))
    assert rows[0] == ["email", "first_name", "last_name", "zip", "registered_at"]
    assert all(_valid_volunteer(Volunteer(*r)) for r in rows[1:]) and len(rows) - 1 >= len(acked)
    _tears_set_aside(path, injected, tears, killed_mid_write)
    figures.record("crash (roster)", f"{kills} SIGKILLs while registering survived; {len(roster):,} volunteers on file, "
                   f"{len(acked):,} acknowledged, 0 lost; {killed_mid_write} rows torn by a kill and "
                   f"{len(injected)} injected (up to 200 KB) set aside to volunteers.csv.torn, none read as data")


def _tears_set_aside(path: Path, injected: list[bytes], tears: int, killed_mid_write: int) -> None:
    """Every tear (injected, or made by a kill) was moved to the file's .torn file; some kill did land mid-write."""
    torn = torn_path(path).read_bytes()
    assert all(f in torn for f in injected)
    assert torn.count(b"\n") >= tears  # each tear set aside (a kill during the move may copy one twice)
    assert killed_mid_write > 0, "no kill landed mid-write: the suite did not test what it claims"


# -- the do-not-call list -------------------------------------------------------------------------

def _phone(seed: int, i: int) -> str:
    return f"+1{200 + seed:03d}{i:07d}"


def _reason(size: int) -> str:
    return f"r{size}:" + "x" * size


def _valid_entry(e) -> bool:
    if e.source == "undo":
        return e.reason == "undone call" and e.row_id == "c" + e.phone
    m = re.fullmatch(r"r(\d+):(x*)", e.reason)
    return (bool(m) and len(m[2]) == int(m[1]) and e.source == "call" and e.row_id == "c" + e.phone
            and re.fullmatch(r"\+1\d{10}", e.phone) is not None and e.added_at == NOW)


def dnc_writer(path: str, log: str, seed: int, long_row, long_size: int) -> None:
    rng = random.Random(seed)
    i = 0
    mine: list[str] = []
    with open(log, "a") as acked:
        for n in range(10**6):
            batch = [_phone(seed, i + k) for k in range(rng.choice((1, 1, 3, 10)))]
            i += len(batch)
            sizes = [_size(rng, n, long_size)] + [rng.choice(SIZES) for _ in batch[1:]]
            rows = [(p, NOW, "call", _reason(size), "c" + p) for p, size in zip(batch, sizes, strict=True)]
            if n == 3:
                long_row.set()
            append_dnc(Path(path), rows)
            acked.write("".join(f"add {p}\n" for p in batch))  # acknowledged
            acked.flush()
            mine += batch
            if rng.random() < 0.2:
                phone = rng.choice(mine)
                acked.write(f"try {phone}\n")  # an undo that may or may not be saved
                acked.flush()
                remove_dnc_for_call(Path(path), phone, "c" + phone, NOW)
                acked.write(f"removed {phone}\n")
                acked.flush()


def test_sigkill_while_adding_to_the_do_not_call_list_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"

    def check_torn_state() -> None:
        assert all(_valid_entry(e) for e in read_dnc_entries(path))

    kills, killed_mid_write, tears, injected = _run_rounds(dnc_writer, path, tmp_path, check_torn_state)
    append_dnc(path, [("+19999999999", NOW, "call", _reason(3), "c+19999999999")])  # repairs the last tear
    entries = read_dnc_entries(path)
    assert all(_valid_entry(e) for e in entries)  # no torn row read as data
    listed = read_dnc(path)
    log = [line.split() for f in tmp_path.glob("log-*") for line in _acknowledged(f)]
    added = {p for op, p in log if op == "add"}
    tried = {p for op, p in log if op == "try"}
    removed = {p for op, p in log if op == "removed"}
    missing = added - tried - listed
    assert missing == set(), f"{len(missing)} acknowledged do-not-call numbers are missing"
    assert removed & listed == set(), "a number taken back by an acknowledged undo is still listed"
    with open(path, encoding="utf-8", newline="") as fh:  # every line whole
        rows = list(csv.reader(fh))
    assert rows[0] == ["phone", "added_at", "source", "reason", "row_id"] and all(len(r) == 5 for r in rows)
    _tears_set_aside(path, injected, tears, killed_mid_write)
    figures.record("crash (do-not-call)", f"{kills} SIGKILLs while adding and undoing survived; {len(entries):,} rows "
                   f"on file, {len(added):,} numbers and {len(removed):,} undos acknowledged, 0 lost; "
                   f"{killed_mid_write} rows torn by a kill and {len(injected)} injected (up to 200 KB) set aside to "
                   "do-not-call.csv.torn, none read as data")


# -- results: a torn tail longer than the old 64 KiB scan ------------------------------------------

def test_results_torn_tail_over_64_kib_is_set_aside_without_moving_earlier_rows(tmp_path: Path) -> None:
    store = CsvResultsStore(tmp_path / "results")
    rows = [ResultRow(recorded_at=NOW, volunteer="ana@example.org", list="t", voter_id=f"V{i}", phone="+12135550101",
                      code="not_home", note=f"note {i}") for i in range(100)]
    path = None
    for row in rows:
        path = store.append(row)
    before = path.read_bytes()
    fragment = b"deadbeef0000,2017-03-20T18:00:00-07:00,ana@example.org,t,V999,+12135550101,not_home,,'" + b"n" * 300_000
    with open(path, "ab") as fh:
        fh.write(fragment)
    problems = ReadProblems()
    got, _ = read_results_file(path, problems)
    assert [r.row_id for r in got] == [r.row_id for r in rows] and problems.torn == [str(path)]
    last = ResultRow(recorded_at=NOW, volunteer="ana@example.org", list="t", voter_id="V100", phone="+12135550101",
                     code="supporter")
    store.append(last)
    assert path.read_bytes().startswith(before)  # no earlier whole row moved
    assert torn_path(path).read_bytes() == fragment + b"\n"
    problems = ReadProblems()
    got, _ = read_results_file(path, problems)
    assert [r.row_id for r in got] == [r.row_id for r in rows] + [last.row_id]
    assert problems.torn == [] and problems.bad == []
