"""The checks of ``scripts.yaml`` the schema cannot express: ids, references, variables, times, languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..hours import parse_hhmm
from .export_checks import check_export_fields
from .schema import (
    _ID_RE,
    CAMPAIGN_VARS,
    EARLIEST_CALL,
    ELECTION_FIELDS,
    LATEST_CALL,
    MAX_HOURS,
    MAX_LAST_CALL_MINUTES,
    RESERVED_CODES,
    VAR_RE,
    VOLUNTEER_FIELDS,
    VOTER_FIELDS,
    Hours,
    Localized,
    Script,
)


def path_label(path: tuple) -> str:
    """``campaign.languages[2]`` for a path into the file."""
    if not path:
        return "the top level"
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p + 1}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts).replace(".[", "[")


def line_at(lines: dict, path: tuple) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)




def branch_warnings(s: Script, name: str) -> list[str]:
    """Branching sections that name no ``default``: an answer they do not list, or no answer, falls through
    to ``next`` or the next section in the file — rarely what the writer meant (a warning, not an error)."""
    out = []
    for i, sec in enumerate(s.sections):
        if sec.branches and sec.default is None:
            fallback = s.next_section(sec, None)
            where = fallback.id if fallback else "end"
            out.append(f"{name}:{s.line_of('sections', i)}: section '{sec.id}' branches on '{sec.ask}' but names no "
                       f"default — an answer not listed, or no answer, goes on to '{where}'; add default: SECTION_ID "
                       "(or end)")
    return out


def check_meaning(s: Script, data: dict, lines: dict, name: str, source: list[str] | None = None) -> list[str]:
    """Checks the schema cannot express: ids, references, variables, times, languages."""
    problems: list[str] = []

    def at(*path: Any) -> str:
        return f"{name}:{line_at(lines, path)}"

    if s.version != 1:
        problems.append(f"{at('version')}: version {s.version} is not supported — use version: 1")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(s.campaign.time_zone)
    except Exception:
        problems.append(
            f"{at('campaign', 'time_zone')}: unknown time zone '{s.campaign.time_zone}' — use an IANA name such as America/Los_Angeles"
        )
    langs = s.campaign.languages or ["en"]
    for i, lang in enumerate(langs):
        if not re.fullmatch(r"[a-z]{2}", str(lang)):
            problems.append(f"{at('campaign', 'languages', i)}: language '{lang}' is not a two-letter code — use e.g. en, es")

    problems += _check_hours(s.calling.hours, data, at)
    if not 1 <= s.calling.retry.max_attempts <= 100:
        problems.append(f"{at('calling', 'retry', 'max_attempts')}: max_attempts must be between 1 and 100 — fix the number")
    if not 0 <= s.calling.retry.after_hours <= MAX_HOURS:  # also false for NaN
        problems.append(f"{at('calling', 'retry', 'after_hours')}: after_hours must be a number of hours from 0 to {MAX_HOURS} — fix the number")
    if not 1 <= s.calling.claim_minutes <= 24 * 60:
        problems.append(f"{at('calling', 'claim_minutes')}: claim_minutes must be between 1 and 1440 — fix the number")

    def check_ids(items: list, key: str, what: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not _ID_RE.match(item.id):
                problems.append(
                    f"{at(key, i, 'id')}: {what} id '{item.id}' is not valid — use lower-case letters, digits and _ (e.g. not_home)"
                )
            if item.id in seen:
                problems.append(
                    f"{at(key, i, 'id')}: duplicate {what} id '{item.id}' (also item {seen[item.id] + 1}) — give each {what} its own id"
                )
            seen.setdefault(item.id, i)
        return set(seen)

    election_ids = check_ids(s.elections, "elections", "election")
    question_ids = check_ids(s.questions, "questions", "question")
    section_ids = check_ids(s.sections, "sections", "section")
    code_ids = check_ids(s.codes, "codes", "code")
    for i, c in enumerate(s.codes):
        if c.id in RESERVED_CODES:
            problems.append(f"{at('codes', i, 'id')}: code id '{c.id}' is reserved for correcting rows — pick another id")
        if c.support is not None and not 1 <= c.support <= 5:
            problems.append(f"{at('codes', i, 'support')}: support {c.support} is outside the 1–5 scale — use 1 (strong support) to 5 (strong oppose)")
        if c.contact and c.support is None:
            problems.append(f"{at('codes', i)}: contact code '{c.id}' has no support level — add support: 1..5")
        if c.effect != "retry" and (c.after_hours is not None or c.max_attempts is not None):
            problems.append(f"{at('codes', i)}: code '{c.id}' sets after_hours/max_attempts but its effect is {c.effect} — use effect: retry or remove them")
        if c.max_attempts is not None and not 1 <= c.max_attempts <= 100:
            problems.append(f"{at('codes', i, 'max_attempts')}: max_attempts must be between 1 and 100 — fix the number")
        if c.after_hours is not None and not 0 <= c.after_hours <= MAX_HOURS:  # also false for NaN
            problems.append(f"{at('codes', i, 'after_hours')}: after_hours must be a number of hours from 0 to {MAX_HOURS} — fix the number")
        if c.route_language is not None and c.route_language not in langs:
            problems.append(f"{at('codes', i, 'route_language')}: route_language '{c.route_language}' is not in campaign.languages — add it there or fix it")
    if not s.contact_codes:
        problems.append(f"{at('codes')}: no contact codes — add at least one code with contact: true (e.g. supporter)")
    del code_ids

    for i, q in enumerate(s.questions):
        check_ids_answers = {}
        for j, a in enumerate(q.answers):
            if not _ID_RE.match(a.id):
                problems.append(f"{at('questions', i, 'answers', j, 'id')}: answer id '{a.id}' is not valid — use lower-case letters, digits and _")
            if a.id in check_ids_answers:
                problems.append(f"{at('questions', i, 'answers', j, 'id')}: duplicate answer id '{a.id}' in question '{q.id}' — give each answer its own id")
            check_ids_answers[a.id] = j
        if not q.answers:
            problems.append(f"{at('questions', i)}: question '{q.id}' has no answers — add at least two")

    for i, sec in enumerate(s.sections):
        if sec.ask is not None and sec.ask not in question_ids:
            problems.append(f"{at('sections', i, 'ask')}: section '{sec.id}' asks question '{sec.ask}', which does not exist — add it under questions: or fix the id")
        if sec.next is not None and sec.next != "end" and sec.next not in section_ids:
            problems.append(f"{at('sections', i, 'next')}: section '{sec.id}' goes next to '{sec.next}', which does not exist — use an existing section id or end")
        if sec.default is not None and not sec.branches:
            problems.append(f"{at('sections', i, 'default')}: section '{sec.id}' has a default branch but no branches — add branches: or remove default")
        if sec.default is not None and sec.default != "end" and sec.default not in section_ids:
            problems.append(f"{at('sections', i, 'default')}: the default branch of section '{sec.id}' goes to section '{sec.default}', which does not exist — use an existing section id or end")
        if sec.branches:
            question = s.question(sec.ask) if sec.ask else None
            if sec.ask is None:
                problems.append(f"{at('sections', i, 'branches')}: section '{sec.id}' branches but asks no question — add ask: QUESTION_ID")
            for answer, target in sec.branches.items():
                if target != "end" and target not in section_ids:
                    problems.append(
                        f"{at('sections', i, 'branches', answer)}: branch '{answer}' of section '{sec.id}' goes to section '{target}', which does not exist — use an existing section id or end"
                    )
                if question is not None and question.answer(answer) is None:
                    problems.append(
                        f"{at('sections', i, 'branches', answer)}: branch '{answer}' is not an answer of question '{question.id}' — use one of: {', '.join(a.id for a in question.answers)}"
                    )

    # languages and variables in every text
    def check_text(loc: Localized | None, path: tuple, required: bool = True) -> None:
        if loc is None:
            return
        for lang in langs:
            if required and lang not in loc:
                problems.append(f"{at(*path)}: {path_label(path)} has no '{lang}' version — add a line '{lang}: ...' under it")
        for lang, text in loc.items():
            if lang not in langs:
                problems.append(f"{at(*path, lang)}: language '{lang}' is not in campaign.languages ({', '.join(langs)}) — add it there or remove this text")
                continue
            for var in VAR_RE.findall(text):
                reason = _bad_variable(var, election_ids)
                if reason:
                    line = _line_with(source or [], line_at(lines, (*path, lang)), "{" + var + "}")
                    problems.append(f"{name}:{line}: unknown variable {{{var}}} — {reason}")

    for i, e in enumerate(s.elections):
        check_text(e.name, ("elections", i, "name"))
        check_text(e.reminder, ("elections", i, "reminder"))
    for i, q in enumerate(s.questions):
        check_text(q.text, ("questions", i, "text"))
        for j, a in enumerate(q.answers):
            check_text(a.label, ("questions", i, "answers", j, "label"))
    for i, sec in enumerate(s.sections):
        check_text(sec.text, ("sections", i, "text"))
        check_text(sec.title, ("sections", i, "title"))
    for i, c in enumerate(s.codes):
        check_text(c.label, ("codes", i, "label"))
    return problems + check_export_fields(s, at)  # the sync-back settings: export_checks.py


_RULES = "federal and most state rules allow calls 08:00–21:00 in the voter's time"
_FIX_OUTSIDE = {  # (key, too early?) -> how to fix
    ("start", True): f"set start to {EARLIEST_CALL} or later",
    ("start", False): f'set start between {EARLIEST_CALL} and the end, e.g. start: "09:00"',
    ("end", True): f'set end between the start and {LATEST_CALL}, e.g. end: "{LATEST_CALL}"',
    ("end", False): f"set end to {LATEST_CALL} or earlier",
}


def _check_hours(h: Hours, data: dict, at: Any) -> list[str]:
    """calling.hours: two HH:MM times inside 08:00–21:00, start before end, and last_call_minutes 0–120
    leaving some of the window to hand out voters in."""
    problems: list[str] = []
    calling = data.get("calling")
    given = calling.get("hours") if isinstance(calling, dict) else None
    given = given if isinstance(given, dict) else {}
    earliest, latest = parse_hhmm(EARLIEST_CALL), parse_hhmm(LATEST_CALL)
    times: dict[str, dt.time] = {}
    for key in ("start", "end"):
        raw = getattr(h, key)
        where = at("calling", "hours", key)
        if str(raw).strip() == "24:00":  # was accepted as "until midnight"
            problems.append(f"{where}: calling hours {key} 24:00 is after {LATEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, False]}")
            continue
        try:
            t = times[key] = parse_hhmm(raw)
        except ValueError:
            value = given.get(key, raw)
            problems.append(f"{where}: calling hours {key} '{value}' is not a time — write it in quotes as HH:MM, e.g. \"09:00\"")
            continue
        if t < earliest:
            problems.append(f"{where}: calling hours {key} {t:%H:%M} is before {EARLIEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, True]}")
        elif t > latest:
            problems.append(f"{where}: calling hours {key} {t:%H:%M} is after {LATEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, False]}")
    start, end = times.get("start"), times.get("end")
    window_ok = not problems and start is not None and end is not None
    if start is None or end is None:
        window_ok = False
    elif window_ok and start >= end:
        window_ok = False
        problems.append(f"{at('calling', 'hours')}: calling hours start {start:%H:%M} is not before end {end:%H:%M} — fix the window")
    minutes = h.last_call_minutes
    where = at("calling", "hours", "last_call_minutes")
    if not 0 <= minutes <= MAX_LAST_CALL_MINUTES:
        problems.append(f"{where}: calling hours last_call_minutes {minutes} is not between 0 and {MAX_LAST_CALL_MINUTES} — "
                        "give the minutes before the window closes when no new voter is handed out, e.g. 10")
    elif window_ok and start is not None and end is not None:
        length = (end.hour - start.hour) * 60 + end.minute - start.minute
        if minutes >= length:
            default = "" if "last_call_minutes" in given else " (the default)"
            problems.append(f"{where}: calling hours last_call_minutes {minutes}{default} leaves no time to hand out voters "
                            f"in the {start:%H:%M}–{end:%H:%M} window — set last_call_minutes below {length} or widen the window")
    return problems


def _line_with(source: list[str], start: int, needle: str, within: int = 60) -> int:
    """The first line from ``start`` that contains ``needle`` (a text may span several lines)."""
    for number in range(start, min(start + within, len(source)) + 1):
        if needle in source[number - 1]:
            return number
    return start


def _bad_variable(var: str, election_ids: set[str]) -> str | None:
    """Why ``{var}`` cannot be filled, or None when it can."""
    parts = var.split(".")
    if parts[0] == "voter" and len(parts) == 2:
        if parts[1] in VOTER_FIELDS:
            return None
        return "voter fields are " + ", ".join(VOTER_FIELDS)
    if parts[0] == "volunteer" and len(parts) == 2:
        if parts[1] in VOLUNTEER_FIELDS:
            return None
        return "volunteer fields are " + ", ".join(VOLUNTEER_FIELDS)
    if parts[0] == "election" and len(parts) == 3:
        if parts[1] not in election_ids:
            return f"no election with id '{parts[1]}' — use one of: {', '.join(sorted(election_ids)) or '(none)'}"
        if parts[2] not in ELECTION_FIELDS:
            return "election fields are " + ", ".join(ELECTION_FIELDS)
        return None
    if len(parts) == 1 and var in CAMPAIGN_VARS:
        return None
    return "use {voter.FIELD}, {volunteer.FIELD}, {election.ID.FIELD} or one of " + ", ".join(
        "{" + v + "}" for v in CAMPAIGN_VARS
    )
