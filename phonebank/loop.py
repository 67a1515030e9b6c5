"""The calling loop: one volunteer stepping through voters, coding each call.

UI-free: every question goes through a ``Prompter`` (``phonebank.prompts``), every word the volunteer
reads comes from the message catalog (``phonebank.messages``), the voter screen is laid out by
``phonebank.screen``, and the store is reached only through the ``CallingStore`` port.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from . import hours
from .callback import parse_callback
from .errors import NotSaved, Offline
from .interview import Interview
from .messages import count, language_name, say
from .outcomes import parse_time, rule_of
from .prompts import Choice, Heartbeat, Prompter, readable
from .render import pick, variables, weekday
from .results import UNDO, ResultRow
from .roster import Volunteer
from .screen import (
    VoterView,
    fmt_phone,
    fmt_time,
    full_name,
    local_times,
    session_header,
    voter_screen,
)
from .script import Code, Script
from .store.port import CallingStore, Offer, Saved
from .tally import Tally
from .termsafe import has_controls, visible
from .wrap import height_of


class Session:
    """Runs the loop: offer a voter, walk the script, code the call, save it, repeat."""

    def __init__(self, script: Script, store: CallingStore, volunteer: Volunteer, prompter: Prompter,
                 language: str = "en", clock: Callable[[], dt.datetime] | None = None, rehearsal: str = ""):
        self.script = script
        self.store = store
        self.volunteer = volunteer
        self.ui = Heartbeat(prompter, self._beat)
        self.language = language
        self.ui.language = language
        self.clock = clock or store.clock  # type: ignore[attr-defined]
        self.tz = ZoneInfo(script.campaign.time_zone)
        self.tally = Tally()
        self.skipped: set[str] = set()
        self.current: Offer | None = None
        self.saved_here: dict[str, Code | None] = {}  # row ids saved in this session -> code
        self.languages_used: list[str] = []
        self.notices: list[str] = []  # shown on top of the next voter screen (a cleared screen loses them)
        self.rehearsal = rehearsal
        self.reminders_shown = False
        self._told_lost = False
        h = script.calling.hours
        self.window = hours.parse_hhmm(h.start), hours.parse_hhmm(h.end)
        self.interview = Interview(self)

    # -- the loop ---------------------------------------------------------------------------------
    def run(self) -> Tally:
        """Call until the volunteer quits or the list is done. Ctrl-C propagates after cleanup."""
        try:
            while True:
                try:
                    offer = self.store.next_voter(self.volunteer.email, self.language, self.skipped)
                    if offer is None:
                        if not self._nothing_to_call():
                            break
                        continue
                except Offline as exc:  # a shared campaign's database cannot be reached: no new voter
                    if not self._offline(exc):
                        break
                    continue
                self.current = offer = shown_safe(offer)
                self._told_lost = False
                if not self._work_voter(offer):
                    break
        finally:
            self._let_go()
        return self.tally

    def summary(self) -> str:
        return self.tally.summary(self.language, self.languages_used)

    def say(self, key: str, /, **values: object) -> str:
        return say(self.ui.language, key, **values)

    def notify(self, text: str) -> None:
        """Say what just happened; on a screen that is cleared between voters, again atop the next one."""
        self.ui.show(text)
        if self.ui.clears_screen:
            self.notices.append(text)

    def _let_go(self) -> None:
        """Give the current voter back to the pool."""
        if self.current is not None and self.current.hold is not None:
            self.store.release(self.current.hold)
        self.current = None

    def _beat(self) -> None:
        """After every answer while on a voter: renew the hold; say once if it was lost."""
        offer = self.current
        if offer is None or offer.hold is None:
            return
        if not self.store.heartbeat(offer.hold) and not self._told_lost:
            self._told_lost = True
            self.notify(self.say("hold.lapsed", name=full_name(offer), minutes=self.script.calling.claim_minutes))

    def _open_for_dialing(self, offer: Offer) -> bool:
        """Calling hours, checked before every number is shown: the window must stay open a minute more."""
        return hours.open_for(offer.zones, self.clock(), *self.window, 1)

    def _nothing_to_call(self) -> bool:
        """Tell the volunteer why no one is offered. True to look again, False to stop."""
        c = self.store.counts()
        h = self.script.calling.hours
        lang = self.ui.language
        self.notices.clear()  # said already; the next voter screen starts afresh
        lines = [self.say("empty.none")]
        if c.held_by_hours:
            until = self.say("empty.until", when=self.fmt_time(c.reopens_at)) if c.reopens_at else ""
            lines.append(self.say("empty.hours", n=count(lang, c.held_by_hours, "n.voters"), until=until,
                                  start=h.start, end=h.end))
        if c.waiting:
            due = self.say("empty.due", when=self.fmt_time(c.next_due)) if c.next_due else ""
            lines.append(self.say("empty.waiting", n=count(lang, c.waiting, "n.voters"), due=due))
        if c.callable_now:
            lines.append(self.say("empty.others", n=count(lang, c.callable_now, "n.voters")))
        if not (c.held_by_hours or c.waiting or c.callable_now):
            lines.append(self.say("empty.done", n=count(lang, c.finished, "n.finished")))
            self.ui.show("\n".join(lines))
            return False
        lines.append(self.say("empty.for_now"))
        self.ui.show("\n".join(lines))
        choices = [Choice("again", self.say("menu.again"), "a"), Choice("quit", self.say("menu.quit"), "q")]
        if self.skipped:
            choices.insert(1, Choice("unskip", self.say("menu.unskip"), "b"))
        pick_ = self.ui.choose(self.say("menu.what_next"), choices, default="quit")
        if pick_ == "unskip":
            self.skipped.clear()
        return pick_ != "quit"

    def _offline(self, exc: Offline) -> bool:
        """Say why no voter is offered while offline. True to try again, False to stop."""
        self.ui.show(str(exc))
        again = self.ui.choose(self.say("menu.what_next"), [Choice("again", self.say("menu.try_again"), "a"),
                                                            Choice("quit", self.say("menu.quit"), "q")],
                               default="again")
        return again == "again"

    def _work_voter(self, offer: Offer) -> bool:
        """Handle one voter until saved, skipped or quit. False when the volunteer quits."""
        phone_index = 0
        started = time.monotonic()
        language = self.ui.language = self.language
        full_reminders = not self.reminders_shown
        while True:
            if not offer.phones:
                self._let_go()
                return True
            if not self._open_for_dialing(offer):
                self.notify(self._hours_over(offer))
                self._let_go()
                return True
            phone_index = min(phone_index, len(offer.phones) - 1)
            phone = offer.phones[phone_index]
            # the name and number again right on the menu's line: on screen even when the top scrolls away
            message = self.say("menu.call", name=full_name(offer), phone=fmt_phone(phone))
            actions = self._voter_actions(offer, language)
            self.ui.clear()
            self.ui.show(self.voter_screen(offer, phone_index, language, full_reminders, message, actions))
            self.notices.clear()
            self.reminders_shown = True
            full_reminders = False
            action = self.ui.choose(message, actions, default="script")
            if action == "quit":
                return False
            if action == "skip":
                self.skipped.add(offer.voter_id)
                self._let_go()
                return True
            if action == "undo":
                self._undo_last()
                offer = shown_safe(self.store.offer(offer.voter_id, offer.hold))
                self.current = offer
                continue
            if action == "language":
                language = self.ui.language = self._other_language(language)
                continue
            if action == "reminders":
                full_reminders = True
                continue
            if action == "next_number":
                phone_index = (phone_index + 1) % len(offer.phones)
                continue
            coded = self.interview.code_call(offer, phone, action, language)
            if coded is None:  # back to the voter menu, nothing saved
                continue
            code_id, answers, note, callback_at = coded
            # a dead number with another left: the volunteer may stay on the voter; else the save ends the
            # hold (and a shared campaign claims the next voter in the same round trip)
            rule = rule_of(self.script, code_id)
            stays = rule.kills_number and not rule.finishes and len(offer.phones) > 1
            self._save(offer, phone, code_id, answers, note, callback_at, language, started, done=not stays)
            if stays:
                offer = shown_safe(self.store.offer(offer.voter_id, offer.hold))
                self.current = offer
                if offer.phones and self._open_for_dialing(offer) and self.ui.confirm(
                    self.say("next_number.ask", name=full_name(offer), phone=fmt_phone(offer.phones[0])), True
                ):
                    phone_index, started = 0, time.monotonic()
                    continue
            self._let_go()
            return True

    def _hours_over(self, offer: Offer) -> str:
        local = local_times(offer.zones, self.clock()) or self.say("screen.unknown_zone")
        h = self.script.calling.hours
        return self.say("hours.over", name=full_name(offer), local=local, start=h.start, end=h.end)

    # -- the voter menu ---------------------------------------------------------------------------
    def _voter_actions(self, offer: Offer, language: str) -> list[Choice]:
        actions = [Choice("script", self.say("menu.script"), "s")]
        first = next((c for c in self.script.other_codes if c.effect == "retry"), None)
        if first:
            actions.append(Choice(first.id, pick(first.label, language), "n"))
        actions.append(Choice("more", self.say("menu.more"), "i"))
        if self.interview.callback_code() is not None:
            actions.append(Choice("callback", self.say("menu.callback"), "c"))
        if len(offer.phones) > 1:
            actions.append(Choice("next_number", self.say("menu.next_number"), "t"))
        if len(self.script.campaign.languages) > 1:
            other = self._other_language(language)
            actions.append(Choice("language", self.say("menu.language", language=language_name(other, language)), "l"))
        if any(e.reminder for e in self.script.elections):
            actions.append(Choice("reminders", self.say("menu.reminders"), "r"))
        actions += [
            Choice("skip", self.say("menu.skip"), "k"),
            Choice("undo", self.say("menu.undo"), "u"),
            Choice("quit", self.say("menu.quit"), "q"),
        ]
        return actions

    def _other_language(self, language: str) -> str:
        langs = self.script.campaign.languages
        return langs[(langs.index(language) + 1) % len(langs)] if language in langs else langs[0]

    # -- saving -----------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.clock().astimezone(self.tz)

    def _save(self, offer: Offer, phone: str, code_id: str, answers: dict[str, str], note: str,
              callback_at: str, language: str, started: float, done: bool = False) -> None:
        row = ResultRow(
            recorded_at=self.now().isoformat(timespec="seconds"), volunteer=self.volunteer.email,
            list=self.store.list_name, voter_id=offer.voter_id, phone=phone, code=code_id, answers=answers,
            note=readable(note), language=language, seconds=int(time.monotonic() - started),
            callback_at=callback_at,
        )
        saved = self._save_or_retry(row, offer, done)
        code = self.script.code(code_id)
        self.saved_here[saved.row.row_id] = code
        self.tally.add(code)
        if language not in self.languages_used:
            self.languages_used.append(language)
        result = pick(code.label, language) if code else code_id
        self.notify(f"{self.say('saved', result=result, name=full_name(offer))} {self.tally.line(self.ui.language)}")
        if saved.overlaps or saved.hold_lost:
            self.notify(self._overlap_line(saved))

    def _save_or_retry(self, row: ResultRow, offer: Offer, done: bool) -> Saved:
        """Save; when the disk refuses (full, a permission), say so and offer to try the same call again —
        the call on screen is not lost to a problem the volunteer can fix. No: the error ends the session."""
        while True:
            try:
                return self.store.save(row, offer.hold, done)
            except NotSaved as exc:
                self.ui.show(str(exc))
                if not self.ui.confirm(self.say("save.retry"), True):
                    raise

    def _overlap_line(self, saved: Saved) -> str:
        return self.say("saved.overlap") if saved.overlaps else self.say("saved.hold_lost")

    def _undo_last(self) -> None:
        try:
            last = self.store.last_saved(self.volunteer.email)
            name = self.store.voter_name(last.voter_id) if last is not None else ""
        except Offline:
            self.notify(self.say("undo.offline"))
            return
        if last is None:
            self.notify(self.say("undo.nothing"))
            return
        code = self.script.code(last.code)
        label = pick(code.label, self.ui.language) if code else last.code
        when = self.fmt_time(parse_time(last.recorded_at))
        who = {"name": name or last.voter_id, "phone": fmt_phone(last.phone)}
        if not self.ui.confirm(self.say("undo.ask", result=label, when=when, **who), False):
            return
        row = ResultRow(recorded_at=self.now().isoformat(timespec="seconds"), volunteer=self.volunteer.email,
                        list=self.store.list_name, voter_id=last.voter_id, phone=last.phone, code=UNDO,
                        undoes=last.row_id, language=self.language)
        saved = self.store.save(row)
        lines = [self.say("undo.done", result=label, **who)]
        if saved.dnc_taken_back:
            lines.append(self.say("undo.dnc", phone=fmt_phone(last.phone)))
        if last.row_id in self.saved_here:
            self.tally.add(self.saved_here.pop(last.row_id), -1)
            lines.append(self.tally.line(self.ui.language))
        else:
            lines.append(self.say("undo.earlier"))
        self.notify(" ".join(lines))

    # -- call-back times --------------------------------------------------------------------------
    def voter_tz(self, offer: Offer) -> ZoneInfo:
        zones = hours.known_zones(hours.zones_for(offer.voter.get("zip", ""), offer.voter.get("state", ""), []))
        return ZoneInfo(zones[0]) if len(zones) == 1 else self.tz

    def ask_callback(self, offer: Offer) -> str:
        tz = self.voter_tz(offer)
        now = self.clock().astimezone(tz)
        result: dict[str, dt.datetime] = {}
        language = self.ui.language

        def check(text: str) -> str | None:
            try:
                result["at"] = parse_callback(text, now, language, self.window)
            except ValueError as exc:
                return str(exc)
            return None

        now_shown = f"{weekday(now.date(), language)} {now:%H:%M} {now.tzname()}"
        self.ui.text(self.say("callback.ask", now=now_shown), validate=check)
        return result["at"].isoformat(timespec="minutes")

    # -- the screen -------------------------------------------------------------------------------
    def fmt_time(self, moment: dt.datetime | None) -> str:
        return fmt_time(moment, self.now(), self.tz, self.ui.language)

    def values(self, offer: Offer, language: str) -> dict[str, str]:
        voter = {k: offer.voter.get(k, "") for k in ("first_name", "last_name", "city", "zip", "state",
                                                      "language", "age", "party")}
        return variables(self.script, language, self.now().date(), voter, self.volunteer.as_vars())

    def voter_screen(self, offer: Offer, phone_index: int, language: str, full_reminders: bool = True,
                     message: str = "", actions: list[Choice] | None = None) -> str:
        """The voter block, fitted above a menu of ``actions`` asked with ``message``."""
        size = self.ui.size()
        name = f"{self.volunteer.first_name} {self.volunteer.last_name}".strip() or self.volunteer.email
        view = VoterView(offer=offer, phone_index=phone_index, language=language, now=self.clock(),
                         today=self.now().date(), tz=self.tz, values=self.values(offer, language),
                         header=session_header(name, self.store.list_name, self.tally.line(language), language),
                         notices=list(self.notices), rehearsal=self.rehearsal, full_reminders=full_reminders,
                         columns=size[0] if size else 80)
        columns = size[0] if size else None
        # the menu: its question (with the instruction, on a terminal), its entries, the answer line
        default = self.say("prompt.default")
        menu = height_of(f"? {message} {self.say('prompt.instruction')}", columns) + 1 + sum(
            height_of(f"  {n}) {c.title} [{c.key}]{default}", columns) for n, c in enumerate(actions or [], 1))
        return voter_screen(self.script, view, self.ui.style, size, menu)


def shown_safe(offer: Offer) -> Offer:
    """The offer as the volunteer's screen and the script may show it: a list's names, city or notes holding
    control characters (ESC, BEL: a hostile or damaged voter file) made visible, never run by the terminal.
    The voter_id stays as stored: the store knows the voter by it."""
    voter = {k: v if k == "voter_id" else visible(v) for k, v in offer.voter.items()}
    history = [dataclasses.replace(r, note=visible(r.note)) if has_controls(r.note) else r for r in offer.history]
    return dataclasses.replace(offer, voter=voter, history=history)
