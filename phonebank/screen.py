"""The voter screen: what a volunteer reads about the voter being called, laid out for the terminal.

Pure text: the calling loop hands in the voter, the time and the terminal's size, and gets back lines
that fit. Words are wrapped at word boundaries (escape codes and wide characters measured as a terminal
shows them). When the screen is short, less important blocks give way first — the full reminder texts
to a one-line countdown, then the earlier attempts, the tally, the facts — so the voter's name and the
number to dial always stay visible together with the menu below them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import hours
from .messages import count, language_name, say
from .render import format_date, pick, render, weekday
from .script import Script
from .store.port import Offer
from .wrap import width_of, wrap_text

RULE = "─"


# -- names, numbers and times ---------------------------------------------------------------------
def full_name(offer: Offer) -> str:
    v = offer.voter
    return " ".join(p for p in (v.get("first_name", ""), v.get("last_name", "")) if p) or offer.voter_id


def fmt_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] == "1":
        return f"({digits[1:4]}) {digits[4:7]}-{digits[7:]}"
    return phone


def fmt_time(moment: dt.datetime | None, now: dt.datetime, tz: ZoneInfo, language: str) -> str:
    """"today 18:00 PDT", "tomorrow 10:30 PDT", "Sat Mar 25 17:00 PDT" (in ``tz``)."""
    if moment is None:
        return "?"
    local = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    if local.date() == today:
        day = say(language, "time.today")
    elif local.date() == today + dt.timedelta(days=1):
        day = say(language, "time.tomorrow")
    else:
        day = f"{local:%Y-%m-%d}" if language == "es" else f"{local:%a %b} {local.day}"
    return f"{day} {local:%H:%M} {local.tzname()}"


def fmt_moment(moment: dt.datetime, tz: str, language: str) -> str:
    """"Saturday, March 25, 2017, 18:05 PDT" / "sábado, 25 de marzo de 2017, 18:05 PDT"."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{weekday(local.date(), language)}, {format_date(local.date(), language)}, {local:%H:%M} {local.tzname()}"


def fmt_day(moment: dt.datetime | None, now: dt.datetime, tz: ZoneInfo, language: str) -> str:
    """Short, for one line of earlier attempts: "today 17:05", "Sat 18:00", "Mar 2"."""
    if moment is None:
        return "?"
    local = moment.astimezone(tz)
    days = (now.astimezone(tz).date() - local.date()).days
    if days == 0:
        return f"{say(language, 'time.today')} {local:%H:%M}"
    if language == "es":
        return f"{local:%d/%m %H:%M}" if days < 7 else f"{local:%d/%m}"
    return f"{local:%a %H:%M}" if days < 7 else f"{local:%b} {local.day}"


def local_times(zones: list[str] | tuple[str, ...], now: dt.datetime) -> str:
    return ", ".join(f"{now.astimezone(ZoneInfo(z)):%H:%M} {now.astimezone(ZoneInfo(z)).tzname()}"
                     for z in hours.known_zones(zones))


# -- the voter screen -----------------------------------------------------------------------------
@dataclass
class Block:
    """Lines shown together; ``short`` replaces ``lines`` when the screen is short (None: dropped)."""

    lines: list[str]
    short: list[str] | None = None
    rank: int = 0  # drop order when even the short forms do not fit: lowest first; 0 is never dropped


@dataclass
class VoterView:
    """What the screen shows about one voter (the loop fills it in)."""

    offer: Offer
    phone_index: int
    language: str
    now: dt.datetime
    today: dt.date
    tz: ZoneInfo
    values: Mapping[str, str]
    header: str = ""  # who is calling, which list, the tally
    notices: list[str] = field(default_factory=list)  # what just happened (Saved: ..., Undone: ...)
    rehearsal: str = ""
    full_reminders: bool = True
    columns: int = 80  # the earlier attempts take one line of this width


def reminder_blocks(script: Script, view: VoterView, style: str) -> Block | None:
    """The elections with a reminder: full text, or one line of countdowns."""
    lang, values = view.language, view.values
    elections = [e for e in script.elections if e.reminder]
    if not elections:
        return None
    full: list[str] = []
    tags: list[str] = []
    for e in elections:
        countdown = values[f"election.{e.id}.countdown"]
        separate = "" if e.ours else say(lang, "screen.separate")
        full.append(f"* {pick(e.name, lang)}{separate}: {values[f'election.{e.id}.weekday']}, "
                    f"{values[f'election.{e.id}.date']} ({countdown})")
        full.append("  " + render(pick(e.reminder, lang), values, style).replace("\n", "\n  "))
        tags.append(f"{pick(e.name, lang)}{'' if e.ours else say(lang, 'screen.separate_short')}: {countdown}")
    short = [f"{say(lang, 'screen.reminders_short')} {' · '.join(tags)} {say(lang, 'screen.reminders_hint')}"]
    return Block(full, short, rank=1) if view.full_reminders else Block(short, None, rank=1)


def voter_blocks(script: Script, view: VoterView, style: str) -> list[Block]:
    offer, lang = view.offer, view.language
    v = offer.voter
    blocks: list[Block] = []
    if view.notices:
        blocks.append(Block(list(view.notices), view.notices[-1:], rank=3))
    if view.rehearsal:
        blocks.append(Block([view.rehearsal], rank=6))
    if view.header:
        blocks.append(Block([view.header], rank=4))
    phone = offer.phones[view.phone_index]
    number = f"  {say(lang, 'screen.number_of', i=view.phone_index + 1, n=len(offer.phones))}" \
        if len(offer.phones) > 1 else ""
    blocks.append(Block([f"{full_name(offer)}    {fmt_phone(phone)}{number}"]))
    facts = []
    for key, label in (("city", "screen.city"), ("age", "screen.age"), ("language", "screen.language")):
        if v.get(key):
            facts.append(f"{say(lang, label)}: {v[key]}")
    spoken = v.get("language", "")
    if spoken in script.campaign.languages and spoken != lang and facts:
        facts[-1] += f" {say(lang, 'screen.press_l', language=language_name(spoken, lang))}"
    local = local_times(offer.zones, view.now)
    if local:
        unknown = f" {say(lang, 'screen.and_unknown')}" if len(hours.known_zones(offer.zones)) < len(offer.zones) \
            else ""
        facts.append(f"{say(lang, 'screen.local_time')}: {local}{unknown}")
    else:
        facts.append(f"{say(lang, 'screen.local_time')}: {say(lang, 'screen.unknown_zone')}")
    blocks.append(Block(["   ".join(facts)], rank=5))
    if offer.history:
        from .outcomes import parse_time

        entries = []
        for row in reversed(offer.history):
            code = script.code(row.code)
            label = pick(code.label, lang) if code else row.code
            entries.append(f"{fmt_day(parse_time(row.recorded_at), view.now, view.tz, lang)} {label}")
        line = f"{say(lang, 'screen.earlier', n=len(offer.history))} {' · '.join(entries[:1])}"
        for entry in entries[1:]:  # as many as one line holds
            if width_of(line) + width_of(entry) + 3 > view.columns:
                break
            line += " · " + entry
        blocks.append(Block([line], rank=2))
    reminders = reminder_blocks(script, view, style)
    if reminders is not None:
        blocks.append(reminders)
    return blocks


def lay_out(blocks: list[Block], columns: int | None, room: int | None) -> list[str]:
    """The blocks' lines wrapped to ``columns``, shortened (then dropped, least important first) until they
    fit in ``room`` lines: first the short forms (reminders to one line, notices to the last one), then
    whole blocks by rank — reminders, earlier attempts, notices, tally, facts, the rehearsal line."""

    def lines_of(block_lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in block_lines:
            out += wrap_text(line, columns) if columns else line.split("\n")
        return out

    state = [list(b.lines) for b in blocks]

    def total() -> int:
        return sum(len(lines_of(s)) for s in state)

    if room is None:
        return [line for s in state for line in lines_of(s)]
    # 1. shorten what has a short form, last block first (the reminders)
    for i in reversed(range(len(blocks))):
        if total() <= room:
            break
        short = blocks[i].short
        if short is not None and state[i] != short:
            state[i] = list(short)
    # 2. drop whole blocks, least important first
    order = sorted((i for i, b in enumerate(blocks) if b.rank), key=lambda i: blocks[i].rank)
    for i in order:
        if total() <= room:
            break
        state[i] = []
    return [line for s in state for line in lines_of(s)]


def voter_screen(script: Script, view: VoterView, style: str, size: tuple[int, int] | None,
                 menu_lines: int) -> str:
    """The voter block for a terminal of ``size`` (None: a transcript, nothing left out), leaving
    ``menu_lines`` rows for the menu below it."""
    blocks = voter_blocks(script, view, style)
    if size is None:
        return "\n".join(lay_out(blocks, None, None))
    columns, rows = size
    return "\n".join(lay_out(blocks, columns, max(rows - menu_lines, 1)))


def session_header(name: str, list_name: str, tally_line: str, language: str) -> str:
    return f"{say(language, 'screen.header', name=name, list=list_name)} · {tally_line}"


def summary_counts(language: str, calls: int, contacts: int, supporters: int, undecided: int) -> dict[str, str]:
    return {"calls": count(language, calls, "n.calls"), "contacts": count(language, contacts, "n.contacts"),
            "supporters": count(language, supporters, "n.supporters"),
            "undecided": count(language, undecided, "n.undecided")}
