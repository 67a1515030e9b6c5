"""Benchmark `phonebank report` on a 1,000,000-voter list, beside a same-run pandas pass doing the same grouping.

    python benchmarks/bench_report.py [--voters 1000000] [--results 100000,1000000] [--volunteers 600]
                                      [--runs 3] [--append 10] [--data /tmp/phonebank-bench]

Generates (once; reused) a workspace per size in --data (never in the repository): the sample
scripts.yaml, a call list of VOTERS synthetic voters and RESULTS result rows spread over VOLUNTEERS
results files (February-April 2017 in America/Los_Angeles, across the DST change, with undo rows,
call-backs, wrong numbers and survey answers). Every figure is a whole process — interpreter start,
imports, work — with wall time, CPU time (user + system, all threads, from wait4) and peak RSS:

* ``pandas``: the baseline — ``pandas.read_csv(engine="pyarrow")`` of every results file and of the
  list's voter_id, zip, state and phones, then the same grouping: calls per code, per volunteer (calls,
  contacts, talk seconds), per local hour and day, each voter's last call joined to the list;
* ``first``: ``phonebank report --format json`` with the report cache as `phonebank import` leaves it
  (the list is imported with `phonebank import`, which records each voter's zone key for the reports):
  everything a report wrote before is removed, so it parses every results file and the list columns
  it needs, and writes its cache;
* ``warm``: the same command again, nothing changed (the report kept by the first, ``report.memo``);
* ``append``: the same command after APPEND calls more (``--append``, 10 by default, spread over 10
  volunteers' files; every 50th an undo of an earlier call, and first an undo of a call the earlier
  reports counted): the report after new calls (``report.delta``: only the voters the new calls touch
  are folded again). The appended calls are taken back (the files truncated) after the run.

Run it against another tree of the code (before/after, same run) with ``PYTHONPATH=/that/tree``.

Targets (issue 13) for 1M results on a 1M-voter list: first run <= 1 s of work and <= 2 s wall, warm
<= 0.5 s of work; 100k results at most half of that. "Work" is the CPU time minus a bare
``python -c "import pandas, pyarrow"`` measured in the same run. The report no longer loads pandas, so
that baseline now credits it with an import it does not make: "own" is the stricter figure, the CPU time
minus a bare import of what the report does load (numpy and pyarrow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
NOW = "2017-04-03T18:00:00-07:00"
sys.path.insert(0, str(REPO))

from phonebank.lists import canonical_columns  # noqa: E402
from phonebank.results import HEADER_LINE  # noqa: E402

EXE = str(Path(sys.executable).parent / "phonebank")
TZ = ZoneInfo("America/Los_Angeles")
CODES = [  # (code, weight)
    ("not_home", 40), ("left_message", 12), ("busy", 5), ("supporter", 10), ("undecided", 8),
    ("other_candidate", 5), ("wrong_number", 5), ("disconnected", 3), ("refused", 3), ("call_back", 4),
    ("moved", 1), ("deceased", 0.5), ("language_spanish", 2), ("do_not_call", 1), ("old_renamed_code", 0.5),
]
AREA = ["213", "323", "310", "818", "626", "424", "747"]
ZIPS = ["90012", "90026", "90031", "90033", "90042", "90057", "90065", "91331", "10001", "60614"]


def make_workspace(root: Path, rows: int, voters: int, volunteers: int, seed: int = 34) -> Path:
    """Create (or reuse) the benchmark workspace; returns its root."""
    stamp = root / ".complete"
    wanted = f"{rows} {voters} {volunteers} {seed} v4"  # v4: rows of 14 fields (overlaps), as saved today
    if stamp.exists() and stamp.read_text() == wanted:
        return root
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    (root / "lists").mkdir(parents=True)
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    header = canonical_columns(2)
    ids = []
    with open(root / "lists" / "big.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for i in range(voters):
            vid = str(10_000_000 + i)
            ids.append(vid)
            p1 = f"+1{rng.choice(AREA)}555{rng.randrange(10000):04d}"
            p2 = f"+1{rng.choice(AREA)}555{rng.randrange(10000):04d}" if rng.random() < 0.3 else ""
            system = "van" if rng.random() < 0.8 else "pdi"
            fh.write(f"{vid},Maria,García {i},{p1},{p2},{rng.choice(ZIPS)},Los Angeles,CA,"
                     f"{rng.choice(['en', 'en', 'es'])},{rng.randrange(18, 95)},D,{system},{vid}\n")
    codes = [c for c, _ in CODES]
    weights = [w for _, w in CODES]
    first_day = dt.date(2017, 2, 20)
    days = (dt.date(2017, 4, 3) - first_day).days + 1
    span = days * 12 * 3600  # calls between 9:00 and 21:00 campaign time, every day
    emails = [f"volunteer{i:03d}@example.org" for i in range(volunteers)]
    res_dir = root / "results" / "big"
    res_dir.mkdir(parents=True)
    handles = {e: open(res_dir / f"{e}.csv", "w", encoding="utf-8", newline="") for e in emails}
    for fh in handles.values():
        fh.write(HEADER_LINE)
    # times in increasing order per file, as calls are saved
    offsets = sorted(rng.random() * span for _ in range(rows))
    last_row: dict[str, str] = {}
    for n, off in enumerate(offsets):
        email = emails[rng.randrange(volunteers)]
        day, within = divmod(off, 12 * 3600)
        when = dt.datetime.combine(first_day + dt.timedelta(days=int(day)), dt.time(9), tzinfo=TZ) + \
            dt.timedelta(seconds=int(within))
        at = when.isoformat(timespec="seconds")
        vid = ids[min(int(rng.expovariate(1.0) * voters / 3), voters - 1)] if rng.random() < 0.5 else rng.choice(ids)
        row_id = f"{n:012x}"
        if rng.random() < 0.002 and email in last_row:
            handles[email].write(f"{row_id},{at},{email},big,{vid},,undo,,,en,0,,{last_row[email]},\n")
            continue
        code = rng.choices(codes, weights)[0]
        answers = ""
        if code in ("supporter", "undecided", "other_candidate"):
            answers = f"aware_election={rng.choice(['yes', 'no'])};bernie_2016={rng.choice(['yes', 'no', 'not_sure'])}"
        callback = (when + dt.timedelta(days=1)).isoformat(timespec="minutes") if code == "call_back" else ""
        note = '"left a voicemail, said ""call after 6"""' if rng.random() < 0.05 else ""
        phone = f"+1{rng.choice(AREA)}555{rng.randrange(10000):04d}"
        handles[email].write(f"{row_id},{at},{email},big,{vid},{phone},{code},{answers},{note},en,"
                             f"{rng.randrange(20, 400)},{callback},,\n")
        last_row[email] = row_id
    for fh in handles.values():
        fh.close()
    stamp.write_text(wanted)
    return root


def import_list(root: Path, env: dict) -> Path:
    """Import the workspace's list with `phonebank import` (once), as a campaign would, and keep what the
    import records for the reports (``IMPORT_RECORDS``); returns the folder holding that copy."""
    records = root / "import-records"
    if (records / ".complete").exists():
        return records
    source = root / "voters.csv"
    if not source.exists():
        (root / "lists" / "big.csv").rename(source)
    shutil.rmtree(root / ".phonebank", ignore_errors=True)
    (root / "results").rename(root / "results-aside")  # imported before any call, as a campaign does
    try:
        subprocess.run([EXE, "--workspace", str(root), "import", str(source), "--list", "big", "--replace"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    finally:
        (root / "results-aside").rename(root / "results")
    shutil.rmtree(records, ignore_errors=True)
    shutil.copytree(root / ".phonebank" / "report" / "big", records)
    (records / ".complete").write_text("")
    return records


def as_imported(cache: Path, records: Path) -> None:
    """The report cache as the import left it: what earlier reports wrote removed."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(records, cache, ignore=shutil.ignore_patterns(".complete"))


BASELINE = """
import sys, glob
import pandas as pd
root = sys.argv[1]
files = sorted(glob.glob(root + "/results/big/*.csv"))
r = pd.concat([pd.read_csv(f, engine="pyarrow") for f in files], ignore_index=True)
v = pd.read_csv(root + "/lists/big.csv", engine="pyarrow", usecols=["voter_id", "zip", "state", "phone_1", "phone_2"])
r["at"] = pd.to_datetime(r["recorded_at"], utc=True).dt.tz_convert("America/Los_Angeles")
contact = r["code"].isin(["supporter", "undecided", "other_candidate", "refused", "language_spanish"])
r["contact"] = contact
by_code = r.groupby("code").size()
by_volunteer = r.groupby("volunteer").agg(calls=("code", "size"), contacts=("contact", "sum"), seconds=("seconds", "sum"))
by_hour = r.groupby(r["at"].dt.hour).size()
by_day = r.groupby(r["at"].dt.date).size()
last = r.sort_values("at").groupby("voter_id").tail(1)[["voter_id", "code"]]
status = v.merge(last, on="voter_id", how="left")["code"].fillna("new").value_counts()
print(len(by_code), len(by_volunteer), len(by_hour), len(by_day), int(status.sum()))
"""


def append_calls(root: Path, count: int, seed: int) -> list[tuple[Path, int]]:
    """Append ``count`` calls (every 50th an undo of the file's last call) to 10 results files; returns
    (file, size before) to take them back."""
    rng = random.Random(seed)
    files = sorted((root / "results" / "big").glob("*.csv"))[:10]
    sizes = [(f, f.stat().st_size) for f in files]
    at = dt.datetime(2017, 4, 3, 17, 0, tzinfo=TZ)
    undone = [r for r in _rows_of(files[0]) if r[6] != "undo"][-1]  # a call the earlier reports counted
    with open(files[0], "a", encoding="utf-8") as fh:
        fh.write(f"b{seed:011x},{at.isoformat(timespec='seconds')},{files[0].stem},big,{undone[4]},,undo,,,en,0,,"
                 f"{undone[0]},\n")
    for n in range(count):
        path = files[n % len(files)]
        email = path.stem
        vid = 10_000_000 + rng.randrange(1000)
        when = (at + dt.timedelta(seconds=n)).isoformat(timespec="seconds")
        with open(path, "a", encoding="utf-8") as fh:
            if n % 50 == 49:
                fh.write(f"a{n:011x},{when},{email},big,{vid},,undo,,,en,0,,a{n - len(files):011x},\n")
            else:
                code = rng.choice(["not_home", "supporter", "busy", "call_back"])
                callback = (at + dt.timedelta(days=1)).isoformat(timespec="minutes") if code == "call_back" else ""
                fh.write(f"a{n:011x},{when},{email},big,{vid},+12135550000,{code},,,en,30,{callback},,\n")
    return sizes


def _rows_of(path: Path) -> list[list[str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def take_back(sizes: list[tuple[Path, int]]) -> None:
    for path, size in sizes:
        os.truncate(path, size)


def measure(argv: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"failed: {' '.join(argv)}\n{proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voters", type=int, default=1_000_000)
    ap.add_argument("--results", default="100000,1000000")
    ap.add_argument("--volunteers", type=int, default=600)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--append", type=int, default=10)
    ap.add_argument("--data", type=Path, default=Path("/tmp/phonebank-bench"))
    args = ap.parse_args()
    env = dict(os.environ, PHONEBANK_NOW=NOW)
    exe = sys.executable
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")
    print("| results | pandas s (CPU) | MB | first s (CPU) | work | own | MB | ratio (CPU) | warm s (CPU) | work | own "
          f"| MB | ratio (CPU) | after {args.append} new calls s (CPU) | work | own |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in (int(r) for r in args.results.split(",")):
        label = f"{args.voters // 1000}k" if args.voters < 1_000_000 else f"{args.voters // 1_000_000}m"
        root = args.data / f"report-{label}-{rows // 1000}k"
        if rows >= 1_000_000:
            root = args.data / f"report-{label}-{rows // 1_000_000}m"
        t0 = time.perf_counter()
        make_workspace(root, rows, args.voters, args.volunteers)
        records = import_list(root, env)
        if time.perf_counter() - t0 > 1:
            print(f"(workspace {root} made in {time.perf_counter() - t0:.0f} s)")
        cache = root / ".phonebank" / "report" / "big"
        report = [EXE, "--workspace", str(root), "report", "--list", "big", "--format", "json"]
        base, first, warm, bare, own, grown = [], [], [], [], [], []
        for run in range(args.runs):  # in turn, so every case sees the same machine
            bare.append(measure([exe, "-c", "import pandas, pyarrow, pyarrow.csv"], env))
            own.append(measure([exe, "-c", "import numpy, pyarrow, pyarrow.csv, pyarrow.compute"], env))
            base.append(measure([exe, "-c", BASELINE, str(root)], env))
            as_imported(cache, records)
            first.append(measure(report, env))
            warm.append(measure(report, env))
            sizes = append_calls(root, args.append, run)
            try:
                grown.append(measure(report, env))
            finally:
                take_back(sizes)
        (_, bare_cpu, _), (_, own_cpu, _), (bw, bc, bm) = median(bare), median(own), median(base)
        (fw, fc, fm), (ww, wc, wm), (gw, gc, _) = median(first), median(warm), median(grown)
        print(f"| {rows:,} | {bw:.2f} ({bc:.2f}) | {bm:,.0f} | {fw:.2f} ({fc:.2f}) | {fc - bare_cpu:.2f} "
              f"| {fc - own_cpu:.2f} | {fm:,.0f} | {fw / bw:.1f}x ({fc / bc:.1f}x) | {ww:.2f} ({wc:.2f}) "
              f"| {wc - bare_cpu:.2f} | {wc - own_cpu:.2f} | {wm:,.0f} | {ww / bw:.1f}x ({wc / bc:.1f}x) "
              f"| {gw:.2f} ({gc:.2f}) | {gc - bare_cpu:.2f} | {gc - own_cpu:.2f} |", flush=True)
    print(f"\n{args.voters:,} voters; medians of {args.runs} runs; work = CPU minus a bare import of pandas and "
          f"pyarrow ({bare_cpu:.2f} s CPU); own = CPU minus a bare import of numpy and pyarrow, what the report "
          f"loads ({own_cpu:.2f} s CPU); ratio = phonebank / pandas, wall (CPU)")
    print(f"load average at end {os.getloadavg()[0]:.2f} (above ~0.5, other work shared the two cores)")


if __name__ == "__main__":
    main()
