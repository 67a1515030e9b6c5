"""Fill in script text: variables, election dates and countdowns, and **bold** / _emphasis_ markup.

Pure functions with no terminal dependency: ``style`` picks how markup is shown —
``"ansi"`` (bold and italics on a terminal), ``"plain"`` (markers removed; lines with a key question are
flagged with ">> " for screen readers), or ``"markdown"`` (markers kept).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from .script import VAR_RE, Election, Localized, Script

WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
}
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
EMPH = re.compile(r"(?<![\w*])_(.+?)_(?![\w*])", re.S)


def pick(loc: Localized | None, language: str) -> str:
    """The text in ``language``, falling back to English, then to any language."""
    if not loc:
        return ""
    return loc.get(language) or loc.get("en") or next(iter(loc.values()))


def format_date(day: dt.date, language: str) -> str:
    if language == "es":
        return f"{day.day} de {MONTHS['es'][day.month - 1]} de {day.year}"
    return f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}"


def weekday(day: dt.date, language: str) -> str:
    return WEEKDAYS.get(language, WEEKDAYS["en"])[day.weekday()]


def countdown(day: dt.date, today: dt.date, language: str) -> str:
    """'in 12 days', 'tomorrow', 'today' or 'this election has passed' — never a negative count."""
    days = (day - today).days
    es = language == "es"
    if days < 0:
        return "esta elección ya pasó" if es else "this election has passed"
    if days == 0:
        return "es hoy" if es else "today"
    if days == 1:
        return "es mañana" if es else "tomorrow"
    return f"faltan {days} días" if es else f"in {days} days"


def variables(
    script: Script,
    language: str,
    today: dt.date,
    voter: Mapping[str, str] | None = None,
    volunteer: Mapping[str, str] | None = None,
) -> dict[str, str]:
    c = script.campaign
    values = {
        "candidate": c.candidate,
        "campaign_name": c.name,
        "district": c.district,
        "website": c.website,
        "contact_email": c.contact_email,
        "volunteer_signup": c.volunteer_signup,
    }
    for e in script.elections:
        values.update(election_variables(e, language, today))
    for key, value in (voter or {}).items():
        values[f"voter.{key}"] = str(value or "")
    for key, value in (volunteer or {}).items():
        values[f"volunteer.{key}"] = str(value or "")
    return values


def election_variables(e: Election, language: str, today: dt.date) -> dict[str, str]:
    p = f"election.{e.id}."
    return {
        p + "name": pick(e.name, language),
        p + "date": format_date(e.date, language),
        p + "weekday": weekday(e.date, language),
        p + "countdown": countdown(e.date, today, language),
    }


def fill(text: str, values: Mapping[str, str], missing: str = "[{}]") -> str:
    """Replace ``{name}`` with its value; an empty voter field shows as ``[name]`` so it is noticed."""

    def sub(m: re.Match) -> str:
        key = m.group(1)
        value = values.get(key)
        if value:
            return value
        return missing.format(key.split(".")[-1].replace("_", " "))

    return VAR_RE.sub(sub, text)


def style_markup(text: str, style: str = "ansi") -> str:
    if style == "markdown":
        return text
    if style == "ansi":
        text = BOLD.sub(lambda m: f"\x1b[1m{m.group(1)}\x1b[22m", text)
        return EMPH.sub(lambda m: f"\x1b[3m{m.group(1)}\x1b[23m", text)
    out = []
    for line in text.split("\n"):
        flagged = BOLD.search(line) is not None
        line = EMPH.sub(r"\1", BOLD.sub(r"\1", line))
        out.append((">> " + line) if flagged else line)
    return "\n".join(out)


def render(text: str, values: Mapping[str, str], style: str = "ansi") -> str:
    return style_markup(fill(text, values), style)
