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
import pandas as pd

from .. import clock, hours
from ..dnc import read_dnc
from ..errors import UsageProblem
from ..render import pick
from ..results import decode_answers
from ..script import Script
from ..workspace import Workspace
from . import REPORT_VERSION, memo
from .activity import by_day, by_hour, volunteers
from .data import REPORT_COLUMNS, Results, duplicate_mask, effective_mask, read_results
from .numbering import distinct
from .state import (
    E_UNKNOWN,
    Due,
    Folded,
    ListState,
    due_now,
    fold_frame,
    list_state,
    progress,
)
from .times import NAT, day_number, local_day_hour, ts_int
from .voters import Voters, id_index, list_zones, read_list

SUPPORT_GROUPS = ("supporters", "undecided", "other_candidate")


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
        return list_state(self.folded, self.voters.frame, self.voters.phone_columns, self.dnc, self.now)


def load(ws: Workspace, script: Script, list_name: str, list_columns: Sequence[str] | None = ("zip", "state"),
         result_columns: tuple[str, ...] = REPORT_COLUMNS, now: dt.datetime | None = None,
         use_cache: bool = True) -> Loaded:
    cache_dir = _cache_dir(ws, list_name) if use_cache else None
    voters = read_list(ws.list_path(list_name), None if list_columns is None else list(list_columns), dedupe=False,
                       cache_dir=cache_dir)
    results = read_results(ws.results_files(list_name), result_columns, cache_dir=cache_dir)
    keep = effective_mask(results.frame)
    list_index = id_index(voters, ws.list_path(list_name), cache_dir)
    folded = fold_frame(script, results.frame, keep, voters.frame["voter_id"], list_index)
    if folded.list_repeats:
        voters = voters.deduped()  # a voter_id repeated in the list: its first row counts, as in the queue
        folded = fold_frame(script, results.frame, keep, voters.frame["voter_id"])
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
    tz_name = script.campaign.time_zone
    tz = ZoneInfo(tz_name)
    now = now or clock.now(dt.UTC)
    filters = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
               "volunteer": volunteer or None}
    cache_dir = _cache_dir(ws, list_name) if use_cache else None
    made_from = None
    if cache_dir is not None:  # the last report, if nothing it was made from changed (``memo``)
        made_from = memo.key(memo.script_digest(script), ws.list_path(list_name), ws.results_files(list_name),
                             ws.dnc_path, ws.roster_path, filters)
        kept = memo.load(cache_dir, made_from)
        if kept is not None:
            kept_report, kept_due, kept_keys = kept
            return _at_time(script, kept_report, kept_due, kept_keys, now)
    got = load(ws, script, list_name, now=now, use_cache=use_cache)
    frame, folded = got.results.frame, got.folded
    n = folded.n_list
    warnings = _warnings(ws, got)
    fixed, due, keys = _progress(got, n)

    # -- the calls that count, within the filters ------------------------------------------------
    rows = folded.rows  # frame positions, sorted by (voter, time)
    ts = ts_int(frame["recorded_at"])[rows]
    days, hour = local_day_hour(ts, tz_name)
    mask = np.ones(len(rows), dtype=bool)
    if since is not None:
        mask &= (days != NAT) & (days >= day_number(since))
    if until is not None:
        mask &= (days != NAT) & (days <= day_number(until))
    vol_cat = frame["volunteer"].cat.codes.to_numpy().astype(np.int64)[rows]
    vol_names = [str(v) for v in frame["volunteer"].cat.categories]
    if volunteer:
        wanted = volunteer.strip().lower()
        match = np.array([v.strip().lower() == wanted for v in vol_names] + [False], dtype=bool)
        mask &= match[vol_cat]  # a category code of -1 (none) picks the False at the end
    sel = rows[mask]
    cat = folded.cat[sel]
    codes = folded.codes
    contact = codes.contact[cat]
    support = codes.support[cat]
    duplicate = duplicate_mask(frame, got.keep)[sel]
    id_support = np.where(duplicate, np.nan, support)  # an overlapping call's ID is the other call's
    seconds = frame["seconds"].to_numpy()[sel]
    voter_sel = folded.voter_of_row[mask]
    report = {
        "report_version": REPORT_VERSION,
        "list": list_name,
        "campaign": script.campaign.name,
        "time_zone": tz_name,
        "generated_at": None,  # ``_at_time``
        "filters": filters,
        "warnings": warnings,
        "progress": fixed,
        "calls": _calls(cat, contact, id_support, seconds, voter_sel, duplicate),
        "codes": _codes(script, codes, cat),
        "survey": _survey(script, frame, sel, voter_sel, support, len(folded.uniques)),
        "volunteers": volunteers(ws, vol_names, vol_cat[mask], contact, id_support, seconds, ts[mask], tz),
        "by_day": by_day(days[mask], contact),
        "by_hour": by_hour(hour[mask], contact),
    }
    if cache_dir is not None and made_from is not None:
        memo.save(cache_dir, made_from, report, due, keys)
    return _at_time(script, report, due, keys, now)


def _at_time(script: Script, report: dict, due: Due, keys: list[str], now: dt.datetime) -> dict:
    """``report`` as of ``now``: its time and the progress figures that depend on it (``_progress``)."""
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


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _warnings(ws: Workspace, got: Loaded) -> list[str]:
    root = str(ws.root) + "/"
    problems = got.results.problems
    out = []
    if problems.torn or problems.bad:
        out.append(f"skipped {len(problems.torn)} incomplete last line(s) and {len(problems.bad)} damaged row(s) "
                   f"in the results of {got.list_name} — the counts below leave them out")
    out += [w.replace(root, "") for w in problems.warnings()]
    folded = got.folded
    unknown = [i for i, e in enumerate(folded.codes.effect) if e == E_UNKNOWN]
    if unknown:
        counts = np.bincount(folded.cat[folded.rows], minlength=len(folded.codes.names))
        for i in unknown:
            if counts[i]:
                out.append(f"code '{folded.codes.names[i]}' ({counts[i]:,} saved calls) is not in scripts.yaml — "
                           "these voters count as finished; add the code back to scripts.yaml if it was renamed")
    strangers = folded.voter_of_row >= folded.n_list
    if strangers.any():
        out.append(f"{int(strangers.sum()):,} saved calls name {len(distinct(folded.voter_of_row[strangers])):,} "
                   f"voter(s) not in lists/{got.list_name}.csv — counted in calls, not in list progress")
    if got.voters.duplicates:
        out.append(f"lists/{got.list_name}.csv repeats {got.voters.duplicates:,} voter_id(s) — the first row of each is used")
    return out


def _progress(got: Loaded, n: int) -> tuple[dict, Due, list[str]]:
    """The list's progress, worked out for the voters with calls (``state.progress``) and the counts of
    the whole list by zone (``voters.list_zones``, recorded by `phonebank import`): the figures that do
    not depend on the time, what the others are worked out from (``_at_time``), and the zone keys."""
    folded = got.folded
    zones = list_zones(got.voters, got.list_path, got.cache_dir)
    p = progress(folded, got.voters.frame, got.voters.phone_columns, got.dnc, got.now, zones.zone_of, zones.counts,
                 zones.no_phone)
    who = folded.voter_of_row[folded.codes.do_not_call[folded.cat[folded.rows]]]  # coded do-not-call (refused...)
    do_not_call = np.zeros(n, dtype=bool)
    do_not_call[who[who < n]] = True
    do_not_call[p.on_dnc] = True
    fixed = {"voters": int(n), "attempted": len(p.touched), "reached": int(folded.contacted[p.touched].sum()),
             "finished": p.finished, "do_not_call": int(do_not_call.sum()), "never_called": p.never_called}
    return fixed, p.due, list(zones.keys)


def _open_zones(script: Script, now: dt.datetime, keys: list[str], wanted: np.ndarray) -> np.ndarray:
    """Which of the ``wanted`` zone keys are inside the calling window now — the queue's rule: open now
    and for last_call_minutes after it. Each key is checked once."""
    h = script.calling.hours
    start, end = hours.parse_hhmm(h.start), hours.parse_hhmm(h.end)
    open_key = np.zeros(len(keys), dtype=bool)
    for k in np.flatnonzero(wanted).tolist():
        open_key[k] = hours.open_for(hours.parse_zone_key(keys[k]), now, start, end, h.last_call_minutes)
    return open_key


def _ids(support: np.ndarray) -> dict:
    return {
        "supporters": int((support <= 2).sum()),
        "undecided": int((support == 3).sum()),
        "other_candidate": int((support >= 4).sum()),
    }


def _calls(cat, contact, support, seconds, voter_sel, duplicate) -> dict:
    """``support``: each call's support level, NaN for non-contacts and for overlapping calls
    (``duplicate``), which are dials but not IDs."""
    dials = int(len(cat))
    contacts = int(contact.sum())
    levels = support[~np.isnan(support)].astype(np.int64)
    scale = np.bincount(levels, minlength=6)
    return {
        "dials": dials,
        "voters_called": int((voter_sel[1:] != voter_sel[:-1]).sum() + 1) if len(voter_sel) else 0,
        "contacts": contacts,
        "contact_rate": _pct(contacts, dials),
        "ids": _ids(support),
        "support_scale": {str(level): int(scale[level]) for level in range(1, 6)},
        "seconds": int(seconds.sum()),
        "overlapping_calls": int(duplicate.sum()),
    }


def _codes(script: Script, codes, cat) -> list[dict]:
    counts = np.bincount(cat, minlength=len(codes.names)) if len(cat) else np.zeros(len(codes.names), np.int64)
    by_name = {name: int(counts[i]) for i, name in enumerate(codes.names)}
    total = int(len(cat))
    out = []
    for code in script.codes:
        count = by_name.get(code.id, 0)
        out.append({"code": code.id, "label": pick(code.label, "en"), "effect": code.effect,
                    "contact": bool(code.contact), "support": code.support, "count": count,
                    "percent": _pct(count, total), "in_script": True})
    for name, count in sorted(by_name.items()):
        if count and script.code(name) is None:
            out.append({"code": name, "label": "(not in scripts.yaml)", "effect": "final", "contact": False,
                        "support": None, "count": count, "percent": _pct(count, total), "in_script": False})
    return out


def _last_per_voter(voters: np.ndarray) -> np.ndarray:
    """Indexes of the last element of each run of equal voter numbers (input sorted by voter, time)."""
    if not len(voters):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[voters[1:] != voters[:-1], True])


def _support_groups(levels: np.ndarray) -> np.ndarray:
    """0 supporters (1-2), 1 undecided (3), 2 other candidate (4-5), 3 no ID (NaN)."""
    return np.select([np.isnan(levels), levels <= 2, levels == 3], [3, 0, 1], default=2).astype(np.int64)


def _survey(script: Script, frame: pd.DataFrame, sel: np.ndarray, voter_sel: np.ndarray,
            support: np.ndarray, n_voters: int) -> list[dict]:
    decoded = [decode_answers(str(text)) for text in frame["answers"].cat.categories]
    answers_cat = frame["answers"].cat.codes.to_numpy()[sel]
    with_answers = np.asarray([bool(d) for d in decoded] + [False], dtype=bool)[answers_cat]
    answers_cat = answers_cat[with_answers].astype(np.int64)  # only the calls that recorded answers
    voter_ans = voter_sel[with_answers]
    # each voter's latest support level (NaN: no contact code in the period)
    has_id = ~np.isnan(support)
    voter_support = np.full(n_voters, np.nan)
    ided = voter_sel[has_id]
    last = _last_per_voter(ided)
    voter_support[ided[last]] = support[has_id][last]
    out = []
    for q in script.questions:
        known = [a.id for a in q.answers]
        extra: list[str] = []
        per_cat = []
        for d in decoded:
            value = d.get(q.id)
            if value is None:
                per_cat.append(-1)
            elif value in known:
                per_cat.append(known.index(value))
            else:
                if value not in extra:
                    extra.append(value)
                per_cat.append(len(known) + extra.index(value))
        ans = np.asarray(per_cat + [-1], dtype=np.int64)[answers_cat]  # -1 code (no answers) -> -1
        answered = ans >= 0
        who = voter_ans[answered]
        last = _last_per_voter(who)
        voter_answer = ans[answered][last]
        voter_level = voter_support[who[last]]
        total = int(len(voter_answer))
        group = _support_groups(voter_level)
        table = np.bincount(voter_answer * 4 + group, minlength=4 * len(known + extra)).reshape(-1, 4)
        items = []
        for i, answer_id in enumerate(known + extra):
            support_counts = {g: int(table[i, j]) for j, g in enumerate((*SUPPORT_GROUPS, "no_id"))}
            with_id = sum(support_counts[g] for g in SUPPORT_GROUPS)
            voters = int(table[i].sum())
            answer = q.answer(answer_id)
            items.append({
                "answer": answer_id,
                "label": pick(answer.label, "en") if answer else "(not in scripts.yaml)",
                "voters": voters,
                "percent": _pct(voters, total),
                "support": support_counts,
                "supporter_percent": _pct(support_counts["supporters"], with_id),
            })
        out.append({"question": q.id, "text": pick(q.text, "en"), "voters": total, "answers": items})
    return out
