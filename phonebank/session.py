"""The calling session: one volunteer stepping through voters, coding each call.

UI-free: every question goes through a ``Prompter`` (``phonebank.prompts`` has the questionary one
and the plain, screen-reader-friendly one), so the loop is tested with scripted answers.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from . import hours
from .errors import DataError, Offline
from .outcomes import parse_time
from .render import pick, render, variables
from .results import NOTE_MAX, UNDO, ResultRow, check_note
from .roster import Volunteer
from .script import Code, Script
from .store.port import CallingStore, Offer, Saved

LANGUAGE_NAMES = {"en": "English", "es": "Spanish (español)", "zh": "Chinese", "ko": "Korean", "vi": "Vietnamese",
                  "tl": "Tagalog", "hy": "Armenian"}


@dataclass(frozen=True)
class Choice:
    value: str
    title: str
    key: str | None = None  # a one-keystroke shortcut


class Prompter(Protocol):
    style: str  # "ansi" or "plain": how script markup is shown

    def show(self, text: str) -> None: ...

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str: ...

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str: ...

    def confirm(self, message: str, default: bool = True) -> bool: ...


@dataclass
class Tally:
    calls: int = 0
    contacts: int = 0
    supporters: int = 0
    undecided: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, code: Code | None, sign: int = 1) -> None:
        self.calls += sign
        if code and code.contact:
            self.contacts += sign
            if code.support is not None and code.support <= 2:
                self.supporters += sign
            elif code.support == 3:
                self.undecided += sign

    def line(self) -> str:
        return (f"Calls {self.calls} · Contacts {self.contacts} · Supporters {self.supporters} · "
                f"Undecided {self.undecided}")

    def summary(self) -> str:
        minutes = int((time.monotonic() - self.started) // 60)
        spent = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
        return (f"Session summary: {self.calls} calls, {self.contacts} contacts, {self.supporters} supporters, "
                f"{self.undecided} undecided, {spent} on the phone. Thank you!")


class Heartbeat:
    """A Prompter that reports every answer (every keystroke that ends a prompt) to ``beat``: while a
    volunteer is on a voter, each answer renews the hold on that voter."""

    def __init__(self, ui: Prompter, beat: Callable[[], None]):
        self.inner = ui
        self.style = ui.style
        self.beat = beat

    def show(self, text: str) -> None:
        self.inner.show(text)

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        answer = self.inner.choose(message, choices, default=default)
        self.beat()
        return answer

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str:
        answer = self.inner.text(message, default=default, validate=validate)
        self.beat()
        return answer

    def confirm(self, message: str, default: bool = True) -> bool:
        answer = self.inner.confirm(message, default=default)
        self.beat()
        return answer


def note_problem(text: str) -> str | None:
    """None when the note can be saved, else what is wrong (a prompt validator over ``results.check_note``)."""
    try:
        check_note(text)
    except DataError as exc:
        return str(exc)
    return None


class Session:
    """Runs the loop: offer a voter, walk the script, code the call, save it, repeat."""

    def __init__(self, script: Script, store: CallingStore, volunteer: Volunteer, prompter: Prompter,
                 language: str = "en", clock: Callable[[], dt.datetime] | None = None):
        self.script = script
        self.store = store
        self.volunteer = volunteer
        self.ui = Heartbeat(prompter, self._beat)
        self.language = language
        self.clock = clock or store.clock  # type: ignore[attr-defined]
        self.tz = ZoneInfo(script.campaign.time_zone)
        self.tally = Tally()
        self.skipped: set[str] = set()
        self.current: Offer | None = None
        self.saved_here: dict[str, Code | None] = {}  # row ids saved in this session -> code
        self._told_lost = False
        h = script.calling.hours
        self._start, self._end = hours.parse_hhmm(h.start), hours.parse_hhmm(h.end)

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
                self.current = offer
                self._told_lost = False
                if not self._work_voter(offer):
                    break
        finally:
            self._let_go()
        return self.tally

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
            self.ui.show(f"Your hold on {self.full_name(offer)} lapsed after {self.script.calling.claim_minutes} "
                         "minutes without a keystroke and another volunteer has them now. If you are on the call, "
                         "finish and save it: it is kept and marked.")

    def _open_for_dialing(self, offer: Offer) -> bool:
        """Calling hours, checked before every number is shown: the window must stay open a minute more."""
        return hours.open_for(offer.zones, self.clock(), self._start, self._end, 1)

    def _nothing_to_call(self) -> bool:
        """Tell the volunteer why no one is offered. True to look again, False to stop."""
        c = self.store.counts()
        lines = ["No voters to call right now."]
        if c.held_by_hours:
            when = f" until {self._fmt_time(c.reopens_at)}" if c.reopens_at else ""
            lines.append(f"{c.held_by_hours} voters are held back by calling hours{when} "
                         f"({self.script.calling.hours.start}–{self.script.calling.hours.end} in the voter's time).")
        if c.waiting:
            when = f"; the next is due {self._fmt_time(c.next_due)}" if c.next_due else ""
            lines.append(f"{c.waiting} voters are waiting for a retry or call-back{when}.")
        if c.callable_now:
            lines.append(f"{c.callable_now} voters are being called by other volunteers or were skipped.")
        if not (c.held_by_hours or c.waiting or c.callable_now):
            lines.append(f"The list is done: all {c.finished} voters are finished. Thank you!")
            self.ui.show("\n".join(lines))
            return False
        lines.append("The list is done for now.")
        self.ui.show("\n".join(lines))
        choices = [Choice("again", "Look again", "a"), Choice("quit", "Quit", "q")]
        if self.skipped:
            choices.insert(1, Choice("unskip", "Bring back the voters I skipped", "b"))
        pick_ = self.ui.choose("What next?", choices, default="quit")
        if pick_ == "unskip":
            self.skipped.clear()
        return pick_ != "quit"

    def _offline(self, exc: Offline) -> bool:
        """Say why no voter is offered while offline. True to try again, False to stop."""
        self.ui.show(str(exc))
        again = self.ui.choose("What next?", [Choice("again", "Try again", "a"), Choice("quit", "Quit", "q")],
                               default="again")
        return again == "again"

    def _work_voter(self, offer: Offer) -> bool:
        """Handle one voter until saved, skipped or quit. False when the volunteer quits."""
        phone_index = 0
        started = time.monotonic()
        language = self.language
        while True:
            if not offer.phones:
                self._let_go()
                return True
            if not self._open_for_dialing(offer):
                self.ui.show(self._hours_over(offer))
                self._let_go()
                return True
            phone_index = min(phone_index, len(offer.phones) - 1)
            phone = offer.phones[phone_index]
            self.ui.show(self.voter_screen(offer, phone_index, language))
            # the name and number again right above the menu: on screen even when a long script scrolls the top away
            action = self.ui.choose(f"Call the number above: {self.full_name(offer)}, {self._fmt_phone(phone)}. Then:",
                                    self._voter_actions(offer, language), default="script")
            if action == "quit":
                return False
            if action == "skip":
                self.skipped.add(offer.voter_id)
                self._let_go()
                return True
            if action == "undo":
                self._undo_last()
                offer = self.store.offer(offer.voter_id, offer.hold)
                self.current = offer
                continue
            if action == "language":
                language = self._other_language(language)
                continue
            if action == "next_number":
                phone_index = (phone_index + 1) % len(offer.phones)
                continue
            answers: dict[str, str] = {}
            callback_at = ""
            if action == "script":
                answers = self._walk_script(offer, language, {})
                code_id = self._choose_result(language)
            elif action == "callback":
                code_id = self._callback_code() or ""
                callback_at = self._ask_callback(offer)
            else:  # a non-contact code chosen from the voter menu
                code_id = self._choose_other(language) if action == "more" else action
            if code_id is None:
                continue
            note = self.ui.text(f"Note (optional, at most {NOTE_MAX:,} characters; Enter to skip):",
                                validate=note_problem)
            decision = self._confirm(offer, phone, code_id, answers, note, callback_at, language)
            while decision.startswith("change"):
                if decision == "change_result":
                    code_id = self._choose_result(language) or code_id
                elif decision == "change_answers":
                    answers = self._walk_script(offer, language, answers)
                elif decision == "change_note":
                    note = self.ui.text("Note (optional):", default=note, validate=note_problem)
                elif decision == "change_time":
                    callback_at = self._ask_callback(offer)
                decision = self._confirm(offer, phone, code_id, answers, note, callback_at, language)
            if decision == "discard":
                continue
            code = self.script.code(code_id)
            if code and code.effect == "callback" and not callback_at:
                callback_at = self._ask_callback(offer)
            self._save(offer, phone, code_id, answers, note, callback_at, language, started)
            if code and code.effect == "final_for_number":
                offer = self.store.offer(offer.voter_id, offer.hold)
                self.current = offer
                if offer.phones and self._open_for_dialing(offer) and self.ui.confirm(
                    f"Try {self.full_name(offer)}'s next number ({self._fmt_phone(offer.phones[0])})?", True
                ):
                    phone_index, started = 0, time.monotonic()
                    continue
            self._let_go()
            return True

    def _hours_over(self, offer: Offer) -> str:
        now = self.clock()
        local = ", ".join(f"{now.astimezone(ZoneInfo(z)):%H:%M} {now.astimezone(ZoneInfo(z)).tzname()}"
                          for z in hours.known_zones(offer.zones)) or "unknown time zone"
        return (f"Calling hours are over for {self.full_name(offer)} (voter's time: {local}; calls only "
                f"{self.script.calling.hours.start}–{self.script.calling.hours.end}). Don't dial: the voter goes "
                "back to the list.")

    # -- menus ------------------------------------------------------------------------------------
    def _voter_actions(self, offer: Offer, language: str) -> list[Choice]:
        actions = [Choice("script", "Talking to the voter: start the script", "s")]
        first = next((c for c in self.script.other_codes if c.effect == "retry"), None)
        if first:
            actions.append(Choice(first.id, pick(first.label, language), "n"))
        actions.append(Choice("more", "Add Information: other results (wrong number, refused, moved, ...)", "i"))
        if self._callback_code() is not None:
            actions.append(Choice("callback", "Call back later (set a time)", "c"))
        if len(offer.phones) > 1:
            actions.append(Choice("next_number", "Show the voter's next number", "t"))
        if len(self.script.campaign.languages) > 1:
            other = self._other_language(language)
            actions.append(Choice("language", f"Switch the script to {LANGUAGE_NAMES.get(other, other)}", "l"))
        actions += [
            Choice("skip", "Skip this voter (back to the pool for others)", "k"),
            Choice("undo", "Undo my last saved call", "u"),
            Choice("quit", "Quit", "q"),
        ]
        return actions

    def _other_language(self, language: str) -> str:
        langs = self.script.campaign.languages
        return langs[(langs.index(language) + 1) % len(langs)] if language in langs else langs[0]

    def _choose_result(self, language: str) -> str | None:
        keys = iter("123456789")
        choices = [Choice(c.id, pick(c.label, language), next(keys, None)) for c in self.script.contact_codes]
        choices += [Choice("more", "Add Information (non-contact results)...", "i"),
                    Choice("back", "Back to the voter", "b")]
        picked = self.ui.choose("Result of the call:", choices, default=choices[0].value)
        if picked == "more":
            return self._choose_other(language)
        return None if picked == "back" else picked

    def _choose_other(self, language: str) -> str | None:
        letters = iter("abcdefghjkmnoprstvwxyz")
        choices = [Choice(c.id, pick(c.label, language), next(letters, None)) for c in self.script.other_codes]
        choices.append(Choice("back", "Back", "0"))
        picked = self.ui.choose("Add Information:", choices)
        return None if picked == "back" else picked

    def _callback_code(self) -> str | None:
        """The script's call-back code; None hides "Call back later" (`phonebank check` says so)."""
        code = next((c for c in self.script.codes if c.effect == "callback"), None)
        return code.id if code else None

    def _walk_script(self, offer: Offer, language: str, previous: dict[str, str]) -> dict[str, str]:
        """Show the sections in order, asking each section's question and following its branches."""
        values = self._values(offer, language)
        answers: dict[str, str] = {}
        section = self.script.sections[0] if self.script.sections else None
        seen: set[str] = set()
        while section is not None and section.id not in seen:
            seen.add(section.id)
            title = pick(section.title, language)
            heading = f"— {title} —\n" if title else ""
            self.ui.show(heading + render(pick(section.text, language), values, self.ui.style))
            answer = None
            question = self.script.question(section.ask) if section.ask else None
            if question is not None:  # scripts.yaml validation guarantees every `ask` names a question
                choices = [Choice(a.id, pick(a.label, language), str(i))
                           for i, a in enumerate(question.answers, 1)]
                choices.append(Choice("", "(no answer / skip this question)", "0"))
                answer = self.ui.choose(pick(question.text, language), choices,
                                        default=previous.get(question.id) or choices[0].value)
                if answer:
                    answers[question.id] = answer
            section = self.script.next_section(section, answer or None)
        return answers

    def _confirm(self, offer: Offer, phone: str, code_id: str, answers: dict[str, str], note: str,
                 callback_at: str, language: str) -> str:
        code = self.script.code(code_id)
        lines = ["This will be saved:",
                 f"  Voter:   {self.full_name(offer)} ({offer.voter_id})",
                 f"  Phone:   {self._fmt_phone(phone)}",
                 f"  Result:  {pick(code.label, language) if code else code_id}"]
        if callback_at:
            lines.append(f"  Call back: {self._fmt_time(parse_time(callback_at))}")
        for qid, aid in answers.items():
            q = self.script.question(qid)
            a = q.answer(aid) if q else None
            lines.append(f"  {pick(q.text, language) if q else qid} {pick(a.label, language) if a else aid}")
        lines.append(f"  Note:    {note or '(none)'}")
        self.ui.show("\n".join(lines))
        choices = [Choice("save", "Save Response", "s"), Choice("change_result", "Change the result", "r")]
        if code and code.contact or answers:
            choices.append(Choice("change_answers", "Change the survey answers", "a"))
        if callback_at:
            choices.append(Choice("change_time", "Change the call-back time", "t"))
        choices += [Choice("change_note", "Change the note", "n"),
                    Choice("discard", "Discard (save nothing, back to the voter)", "d")]
        return self.ui.choose("Save?", choices, default="save")

    # -- saving -----------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return self.clock().astimezone(self.tz)

    def _save(self, offer: Offer, phone: str, code_id: str, answers: dict[str, str], note: str,
              callback_at: str, language: str, started: float) -> None:
        row = ResultRow(
            recorded_at=self._now().isoformat(timespec="seconds"), volunteer=self.volunteer.email,
            list=self.store.list_name, voter_id=offer.voter_id, phone=phone, code=code_id, answers=answers,
            note=note, language=language, seconds=int(time.monotonic() - started), callback_at=callback_at,
        )
        saved = self.store.save(row, offer.hold)
        code = self.script.code(code_id)
        self.saved_here[saved.row.row_id] = code
        self.tally.add(code)
        self.ui.show(f"Saved: {pick(code.label, language) if code else code_id} for {self.full_name(offer)}. "
                     f"{self.tally.line()}")
        if saved.overlaps or saved.hold_lost:
            self.ui.show(self._overlap_line(saved))

    @staticmethod
    def _overlap_line(saved: Saved) -> str:
        if saved.overlaps:
            return ("Another volunteer also called this voter while your hold had lapsed: both calls are saved, "
                    "yours is marked so reports count the voter once.")
        return "Your hold on this voter had lapsed and another volunteer has them now: your call is saved."

    def _undo_last(self) -> None:
        try:
            last = self.store.last_saved(self.volunteer.email)
            name = self.store.voter_name(last.voter_id) if last is not None else ""
        except Offline:
            self.ui.show("Undo needs the campaign database, which cannot be reached now — undo when the "
                         "connection is back.")
            return
        if last is None:
            self.ui.show("Nothing to undo: you have no saved calls in this list.")
            return
        code = self.script.code(last.code)
        label = pick(code.label, self.language) if code else last.code
        when = self._fmt_time(parse_time(last.recorded_at))
        who = f"{name} ({self._fmt_phone(last.phone)})"
        if not self.ui.confirm(f"Undo '{label}' for {who}, saved {when}?", False):
            return
        row = ResultRow(recorded_at=self._now().isoformat(timespec="seconds"), volunteer=self.volunteer.email,
                        list=self.store.list_name, voter_id=last.voter_id, phone=last.phone, code=UNDO,
                        undoes=last.row_id, language=self.language)
        saved = self.store.save(row)
        lines = [f"Undone: '{label}' for {who}. The voter is back in the list."]
        if saved.dnc_taken_back:
            lines.append(f"{self._fmt_phone(last.phone)} is off the do-not-call list again.")
        if last.row_id in self.saved_here:
            self.tally.add(self.saved_here.pop(last.row_id), -1)
            lines.append(self.tally.line())
        else:
            lines.append("That call was saved in an earlier session: this session's tally is unchanged.")
        self.ui.show(" ".join(lines))

    # -- call-back times ----------------------------------------------------------------------------
    def _voter_tz(self, offer: Offer) -> ZoneInfo:
        zones = hours.known_zones(hours.zones_for(offer.voter.get("zip", ""), offer.voter.get("state", ""), []))
        return ZoneInfo(zones[0]) if len(zones) == 1 else self.tz

    def _ask_callback(self, offer: Offer) -> str:
        tz = self._voter_tz(offer)
        now = self.clock().astimezone(tz)
        result: dict[str, dt.datetime] = {}

        def check(text: str) -> str | None:
            try:
                result["at"] = parse_callback(text, now)
            except ValueError as exc:
                return str(exc)
            return None

        self.ui.text(f"Call back when? Voter's time now: {now:%a %H:%M} {now.tzname()}. "
                     "Type e.g. 18:30, 6pm, tomorrow 10:00 or 2017-03-21 17:00:", validate=check)
        return result["at"].isoformat(timespec="minutes")

    # -- the screen -------------------------------------------------------------------------------
    def full_name(self, offer: Offer) -> str:
        v = offer.voter
        return " ".join(p for p in (v.get("first_name", ""), v.get("last_name", "")) if p) or offer.voter_id

    @staticmethod
    def _fmt_phone(phone: str) -> str:
        digits = re.sub(r"\D", "", phone)
        if len(digits) == 11 and digits[0] == "1":
            return f"({digits[1:4]}) {digits[4:7]}-{digits[7:]}"
        return phone

    def _fmt_time(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return "?"
        local = moment.astimezone(self.tz)
        today = self._now().date()
        day = "today" if local.date() == today else ("tomorrow" if local.date() == today + dt.timedelta(days=1)
                                                      else f"{local:%a %b} {local.day}")
        return f"{day} {local:%H:%M} {local.tzname()}"

    def _fmt_day(self, moment: dt.datetime | None) -> str:
        """Short, for one line of earlier attempts: "today 17:05", "Sat 18:00", "Mar 2"."""
        if moment is None:
            return "?"
        local = moment.astimezone(self.tz)
        days = (self._now().date() - local.date()).days
        if days == 0:
            return f"today {local:%H:%M}"
        return f"{local:%a %H:%M}" if days < 7 else f"{local:%b} {local.day}"

    def _values(self, offer: Offer, language: str) -> dict[str, str]:
        voter = {k: offer.voter.get(k, "") for k in ("first_name", "last_name", "city", "zip", "state",
                                                      "language", "age", "party")}
        return variables(self.script, language, self._now().date(), voter, self.volunteer.as_vars())

    def voter_screen(self, offer: Offer, phone_index: int, language: str) -> str:
        v = offer.voter
        now = self.clock()
        phone = offer.phones[phone_index]
        count = f"  (number {phone_index + 1} of {len(offer.phones)})" if len(offer.phones) > 1 else ""
        # compact: with the menu below it, the whole screen fits an 80x24 terminal, name and number on top
        # (the tally is shown with every "Saved:" line)
        out = [f"{self.full_name(offer)}    {self._fmt_phone(phone)}{count}"]
        facts = []
        spoken = v.get("language", "")
        for key, label in (("city", "City"), ("age", "Age"), ("language", "Language")):
            if v.get(key):
                facts.append(f"{label}: {v[key]}")
        if spoken in self.script.campaign.languages and spoken != language:
            facts[-1] += f" (press l for {LANGUAGE_NAMES.get(spoken, spoken)})"
        known = hours.known_zones(offer.zones)
        if known:
            local = ", ".join(f"{now.astimezone(ZoneInfo(z)):%H:%M} {now.astimezone(ZoneInfo(z)).tzname()}"
                              for z in known)
            unknown = " (and an unknown time zone)" if len(known) < len(offer.zones) else ""
            facts.append(f"Local time: {local}{unknown}")
        else:
            facts.append("Local time: unknown time zone")
        out.append("   ".join(facts))
        if offer.history:
            line = f"Earlier attempts ({len(offer.history)}), latest first:"
            for n, row in enumerate(reversed(offer.history)):  # as many as one 80-column line holds
                code = self.script.code(row.code)
                label = pick(code.label, language) if code else row.code
                entry = f"{' ·' if n else ''} {self._fmt_day(parse_time(row.recorded_at))} {label}"
                if n and len(line) + len(entry) > 80:
                    break
                line += entry
            out.append(line)
        values = self._values(offer, language)
        reminders = [e for e in self.script.elections if e.reminder]
        if reminders:
            today = self._now().date()
            for e in reminders:
                days = (e.date - today).days
                if days < 0 and e.ours:
                    tag = "this election has passed"
                else:
                    tag = values[f"election.{e.id}.countdown"]
                separate = "" if e.ours else " — a separate election"
                head = f"{pick(e.name, language)}{separate}: {values[f'election.{e.id}.weekday']}, {values[f'election.{e.id}.date']} ({tag})"
                out.append("* " + head)
                out.append("  " + render(pick(e.reminder, language), values, self.ui.style))
        return "\n".join(out)


_CLOCK_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


def parse_callback(text: str, now: dt.datetime) -> dt.datetime:
    """Parse a call-back time typed by the volunteer, in ``now``'s time zone. Must be in the future."""
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise ValueError("type a time, e.g. 18:30 or tomorrow 10:00")
    day = now.date()
    explicit_day = False
    if raw.startswith("tomorrow"):
        day, raw, explicit_day = day + dt.timedelta(days=1), raw[len("tomorrow"):].strip(), True
    elif re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            raise ValueError(f"'{text.strip()}' is not a date — use YYYY-MM-DD HH:MM") from None
        raw, explicit_day = raw[10:].strip(), True
    m = _CLOCK_RE.match(raw.replace(".", ""))
    if not m:
        raise ValueError(f"'{text.strip()}' is not a time — type e.g. 18:30, 6pm or tomorrow 10:00")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(f"'{text.strip()}' is not a time of day — type e.g. 18:30")
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=now.tzinfo)
    if moment <= now:
        if explicit_day:
            raise ValueError("that time has already passed — give a time in the future")
        moment += dt.timedelta(days=1)
    if moment - now > dt.timedelta(days=60):
        raise ValueError("that is more than 60 days away — give a nearer time")
    return moment
