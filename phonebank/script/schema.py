"""The schema of ``scripts.yaml``: the campaign, calling rules, elections, questions, script sections,
response codes and export settings, as msgspec structs (unknown keys rejected)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import msgspec

Localized = dict[str, str]
EFFECTS = ("final", "final_for_number", "retry", "callback", "do_not_call")
Effect = Literal["final", "final_for_number", "retry", "callback", "do_not_call"]
RESERVED_CODES = {"undo"}
MAX_HOURS = 8760  # a year: a longer retry delay is a typo
VOTER_FIELDS = ("first_name", "last_name", "city", "zip", "state", "language", "age", "party")
VOLUNTEER_FIELDS = ("first_name", "last_name")
CAMPAIGN_VARS = ("candidate", "campaign_name", "district", "website", "contact_email", "volunteer_signup")
ELECTION_FIELDS = ("name", "date", "weekday", "countdown")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VAR_RE = re.compile(r"\{([^{}]*)\}")
EARLIEST_CALL, LATEST_CALL = "08:00", "21:00"  # the window calling.hours must fit in, in the voter's time
MAX_LAST_CALL_MINUTES = 120


class _Base(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Campaign(_Base, kw_only=True, forbid_unknown_fields=True):
    name: str
    candidate: str
    district: str
    website: str
    contact_email: str
    volunteer_signup: str
    time_zone: str = "America/Los_Angeles"
    languages: list[str] = msgspec.field(default_factory=lambda: ["en"])


class Hours(_Base, kw_only=True, forbid_unknown_fields=True):
    start: str = "09:00"
    end: str = "21:00"
    # no new voter is handed out when the window closes within this many minutes in the voter's time
    last_call_minutes: int = 10


class Retry(_Base, kw_only=True, forbid_unknown_fields=True):
    after_hours: float = 24
    max_attempts: int = 3


class Calling(_Base, kw_only=True, forbid_unknown_fields=True):
    hours: Hours = msgspec.field(default_factory=Hours)
    retry: Retry = msgspec.field(default_factory=Retry)
    claim_minutes: int = 30


class Election(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    date: dt.date
    name: Localized
    ours: bool = True
    reminder: Localized | None = None


class Answer(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    label: Localized
    van_response: str | None = None  # the response's name, as the VAN Bulk Upload wizard maps it
    van_response_id: int | None = None  # its surveyResponseId (VAN's GET surveyQuestions)
    pdi_flag: str | None = None


class Question(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    text: Localized
    answers: list[Answer]
    van_question: str | None = None  # the question's column name in the VAN Bulk Upload wizard file
    van_question_id: int | None = None  # its surveyQuestionId (VAN's GET surveyQuestions)
    pdi_question: str | None = None  # the PDI question id (GET /questions)

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)


class Section(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    text: Localized
    title: Localized | None = None
    ask: str | None = None
    branches: dict[str, str] | None = None
    default: str | None = None  # where an answer `branches` does not list, or no answer, goes
    next: str | None = None

    def branch(self, answer: str | None) -> str | None:
        """The section id (or "end") a branching section goes to for ``answer``: its branch, else its
        ``default``; None when it names neither (then ``next``, then file order)."""
        if not self.branches:
            return None
        if answer is not None and answer in self.branches:
            return self.branches[answer]
        return self.default


class Code(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    label: Localized
    effect: Effect
    contact: bool = False
    support: int | None = None
    after_hours: float | None = None
    max_attempts: int | None = None
    route_language: str | None = None
    van_result: str | None = None  # VAN result name (non-contacts) or support response name (contacts)
    van_result_id: int | None = None  # VAN resultId, where exports.van_ids has no public id for van_result
    van_response_id: int | None = None  # contacts: surveyResponseId for export.van_support_question_id
    pdi_flag: str | None = None


class Export(_Base, kw_only=True, forbid_unknown_fields=True):
    """Sync-back settings: see ``phonebank.exports`` and the README's `phonebank export` section."""

    van_support_question: str | None = None
    van_support_question_id: int | None = None
    van_contact_type: str = "Phone"
    van_contact_type_id: int | None = None
    van_canvassed_by: int | None = None  # VAN user id for calls by volunteers not in van_users
    van_users: dict[str, int] = msgspec.field(default_factory=dict)  # volunteer email -> VAN user id
    pdi_support_question: str | None = None
    pdi_noncontact_question: str | None = None  # the PDI question id non-contact flags (NAH, BNH...) go under
    pdi_acquisition_type: str = "Volunteer Phone Bank"
    pdi_acquisition_type_id: int | str | None = None
    pdi_extra_flags: list[str] = msgspec.field(default_factory=list)  # the account's flags beyond PDI's list


class Script(_Base, kw_only=True, forbid_unknown_fields=True, dict=True):
    version: int
    campaign: Campaign
    calling: Calling = msgspec.field(default_factory=Calling)
    elections: list[Election] = msgspec.field(default_factory=list)
    questions: list[Question] = msgspec.field(default_factory=list)
    sections: list[Section]
    codes: list[Code]
    export: Export = msgspec.field(default_factory=Export)
    # filled in by load_script, not read from the file
    lines: dict = msgspec.field(default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------------
    def code(self, code_id: str) -> Code | None:
        index = self.__dict__.get("_code_index")
        if index is None:  # built once: the queue and the reports look codes up for every row
            index = self.__dict__["_code_index"] = {}
            for c in self.codes:
                index.setdefault(c.id, c)
        return index.get(code_id)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def election(self, election_id: str) -> Election | None:
        return next((e for e in self.elections if e.id == election_id), None)

    @property
    def contact_codes(self) -> list[Code]:
        return [c for c in self.codes if c.contact]

    @property
    def other_codes(self) -> list[Code]:
        return [c for c in self.codes if not c.contact]

    def retry_after_hours(self, code: Code) -> float:
        return self.calling.retry.after_hours if code.after_hours is None else code.after_hours

    def max_attempts(self, code: Code) -> int:
        return self.calling.retry.max_attempts if code.max_attempts is None else code.max_attempts

    def line_of(self, *path: Any) -> int | None:
        """Line in scripts.yaml of the node at ``path`` (e.g. ``("codes", 3)``), if known."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def next_section(self, section: Section, answer: str | None = None) -> Section | None:
        """The section that follows ``section``, given the answer to its question (if any)."""
        branch = section.branch(answer)
        if branch is not None:
            target = branch
        elif section.next:
            target = section.next
        else:
            idx = self.sections.index(section)
            return self.sections[idx + 1] if idx + 1 < len(self.sections) else None
        return None if target == "end" else self.section(target)
