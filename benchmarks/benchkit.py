"""What the benchmarks share: the environment a measured `phonebank` runs in, and one whole process timed
(wall and CPU seconds, peak memory) — the first of a series dropped, as it warms the caches."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass


def sizes(doc: str | None, **defaults: int) -> argparse.Namespace:
    """The command line's sizes: one ``--NAME N`` option per default (``runs=3``: ``--runs``, 3 unless given)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser.parse_args()


def bench_env(now: str) -> dict[str, str]:
    """This environment with the clock at ``now``, a fresh PHONEBANK_HOME and no workspace of the caller's.
    Volunteers' machines cache compiled bytecode; this sandbox sets PYTHONDONTWRITEBYTECODE, which would
    make every start recompile phonebank's sources: the normal case is measured."""
    env = {**os.environ, "PHONEBANK_NOW": now, "PHONEBANK_HOME": tempfile.mkdtemp()}
    env.pop("PHONEBANK_WORKSPACE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    rss_mb: float  # peak resident memory
    stdout: str
    stderr: str


def run_process(argv: list[str], env: dict[str, str], stdin: str = "", ok: tuple[int, ...] = (0,)) -> Run:
    """Run ``argv`` as a new process fed ``stdin``; exit with its output when its exit code is not in ``ok``."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    streams: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name, pipe: streams.__setitem__(name, pipe.read()), args=item)
               for item in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    try:
        proc.stdin.write(stdin.encode())  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    proc.stdin.close()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    out, err = (streams.get(k, b"").decode("utf-8", "replace") for k in ("out", "err"))
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv[:6])}... failed ({proc.returncode}): {out[-800:]} {err[-800:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out, err)


def warm_runs(argv: list[str], env: dict[str, str], runs: int, stdin: str = "", ok: tuple[int, ...] = (0,)) -> list[Run]:
    """``runs`` runs of ``argv`` after one more that warms the caches (not returned)."""
    return [run_process(argv, env, stdin, ok) for _ in range(runs + 1)][1:]
