"""The two ways a volunteer answers: questionary menus, or plain numbered menus and line prompts.

Both turn Ctrl-C and Ctrl-D into ``Aborted`` so the session can clean up and say what was kept.
questionary (and prompt_toolkit) are imported only when the interactive prompter is built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO

from .errors import Aborted
from .session import Choice

ANSI_CLEAR = "\x1b[2J\x1b[H"


class PlainPrompter:
    """Numbered menus and line prompts: no arrow keys, no screen control. Screen-reader friendly
    and scriptable (answers may be piped in, one per line)."""

    style = "plain"

    def __init__(self, stdin: IO[str] | None = None, stdout: IO[str] | None = None, max_tries: int = 5):
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.max_tries = max_tries

    def show(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _read(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            raise Aborted("stopped at a prompt (Ctrl-C)") from None
        if line == "":
            raise Aborted("input ended (Ctrl-D or end of piped answers)")
        if not line.endswith("\n"):
            self.stdout.write("\n")
        return line.strip()

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        self.show(message)
        default_n = None
        for n, c in enumerate(choices, 1):
            mark = " (default)" if c.value == default else ""
            key = f" [{c.key}]" if c.key else ""
            self.show(f"  {n}) {c.title}{key}{mark}")
            if c.value == default:
                default_n = n
        for _ in range(self.max_tries):
            answer = self._read(f"Choose 1-{len(choices)}: ")
            if answer == "" and default_n is not None:
                return choices[default_n - 1].value
            if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1].value
            by_key = [c for c in choices if c.key and c.key.lower() == answer.lower()]
            if by_key:
                return by_key[0].value
            self.show(f"'{answer}' is not one of the choices — type a number from 1 to {len(choices)}.")
        raise Aborted(f"no valid choice after {self.max_tries} tries")

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str:
        shown = f" [{default}]" if default else ""
        for _ in range(self.max_tries):
            answer = self._read(f"{message}{shown} ") or default
            problem = validate(answer) if validate else None
            if problem is None:
                return answer
            self.show(problem)
        raise Aborted(f"no valid answer after {self.max_tries} tries")

    def confirm(self, message: str, default: bool = True) -> bool:
        hint = "Y/n" if default else "y/N"
        for _ in range(self.max_tries):
            answer = self._read(f"{message} [{hint}] ").lower()
            if answer == "":
                return default
            if answer in ("y", "yes", "s", "si", "sí"):
                return True
            if answer in ("n", "no"):
                return False
            self.show("Type y or n.")
        raise Aborted(f"no valid answer after {self.max_tries} tries")


class QuestionaryPrompter:
    """Arrow-key menus with one-key shortcuts (questionary), bold script lines."""

    style = "ansi"

    def __init__(self, stdout: IO[str] | None = None):
        self.stdout = stdout or sys.stdout
        self._q = None

    @property
    def q(self):
        """questionary, imported at the first question: the first voter is on screen before it loads."""
        if self._q is None:
            import questionary

            self._q = questionary
        return self._q

    def show(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _ask(self, question):
        try:
            return question.unsafe_ask()
        except KeyboardInterrupt:
            raise Aborted("stopped at a prompt (Ctrl-C)") from None
        except EOFError:
            raise Aborted("input ended (Ctrl-D)") from None

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        q = self.q
        keys_ok = len({c.key for c in choices if c.key}) == len(choices)
        items = [q.Choice(c.title, value=c.value, shortcut_key=c.key if keys_ok else True) for c in choices]
        default_item = next((i for i, c in zip(items, choices, strict=True) if c.value == default), None)
        question = q.select(message, choices=items, default=default_item, use_shortcuts=keys_ok,
                            use_arrow_keys=True, use_jk_keys=False, instruction="(arrows or the key shown, then Enter)")
        answer = self._ask(question)
        if answer is None:
            raise Aborted("stopped at a prompt")
        return answer

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str:
        def check(value: str):
            if validate is None:
                return True
            problem = validate(value)
            return True if problem is None else problem

        answer = self._ask(self.q.text(message, default=default, validate=check))
        if answer is None:
            raise Aborted("stopped at a prompt")
        return answer

    def confirm(self, message: str, default: bool = True) -> bool:
        answer = self._ask(self.q.confirm(message, default=default))
        if answer is None:
            raise Aborted("stopped at a prompt")
        return bool(answer)
