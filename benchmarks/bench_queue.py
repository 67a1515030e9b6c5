"""Benchmark what a volunteer waits for, as whole processes, at campaign scale.

    python benchmarks/bench_queue.py [--voters 1000000] [--files 1000] [--calls 200] [--skips 500]

1. `phonebank import` of a generated VAN export of --voters rows (it builds the calling index), and the
   index build's share of it — beside the import's own time (the build must cost at most that).
2. The first `phonebank call` right after that import: until the first voter is on screen and the
   volunteer quits — beside a bare `python -c "import click"` process (the same-run baseline).
3. Next voter + save with --files volunteers' results files in the list: `phonebank call --plain` coding
   --calls calls (not home) in one process, minus the same process coding none, per call — wall and CPU
   time — beside a bare open+flock+write+fsync append (the floor every durable save pays).
4. The same after --skips skips in the session.

Data is generated under benchmarks/data/ (ignored by git) and reused between runs.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
NOW = "2017-03-20T18:00:00-07:00"
EXE = str(Path(sys.executable).parent / "phonebank")
CALL = "n\n\ns\n"  # not home, no note, save

from benchkit import bench_env, run_process, sizes, warm_runs  # noqa: E402


def run(cmd: list[str], stdin: str, env: dict) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one whole process."""
    got = run_process(cmd, env, stdin, ok=(0, 130))
    return got.wall, got.cpu, got.stdout


def median_of(runs: int, cmd: list[str], stdin: str, env: dict) -> tuple[float, float]:
    got = warm_runs(cmd, env, runs, stdin, ok=(0, 130))
    return statistics.median(g.wall for g in got), statistics.median(g.cpu for g in got)


def append_baseline(n: int) -> float:
    """A bare open+flock+write+fsync+close append (bench_call's baseline), seconds each."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_call import baseline_append

    return baseline_append(Path(tempfile.mkdtemp()) / "append.csv", n)


def results_files(ws: Path, files: int, voter_ids: list[str]) -> None:
    """``files`` volunteers' results files, 20 calls each, on voters far down the list."""
    sys.path.insert(0, str(REPO))
    from phonebank.results import HEADER_LINE, ResultRow, row_to_line

    folder = ws / "results" / "big"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    at = 0
    for f in range(files):
        email = f"vol{f:04d}@example.org"
        with open(folder / f"{email}.csv", "wb") as fh:
            fh.write(HEADER_LINE.encode())
            for _ in range(20):
                fh.write(row_to_line(ResultRow(recorded_at="2017-03-19T18:00:00-07:00", volunteer=email, list="big",
                                               voter_id=voter_ids[-1 - at], phone="+12135550100", code="moved")))
                at += 1


def main() -> None:
    args = sizes(__doc__, voters=1_000_000, files=1000, calls=200, skips=500, runs=3)
    env = bench_env(NOW)

    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / f"van-{args.voters}.csv"
    if not source.exists():
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_voter_file.py"), str(args.voters), str(source)],
                       check=True)
    ws = DATA / "queuebench"
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run([EXE, "init", str(ws)], check=True, capture_output=True, env=env)
    shutil.rmtree(ws / "lists")
    (ws / "lists").mkdir()
    sys.path.insert(0, str(REPO))
    from phonebank.roster import Volunteer, add_volunteer

    add_volunteer(ws / "volunteers.csv", Volunteer("bench@example.org", "Bench", "Mark", "90033", NOW))

    base, base_cpu = median_of(args.runs, [sys.executable, "-c", "import click"], "", env)
    print(f"baseline: `python -c 'import click'` process           {base * 1000:8.1f} ms")

    only = ("import sys; from pathlib import Path; from phonebank.importer import run_import; "
            "from phonebank.workspace import Workspace; "
            "run_import(Workspace(Path(sys.argv[1])), Path(sys.argv[2]), 'big', replace=True, prepare_calling=False)")
    own, _, _ = run([sys.executable, "-c", only, str(ws), str(source)], "", env)  # baseline: the import alone
    wall, _, out = run([EXE, "import", "--workspace", str(ws), str(source), "--list", "big", "--replace"], "", env)
    built = float(re.search(r"built in ([\d.]+) s", out).group(1))
    print(f"1. import of {args.voters:,} voters, the import alone (baseline)  {own:8.2f} s")
    print(f"   `phonebank import`, calling index included         {wall:8.2f} s: the index costs {wall - own:.2f} s "
          f"= {(wall - own) / own:.2f}x the import's own time   [target <= 1x] ({built:.2f} s after the list is written)")

    call = [EXE, "call", "--workspace", str(ws), "--email", "bench@example.org", "--plain", "--list", "big"]
    first = run(call, "q\n", env)[0]
    print(f"2. first `phonebank call` after the import, voter shown  {first * 1000:8.1f} ms = {first / base:.1f}x the "
          "baseline   [target < 1 s]")

    ids = [line.split(",", 1)[0] for line in (ws / "lists" / "big.csv").read_text(encoding="utf-8").splitlines()[1:]]
    results_files(ws, args.files, ids)
    run(call, "q\n", env)  # reads the new files once (as any first session after they were written)
    floor = append_baseline(args.calls)
    zero_wall, zero_cpu = median_of(args.runs, call, "q\n", env)
    many_wall, many_cpu = median_of(args.runs, call, CALL * args.calls + "q\n", env)
    per_wall = (many_wall - zero_wall) / args.calls
    per_cpu = (many_cpu - zero_cpu) / args.calls
    print(f"3. next voter + save, {args.files:,} results files in the list: per call {per_wall * 1000:6.2f} ms wall, "
          f"{per_cpu * 1000:6.2f} ms CPU   [target < 10 ms]")
    print(f"   baseline: bare open+flock+write+fsync append           {floor * 1000:6.2f} ms "
          f"-> a call costs {per_wall / floor:.1f}x one durable append")
    skip = "k\n" * args.skips
    skip_wall, skip_cpu = median_of(args.runs, call, skip + "q\n", env)
    both_wall, both_cpu = median_of(args.runs, call, skip + CALL * args.calls + "q\n", env)
    print(f"4. after {args.skips} skips: next voter + save per call        {(both_wall - skip_wall) / args.calls * 1000:6.2f} ms "
          f"wall, {(both_cpu - skip_cpu) / args.calls * 1000:6.2f} ms CPU   [target < 10 ms]; "
          f"the skips themselves {(skip_wall - zero_wall) / args.skips * 1000:.2f} ms each")
    shutil.rmtree(env["PHONEBANK_HOME"], ignore_errors=True)


if __name__ == "__main__":
    main()
