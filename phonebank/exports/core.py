"""Build exports of a list's results (``phonebank export KIND``).

Voter exports (``supporters``, ``undecided``, ``callbacks``, ``dnc``, ``results``): one row per voter
of the list, in list order, with the voter's details, the voter's latest result that still counts
(undo rows respected), and the voter's latest answer to each survey question:

* ``results``     every voter with at least one saved call;
* ``supporters``  voters whose latest support ID (latest contact code) is 1-2 on the support scale;
* ``undecided``   ... is 3;
* ``callbacks``   voters whose latest result is a call-back code and who are not finished;
* ``dnc``         voters coded with a do-not-call code (the row shown is the latest such call), or with
                  a number on the workspace's do-not-call list.

Sync-back exports, one row per voter and number dialed (that number's latest result), so a wrong
number on phone 1 reaches the voter database along with the supporter ID on phone 2:

* ``van``  NGP VAN bulk upload: VAN ID, Date Contacted (MM/DD/YYYY), Phone Number (10 digits),
           Canvass Result (the code's van_result, non-contacts only), then the support question
           (export.van_support_question: the contact code's van_result) and one column per survey
           question (van_question: the answer's van_response), for contacts only;
* ``pdi``  PDI flags: pdiId, flagId, questionId, acquisitionType, flagEntryDate (yyyy-MM-dd); one
           flag for the result (questionId export.pdi_support_question for contact codes, empty for
           non-contacts) and one per survey answer of a contact (questionId: pdi_question).

Both use only voters whose list row carries that system's ID (source_system van/pdi + source_id);
the others are counted and reported. A code or an answer without its export name stops the export
with one line per problem naming the scripts.yaml line to add it to.

Overlapping calls (``overlaps``: saved after the volunteer's hold on the voter lapsed while another
volunteer called the same voter) are never synced as a second ID: ``van`` and ``pdi`` leave out every
overlapping call whose other call still counts (``report.data.duplicate_mask``) — that other call is
what is sent — and say how many they left out. An overlapping call whose other call was undone (or is
not in the results: the voter has no other call it duplicates) is the voter's record and is sent like
any call. Voter exports are per voter — the latest result, the latest ID, the latest answers, taken
from every call in time order, overlapping ones included — so no voter appears twice there either;
``attempts`` counts every call, as the calling queue does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ScriptError, UsageProblem
from ..render import pick
from ..report.aggregate import Loaded, load
from ..report.data import EXPORT_COLUMNS, NAT, duplicate_mask, iso_days, iso_local, local_day_hour, ts_int
from ..report.state import E_CALLBACK, E_DNC, STATUSES
from ..results import decode_answers
from ..script import Script
from ..workspace import Workspace
from . import KINDS
from .safecsv import phone_digits

VOTER_COLUMNS = ("voter_id", "first_name", "last_name")
DETAIL_COLUMNS = ("zip", "city", "state", "language", "age", "party", "source_system", "source_id")
RESULT_COLUMNS = ("phone", "result_code", "result", "support", "contacted", "result_at", "volunteer", "attempts",
                  "status", "callback_at", "note")
PDI_COLUMNS = ("pdiId", "flagId", "questionId", "acquisitionType", "flagEntryDate")


@dataclass
class Export:
    """A table to write: columns and rows of text, plus notes for the organizer (stderr)."""

    columns: list[str]
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_export(ws: Workspace, script: Script, list_name: str, kind: str, now: dt.datetime | None = None,
                 use_cache: bool = True) -> Export:
    if kind not in KINDS:
        raise UsageProblem(f"unknown export '{kind}' — use one of: {', '.join(KINDS)}")
    got = load(ws, script, list_name, list_columns=None, result_columns=EXPORT_COLUMNS, now=now, use_cache=use_cache)
    warnings = _warnings(got)
    if kind in ("van", "pdi"):
        out = _sync(script, got, kind)
    else:
        out = _voters(script, got, kind)
    out.warnings = warnings + out.warnings
    return out


def _warnings(got: Loaded) -> list[str]:
    problems = got.results.problems
    out = []
    if problems.torn or problems.bad:
        out.append(f"skipped {len(problems.torn)} incomplete last line(s) and {len(problems.bad)} damaged row(s) "
                   f"in the results of {got.list_name}")
    strangers = got.folded.voter_of_row >= got.folded.n_list
    if strangers.any():
        out.append(f"{int(strangers.sum()):,} saved calls name voters not in lists/{got.list_name}.csv — not exported")
    return out


# -- per-voter helpers ---------------------------------------------------------------------------------------
def _last_per_voter(voters: np.ndarray) -> np.ndarray:
    if not len(voters):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[voters[1:] != voters[:-1], True])


def _answer_table(script: Script, frame: pd.DataFrame) -> dict[str, np.ndarray]:
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
    for q, per_cat in _answer_table(script, frame).items():
        ans = per_cat[cats]
        has = (ans != "") & (folded.voter_of_row < n)
        who = folded.voter_of_row[has]
        last = _last_per_voter(who)
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
    last = _last_per_voter(who)
    out = np.full(n, -1, dtype=np.int64)
    out[who[last]] = folded.rows[has][last]
    return out


def _latest_effect_row(got: Loaded, effect: int) -> np.ndarray:
    folded = got.folded
    n = folded.n_list
    has = (folded.codes.effect[folded.cat[folded.rows]] == effect) & (folded.voter_of_row < n)
    who = folded.voter_of_row[has]
    last = _last_per_voter(who)
    out = np.full(n, -1, dtype=np.int64)
    out[who[last]] = folded.rows[has][last]
    return out


# -- voter exports -------------------------------------------------------------------------------------------
def _voters(script: Script, got: Loaded, kind: str) -> Export:
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


# -- sync-back ---------------------------------------------------------------------------------------------------
def _sync(script: Script, got: Loaded, kind: str) -> Export:
    folded, frame = got.folded, got.results.frame
    n = folded.n_list
    voters = got.voters.frame
    system = "van" if kind == "van" else "pdi"
    id_name = "VAN ID" if kind == "van" else "PDI ID"
    # the latest row per (voter, number dialed), list voters only, in list order then time; an
    # overlapping call is not sent when the call it overlaps is (never a second ID of the voter)
    in_list = folded.voter_of_row < n
    duplicate = duplicate_mask(frame, got.keep)[folded.rows]
    duplicate_of = folded.voter_of_row[duplicate & in_list]  # the voter of each overlapping call left out
    called = np.unique(folded.voter_of_row[in_list])
    in_list &= ~duplicate
    rows = folded.rows[in_list]
    who = folded.voter_of_row[in_list]
    phones = frame["phone"].take(rows).to_numpy(dtype=object) if len(rows) else np.zeros(0, dtype=object)
    pairs = pd.DataFrame({"v": who, "p": phones, "r": rows})
    latest = pairs.drop_duplicates(["v", "p"], keep="last")
    source_system = voters["source_system"].str.strip().str.lower().to_numpy(dtype=object) \
        if "source_system" in voters else np.full(n, "", dtype=object)
    source_id = voters["source_id"].str.strip().to_numpy(dtype=object) if "source_id" in voters \
        else np.full(n, "", dtype=object)
    has_id = (source_system == system) & (source_id != "")
    left_out = int((~has_id[called]).sum()) if len(called) else 0
    notes: list[str] = []
    if len(called) and left_out == len(called):
        raise DataError(
            f"none of the {len(called):,} called voter(s) in list {got.list_name} has a {id_name} "
            f"(source_system '{system}' with a source_id) — import the list from a {kind.upper()} export so "
            f"phonebank keeps the {id_name}, or use `phonebank export results`"
        )
    if left_out:
        notes.append(f"{left_out:,} called voter(s) have no {id_name} (source_system '{system}') and were left out")
    left_out_overlaps = int(has_id[duplicate_of].sum())
    if left_out_overlaps:
        notes.append(f"{left_out_overlaps:,} overlapping call(s) left out: another volunteer's call to the same "
                     "voter is sent instead (a hold lapsed while both called)")
    latest = latest[has_id[latest["v"].to_numpy()]] if len(latest) else latest
    r = latest["r"].to_numpy().astype(np.int64)
    v = latest["v"].to_numpy().astype(np.int64)
    cat = folded.cat[r] if len(r) else np.zeros(0, dtype=np.int64)
    answers_cat = frame["answers"].cat.codes.to_numpy().astype(np.int64)[r] if len(r) else np.zeros(0, np.int64)
    _check_mappings(script, folded, cat, answers_cat, frame, kind)
    days, _ = local_day_hour(ts_int(frame["recorded_at"])[r] if len(r) else np.zeros(0, np.int64),
                             script.campaign.time_zone)
    dates = iso_days(days)
    table = _answer_table(script, frame)
    if kind == "van":
        out = _van_frame(script, folded, cat, answers_cat, table, source_id[v], dates,
                         latest["p"].to_numpy(dtype=object))
    else:
        out = _pdi_frame(script, folded, cat, answers_cat, table, source_id[v], dates)
    notes.insert(0, f"{len(out):,} row(s) for {len(np.unique(v)):,} voter(s)")
    return Export(list(out.columns), out, notes)


def _check_mappings(script: Script, folded, cat: np.ndarray, answers_cat: np.ndarray, frame: pd.DataFrame,
                    kind: str) -> None:
    """Every code and answer to export needs its export name: one problem line for each one missing."""
    problems: list[str] = []
    field_code = "van_result" if kind == "van" else "pdi_flag"
    field_q = "van_question" if kind == "van" else "pdi_question"
    field_a = "van_response" if kind == "van" else "pdi_flag"
    command = f"`phonebank export {kind}`"
    counts = np.bincount(cat, minlength=len(folded.codes.names)) if len(cat) else []
    used_contact = False
    for i, name in enumerate(folded.codes.names):
        if not len(cat) or not counts[i]:
            continue
        code = script.code(name)
        if code is None:
            problems.append(
                f"scripts.yaml:{script.line_of('codes')}: code '{name}' ({counts[i]:,} call(s) to export) is not in "
                f"scripts.yaml, so it has no {field_code} — add it back under codes: with {field_code}: ..."
            )
            continue
        used_contact = used_contact or code.contact
        if not getattr(code, field_code):
            index = script.codes.index(code)
            problems.append(
                f"scripts.yaml:{script.line_of('codes', index)}: code '{name}' has no {field_code}, which {command} "
                f"needs ({counts[i]:,} call(s)) — add {field_code}: \"...\" to that code"
            )
    support_field = "van_support_question" if kind == "van" else "pdi_support_question"
    if used_contact and not getattr(script.export, support_field):
        problems.append(
            f"scripts.yaml:{script.line_of('export')}: export.{support_field} is not set, which {command} needs "
            f"for the contact codes — add {support_field}: \"...\" under export:"
        )
    # survey answers of the contacts exported
    contact = folded.codes.contact[cat] if len(cat) else np.zeros(0, bool)
    cats = np.unique(answers_cat[contact]) if len(cat) else []
    seen: set[tuple] = set()
    for c in cats.tolist() if len(cats) else []:
        if c < 0:
            continue
        for qid, aid in decode_answers(str(frame["answers"].cat.categories[c])).items():
            q = script.question(qid)
            if q is None:
                key = ("q", qid)
                if key not in seen:
                    problems.append(
                        f"scripts.yaml:{script.line_of('questions')}: survey question '{qid}' is answered in the "
                        f"results but is not in scripts.yaml — add it back under questions: with {field_q}: ..."
                    )
                seen.add(key)
                continue
            qi = script.questions.index(q)
            if not getattr(q, field_q) and ("qmap", qid) not in seen:
                seen.add(("qmap", qid))
                problems.append(
                    f"scripts.yaml:{script.line_of('questions', qi)}: question '{qid}' has no {field_q}, which "
                    f"{command} needs — add {field_q}: \"...\" to that question"
                )
            a = q.answer(aid)
            if a is None:
                if ("a", qid, aid) not in seen:
                    seen.add(("a", qid, aid))
                    problems.append(
                        f"scripts.yaml:{script.line_of('questions', qi, 'answers')}: answer '{aid}' to question "
                        f"'{qid}' is not in scripts.yaml — add it back under that question's answers: with {field_a}: ..."
                    )
                continue
            if not getattr(a, field_a) and ("amap", qid, aid) not in seen:
                seen.add(("amap", qid, aid))
                ai = q.answers.index(a)
                problems.append(
                    f"scripts.yaml:{script.line_of('questions', qi, 'answers', ai)}: answer '{aid}' of question "
                    f"'{qid}' has no {field_a}, which {command} needs — add {field_a}: \"...\" to that answer"
                )
    if problems:
        raise ScriptError(sorted(problems, key=_line_number))


def _line_number(problem: str) -> int:
    try:
        return int(problem.split(":", 2)[1])
    except (IndexError, ValueError):
        return 0


def _van_frame(script, folded, cat, answers_cat, table, ids, dates, phones) -> pd.DataFrame:
    contact = folded.codes.contact[cat] if len(cat) else np.zeros(0, bool)
    result = np.asarray([(script.code(nm).van_result if script.code(nm) else "") or "" for nm in folded.codes.names],
                        dtype=object)
    mdy = np.asarray([f"{d[5:7]}/{d[8:10]}/{d[0:4]}" if d else "" for d in dates.tolist()], dtype=object)
    out = pd.DataFrame({
        "VAN ID": ids,
        "Date Contacted": mdy,
        "Phone Number": np.asarray([phone_digits(p) for p in phones.tolist()], dtype=object),
        "Canvass Result": np.where(contact, "", result[cat] if len(cat) else []),
    })
    support_q = script.export.van_support_question
    if support_q:
        out[support_q] = np.where(contact, result[cat] if len(cat) else [], "")
    for q in script.questions:
        if not q.van_question:
            continue
        per_cat = table.get(q.id)
        responses = np.asarray([((q.answer(a).van_response or "") if q.answer(a) else "") if a else ""
                                for a in per_cat.tolist()], dtype=object)
        out[q.van_question] = np.where(contact, responses[answers_cat] if len(cat) else [], "")
    return out


def _pdi_frame(script, folded, cat, answers_cat, table, ids, dates) -> pd.DataFrame:
    acquisition = script.export.pdi_acquisition_type
    support_q = script.export.pdi_support_question or ""
    records: list[tuple[str, str, str, str, str]] = []
    code_of = [script.code(nm) for nm in folded.codes.names]
    per_question = []
    for q in script.questions:
        per_cat = table.get(q.id)
        flags = [((q.answer(a).pdi_flag or "") if q.answer(a) else "") if a else "" for a in per_cat.tolist()]
        per_question.append((q.pdi_question or "", flags))
    for pid, day, c, a in zip(ids.tolist(), dates.tolist(), cat.tolist(), answers_cat.tolist(), strict=True):
        code = code_of[c]
        if code is None:
            continue
        records.append((pid, code.pdi_flag or "", support_q if code.contact else "", acquisition, day))
        if code.contact:
            for question_id, flags in per_question:
                if flags[a]:
                    records.append((pid, flags[a], question_id, acquisition, day))
    out = pd.DataFrame(records, columns=list(PDI_COLUMNS), dtype=object).drop_duplicates()
    return out.reset_index(drop=True)

