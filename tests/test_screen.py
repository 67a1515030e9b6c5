"""What a volunteer sees: the calling screen rendered through a terminal emulator (pyte) at 80x24 and
120x40, in English and Spanish — the voter's name and the number to dial on screen with the menu, no
word broken at the edge, no English in Spanish mode, the tally never negative.

The plain prompter is given the terminal's size (as on a terminal with --plain) and its input is echoed
the way a terminal echoes what is typed; ``test_call_pty`` renders the arrow-key menus the same way."""

from __future__ import annotations

import io
import re

import pyte
import pytest

from phonebank.loop import Session
from phonebank.messages import CATALOG
from phonebank.prompts import PlainPrompter
from phonebank.screen import Block, lay_out
from phonebank.script import load_script
from phonebank.store.files import FileStore
from phonebank.wrap import width_of, wrap_text

from callkit import ANA, Clock, la, make_workspace, voter

SIZES = [(80, 24), (120, 40)]


class EchoInput(io.StringIO):
    """Typed answers, echoed to the screen as a terminal does."""

    def __init__(self, text: str, screen: io.StringIO):
        super().__init__(text)
        self.screen = screen

    def readline(self, *args) -> str:  # type: ignore[override]
        line = super().readline(*args)
        self.screen.write(line)
        return line


def terminal(text: str, columns: int = 80, lines: int = 24) -> list[str]:
    screen = pyte.Screen(columns, lines)
    stream = pyte.Stream(screen)
    stream.feed(text.replace("\n", "\r\n"))
    return [row.rstrip() for row in screen.display]


def session_output(ws, answers: list[str], clock: Clock, size=(80, 24), language="en", rehearsal="") -> str:
    script = load_script(ws.script_path)
    out = io.StringIO()
    ui = PlainPrompter(stdin=EchoInput("".join(a + "\n" for a in answers), out), stdout=out, columns=size[0],
                       lines=size[1], language=language)
    try:
        Session(script, FileStore(ws, script, "test", clock), ANA, ui, language, rehearsal=rehearsal).run()
    except Exception:  # noqa: BLE001 - input ran out at the prompt we want to look at
        pass
    return out.getvalue()


def menu_rows(rows: list[str]) -> list[str]:
    return [r for r in rows if re.match(r"\s+\d+\) ", r)]


def assert_voter_visible(rows: list[str], name: str, phone: str) -> None:
    text = "\n".join(rows)
    assert any(r.startswith(f"{name}    {phone}") for r in rows), text  # the voter line, on top
    assert any(name in r and phone in r and r.rstrip().endswith(":") for r in rows), text  # the menu's line
    assert len(menu_rows(rows)) >= 8, text  # the whole menu
    shown = [r for r in rows if r.strip()]
    assert shown[-1].startswith(("Choose 1-", "Elija 1-")), text  # the prompt is the last thing on screen


def assert_no_word_broken(rows: list[str], transcript: str, columns: int) -> None:
    """Where a row runs to the right edge and text goes on below, the words on both sides of the break are
    whole words of what the program wrote (a word cut at the edge, "ca|ndidates", is not)."""
    words = set(re.findall(r"\w+", transcript.replace("\n", " ")))
    for this, after in zip(rows, rows[1:], strict=False):
        if len(this) >= columns - 1 and after.strip() and re.search(r"\w$", this) and re.match(r"\w", after):
            tail, head = re.findall(r"\w+", this)[-1], re.findall(r"\w+", after)[0]
            assert tail in words and head in words, (this, after)


ENGLISH_WORDS = {"Call", "Calls", "Choose", "Supporters", "Contacts", "Undecided", "Quit", "Skip", "Undo", "City",
                 "Age", "Language", "Local", "default", "Elections", "separate", "passed", "Saved", "list", "days",
                 "number", "Talking", "script", "Add", "Information", "back", "reminders", "Switch", "Spanish",
                 "today", "tomorrow", "Result", "Note", "Voter", "Phone", "Save", "Change", "Discard", "held",
                 "voters", "waiting", "Thank", "REHEARSAL", "clock"}


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_first_voter_and_the_menu_fit(tmp_path, size, language):
    ws = make_workspace(tmp_path / "ws")
    out = session_output(ws, [], Clock(la(2017, 3, 20, 18, 0)), size, language, rehearsal="REHEARSAL clock x")
    rows = terminal(out, *size)
    assert_voter_visible(rows, "María García", "(213) 555-0101")
    assert_no_word_broken(rows, out, size[0])
    if size == (120, 40):  # room for the full reminders on the first screen
        primary = {"en": "Congressional Special Primary: Tuesday, April 4, 2017",
                   "es": "Elección Primaria Especial para el Congreso: martes, 4 de abril de 2017"}[language]
        assert any(primary in r for r in rows), "\n".join(rows)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_spanish_mode_shows_no_english(tmp_path, size):
    ws = make_workspace(tmp_path / "ws")
    # V1 not home (es), then the next voter's screen, with the tally after a save
    out = session_output(ws, ["n", "", "s"], Clock(la(2017, 3, 20, 18, 0)), size, "es")
    rows = terminal(out, *size)
    assert_voter_visible(rows, "José Hernández", "(213) 555-0103")
    seen = set(re.findall(r"[A-Za-z]+", "\n".join(rows))) - {"Los", "Angeles", "PDT", "V1", "V2"}
    assert not seen & ENGLISH_WORDS, (seen & ENGLISH_WORDS, "\n".join(rows))
    assert any("Llamadas 1 · Contactos 0" in r for r in rows), "\n".join(rows)


def test_spanish_reminders_of_a_past_election_and_the_summary(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    out = session_output(ws, ["r", "q"], Clock(la(2017, 4, 10, 18, 0)), (120, 40), "es")
    assert "esta elección ya pasó" in out and "this election has passed" not in out
    assert "una elección aparte" in out and "separate" not in out


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_a_voter_with_earlier_attempts_still_fits(tmp_path, size):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "María", "García", "+12135550101", "+13235550102")])
    clock = Clock(la(2017, 3, 18, 18, 0))
    session_output(ws, ["n", "", "s", "q"], clock)  # not home, saturday
    clock.now = la(2017, 3, 19, 18, 30)
    session_output(ws, ["n", "", "s", "q"], clock)  # not home again, sunday
    clock.now = la(2017, 3, 20, 19, 0)
    out = session_output(ws, [], clock, size)
    rows = terminal(out, *size)
    assert_voter_visible(rows, "María García", "(213) 555-0101")
    assert "Call the number above: María García, (213) 555-0101. Then:" in rows, "\n".join(rows)
    if size == (120, 40):
        assert "Earlier attempts (2), latest first: Sun 18:30 Not home / no answer · Sat 18:00 Not home / no answer" \
            in rows, rows


def test_undo_of_an_earlier_session_never_makes_the_tally_negative(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = Clock(la(2017, 3, 20, 18, 0))
    session_output(ws, ["n", "", "s", "q"], clock)
    out = session_output(ws, ["u", "y", "u", "y", "q"], clock, (120, 40))
    assert "Calls 0 · Contacts 0" in out and "-1" not in out


def test_reminders_are_condensed_after_the_first_screen_and_read_in_full_on_request(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    out = session_output(ws, ["n", "", "s", "r"], Clock(la(2017, 3, 20, 18, 0)), (120, 40))
    full = "23 candidates are on the ballot"
    first, second, third = out.split("Call the number above:")[:3]
    assert full in first
    assert full not in second and "Elections: Congressional Special Primary: in 15 days" in second
    assert full in third  # r: read the reminders


def test_wrapping_keeps_words_whole_and_measures_escape_codes_and_wide_characters():
    text = "The \x1b[1mSpecial Primary for Congress\x1b[22m is Tuesday, April 4, 2017. 23 candidates are on the ballot"
    lines = wrap_text(text, 30)
    assert [re.sub(r"\x1b\[\d+m", "", line) for line in lines] == [
        "The Special Primary for", "Congress is Tuesday, April 4,", "2017. 23 candidates are on the", "ballot"]
    assert all(width_of(line) <= 30 for line in lines)
    assert width_of("李小龙") == 6 and width_of("\x1b[1mab\x1b[22m") == 2
    assert wrap_text("  * indented text that goes on and on", 20) == ["  * indented text", "  that goes on and", "  on"]
    assert wrap_text("https://www.example.org/a/very/long/address", 20)[0] == "https://www.example."


def test_the_voter_line_is_never_dropped_however_short_the_screen():
    blocks = [Block(["notice"], rank=3), Block(["header"], rank=4), Block(["María García    (213) 555-0101"]),
              Block(["facts"], rank=5), Block(["full reminder", "text"], ["one line"], rank=1)]
    assert lay_out(blocks, 80, 10) == ["notice", "header", "María García    (213) 555-0101", "facts", "full reminder",
                                       "text"]
    assert lay_out(blocks, 80, 5) == ["notice", "header", "María García    (213) 555-0101", "facts", "one line"]
    assert lay_out(blocks, 80, 3) == ["header", "María García    (213) 555-0101", "facts"]
    assert lay_out(blocks, 80, 1) == ["María García    (213) 555-0101"]


def test_every_message_has_english_and_spanish_with_the_same_placeholders():
    for key, (en, es) in CATALOG.items():
        assert en and es, key
        assert set(re.findall(r"\{(\w+)", en)) == set(re.findall(r"\{(\w+)", es)), key
