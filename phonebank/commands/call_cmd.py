"""`phonebank register` and `phonebank call`: the volunteer's commands.

This module is on the volunteer's path: it must never import pandas (a test checks).
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import time
from zoneinfo import ZoneInfo

import click

from .. import clock
from ..errors import Aborted, UsageProblem
from ..roster import (
    Volunteer,
    add_volunteer,
    check_email,
    check_name,
    check_zip,
    last_email,
    read_roster,
    remember_email,
)
from ..workspace import Workspace
from .common import current_script, current_workspace, workspace_option


def _prompter(plain: bool):
    """Plain numbered prompts when asked, or when stdin/stdout is not a terminal."""
    from ..prompts import PlainPrompter, QuestionaryPrompter

    if plain or not sys.stdin.isatty() or not sys.stdout.isatty():
        return PlainPrompter()
    return QuestionaryPrompter()


def _validator(check):
    def validate(value: str) -> str | None:
        try:
            check(value)
        except UsageProblem as exc:
            return str(exc)
        return None

    return validate


def register_volunteer(ws: Workspace, ui, tz: str, email: str | None = None) -> Volunteer:
    """Ask for the four required fields and add the volunteer to the roster."""
    ui.show("Register as a volunteer (all four fields are required).")
    first = ui.text("First name:", validate=_validator(lambda v: check_name(v, "First name")))
    last = ui.text("Last name:", validate=_validator(lambda v: check_name(v, "Last name")))
    if email is None:
        email = ui.text("Email:", validate=_validator(check_email))
    zip_code = ui.text("ZIP code (5 digits):", validate=_validator(check_zip))
    volunteer = Volunteer(
        email=check_email(email), first_name=check_name(first, "First name"), last_name=check_name(last, "Last name"),
        zip=check_zip(zip_code), registered_at=clock.now(ZoneInfo(tz)).isoformat(timespec="seconds"),
    )
    add_volunteer(ws.roster_path, volunteer)
    ui.show(f"Welcome, {volunteer.first_name}! You are registered as {volunteer.email}.")
    return volunteer


def log_in(ws: Workspace, ui, email: str | None, tz: str) -> Volunteer:
    """Find the volunteer by email (asked, or remembered), offering to register an unknown one."""
    roster = read_roster(ws.roster_path)
    if email is None:
        remembered = last_email(ws.root)
        if remembered and remembered in roster:
            ui.show(f"Logged in as {remembered} (the last email used here; `phonebank call --email EMAIL` to switch).")
            email = remembered
    if email is None:
        email = ui.text("Your email (new volunteers: the email you want to register):",
                        validate=_validator(check_email))
    email = check_email(email)
    volunteer = roster.get(email)
    if volunteer is None:
        if not ui.confirm(f"No volunteer registered with {email}. Register now?", True):
            raise UsageProblem(f"no volunteer registered with {email} — run `phonebank register` or check the spelling")
        volunteer = register_volunteer(ws, ui, tz, email)
    remember_email(ws.root, volunteer.email)
    return volunteer


def log_in_as(ws: Workspace, ui, login: str, email: str | None, tz: str) -> Volunteer:
    """A campaign database login is the volunteer: the email comes from it, never typed; the name the
    script says comes from this workspace's roster (asked once, as a registration)."""
    if email is not None and check_email(email) != login:
        raise UsageProblem(f"this campaign login belongs to {login}, not {email.strip()} — leave out --email")
    ui.show(f"Logged in as {login} (your campaign login says who you are: no email to type).")
    volunteer = read_roster(ws.roster_path).get(login)
    return volunteer if volunteer is not None else register_volunteer(ws, ui, tz, login)


def choose_list(ws: Workspace, ui, name: str | None, names: list[str] | None = None) -> str:
    """The list to call: ``name``, else the only one, else the volunteer's choice. ``names``: the lists of the
    campaign database (default: the workspace's lists/)."""
    shared = names is not None
    names = ws.list_names() if names is None else names
    if name:
        if name not in names:
            ws.list_path(name)  # rejects unsafe names with a clear message
            raise UsageProblem(
                f"no list named '{name}' — available: {', '.join(names) or 'none'}"
                + ("" if names or shared else "; an organizer imports one with `phonebank import SOURCE --list NAME`")
            )
        return name
    if not names:
        if shared:
            raise UsageProblem("the campaign database has no call lists yet — ask your organizer")
        raise UsageProblem(
            f"no call lists in {ws.lists_dir} — ask your organizer, or import one with `phonebank import SOURCE --list NAME`"
        )
    if len(names) == 1:
        return names[0]
    from ..session import Choice

    return ui.choose("Which list are you calling?", [Choice(n, n) for n in names], default=names[0])


def moving_clock() -> callable:
    """`clock.now()` at start, then advancing with real time (PHONEBANK_NOW fixes only the start)."""
    start, t0 = clock.now(), time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def _stop_on_hangup() -> None:
    """A closed terminal (SIGHUP) or a polite kill (SIGTERM) stops like Ctrl-C: the voter being
    called is released at once instead of waiting for the claim to expire; saved calls are on disk."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, stop)


@click.command("register")
@click.option("--plain", is_flag=True, help="Numbered prompts, no arrow keys (automatic when not a terminal).")
@workspace_option
def register(plain: bool) -> None:
    """Register as a volunteer: first name, last name, email and ZIP code."""
    ws = current_workspace()
    script = current_script(ws)
    ui = _prompter(plain)
    try:
        volunteer = register_volunteer(ws, ui, script.campaign.time_zone)
    except Aborted:
        raise Aborted("registration stopped; nothing was saved") from None
    remember_email(ws.root, volunteer.email)


@click.command("call")
@click.option("--list", "list_name", metavar="NAME", help="List to call (asked when the workspace has several).")
@click.option("--email", metavar="EMAIL", help="Log in with this email (default: the last one used here).")
@click.option("--language", metavar="LANG", help="Script language, e.g. en or es (default: en).")
@click.option("--plain", is_flag=True, help="Numbered prompts, no arrow keys (automatic when not a terminal).")
@workspace_option
def call(list_name: str | None, email: str | None, language: str | None, plain: bool) -> None:
    """Call voters one at a time: read the script, code the call, save, next."""
    from ..session import Session
    from ..store import database_url, open_calling

    ws = current_workspace()
    url = database_url(ws)
    campaign = None
    if url:  # a shared campaign (--database, PHONEBANK_DATABASE_URL, or a workspace made by `phonebank join`)
        from ..store.remote import Campaign

        campaign = Campaign(url, ws)
        if campaign.refresh_script():
            click.echo("The campaign's script changed: scripts.yaml now holds the organizer's latest.")
    script = current_script(ws)
    language = language or script.campaign.languages[0]
    if language not in script.campaign.languages:
        raise UsageProblem(f"language '{language}' is not in this script — use one of: {', '.join(script.campaign.languages)}")
    ui = _prompter(plain)
    session = None
    _stop_on_hangup()
    names = campaign.list_names() if campaign else None
    if list_name:
        choose_list(ws, ui, list_name, names)  # a wrong --list fails before any question
    try:
        tz = script.campaign.time_zone
        clock_ = moving_clock()
        if campaign is not None:
            for line in campaign.deliver_all(script, clock_).lines():
                ui.show(line)
        if campaign is not None and campaign.login is not None:
            volunteer = log_in_as(ws, ui, campaign.login, email, tz)
        else:
            volunteer = log_in(ws, ui, email, tz)
        name = choose_list(ws, ui, list_name, names)
        if campaign is not None:
            store = campaign.calling_store(script, name, clock_, notify=ui.show)
        else:
            store = open_calling(ws, script, name, clock_, on_rebuild=lambda: ui.show(
                f"Preparing list '{name}' for calling (once after each import; a big list takes a moment)..."))
        for warning in store.problems.warnings()[:5]:
            click.echo(f"Warning: {warning}", err=True)
        ui.show(f"Calling list '{name}' as {volunteer.first_name} {volunteer.last_name} ({volunteer.email}). "
                "Every saved call is written at once; quit any time.")
        session = Session(script, store, volunteer, ui, language)
        session.run()
    except Aborted as exc:
        if session is not None:
            ui.show("\n" + session.tally.summary())
        raise Aborted(f"{exc}; every saved call is kept, the call being entered was not saved") from None
    ui.show(session.tally.summary())
