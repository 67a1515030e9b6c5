"""Benchmark `phonebank report` over 1,000,000 result rows.

    python benchmarks/bench_report.py [--rows 1000000] [--voters 400000] [--volunteers 60] [--runs 5]

Generates (once; reused between runs) a workspace in benchmarks/data/report-ws/ holding the sample
scripts.yaml, a call list of VOTERS synthetic voters and ROWS result rows spread over VOLUNTEERS
results files (February-April 2017 in America/Los_Angeles, so across the DST change, with undo rows,
call-backs, wrong numbers and survey answers). Then prints, each the median of RUNS:

* baseline: a bare ``pandas.read_csv(engine="pyarrow")`` (and the C engine) of the same results rows
  (every results file concatenated into one buffer), in-process;
* report work: ``build_report`` in-process (read + fold + aggregate) without the cache, cold (parsing
  everything and writing .phonebank/report/), and warm (rows parsed by an earlier report reused) —
  target <= 1 s — each with its ratio to the baseline;
* rendering the table, JSON and HTML from the built report;
* the whole command: ``phonebank report`` as a new process, wall clock, with the cache cleared before
  each run and with it warm — target <= 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
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
DATA = REPO / "benchmarks" / "data"
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
    wanted = f"{rows} {voters} {volunteers} {seed} v3"
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
            handles[email].write(f"{row_id},{at},{email},big,{vid},,undo,,,en,0,,{last_row[email]}\n")
            continue
        code = rng.choices(codes, weights)[0]
        answers = ""
        if code in ("supporter", "undecided", "other_candidate"):
            answers = f"aware_election={rng.choice(['yes', 'no'])};bernie_2016={rng.choice(['yes', 'no', 'not_sure'])}"
        callback = (when + dt.timedelta(days=1)).isoformat(timespec="minutes") if code == "call_back" else ""
        note = '"left a voicemail, said ""call after 6"""' if rng.random() < 0.05 else ""
        phone = f"+1{rng.choice(AREA)}555{rng.randrange(10000):04d}"
        handles[email].write(f"{row_id},{at},{email},big,{vid},{phone},{code},{answers},{note},en,"
                             f"{rng.randrange(20, 400)},{callback},\n")
        last_row[email] = row_id
    for fh in handles.values():
        fh.close()
    stamp.write_text(wanted)
    return root


def median_time(func, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--voters", type=int, default=400_000)
    ap.add_argument("--volunteers", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    root = DATA / "report-ws"
    t0 = time.perf_counter()
    make_workspace(root, args.rows, args.voters, args.volunteers)
    print(f"workspace {root} ready in {time.perf_counter() - t0:.1f} s")
    os.environ["PHONEBANK_NOW"] = NOW

    import pandas as pd

    from phonebank.report.aggregate import build_report
    from phonebank.report.render import render_html, render_json, render_table
    from phonebank.script import load_script
    from phonebank.workspace import Workspace

    ws = Workspace(root)
    files = ws.results_files("big")
    size = sum(p.stat().st_size for p in files)
    blob = b"".join([HEADER_LINE.encode()] + [p.read_bytes().split(b"\n", 1)[1] for p in files])
    n_rows = blob.count(b"\n") - 1
    print(f"results: {n_rows:,} rows in {len(files)} files, {size / 1e6:.0f} MB; list: {args.voters:,} voters")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)")

    def baseline():
        return pd.read_csv(io.BytesIO(blob), engine="pyarrow")

    def baseline_c():
        return pd.read_csv(io.BytesIO(blob))

    script = load_script(ws.script_path)
    cache = root / ".phonebank" / "report"

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def cold():
        drop_cache()
        return build_report(ws, script, "big")

    base, frame = median_time(baseline, args.runs)
    base_c, _ = median_time(baseline_c, args.runs)
    assert len(frame) == n_rows
    nocache, report = median_time(lambda: build_report(ws, script, "big", use_cache=False), args.runs)
    cold_t, _ = median_time(cold, args.runs)
    warm, warm_report = median_time(lambda: build_report(ws, script, "big"), args.runs)
    assert warm_report == report
    table_t, _ = median_time(lambda: render_table(report, width=100, unicode=True), args.runs)
    json_t, _ = median_time(lambda: render_json(report), args.runs)
    html_t, _ = median_time(lambda: render_html(report), args.runs)
    env = dict(os.environ, PHONEBANK_NOW=NOW)

    def command(clear: bool) -> list[float]:
        walls = []
        for _ in range(args.runs):
            if clear:
                drop_cache()
            t = time.perf_counter()
            proc = subprocess.run([EXE, "--workspace", str(root), "report", "--list", "big"], env=env,
                                  capture_output=True, text=True)
            walls.append(time.perf_counter() - t)
            if proc.returncode:
                print(proc.stderr)
                raise SystemExit("report failed")
        return walls

    cold_walls = command(clear=True)
    warm_walls = command(clear=False)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pandas, pyarrow"], check=True)
    imports = time.perf_counter() - t
    p = report["progress"]
    print(f"check: dials {report['calls']['dials']:,}, voters {p['voters']:,}, finished {p['finished']:,}")
    print(f"baseline pandas.read_csv(engine='pyarrow'):      {base * 1000:6.0f} ms   (C engine: {base_c * 1000:.0f} ms)")
    print(f"report work, no cache (read + fold + aggregate):  {nocache * 1000:6.0f} ms   ratio {nocache / base:.1f}x")
    print(f"report work, cold (parse all + write the cache):  {cold_t * 1000:6.0f} ms   ratio {cold_t / base:.1f}x")
    print(f"report work, warm (cache of parsed rows):         {warm * 1000:6.0f} ms   ratio {warm / base:.1f}x"
          "   target <= 1000 ms")
    print(f"render table / json / html:                       {table_t * 1000:.0f} / {json_t * 1000:.0f} / "
          f"{html_t * 1000:.0f} ms")
    print(f"whole command, cold cache (wall):                 {statistics.median(cold_walls) * 1000:6.0f} ms   "
          f"[min {min(cold_walls) * 1000:.0f}, max {max(cold_walls) * 1000:.0f}]")
    print(f"whole command, warm cache (wall):                 {statistics.median(warm_walls) * 1000:6.0f} ms   "
          f"[min {min(warm_walls) * 1000:.0f}, max {max(warm_walls) * 1000:.0f}]   target <= 2000 ms")
    print(f"(a bare `python -c 'import pandas, pyarrow'`:      {imports * 1000:6.0f} ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
