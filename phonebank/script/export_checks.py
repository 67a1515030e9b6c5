"""Checks of the sync-back settings in ``scripts.yaml`` (``export:`` and the van_/pdi_ fields).

Two kinds:

* ``check_export_fields`` runs with every load (``checks.check_meaning``): the shape of the values only
  (ids are positive, flags look like PDI flags, van_users keys are e-mails), so a volunteer is never
  blocked by a sync-back setting an export may never need;
* ``mapping_problems`` runs at export time, for the codes and answers actually exported: every one
  needs its id or name for that layout, each missing one a line naming the ``scripts.yaml`` line to
  add it to.

No pandas: the exports pass plain counts in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .schema import Script

_FLAG = re.compile(r"^[A-Za-z0-9_]{1,10}$")  # PDI flags are codes of at most 10 characters


def check_export_fields(s: Script, at: Callable[..., str]) -> list[str]:
    """Shape problems of the sync-back settings, one line each."""
    problems: list[str] = []
    e = s.export

    def positive(value: Any, *path: Any) -> None:
        if value is not None and (not isinstance(value, int) or value <= 0):
            problems.append(f"{at(*path)}: {path[-1]} {value} is not a VAN id — give the positive number VAN "
                            "lists for it")

    def flag(value: str | None, *path: Any) -> None:
        if value is not None and not _FLAG.match(value):
            name = path[-1] if isinstance(path[-1], str) else f"{path[-2]} item {path[-1] + 1}"
            problems.append(f"{at(*path)}: {name} '{value}' is not a PDI flag id — flags are up to 10 letters "
                            "or digits, e.g. SS, NAH, BNH")

    for key in ("van_support_question_id", "van_contact_type_id", "van_canvassed_by"):
        positive(getattr(e, key), "export", key)
    for email, user in e.van_users.items():
        if "@" not in email:
            problems.append(f"{at('export', 'van_users', email)}: van_users key '{email}' is not a volunteer's "
                            "e-mail — write EMAIL: VAN_USER_ID, one line per volunteer")
        positive(user, "export", "van_users", email)
    for i, value in enumerate(e.pdi_extra_flags):
        flag(value, "export", "pdi_extra_flags", i)
    for i, c in enumerate(s.codes):
        positive(c.van_result_id, "codes", i, "van_result_id")
        positive(c.van_response_id, "codes", i, "van_response_id")
        flag(c.pdi_flag, "codes", i, "pdi_flag")
    for i, q in enumerate(s.questions):
        positive(q.van_question_id, "questions", i, "van_question_id")
        for j, a in enumerate(q.answers):
            positive(a.van_response_id, "questions", i, "answers", j, "van_response_id")
            flag(a.pdi_flag, "questions", i, "answers", j, "pdi_flag")
    return problems


# -- at export time ---------------------------------------------------------------------------------------
LAYOUT_FIELDS = {
    # layout -> (code field, contact-code field, question field, answer field, support-question setting)
    "van-wizard": ("van_result", "van_result", "van_question", "van_response", "van_support_question"),
    "van-api": ("van_result_id", None, None, None, None),
    "van-responses": (None, "van_response_id", "van_question_id", "van_response_id", "van_support_question_id"),
    "pdi": ("pdi_flag", "pdi_flag", "pdi_question", "pdi_flag", "pdi_support_question"),
}


def mapping_problems(script: Script, layout: str, code_counts: dict[str, int], contact_counts: dict[str, int],
                     answers: Iterable[tuple[str, str]], command: str) -> list[str]:
    """What ``layout`` lacks for the calls exported: ``code_counts`` (code -> calls whose result is sent),
    ``contact_counts`` (contact code -> calls whose support ID is sent), ``answers`` ((question, answer)
    pairs sent). Sorted by line."""
    from ..exports.codes import PDI_FLAG_HINTS, PDI_FLAG_IDS, van_result_id

    code_field, contact_field, q_field, a_field, support_key = LAYOUT_FIELDS[layout]
    problems: list[str] = []
    line = script.line_of
    allowed_flags = PDI_FLAG_IDS | {f.upper() for f in script.export.pdi_extra_flags}

    def flag_ok(value: str, where: int | None, what: str) -> None:
        if layout == "pdi" and value.upper() not in allowed_flags:
            hint = PDI_FLAG_HINTS.get(value.upper())
            fix = (f"PDI's list spells it {hint}: use pdi_flag: {hint}" if hint else
                   "use a flag from PDI's list (GET /flag_ids), or, when your account has it, add it to "
                   "export.pdi_extra_flags")
            problems.append(f"scripts.yaml:{where}: {what} flag '{value}' is not in PDI's published flag list "
                            f"(parsons pdi/flag_ids.py) — {fix}")

    def needs(value: Any, where: int | None, what: str, field: str, calls: str = "") -> None:
        """``what`` (a code, an answer) must have ``field`` for this layout; a flag it has must be PDI's."""
        if not value:
            problems.append(f"scripts.yaml:{where}: {what} has no {field}, which {command} needs{calls} — add "
                            f"{field}: \"...\" to that {what.split()[0]}")
        elif isinstance(value, str):
            flag_ok(value, where, what)

    for name, count in sorted(code_counts.items()):
        code = script.code(name)
        if code is None:
            field = code_field or contact_field
            problems.append(f"scripts.yaml:{line('codes')}: code '{name}' ({count:,} call(s) to export) is not in "
                            f"scripts.yaml, so it has no {field} — add it back under codes: with {field}: ...")
            continue
        where = line("codes", script.codes.index(code))
        if code_field == "van_result_id":
            if code.contact or code.van_result_id or van_result_id(code.van_result):
                continue
            named = f" ('{code.van_result}' has no public VAN id)" if code.van_result else ""
            problems.append(f"scripts.yaml:{where}: code '{name}'{named} has no van_result_id, which {command} needs "
                            f"({count:,} call(s)) — add van_result_id: N, the id VAN's GET "
                            "canvassResponses/resultCodes lists for it")
        elif code_field and not code.contact:
            needs(getattr(code, code_field), where, f"code '{name}'", code_field, f" ({count:,} call(s))")
    for name, count in sorted(contact_counts.items()):
        code = script.code(name)
        if code is None or contact_field is None:
            continue
        needs(getattr(code, contact_field), line("codes", script.codes.index(code)), f"code '{name}'",
              contact_field, f" ({count:,} call(s))")
    if contact_counts and support_key and not getattr(script.export, support_key):
        problems.append(f"scripts.yaml:{line('export')}: export.{support_key} is not set, which {command} needs "
                        f"for the contact codes — add {support_key}: ... under export:")
    if q_field is not None and a_field is not None:
        problems += _answer_problems(script, answers, q_field, a_field, command, needs)
    return sorted(problems, key=by_line)


def _answer_problems(script: Script, answers: Iterable[tuple[str, str]], q_field: str, a_field: str, command: str,
                     needs: Callable[[Any, int | None, str, str], None]) -> list[str]:
    """The problems of the answers exported: unknown questions and answers, a question without ``q_field``
    (here); an answer without ``a_field``, or with a flag PDI does not list (through ``needs``)."""
    problems: list[str] = []
    line = script.line_of
    told: set[str] = set()
    for qid, aid in sorted(set(answers)):
        q = script.question(qid)
        if q is None:
            if qid not in told:
                told.add(qid)
                problems.append(f"scripts.yaml:{line('questions')}: survey question '{qid}' is answered in the "
                                f"results but is not in scripts.yaml — add it back under questions: with {q_field}: ...")
            continue
        qi = script.questions.index(q)
        if not getattr(q, q_field) and qid not in told:
            told.add(qid)
            problems.append(f"scripts.yaml:{line('questions', qi)}: question '{qid}' has no {q_field}, which "
                            f"{command} needs — add {q_field}: \"...\" to that question")
        a = q.answer(aid)
        if a is None:
            problems.append(f"scripts.yaml:{line('questions', qi, 'answers')}: answer '{aid}' to question '{qid}' "
                            f"is not in scripts.yaml — add it back under that question's answers: with {a_field}: ...")
            continue
        needs(getattr(a, a_field), line("questions", qi, "answers", q.answers.index(a)),
              f"answer '{aid}' of question '{qid}'", a_field)
    return problems


def by_line(problem: str) -> int:
    """The scripts.yaml line a problem names (0 when none): problems are reported in file order."""
    try:
        return int(problem.split(":", 2)[1])
    except (IndexError, ValueError):
        return 0
