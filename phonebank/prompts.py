"""How a volunteer answers: the ``Prompter`` interface the calling loop asks through, and its two kinds —
questionary menus on a terminal, or plain numbered menus and line prompts (screen readers, pipes).

One rule for every prompt: a key (or a line of text), then Enter — yes/no questions included.
Both prompters turn Ctrl-C and Ctrl-D into ``Aborted`` so the session can clean up and say what was kept,
and wrap what they show at word boundaries to the terminal's width. questionary (and prompt_toolkit) are
imported only at the first question.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Protocol

from .errors import Aborted
from .messages import say
from .termsafe import visible, visible_keep_lines
from .wrap import width_of, wrap_text

ANSI_CLEAR = "\x1b[2J\x1b[H"
MAX_CHOICE_DIGITS = 6  # a longer number typed at a menu is not one of its choices (and int() has a limit)
YES_WORDS = ("y", "yes", "s", "si", "sí")
NO_WORDS = ("n", "no")


@dataclass(frozen=True)
class Choice:
    value: str
    title: str
    key: str | None = None  # a one-keystroke shortcut, confirmed with Enter


class Prompter(Protocol):
    style: str  # "ansi" or "plain": how script markup is shown
    language: str  # the language of the prompter's own words ("Choose 1-8", "(default)")

    def show(self, text: str) -> None: ...

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str: ...

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str: ...

    def confirm(self, message: str, default: bool = True) -> bool: ...

    def size(self) -> tuple[int, int] | None: ...  # (columns, lines) of the terminal; None: a transcript

    def clear(self) -> None: ...  # a fresh screen (between voters); nothing in a transcript


def readable(line: str) -> str:
    """Text as it can be saved: bytes that were not UTF-8 (kept as surrogates by the reader) become U+FFFD."""
    try:
        raw = line.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no reader makes: replaced as well
        raw = line.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def yes_no_choices(language: str) -> list[Choice]:
    return [Choice("yes", say(language, "prompt.yes"), "s" if language == "es" else "y"),
            Choice("no", say(language, "prompt.no"), "n")]


class PlainPrompter:
    """Numbered menus and line prompts: no arrow keys, no screen control. Screen-reader friendly
    and scriptable (answers may be piped in, one per line). On a terminal (``--plain``) text is wrapped
    to its width; into a pipe it is a plain transcript."""

    style = "plain"

    def __init__(self, stdin: IO[str] | None = None, stdout: IO[str] | None = None, max_tries: int = 5,
                 columns: int | None = None, lines: int | None = None, language: str = "en"):
        if stdin is None:
            stdin = sys.stdin
            try:  # bytes that are not UTF-8 read as U+FFFD: the answer is kept, never a crash at save
                stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                pass
        self.stdin = stdin
        self.stdout = stdout or sys.stdout
        self.max_tries = max_tries
        self.language = language
        self._size = (columns, lines or 24) if columns else None

    def size(self) -> tuple[int, int] | None:
        if self._size is not None:
            return self._size
        isatty = getattr(self.stdout, "isatty", None)
        if isatty is not None and isatty():
            got = shutil.get_terminal_size((80, 24))
            return got.columns, got.lines
        return None

    def clear(self) -> None:
        """A transcript is never cleared: what was said stays readable above."""

    def show(self, text: str) -> None:
        text = visible_keep_lines(text)  # a plain transcript holds no markup: any control character is input's
        size = self.size()
        if size is not None:
            text = "\n".join(wrap_text(text, size[0]))
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _read(self, prompt: str) -> str:
        prompt = visible_keep_lines(prompt)  # a default shown in it may be input's (a note with ESC)
        self.stdout.write(prompt)
        self.stdout.flush()
        for _ in range(self.max_tries):
            try:
                line = self.stdin.readline()
            except KeyboardInterrupt:
                raise Aborted(say(self.language, "prompt.ctrl_c")) from None
            except UnicodeDecodeError:  # a strict reader: the line is lost, ask for it again
                self.show(say(self.language, "prompt.not_utf8"))
                self.stdout.write(prompt)
                self.stdout.flush()
                continue
            if line == "":
                raise Aborted(say(self.language, "prompt.eof"))
            if not line.endswith("\n"):
                self.stdout.write("\n")
            return readable(line).strip()
        raise Aborted(say(self.language, "prompt.gave_up", n=self.max_tries))

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        self.show(message)
        default_n = None
        for n, c in enumerate(choices, 1):
            mark = say(self.language, "prompt.default") if c.value == default else ""
            key = f" [{c.key}]" if c.key else ""
            self.show(f"  {n}) {c.title}{key}{mark}")
            if c.value == default:
                default_n = n
        for _ in range(self.max_tries):
            answer = self._read(say(self.language, "prompt.choose", n=len(choices)))
            if answer == "" and default_n is not None:
                return choices[default_n - 1].value
            if answer.isascii() and answer.isdigit() and len(answer) <= MAX_CHOICE_DIGITS \
                    and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1].value
            by_key = [c for c in choices if c.key and c.key.lower() == answer.lower()]
            if by_key:
                return by_key[0].value
            shown = visible(answer if len(answer) <= 20 else answer[:20] + "…")
            self.show(say(self.language, "prompt.not_a_choice", answer=shown, n=len(choices)))
        raise Aborted(say(self.language, "prompt.gave_up", n=self.max_tries))

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str:
        shown = f" [{default}]" if default else ""
        for _ in range(self.max_tries):
            answer = self._read(f"{message}{shown} ") or default
            problem = validate(answer) if validate else None
            if problem is None:
                return answer
            self.show(problem)
        raise Aborted(say(self.language, "prompt.gave_up", n=self.max_tries))

    def confirm(self, message: str, default: bool = True) -> bool:
        yes, no = yes_no_choices(self.language)
        hint = f"{yes.key.upper()}/{no.key}" if default else f"{yes.key}/{no.key.upper()}"  # type: ignore[union-attr]
        for _ in range(self.max_tries):
            answer = self._read(f"{message} [{hint}] ").lower()
            if answer == "":
                return default
            if answer in YES_WORDS:
                return True
            if answer in NO_WORDS:
                return False
            self.show(say(self.language, "prompt.yes_no"))
        raise Aborted(say(self.language, "prompt.gave_up", n=self.max_tries))


class QuestionaryPrompter:
    """Arrow-key menus where the key shown moves to an entry and Enter takes it (questionary); bold script
    lines; the screen cleared between voters."""

    style = "ansi"

    def __init__(self, stdout: IO[str] | None = None, language: str = "en"):
        self.stdout = stdout or sys.stdout
        self.language = language
        self._q = None

    @property
    def q(self):
        """questionary, imported at the first question: the first voter is on screen before it loads."""
        if self._q is None:
            import questionary

            self._q = questionary
        return self._q

    def size(self) -> tuple[int, int] | None:
        got = shutil.get_terminal_size((80, 24))
        return got.columns, got.lines

    def clear(self) -> None:
        self.stdout.write(ANSI_CLEAR)
        self.stdout.flush()

    def show(self, text: str) -> None:
        self.stdout.write("\n".join(wrap_text(text, self.size()[0])) + "\n")  # type: ignore[index]
        self.stdout.flush()

    def _ask(self, question):
        try:
            answer = question.unsafe_ask()
        except KeyboardInterrupt:
            raise Aborted(say(self.language, "prompt.ctrl_c")) from None
        except EOFError:
            raise Aborted(say(self.language, "prompt.eof")) from None
        if answer is None:
            raise Aborted(say(self.language, "prompt.ctrl_c"))
        return answer

    def choose(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        q = self.q
        keys_ok = len({c.key for c in choices if c.key}) == len(choices)
        items = [q.Choice(c.title, value=c.value, shortcut_key=c.key if keys_ok else True) for c in choices]
        default_item = next((i for i, c in zip(items, choices, strict=True) if c.value == default), None)
        instruction = say(self.language, "prompt.instruction")
        if width_of(f"? {message} {instruction}") > self.size()[0]:  # type: ignore[index]
            instruction = "\n  " + instruction  # on a line of its own, rather than a word cut at the edge
        # use_shortcuts: the key moves the pointer; Enter answers (never the key alone)
        question = q.select(message, choices=items, default=default_item, use_shortcuts=keys_ok,
                            use_arrow_keys=True, use_jk_keys=False, instruction=instruction)
        return self._ask(question)

    def text(self, message: str, default: str = "", validate: Callable[[str], str | None] | None = None) -> str:
        def check(value: str):
            if validate is None:
                return True
            problem = validate(readable(value))
            return True if problem is None else problem

        return readable(self._ask(self.q.text(message, default=default, validate=check)))

    def confirm(self, message: str, default: bool = True) -> bool:
        """Yes or no as a two-entry menu: the key, then Enter (a y alone never answers)."""
        return self.choose(message, yes_no_choices(self.language), "yes" if default else "no") == "yes"


class Heartbeat:
    """A Prompter that reports every answer (every keystroke that ends a prompt) to ``beat``: while a
    volunteer is on a voter, each answer renews the hold on that voter."""

    def __init__(self, ui: Prompter, beat: Callable[[], None]):
        self.inner = ui
        self.style = ui.style
        self.beat = beat
        self._language: str = getattr(ui, "language", "en")

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, value: str) -> None:
        """The language of the words around the script; the prompter's own words ("Choose 1-8") follow."""
        self._language = value
        if hasattr(self.inner, "language"):
            self.inner.language = value

    def size(self) -> tuple[int, int] | None:
        size = getattr(self.inner, "size", None)
        return size() if size is not None else None

    def clear(self) -> None:
        clear = getattr(self.inner, "clear", None)
        if clear is not None:
            clear()

    @property
    def clears_screen(self) -> bool:
        return getattr(self.inner, "style", "") == "ansi" and hasattr(self.inner, "clear")

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
