"""Print the whole call script as a volunteer will see it, every branch included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from . import clock
from .render import pick, render, variables
from .script import Script

SAMPLE_VOTER = {"first_name": "María", "last_name": "García", "city": "Los Angeles", "zip": "90033"}
SAMPLE_VOLUNTEER = {"first_name": "Alex", "last_name": "Rivera"}
LABELS = {
    "en": {"elections": "Election reminders", "ask": "Ask", "if": "If", "then": "go to", "end": "end of script",
           "next": "Next", "codes": "Response codes", "contact": "Contact results",
           "other": "Add Information (non-contact results)", "ours": "", "separate": " (separate election)",
           "default": "Any other answer, or none (default)", "no_default": "Any other answer, or none (no default!)"},
    "es": {"elections": "Recordatorios de elecciones", "ask": "Pregunte", "if": "Si", "then": "vaya a",
           "end": "fin del guion", "next": "Sigue", "codes": "Códigos de respuesta", "contact": "Resultados de contacto",
           "other": "Agregar información (sin contacto)", "ours": "", "separate": " (elección aparte)",
           "default": "Cualquier otra respuesta, o ninguna (predeterminado)",
           "no_default": "Cualquier otra respuesta, o ninguna (¡sin predeterminado!)"},
}


def preview(script: Script, language: str = "en", today: dt.date | None = None, style: str = "plain") -> str:
    today = today or clock.today(ZoneInfo(script.campaign.time_zone))
    lab = LABELS.get(language, LABELS["en"])
    values = variables(script, language, today, SAMPLE_VOTER, SAMPLE_VOLUNTEER)
    out: list[str] = [f"{script.campaign.name} — {script.campaign.district}", ""]
    if script.elections:
        out.append(f"== {lab['elections']} ==")
        for e in script.elections:
            extra = "" if e.ours else lab["separate"]
            out.append(f"* {pick(e.name, language)}{extra}: {values[f'election.{e.id}.weekday']}, "
                       f"{values[f'election.{e.id}.date']} ({values[f'election.{e.id}.countdown']})")
            if e.reminder:
                out.append("  " + render(pick(e.reminder, language), values, style).replace("\n", "\n  "))
        out.append("")
    for n, sec in enumerate(script.sections, 1):
        title = pick(sec.title, language) or sec.id
        out.append(f"== {n}. {title} [{sec.id}] ==")
        out.append(render(pick(sec.text, language), values, style))
        q = script.question(sec.ask) if sec.ask else None  # scripts.yaml checks make every `ask` a question
        if q is not None:
            answers = " / ".join(pick(a.label, language) for a in q.answers)
            out.append(f"   {lab['ask']}: {pick(q.text, language)} ({answers})")
        if sec.branches and q is not None:
            for a in q.answers:
                target = script.next_section(sec, a.id)
                where = f"{target.id}" if target else lab["end"]
                out.append(f"   {lab['if']} {pick(a.label, language)} → {lab['then']} {where}")
            target = script.next_section(sec, None)
            where = f"{target.id}" if target else lab["end"]
            out.append(f"   {lab['default' if sec.default else 'no_default']} → {lab['then']} {where}")
        else:
            target = script.next_section(sec)
            out.append(f"   {lab['next']}: {target.id if target else lab['end']}")
        out.append("")
    out.append(f"== {lab['codes']} ==")
    out.append(f"{lab['contact']}:")
    for c in script.contact_codes:
        out.append(f"  - {pick(c.label, language)} [{c.id}] support {c.support}, {c.effect}")
    out.append(f"{lab['other']}:")
    for c in script.other_codes:
        out.append(f"  - {pick(c.label, language)} [{c.id}] {describe_effect(script, c)}")
    return "\n".join(out).rstrip() + "\n"


def describe_effect(script: Script, code) -> str:
    if code.effect == "retry":
        text = f"retry after {script.retry_after_hours(code):g} h, up to {script.max_attempts(code)} attempts"
        if code.route_language:
            text += f", to a volunteer calling in '{code.route_language}'"
        return text
    return {
        "final": "final for the voter",
        "final_for_number": "final for this number (try the voter's next number)",
        "callback": "call back at the time the volunteer gives",
        "do_not_call": "do not call this number again, in any list",
    }[code.effect]
