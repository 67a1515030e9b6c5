"""The hostile-input harness: one case = the real `phonebank` CLI run as a subprocess in a fresh copy of a
workspace that already holds a list, a volunteer and a saved call, beside an "outside" folder with a canary.

``run_case`` returns what happened (exit code, output, wall time, peak memory from ``wait4``, every file
changed inside and outside the workspace); ``check_outcome`` asserts the promises of issue 15:

- no traceback, and no apology from the catch-all either (every hostile case has a real message);
- exit 1 or 2 (or 0 when the case may be accepted);
- every ``Error:`` line under ``LINE_MAX`` characters, at most ``ERROR_LINES_MAX`` of them;
- no ESC or BEL byte on stdout or stderr (control characters are shown, never sent);
- nothing written outside the workspace, the workspace's records untouched when the command failed;
- wall time and peak memory under the case's bounds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from phonebank.errors import MESSAGE_MAX
from phonebank.results import ResultRow
from phonebank.script import load_script
from phonebank.store.files import FileStore

from callkit import ANA, Clock, la, make_workspace

PHONEBANK = str(Path(sys.executable).with_name("phonebank"))
NOW = "2017-03-20T18:00:00-07:00"
LINE_MAX = len("Error: ") + MESSAGE_MAX
ERROR_LINES_MAX = 52  # scripts.yaml: 50 problems and "... and N more"
TIME_MAX = 25.0  # seconds per case, wall (two shared cores: a report starts in about 1-3 s)
MEMORY_MAX_MB = 800  # peak resident memory per case
CANARY = b"phone,added_at\n+12135550100,outside\n"
RECORDS = ("scripts.yaml", "lists", "results", "volunteers.csv", "do-not-call.csv")

COUNTS: Counter[str] = Counter()  # cases run, by category

# A small launcher forks the command and reports its peak memory from wait4: measured from the test
# process itself, a child's ru_maxrss would start at the test process's own size (Linux keeps the
# high-water mark of the memory it replaced at exec).
_LAUNCH = """
import os, sys
out, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as fh:
    fh.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclasses.dataclass
class Case:
    category: str
    name: str
    args: list  # str or bytes (bytes: arguments that are not UTF-8)
    expect: tuple[int, ...] = (1, 2)
    stdin: bytes = b""
    env: dict[str, str] | None = None
    setup: Callable[[Path, Path], None] | None = None  # (workspace, outside) before the run
    workspace_option: bool = True
    time_max: float = TIME_MAX
    memory_max_mb: int = MEMORY_MAX_MB
    message: str | None = None  # a fragment the Error: line must hold
    records_may_change: bool = False  # True when the command may write records (an accepted import, a save)

    def __str__(self) -> str:
        return f"{self.category}: {self.name}"


@dataclasses.dataclass
class Outcome:
    code: int
    stdout: bytes
    stderr: bytes
    seconds: float
    memory_mb: float
    changed_outside: list[str]
    changed_records: list[str]


def record_figures() -> None:
    """The hostile suites' line in the figures printed at the end of the run (every module adds to COUNTS)."""
    import figures

    figures.record("hostile", f"{sum(COUNTS.values())} hostile CLI runs as subprocesses: "
                   + ", ".join(f"{n} {what}" for what, n in sorted(COUNTS.items())))


def params(cases: list[Case], stress: Callable[[Case], bool] = lambda case: False,
           every: int | dict[str, int] = 1) -> list:
    """``cases`` for ``pytest.mark.parametrize``. Under the ``stress`` marker (left out of a quick run):
    those ``stress`` picks, and all but every ``every``-th case of each category (``every``: one stride, or
    one per category, 1 for those not named) — a quick run keeps the first case of each category and every
    ``every``-th after it, the whole run all of them."""
    import pytest

    seen: Counter[str] = Counter()
    out = []
    for case in cases:
        stride = every if isinstance(every, int) else every.get(case.category, 1)
        quick = seen[case.category] % stride == 0 and not stress(case)
        seen[case.category] += 1
        out.append(pytest.param(case, id=str(case), marks=[] if quick else [pytest.mark.stress]))
    return out


def make_template(root: Path) -> Path:
    """A workspace with list 'test' (the callkit voters), volunteers Ana and Bo and one saved call. Each
    test module makes it once; every case runs in a copy."""
    ws = make_workspace(root)
    store = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 0)))
    offer = store.next_voter(ANA.email)
    store.save(ResultRow(recorded_at=NOW, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                         phone=offer.phones[0], code="supporter"))
    store.close()
    shutil.rmtree(ws.root / ".phonebank", ignore_errors=True)
    return ws.root


def snapshot(folder: Path, only: tuple[str, ...] | None = None) -> dict[str, tuple]:
    """{relative path: (kind, mode, digest)} of everything under ``folder`` (links not followed)."""
    out: dict[str, tuple] = {}
    if not folder.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if only is not None and rel.split("/")[0] not in only:
                continue
            info = path.lstat()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir",)  # its mode may be tightened to 0700 by any run: not a change of data
            else:
                try:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    digest = "unreadable"
                out[rel] = ("file", info.st_mode, digest)
    return out


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def run_case(case: Case, tmp: Path, template: Path) -> Outcome:
    """Run ``case`` in a fresh copy of ``template`` under ``tmp`` (a new or empty folder)."""
    tmp.mkdir(parents=True, exist_ok=True)
    ws, outside, home = tmp / "ws", tmp / "outside", tmp / "home"
    shutil.copytree(template, ws, symlinks=True)
    outside.mkdir()
    home.mkdir()
    (outside / "canary.csv").write_bytes(CANARY)
    if case.setup is not None:
        case.setup(ws, outside)
    records_before = snapshot(ws, RECORDS)
    outside_before = snapshot(outside)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PHONEBANK_HOME": str(home),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PHONEBANK_NOW": NOW, "TMPDIR": str(tmp)}
    env.update(case.env or {})
    argv: list = [PHONEBANK] + (["--workspace", str(ws)] if case.workspace_option else []) + list(case.args)
    memory_file = tmp / ".peak-rss"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, str(memory_file), *argv], cwd=tmp, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    streams: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        streams[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    try:
        proc.stdin.write(case.stdin)
    except BrokenPipeError:
        pass
    finally:
        proc.stdin.close()
    # a hang ends as a failed bound, not a stuck suite: the whole process group is killed
    killer = threading.Timer(case.time_max * 3, lambda: os.killpg(proc.pid, 9))
    killer.start()
    try:
        proc.wait()
    finally:
        killer.cancel()
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    try:
        memory_mb = int(memory_file.read_text()) / 1024
        memory_file.unlink()
    except (OSError, ValueError):
        memory_mb = float("inf")
    COUNTS[case.category] += 1
    return Outcome(proc.returncode, streams.get("out", b""), streams.get("err", b""), seconds, memory_mb,
                   _changed(outside_before, snapshot(outside)), _changed(records_before, snapshot(ws, RECORDS)))


def check_outcome(case: Case, got: Outcome) -> None:
    """The promises every hostile case keeps (see the module docstring)."""
    text = got.stderr.decode("utf-8", "replace")
    shown = f"{case}: exit {got.code}\nstderr: {text[:2000]!r}\nstdout: {got.stdout[:500]!r}"
    assert b"Traceback" not in got.stderr and b"Traceback" not in got.stdout, shown
    assert "unexpected problem" not in text, shown
    assert got.code in case.expect, shown
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    if got.code in (1, 2):
        assert errors or "Usage:" in text, shown
    assert len(errors) <= ERROR_LINES_MAX, shown
    assert all(len(line) <= LINE_MAX for line in errors), max(errors, key=len)[:200]
    for raw in (b"\x1b", b"\x07"):
        assert raw not in got.stderr and raw not in got.stdout, shown
    if case.message is not None:  # on stderr, or (a calling session) among the lines it showed
        assert case.message in text or case.message in got.stdout.decode("utf-8", "replace"), shown
    assert not got.changed_outside, f"{case}: wrote outside the workspace: {got.changed_outside}"
    if got.code != 0 and not case.records_may_change:
        assert not got.changed_records, f"{case}: a failed command changed records: {got.changed_records}"
    assert got.seconds <= case.time_max, f"{case}: took {got.seconds:.1f} s (at most {case.time_max})"
    assert got.memory_mb <= case.memory_max_mb, f"{case}: peak {got.memory_mb:.0f} MB (at most {case.memory_max_mb})"
