"""Benchmark the volunteer's path: time to the first voter, next voter, saving a call.

    python benchmarks/bench_call.py [--voters 1000000] [--results 100000] [--steps 2000]

Prints, for the shipped sample list and for a generated big list (in benchmarks/data/, reused between
runs): whole-command time until `phonebank call` has shown the first voter (median of runs, plain mode,
quitting at once), next-voter and save costs measured in-process, each beside a baseline measured in
the same run (a bare `python -c "import click"` process; a bare open+flock+write+fsync append).
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
NOW = "2017-03-20T18:00:00-07:00"
sys.path.insert(0, str(REPO))

from benchkit import bench_env, sizes, warm_runs  # noqa: E402

from phonebank.lists import canonical_columns  # noqa: E402
from phonebank.results import HEADER_LINE, ResultRow, row_to_line  # noqa: E402
from phonebank.roster import Volunteer, add_volunteer  # noqa: E402
from phonebank.script import load_script  # noqa: E402
from phonebank.store.files import FileStore  # noqa: E402
from phonebank.workspace import Workspace  # noqa: E402

EXE = str(Path(sys.executable).parent / "phonebank")


def median_run(cmd: list[str], stdin: str, env: dict, runs: int) -> tuple[float, float]:
    """(median, best) wall seconds of ``runs`` warm runs of ``cmd``."""
    times = [r.wall for r in warm_runs(cmd, env, runs, stdin)]
    return statistics.median(times), min(times)


def make_workspace(root: Path, voters: int, results: int) -> Workspace:
    stamp = root / f".built-{voters}-{results}"
    ws = Workspace(root)
    if stamp.exists():
        return ws
    shutil.rmtree(root, ignore_errors=True)
    (root / "lists").mkdir(parents=True)
    (root / "results" / "big").mkdir(parents=True)
    shutil.copy(REPO / "scripts.yaml", root / "scripts.yaml")
    rng = random.Random(7)
    firsts = ["María", "José", "Ana", "Luis", "Grace", "Arman", "Jun", "Elena", "Carlos", "Rosa"]
    lasts = ["García", "Hernández", "López", "Kim", "Petrosyan", "Nguyen", "Martínez", "Chen", "Reyes"]
    cols = canonical_columns(2)
    with open(ws.list_path("big"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i in range(voters):
            p1 = f"+1213{2000000 + i:07d}"
            p2 = f"+1323{2000000 + i:07d}" if i % 3 == 0 else ""
            w.writerow([f"V{i:07d}", rng.choice(firsts), rng.choice(lasts), p1, p2, "90033", "Los Angeles", "CA",
                        "es" if i % 4 == 0 else "en", str(18 + i % 70), "D", "van", str(i)])
    codes = ["supporter", "undecided", "not_home", "moved", "refused", "left_message"]
    la = ZoneInfo("America/Los_Angeles")
    start = dt.datetime(2017, 3, 1, 17, 0, tzinfo=la)
    with open(root / "results" / "big" / "bench@example.org.csv", "wb") as fh:
        fh.write(HEADER_LINE.encode())
        for i in range(results):
            at = (start + dt.timedelta(seconds=5 * i)).isoformat()
            fh.write(row_to_line(ResultRow(recorded_at=at, volunteer="bench@example.org", list="big",
                                           voter_id=f"V{i:07d}", phone=f"+1213{2000000 + i:07d}",
                                           code=rng.choice(codes))))
    add_volunteer(ws.roster_path, Volunteer("bench@example.org", "Bench", "Mark", "90033", NOW))
    stamp.touch()
    return ws


def baseline_append(path: Path, n: int) -> float:
    line = b"x" * 90 + b"\n"
    t = time.perf_counter()
    for _ in range(n):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return (time.perf_counter() - t) / n


def main() -> None:
    args = sizes(__doc__, voters=1_000_000, results=100_000, steps=2000, runs=7)
    env = bench_env(NOW)

    base, _ = median_run([sys.executable, "-c", "import click"], "", env, args.runs)
    print(f"baseline: python -c 'import click' process            {base * 1000:7.1f} ms")

    # 1. the shipped sample list
    sample = Path(tempfile.mkdtemp()) / "sample"
    shutil.copytree(REPO, sample, ignore=shutil.ignore_patterns(".git", ".phonebank", "results", "benchmarks",
                                                                  "tests", "*.egg-info", "__pycache__"))
    (sample / "results").mkdir(exist_ok=True)
    add_volunteer(sample / "volunteers.csv", Volunteer("bench@example.org", "Bench", "Mark", "90033", NOW))
    cmd = [EXE, "call", "--workspace", str(sample), "--email", "bench@example.org", "--plain"]
    names = Workspace(sample).list_names()
    cmd += ["--list", "ca34-sample" if "ca34-sample" in names else (names or ["?"])[0]]
    first, best = median_run(cmd, "q\n", env, args.runs) if names else (float("nan"), float("nan"))
    print(f"sample list: `phonebank call` to first voter and out    {first * 1000:7.1f} ms (min {best * 1000:.1f}) "
          f"= {first / base:.2f}x the baseline   [target < 150 ms]")

    try:  # the interactive (questionary) session in a real pseudo-terminal: time until the voter is on screen
        import pexpect

        with open(sample / "lists" / "ca34-sample.csv", encoding="utf-8") as fh:
            first_name = next(csv.DictReader(fh))["first_name"]
        times = []
        for _ in range(args.runs + 1):
            t = time.perf_counter()
            child = pexpect.spawn(EXE, ["call", "--workspace", str(sample), "--email", "bench@example.org",
                                        "--list", "ca34-sample"],
                                  env={**env, "PROMPT_TOOLKIT_NO_CPR": "1"}, encoding="utf-8", timeout=20)
            child.expect(first_name)
            times.append(time.perf_counter() - t)
            child.terminate(force=True)
        inter = statistics.median(times[1:])
        print(f"sample list: interactive `phonebank call`, voter on screen {inter * 1000:7.1f} ms "
              f"= {inter / base:.2f}x the baseline   (questionary loads after)")
    except ImportError:
        pass

    # 2. a big list with results already recorded
    root = DATA / "callbench"
    t = time.perf_counter()
    ws = make_workspace(root, args.voters, args.results)
    print(f"big workspace: {args.voters:,} voters, {args.results:,} results (generated in {time.perf_counter() - t:.1f} s)")
    shutil.rmtree(root / ".phonebank", ignore_errors=True)
    big_cmd = [EXE, "call", "--workspace", str(root), "--email", "bench@example.org", "--plain", "--list", "big"]
    t = time.perf_counter()
    subprocess.run(big_cmd, input="q\n", capture_output=True, text=True, env=env, check=True)
    print(f"big list: first run, builds the index from the CSVs     {time.perf_counter() - t:7.2f} s   (once per list/script change)")
    first, best = median_run(big_cmd, "q\n", env, args.runs)
    print(f"big list: `phonebank call` to first voter and out       {first * 1000:7.1f} ms (min {best * 1000:.1f}) "
          f"= {first / base:.2f}x the baseline   [target < 1 s]")

    # 3. in-process: next voter and save
    script = load_script(ws.script_path)
    clock_now = dt.datetime.fromisoformat(NOW)
    queue = FileStore(ws, script, "big", lambda: clock_now)
    nexts, saves = [], []
    for i in range(args.steps):
        t = time.perf_counter()
        offer = queue.next_voter("bench@example.org")
        t2 = time.perf_counter()
        queue.save(ResultRow(recorded_at=NOW, volunteer="bench@example.org", list="big", voter_id=offer.voter_id,
                               phone=offer.phones[0], code="supporter" if i % 2 else "not_home"), offer.hold)
        t3 = time.perf_counter()
        queue.release(offer.hold)
        nexts.append(t2 - t)
        saves.append(t3 - t2)
    tmp = Path(tempfile.mkdtemp()) / "append.csv"
    append = baseline_append(tmp, args.steps)
    q = statistics.quantiles
    print(f"next voter (claim, in-process), {args.steps} steps:        median {statistics.median(nexts) * 1000:6.2f} ms, "
          f"p95 {q(nexts, n=20)[18] * 1000:6.2f} ms   [target < 10 ms]")
    print(f"save a call (append+fsync+index), {args.steps} steps:      median {statistics.median(saves) * 1000:6.2f} ms, "
          f"p95 {q(saves, n=20)[18] * 1000:6.2f} ms")
    print(f"baseline: bare open+flock+write+fsync+close append:     {append * 1000:6.2f} ms   "
          f"-> save costs {max(0.0, statistics.median(saves) - append) * 1000:.2f} ms beyond the fsync "
          f"({statistics.median(saves) / append:.2f}x)   [target < 5 ms + fsync]")
    # leave the big workspace's results as they were for the next run
    (root / "results" / "big" / "bench@example.org.csv").unlink()
    (root / f".built-{args.voters}-{args.results}").unlink()


if __name__ == "__main__":
    main()
