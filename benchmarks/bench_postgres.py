"""Benchmark a campaign shared through PostgreSQL: the import of a national list into the database, and
claim+save cycles of concurrent callers — each beside a baseline measured on the same server in the same run.

    python benchmarks/bench_postgres.py [--voters 1000000] [--seconds 15] [--callers 1,8,32] [--url URL]

* The server: ``--url`` (a superuser URL; a database ``phonebank_bench_*`` is made and dropped), else a
  throwaway PostgreSQL started like tests/pg.py does (unix socket in a private temporary folder) but with
  durability ON — fsync, synchronous_commit and full_page_writes as in production — shared_buffers 512MB,
  max_wal_size 2GB; its settings are printed.
* Data: a generated VAN-style voter file of --voters voters all over the country (benchmarks/data/, reused).
* Import: `phonebank --database URL import FILE --list bench`, the whole process; baselines: the same import
  on files only (`phonebank import`, which also builds the local calling index) and a bare COPY of the voter
  file (CSV, every column text, no index) into the same server.
* Cycles: N callers (separate processes, each its own connection and its own volunteer login, as
  `phonebank join` makes them); a cycle is what `phonebank call` does for one voter — claim the next voter,
  save the call (not home) moving on, give the voter back — timed from the claim to the release. Since
  migration 0007 the save that moves on also claims the next voter (one round trip per voter). Cycles per second
  and p50/p99 latency with 1, 8 and 32 callers, all zones open (19:00 Eastern: 13:00 in Hawaii, 09:00 in Guam) and only the Eastern zones
  open (09:30 Eastern: Central, Mountain, Pacific, Alaska, Hawaii closed). Baselines with the same number
  of processes: a bare `SELECT 1` round trip, and a two-commit cycle (an INSERT and an UPDATE by key,
  autocommit: the commits a cycle pays) on the same server.
* Paced (``--paced``, 500 by default: the floor's rate): the most callers again, open loop — the cycles
  spread evenly over the callers and in time at that many per second in all, each timed from its
  scheduled start (a cycle that starts late because the one before ran long counts the wait). Back-to-back
  callers keep the server saturated, so their latency is the queue Little's law gives (callers / rate);
  paced, it is what a volunteer waits for while the campaign runs at that rate. The floor (issue 10): at
  least 500 cycles/s back to back with 32 callers, and p99 <= 100 ms with 32 callers at 500 cycles/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
EXE = str(Path(sys.executable).parent / "phonebank")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

ALL_OPEN = dt.datetime.fromisoformat("2017-03-20T23:00:00+00:00")  # 19:00 Eastern, 13:00 Hawaii, 09:00 Guam
EASTERN = dt.datetime.fromisoformat("2017-03-20T13:30:00+00:00")  # 09:30 Eastern, 08:30 Central
SERVER = {"listen_addresses": "''", "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
          "max_connections": "200", "shared_buffers": "512MB", "max_wal_size": "2GB"}


# == the server ==========================================================================================

def start_server():
    import pg

    pg.SERVER_SETTINGS = dict(SERVER)  # tests/pg.py's throwaway server, durable
    bindir = pg.find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl) found — install postgresql or pass --url")
    server = pg.LocalServer(bindir)
    return server.start(), server


def database(url: str, name: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url, dbname=name)


# == the callers ==========================================================================================

def _caller(kind, url, script_path, now_iso, email, seconds, ready, go, out, index, pace):
    """One process: a calling session's cycles (``kind`` "cycle"), or a baseline ("select1", "commits").
    ``pace``: (seconds between this process's cycles, its first cycle's offset), or None: back to back."""
    try:
        _run_caller(kind, url, script_path, now_iso, email, seconds, ready, go, out, index, pace)
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        ready.put(index)
        out.put((index, f"{type(exc).__name__}: {exc}"))


def _run_caller(kind, url, script_path, now_iso, email, seconds, ready, go, out, index, pace):
    import psycopg

    latencies: list[float] = []
    if kind == "cycle":
        from phonebank.results import ResultRow
        from phonebank.script import load_script
        from phonebank.store.postgres import PostgresStore

        now = dt.datetime.fromisoformat(now_iso)
        store = PostgresStore(url, load_script(Path(script_path)), "bench", lambda: now)
        recorded = now.isoformat()

        def step() -> bool:
            offer = store.next_voter(email)
            if offer is None:
                return False
            store.save(ResultRow(recorded_at=recorded, volunteer=email, list="bench", voter_id=offer.voter_id,
                                 phone=offer.phones[0], code="not_home", seconds=40), offer.hold, done=True)
            store.release(offer.hold)  # as the session does: the save ended the hold, so this costs nothing
            return True
    else:
        conn = psycopg.connect(url, autocommit=True)

        def step() -> bool:
            if kind == "select1":
                conn.execute("SELECT 1").fetchone()
            else:
                conn.execute("INSERT INTO bench_baseline (caller, at) VALUES (%s, now())", (index,))
                conn.execute("UPDATE bench_callers SET n = n + 1 WHERE id = %s", (index,))
            return True
    for _ in range(20):  # warm up: connections, prepared statements
        step()
    ready.put(index)
    go.wait()
    start = time.perf_counter()
    cpu = time.process_time()
    end = start + seconds
    due = start + (pace[1] if pace else 0.0)
    while True:
        if pace:  # open loop: each cycle starts on its schedule, and a late one counts from it
            time.sleep(max(0.0, due - time.perf_counter()))
        t = due if pace else time.perf_counter()
        if time.perf_counter() >= end or not step():
            break
        latencies.append(time.perf_counter() - t)
        due += pace[0] if pace else 0.0
    cpu = time.process_time() - cpu
    if kind == "cycle":
        store.close()  # gives back the last voter
    out.put((index, (latencies, cpu)))


POSTMASTER: list[int] = []  # the throwaway server's postmaster pid


def server_cpu() -> dict[str, float]:
    """CPU seconds used so far by each process of the throwaway server (its postmaster and children)."""
    got = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if POSTMASTER and POSTMASTER[0] in (int(pid), int(fields[1])):
                got[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return got


CPU: dict[str, float] = {}  # the last run_callers' CPU per cycle: "server", "client" (ms)


def run_callers(kind: str, urls: list[str], script_path: str, now: dt.datetime, emails: list[str],
                seconds: float, rate: float = 0.0) -> tuple[float, float, float, int]:
    """(cycles per second, p50 ms, p99 ms, cycles) of len(urls) processes running for ``seconds``; their
    CPU per cycle in CPU. ``rate``: cycles per second in all, evenly spread over the processes and in time
    (open loop: latency counts from each cycle's scheduled start); 0: each process back to back."""
    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    n = len(urls)
    paces = [(n / rate, i / rate) if rate else None for i in range(n)]
    procs = [ctx.Process(target=_caller, args=(kind, url, script_path, now.isoformat(), email, seconds, ready, go,
                                               out, i, paces[i]))
             for i, (url, email) in enumerate(zip(urls, emails, strict=True))]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    before = server_cpu()
    go.set()
    time.sleep(max(0.0, seconds - 0.3))  # the servers' processes end with the callers' connections
    after = server_cpu()
    got = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    failed = [lats for _, lats in got if isinstance(lats, str)]
    if failed:
        sys.exit(f"a {kind} process failed: {failed[0]}")
    lat = sorted(x for _, (lats, _) in got for x in lats)
    if lat:
        CPU["server"] = sum(v - before.get(k, 0.0) for k, v in after.items()) / (len(lat) * (seconds - 0.3) / seconds) * 1000
        CPU["client"] = sum(cpu for _, (_, cpu) in got) / len(lat) * 1000
    if not lat:
        return 0.0, float("nan"), float("nan"), 0
    return len(lat) / seconds, lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, len(lat)


# == main ===================================================================================================

def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voters", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--callers", default="1,8,32")
    ap.add_argument("--url", help="superuser URL of a running server (default: start a throwaway one)")
    ap.add_argument("--paced", type=float, default=500.0,
                    help="then the most callers again, open loop at this many cycles/s in all (0: skip)")
    ap.add_argument("--cycles-only", action="store_true",
                    help="import into the database without the two import baselines, then the callers")
    args = ap.parse_args()
    callers = [int(c) for c in args.callers.split(",")]

    import psycopg
    from make_voter_file import write as write_voter_file  # benchmarks/

    from phonebank.script import load_script
    from phonebank.store import postgres
    from phonebank.workspace import Workspace

    source = DATA / f"national-{args.voters}.csv"
    if not source.exists():
        t = time.perf_counter()
        write_voter_file(args.voters, source, national=True)
        print(f"generated {source.relative_to(REPO)} in {time.perf_counter() - t:.1f} s")
    server = None
    if args.url:
        admin_url = args.url
    else:
        admin_url, server = start_server()
        POSTMASTER.append(int((server.data / "postmaster.pid").read_text().split()[0]))
    name = f"phonebank_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = database(admin_url, name)
    root = Path(tempfile.mkdtemp(prefix="phonebank-bench."))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            shown = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in
                     ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_wal_size",
                      "wal_level", "max_parallel_maintenance_workers")}
        where = "the server at --url" if args.url else "a throwaway server started here on a unix socket"
        print(f"server: PostgreSQL {version}, {where}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        print(f"machine: {os.cpu_count()} CPUs; load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
              " (client and server share the CPUs)")
        env = {k: v for k, v in os.environ.items() if k not in ("PHONEBANK_DATABASE_URL", "PHONEBANK_WORKSPACE",
                                                                "PYTHONDONTWRITEBYTECODE")}
        env["PHONEBANK_HOME"] = str(root / "home")
        ws_db, ws_files = root / "db", root / "files"
        for ws in (ws_db, ws_files):
            ws.mkdir()
            shutil.copy(REPO / "scripts.yaml", ws / "scripts.yaml")
            (ws / "lists").mkdir()
            (ws / "results").mkdir()
        subprocess.run([EXE, "--database", url, "db", "init"], check=True, capture_output=True, env=env)

        # -- import ---------------------------------------------------------------------------------------
        imported = timed([EXE, "--database", url, "-w", str(ws_db), "import", str(source), "--list", "bench"], env)
        on_files = 0.0 if args.cycles_only else timed([EXE, "-w", str(ws_files), "import", str(source),
                                                       "--list", "bench"], env)
        with psycopg.connect(url, autocommit=True) as conn:
            header = source.open(encoding="utf-8").readline().strip().split(",")
            conn.execute("CREATE TABLE bench_raw (" + ", ".join(f"c{i} text" for i in range(len(header))) + ")")
            t = time.perf_counter()
            if not args.cycles_only:
                with conn.cursor() as cur, cur.copy("COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                        open(source, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
            raw = time.perf_counter() - t
            conn.execute("DROP TABLE bench_raw")
            voters, keys = conn.execute("SELECT voters, cardinality(zone_keys) FROM phonebank.lists "
                                        "WHERE name = 'bench'").fetchone()
        size = source.stat().st_size / 1e6
        print(f"import of {voters:,} voters ({args.voters:,} rows, {size:.0f} MB, {keys} zone keys) into the database, "
              f"`phonebank --database URL import` whole process: {imported:6.1f} s   [floor: <= 15 s]")
        print(f"  baseline: the same import on files only (`phonebank import`, whole process, with the local "
              f"calling index): {on_files:6.1f} s")
        print(f"  baseline: bare COPY of the voter file (CSV, {len(header)} text columns, no index) into the same "
              f"server: {raw:6.1f} s")

        # -- callers --------------------------------------------------------------------------------------
        # the steady state of a campaign: the import's table vacuumed and its pages written out, as
        # autovacuum and the checkpointer do within minutes of an import
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE phonebank.voters")
            conn.execute("CHECKPOINT")
        print("after the import: VACUUM ANALYZE and CHECKPOINT (what autovacuum and the checkpointer do within "
              "minutes), then the callers")
        most = max(callers)
        emails = [f"caller{i}@example.org" for i in range(most)]
        with postgres.connect(url) as conn:
            postgres.push_workspace(conn, Workspace(ws_db), lists=[])  # the script
            logins = [postgres.invite(conn, email, url).url for email in emails]
            conn.execute("CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, caller int, at timestamptz)")
            conn.execute("CREATE TABLE bench_callers (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)")
            conn.execute("INSERT INTO bench_callers (id) SELECT generate_series(0, %s)", (most,))
            script = load_script(ws_db / "scripts.yaml")
            probe = postgres.PostgresStore(url, script, "bench", lambda: EASTERN)
            eastern = probe._open_zones(EASTERN)  # zone classes
            eastern_keys = len(probe.open_zone_keys(EASTERN))
            share = conn.execute("SELECT count(*) FILTER (WHERE zone = ANY(%s)) * 100.0 / count(*) FROM phonebank.voters",
                                 (eastern,)).fetchone()[0]
            all_keys = len(probe.open_zone_keys(ALL_OPEN))
            classes = len(set(probe._zone_classes))
            probe.close()
        script_path = str(ws_db / "scripts.yaml")
        for label, moment in ((f"all zones open ({all_keys} of {keys} zone keys, {classes} classes)", ALL_OPEN),
                              (f"only the Eastern zones open ({eastern_keys} of {keys} zone keys in {len(eastern)} "
                               f"classes, {share:.0f}% of the voters)", EASTERN)):
            print(f"claim+save cycles, {label}, {args.seconds:.0f} s each:")
            for n in callers:
                rate, p50, p99, count = run_callers("cycle", logins[:n], script_path, moment, emails[:n], args.seconds)
                cpu = dict(CPU)
                s_rate, s_p50, _, _ = run_callers("select1", [url] * n, script_path, moment, emails[:n],
                                                  min(args.seconds, 5))
                c_rate, c_p50, c_p99, _ = run_callers("commits", [url] * n, script_path, moment, emails[:n],
                                                      min(args.seconds, 5))
                floor = "   [floor at 32: >= 500 cycles/s]" if n == 32 else ""
                print(f"  {n:2d} caller(s): {rate:6.0f} cycles/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                      f"({count:,} cycles){floor}")
                if not args.url:
                    print(f"      CPU per cycle: server {cpu['server']:.2f} ms, callers {cpu['client']:.2f} ms "
                          f"(2 CPUs: at most {2000 / (cpu['server'] + cpu['client']):.0f} cycles/s)")
                print(f"      baselines, {n} process(es): SELECT 1 {s_rate:7.0f}/s p50 {s_p50:5.2f} ms; two-commit cycle "
                      f"{c_rate:6.0f}/s p50 {c_p50:5.1f} ms p99 {c_p99:6.1f} ms")
                if n == most and args.paced:
                    rate, p50, p99, count = run_callers("cycle", logins[:n], script_path, moment, emails[:n],
                                                        args.seconds, args.paced)
                    _, c_p50, c_p99, _ = run_callers("commits", [url] * n, script_path, moment, emails[:n],
                                                     min(args.seconds, 5), args.paced)
                    floor = "   [floor at 32 and 500 cycles/s: p99 <= 100 ms]" if n == 32 and args.paced >= 500 else ""
                    print(f"  {n:2d} caller(s) paced at {args.paced:.0f} cycles/s in all: {rate:6.0f} cycles/s  "
                          f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({count:,} cycles; two-commit cycle paced the same: "
                          f"p50 {c_p50:5.1f} ms p99 {c_p99:6.1f} ms){floor}")
        print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(root, ignore_errors=True)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
