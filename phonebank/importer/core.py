"""`phonebank import`, the pure part: voter file in, call list + rejects + summary out.

The file is worked on a part at a time (``reading.open_source``): each part mapped, cleaned, checked against
the voter IDs seen before (``ids.FirstSeen``) and the do-not-call list, its rows written to the list and
rejects files (``writing.ListWriter``, in a thread) and added to the calling index (``_CallingIndex``, in
another), while the next part is read (in a third). What needs every row — the phone columns the voters
use, the shared numbers, the refusal of an empty replacement, the report's records — is done at the end,
from the kept voters' ids and numbers; nothing is committed before.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import memory
from ..dnc import read_dnc
from ..errors import ImportFailed, UsageProblem
from ..lists import canonical_columns, phone_columns
from ..report import list_ids
from ..store.voters_static import Prepared
from ..workspace import Workspace
from . import aliases, arrow_read, fields, ids, phones, reading, writing

NO_NAME = "no name"
NO_PHONE = "no valid phone"
DUPLICATE = "duplicate voter ID"
ALL_DNC = "every phone is on the do-not-call list"
T = TypeVar("T")
LABELS = {NO_NAME: NO_NAME, NO_PHONE: NO_PHONE, DUPLICATE: DUPLICATE, ALL_DNC: "all phones on DNC"}


class Reasons:
    """Why each row is rejected, as a small code per row (0: kept); duplicates' messages by row."""

    TEXT = ("", NO_NAME, NO_PHONE, DUPLICATE, ALL_DNC)
    NO_NAME, NO_PHONE, DUPLICATE, ALL_DNC = 1, 2, 3, 4

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int8)
        self.duplicate: dict[int, str] = {}

    def text(self, rows: np.ndarray) -> list[str]:
        """The reasons of ``rows`` as written in the rejects file."""
        texts = self.TEXT
        return [self.duplicate[row] if code == self.DUPLICATE else texts[code]
                for row, code in zip(rows.tolist(), self.code[rows].tolist(), strict=True)]


@dataclass
class ImportSummary:
    source: str
    list_path: Path
    rejects_path: Path
    rows: int = 0
    imported: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    shared_numbers: int = 0
    shared_voters: int = 0
    phones: phones.PhoneStats = field(default_factory=phones.PhoneStats)
    dnc_removed: int = 0
    phone_columns: int = 1
    mapped: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    replaced: bool = False
    calling_rows: Prepared | None = field(default=None, repr=False)  # the calling index's static part
    beside: object = field(default=None, repr=False)  # what the ``beside`` work returned

    def lines(self, root: Path | None = None) -> list[str]:
        """The summary as printed, paths relative to ``root`` when inside it."""
        lst, rej = _rel(self.list_path, root), _rel(self.rejects_path, root)
        if self.dry_run:
            head = f"Dry run: would import {self.imported:,} voters from {self.source} into {lst}"
        elif self.replaced:
            head = f"Replaced {lst} with {self.imported:,} voters from {self.source}"
        else:
            head = f"Imported {self.imported:,} voters from {self.source} into {lst}"
        delim = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(self.delimiter, self.delimiter)
        head += f" ({self.encoding}{', ' + delim + '-separated' if delim else ''})"
        rejected = sum(self.rejected.values())
        p = self.phones
        out = [
            head,
            f"  rows read             {self.rows:>9,}",
            f"  imported              {self.imported:>9,}  ({self.phone_columns} "
            f"{_plural(self.phone_columns, 'phone column')})",
            f"  rejected              {rejected:>9,}" + (f"  -> {rej}" if rejected and not self.dry_run else ""),
        ]
        out += [f"    {LABELS[reason]:<20}{count:>9,}" for reason, count in self.rejected.items() if count]
        out += [
            f"  duplicate voter IDs   {self.duplicates:>9,}  (first row kept)",
            f"  shared phones         {self.shared_numbers:>9,}  "
            f"{_plural(self.shared_numbers, 'number')} used by {self.shared_voters:,} voters (kept)",
            f"  phones fixed          {p.fixed:>9,}  rewritten to E.164 ({p.by_fallback:,} by phonenumbers); "
            f"{p.invalid:,} invalid dropped",
            f"  do-not-call removals  {self.dnc_removed:>9,}",
            "  columns: " + "; ".join(self.mapped),
        ]
        if self.dry_run:
            out.append("Nothing written (--dry-run).")
        return out


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _file_bytes(path: Path) -> int:
    """The size of the file at ``path`` (0 for a pipe, or when it cannot be told)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def run_import(ws: Workspace, source: Path, list_name: str, **options) -> ImportSummary:
    """Import ``source`` into ``lists/LIST_NAME.csv`` (see ``_run_import``), one import per list at a
    time. Hidden temporary files left by an import that was killed mid-write are removed first."""
    memory.small_pages()
    with arrow_read.pandas_set_aside(), memory.no_cycle_collection():
        return _locked_import(ws, source, list_name, **options)


def _locked_import(ws: Workspace, source: Path, list_name: str, **options) -> ImportSummary:
    if options.get("dry_run"):
        return _run_import(ws, source, list_name, **options)
    lists_dir = ws.list_path(list_name).parent
    with open(ws.index_dir / f"import-{list_name}.lock", "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageProblem(f"another import into list '{list_name}' is running — wait for it to finish, "
                               "then run this one again") from None
        for stale in [*lists_dir.glob(f".{list_name}.csv.*.tmp"), *lists_dir.glob(f".{list_name}.rejects.csv.*.tmp")]:
            stale.unlink(missing_ok=True)
        return _run_import(ws, source, list_name, **options)


def _run_import(
    ws: Workspace,
    source: Path,
    list_name: str,
    *,
    maps: tuple[str, ...] | list[str] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    progress: Callable[[float], None] | None = None,
    prepare_calling: bool = True,
    beside: Callable[[pa.Table], Callable[[], object]] | None = None,
) -> ImportSummary:
    """Import ``source`` into ``lists/LIST_NAME.csv``; nothing is written when anything fails.
    ``progress``: called with the share of the work done (0 to 1) as the import goes.
    ``beside``: given the list's canonical columns (the rows written) just before the list file is
    committed, starts work on them (e.g. the COPY into a campaign database) and returns a function that
    waits for it; its result is ``summary.beside`` (and no calling index is prepared)."""
    list_path = ws.list_path(list_name)
    map_items = aliases.parse_maps(maps)
    encoding, delimiter = reading.check_encoding(encoding), reading.parse_delimiter(delimiter)
    exists = list_path.exists()
    if exists and not replace and not dry_run:
        raise UsageProblem(
            f"list '{list_name}' already exists ({_rel(list_path, ws.root)}) — pass --replace to replace it "
            "(recorded results stay linked by voter ID), or choose another --list name"
        )
    job = _Job(ws, source, list_name, map_items, exists, dry_run, prepare_calling, beside,
               progress or (lambda _done: None))
    src = reading.open_source(source, encoding, delimiter)
    try:
        return job.run(src)
    except reading.NotUsual:  # found on the way (a line break in a value...): what was written is gone
        return job.run(src.exact())


@dataclass
class _Written:
    """What the parts written so far add up to."""

    rows: int = 0
    tally: np.ndarray = field(default_factory=lambda: np.zeros(len(Reasons.TEXT), dtype=np.int64))
    width: int = 0  # phones of the fullest kept row
    slots: int = 1  # phones of the fullest row, rejected or not (at least 1): the slots a derived id is made of
    derived_with: set[int] = field(default_factory=set)  # ``slots`` as it was when ids were derived
    kept: list[pa.Table] = field(default_factory=list)  # the kept rows' ids and numbers (all columns for ``beside``)
    first_line: int = 0  # the first row's line and why it was rejected (for ``_nothing_to_import``)
    first_reason: str = ""


class _Job:
    """One import: the source's parts mapped, cleaned, checked and written in turn, then what needs them all."""

    def __init__(self, ws: Workspace, source: Path, list_name: str, map_items, exists: bool, dry_run: bool,
                 prepare_calling: bool, beside, progress: Callable[[float], None]) -> None:
        self.ws, self.source, self.list_name, self.map_items = ws, source, list_name, map_items
        self.exists, self.dry_run, self.prepare_calling, self.beside = exists, dry_run, prepare_calling, beside
        self.progress = progress

    def run(self, src: reading.Source) -> ImportSummary:
        ws, list_name = self.ws, self.list_name
        list_path, rejects_path = ws.list_path(list_name), ws.rejects_path(list_name)
        summary = ImportSummary(str(self.source), list_path, rejects_path, encoding=src.encoding,
                                delimiter=src.delimiter, dry_run=self.dry_run, replaced=self.exists)
        parts = iter(src.parts)
        # the first part before the header counts: the file may turn out not to be the usual kind (NotUsual)
        part: reading.SourceTable | None = next(parts)
        # what a part frees is kept for the next, up to the file's size (at most SLACK_BYTES): the time the
        # import waits is what it is furthest from its target on, its memory well within its own
        release = memory.Releaser(slack=min(memory.SLACK_BYTES, _file_bytes(self.source)))
        release(force=True)  # what finding the file's kind left
        mapping = aliases.resolve(src.columns, self.map_items, aliases.shown(str(self.source)))
        summary.mapped = _describe(mapping, next((f for f in aliases.ID_FIELDS if f in mapping.single), None))
        self.mapping, self.summary = mapping, summary
        self.unmapped = [c for c in src.columns if c not in mapping.used]
        dnc = read_dnc(ws.dnc_path)
        self.dnc = pa.array(sorted(dnc), pa.string()) if dnc else None  # numbers blanked in every part
        self.seen = ids.FirstSeen()
        done = _Written()
        making_index = not self.dry_run and self.beside is None and self.prepare_calling
        self.index = _CallingIndex(ws, list_name, dnc) if making_index else None
        try:
            with nullcontext() if self.dry_run else writing.ListWriter(list_path, rejects_path) as out:
                while part is not None:
                    self._part(part, done, out)
                    del part
                    release()
                    self.progress(0.9 * src.read[0])
                    part = next(parts, None)
                release(force=True)  # the end makes its arrays anew, a few big ones
                self._finish(done, out)
        except BaseException:
            if self.index is not None:
                self.index.abandon()
            raise
        self._after()
        self.progress(1.0)
        return summary

    def _part(self, src: reading.SourceTable, done: _Written, out: writing.ListWriter | None) -> None:
        """Map, clean and check one part of the file, and write its rows (the list's and the rejected)."""
        mapping, summary, n = self.mapping, self.summary, src.table.num_rows
        col = dict(zip(src.columns, src.table.columns, strict=True))

        def text(name: str):
            c = mapping.single.get(name)
            return fields.clean(col[c]) if c else fields.blank(n)

        if "first_name" in mapping.single or "last_name" in mapping.single:
            first, last_name = text("first_name"), text("last_name")
        else:
            first, last_name = fields.split_name(col[mapping.single["name"]])
        zip_ = fields.zip5(col[mapping.single["zip"]]) if "zip" in mapping.single else fields.blank(n)
        slots, count = _phones(mapping, col, summary)
        # a derived id is made of as many phone slots as the fullest row of the file has: a part with fewer gets
        # empty ones, and should a later part have more, the file is read again whole (``_finish``)
        done.slots = max(done.slots, len(slots))
        if ids.derives(mapping, col):
            done.derived_with.add(done.slots)
        voter_id, system, source_id = ids.mapped_ids(
            mapping, col, first, last_name, [*slots, *(fields.blank(n) for _ in range(done.slots - len(slots)))], zip_)
        reasons = Reasons(n)
        reasons.code[_np(pc.and_(pc.equal(first, ""), pc.equal(last_name, "")))] = Reasons.NO_NAME
        counts = count.to_numpy(zero_copy_only=False)
        reasons.code[(counts == 0) & (reasons.code == 0)] = Reasons.NO_PHONE
        self._duplicates(voter_id, src.lines, reasons)
        slots, counts = _remove_dnc(self.dnc, slots, counts, reasons.code, summary)
        keep = reasons.code == 0
        if not done.rows:
            done.first_line, done.first_reason = int(src.lines[0]), reasons.text(np.arange(1))[0]
        done.rows += n
        done.tally += np.bincount(reasons.code, minlength=len(Reasons.TEXT))
        done.width = max(done.width, int(counts[keep].max()) if keep.any() else 0)
        # as many phone columns as the fullest kept row so far (should a later part need more, the list so far
        # is given them: ``ListWriter``)
        width = max(1, done.width)
        slots = [*slots, *(fields.blank(n) for _ in range(width - len(slots)))][:width]
        values = [voter_id, first, last_name, *slots, zip_, text("city"), pc.utf8_upper(text("state")),
                  fields.language(text("language")) if "language" in mapping.single else fields.blank(n),
                  text("age"), text("party"), system, source_id]
        canonical = canonical_columns(width)
        keep_mask = pa.array(keep)
        kept = pa.table([c.filter(keep_mask) for c in values], names=canonical)
        if self.index is not None:
            self.index.add(kept)
        # what the end needs: every column for the work beside, else the ids and numbers (``_report_records``)
        done.kept.append(kept if self.beside is not None else kept.select(["voter_id", *phone_columns(canonical)]))
        if out is None:
            return
        rejected = ~keep
        if rejected.any():
            # a filter works chunk by chunk; a take of a chunked table joins each column's chunks first
            out.rejects(writing.rejects_table(src.table.filter(pa.array(rejected)), src.columns, src.lines[rejected],
                                              pa.array(reasons.text(np.flatnonzero(rejected)), pa.string())))
        names = [*canonical, *writing.output_names(canonical, self.unmapped)]
        out.rows([*kept.columns, *(col[c] for c in self.unmapped)], names, keep, plain=src.plain, kept=len(canonical))

    def _duplicates(self, voter_id, lines: np.ndarray, reasons: Reasons) -> None:
        """Mark the rows whose voter ID an earlier row (of this part or one before) has."""
        first_lines = self.seen.first_lines(voter_id, lines)
        dup = first_lines != lines
        count = int(dup.sum())
        self.summary.duplicates += count
        if not count:
            return
        dup_rows = np.flatnonzero(dup & (reasons.code == 0))
        reasons.code[dup_rows] = Reasons.DUPLICATE
        id_values = voter_id.take(pa.array(dup_rows)).to_pylist()
        for row, vid in zip(dup_rows.tolist(), id_values, strict=True):
            reasons.duplicate[row] = f"{DUPLICATE} {vid} (first on line {first_lines[row]})"

    def _finish(self, done: _Written, out: writing.ListWriter | None) -> None:
        """The counts, the refusal of an empty replacement, and the work on all kept rows begun before the files
        are committed."""
        summary = self.summary
        if done.derived_with - {done.slots}:  # ids derived before a later part showed the file's phone slots
            raise reading.NotUsual("derived ids made of fewer phone slots than the file has")
        summary.rows = done.rows
        for code, label in enumerate(Reasons.TEXT[1:], start=1):
            summary.rejected[label] = int(done.tally[code])
        summary.imported = int(done.tally[0])
        if not summary.imported and self.exists and not self.dry_run:
            raise _nothing_to_import(aliases.shown(str(self.source)), summary, np.array([done.first_line]),
                                     [done.first_reason], _rel(summary.list_path, self.ws.root))
        width = summary.phone_columns = max(1, done.width)
        kept = _kept_columns(done.kept, width)
        done.kept = []
        self.waiting: Callable[[], object] | None = None
        if out is not None and self.beside is not None:
            self.waiting = self.beside(kept)
        elif out is not None and self.prepare_calling:
            self.waiting = self.index.write(kept) if self.index is not None else None
        recording = self.waiting is not None and self.beside is None
        # while the files are committed (their fsyncs) and the calling index is written: what the reports keep of
        # the list and the shared numbers (5.7M VAN rows: the end of the import went from 3.1 s to 2.4 s)
        self.records = _started(lambda: _report_records(kept) if recording else None)
        self.shared = _started(lambda: _shared([kept.column(f"phone_{i}") for i in range(1, width + 1)]))

    def _after(self) -> None:
        """Once the files are committed: what keys itself to the list file, and the work begun beside."""
        summary, waiting = self.summary, self.waiting
        try:
            self._recorded(waiting)
        finally:
            summary.shared_numbers, summary.shared_voters = self.shared()

    def _recorded(self, waiting: Callable[[], object] | None) -> None:
        summary = self.summary
        if self.dry_run:
            return
        if self.beside is not None:
            summary.beside = waiting() if waiting else None
            return
        if waiting is None:
            return
        ws, list_name, records = self.ws, self.list_name, self.records()
        names = canonical_columns(summary.phone_columns)
        header = [*names, *writing.output_names(names, self.unmapped)]
        recorded = _started(lambda: _record_list(ws, list_name, records, header))  # while the index is finished
        summary.calling_rows = waiting()  # type: ignore[assignment]
        _record_zones(ws, list_name, summary.calling_rows)
        recorded()


def _started(work: Callable[[], T]) -> Callable[[], T]:
    """``work`` begun in a thread (numpy and pyarrow leave the GIL); the function returned waits for its result
    (raising what it raised)."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phonebank-tail")
    try:
        return pool.submit(work).result
    finally:
        pool.shutdown(wait=False)


def _kept_columns(tables: list[pa.Table], width: int) -> pa.Table:
    """The kept canonical columns of every part as one table, with ``width`` phone columns (the parts before a
    part that needed more have them empty)."""
    canonical = canonical_columns(width)
    if not tables:
        return pa.table([fields.blank(0) for _ in canonical], names=canonical)
    names = [name for name in canonical if name in tables[-1].column_names]
    return pa.concat_tables([pa.table([t.column(name) if name in t.column_names else fields.blank(t.num_rows)
                                       for name in names], names=names) for t in tables])


class _CallingIndex:
    """The calling index's static part, made beside the import a part at a time in a thread (pyarrow leaves the
    GIL) and written once the last part is in; an optimisation only: should it fail, the index is built from
    the list file."""

    def __init__(self, ws: Workspace, list_name: str, dnc: set[str]) -> None:
        import secrets
        from concurrent.futures import Future, ThreadPoolExecutor

        from ..store import voters_static
        from ..store.voters_arrow import StaticBuilder

        self.token = secrets.token_hex(8)
        self.path = ws.index_dir / f".{voters_static.file_name(list_name, self.token)}.tmp"
        self.builder = StaticBuilder(dnc, stream_to=(self.path, self.token), numbers_at_write=True)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phonebank-index")
        self.adding: Future | None = None
        self.failed = False

    def add(self, table: pa.Table) -> None:
        """Add a part's kept rows (canonical columns), once the part before is in (the memory stays bounded)."""
        self._settle()
        if not self.failed:
            self.adding = self.thread.submit(self.builder.add, table)

    def _settle(self) -> None:
        if self.adding is not None:
            self.failed = self.failed or self.adding.exception() is not None
            self.adding = None

    def write(self, numbers: pa.Table) -> Callable[[], Prepared | None]:
        """Start writing the file after the last part, given the voter_id and phone columns of every part's kept
        rows in order; the returned function waits for it (None if it failed)."""
        self._settle()

        def work() -> Prepared | None:
            if self.failed:
                return None
            try:
                return self.builder.write(self.path, self.token, numbers=numbers)
            except Exception:  # noqa: BLE001 - an optimisation only: the index is then built from the file
                self.path.unlink(missing_ok=True)
                return None

        writing = self.thread.submit(work)
        self.thread.shutdown(wait=False)
        return writing.result

    def abandon(self) -> None:
        """The import failed: nothing more to add, nothing written."""
        self.thread.shutdown(wait=True, cancel_futures=True)
        self.builder.close()


@dataclass
class ReportRecords:
    """What a report reads of a list, as `phonebank import` wrote it: each voter's id and numbers (the
    columns ``report.voters.read_list`` reads when the zones are recorded) and the ids as integers."""

    columns: pa.Table
    ids: list_ids.ListIds | None


def _report_records(table: pa.Table) -> ReportRecords | None:
    """What the reports keep of the kept rows ``table`` (its columns shared, not copied)."""
    try:
        kept = table.select(["voter_id", *phone_columns(table.column_names)])
        if pc.any(pc.equal(kept.column("voter_id"), "")).as_py():  # none from an import; as the report reads a list
            kept = kept.filter(pc.not_equal(kept.column("voter_id"), ""))
        return ReportRecords(kept, list_ids.index_of(kept.column("voter_id")))
    except Exception:  # noqa: BLE001 - an optimisation only: the first report reads the list
        return None


def _record_list(ws: Workspace, list_name: str, records: ReportRecords | None, header: list[str]) -> None:
    """Keep, keyed to the list file just written, the voters' ids and numbers and the ids as integers
    (``report.cache``): with the zones (``_record_zones``), a first report reads nothing of the list."""
    if records is None or phone_columns(header) != records.columns.column_names[1:]:  # another phone_N column
        return
    from ..report import cache as report_cache

    folder = report_cache.folder(ws.index_dir, list_name)
    list_path = ws.list_path(list_name)
    report_cache.save_list(folder, list_path, [], records.columns, header)
    if records.ids is not None:
        report_cache.save_ids(folder, list_path, records.ids.ints, records.ids.order, records.ids.unique)


def _record_zones(ws: Workspace, list_name: str, prepared: Prepared | None) -> None:
    """Keep each voter's zone key (worked out for the calling index) for the reports, keyed to the list
    file just written (``report.cache.save_zones``): a first report then need not work them out again."""
    if prepared is None:
        return
    from ..report import cache as report_cache

    zone_of = np.asarray(prepared.zones, dtype=np.int32)
    report_cache.save_zones(report_cache.folder(ws.index_dir, list_name), ws.list_path(list_name), zone_of,
                            list(prepared.zone_keys))


def _nothing_to_import(shown: str, summary: ImportSummary, lines: np.ndarray, reasons: list[str],
                       current: str) -> ImportFailed:
    """--replace with a file whose every row is rejected: write nothing (an empty list must never
    replace a good one). A new list is still written, with its rejects file to show why."""
    counts = ", ".join(f"{count:,} {LABELS[reason]}" for reason, count in summary.rejected.items() if count)
    rows = "its only row was rejected" if summary.rows == 1 else f"all {summary.rows:,} rows were rejected"
    return ImportFailed(
        f"{shown}: no voter to import — {rows} ({counts}; line {lines[0]}: "
        f"{reasons[0]}) — check the name and phone columns (--map) and the --delimiter, then import again "
        f"({current} is unchanged)"
    )


def _np(mask) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _phones(mapping: aliases.Mapping, col: dict, summary: ImportSummary) -> tuple[list, pa.Array]:
    """Each row's phones in E.164, cells first, without repeats: (slot columns, count per row)."""
    flags = {kind: phones.flag_true(col[mapping.single[f]])
             for kind, f in (("home_phone", "home_is_cell"), ("work_phone", "work_is_cell"))
             if f in mapping.single}
    tiers: dict[str, list] = {"cell": [], "phone": [], "home": [], "work": []}
    for kind, parts in mapping.phones:
        raw = col[parts[0]] if len(parts) == 1 else pc.binary_join_element_wise(*(col[p] for p in parts), "")
        e164 = phones.to_e164(raw, summary.phones)
        tier = kind.removesuffix("_phone")
        if kind in flags:
            tiers["cell"].append(pc.if_else(flags[kind], e164, ""))
            e164 = pc.if_else(flags[kind], "", e164)
        tiers[tier].append(e164)
    candidates = [c for tier in ("cell", "phone", "home", "work") for c in tiers[tier]]
    return phones.compact(candidates)


def _remove_dnc(value_set: pa.Array | None, slots: list, counts: np.ndarray, reasons: np.ndarray,
                summary: ImportSummary) -> tuple[list, np.ndarray]:
    """Numbers on the do-not-call list (``value_set``) blanked; ``reasons`` (codes) marks the voters left
    without one."""
    if value_set is None:
        return slots, counts
    removed = summary.dnc_removed
    open_rows = pa.array(reasons == 0)
    cleaned = []
    for slot in slots:
        hit = pc.and_(pc.is_in(slot, value_set=value_set), open_rows)
        summary.dnc_removed += pc.sum(hit).as_py() or 0
        cleaned.append(pc.if_else(hit, "", slot))
    if summary.dnc_removed == removed:
        return slots, counts
    slots, count = phones.compact(cleaned, dedupe=False)
    new_counts = count.to_numpy(zero_copy_only=False)
    reasons[(new_counts == 0) & (counts > 0) & (reasons == 0)] = Reasons.ALL_DNC
    return slots, new_counts


def _shared(slots: list) -> tuple[int, int]:
    """(numbers used by more than one voter, voters using them); E.164 digits compared as integers."""
    numbers = np.concatenate([np.zeros(0, dtype=np.int64)] + [  # a piece at a time: no copy of all the strings
        pc.cast(pc.utf8_slice_codeunits(c.filter(pc.greater(pc.binary_length(c), 0)), 1), pa.int64()).to_numpy()
        for s in slots for c in (s.chunks if isinstance(s, pa.ChunkedArray) else [s])])
    numbers.sort()
    again = numbers[1:] == numbers[:-1]  # a number of the voter before (np.unique's counts take 10 times as long)
    first_again = again.copy()  # the second voter of each shared number
    first_again[1:] &= ~again[:-1]
    shared = int(first_again.sum())
    return shared, int(again.sum()) + shared


def _describe(mapping: aliases.Mapping, id_field: str | None) -> list[str]:
    out = [aliases.describe_id(mapping, id_field)]
    names = [mapping.single[f] for f in ("first_name", "last_name", "name") if f in mapping.single]
    out.append("name <- " + ", ".join(names))
    phone_cols = []
    for kind, parts in mapping.phones:
        label = "+".join(parts)
        flag = {"home_phone": "home_is_cell", "work_phone": "work_is_cell"}.get(kind)
        if flag and flag in mapping.single:
            label += f" (a cell when {mapping.single[flag]})"
        elif kind == "cell_phone":
            label += " (cell)"
        phone_cols.append(label)
    out.append("phones <- " + ", ".join(phone_cols))
    return out
