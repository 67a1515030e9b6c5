"""Benchmark `phonebank import` against a bare `pandas.read_csv` of the same file, in the same run.

    python benchmarks/bench_import.py [--sizes 1000000,5700000] [--runs 3]

Generates the synthetic voter files into benchmarks/data/ (gitignored) on first use, then times
whole processes — interpreter start, imports, work — and reads each one's peak RSS from the kernel
(wait4). Targets: 1M rows <= 5 s and <= 1 GB; 5.7M rows (LA County) <= 30 s and <= 2.5 GB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parent
TARGETS = {1_000_000: (5.0, 1024), 5_700_000: (30.0, 2560)}  # seconds, MB

BASELINE = "import sys, pandas; pandas.read_csv(sys.argv[1])"
IMPORT = "import sys; from phonebank.cli import main; sys.argv[0] = 'phonebank'; main()"


def voter_file(rows: int) -> Path:
    """The synthetic file with ``rows`` rows: 1M generated, larger sizes repeat it with new IDs."""
    sys.path.insert(0, str(HERE))
    import make_voter_file

    base = DATA / "voters_1m.csv"
    if not base.exists():
        print(f"generating {base} ...", flush=True)
        make_voter_file.write(1_000_000, base)
    if rows == 1_000_000:
        return base
    path = DATA / f"voters_{rows}.csv"
    if path.exists():
        return path
    print(f"generating {path} ...", flush=True)
    if rows < 1_000_000:
        return make_voter_file.write(rows, path)
    with open(base, encoding="utf-8") as fh:
        header, *lines = fh.readlines()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(header)
        written, copy = 0, 0
        while written < rows:
            take = lines[: rows - written]
            out.writelines(take if copy == 0 else (f"{copy}{line}" for line in take))  # new VANIDs
            written, copy = written + len(take), copy + 1
    tmp.replace(path)
    return path


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"failed: {' '.join(argv)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def workspace() -> Path:
    ws = DATA / "ws"
    (ws / "lists").mkdir(parents=True, exist_ok=True)
    (ws / "results").mkdir(exist_ok=True)
    shutil.copy(REPO / "scripts.yaml", ws / "scripts.yaml")
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5700000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ws = workspace()
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")
    for rows in (int(s) for s in args.sizes.split(",")):
        path = voter_file(rows)
        runs = args.runs if rows <= 1_000_000 else 1
        base, imp = [], []
        for _ in range(runs):  # alternate, so both see the same machine
            base.append(measure([sys.executable, "-c", BASELINE, str(path)]))
            imp.append(measure([sys.executable, "-c", IMPORT, "--workspace", str(ws), "import", str(path),
                                "--list", "bench", "--replace"]))
        bw, bm = statistics.median(w for w, _ in base), max(m for _, m in base)
        iw, im = statistics.median(w for w, _ in imp), max(m for _, m in imp)
        target_s, target_mb = TARGETS.get(rows, (float("nan"), float("nan")))
        size_mb = path.stat().st_size / 2**20
        print(f"\n{rows:,} rows ({size_mb:,.0f} MB), median of {runs} run(s), whole process incl. start-up:")
        print(f"  pandas.read_csv   {bw:6.2f} s  {bm:6.0f} MB peak")
        print(f"  phonebank import  {iw:6.2f} s  {im:6.0f} MB peak   = {iw / bw:.1f}x time, {im / bm:.1f}x memory "
              f"of read_csv   (target <= {target_s:g} s, <= {target_mb:g} MB: "
              f"{'met' if iw <= target_s and im <= target_mb else 'NOT met'})")
        print(f"  all runs: read_csv {[round(w, 2) for w, _ in base]} s, import {[round(w, 2) for w, _ in imp]} s")
    print(f"\nload average at end {os.getloadavg()[0]:.2f} (above ~0.5 means other work shared the cores)")


if __name__ == "__main__":
    main()
