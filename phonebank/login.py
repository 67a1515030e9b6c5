"""Who is calling, and which list: volunteer login, registration and list choice, asked through a Prompter.

A remembered login (the last email used in this workspace, on this computer) is shown and confirmed with
one key before calling starts — a shared laptop never calls silently as the last volunteer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from zoneinfo import ZoneInfo

from . import clock
from .errors import UsageProblem
from .messages import say
from .prompts import Choice, Prompter
from .roster import (
    Volunteer,
    add_volunteer,
    check_email,
    check_name,
    check_zip,
    last_email,
    read_roster,
    remember_email,
)
from .workspace import Workspace, pick_list

MAX_EMAIL_BYTES = 200  # the volunteer's results file is named after the email (file names stop at 255 bytes)
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def has_control(text: str) -> bool:
    """Control characters (Escape, bell, NUL, ...) and the invisible ones that reorder text."""
    return any(unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS for ch in text)


def check_person_name(text: str, field: str, language: str = "en") -> str:
    """A first or last name (``field`` "first" or "last") as the roster keeps it: required, no control
    characters (they would reach organizers' terminals), then ``roster.check_name``."""
    what = say(language, f"field.{field}")
    value = " ".join((text or "").split())
    if has_control(text or ""):
        raise UsageProblem(say(language, "register.control", what=what))
    if not value:
        raise UsageProblem(say(language, "register.required", what=what))
    try:
        return check_name(value, what)
    except UsageProblem:
        raise UsageProblem(say(language, "register.not_name", what=what, value=value[:60])) from None


def check_zip_code(text: str, language: str = "en") -> str:
    try:
        return check_zip(text)
    except UsageProblem:
        raise UsageProblem(say(language, "register.bad_zip", value=(text or "").strip()[:20])) from None


def check_login_email(text: str, language: str = "en") -> str:
    """An email that can be a login here: valid, no control characters, short enough to name a file."""
    if has_control(text or ""):
        raise UsageProblem(say(language, "register.control", what=say(language, "field.email")))
    try:
        email = check_email(text)
    except UsageProblem:
        raise UsageProblem(say(language, "register.bad_email", value=(text or "").strip()[:80])) from None
    if len(email.encode("utf-8")) > MAX_EMAIL_BYTES:
        raise UsageProblem(say(language, "register.email_long", email=email[:40] + "…", n=len(email),
                               max=MAX_EMAIL_BYTES))
    return email


def _validator(check: Callable[[str], str]) -> Callable[[str], str | None]:
    def validate(value: str) -> str | None:
        try:
            check(value)
        except UsageProblem as exc:
            return str(exc)
        return None

    return validate


def register_volunteer(ws: Workspace, ui: Prompter, tz: str, email: str | None = None,
                       language: str = "en") -> Volunteer:
    """Ask for the four required fields and add the volunteer to the roster."""
    ui.show(say(language, "register.intro"))
    first_name = lambda v: check_person_name(v, "first", language)  # noqa: E731
    last_name = lambda v: check_person_name(v, "last", language)  # noqa: E731
    email_of = lambda v: check_login_email(v, language)  # noqa: E731
    zip_of = lambda v: check_zip_code(v, language)  # noqa: E731
    first = ui.text(say(language, "register.first"), validate=_validator(first_name))
    last = ui.text(say(language, "register.last"), validate=_validator(last_name))
    if email is None:
        email = ui.text(say(language, "register.email"), validate=_validator(email_of))
    zip_code = ui.text(say(language, "register.zip"), validate=_validator(zip_of))
    volunteer = Volunteer(
        email=email_of(email), first_name=first_name(first), last_name=last_name(last), zip=zip_of(zip_code),
        registered_at=clock.now(ZoneInfo(tz)).isoformat(timespec="seconds"),
    )
    add_volunteer(ws.roster_path, volunteer)
    ui.show(say(language, "register.welcome", first=volunteer.first_name, email=volunteer.email))
    return volunteer


def _remembered(ws: Workspace, ui: Prompter, roster: dict[str, Volunteer], language: str) -> str | None:
    """The remembered email, once the volunteer confirms it is theirs (Enter); None when they change it."""
    remembered = last_email(ws.root)
    volunteer = roster.get(remembered or "")
    if volunteer is None:
        return None
    name = f"{volunteer.first_name} {volunteer.last_name}".strip() or volunteer.email
    choices = [Choice("go", say(language, "login.go_on", name=name), "g"),
               Choice("change", say(language, "login.change"), "c")]
    picked = ui.choose(say(language, "login.calling_as", name=name, email=volunteer.email), choices, default="go")
    return volunteer.email if picked == "go" else None


def log_in(ws: Workspace, ui: Prompter, email: str | None, tz: str, language: str = "en") -> Volunteer:
    """Find the volunteer by email (``--email``, else the remembered one once confirmed, else asked),
    offering to register an unknown one."""
    roster = read_roster(ws.roster_path)
    if email is None:
        email = _remembered(ws, ui, roster, language)
    if email is None:
        email = ui.text(say(language, "login.email"), validate=_validator(lambda v: check_login_email(v, language)))
    email = check_login_email(email, language)
    volunteer = roster.get(email)
    if volunteer is None:
        if not ui.confirm(say(language, "login.register_now", email=email), True):
            raise UsageProblem(f"no volunteer registered with {email} — run `phonebank register` or check the spelling")
        volunteer = register_volunteer(ws, ui, tz, email, language)
    remember_email(ws.root, volunteer.email)
    return volunteer


def log_in_as(ws: Workspace, ui: Prompter, login: str, email: str | None, tz: str, language: str = "en",
              known: Volunteer | None = None, record: Callable[[Volunteer], None] | None = None) -> Volunteer:
    """A campaign database login is the volunteer: the email comes from it, never typed. The name the
    script says comes from this workspace's roster, else from the campaign database's record of the login
    (``known``: registered on another computer), else it is asked once, as a registration — and then
    recorded in the database (``record``) when the database lacks it."""
    if email is not None and check_email(email) != login:
        raise UsageProblem(f"this campaign login belongs to {login}, not {email.strip()} — leave out --email")
    ui.show(say(language, "login.joined", email=login))
    volunteer = read_roster(ws.roster_path).get(login)
    if volunteer is None and known is not None:
        add_volunteer(ws.roster_path, known)
        volunteer = known
    if volunteer is None:
        volunteer = register_volunteer(ws, ui, tz, login, language)
    if record is not None and known is None:
        record(volunteer)
    return volunteer


def choose_list(ws: Workspace, ui: Prompter, name: str | None, names: list[str] | None = None,
                language: str = "en") -> str:
    """The list to call: ``name``, else the only one, else the volunteer's choice. ``names``: the lists of the
    campaign database (default: the workspace's lists/)."""
    shared = names is not None
    names = ws.list_names() if names is None else names
    if shared and not names and name is None:
        raise UsageProblem("the campaign database has no call lists yet — ask your organizer")
    if name is not None or len(names) <= 1:  # the one list picker of every --list (exit 2)
        return pick_list(ws, name, names)
    return ui.choose(say(language, "list.which"), [Choice(n, n) for n in names], default=names[0])

