"""Benchmark `phonebank export van` over 1,000,000 result rows: whole processes, time and peak memory,
beside a pandas baseline measured in the same run.

    python benchmarks/bench_export.py [--rows 1000000] [--voters 400000] [--volunteers 60] [--runs 3]

The workspace is bench_report's generator (a list of VOTERS synthetic voters, ROWS result rows over
VOLUNTEERS files, 80% of the voters with a VAN ID) in benchmarks/data/export-ws/, with scripts.yaml
mapping every code the generator writes (its renamed code included) and the API layout's ids. Each
figure is the median of RUNS new processes; peak memory is the process's maximum resident set
(``os.wait4``).

* baseline: one plain pandas pass in a new process — every results file read with
  ``pandas.read_csv(engine="pyarrow")``, the list's IDs read the same way and merged in, undo rows
  dropped, codes mapped to VAN result names, local dates formatted, phones cut to 10 digits, written
  with ``DataFrame.to_csv`` — one row per call, as the export writes;
* ``phonebank export van`` (wizard layout), cold (no report cache: every row parsed) and warm (the rows
  and the list's ID columns parsed by an earlier export reused; the list cache is not rewritten) —
  target <= 1.5x the baseline and < 1 GB;
* ``phonebank export van --layout api`` warm, for comparison.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
NOW = "2017-04-03T18:00:00-07:00"
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from benchkit import run_process, sizes  # noqa: E402

EXE = str(Path(sys.executable).parent / "phonebank")
EXTRA_CODE = """  - {id: old_renamed_code, effect: final, van_result: Moved, van_result_id: 5, pdi_flag: MOV,
     label: {en: Renamed code, es: Código renombrado}}
"""
EDITS = [("van_result: Wrong Number,", "van_result: Wrong Number, van_result_id: 9001,"),
         ("van_result: Left Message,", "van_result: Left Message, van_result_id: 9002,"),
         ("van_result: Spanish,", "van_result: Spanish, van_result_id: 9003,"),
         ("  van_contact_type: Phone\n", "  van_contact_type: Phone\n  van_canvassed_by: 987\n"),
         ("\nexport:\n", "\n" + EXTRA_CODE + "\nexport:\n")]

BASELINE = r'''
import csv, sys
from pathlib import Path
import pandas as pd
root, out = Path(sys.argv[1]), sys.argv[2]
NAMES = {"not_home": "Not Home", "left_message": "Left Message", "busy": "Busy", "wrong_number": "Wrong Number",
         "disconnected": "Disconnected", "refused": "Refused", "call_back": "Call Back", "moved": "Moved",
         "deceased": "Deceased", "language_spanish": "Spanish", "do_not_call": "Do Not Call",
         "old_renamed_code": "Moved", "supporter": "", "undecided": "", "other_candidate": ""}
files = sorted((root / "results" / "big").glob("*.csv"))
COLUMNS = sys.argv[3].split(",")  # the columns of results files today (header skipped)
calls = pd.concat([pd.read_csv(f, engine="pyarrow", dtype=str, header=None, skiprows=1, names=COLUMNS)
                   for f in files], ignore_index=True)
voters = pd.read_csv(root / "lists" / "big.csv", engine="pyarrow", dtype=str,
                     usecols=["voter_id", "source_system", "source_id"])
voters = voters[voters["source_system"] == "van"]
undone = set(calls.loc[calls["code"] == "undo", "undoes"])
calls = calls[(calls["code"] != "undo") & ~calls["row_id"].isin(undone)]
calls = calls.merge(voters, on="voter_id")
calls["when"] = pd.to_datetime(calls["recorded_at"], utc=True, format="ISO8601")
calls = calls.sort_values(["voter_id", "when"], kind="stable")
out_frame = pd.DataFrame({
    "Voter File VANID": calls["source_id"],
    "Date Contacted": calls["when"].dt.tz_convert("America/Los_Angeles").dt.strftime("%Y-%m-%d"),
    "Phone Number": calls["phone"].str.replace(r"^\+1", "", regex=True),
    "Canvass Result": calls["code"].map(NAMES),
})
out_frame.to_csv(out, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
'''


def make_workspace(rows: int, voters: int, volunteers: int) -> Path:
    import bench_report

    root = DATA / "export-ws"
    bench_report.make_workspace(root, rows, voters, volunteers)
    script = root / "scripts.yaml"
    text = (REPO / "scripts.yaml").read_text(encoding="utf-8")
    for old, new in EDITS:
        assert old in text, old
        text = text.replace(old, new)
    if not script.exists() or script.read_text(encoding="utf-8") != text:
        script.write_text(text, encoding="utf-8")
    return root


def measure(argv: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stderr of one new process."""
    got = run_process(argv, env)
    return got.wall, int(got.rss_mb * 1024 * 1024), got.stderr


def median(runs: list[tuple[float, int, str]]) -> tuple[float, int]:
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    args = sizes(__doc__, rows=1_000_000, voters=400_000, volunteers=60, runs=3)
    t0 = time.perf_counter()
    root = make_workspace(args.rows, args.voters, args.volunteers)
    print(f"workspace {root} ready in {time.perf_counter() - t0:.1f} s")
    files = sorted((root / "results" / "big").glob("*.csv"))
    size = sum(p.stat().st_size for p in files)
    print(f"results: {args.rows:,} rows in {len(files)} files, {size / 1e6:.0f} MB; list: {args.voters:,} voters")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)")
    env = dict(os.environ, PHONEBANK_NOW=NOW)
    cache = root / ".phonebank" / "report"
    out_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        out = str(out_dir / "out.csv")
        export = [EXE, "--workspace", str(root), "export", "van", "--list", "big", "--output", out]
        from phonebank.results import RESULT_COLUMNS

        baseline = [sys.executable, "-c", BASELINE, str(root), str(out_dir / "base.csv"), ",".join(RESULT_COLUMNS)]
        base_runs, cold_runs, warm_runs, api_runs = [], [], [], []
        for _ in range(args.runs):  # interleaved, so a busy moment hits every variant alike
            base_runs.append(measure(baseline, env))
            shutil.rmtree(cache, ignore_errors=True)
            cold_runs.append(measure(export, env))
            lists_before = {p: p.stat().st_mtime_ns for p in cache.glob("list-*.arrow")}
            warm_runs.append(measure(export, env))
            lists_after = {p: p.stat().st_mtime_ns for p in cache.glob("list-*.arrow")}
            api_runs.append(measure([*export, "--layout", "api"], env))
        rewritten = lists_before != lists_after
        rows_out = sum(1 for _ in open(out, encoding="utf-8")) - 1
        base_rows = sum(1 for _ in open(out_dir / "base.csv", encoding="utf-8")) - 1
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    base_t, base_m = median(base_runs)
    mb = 1 << 20
    print(f"rows written: export {rows_out:,}, baseline {base_rows:,}")
    print(f"baseline (pandas pass, new process):     {base_t:6.2f} s   peak {base_m / mb:6.0f} MB")
    for label, runs in (("export van, cold cache", cold_runs), ("export van, warm cache", warm_runs),
                        ("export van --layout api, warm", api_runs)):
        t, m = median(runs)
        print(f"{label + ':':<40} {t:6.2f} s   peak {m / mb:6.0f} MB   ratio {t / base_t:.2f}x"
              + ("   target <= 1.5x, < 1024 MB" if "warm cache" in label else ""))
    print(f"list cache rewritten by a warm export: {'yes' if rewritten else 'no'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
