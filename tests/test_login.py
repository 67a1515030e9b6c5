"""Login, registration and list choice (``phonebank.login``): a remembered login is confirmed with one key,
registration refuses control characters and emails too long to name a results file."""

from __future__ import annotations

import pytest

from phonebank.errors import UsageProblem
from phonebank.login import MAX_EMAIL_BYTES, check_login_email, check_person_name, choose_list, log_in
from phonebank.results import CsvResultsStore
from phonebank.roster import read_roster, remember_email

from callkit import ANA, ScriptedPrompter, make_workspace

TZ = "America/Los_Angeles"


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path / "ws")


def test_a_remembered_login_is_shown_and_confirmed_with_enter(ws):
    remember_email(ws.root, ANA.email)
    ui = ScriptedPrompter([None])  # Enter: the default, "go on"
    assert log_in(ws, ui, None, TZ) == ANA
    kind, message, options = ui.asked[0]
    assert message == "Calling as Ana Reyes (ana@example.org) — Enter to go on, c to change."
    assert options == ["go", "change"]


def test_the_next_volunteer_on_a_shared_laptop_changes_it(ws):
    remember_email(ws.root, ANA.email)
    ui = ScriptedPrompter(["change", "bo@example.org"])
    assert log_in(ws, ui, None, TZ).email == "bo@example.org"
    assert ui.asked[1][1].startswith("Your email")


def test_email_option_skips_the_question(ws):
    remember_email(ws.root, ANA.email)
    ui = ScriptedPrompter([])
    assert log_in(ws, ui, "bo@example.org", TZ).email == "bo@example.org" and ui.asked == []


@pytest.mark.parametrize("name", ["Ana\x1b[31m", "A\x07na", "Ana\x00", "Ana\u202eReyes", "\x1b]0;owned\x07"])
def test_registration_refuses_control_characters_in_names(name):
    with pytest.raises(UsageProblem) as err:
        check_person_name(name, "first")
    assert str(err.value) == ("First name contains a control character (such as Escape or a bell) — type it again "
                              "with letters only")
    assert "\n" not in str(err.value)


def test_names_in_spanish_and_ordinary_names():
    assert check_person_name("  María   José ", "first") == "María José"
    with pytest.raises(UsageProblem, match="Nombre es obligatorio"):
        check_person_name("", "first", "es")


def test_an_email_too_long_to_name_a_results_file_is_refused(tmp_path):
    longest = "a" * (MAX_EMAIL_BYTES - len("@example.org")) + "@example.org"
    assert check_login_email(longest) == longest
    # the longest accepted email names a results file (and its torn-tail and outbox companions) that can exist
    path = CsvResultsStore(tmp_path).file_for("list", longest)
    path.parent.mkdir(parents=True)
    for name in (path.name, path.name + ".torn", f".{path.stem}.outbox"):
        (path.parent / name).write_text("")
    too_long = "a" + longest
    with pytest.raises(UsageProblem) as err:
        check_login_email(too_long)
    message = str(err.value)
    assert message.endswith(f"is {len(too_long)} characters long; phonebank keeps at most {MAX_EMAIL_BYTES} "
                            "(your results file is named after it) — use a shorter email")
    assert len(message) < 200


def test_registering_through_the_prompts_reasks_a_hostile_name(ws):
    from phonebank.login import register_volunteer

    class Reasking(ScriptedPrompter):
        def text(self, message, default="", validate=None):
            answer = self._next("text", message)
            while validate and validate(answer):
                self.shown.append(validate(answer))
                answer = self._next("text", message)
            return answer

    ui = Reasking(["Eve\x1b[2J", "Eve", "Kim", "90012"])
    volunteer = register_volunteer(ws, ui, TZ, "eve@example.org")
    assert volunteer.first_name == "Eve" and read_roster(ws.roster_path)["eve@example.org"].first_name == "Eve"
    assert any("control character" in line for line in ui.shown)


def test_choose_list_asks_only_when_there_are_several(ws):
    assert choose_list(ws, ScriptedPrompter([]), None) == "test"
    with pytest.raises(UsageProblem, match="no list named 'nope' — available: test"):
        choose_list(ws, ScriptedPrompter([]), "nope")


def test_call_registration_refuses_an_escape_code_in_a_name_in_one_line(tmp_path, invoke):
    ws = make_workspace(tmp_path / "cli", volunteers=())
    out = invoke(ws.root, "call", "--plain", input="eve@example.org\ny\nEve\x1b[2J\nEve\nKim\n90012\nq\n",
                 env={"PHONEBANK_NOW": "2017-03-20T18:00:00-07:00"})
    assert out.exit_code == 0, out.output
    assert "First name contains a control character (such as Escape or a bell) — type it again with letters only\n" \
        in out.stdout
    assert read_roster(ws.roster_path)["eve@example.org"].first_name == "Eve"
    assert "\x1b[2J" not in ws.roster_path.read_text(encoding="utf-8")


def test_call_with_an_email_too_long_for_a_file_name_is_one_line_and_saves_nothing(tmp_path, invoke):
    ws = make_workspace(tmp_path / "cli")
    email = "a" * 240 + "@example.org"
    out = invoke(ws.root, "call", "--plain", "--email", email, input="y\nEve\nKim\n90012\nq\n")
    assert out.exit_code == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("Error: '") and "use a shorter email" in out.stderr
    assert email not in read_roster(ws.roster_path)
