"""What a volunteer sees on an 80x24 terminal: the calling screen rendered through a terminal emulator
(pyte), the way the plain prompts print it. The voter's name and number must still be on screen when
the menu asks what happened — on top of the screen when it fits, and on the menu's own line always."""

from __future__ import annotations

import io

import pyte

from phonebank.loop import Session
from phonebank.prompts import PlainPrompter
from phonebank.script import load_script
from phonebank.store.files import FileStore

from callkit import ANA, Clock, la, make_workspace, voter


def terminal(text: str, columns: int = 80, lines: int = 24) -> list[str]:
    screen = pyte.Screen(columns, lines)
    stream = pyte.Stream(screen)
    stream.feed(text.replace("\n", "\r\n"))
    return [row.rstrip() for row in screen.display]


def session_output(ws, answers: list[str], clock: Clock) -> str:
    script = load_script(ws.script_path)
    out = io.StringIO()
    ui = PlainPrompter(stdin=io.StringIO("".join(a + "\n" for a in answers)), stdout=out)
    try:
        Session(script, FileStore(ws, script, "test", clock), ANA, ui).run()
    except Exception:  # noqa: BLE001 - input ran out at the prompt we want to look at
        pass
    return out.getvalue()


def test_the_first_voter_fits_an_80x24_terminal_with_the_menu(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    rows = terminal(session_output(ws, [], Clock(la(2017, 3, 20, 18, 0))))
    assert any(r.startswith("María García    (213) 555-0101  (number 1 of 2)") for r in rows), "\n".join(rows)
    assert any(r.startswith("Choose 1-") for r in rows)
    assert any("Congressional Special Primary: Tuesday, April 4, 2017" in r for r in rows)


def test_a_voter_with_earlier_attempts_still_fits(tmp_path):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "María", "García", "+12135550101", "+13235550102")])
    clock = Clock(la(2017, 3, 18, 18, 0))
    session_output(ws, ["n", "", "s", "q"], clock)  # not home, saturday
    clock.now = la(2017, 3, 19, 18, 30)
    session_output(ws, ["n", "", "s", "q"], clock)  # not home again, sunday
    clock.now = la(2017, 3, 20, 19, 0)
    rows = terminal(session_output(ws, [], clock))
    assert "Call the number above: María García, (213) 555-0101. Then:" in rows, "\n".join(rows)
    assert "Earlier attempts (2), latest first: Sun 18:30 Not home / no answer" in rows, rows
    assert any(r.startswith("Choose 1-") for r in rows)
