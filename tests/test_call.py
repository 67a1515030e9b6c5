"""`phonebank call` and `phonebank register` through the CLI: plain mode over stdin, questionary
through prompt_toolkit's pipe input, login memory, errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from phonebank.cli import cli

from callkit import REPO, make_workspace, read_rows

NOW = "2017-03-20T18:00:00-07:00"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHONEBANK_NOW", NOW)
    monkeypatch.delenv("PHONEBANK_WORKSPACE", raising=False)
    return tmp_path


@pytest.fixture
def ws(env):
    return make_workspace(env / "ws", volunteers=())


def call(ws, text, *args):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "call", *args], input=text)


REGISTER = "y\nAna\nReyes\n90033\n"  # accept the offered registration, then the three other fields


def test_plain_mode_register_code_three_voters_quit_and_resume(ws):
    answers = [
        "s", "1", "1", "1", "Wants a yard sign", "s",  # V1: script, aware yes, bernie yes, supporter, note, save
        "n", "", "s",  # V2: not home, no note, save
        "i", "d", "", "s",  # V3: Add Information -> wrong number (V3 has one phone: no next number)
        "q",
    ]
    result = call(ws, "ana@example.org\n" + REGISTER + "\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1) Talking to the voter: start the script [s] (default)" in out
    assert ">> Were you a supporter of Bernie Sanders in the Primary in 2016?" in out
    assert "\x1b[" not in out  # no screen control in plain mode
    assert "Session summary: 3 calls, 1 contact, 1 supporter, 0 undecided, 0 min on the phone, script in English." in out
    rows = read_rows(ws)
    assert [(r["voter_id"], r["code"], r["answers"]) for r in rows] == [
        ("V1", "supporter", "aware_election=yes;bernie_2016=yes"),
        ("V2", "not_home", ""),
        ("V3", "wrong_number", ""),
    ]
    # resume: the remembered email is offered, and the list continues where it stands
    again = call(ws, "\nq\n")  # Enter: yes, I am the volunteer remembered here
    assert again.exit_code == 0, again.output
    assert "Calling as Ana Reyes (ana@example.org) — Enter to go on, c to change." in again.output
    assert "Arman Petrosyan" in again.output  # V4, the first voter not yet called


def test_roster_row_and_private_files(ws):
    call(ws, "ana@example.org\n" + REGISTER + "q\n")
    text = ws.roster_path.read_text()
    assert text.splitlines()[0] == "email,first_name,last_name,zip,registered_at"
    assert text.splitlines()[1].startswith("ana@example.org,Ana,Reyes,90033,2017-03-20T")
    assert oct(ws.roster_path.stat().st_mode & 0o777) == "0o600"


def test_register_validates_each_field_and_reasks(ws):
    result = CliRunner().invoke(cli, ["-w", str(ws.root), "register"],
                                input="\nAna\nReyes\nnot-an-email\nana@example.org\n9003\n90033\n")
    assert result.exit_code == 0, result.output
    assert "First name is required — type it" in result.output
    assert "'not-an-email' is not an email address — type it like name@example.org" in result.output
    assert "'9003' is not a 5-digit ZIP code — type five digits, e.g. 90012" in result.output
    assert "Welcome, Ana! You are registered as ana@example.org." in result.output


def test_typo_at_a_menu_reasks(ws):
    result = call(ws, "ana@example.org\n" + REGISTER + "zz\n99\n²\nq\n")  # '²' is a digit to str.isdigit
    assert result.exit_code == 0
    assert "'zz' is not one of the choices — type a number from 1 to 10, or the key shown, then Enter." in result.output
    assert "'99' is not one of the choices" in result.output


def test_end_of_input_is_an_abort_that_keeps_saved_calls(ws):
    result = call(ws, "ana@example.org\n" + REGISTER + "n\n\ns\ns\n1\n")  # stops inside V2's script
    assert result.exit_code == 130
    assert result.output.count("Traceback") == 0
    assert ("Stopped: input ended (Ctrl-D or end of piped answers). Every saved call is kept; the call being entered "
            "was not saved.") in result.output
    assert "Error" not in result.output  # a stop, not an error
    assert [r["code"] for r in read_rows(ws)] == ["not_home"]


def test_unknown_email_declined(ws):
    result = call(ws, "n\n", "--email", "who@example.org")
    assert result.exit_code == 2
    assert "Error: no volunteer registered with who@example.org — run `phonebank register` or check the spelling" in result.output


def test_bad_options(ws):
    assert "Error: language 'fr' is not in this script — use one of: en, es" in call(ws, "", "--language", "fr").output
    bad = call(ws, "", "--email", "x@example.org", "--list", "nope")
    assert bad.exit_code == 2
    assert "Error: no list named 'nope' — available: test" in bad.output
    evil = call(ws, "", "--email", "x@example.org", "--list", "../../etc/passwd")
    assert "Error: invalid list name '../../etc/passwd'" in evil.output


def test_several_lists_the_volunteer_picks(ws):
    from callkit import voter, write_list

    write_list(ws, "another", [voter("A1", "Zed", "Zulu", "+12135550177")])
    result = call(ws, "ana@example.org\n" + REGISTER + "1\nq\n")
    assert "Which list are you calling?" in result.output and "1) another" in result.output
    assert "Zed Zulu" in result.output


def test_outside_a_workspace(env, monkeypatch):
    monkeypatch.chdir(env)
    result = CliRunner().invoke(cli, ["call"])
    assert result.exit_code == 2
    assert "Error: no phonebank workspace in the current folder" in result.output


def test_call_does_not_import_pandas(ws):
    """The whole volunteer path — login, the calling index, the first voter on screen, quit — loads none of
    the organizer's libraries. The run must succeed and load the calling modules, so a `call` that dies early
    fails this test instead of passing it."""
    from phonebank.roster import add_volunteer

    from callkit import ANA

    add_volunteer(ws.roster_path, ANA)
    # no calling index yet (as after copying a list in by hand): building it for a list of a volunteer's
    # size stays light too — pyarrow reads only lists of 20 MB and more, on organizers' machines
    assert not (ws.root / ".phonebank" / "test.sqlite").exists()
    code = (
        "import sys\nfrom phonebank.cli import cli\n"
        "try:\n    cli.main(['-w', sys.argv[1], 'call', '--email', 'ana@example.org', '--plain'], standalone_mode=False)\n"
        "finally:\n"
        "    loaded = [m for m in ('phonebank.loop', 'phonebank.screen', 'phonebank.store.files') if m in sys.modules]\n"
        "    heavy = [m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules]\n"
        "    print('LOADED', loaded, 'HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ws.root)], input="q\n", capture_output=True, text=True,
                         env={**os.environ, "PHONEBANK_NOW": NOW}, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Call the number above: María García" in out.stdout
    assert "LOADED ['phonebank.loop', 'phonebank.screen', 'phonebank.store.files'] HEAVY []" in out.stdout, out.stdout


# -- questionary, through prompt_toolkit's pipe input ---------------------------------------------
@pytest.fixture
def pipe():
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe_input, create_app_session(input=pipe_input, output=DummyOutput()):
        yield pipe_input


def test_questionary_prompts_drive_a_session(ws, pipe, capsys):
    from phonebank.loop import Session
    from phonebank.prompts import QuestionaryPrompter
    from phonebank.roster import add_volunteer
    from phonebank.script import load_script
    from phonebank.store.files import FileStore

    from callkit import ANA, Clock, la

    add_volunteer(ws.roster_path, ANA)
    keys = [
        "s\r",  # start the script (shortcut, Enter)
        "1\r", "1\r",  # aware: yes; Bernie: yes
        "1\r",  # result: supporter
        "Yard sign\r",  # note
        "\r",  # Save Response (the default)
        "n\r", "\r", "\r",  # V2: not home, empty note, save
        "q\r",  # quit
    ]
    pipe.send_text("".join(keys))
    pipe.close()
    script = load_script(ws.script_path)
    ui = QuestionaryPrompter()
    Session(script, FileStore(ws, script, "test", Clock(la(2017, 3, 20, 18, 0))), ANA, ui).run()
    rows = read_rows(ws)
    assert [(r["voter_id"], r["code"], r["answers"], r["note"]) for r in rows] == [
        ("V1", "supporter", "aware_election=yes;bernie_2016=yes", "Yard sign"),
        ("V2", "not_home", "", ""),
    ]
    assert "\x1b[1mWere you a supporter of Bernie Sanders in the Primary in 2016?\x1b[22m" in capsys.readouterr().out
