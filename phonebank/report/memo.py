"""The last report of a list, kept while nothing it was made from has changed.

A report is a function of the list's results files, the call list, scripts.yaml, the do-not-call list,
the roster, the filters and the time. Everything but the time is fingerprinted (``key``); what depends
on the time — ``generated_at`` and the progress counts that split the open voters into waiting,
callable now and held by calling hours — is kept as its inputs (``state.Due``: when each open voter is
next due, and its zone) and worked out again by every report. So a report over unchanged files reads
one small file instead of every row, and gives what a full recompute gives, byte for byte.

``report-memo.arrow`` in the report cache folder (``cache.folder``): the columns ``next_at`` and
``zone`` of ``state.Due``; its schema metadata holds the key, the report (JSON, with the progress
figures that do not depend on the time), ``base_due`` and the zone keys. Any change — a results file
appended to, rewritten, added or removed; the list re-imported; scripts.yaml, the do-not-call list or
the roster edited; another ``MEMO_VERSION``, ``REPORT_VERSION`` or phonebank version — makes the key
differ and the report is computed afresh (and kept again). Problems reading or writing it are ignored.
Results are fingerprinted as the report starts: calls saved while it runs make the next key differ.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MEMO_VERSION = 2  # 2: answers not in scripts.yaml by value, held by a voter (tally.survey)
NAME = "report-memo.arrow"


def _file_print(path: Path, whole: bool = False) -> list:
    """Inode, size, mtime and the first and last 64 bytes of ``path`` (``whole``: a digest of all of
    it, for the small files people edit by hand); [] when it does not exist."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if whole:
                return [st.st_ino, st.st_size, st.st_mtime_ns, hashlib.sha1(fh.read()).hexdigest()]
            head = os.pread(fh.fileno(), 64, 0)
            tail = os.pread(fh.fileno(), 64, max(0, st.st_size - 64))
    except OSError:
        return []
    return [st.st_ino, st.st_size, st.st_mtime_ns, head.hex(), tail.hex()]


def key(script_digest: str, list_path: Path, files: list[Path], dnc_path: Path, roster_path: Path,
        filters: dict) -> str:
    """What a report was made from, as one text: equal texts, equal reports (but for the time)."""
    from .. import __version__
    from . import REPORT_VERSION

    return json.dumps({
        "version": [MEMO_VERSION, REPORT_VERSION, __version__],  # bump MEMO_VERSION with any change to a figure
        "filters": filters,
        "script": script_digest,
        "list": _file_print(list_path),
        "dnc": _file_print(dnc_path, whole=True),
        "roster": _file_print(roster_path, whole=True),
        "files": [[p.name, *_file_print(p)] for p in files],
    }, sort_keys=True)


def script_digest(script: Any) -> str:
    """A digest of scripts.yaml as loaded (an encoding that differs between runs — a set's order — only
    makes the memo miss)."""
    import msgspec

    try:
        data = msgspec.msgpack.encode(script)
    except (TypeError, ValueError, msgspec.EncodeError):
        data = repr(script).encode("utf-8", "surrogatepass")
    return hashlib.sha1(data).hexdigest()


def load(cache_dir: Path, wanted: str):
    """(report dict, ``state.Due``, zone keys) kept for ``wanted``, or None."""
    import numpy as np

    from .cache import read_marked
    from .state import Due

    kept = read_marked(cache_dir, NAME, wanted)
    if kept is None:
        return None
    meta, table = kept
    try:
        due = Due(np.asarray(table.column("next_at").to_numpy(), dtype=np.int64),
                  np.asarray(table.column("zone").to_numpy(), dtype=np.int64),
                  np.asarray(meta["base_due"], dtype=np.int64))
        return meta["report"], due, list(meta["keys"])
    except (KeyError, TypeError, ValueError):
        return None


def save(cache_dir: Path, made_from: str, report: dict, due, keys: list[str]) -> None:
    import pyarrow as pa

    from .cache import write_marked

    write_marked(cache_dir, NAME, {"next_at": pa.array(due.open_next_at, pa.int64()),
                                   "zone": pa.array(due.open_zone, pa.int32())},
                 {"key": made_from, "report": report, "base_due": due.base_due.tolist(), "keys": keys})
