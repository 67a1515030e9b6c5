"""A derived cache of parsed results rows, so a report re-parses only what was appended since.

Results files are append-only (``phonebank.results``), so — like the calling queue's index — the
rows read up to a byte offset stay valid while the file only grows. The cache keeps, in
``.phonebank/report/LIST/``:

* ``rows.arrow``: the rows parsed from every cached results file, file after file, each from the start
  of its file up to its ``offset`` (Arrow IPC, the columns of ``data.CACHE_COLUMNS``; one file, so a
  list called by hundreds of volunteers costs one write and one memory map, not hundreds);
* an entry per results file in ``manifest.json``: where its rows start in ``rows.arrow`` and how many,
  ``offset``, the file's inode, its first 64 bytes and the 64 bytes before ``offset``, and its size
  and mtime when cached;
* ``list-HASH.arrow``: the columns of the call list a report reads, ``zones.arrow`` the zone key of
  each of its voters and ``ids.arrow`` their numeric ids in sorted order, valid while the list file keeps its inode, size and mtime (lists are rewritten by
  `phonebank import`, never appended to).

An entry is used only when the file is the same inode, at least ``offset`` bytes long, with the same
bytes at both places (and, when it did not grow, the same mtime); anything else — a file rewritten
by hand, truncated, replaced — drops the entry and the file is parsed again. Files that needed the
contract's slow reader (damaged rows) are never cached. A few rows appended past the cache (``few``)
are parsed by each report rather than rewriting every cached row; more, and the cache is written
again with them. The report itself is kept beside it (``memo``). The folder is safe to delete; every file in
it is private (0600), since it holds voter data. Any problem reading or writing the cache is ignored:
the report then simply parses everything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..fsutil import atomic_write, ensure_private_dir

VERSION = 3  # 2: the ``overlaps`` column; 3: one rows.arrow for every file. Another version is not used
PROBE = 64


MAX_CHUNKS = 64  # a table in more pieces than this is joined into one before it is written


def _write_table(path: Path, table) -> None:
    """Write an Arrow IPC file atomically (temporary file + rename), private. No fsync: a cache lost
    in a crash is rebuilt by the next report, and checked before use anyway. A table in a few pieces
    (the parser's blocks) is written as it is, a record batch per piece: joining them first would copy
    every row once more. One in many pieces (a slice per results file) is joined."""
    import pyarrow as pa

    table = table.unify_dictionaries()  # an IPC file holds one dictionary per column
    if any(column.num_chunks > MAX_CHUNKS for column in table.columns):
        table = table.combine_chunks()
    with atomic_write(path, "wb", durable=False) as fh, pa.ipc.new_file(fh, table.schema) as writer:
        writer.write_table(table)


def write_marked(cache_dir: Path, name: str, columns: dict, meta: dict) -> None:
    """Keep ``columns`` (Arrow arrays) with ``meta`` (JSON, with its "key") in ``cache_dir/name``, private;
    a cache only: a failure leaves the next report to compute again."""
    import pyarrow as pa

    from ..fsutil import ensure_private_dir

    try:
        ensure_private_dir(cache_dir)
        table = pa.table(columns).replace_schema_metadata({"phonebank": json.dumps(meta)})
        _write_table(cache_dir / name, table)
    except (OSError, ValueError, pa.ArrowException):
        pass


def read_marked(cache_dir: Path, name: str, wanted: str):
    """(meta, table) kept in ``cache_dir/name`` for the key ``wanted``, or None (missing, another key, damaged)."""
    import pyarrow as pa

    try:
        with pa.memory_map(str(cache_dir / name)) as source:
            reader = pa.ipc.open_file(source)
            meta = json.loads(reader.schema.metadata[b"phonebank"])
            if meta["key"] != wanted:
                return None
            return meta, reader.read_all()
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None


def folder(index_dir: Path, list_name: str) -> Path:
    return index_dir / "report" / list_name


def _fingerprint(path: Path, offset: int) -> tuple[str, str] | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        head = os.pread(fd, PROBE, 0)
        tail = os.pread(fd, min(PROBE, offset), max(0, offset - PROBE))
    except OSError:
        return None
    finally:
        os.close(fd)
    return head.hex(), tail.hex()


ROWS = "rows.arrow"


class Cached(dict):
    """{path: (pyarrow table, offset)}; ``whole``: every cached row at once (one table, no slicing) when
    they are exactly the rows of ``files``, in order — the report of an unchanged list then converts
    one table instead of joining a slice per file."""

    whole: Any = None


def load(cache_dir: Path, files: list[Path]) -> Cached:
    """Valid cached tables by results file: {path: (pyarrow table, offset)} (``Cached``)."""
    import pyarrow as pa

    from .data import CACHE_COLUMNS

    try:
        manifest = json.loads((cache_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Cached()
    if not isinstance(manifest, dict) or manifest.get("version") != VERSION:
        return Cached()
    entries = manifest.get("files", {})
    try:
        with pa.memory_map(str(cache_dir / ROWS)) as source:
            rows = pa.ipc.open_file(source).read_all()
        if rows.column_names != list(CACHE_COLUMNS) or rows.num_rows != manifest.get("rows"):
            return Cached()
    except (OSError, TypeError, ValueError, pa.ArrowException):
        return Cached()
    out = Cached()
    at = 0  # where the next file's rows start if the cached rows are exactly those of ``files``
    for path in files:
        entry = entries.get(path.name)
        if not isinstance(entry, dict):
            continue
        try:
            st = path.stat()
            offset, start, count = int(entry["offset"]), int(entry["start"]), int(entry["rows"])
            if st.st_ino != entry["ino"] or st.st_size < offset or not 0 <= start <= start + count <= rows.num_rows:
                continue
            if st.st_size == entry["size"] and st.st_mtime_ns != entry["mtime_ns"]:
                continue  # same size, touched since: rewritten in place
            if _fingerprint(path, offset) != (entry["head"], entry["tail"]):
                continue
        except (OSError, KeyError, TypeError, ValueError):
            continue
        out[path] = (rows.slice(start, count), offset)
        at = at + count if at == start else -1
    if at == rows.num_rows and len(out) == len(files):
        out.whole = rows
    return out


FEW_ROWS = 20_000  # rows parsed again by every report rather than rewriting the cache (or 1/20 of it)


def few(cached: dict, new: dict, slow: list[Path]) -> bool:
    """Whether to leave the cache as it is although ``new`` rows were parsed past it: when they are few
    beside the cached rows (and no file needed the contract's reader), parsing them again next time
    costs less than rewriting every cached row. What is cached stays valid: each entry is checked at
    its own offset, and the rows past it are parsed by every report until the cache is written."""
    if slow or not cached:
        return False
    parsed = sum(t.num_rows for t in new.values())
    return parsed <= max(FEW_ROWS, sum(t.num_rows for t, _ in cached.values()) // 20)


def save(cache_dir: Path, tables: dict[Path, tuple[Any, int]], whole: Any = None) -> None:
    """Cache ``tables`` ({path: (rows of the file up to offset, offset)}), replacing what was cached;
    ``whole``, when given, is every table of ``tables`` joined in order (one parse of every file), and
    is written instead of joining the tables again."""
    import pyarrow as pa

    try:
        ensure_private_dir(cache_dir)
        files: dict[str, dict] = {}
        parts = []
        start = 0
        for path, (table, offset) in tables.items():
            st = path.stat()
            print_ = _fingerprint(path, offset)
            if print_ is None:
                continue
            files[path.name] = {"offset": offset, "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                "head": print_[0], "tail": print_[1], "start": start, "rows": table.num_rows}
            parts.append(table)
            start += table.num_rows
        if not parts:
            (cache_dir / "manifest.json").unlink(missing_ok=True)
            return
        if whole is None or whole.num_rows != start or len(parts) != len(tables):
            whole = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        _write_table(cache_dir / ROWS, whole)
        for stale in cache_dir.glob("*.csv.arrow"):  # the per-file cache of version 2
            stale.unlink(missing_ok=True)
        with atomic_write(cache_dir / "manifest.json", durable=False) as fh:
            json.dump({"version": VERSION, "rows": start, "files": files}, fh)
    except (OSError, pa.ArrowException):
        pass  # a cache only: the next report parses again


def _list_file(cache_dir: Path, columns: list[str]) -> Path:
    import hashlib

    digest = hashlib.sha1("\x1f".join(columns).encode("utf-8")).hexdigest()[:12]
    return cache_dir / f"list-{digest}.arrow"


def _list_key(path: Path) -> dict | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return {"version": VERSION, "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def load_list(cache_dir: Path, path: Path, columns: list[str]):
    """The cached columns of the call list, if the list file is unchanged: (table, header) or None."""
    import pyarrow as pa

    key = _list_key(path)
    try:
        with pa.memory_map(str(_list_file(cache_dir, columns))) as source:
            reader = pa.ipc.open_file(source)
            meta = json.loads(reader.schema.metadata[b"phonebank"])
            if meta["key"] != key:
                return None
            return reader.read_all(), meta["header"]
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None


def save_list(cache_dir: Path, path: Path, columns: list[str], table, header: list[str]) -> None:
    import pyarrow as pa

    key = _list_key(path)
    if key is None:
        return
    try:
        ensure_private_dir(cache_dir)
        table = table.replace_schema_metadata({"phonebank": json.dumps({"key": key, "header": header})})
        _write_table(_list_file(cache_dir, columns), table)
    except (OSError, pa.ArrowException):
        pass


def _load_keyed(cache_dir: Path, name: str, path: Path, rows: int):
    """(table, metadata) of ``name`` in the cache, if it was made from the list file as it is now."""
    import pyarrow as pa

    try:
        with pa.memory_map(str(cache_dir / name)) as source:
            reader = pa.ipc.open_file(source)
            meta = json.loads(reader.schema.metadata[b"phonebank"])
            if meta["key"] != _list_key(path) or meta["rows"] != rows:
                return None
            return reader.read_all(), meta
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None


def _save_keyed(cache_dir: Path, name: str, path: Path, columns: dict, **meta) -> None:
    import pyarrow as pa

    key = _list_key(path)
    if key is None:
        return
    try:
        ensure_private_dir(cache_dir)
        table = pa.table(columns)
        text = json.dumps({"key": key, "rows": table.num_rows, **meta})
        _write_table(cache_dir / name, table.replace_schema_metadata({"phonebank": text}))
    except (OSError, pa.ArrowException):
        pass


def load_zones(cache_dir: Path, path: Path, rows: int):
    """The cached zone of every list voter (``voters.list_zones``), the number of voters in each zone
    and the positions of voters with no phone, if the list file is unchanged. `phonebank import` records
    them (it works the zones out for the calling index anyway), so a report need not read the list for
    its list-level figures."""
    import numpy as np

    got = _load_keyed(cache_dir, "zones.arrow", path, rows)
    if got is None or "keys" not in got[1]:
        return None
    zone_of = np.asarray(got[0].column("zone").to_numpy(), dtype=np.int32)
    keys = list(got[1]["keys"])
    counts = got[1].get("counts")
    counts = np.bincount(zone_of, minlength=len(keys)) if counts is None else np.asarray(counts, dtype=np.int64)
    return zone_of, keys, counts, np.asarray(got[1].get("no_phone", []), dtype=np.int64)


def zones_recorded(cache_dir: Path, path: Path) -> bool:
    """Whether the zones of the list file as it is now are recorded (by `phonebank import`, or a report):
    a report then reads no zone columns of the list."""
    import pyarrow as pa

    try:
        with pa.memory_map(str(cache_dir / "zones.arrow")) as source:
            meta = json.loads(pa.ipc.open_file(source).schema.metadata[b"phonebank"])
        return meta["key"] == _list_key(path) and "keys" in meta
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return False


def save_zones(cache_dir: Path, path: Path, zone_of, keys: list[str], no_phone=()) -> None:
    """Record each voter's zone (a position in ``keys``), the count of voters per zone and the positions
    of voters without a phone (none in a list `phonebank import` wrote: it rejects such voters)."""
    import numpy as np
    import pyarrow as pa

    counts = np.bincount(np.asarray(zone_of, dtype=np.int64), minlength=len(keys)).tolist()
    _save_keyed(cache_dir, "zones.arrow", path, {"zone": pa.array(zone_of, pa.int32())}, keys=list(keys),
                counts=counts, no_phone=[int(i) for i in no_phone])


def load_ids(cache_dir: Path, path: Path, rows: int):
    """The list's voter ids as integers and their sorting order (``voters.id_index``), with ``unique``."""
    got = _load_keyed(cache_dir, "ids.arrow", path, rows)
    if got is None or "unique" not in got[1]:
        return None
    return got[0].column("id").to_numpy(), got[0].column("order").to_numpy(), bool(got[1]["unique"])


def save_ids(cache_dir: Path, path: Path, ints, order, unique: bool) -> None:
    import pyarrow as pa

    _save_keyed(cache_dir, "ids.arrow", path, {"id": pa.array(ints, pa.int64()), "order": pa.array(order, pa.int64())},
                unique=unique)
