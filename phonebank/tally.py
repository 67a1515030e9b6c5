"""A calling session's tally: calls, contacts, supporters and undecided voters, and the summary at the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .messages import language_name, say
from .screen import summary_counts
from .script import Code


@dataclass
class Tally:
    """This session's calls: never below zero (an undo takes back only a call counted here)."""

    started: float = field(default_factory=time.monotonic)
    calls: int = 0
    contacts: int = 0
    supporters: int = 0
    undecided: int = 0

    def add(self, code: Code | None, sign: int = 1) -> None:
        self.calls = max(0, self.calls + sign)
        if code and code.contact:
            self.contacts = max(0, self.contacts + sign)
            if code.support is not None and code.support <= 2:
                self.supporters = max(0, self.supporters + sign)
            elif code.support == 3:
                self.undecided = max(0, self.undecided + sign)

    def line(self, language: str = "en") -> str:
        return say(language, "tally.line", calls=self.calls, contacts=self.contacts, supporters=self.supporters,
                   undecided=self.undecided)

    def summary(self, language: str = "en", script_languages: list[str] | None = None) -> str:
        minutes = int((time.monotonic() - self.started) // 60)
        spent = say(language, "time.hours", h=minutes // 60, m=minutes % 60) if minutes >= 60 \
            else say(language, "time.minutes", m=minutes)
        used = " + ".join(language_name(code, language) for code in (script_languages or [language]))
        return say(language, "tally.summary", spent=spent, language=used,
                   **summary_counts(language, self.calls, self.contacts, self.supporters, self.undecided))
