"""Voter exports (``supporters``, ``undecided``, ``callbacks``, ``dnc``, ``results``): one row per voter
of the list, in list order, with the voter's details, the voter's latest result that still counts
(undo rows respected), and the voter's latest answer to each survey question:

* ``results``     every voter with at least one saved call;
* ``supporters``  voters whose latest support ID (latest contact code) is 1-2 on the support scale;
* ``undecided``   ... is 3;
* ``callbacks``   voters whose latest result is a call-back code and who are not finished;
* ``dnc``         voters coded with a do-not-call code (the row shown is the latest such call), or with
                  a number on the workspace's do-not-call list.

Per voter — the latest result, the latest ID, the latest answers, taken from every call in time order,
overlapping ones included — so no voter appears twice; ``attempts`` counts every call, as the calling
queue does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..render import pick
from ..report.aggregate import Loaded
from ..report.aggregate import _last_per_voter as last_per_voter
from ..report.data import NAT, iso_local, ts_int
from ..report.state import E_CALLBACK, E_DNC, STATUSES
from ..results import decode_answers
from ..script import Script
from .safecsv import phone_digits
from .table import Export

VOTER_COLUMNS = ("voter_id", "first_name", "last_name")
DETAIL_COLUMNS = ("zip", "city", "state", "language", "age", "party", "source_system", "source_id")


def answer_table(script: Script, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """question id -> the answer id (or "") for each category of the ``answers`` column (+ "" at -1)."""
    decoded = [decode_answers(str(text)) for text in frame["answers"].cat.categories]
    questions = [q.id for q in script.questions]
    for d in decoded:
        questions += [k for k in d if k not in questions]
    return {q: np.asarray([d.get(q, "") for d in decoded] + [""], dtype=object) for q in questions}


def _latest_answers(script: Script, got: Loaded) -> dict[str, np.ndarray]:
    """question id -> each list voter's latest answer (object array, "" when none)."""
    frame, folded = got.results.frame, got.folded
    n = folded.n_list
    cats = frame["answers"].cat.codes.to_numpy().astype(np.int64)[folded.rows]
    out = {}
    for q, per_cat in answer_table(script, frame).items():
        ans = per_cat[cats]
        has = (ans != "") & (folded.voter_of_row < n)
        who = folded.voter_of_row[has]
        last = last_per_voter(who)
        values = np.full(n, "", dtype=object)
        values[who[last]] = ans[has][last]
        if q in {x.id for x in script.questions} or (values != "").any():
            out[q] = values
    return out


def _latest_id_row(got: Loaded) -> np.ndarray:
    """Frame position of each list voter's latest contact-code row (-1 when none)."""
    folded = got.folded
    n = folded.n_list
    level = folded.codes.support[folded.cat[folded.rows]]
    has = ~np.isnan(level) & (folded.voter_of_row < n)
    who = folded.voter_of_row[has]
    last = last_per_voter(who)
    out = np.full(n, -1, dtype=np.int64)
    out[who[last]] = folded.rows[has][last]
    return out


def _latest_effect_row(got: Loaded, effect: int) -> np.ndarray:
    folded = got.folded
    n = folded.n_list
    has = (folded.codes.effect[folded.cat[folded.rows]] == effect) & (folded.voter_of_row < n)
    who = folded.voter_of_row[has]
    last = last_per_voter(who)
    out = np.full(n, -1, dtype=np.int64)
    out[who[last]] = folded.rows[has][last]
    return out


# -- voter exports -------------------------------------------------------------------------------------------
def voter_export(script: Script, got: Loaded, kind: str) -> Export:
    folded, frame = got.folded, got.results.frame
    n = folded.n_list
    shown = folded.last[:n].copy()  # the row shown for each voter: its latest result
    if kind == "results":
        pick_ = shown >= 0
    elif kind in ("supporters", "undecided"):
        id_row = _latest_id_row(got)
        level = np.full(n, np.nan)
        has = id_row >= 0
        level[has] = folded.codes.support[folded.cat[id_row[has]]]
        pick_ = (level <= 2) if kind == "supporters" else (level == 3)
        shown = np.where(pick_, id_row, shown)
    elif kind == "callbacks":
        has = shown >= 0
        last_effect = np.full(n, -1)
        last_effect[has] = folded.codes.effect[folded.cat[shown[has]]]
        pick_ = (last_effect == E_CALLBACK) & ~folded.finished[:n] & got.state.live_any
    else:  # dnc
        dnc_row = _latest_effect_row(got, E_DNC)
        pick_ = (dnc_row >= 0) | got.state.on_dnc
        shown = np.where(dnc_row >= 0, dnc_row, shown)
    idx = np.flatnonzero(pick_)
    rows = shown[idx]
    voters = got.voters.frame.iloc[idx].reset_index(drop=True)
    phone_cols = got.voters.phone_columns
    out = pd.DataFrame({c: voters[c] if c in voters else "" for c in VOTER_COLUMNS})
    has = rows >= 0
    take = np.where(has, rows, 0)

    def col(name: str) -> np.ndarray:
        if not len(frame):
            return np.full(len(rows), "", dtype=object)
        values = frame[name].take(take).to_numpy(dtype=object)
        values[~has] = ""
        return values

    cat = np.where(has, folded.cat[take] if len(frame) else -1, -1)
    names = np.asarray(folded.codes.names + [""], dtype=object)
    labels = np.asarray([_label(script, c) for c in folded.codes.names] + [""], dtype=object)
    support = np.asarray([_fmt_support(x) for x in folded.codes.support] + [""], dtype=object)
    contact = np.asarray(["yes" if x else "no" for x in folded.codes.contact] + [""], dtype=object)
    tz = script.campaign.time_zone
    ts = ts_int(frame["recorded_at"])[take] if len(frame) else np.full(len(rows), NAT)
    ts = np.where(has, ts, NAT)
    out["phone"] = [phone_digits(p) for p in col("phone")]
    for c in phone_cols:
        out[c] = [phone_digits(p) for p in voters[c].tolist()]
    for c in DETAIL_COLUMNS:
        out[c] = voters[c].to_numpy(dtype=object) if c in voters else ""
    out["result_code"] = names[cat]
    out["result"] = labels[cat]
    out["support"] = support[cat]
    out["contacted"] = contact[cat]
    out["result_at"] = iso_local(ts, tz)
    out["volunteer"] = col("volunteer")
    out["attempts"] = folded.attempts[idx]
    out["status"] = np.asarray(STATUSES, dtype=object)[got.state.status[idx]]
    out["callback_at"] = [_local_text(t, tz) for t in col("callback_at")]
    out["note"] = col("note")
    for q, values in _latest_answers(script, got).items():
        name = q if q not in out.columns else f"answer_{q}"
        out[name] = values[idx]
    known = set(out.columns) | set(phone_cols)
    for c in voters.columns:
        if c not in known:
            out[c] = voters[c].to_numpy(dtype=object)
    notes = [f"{len(out):,} voter(s) exported ({_KIND_TEXT[kind]})"]
    return Export(list(out.columns), out, notes)


_KIND_TEXT = {
    "results": "every voter with a saved call: the latest result",
    "supporters": "latest support ID 1-2",
    "undecided": "latest support ID 3",
    "callbacks": "waiting for a call-back, not finished",
    "dnc": "coded do-not-call or with a number on the do-not-call list",
}


def _label(script: Script, code_id: str) -> str:
    code = script.code(code_id)
    return pick(code.label, "en") if code else f"{code_id} (not in scripts.yaml)"


def _fmt_support(x: float) -> str:
    return "" if np.isnan(x) else str(int(x))


def _local_text(text: str, tz: str) -> str:
    """A call-back time in the campaign's time zone; unparseable text is kept as it was."""
    from zoneinfo import ZoneInfo

    from ..outcomes import parse_time

    if not text:
        return ""
    when = parse_time(text)
    try:
        return when.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") if when else text
    except (OverflowError, ValueError):  # a year-1 or year-9999 time typed by hand: keep it as it was
        return text
