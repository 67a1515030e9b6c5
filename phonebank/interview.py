"""One call, from the voter menu's choice to what will be saved: the script with its questions and
branches, the result, the note, a call-back time, and the summary to save, change or discard.

Every question offers a way back to the voter menu (nothing is saved then).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import DataError
from .messages import language_name, say
from .outcomes import parse_time
from .prompts import Choice
from .render import pick, render
from .results import NOTE_MAX, check_note
from .screen import fmt_phone, full_name
from .store.port import Offer

if TYPE_CHECKING:
    from .loop import Session

BACK = "back"  # the value of every "back" entry
Coded = tuple[str, dict[str, str], str, str]  # code id, survey answers, note, call-back time


def note_problem(text: str, language: str = "en") -> str | None:
    """None when the note can be saved, else what is wrong (a prompt validator over ``results.check_note``)."""
    try:
        check_note(text)
    except DataError:
        return say(language, "note.too_long", n=f"{len(text):,}", max=f"{NOTE_MAX:,}")
    return None


class Interview:
    """The questions of one call, asked through the session's prompter."""

    def __init__(self, session: Session):
        self.s = session
        self.script = session.script

    @property
    def ui(self):
        return self.s.ui

    def say(self, key: str, /, **values: object) -> str:
        return self.s.say(key, **values)

    def code_call(self, offer: Offer, phone: str, action: str, language: str) -> Coded | None:
        """What to save for the voter menu's ``action``; None: back to the voter menu."""
        answers: dict[str, str] = {}
        callback_at = ""
        if action == "script":
            walked = self.walk_script(offer, language, {})
            if walked is None:
                return None
            answers = walked
            code_id = self.choose_result(language)
        elif action == "callback":
            code_id = self.callback_code()
            if code_id is None:
                return None
            callback_at = self.s.ask_callback(offer)
        elif action == "more":
            code_id = self.choose_other(language)
        else:  # a non-contact code chosen from the voter menu
            code_id = action
        if code_id is None:
            return None
        note = self.ui.text(self.say("note.ask", max=f"{NOTE_MAX:,}"), validate=self._note_check)
        while True:
            decision = self.confirm(offer, phone, code_id, answers, note, callback_at, language)
            if decision == "save":
                break
            if decision == "discard":
                return None
            if decision == "change_result":
                code_id = self.choose_result(language) or code_id
            elif decision == "change_answers":
                answers = self.walk_script(offer, language, answers) or answers
            elif decision == "change_note":
                note = self.ui.text(self.say("note.change"), default=note, validate=self._note_check)
            elif decision == "change_time":
                callback_at = self.s.ask_callback(offer)
        code = self.script.code(code_id)
        if code and code.effect == "callback" and not callback_at:
            callback_at = self.s.ask_callback(offer)
        return code_id, answers, note, callback_at

    def _note_check(self, text: str) -> str | None:
        return note_problem(text, self.ui.language)

    # -- menus ------------------------------------------------------------------------------------
    def choose_result(self, language: str) -> str | None:
        keys = iter("123456789")
        choices = [Choice(c.id, pick(c.label, language), next(keys, None)) for c in self.script.contact_codes]
        choices += [Choice("more", self.say("result.more"), "i"), Choice(BACK, self.say("result.back"), "b")]
        picked = self.ui.choose(self.say("result.ask"), choices, default=choices[0].value)
        if picked == "more":
            return self.choose_other(language)
        return None if picked == BACK else picked

    def choose_other(self, language: str) -> str | None:
        letters = iter("abcdefghjkmnoprstvwxyz")
        choices = [Choice(c.id, pick(c.label, language), next(letters, None)) for c in self.script.other_codes]
        choices.append(Choice(BACK, self.say("other.back"), "0"))
        picked = self.ui.choose(self.say("other.ask"), choices)
        return None if picked == BACK else picked

    def callback_code(self) -> str | None:
        """The script's call-back code; None hides "Call back later" (`phonebank check` says so)."""
        code = next((c for c in self.script.codes if c.effect == "callback"), None)
        return code.id if code else None

    # -- the script -------------------------------------------------------------------------------
    def walk_script(self, offer: Offer, language: str, previous: dict[str, str]) -> dict[str, str] | None:
        """Show the sections in order, asking each section's question and following its branches (an
        answer a section does not list, or none, takes its ``default`` branch). None: back to the voter."""
        values = self.s.values(offer, language)
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
                choices.append(Choice("", self.say("script.no_answer"), "0"))
                choices.append(Choice(BACK, self.say("script.back"), "b"))
                answer = self.ui.choose(pick(question.text, language), choices,
                                        default=previous.get(question.id) or choices[0].value)
                if answer == BACK:
                    return None
                if answer:
                    answers[question.id] = answer
            section = self.script.next_section(section, answer or None)
        return answers

    # -- the summary ------------------------------------------------------------------------------
    def confirm(self, offer: Offer, phone: str, code_id: str, answers: dict[str, str], note: str,
                callback_at: str, language: str) -> str:
        code = self.script.code(code_id)
        lines = [self.say("confirm.title"),
                 self.say("confirm.voter", name=full_name(offer), id=offer.voter_id),
                 self.say("confirm.phone", phone=fmt_phone(phone)),
                 self.say("confirm.result", result=pick(code.label, language) if code else code_id)]
        if callback_at:
            lines.append(self.say("confirm.callback", when=self.s.fmt_time(parse_time(callback_at))))
        for qid, aid in answers.items():
            q = self.script.question(qid)
            a = q.answer(aid) if q else None
            lines.append(f"  {pick(q.text, language) if q else qid} {pick(a.label, language) if a else aid}")
        lines.append(self.say("confirm.language", language=language_name(language, self.ui.language)))
        lines.append(self.say("confirm.note", note=note or self.say("confirm.none")))
        self.ui.show("\n".join(lines))
        choices = [Choice("save", self.say("confirm.save"), "s"),
                   Choice("change_result", self.say("confirm.change_result"), "r")]
        if code and code.contact or answers:
            choices.append(Choice("change_answers", self.say("confirm.change_answers"), "a"))
        if callback_at:
            choices.append(Choice("change_time", self.say("confirm.change_time"), "t"))
        choices += [Choice("change_note", self.say("confirm.change_note"), "n"),
                    Choice("discard", self.say("confirm.discard"), "d")]
        return self.ui.choose(self.say("confirm.ask"), choices, default="save")
