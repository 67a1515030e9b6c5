"""`phonebank register` and `phonebank call`: the volunteer's commands.

This module is on the volunteer's path: it must never import pandas (a test checks).
"""

from __future__ import annotations

import signal
import sys

import click

from .. import clock
from ..errors import Aborted, UsageProblem
from ..login import choose_list, log_in, log_in_as, register_volunteer
from ..messages import say
from ..roster import remember_email
from .common import current_script, current_workspace, workspace_option


def _prompter(plain: bool, language: str = "en"):
    """Plain numbered prompts when asked, or when stdin/stdout is not a terminal."""
    from ..prompts import PlainPrompter, QuestionaryPrompter

    if plain or not sys.stdin.isatty() or not sys.stdout.isatty():
        return PlainPrompter(language=language)
    return QuestionaryPrompter(language=language)


def _running_prompt():
    """The arrow-key prompt waiting for an answer now, if any (prompt_toolkit is loaded only then)."""
    if "prompt_toolkit" not in sys.modules:
        return None
    from prompt_toolkit.application.current import get_app_or_none

    app = get_app_or_none()
    return app if app is not None and app.is_running and not app.is_done else None


def _stop_on_hangup() -> None:
    """A closed terminal (SIGHUP) or a polite kill (SIGTERM) stops like Ctrl-C: the voter being
    called is released at once instead of waiting for the claim to expire; saved calls are on disk."""

    def stop(signum, frame):
        app = _running_prompt()
        if app is not None:  # ends the prompt the prompt_toolkit way: raised mid-loop, asyncio could hang
            app.exit(exception=KeyboardInterrupt())
            return
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
@click.option("--email", metavar="EMAIL", help="Log in with this email (default: the last one used here, confirmed).")
@click.option("--language", metavar="LANG", help="Script and screen language, e.g. en or es (default: the "
              "script's first).")
@click.option("--plain", is_flag=True, help="Numbered prompts, no arrow keys (automatic when not a terminal).")
@workspace_option
def call(list_name: str | None, email: str | None, language: str | None, plain: bool) -> None:
    """Call voters one at a time: read the script, code the call, save, next."""
    from ..loop import Session
    from ..store import database_url, open_calling

    ws = current_workspace()
    url = database_url(ws)
    campaign = None
    if url:  # a shared campaign (--database, PHONEBANK_DATABASE_URL, or a workspace made by `phonebank join`)
        from ..store.remote import Campaign

        campaign = Campaign(url, ws)
        if campaign.refresh_script():
            click.echo(say(language or "en", "script.changed"))
    script = current_script(ws)
    language = language or script.campaign.languages[0]
    if language not in script.campaign.languages:
        raise UsageProblem(f"language '{language}' is not in this script — use one of: {', '.join(script.campaign.languages)}")
    rehearsal = clock.rehearsal()  # read with the workspace (current_workspace), once
    ui = _prompter(plain, language)
    session = None
    _stop_on_hangup()
    names = campaign.list_names() if campaign else None
    if list_name is not None:  # '' too: refused, never "the only list"
        choose_list(ws, ui, list_name, names, language)  # a wrong --list fails before any question
    try:
        tz = script.campaign.time_zone
        clock_ = clock.moving(rehearsal)
        rehearsal_line = ""
        if rehearsal is not None:
            from ..screen import fmt_moment

            when = fmt_moment(rehearsal, tz, language)
            ui.show(say(language, "rehearsal", when=when))
            rehearsal_line = say(language, "rehearsal.short", when=when)
        if campaign is not None:
            for line in campaign.deliver_all(script, clock_).lines(language):
                ui.show(line)
        if campaign is not None and campaign.login is not None:
            volunteer = log_in_as(ws, ui, campaign.login, email, tz, language, known=campaign.registration(),
                                  record=campaign.register)
        else:
            volunteer = log_in(ws, ui, email, tz, language)
        name = choose_list(ws, ui, list_name, names, language)
        if campaign is not None:
            store = campaign.calling_store(script, name, clock_, notify=ui.show, language=ui.language)
        else:
            store = open_calling(ws, script, name, clock_,
                                 on_rebuild=lambda: ui.show(say(language, "list.preparing", list=name)))
        for warning in store.problems.warnings()[:5]:
            click.echo(f"Warning: {warning}", err=True)
        ui.show(say(language, "list.start", list=name, name=f"{volunteer.first_name} {volunteer.last_name}",
                    email=volunteer.email))
        session = Session(script, store, volunteer, ui, language, rehearsal=rehearsal_line)
        session.run()
    except Aborted as exc:
        # a clean stop: the summary, one line saying what was kept, exit 130 — not an error
        if session is not None:
            ui.show("\n" + session.summary())
        click.echo(say(language, "stopped", why=str(exc)), err=True)
        click.get_current_context().exit(Aborted.exit_code)
    ui.show(session.summary())
