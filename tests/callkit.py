"""Helpers for the calling-session tests: a tiny workspace, a fixed clock, scripted prompters."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from phonebank.lists import canonical_columns
from phonebank.prompts import Choice
from phonebank.roster import Volunteer, add_volunteer
from phonebank.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
LA = ZoneInfo("America/Los_Angeles")
ANA = Volunteer("ana@example.org", "Ana", "Reyes", "90033", "2017-03-01T10:00:00-08:00")
BO = Volunteer("bo@example.org", "Bo", "Kim", "90012", "2017-03-01T10:00:00-08:00")


def la(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LA)


class Clock:
    """A settable clock: ``clock()`` returns the current fixed time."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + dt.timedelta(**kwargs)


def voter(voter_id: str, first: str, last: str, *phones: str, zip_code: str = "90033", city: str = "Los Angeles",
          language: str = "en", state: str = "CA") -> dict[str, str]:
    row = {"voter_id": voter_id, "first_name": first, "last_name": last, "zip": zip_code, "city": city,
           "state": state, "language": language, "age": "44", "party": "D", "source_system": "van",
           "source_id": voter_id.lstrip("V")}
    for i, p in enumerate(phones, 1):
        row[f"phone_{i}"] = p
    return row


DEFAULT_VOTERS = [
    voter("V1", "María", "García", "+12135550101", "+13235550102"),
    voter("V2", "José", "Hernández", "+12135550103", language="es"),
    voter("V3", "Grace", "Kim", "+12135550104", zip_code="90012"),
    voter("V4", "Arman", "Petrosyan", "+18185550105", zip_code="90041"),
]


def write_list(ws: Workspace, name: str, voters: Iterable[dict[str, str]]) -> Path:
    voters = list(voters)
    n = max((int(k.split("_")[1]) for v in voters for k in v if k.startswith("phone_")), default=1)
    cols = canonical_columns(n)
    path = ws.list_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for v in voters:
            w.writerow({c: v.get(c, "") for c in cols})
    return path


def make_workspace(root: Path, voters: Iterable[dict[str, str]] = DEFAULT_VOTERS, name: str = "test",
                   volunteers: Iterable[Volunteer] = (ANA, BO)) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "scripts.yaml", root / "scripts.yaml")
    (root / "results").mkdir(exist_ok=True)
    ws = Workspace(root)
    write_list(ws, name, voters)
    for v in volunteers:
        add_volunteer(ws.roster_path, v)
    return ws


class ScriptedPrompter:
    """Answers prompts from a list. Each answer is matched against the prompt kind:
    choose -> a choice value (or title prefix), text -> the text, confirm -> bool.
    Running out of answers raises AssertionError so a starved test fails instead of hanging."""

    style = "plain"

    def __init__(self, answers: list):
        self.answers = list(answers)
        self.shown: list[str] = []
        self.asked: list[tuple[str, str, list[str]]] = []

    def _next(self, kind: str, message: str, options: list[str] | None = None):
        self.asked.append((kind, message, options or []))
        if not self.answers:
            raise AssertionError(f"no scripted answer left for {kind} prompt {message!r}; options {options}")
        answer = self.answers.pop(0)
        if callable(answer):
            answer = answer(kind, message, options)
        return answer

    def show(self, text: str) -> None:
        self.shown.append(text)

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        values = [c.value for c in choices]
        answer = self._next("choose", message, values)
        if answer is None:
            return default
        assert answer in values, f"{answer!r} not offered at {message!r}: {values}"
        return answer

    def text(self, message: str, default: str = "", validate=None) -> str:
        answer = self._next("text", message)
        answer = default if answer is None else answer
        if validate:
            problem = validate(answer)
            assert problem is None, f"{answer!r} rejected at {message!r}: {problem}"
        return answer

    def confirm(self, message: str, default: bool = True) -> bool:
        answer = self._next("confirm", message)
        return default if answer is None else bool(answer)

    @property
    def screen(self) -> str:
        return "\n".join(self.shown)


def read_rows(ws: Workspace, list_name: str = "test") -> list[dict[str, str]]:
    rows = []
    for path in sorted((ws.results_dir / list_name).glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    return rows
