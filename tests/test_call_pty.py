"""End to end: the installed `phonebank call` in a real pseudo-terminal (questionary menus)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from callkit import make_workspace, read_rows, voter

pexpect = pytest.importorskip("pexpect")

VOTERS = [
    voter("V1", "María", "García", "+12135550101"),
    voter("V2", "José", "Hernández", "+12135550103"),
    voter("V3", "Grace", "Kim", "+12135550104", "+13235550105", zip_code="90012"),
    voter("V4", "Arman", "Petrosyan", "+18185550106", zip_code="90041"),
]


def phonebank_exe() -> str:
    exe = Path(sys.executable).parent / "phonebank"
    return str(exe) if exe.exists() else shutil.which("phonebank") or pytest.skip("phonebank is not installed")


def spawn(ws, home, rows: int = 60, columns: int = 200, args: tuple[str, ...] = ()):
    env = {**os.environ, "PHONEBANK_HOME": str(home), "PHONEBANK_NOW": "2017-03-20T18:00:00-07:00",
           "TERM": "xterm", "LANG": "C.UTF-8",
           # a real terminal answers prompt_toolkit's cursor-position request at once; pexpect does not
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    env.pop("PHONEBANK_WORKSPACE", None)
    child = pexpect.spawn(phonebank_exe(), ["call", "--workspace", str(ws.root), *args], env=env, encoding="utf-8",
                          timeout=20, dimensions=(rows, columns))
    return child


def key(child, expect: str, keys: str) -> None:
    child.expect(expect)
    child.send(keys)


def call_one(child, name: str, result: str, *answers: tuple[str, str]) -> None:
    """On ``name``'s screen: the ``result`` keys, then (prompt, keys) ``answers``, an empty note, Save."""
    key(child, name, "")
    key(child, "Call the number above", result)
    for prompt, keys in answers:
        key(child, prompt, keys)
    key(child, "Note", "\r")
    key(child, "Save\\?", "\r")


@pytest.mark.stress  # the whole evening in a terminal; in-process: test_call.py's questionary session
def test_register_code_three_voters_quit_resume(tmp_path):
    ws = make_workspace(tmp_path / "ws", VOTERS, volunteers=())
    home = tmp_path / "home"
    child = spawn(ws, home)
    key(child, "Your email", "ana@example.org\r")
    key(child, "Register now", "y\r")  # a key, then Enter: yes/no questions too
    key(child, "First name", "Ana\r")
    key(child, "Last name", "Reyes\r")
    key(child, "ZIP code", "90033\r")
    # V1: a supporter with survey answers
    key(child, "María García", "")
    key(child, "Call the number above", "s\r")
    key(child, "Knew about the April 4 election", "1\r")
    key(child, "Bernie Sanders supporter", "1\r")
    key(child, "Result of the call", "1\r")
    key(child, "Note", "Yard sign\r")
    key(child, "Save\\?", "\r")
    call_one(child, "José Hernández", "n\r")  # V2: not home
    # V3: wrong number on the first of two phones; do not try the next one now
    call_one(child, "Grace Kim", "i\r", ("Add Information", "d\r"))
    key(child, "next number", "n\r")
    key(child, "Arman Petrosyan", "")
    key(child, "Call the number above", "q\r")
    child.expect("Session summary: 3 calls, 1 contact, 1 supporter, 0 undecided")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    rows = read_rows(ws)
    assert [(r["volunteer"], r["voter_id"], r["phone"], r["code"], r["answers"], r["note"]) for r in rows] == [
        ("ana@example.org", "V1", "+12135550101", "supporter", "aware_election=yes;bernie_2016=yes", "Yard sign"),
        ("ana@example.org", "V2", "+12135550103", "not_home", "", ""),
        ("ana@example.org", "V3", "+12135550104", "wrong_number", "", ""),
    ]
    assert all(r["recorded_at"].startswith("2017-03-20T18:0") and r["recorded_at"].endswith("-07:00") for r in rows)

    # resume: remembered login, the list continues where it stands (V4 fresh, then V3's second number)
    child = spawn(ws, home)
    key(child, "Calling as Ana Reyes \\(ana@example.org\\)", "\r")  # the remembered login, confirmed
    key(child, "Arman Petrosyan", "")
    key(child, "Call the number above", "k\r")  # skip
    key(child, "Grace Kim", "")
    child.expect("323\\) 555-0105")
    key(child, "Call the number above", "q\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(read_rows(ws)) == 3


def test_closed_terminal_releases_the_voter_and_keeps_saved_calls(tmp_path):
    import signal

    from phonebank.script import load_script
    from phonebank.store.files import FileStore

    from callkit import ANA, Clock, la

    ws = make_workspace(tmp_path / "ws", VOTERS, volunteers=[ANA])
    child = spawn(ws, tmp_path / "home")
    key(child, "Your email", "ana@example.org\r")
    call_one(child, "María García", "n\r")
    key(child, "José Hernández", "")
    child.expect("Call the number above")
    child.kill(signal.SIGHUP)  # the volunteer closes the terminal window
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 or child.signalstatus is not None
    assert [r["code"] for r in read_rows(ws)] == ["not_home"]
    queue = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 1)))
    assert queue.next_voter("bo@example.org").voter_id == "V2"  # not stuck behind a 30-minute claim


class Screen:
    """Everything the child writes, fed to a terminal emulator of the child's size."""

    def __init__(self, child, columns: int, rows: int):
        import pyte

        self.child = child
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)
        child.logfile_read = self

    def write(self, text: str) -> None:
        self.stream.feed(text)

    def flush(self) -> None:
        pass

    @property
    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]


@pytest.mark.parametrize("language, menu", [
    ("en", "Call the number above: María García, \\(213\\) 555-0101"),
    pytest.param("es", "Marque el número de arriba: María García, \\(213\\) 555-0101", marks=pytest.mark.stress)])
def test_the_arrow_key_screen_at_80x24_shows_name_number_and_menu_together(tmp_path, language, menu):
    from callkit import ANA

    ws = make_workspace(tmp_path / "ws", VOTERS, volunteers=[ANA])
    child = spawn(ws, tmp_path / "home", rows=24, columns=80, args=("--email", ANA.email, "--language", language))
    screen = Screen(child, 80, 24)
    child.expect(menu)
    child.expect("Quit|Salir")  # the last entry of the menu is drawn
    try:  # whatever is still on its way to the screen
        child.read_nonblocking(100000, timeout=0.5)
    except pexpect.TIMEOUT:
        pass
    rows = screen.rows
    text = "\n".join(rows)
    assert any(r.startswith("María García    (213) 555-0101") for r in rows), text
    assert any(menu.replace("\\", "") in r for r in rows), text  # the menu's question, name and number
    assert any("Quit" in r or "Salir" in r for r in rows), text
    assert any(("Talking to the voter" in r) or ("Hablando con el votante" in r) for r in rows), text
    if language == "es":
        assert "Call the number" not in text and "Calls" not in text and "Quit" not in text, text
    child.send("q\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
