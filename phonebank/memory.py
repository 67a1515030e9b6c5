"""How the organizer's heavy commands (import, report, export) ask the system for memory.

They are short-lived processes that make and drop arrays of a million values many times over, so:

* ``small_pages``: no transparent huge pages. numpy and Arrow's allocator ask for them on big blocks; the
  kernel then zeroes 2 MB at a time, page after page the process only touches once. A first report of 1M
  results (benchmarks/bench_report.py, same run) took 2.5 s of CPU with them and 1.9 s without, the kernel's
  page clearing a third of the profile, and it varied by half a second from run to run.
* ``reuse_freed_memory``: the report and the export keep what they free for their next arrays, rather
  than handing it back and having every page of the next one faulted in again (1.62 s of CPU down to
  1.55 s for that first report, the page faults from 180,000 to 116,000, the same peak memory).
* ``Releaser``: the import works a part at a time and hands what the parts freed back to the system once
  the process has grown by a slack (the file's size, at most ``SLACK_BYTES``) since it last did — not after
  every part (each part's arrays were then faulted in anew, page by page: 370,000 page faults and 0.8 s of
  system CPU for 1M VAN rows), and always before the end, which makes its arrays anew.

Each is a no-op where the call does not exist (not Linux, not glibc).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_PR_SET_THP_DISABLE = 41  # prctl(2)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
SLACK_BYTES = 256 << 20
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = "/proc/self/statm"


@functools.cache
def libc() -> ctypes.CDLL | None:
    """glibc, or None (macOS, musl, Windows: nothing to call)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found = ctypes.CDLL("libc.so.6", use_errno=True)
        found.malloc_trim, found.mallopt, found.prctl  # noqa: B018 - glibc's
    except (OSError, AttributeError):
        return None
    return found


@functools.cache
def small_pages() -> bool:
    """Ask the kernel for no transparent huge pages in this process (from now on); whether it agreed."""
    found = libc()
    return found is not None and found.prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0


@functools.cache
def reuse_freed_memory() -> None:
    """Have glibc keep freed memory for the next allocation: blocks up to 32 MB (its most) from the heap, not
    mapped and unmapped each time; the heap trimmed past 1 GB free only, and grown 256 MB at a time."""
    found = libc()
    if found is not None:
        found.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        found.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        found.mallopt(_M_TOP_PAD, 256 << 20)


def release_memory() -> None:
    """Hand the memory freed so far back to the system (glibc keeps it in its arenas, one per thread)."""
    found = libc()
    if found is not None:
        found.malloc_trim(0)


def resident_bytes() -> int | None:
    """This process's resident memory now, or None where there is no /proc (not Linux)."""
    try:
        with open(_STATM, "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return None


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off in the block (as it was after): the import makes arrays, not cycles, and
    the collector walked every object it held again and again (1.5% of the CPU of 1M VAN rows)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Releaser:
    """Hands freed memory back (``release_memory``) once the process has grown by ``slack`` bytes since it
    last did, or when told to (``force``: before a step that makes its arrays anew). The slack trades memory
    for time. The import's pipeline on 1M rows (parts of 65,536 rows; same run, medians of 5), with a
    slack of a quarter of the file's size (at most 64 MB, as before), half of it, and all of it: VAN (115 MB)
    1.99, 1.91 and 1.74 s in 260, 280 and 308 MB (`read_csv`: 466 MB), 265,000, 196,000 and 151,000 page
    faults; UTF-16 (228 MB) 2.24, 2.22 and 2.09 s in 280, 310 and 339 MB (`read_csv`: 351 MB); North
    Carolina (397 MB) 5.48, 5.22 and 4.89 s in 456, 534 and 620 MB (`read_csv`: 1,158 MB). Files of 100,000
    rows came out the same with each (a few parts: little to reuse)."""

    def __init__(self, slack: int = SLACK_BYTES, resident: Callable[[], int | None] = resident_bytes,
                 release: Callable[[], None] = release_memory) -> None:
        self.slack, self._resident, self._release = slack, resident, release
        self.floor = 0  # resident bytes just after the last release

    def __call__(self, force: bool = False) -> bool:
        """Release if due (or ``force``); whether it did."""
        now = self._resident()
        if not force and now is not None and now - self.floor < self.slack:
            return False
        self._release()
        self.floor = self._resident() or 0
        return True
