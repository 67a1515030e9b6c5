"""Build the report: one plain dict (the ``--format json`` document) from a list's calls.

Definitions (see docs/report-export.md for the JSON keys):

* progress is "as of now" over every saved call of the list (filters do not apply): the status of
  each voter of the list by ``phonebank.outcomes`` rules; "callable now" and "held back by calling
  hours" split the voters that are due (never called, or retry/call-back due) by whether every time
  zone the voter may be in is inside the calling window right now (``phonebank.hours``);
* calls, codes, survey answers, volunteers and time cover the saved calls that still count (undo rows
  and the rows they cancel are left out) within --since/--until (dates in the campaign's time zone,
  inclusive) and --volunteer;
* survey answers are per voter: the voter's latest answer to the question, crossed with the voter's
  latest support ID (the support level of the latest contact code);
* an overlapping call (saved after the volunteer's hold on the voter lapsed while another volunteer
  called the same voter: ``overlaps`` names that other call) counts as a dial, a contact and in the
  codes, but not as an ID — the IDs and support scale of calls, and each volunteer's supporters, leave
  it out, so no voter is counted twice — unless the call it overlaps no longer counts (undone), when
  it is the voter's record (``data.duplicate_mask``). Per-voter numbers (progress, survey) take every
  call in time order. ``calls.overlapping_calls`` counts the calls left out of the IDs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from .. import clock, hours
from ..dnc import read_dnc
from ..errors import UsageProblem
from ..results import UNDO
from ..script import Script
from ..workspace import Workspace
from . import REPORT_VERSION, cache, delta, marks, memo, tally
from .data import REPORT_COLUMNS, Results, effective_mask, read_results
from .state import Due, Folded, ListState, dnc_voters, due_now, fold_frame, list_state
from .tally import SUPPORT_GROUPS, Filters  # noqa: F401 - SUPPORT_GROUPS: still importable from here
from .voters import ZONE_COLUMNS, Voters, id_index, list_zones, read_list


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageProblem(f"{option} '{text}' is not a date — use YYYY-MM-DD, e.g. 2017-03-11") from None


@dataclass
class Loaded:
    """Everything read for a list: the voters, the rows, and their fold (``state``, the status of every
    list voter, is worked out when first asked for: a report counts statuses without it)."""

    list_name: str
    voters: Voters
    results: Results
    keep: np.ndarray
    folded: Folded
    now: dt.datetime
    dnc: set[str]
    list_path: Path | None = None
    cache_dir: Path | None = None

    @cached_property
    def state(self) -> ListState:
        return list_state(self.folded, self.voters, self.voters.phone_columns, self.dnc, self.now)


def load(ws: Workspace, script: Script, list_name: str, list_columns: Sequence[str] | None = tuple(ZONE_COLUMNS),
         result_columns: tuple[str, ...] = REPORT_COLUMNS, now: dt.datetime | None = None,
         use_cache: bool = True) -> Loaded:
    cache_dir = _cache_dir(ws, list_name) if use_cache else None
    path = ws.list_path(list_name)
    columns = None if list_columns is None else list(list_columns)
    if columns == ZONE_COLUMNS and cache_dir is not None and cache.zones_recorded(cache_dir, path) and \
            cache.load_list(cache_dir, path, columns) is None:
        columns = []  # each voter's zone recorded (by `phonebank import`): the zone columns are not read
    voters = read_list(path, columns, dedupe=False, cache_dir=cache_dir)
    if columns == [] and cache_dir is not None and cache.load_zones(cache_dir, path, len(voters)) is None:
        voters = read_list(path, ZONE_COLUMNS, dedupe=False, cache_dir=cache_dir)
    results = read_results(ws.results_files(list_name), result_columns, cache_dir=cache_dir)
    keep = effective_mask(results.rows)
    list_index = id_index(voters, ws.list_path(list_name), cache_dir)
    folded = fold_frame(script, results.rows, keep, voters.ids, list_index)
    if folded.list_repeats:
        voters = voters.deduped()  # a voter_id repeated in the list: its first row counts, as in the queue
        folded = fold_frame(script, results.rows, keep, voters.ids)
    dnc = read_dnc(ws.dnc_path)
    now = now or clock.now(dt.UTC)
    return Loaded(list_name, voters, results, keep, folded, now, dnc, ws.list_path(list_name), cache_dir)


def _cache_dir(ws: Workspace, list_name: str):
    from . import cache

    try:
        return cache.folder(ws.index_dir, list_name)
    except OSError:  # a read-only workspace: no cache
        return None


def build_report(ws: Workspace, script: Script, list_name: str, since: dt.date | None = None,
                 until: dt.date | None = None, volunteer: str | None = None,
                 now: dt.datetime | None = None, use_cache: bool = True) -> dict:
    if since and until and since > until:
        raise UsageProblem(f"--since {since} is after --until {until} — swap them")
    now = now or clock.now(dt.UTC)
    filters = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
               "volunteer": volunteer or None}
    cache_dir = _cache_dir(ws, list_name) if use_cache else None
    made_from = kept_from = None
    updated = None
    if cache_dir is not None:  # the last report, if nothing it was made from changed (``memo``)
        digest = memo.script_digest(script)
        files = ws.results_files(list_name)
        made_from = memo.key(digest, ws.list_path(list_name), files, ws.dnc_path, ws.roster_path, filters)
        kept = memo.load(cache_dir, made_from)
        if kept is not None:
            kept_report, kept_due, kept_keys = kept
            return _at_time(script, kept_report, kept_due, kept_keys, now)
        kept_from = delta.key(digest, ws.list_path(list_name), ws.dnc_path, filters)
        # else the last report's figures brought up to date with the calls since (``delta``)
        updated = delta.update(script, files, ws.list_path(list_name), cache_dir, kept_from,
                               Filters(since, until, volunteer), read_dnc(ws.dnc_path), now)
    duplicates = 0  # a standing is kept only for a list without repeats
    if updated is None:
        got = load(ws, script, list_name, now=now, use_cache=use_cache)
        updated = _count(script, got, Filters(since, until, volunteer), kept_from)
        duplicates = got.voters.duplicates
    counted = updated.tally
    report = {
        "report_version": REPORT_VERSION,
        "list": list_name,
        "campaign": script.campaign.name,
        "time_zone": script.campaign.time_zone,
        "generated_at": None,  # ``_at_time``
        "filters": filters,
        "warnings": _warnings(ws, script, list_name, updated, duplicates),
        "progress": updated.figures,
        "calls": tally.calls(counted),
        "codes": tally.codes(script, counted),
        "survey": tally.survey(script, counted),
        "volunteers": tally.volunteers(ws, counted, ZoneInfo(script.campaign.time_zone)),
        "by_day": tally.by_day(counted),
        "by_hour": tally.by_hour(counted),
    }
    if cache_dir is not None and made_from is not None:
        memo.save(cache_dir, made_from, report, updated.due, updated.keys)
    return _at_time(script, report, updated.due, updated.keys, now)


def _count(script: Script, got: Loaded, wanted: Filters, kept_from: str | None) -> delta.Updated:
    """The report's figures from every row (``tally.count``, ``marks``), kept for the report after new
    calls (``delta``) under ``kept_from``. The list's progress is worked out for the voters with calls
    and counted for the others by zone, from the import's record (``voters.list_zones``)."""
    folded = got.folded
    n = folded.n_list
    zones = list_zones(got.voters, got.list_path, got.cache_dir)
    phone_cols = got.voters.phone_columns
    stuck_at, on_dnc = zones.no_phone, np.zeros(0, dtype=np.int64)
    if got.dnc:
        on_dnc, stuck_at = dnc_voters(got.voters, phone_cols, got.dnc, zones.no_phone)
    stuck = np.zeros(n, dtype=bool)
    stuck[stuck_at] = True
    flags, next_at = marks.blank(n)
    touched, marked, due_at = marks.mark(folded, got.voters.take, phone_cols, got.dnc, got.now, stuck)
    flags[touched] = marked
    next_at[touched] = due_at
    figures, due = marks.fixed(flags, next_at, stuck, on_dnc, zones.zone_of, zones.counts)
    rows = got.results.rows
    counted = tally.count(script, rows, folded, got.keep, script.campaign.time_zone, wanted)
    if kept_from is not None and got.cache_dir is not None and not got.voters.duplicates:
        codes, names = rows.category("code")
        is_undo = np.flatnonzero(codes == names.index(UNDO)) if UNDO in names else np.zeros(0, dtype=np.int64)
        undone = set(rows.texts("undoes", is_undo).tolist()) - {""}
        entries = {p.name: delta.file_entry(p, *at) for p, at in got.results.per_file.items()}
        kept = {name: entry for name, entry in entries.items() if entry is not None}
        if got.results.per_file and len(kept) == len(entries):
            delta.save(got.cache_dir, kept_from, delta.Standing(counted, flags, next_at, np.flatnonzero(stuck),
                                                                on_dnc, sorted(undone), kept))
    return delta.Updated(counted, figures, due, list(zones.keys), got.results.problems)


def _at_time(script: Script, report: dict, due: Due, keys: list[str], now: dt.datetime) -> dict:
    """``report`` as of ``now``: its time and the progress figures that depend on it (``marks.fixed``)."""
    waiting, due_by_zone = due_now(due, now)
    total = int(due_by_zone.sum())
    open_now = int(due_by_zone[_open_zones(script, now, keys, due_by_zone > 0)].sum())
    fixed = report["progress"]
    report = dict(report, generated_at=now.astimezone(ZoneInfo(report["time_zone"])).isoformat(timespec="seconds"))
    report["progress"] = {
        "voters": fixed["voters"],
        "attempted": fixed["attempted"],
        "reached": fixed["reached"],
        "finished": fixed["finished"],
        "callable_now": open_now,
        "waiting": waiting,
        "held_by_hours": total - open_now,
        "do_not_call": fixed["do_not_call"],
        "never_called": fixed["never_called"],
    }
    return report


def _warnings(ws: Workspace, script: Script, list_name: str, updated: delta.Updated, duplicates: int) -> list[str]:
    root = str(ws.root) + "/"
    problems = updated.problems
    out = []
    if problems.torn or problems.bad:
        out.append(f"skipped {len(problems.torn)} incomplete last line(s) and {len(problems.bad)} damaged row(s) "
                   f"in the results of {list_name} — the counts below leave them out")
    out += [w.replace(root, "") for w in problems.warnings()]
    out += tally.code_warnings(script, updated.tally, list_name)
    if duplicates:
        out.append(f"lists/{list_name}.csv repeats {duplicates:,} voter_id(s) — the first row of each is used")
    return out


def _open_zones(script: Script, now: dt.datetime, keys: list[str], wanted: np.ndarray) -> np.ndarray:
    """Which of the ``wanted`` zone keys are inside the calling window now — the queue's rule: open now
    and for last_call_minutes after it. Each key is checked once."""
    h = script.calling.hours
    start, end = hours.parse_hhmm(h.start), hours.parse_hhmm(h.end)
    open_key = np.zeros(len(keys), dtype=bool)
    for k in np.flatnonzero(wanted).tolist():
        open_key[k] = hours.open_for(hours.parse_zone_key(keys[k]), now, start, end, h.last_call_minutes)
    return open_key


def _last_per_voter(voters: np.ndarray) -> np.ndarray:
    """Indexes of the last element of each run of equal voter numbers (input sorted by voter, time)."""
    return tally._last_per_voter(voters)
