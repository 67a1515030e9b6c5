"""Benchmark `phonebank import` beside a bare `pandas.read_csv` of the same file, in the same run.

    python benchmarks/bench_import.py [--sizes 100000,1000000] [--layouts van,nc,utf16] [--runs 3]
                                      [--data /tmp/phonebank-bench] [--trees /tmp/old-tree,.]

Layouts (``make_voter_file.py``): ``van`` (UTF-8, comma, 16 columns), ``nc`` (the North Carolina
statewide file: 71 columns, tab, every field quoted, Windows-1252), ``utf16`` (the VAN columns as
VAN's report download: UTF-16, tab). Files are generated into --data (never into the repository) on
first use. Every figure is a whole process — interpreter start, imports, work — with its wall time,
CPU time (user + system, from wait4, all threads) and peak RSS (wait4). Three processes are timed
per case, in turn, so all see the same machine:

* ``read_csv``: ``pandas.read_csv(path, sep=..., encoding=...)`` of the same file (the baseline);
* ``pipeline``: the import itself, ``run_import`` (read, map, phones, IDs, rejects, list written), with numpy's
  OpenBLAS on one thread as the ``phonebank`` command sets it (else it spins a thread: 4% of the CPU);
* ``command``: ``phonebank import`` as an organizer runs it — the pipeline, then the calling index
  (the file store's SQLite index, so the first volunteer sees a voter at once).

``--trees``: the pipeline and the command of each tree of the code (run with ``PYTHONPATH`` set to it,
each in its own workspace), in turn with the same ``read_csv`` — a before/after comparison in one run.

Targets (issue 13): the import at most 2x the time of ``read_csv`` and at most its peak memory, at
every size and layout. Medians of --runs (1 run above 1M rows); the ratios are the point, since the
machine's two cores are shared.
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
REPO = HERE.parent
LAYOUTS = {"van": ("utf-8", ","), "nc": ("cp1252", "\t"), "utf16": ("utf-16", "\t")}

BASELINE = "import sys, pandas; pandas.read_csv(sys.argv[1], sep=sys.argv[2], encoding=sys.argv[3])"
PIPELINE = ("import os, sys; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); "  # as `phonebank` sets it
            "from pathlib import Path; from phonebank.workspace import Workspace; "
            "from phonebank.importer import run_import; "
            "run_import(Workspace(Path(sys.argv[1])), Path(sys.argv[2]), 'bench', replace=True, prepare_calling=False)")
COMMAND = "import sys; from phonebank.cli import main; sys.argv[0] = 'phonebank'; main()"


def voter_file(data: Path, layout: str, rows: int) -> Path:
    """The synthetic file of ``layout`` with ``rows`` rows (generated once)."""
    sys.path.insert(0, str(HERE))
    import make_voter_file

    path = data / f"{layout}-{rows}.txt"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        make_voter_file.write(rows, path, layout=layout)
    return path


def measure(argv: list[str], tree: Path | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one whole process; ``tree``: the phonebank code it runs
    (``python -c`` looks in the current folder first, then PYTHONPATH: both are set to the tree)."""
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tree)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"failed: {' '.join(argv)}\n{proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def workspace(data: Path, name: str = "ws") -> Path:
    ws = data / name
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "lists").mkdir(parents=True)
    (ws / "results").mkdir()
    shutil.copy(REPO / "scripts.yaml", ws / "scripts.yaml")
    return ws


def summary(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--layouts", default="van,nc,utf16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/phonebank-bench"))
    parser.add_argument("--trees", default="", help="comma-separated source trees to compare (default: this one)")
    args = parser.parse_args()
    trees = [Path(t).resolve() for t in args.trees.split(",") if t] or [REPO]
    spaces = [workspace(args.data, "ws" if len(trees) == 1 else f"ws-{i}") for i in range(len(trees))]
    exe = sys.executable
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")
    for i, tree in enumerate(trees):
        print(f"tree {i}: {tree}")
    print("| layout | rows | MB | read_csv s (CPU) | MB | tree | pipeline s (CPU) | MB | ratio (CPU) [memory] "
          "| command s (CPU) | MB | ratio (CPU) [memory] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in (int(s) for s in args.sizes.split(",")):
        for layout in args.layouts.split(","):
            encoding, sep = LAYOUTS[layout]
            path = voter_file(args.data, layout, rows)
            runs = args.runs if rows <= 1_000_000 else 1
            base: list = []
            pipe: list[list] = [[] for _ in trees]
            cmd: list[list] = [[] for _ in trees]
            for _ in range(runs):  # in turn, so all see the same machine
                base.append(measure([exe, "-c", BASELINE, str(path), sep, encoding]))
                for i, (tree, ws) in enumerate(zip(trees, spaces, strict=True)):
                    pipe[i].append(measure([exe, "-c", PIPELINE, str(ws), str(path)], tree))
                    cmd[i].append(measure([exe, "-c", COMMAND, "--workspace", str(ws), "import", str(path), "--list",
                                           "bench", "--replace"], tree))
            bw, bc, bm = summary(base)
            for i in range(len(trees)):
                (pw, pc, pm), (cw, cc, cm) = summary(pipe[i]), summary(cmd[i])
                print(f"| {layout} | {rows:,} | {path.stat().st_size / 2**20:,.0f} | {bw:.2f} ({bc:.2f}) | {bm:,.0f} "
                      f"| {i} | {pw:.2f} ({pc:.2f}) | {pm:,.0f} | {pw / bw:.1f}x ({pc / bc:.1f}x) [{pm / bm:.2f}x] "
                      f"| {cw:.2f} ({cc:.2f}) | {cm:,.0f} | {cw / bw:.1f}x ({cc / bc:.1f}x) [{cm / bm:.2f}x] |",
                      flush=True)
    print(f"\nmedians of {args.runs} runs (1 above 1M rows); MB = peak RSS; ratio = phonebank / read_csv, wall (CPU) "
          "[peak memory]")
    print(f"load average at end {os.getloadavg()[0]:.2f} (above ~0.5, other work shared the two cores)")


if __name__ == "__main__":
    main()
