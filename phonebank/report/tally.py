"""The report's counts over calls, kept as plain sums so they can be added up and taken apart by voter.

Every figure of the calls, codes, survey, volunteer, day and hour sections (and the warnings about
unknown codes and voters not in the list) is a sum over voters of what each voter's calls give: a
voter's calls are folded together (``state.fold_frame``), so a voter's share depends on that voter's
calls only. ``count`` works a ``Tally`` out of folded calls — every call of the list, or the calls of a
few voters — and ``Tally.plus`` / ``minus`` add and take away voters' shares: ``delta`` keeps the
tally of the last report and, after new calls, takes away the old share of the voters they touch and
adds their new one. A volunteer's first and last call are not sums: ``bounds`` works them out again
when a call that set one is undone. ``render`` turns a tally into the report's sections; the full
report and the one after new calls go through it alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from ..errors import DataError
from ..render import pick
from ..results import decode_answers
from ..roster import read_roster
from ..script import Script
from ..workspace import Workspace
from .data import duplicate_mask
from .numbering import distinct
from .rows import Rows
from .state import Folded
from .times import NAT, day_from_number, day_number, local_day_hour, shown

SUPPORT_GROUPS = ("supporters", "undecided", "other_candidate")
SUMS = ("dials", "contacts", "seconds", "overlapping", "voters_called", "supporters", "undecided",
        "other_candidate", "stranger_calls", "strangers")
_BIG = np.iinfo(np.int64).max


@dataclass
class Filters:
    since: dt.date | None = None
    until: dt.date | None = None
    volunteer: str | None = None


@dataclass
class Tally:
    """Sums over the calls that count (within the filters, but ``all_codes`` and the strangers: every
    call that counts). Dicts keyed by name; lists of counts; ``first``/``last``: us per volunteer."""

    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMS, 0))
    scale: dict[str, int] = field(default_factory=dict)  # support level "1".."5" -> IDs
    codes: dict[str, int] = field(default_factory=dict)  # calls by code, within the filters
    all_codes: dict[str, int] = field(default_factory=dict)  # every call that counts, by code
    volunteers: dict[str, list[int]] = field(default_factory=dict)  # calls, contacts, supporters, seconds
    first: dict[str, int] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    days: dict[str, list[int]] = field(default_factory=dict)  # day number -> calls, contacts
    hours: dict[str, list[int]] = field(default_factory=dict)  # hour -> calls, contacts
    survey: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # question -> answer -> 4 groups

    def as_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> Tally:
        return cls(**{k: data[k] for k in cls().__dict__})

    def plus(self, other: Tally, sign: int = 1) -> Tally:
        """This tally with ``other``'s counts added (``sign`` -1: taken away); first/last calls are the
        earliest and latest of both (taking away leaves them: see ``bounds``)."""
        out = Tally(**{k: _add(v, getattr(other, k), sign) if k not in ("first", "last") else dict(v)
                       for k, v in self.__dict__.items()})
        out.sums = {k: out.sums.get(k, 0) for k in SUMS}  # every sum, zeros included
        if sign > 0:
            for name, at in other.first.items():
                out.first[name] = min(at, out.first.get(name, _BIG))
            for name, at in other.last.items():
                out.last[name] = max(at, out.last.get(name, -_BIG))
        for name in [n for n in out.first if n not in out.volunteers]:
            out.first.pop(name, None)
            out.last.pop(name, None)
        return out

    def minus(self, other: Tally) -> Tally:
        return self.plus(other, -1)


def _add(mine, theirs, sign: int):
    if isinstance(mine, int):
        return mine + sign * theirs
    if isinstance(mine, list):
        return [a + sign * b for a, b in zip(mine, theirs, strict=True)]
    out = dict(mine)
    for k, v in theirs.items():
        got = _add(out[k], v, sign) if k in out else _add(_zero(v), v, sign)
        if _is_zero(got):
            out.pop(k, None)
        else:
            out[k] = got
    return out


def _zero(v):
    return 0 if isinstance(v, int) else [0] * len(v) if isinstance(v, list) else {}


def _is_zero(v) -> bool:
    if isinstance(v, int):
        return v == 0
    if isinstance(v, list):
        return not any(v)
    return not v


def _counter(names: list[str], index: np.ndarray, weights=None) -> dict[str, int]:
    counts = np.bincount(index, weights=weights, minlength=len(names)) if len(index) else np.zeros(len(names))
    return {names[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()}


def _within_dates(days: np.ndarray, filters: Filters) -> np.ndarray:
    """Which local call days (day numbers, NAT: no date) fall within ``--since``/``--until``."""
    mask = np.ones(len(days), dtype=bool)
    if filters.since is not None:
        mask &= (days != NAT) & (days >= day_number(filters.since))
    if filters.until is not None:
        mask &= (days != NAT) & (days <= day_number(filters.until))
    return mask


def selection(frame: Rows, folded: Folded, tz_name: str, filters: Filters):
    """(mask over ``folded.rows`` of the calls within the filters, their times, days and hours)."""
    rows = folded.rows
    ts = frame.recorded_at[rows]
    days, hour = local_day_hour(ts, tz_name)
    mask = _within_dates(days, filters)
    if filters.volunteer:
        wanted = filters.volunteer.strip().lower()
        codes, names = frame.category("volunteer")
        match = np.array([v.strip().lower() == wanted for v in names] + [False], dtype=bool)
        mask &= match[codes[rows]]
    return mask, ts, days, hour


def count(script: Script, frame: Rows, folded: Folded, keep: np.ndarray, tz_name: str,
          filters: Filters) -> Tally:
    """The tally of the calls of ``frame`` that ``keep`` and the filters select, as ``folded`` folds them."""
    out = Tally()
    rows = folded.rows
    mask, ts, days, hour = selection(frame, folded, tz_name, filters)
    sel = rows[mask]
    codes = folded.codes
    cat = folded.cat[sel]
    contact = codes.contact[cat]
    support = codes.support[cat]
    duplicate = duplicate_mask(frame, keep)[sel]
    id_support = np.where(duplicate, np.nan, support)  # an overlapping call's ID is the other call's
    seconds = frame.whole("seconds")[sel]
    voter_sel = folded.voter_of_row[mask]
    n = folded.n_list
    strangers = folded.voter_of_row[folded.voter_of_row >= n]
    out.sums.update(
        dials=len(sel), contacts=int(contact.sum()), seconds=int(seconds.sum()), overlapping=int(duplicate.sum()),
        voters_called=int((voter_sel[1:] != voter_sel[:-1]).sum() + 1) if len(voter_sel) else 0,
        supporters=int((id_support <= 2).sum()), undecided=int((id_support == 3).sum()),
        other_candidate=int((id_support >= 4).sum()), stranger_calls=len(strangers), strangers=len(distinct(strangers)))
    levels = id_support[~np.isnan(id_support)].astype(np.int64)
    out.scale = {str(k): int(c) for k, c in enumerate(np.bincount(levels, minlength=6)[:6].tolist()) if c and k}
    out.codes = _counter(codes.names, cat)
    out.all_codes = _counter(codes.names, folded.cat[rows])
    # volunteers
    vol_all, names = frame.category("volunteer")
    names = [*names, ""]
    vol = vol_all[sel]
    vol = np.where(vol < 0, len(names) - 1, vol)
    k = len(names)
    columns = [np.bincount(vol, minlength=k), np.bincount(vol, weights=contact.astype(float), minlength=k),
               np.bincount(vol, weights=(id_support <= 2).astype(float), minlength=k),
               np.bincount(vol, weights=seconds.astype(float), minlength=k)]
    for i in np.flatnonzero(columns[0]).tolist():
        out.volunteers[names[i]] = [int(c[i]) for c in columns]
    out.first, out.last = _first_last(names, vol, ts[mask])
    # days and hours
    day, hr, contact_f = days[mask], hour[mask], contact.astype(float)
    valid = day != NAT
    if valid.any():
        lo = int(day[valid].min())
        by = [np.bincount(day[valid] - lo), np.bincount(day[valid] - lo, weights=contact_f[valid])]
        out.days = {str(lo + d): [int(by[0][d]), int(by[1][d])] for d in np.flatnonzero(by[0]).tolist()}
    valid = hr >= 0
    by = [np.bincount(hr[valid], minlength=24), np.bincount(hr[valid], weights=contact_f[valid], minlength=24)]
    out.hours = {str(h): [int(by[0][h]), int(by[1][h])] for h in np.flatnonzero(by[0]).tolist()}
    out.survey = _survey(script, frame, sel, voter_sel, id_support, len(folded.uniques))
    return out


def _first_last(names: list[str], vol: np.ndarray, ts: np.ndarray) -> tuple[dict[str, int], dict[str, int]]:
    valid = shown(ts)
    k = len(names)
    first = np.full(k, _BIG, dtype=np.int64)
    last = np.full(k, -_BIG, dtype=np.int64)
    np.minimum.at(first, vol[valid], ts[valid])
    np.maximum.at(last, vol[valid], ts[valid])
    seen = np.flatnonzero(first <= last).tolist()
    return {names[i]: int(first[i]) for i in seen}, {names[i]: int(last[i]) for i in seen}


def _last_per_voter(voters: np.ndarray) -> np.ndarray:
    """Indexes of the last element of each run of equal voter numbers (input sorted by voter, time)."""
    if not len(voters):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[voters[1:] != voters[:-1], True])


def _support_groups(levels: np.ndarray) -> np.ndarray:
    """0 supporters (1-2), 1 undecided (3), 2 other candidate (4-5), 3 no ID (NaN)."""
    return np.select([np.isnan(levels), levels <= 2, levels == 3], [3, 0, 1], default=2).astype(np.int64)


def _survey(script: Script, frame: Rows, sel: np.ndarray, voter_sel: np.ndarray,
            support: np.ndarray, n_voters: int) -> dict[str, dict[str, list[int]]]:
    """Per question, per answer: the voters whose latest answer it is, by their latest support ID."""
    answers_all, texts = frame.category("answers")
    decoded = [decode_answers(text) for text in texts]
    answers_cat = answers_all[sel]
    with_answers = np.asarray([bool(d) for d in decoded] + [False], dtype=bool)[answers_cat]
    answers_cat = answers_cat[with_answers].astype(np.int64)  # only the calls that recorded answers
    voter_ans = voter_sel[with_answers]
    has_id = ~np.isnan(support)  # each voter's latest support level (NaN: no ID in the period)
    voter_support = np.full(n_voters, np.nan)
    ided = voter_sel[has_id]
    last = _last_per_voter(ided)
    voter_support[ided[last]] = support[has_id][last]
    out = {}
    for q in script.questions:
        values = sorted({d[q.id] for d in decoded if q.id in d})
        per_cat = np.asarray([values.index(d[q.id]) if q.id in d else -1 for d in decoded] + [-1], dtype=np.int64)
        ans = per_cat[answers_cat]
        answered = ans >= 0
        who = voter_ans[answered]
        last = _last_per_voter(who)
        group = _support_groups(voter_support[who[last]])
        table = np.bincount(ans[answered][last] * 4 + group, minlength=4 * len(values)).reshape(-1, 4)
        out[q.id] = {value: [int(c) for c in table[i]] for i, value in enumerate(values) if table[i].any()}
    return out


def bounds(frame: Rows, keep: np.ndarray, tz_name: str, filters: Filters, wanted: set[str]
           ) -> tuple[dict[str, int], dict[str, int]]:
    """The first and last call of the volunteers ``wanted`` among the rows of ``frame`` that ``keep`` and
    the filters select (``frame``: every row of those volunteers)."""
    pos = np.flatnonzero(keep)
    ts = frame.recorded_at[pos]
    days, _ = local_day_hour(ts, tz_name)
    mask = _within_dates(days, filters)
    vol_all, names = frame.category("volunteer")
    names = [*names, ""]
    vol = vol_all[pos]
    vol = np.where(vol < 0, len(names) - 1, vol)
    first, last = _first_last(names, vol[mask], ts[mask])
    return {k: v for k, v in first.items() if k in wanted}, {k: v for k, v in last.items() if k in wanted}


# -- the sections, from a tally ------------------------------------------------------------------------------

def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def calls(t: Tally) -> dict:
    s = t.sums
    return {
        "dials": s["dials"],
        "voters_called": s["voters_called"],
        "contacts": s["contacts"],
        "contact_rate": _pct(s["contacts"], s["dials"]),
        "ids": {g: s[g] for g in SUPPORT_GROUPS},
        "support_scale": {str(level): t.scale.get(str(level), 0) for level in range(1, 6)},
        "seconds": s["seconds"],
        "overlapping_calls": s["overlapping"],
    }


def codes(script: Script, t: Tally) -> list[dict]:
    total = t.sums["dials"]
    out = []
    for code in script.codes:
        n = t.codes.get(code.id, 0)
        out.append({"code": code.id, "label": pick(code.label, "en"), "effect": code.effect,
                    "contact": bool(code.contact), "support": code.support, "count": n,
                    "percent": _pct(n, total), "in_script": True})
    for name, n in sorted(t.codes.items()):
        if n and script.code(name) is None:
            out.append({"code": name, "label": "(not in scripts.yaml)", "effect": "final", "contact": False,
                        "support": None, "count": n, "percent": _pct(n, total), "in_script": False})
    return out


def survey(script: Script, t: Tally) -> list[dict]:
    out = []
    for q in script.questions:
        counts = t.survey.get(q.id, {})
        known = [a.id for a in q.answers]
        extra = sorted(v for v in counts if v not in known)  # answers not in scripts.yaml, by value
        total = sum(sum(c) for c in counts.values())
        items = []
        for answer_id in known + extra:
            row = counts.get(answer_id, [0, 0, 0, 0])
            support = dict(zip((*SUPPORT_GROUPS, "no_id"), row, strict=True))
            with_id = sum(row[:3])
            answer = q.answer(answer_id)
            items.append({
                "answer": answer_id,
                "label": pick(answer.label, "en") if answer else "(not in scripts.yaml)",
                "voters": sum(row),
                "percent": _pct(sum(row), total),
                "support": support,
                "supporter_percent": _pct(row[0], with_id),
            })
        out.append({"question": q.id, "text": pick(q.text, "en"), "voters": total, "answers": items})
    return out


def volunteers(ws: Workspace, t: Tally, tz: ZoneInfo) -> list[dict]:
    if not t.volunteers:
        return []
    try:
        roster = read_roster(ws.roster_path)
    except DataError:
        roster = {}
    out: list[dict] = []
    for email, (n, contacts, supporters, seconds) in t.volunteers.items():
        person = roster.get(email.strip().lower())
        first = last = None
        if email in t.first:  # a call with a time shown
            first, last = _iso(t.first[email], tz), _iso(t.last[email], tz)
        out.append({
            "volunteer": email,
            "name": f"{person.first_name} {person.last_name}".strip() if person else "",
            "calls": n,
            "contacts": contacts,
            "supporters": supporters,
            "seconds": seconds,
            "calls_per_hour": round(n / (seconds / 3600), 1) if seconds > 0 else None,
            "first_call": first,
            "last_call": last,
        })
    out.sort(key=lambda r: (-r["calls"], r["volunteer"]))
    return out


def _iso(us: int, tz: ZoneInfo) -> str:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)).astimezone(tz).isoformat(
        timespec="seconds")


def by_day(t: Tally) -> list[dict]:
    if not t.days:
        return []
    days = sorted(int(d) for d in t.days)
    lo, hi = days[0], days[-1]
    if hi - lo <= 400:  # every day of the span, zeros included (a chart needs the gaps)
        days = list(range(lo, hi + 1))
    return [{"date": day_from_number(d).isoformat(), "calls": t.days.get(str(d), [0, 0])[0],
             "contacts": t.days.get(str(d), [0, 0])[1]} for d in days]


def by_hour(t: Tally) -> list[dict]:
    return [{"hour": h, "calls": t.hours.get(str(h), [0, 0])[0], "contacts": t.hours.get(str(h), [0, 0])[1]}
            for h in range(24)]


def code_warnings(script: Script, t: Tally, list_name: str) -> list[str]:
    out = []
    for name, n in sorted(t.all_codes.items()):
        if n and script.code(name) is None:
            out.append(f"code '{name}' ({n:,} saved calls) is not in scripts.yaml — "
                       "these voters count as finished; add the code back to scripts.yaml if it was renamed")
    if t.sums["stranger_calls"]:
        out.append(f"{t.sums['stranger_calls']:,} saved calls name {t.sums['strangers']:,} "
                   f"voter(s) not in lists/{list_name}.csv — counted in calls, not in list progress")
    return out

