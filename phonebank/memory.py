"""How the organizer's heavy commands (import, report, export) ask the system for memory.

They are short-lived processes that make and drop arrays of a million values many times over, so:

* ``small_pages``: no transparent huge pages. numpy and Arrow's allocator ask for them on big blocks; the
  kernel then zeroes 2 MB at a time, page after page the process only touches once. A first report of 1M
  results (benchmarks/bench_report.py, same run) took 2.5 s of CPU with them and 1.9 s without, the kernel's
  page clearing a third of the profile, and it varied by half a second from run to run.
* ``reuse_freed_memory``: the report and the export keep what they free for their next arrays, rather
  than handing it back and having every page of the next one faulted in again (1.62 s of CPU down to
  1.55 s for that first report, the page faults from 180,000 to 116,000, the same peak memory).
* ``big_blocks_mapped`` / ``release_memory``: glibc's arenas for the import, which works a part at a time
  and hands each part's memory back (see each).

Each is a no-op where the call does not exist (not Linux, not glibc).
"""

from __future__ import annotations

import ctypes
import functools
import sys

_PR_SET_THP_DISABLE = 41  # prctl(2)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
MAPPED_BLOCK_BYTES = 16 << 20


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


@functools.cache
def big_blocks_mapped() -> None:
    """Have glibc give every block of 16 MB or more its own mapping, handed back to the system when freed.
    Left to itself glibc raises that threshold each time such a block is freed (up to 32 MB), and the
    reader's threads then leave such blocks in per-thread arenas. Importing 1M VAN rows (benchmarks/
    bench_import.py, same run): 521 MB peak without this, 491 MB with it in the same time; a 4 MB
    threshold gave 470 MB and 1 MB 439 MB, but 7% and 13% slower (each block mapped anew is touched
    page by page)."""
    found = libc()
    if found is not None:
        found.mallopt(_M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES)


def release_memory() -> None:
    """Hand the memory freed by the step just done back to the system (glibc keeps it in its arenas,
    one per reader thread: 1M VAN rows peaked at 690 MB instead of 500 MB)."""
    found = libc()
    if found is not None:
        found.malloc_trim(0)
