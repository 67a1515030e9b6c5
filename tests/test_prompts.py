"""The prompters, one rule for every prompt (a key, then Enter), and the stray Enter a newcomer types.

questionary runs through prompt_toolkit's pipe input (every key sent up front, the pipe closed);
plain mode through a StringIO and, for bytes that are not UTF-8, through the real command."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from phonebank.errors import Aborted
from phonebank.login import log_in
from phonebank.loop import Session
from phonebank.prompts import Choice, PlainPrompter, QuestionaryPrompter, readable
from phonebank.roster import read_roster
from phonebank.script import load_script
from phonebank.store.files import FileStore

from callkit import ANA, REPO, Clock, la, make_workspace, read_rows

MENU = [Choice("script", "Start the script", "s"), Choice("quit", "Quit", "q")]


def plain(text: str, language: str = "en") -> tuple[PlainPrompter, io.StringIO]:
    out = io.StringIO()
    return PlainPrompter(stdin=io.StringIO(text), stdout=out, language=language), out


# -- plain mode -------------------------------------------------------------------------------------
def test_plain_menu_takes_a_number_a_key_or_enter_for_the_default():
    assert plain("2\n")[0].choose("?", MENU, "script") == "quit"
    assert plain("q\n")[0].choose("?", MENU, "script") == "quit"
    assert plain("\n")[0].choose("?", MENU, "script") == "script"


def test_a_menu_answer_of_thousands_of_digits_is_not_a_choice_and_not_a_crash():
    ui, out = plain("9" * 5000 + "\n" + "1\n")
    assert ui.choose("?", MENU) == "script"
    assert "is not one of the choices — type a number from 1 to 2" in out.getvalue()
    assert "9" * 100 not in out.getvalue()  # the message quotes a bounded part of it


def test_plain_yes_no_needs_a_line_and_accepts_spanish():
    assert plain("y\n")[0].confirm("?") is True
    assert plain("\n")[0].confirm("?", default=False) is False
    ui, out = plain("sí\n", language="es")
    assert ui.confirm("¿Seguro?") is True and "[S/n]" in out.getvalue()
    ui, out = plain("maybe\nn\n")
    assert ui.confirm("?") is False and "Type y or n, then Enter." in out.getvalue()


def test_end_of_input_is_an_abort_in_the_prompters_language():
    with pytest.raises(Aborted, match="la entrada terminó"):
        plain("", language="es")[0].text("Nota:")


def test_text_that_was_not_utf8_is_kept_readable():
    assert readable("caf\udce9 ok") == "caf\ufffd ok"  # a byte the reader could not decode
    assert readable("\ud800") == "?"  # a surrogate no reader makes
    assert readable("José") == "José"


def test_plain_mode_saves_a_call_whose_note_is_not_utf8(tmp_path):
    """Bytes that are not UTF-8 piped into `phonebank call`: the call is saved, the note readable."""
    ws = make_workspace(tmp_path / "ws")
    env = {**os.environ, "PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": "2017-03-20T18:00:00-07:00",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("PHONEBANK_WORKSPACE", None)
    answers = b"n\nnot \xff\xfe utf-8 \xe9\ns\nq\n"
    proc = subprocess.run([sys.executable, "-c", "from phonebank.cli import main; main()", "-w", str(ws.root), "call",
                           "--email", "ana@example.org", "--plain"], input=answers, capture_output=True, env=env,
                          cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    rows = read_rows(ws)
    assert [(r["code"], r["note"]) for r in rows] == [("not_home", "not \ufffd\ufffd utf-8 \ufffd")]


# -- questionary: a key, then Enter -----------------------------------------------------------------
@pytest.fixture
def pipe():
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe_input, create_app_session(input=pipe_input, output=DummyOutput()):
        yield pipe_input


def test_a_yes_no_key_alone_does_not_answer_enter_does(pipe):
    pipe.send_text("n\r" + "y" + "\r")
    pipe.close()
    ui = QuestionaryPrompter(stdout=io.StringIO())
    assert ui.confirm("Undo?", default=True) is False
    assert ui.confirm("Again?", default=False) is True  # y moved to Yes; Enter answered


def test_stray_enter_after_no_at_the_undo_question_does_not_start_the_script(tmp_path, pipe):
    """`n` Enter at "Undo ...?" answers no; the Enter never lands in the voter menu (whose default starts the
    script for a voter who has not been dialed)."""
    ws = make_workspace(tmp_path / "ws")
    clock = Clock(la(2017, 3, 20, 18, 0))
    script = load_script(ws.script_path)
    pipe.send_text("n\r" "\r" "\r" "u\r" "n\r" "q\r")  # not home, empty note, save; V2: undo? no; quit
    pipe.close()
    ui = QuestionaryPrompter(stdout=io.StringIO())
    tally = Session(script, FileStore(ws, script, "test", clock), ANA, ui).run()
    assert [r["code"] for r in read_rows(ws)] == ["not_home"]  # the undo was declined, nothing else saved
    assert tally.calls == 1


def test_stray_enter_after_yes_at_registration_does_not_reach_the_first_name(tmp_path, pipe):
    ws = make_workspace(tmp_path / "ws", volunteers=())
    pipe.send_text("y\r" "Ana\r" "Reyes\r" "90033\r")
    pipe.close()
    refused: list[str] = []

    class Watching(QuestionaryPrompter):
        def text(self, message, default="", validate=None):
            def watch(value):
                problem = validate(value) if validate else None
                if problem:
                    refused.append(problem)
                return problem
            return super().text(message, default, watch)

    volunteer = log_in(ws, Watching(stdout=io.StringIO()), "ana@example.org", "America/Los_Angeles")
    assert refused == []  # not "First name is required" before anything was typed
    assert (volunteer.first_name, volunteer.last_name, volunteer.zip) == ("Ana", "Reyes", "90033")
    assert read_roster(ws.roster_path)["ana@example.org"].first_name == "Ana"


def test_back_from_the_script_to_the_voter_menu_at_any_question(tmp_path, pipe):
    ws = make_workspace(tmp_path / "ws")
    script = load_script(ws.script_path)
    pipe.send_text("s\r" "1\r" "b\r" "k\r" "q\r")  # script, aware: yes, Bernie question: back; skip V1; quit
    pipe.close()
    Session(script, FileStore(ws, script, "test", Clock(la(2017, 3, 20, 18, 0))), ANA,
            QuestionaryPrompter(stdout=io.StringIO())).run()
    assert read_rows(ws) == []  # nothing saved for a call that went back


def test_questionary_ctrl_c_is_an_abort(tmp_path, pipe):
    ws = make_workspace(tmp_path / "ws")
    pipe.send_text("\x03")
    pipe.close()
    script = load_script(ws.script_path)
    with pytest.raises(Aborted, match="Ctrl-C"):
        Session(script, FileStore(ws, script, "test", Clock(la(2017, 3, 20, 18, 0))), ANA,
                QuestionaryPrompter(stdout=io.StringIO())).run()


def test_a_default_holding_control_characters_is_shown_visible_never_run():
    """A note typed with ESC comes back as the default of 'Change the note': the prompt shows \\e, not ESC
    (found by the hostile suite's generated prompt answers)."""
    ui, out = plain("\n")
    assert ui.text("Note (optional):", default="\x1b[2J") == "\x1b[2J"  # Enter keeps the note as typed
    assert "\x1b" not in out.getvalue() and "[\\e[2J]" in out.getvalue()
    ui.show("a name with BEL\x07 and ESC\x1b]0;owned")
    assert "\x07" not in out.getvalue() and "\x1b" not in out.getvalue()
