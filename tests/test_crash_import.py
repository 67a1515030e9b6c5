"""Crash suite for importing: SIGKILL a real `phonebank import --replace` at random moments, 20 times.

Each round replaces an existing list with a big voter file (about a second of work) and kills the
process at a random moment: half the kills at a random time over the whole run (start-up, reading,
cleaning), half just after the temporary output file appears (mid-write, around the rename). A round
where the import finished before the kill does not count: there are 20 real kills. Afterwards the
list is either byte-identical to the previous one or the complete new one, the other list in the
workspace is untouched, nothing left behind is read as a list, leftovers are private, and a
follow-up import succeeds.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from phonebank.lists import read_list
from phonebank.store import voters_static
from phonebank.workspace import Workspace

import figures

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

REPO = Path(__file__).resolve().parent.parent
PHONEBANK = str(Path(sys.executable).with_name("phonebank"))
KILLS = 20
BIG_ROWS = 120_000
NO_PHONE_EVERY = 97  # rows without a phone: the big import writes a rejects file too


def write_big(path: Path) -> tuple[int, int]:
    """A VAN-style export; returns (rows, rows that will be rejected)."""
    rejected = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Voter File VANID,FirstName,LastName,Cell Phone,Home Phone,Zip5,City,Notes\r\n")
        for i in range(BIG_ROWS):
            cell = "" if i % NO_PHONE_EVERY == 0 else f"(213) {5000000 + i:07d}"
            rejected += cell == ""
            home = f"323-555-{i % 10000:04d}" if i % 3 == 0 and cell else ""
            fh.write(f"{1000000 + i},Nombre{i},\"Apellido, {i}\",{cell},{home},9{i % 10000:04d},Los Angeles,"
                     f"note {i}\r\n")
    return BIG_ROWS, rejected


def write_small(path: Path) -> int:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("VANID,FirstName,LastName,Cell Phone\n")
        for i in range(500):
            fh.write(f"{9000 + i},Ana{i},Reyes,818555{i:04d}\n")
    return 500


def phonebank(ws: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([PHONEBANK, "--workspace", str(ws), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


def run_ok(ws: Path, *args: str) -> str:
    proc = phonebank(ws, *args)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert err == b""
    return out.decode()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.endswith((".tmp", ".lock"))}


def temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


def kill_at_random_moment(ws: Path, source: Path, rng: random.Random, whole_run: float, mid_write: bool) -> float:
    """Start the import, SIGKILL it at a random moment; returns when it was killed (seconds)."""
    lists = ws / "lists"
    before_tmp = {p.name for p in temp_files(lists)}
    t0 = time.monotonic()
    proc = phonebank(ws, "import", str(source), "--list", "voters", "--replace")
    try:
        if mid_write:  # wait for the output's temporary file, then kill a little later
            deadline = t0 + 30
            while proc.poll() is None and time.monotonic() < deadline:
                if {p.name for p in temp_files(lists)} - before_tmp:
                    break
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.12))
        else:
            time.sleep(rng.uniform(0.05, whole_run * 1.05))
        killed_at = time.monotonic() - t0
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate(timeout=60)
    return killed_at if proc.returncode == -signal.SIGKILL else -1.0


def test_sigkill_during_import_keeps_the_previous_list(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "lists").mkdir(parents=True)
    (ws / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", ws / "scripts.yaml")
    big, small, other = tmp_path / "big.csv", tmp_path / "small.csv", tmp_path / "other.csv"
    big_rows, big_rejected = write_big(big)
    small_rows = write_small(small)
    shutil.copyfile(small, other)
    lists = ws / "lists"

    # reference outputs, from imports nobody interrupts
    run_ok(ws, "import", str(other), "--list", "other")
    t0 = time.monotonic()
    summary = run_ok(ws, "import", str(big), "--list", "voters")
    whole_run = time.monotonic() - t0
    assert f"imported              {big_rows - big_rejected:>9,}" in summary
    new_list = (lists / "voters.csv").read_bytes()
    new_rejects = (lists / "voters.rejects.csv").read_bytes()
    voters = list(read_list(lists / "voters.csv"))
    assert len(voters) == big_rows - big_rejected
    assert all(v["phones"] and v["phones"][0].startswith("+1") for v in voters)
    del voters
    run_ok(ws, "import", str(small), "--list", "voters", "--replace")
    old_list = (lists / "voters.csv").read_bytes()
    assert not (lists / "voters.rejects.csv").exists()
    other_before = (lists / "other.csv").read_bytes()
    names = Workspace(ws).list_names()
    assert names == ["other", "voters"]

    rng = random.Random(2017)
    outcomes: Counter[str] = Counter()
    killed = rounds = 0
    while killed < KILLS:
        round_, rounds = rounds, rounds + 1
        assert rounds <= KILLS + 10, f"the import kept finishing before the kill: {outcomes}"
        killed_at = kill_at_random_moment(ws, big, rng, whole_run, mid_write=round_ % 2 == 1)
        now = (lists / "voters.csv").read_bytes()
        if killed_at < 0:
            outcome = "finished before the kill"
        elif now == old_list:
            outcome = "previous list intact"
        else:
            outcome = "new list complete"
        assert now in (old_list, new_list), f"round {round_}: lists/voters.csv is torn ({len(now):,} bytes)"
        killed += killed_at >= 0
        outcomes[outcome] += 1
        # the rejects file is the new one, or gone (the previous import had no rejects)
        rejects = lists / "voters.rejects.csv"
        assert not rejects.exists() or rejects.read_bytes() == new_rejects
        assert (lists / "other.csv").read_bytes() == other_before
        assert Workspace(ws).list_names() == names
        index_dir = ws / ".phonebank"
        for leftover in [*temp_files(lists), *index_dir.glob(".*.tmp")]:  # a kill mid-write: hidden, private
            assert leftover.name.startswith("."), leftover
            assert leftover.stat().st_mode & 0o077 == 0, f"{leftover} is readable by others"
        if outcome == "new list complete":
            assert now == new_list  # complete: the exact bytes of the uninterrupted import
        # a follow-up import succeeds and puts the small list back for the next round
        out = run_ok(ws, "import", str(small), "--list", "voters", "--replace")
        assert out.startswith(f"Replaced lists/voters.csv with {small_rows:,} voters")
        assert (lists / "voters.csv").read_bytes() == old_list
        assert not (lists / "voters.rejects.csv").exists()
        assert temp_files(lists) == []  # the next import removed what a killed one left behind
        # the calling index: the import streams it into a hidden file as it reads; what a kill left is
        # private, and the next import's index replaces it (one build of the list, none half-written)
        builds = voters_static.builds_of(Workspace(ws).index_dir, "voters")
        assert [p.name.startswith(".") for p in builds] == [False], [p.name for p in builds]

    assert outcomes["previous list intact"] >= 5, outcomes
    assert sorted(snapshot(lists)) == ["other.csv", "voters.csv"]
    shown = ", ".join(f"{n} {what}" for what, n in outcomes.most_common())
    figures.record("crash (import)", f"{killed} SIGKILLs while importing {big_rows:,} rows survived ({shown}); "
                   f"0 torn lists; every temp file a kill left behind (hidden, 0600) removed by the next import")
