"""``phonebank.memory``: the organizer's heavy commands run without transparent huge pages, set before
pyarrow or numpy makes its first block."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from phonebank import memory
from phonebank.memory import Releaser, resident_bytes

REPO = Path(__file__).resolve().parent.parent
STATUS = Path("/proc/self/status")
needs_proc = pytest.mark.skipif(not STATUS.exists() or "THP_enabled" not in STATUS.read_text(),
                                reason="no THP_enabled line in /proc/self/status (not Linux 5.0+)")

# A child inherits the setting (pytest's worker may have run a heavy command in-process): start with it on.
HUGE_PAGES_ON = "import ctypes; ctypes.CDLL('libc.so.6').prctl(41, 0, 0, 0, 0)\n"

# Runs one command in a fresh interpreter; prints, at the moment pyarrow is first imported, whether this
# process still allows huge pages (1) or not (0), then the command's exit code.
PROBE = HUGE_PAGES_ON + """
import sys
class Probe:
    seen = None
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" and Probe.seen is None:
            Probe.seen = [l.split()[1] for l in open("/proc/self/status") if l.startswith("THP_enabled")][0]
        return None
sys.meta_path.insert(0, Probe())
from phonebank.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="phonebank")
except SystemExit as exc:
    code = exc.code
print("THP", Probe.seen, "exit", code)
"""


@needs_proc
def test_small_pages_turns_huge_pages_off_for_the_process() -> None:
    code = (HUGE_PAGES_ON + "from phonebank.memory import small_pages\n"
            "status = lambda: [l.split()[1] for l in open('/proc/self/status') if l.startswith('THP_enabled')][0]\n"
            "before = status()\n"
            "print(before, small_pages(), status())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["1", "True", "0"]


@needs_proc
@pytest.mark.parametrize("args", [
    ["report", "--format", "json"],
    ["export", "results"],
    ["import", str(REPO / "tests" / "fixtures" / "import" / "generic.csv"), "--list", "new"],
], ids=["report", "export", "import"])
def test_the_heavy_commands_turn_huge_pages_off_before_loading_pyarrow(workspace: Path, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, "-w", str(workspace), *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.stdout.split()[-4:] == ["THP", "0", "exit", "0"], done.stdout[-500:] + done.stderr[-2000:]


@needs_proc
def test_volunteers_commands_leave_the_process_as_it_is(workspace: Path) -> None:
    code = (HUGE_PAGES_ON + "import sys\n"
            "from phonebank.cli import cli\n"
            "try:\n"
            "    cli.main(['-w', sys.argv[1], 'check'], prog_name='phonebank')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('THP_enabled')][0])\n")
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], capture_output=True, text=True, timeout=60)
    assert done.stdout.split()[-1:] == ["1"], done.stderr


MALLINFO = """
import ctypes, sys
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if sys.argv[1] == "reuse":
    from phonebank.memory import reuse_freed_memory
    reuse_freed_memory()
block = ctypes.create_string_buffer(8 << 20)  # a million-voter int64 array
mapped = libc.mallinfo2().hblkhd
del block
print(mapped >= 8 << 20, libc.mallinfo2().fordblks >= 8 << 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_reuse_freed_memory_keeps_big_blocks_in_the_heap_for_the_next_array() -> None:
    def run(mode: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", MALLINFO, mode], capture_output=True, text=True, timeout=60)
        if "mallinfo2" in done.stderr:
            pytest.skip("glibc without mallinfo2 (before 2.33)")
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert run("plain") == ["True", "False"]  # glibc's default: mapped on its own, handed back when freed
    assert run("reuse") == ["False", "True"]  # from the heap, and kept there once freed


class FakeProcess:
    """Resident memory that grows as told and drops to ``after_release`` when memory is handed back."""

    def __init__(self, after_release: int = 100) -> None:
        self.now, self.after_release, self.releases = 0, after_release, 0

    def resident(self) -> int:
        return self.now

    def release(self) -> None:
        self.releases += 1
        self.now = self.after_release


def test_the_releaser_hands_memory_back_once_the_process_grew_by_its_slack() -> None:
    process = FakeProcess(after_release=100)
    release = Releaser(slack=64, resident=process.resident, release=process.release)
    process.now = 150
    assert release(force=True) and process.releases == 1 and release.floor == 100
    for grown, due in [(130, False), (163, False), (164, True), (120, False), (163, False), (165, True)]:
        process.now = grown
        assert release() is due, grown
    assert process.releases == 3
    process.now = 101
    assert release(force=True) and process.releases == 4  # before the end's big arrays, grown or not


def test_the_releaser_always_releases_where_resident_memory_cannot_be_read() -> None:
    calls: list[int] = []
    release = Releaser(slack=64, resident=lambda: None, release=lambda: calls.append(1))
    assert release() and release() and len(calls) == 2
    assert release.floor == 0


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="no /proc (not Linux)")
def test_resident_bytes_follows_memory_the_process_touches() -> None:
    before = resident_bytes()
    block = bytearray(b"\x01") * (64 << 20)  # every page written
    grown = resident_bytes()
    del block
    assert before is not None and grown is not None and grown - before >= 60 << 20


def test_resident_bytes_is_none_without_proc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(memory, "_STATM", str(tmp_path / "no-such-file"))
    assert memory.resident_bytes() is None


@pytest.mark.parametrize("was_on", [True, False])
def test_no_cycle_collection_turns_the_collector_off_in_its_block_and_back_as_it_was(was_on: bool) -> None:
    import gc

    before = gc.isenabled()
    (gc.enable if was_on else gc.disable)()
    try:
        with memory.no_cycle_collection():
            assert not gc.isenabled()
        assert gc.isenabled() is was_on
        with pytest.raises(KeyError), memory.no_cycle_collection():
            raise KeyError("the import failed")
        assert gc.isenabled() is was_on
    finally:
        (gc.enable if before else gc.disable)()


def test_the_import_runs_without_the_cycle_collector(tmp_path: Path, monkeypatch) -> None:
    import gc

    from phonebank.importer import core
    from phonebank.workspace import Workspace

    seen: list[bool] = []
    resolve = core.aliases.resolve
    monkeypatch.setattr(core.aliases, "resolve", lambda *a: (seen.append(gc.isenabled()), resolve(*a))[1])
    (tmp_path / "lists").mkdir()
    (tmp_path / "v.csv").write_text("VANID,FirstName,LastName,Phone\n1,Ana,Ruiz,2135550123\n", encoding="utf-8")
    enabled = gc.isenabled()
    gc.enable()  # on before, so that off inside is the import's doing
    try:
        core.run_import(Workspace(tmp_path), tmp_path / "v.csv", "t")
        assert seen == [False] and gc.isenabled()
    finally:
        (gc.enable if enabled else gc.disable)()
