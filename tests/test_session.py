"""The calling loop, driven by scripted answers (no terminal needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from phonebank.callback import parse_callback
from phonebank.errors import Aborted
from phonebank.loop import Session
from phonebank.script import load_script
from phonebank.store.files import FileStore

from callkit import ANA, Clock, ScriptedPrompter, la, make_workspace, read_rows, voter


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path / "ws")


def run(ws, answers, clock=None, language="en", list_name="test"):
    clock = clock or Clock(la(2017, 3, 20, 18, 0))
    script = load_script(ws.script_path)
    ui = ScriptedPrompter(answers)
    session = Session(script, FileStore(ws, script, list_name, clock), ANA, ui, language)
    tally = session.run()
    return ui, tally


SUPPORTER_WITH_ANSWERS = ["script", "yes", "yes", "supporter", "Wants a yard sign", "save"]


def test_supporter_with_survey_answers_then_not_home_then_quit(ws):
    ui, tally = run(ws, [*SUPPORTER_WITH_ANSWERS, "not_home", "", "save", "quit"])
    rows = read_rows(ws)
    assert [(r["voter_id"], r["code"], r["answers"], r["note"]) for r in rows] == [
        ("V1", "supporter", "aware_election=yes;bernie_2016=yes", "Wants a yard sign"),
        ("V2", "not_home", "", ""),
    ]
    first = rows[0]
    assert first["volunteer"] == "ana@example.org" and first["list"] == "test"
    assert first["phone"] == "+12135550101" and first["language"] == "en"
    assert first["recorded_at"] == "2017-03-20T18:00:00-07:00"
    assert (tally.calls, tally.contacts, tally.supporters, tally.undecided) == (2, 1, 1, 0)


def test_screen_shows_voter_phone_for_reading_aloud_reminders_and_bold_key_question(ws):
    ui, _ = run(ws, [*SUPPORTER_WITH_ANSWERS, "quit"])
    screen = ui.screen
    assert "María García    (213) 555-0101  (number 1 of 2)" in screen
    assert "City: Los Angeles" in screen and "Age: 44" in screen and "Local time: 18:00 PDT" in screen
    assert "Congressional Special Primary: Tuesday, April 4, 2017 (in 15 days)" in screen
    assert "separate election" in screen
    assert ">> Were you a supporter of Bernie Sanders in the Primary in 2016?" in screen
    assert "Arturo Carmona was Bernie's Director of Latino Outreach" in screen  # the "yes" branch
    assert "decades as a community organizer" not in screen
    assert "Hi María, my name is Ana" in screen


def test_no_branch_follows_the_organizer_text_and_election_past_is_never_negative(ws):
    clock = Clock(la(2017, 4, 10, 18, 0))
    ui, _ = run(ws, ["script", "no", "no", "undecided", "", "save", "quit"], clock=clock)
    assert "decades as a community organizer" in ui.screen
    assert "Director of Latino Outreach" not in ui.screen
    assert "Congressional Special Primary: Tuesday, April 4, 2017 (this election has passed)" in ui.screen
    assert "-6 days" not in ui.screen
    assert read_rows(ws)[0]["answers"] == "aware_election=no;bernie_2016=no"


def test_spanish_script(ws):
    ui, _ = run(ws, ["script", "yes", "not_sure", "supporter", "", "save", "quit"], language="es")
    assert "¿Usted apoyó a Bernie Sanders en la Primaria de 2016?" in ui.screen
    assert "martes, 4 de abril de 2017 (faltan 15 días)" in ui.screen
    assert read_rows(ws)[0]["language"] == "es"


def test_wrong_number_on_first_phone_then_next_number(ws):
    ui, _ = run(ws, ["more", "wrong_number", "", "save", True, *SUPPORTER_WITH_ANSWERS, "quit"])
    rows = read_rows(ws)
    assert [(r["voter_id"], r["phone"], r["code"]) for r in rows] == [
        ("V1", "+12135550101", "wrong_number"), ("V1", "+13235550102", "supporter")]
    assert "María García    (323) 555-0102" in ui.screen


def test_change_an_answer_before_saving_and_discard(ws):
    answers = ["script", "yes", "yes", "supporter", "", "change_result", "undecided", "change_answers",
               "no", "not_sure", "save", "not_home", "", "discard", "quit"]
    run(ws, answers)
    rows = read_rows(ws)
    assert [(r["code"], r["answers"]) for r in rows] == [("undecided", "aware_election=no;bernie_2016=not_sure")]


def test_skip_gives_the_voter_back_and_moves_on(ws):
    ui, _ = run(ws, ["skip", "not_home", "", "save", "quit"])
    rows = read_rows(ws)
    assert [(r["voter_id"], r["code"]) for r in rows] == [("V2", "not_home")]


def test_call_back_at_a_time_in_the_voters_zone(ws):
    run(ws, ["callback", "tomorrow 10:30", "", "save", "quit"])
    row = read_rows(ws)[0]
    assert (row["code"], row["callback_at"]) == ("call_back", "2017-03-21T10:30-07:00")


def test_undo_appends_a_correcting_row(ws):
    ui, tally = run(ws, ["more", "moved", "", "save", "undo", True, "quit"])
    rows = read_rows(ws)
    assert [r["code"] for r in rows] == ["moved", "undo"]
    assert rows[1]["undoes"] == rows[0]["row_id"] and rows[1]["voter_id"] == "V1"
    assert tally.calls == 0


def test_done_for_now_explains_calling_hours(tmp_path):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "A", "B", "+12135550101")])
    ui, _ = run(ws, ["quit"], clock=Clock(la(2017, 3, 20, 7, 0)))
    assert "1 voter held back by calling hours until today 09:00 PDT (09:00–21:00 in the voter's time)." in ui.screen


def test_list_done_message(tmp_path):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "A", "B", "+12135550101")])
    ui, tally = run(ws, ["more", "deceased", "", "save"])
    assert "The list is done: its 1 voter is finished. Thank you!" in ui.screen
    assert tally.calls == 1


def test_ctrl_c_at_a_prompt_keeps_saved_calls_and_releases_the_voter(ws):
    def interrupt(kind, message, options):
        raise Aborted("stopped at a prompt (Ctrl-C)")

    with pytest.raises(Aborted):
        run(ws, [*SUPPORTER_WITH_ANSWERS, "script", "yes", interrupt])
    assert [r["code"] for r in read_rows(ws)] == ["supporter"]
    script = load_script(ws.script_path)
    q = FileStore(ws, script, "test", Clock(la(2017, 3, 20, 18, 1)))
    assert q.next_voter("bo@example.org").voter_id == "V2"  # released, not stuck for 30 minutes


@pytest.mark.parametrize("text, expected", [
    ("18:30", la(2017, 3, 20, 18, 30)),
    ("6pm", la(2017, 3, 21, 18, 0)),
    ("6:30 pm", la(2017, 3, 20, 18, 30)),
    ("10:00", la(2017, 3, 21, 10, 0)),
    ("tomorrow 9", la(2017, 3, 21, 9, 0)),
    ("2017-03-25 17:00", la(2017, 3, 25, 17, 0)),
])
def test_parse_callback(text, expected):
    assert parse_callback(text, la(2017, 3, 20, 18, 10)) == expected


@pytest.mark.parametrize("text, message", [
    ("", "type a time, e.g. 18:30 or tomorrow 10:00"),
    ("soon", "'soon' is not a time — type e.g. 18:30, 6pm or tomorrow 10:00"),
    ("25:00", "'25:00' is not a time of day — type e.g. 18:30"),
    ("2017-03-01 10:00", "that time has already passed — give a time in the future"),
    ("2017-13-01 10:00", "'2017-13-01 10:00' is not a date — use YYYY-MM-DD HH:MM"),
])
def test_parse_callback_errors(text, message):
    with pytest.raises(ValueError) as err:
        parse_callback(text, la(2017, 3, 20, 18, 10))
    assert str(err.value) == message


def test_seconds_on_the_voter_are_recorded(ws, monkeypatch):
    import phonebank.loop as session_mod

    now = [100.0]
    monkeypatch.setattr(session_mod.time, "monotonic", lambda: now[0])

    def talk_42_seconds(kind, message, options):
        now[0] = 142.0
        return ""

    run(ws, ["not_home", talk_42_seconds, "save", "quit"])
    assert read_rows(ws)[0]["seconds"] == "42"


# -- a moving clock: holds, calling hours, lost holds, undo --------------------------------------------

def after(clock, answer, **advance):
    """An answer given after the volunteer thought for a while (the clock moves first)."""
    def step(kind, message, options):
        clock.advance(**advance)
        return answer() if callable(answer) else answer
    return step


def test_every_answer_renews_the_hold_so_a_slow_call_is_never_handed_to_another(ws):
    clock = Clock(la(2017, 3, 20, 18, 0))
    other = FileStore(ws, load_script(ws.script_path), "test", clock)
    stolen = []

    def try_to_take(answer):
        def take():
            offer = other.next_voter("bo@example.org", exclude={"V2", "V3", "V4"})
            stolen.append(offer and offer.voter_id)
            return answer
        return take

    # five prompts, 25 minutes apart: two hours on one voter, never 30 minutes without a keystroke
    answers = [after(clock, try_to_take(a), minutes=25) for a in ("script", "yes", "yes", "supporter", "long chat")]
    ui, _ = run(ws, [*answers, "save", "quit"], clock=clock)
    assert stolen == [None] * 5
    row = read_rows(ws)[0]
    assert (row["voter_id"], row["code"], row["overlaps"]) == ("V1", "supporter", "")
    assert "hold" not in ui.screen


def test_a_call_saved_after_the_hold_lapsed_and_another_called_is_kept_marked_and_explained(ws):
    from phonebank.results import ResultRow

    clock = Clock(la(2017, 3, 20, 18, 0))
    other = FileStore(ws, load_script(ws.script_path), "test", clock)

    def bo_calls_v1_meanwhile():
        offer = other.next_voter("bo@example.org", exclude={"V2", "V3", "V4"})
        assert offer.voter_id == "V1"
        other.save(ResultRow(recorded_at=clock().isoformat(), volunteer="bo@example.org", list="test",
                             voter_id="V1", phone=offer.phones[0], code="supporter"), offer.hold)
        other.release(offer.hold)
        return "Left a message"

    ui, tally = run(ws, ["script", "yes", "yes", "supporter", after(clock, bo_calls_v1_meanwhile, minutes=40),
                         "save", "quit"], clock=clock)
    rows = read_rows(ws)
    bo, ana = rows if rows[0]["volunteer"] == "bo@example.org" else rows[::-1]
    assert ana["overlaps"] == bo["row_id"] and bo["overlaps"] == ""
    assert "another volunteer has them now" in ui.screen  # told at the first keystroke after the loss
    assert "Another volunteer also called this voter while your hold had lapsed" in ui.screen
    assert tally.calls == 1  # the call happened and was saved


def test_no_second_number_after_the_window_closes(tmp_path):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "María", "García", "+12135550101", "+13235550102")])
    clock = Clock(la(2017, 3, 20, 20, 45))
    ui, tally = run(ws, ["more", "wrong_number", after(clock, "", minutes=15), "save", "quit"], clock=clock)
    assert tally.calls == 1
    assert not any("next number" in message for _, message, _ in ui.asked)
    assert "(323) 555-0102" not in ui.screen


def test_a_voter_menu_left_open_past_the_window_shows_no_more_numbers(tmp_path):
    ws = make_workspace(tmp_path / "ws", [voter("V1", "María", "García", "+12135550101", "+13235550102")])
    clock = Clock(la(2017, 3, 20, 20, 45))
    ui, tally = run(ws, [after(clock, "next_number", minutes=20), "quit"], clock=clock)
    assert "Calling hours are over for María García" in ui.screen
    assert "(323) 555-0102" not in ui.screen and tally.calls == 0
    store = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 21, 9, 0)))
    assert store.next_voter("bo@example.org").voter_id == "V1"  # given back at once, not held


def test_undo_names_the_voter_and_a_call_from_an_earlier_session_leaves_the_tally_alone(ws):
    run(ws, ["more", "moved", "", "save", "quit"])
    ui, tally = run(ws, ["undo", True, "quit"])
    asked = [m for kind, m, _ in ui.asked if kind == "confirm"]
    assert asked == ["Undo 'Moved' for María García, (213) 555-0101, saved today 18:00 PDT?"]
    assert "saved in an earlier session: this session's tally is unchanged" in ui.screen
    assert (tally.calls, tally.contacts) == (0, 0)
    assert [r["code"] for r in read_rows(ws)] == ["moved", "undo"]


def test_undoing_a_refusal_says_the_number_is_off_do_not_call(ws):
    from phonebank.dnc import read_dnc

    ui, tally = run(ws, ["more", "refused", "", "save", "undo", True, "quit"])
    assert "(213) 555-0101 is off the do-not-call list again" in ui.screen
    assert "+12135550101" not in read_dnc(ws.dnc_path) and tally.calls == 0


def test_a_script_without_a_call_back_code_hides_the_action(ws):
    text = ws.script_path.read_text()
    start = text.index("  - {id: call_back")
    end = text.index("  - {id: language_spanish")
    ws.script_path.write_text(text[:start] + text[end:])
    ui, _ = run(ws, ["quit"])
    menu = next(options for kind, message, options in ui.asked if message.startswith("Call the number"))
    assert "callback" not in menu and "script" in menu


def test_a_note_over_the_limit_is_refused_with_its_length(ws):
    from phonebank.interview import note_problem

    assert note_problem("x" * 2000) is None
    assert note_problem("x" * 2001) == "the note is 2,001 characters long, over the limit of 2,000 — shorten it"
    with pytest.raises(AssertionError, match="over the limit of 2,000"):  # the prompt refuses it
        run(ws, ["not_home", "x" * 2001])



# -- branches with a default, a way back, call-back hours ------------------------------------------

def test_no_answer_to_the_key_question_takes_the_default_branch_not_the_bernie_one(ws):
    ui, _ = run(ws, ["script", "yes", "", "undecided", "", "save", "quit"])  # "" = (no answer / skip)
    assert "decades as a community organizer" in ui.screen
    assert "So was Arturo!" not in ui.screen
    assert read_rows(ws)[0]["answers"] == "aware_election=yes"


def test_every_script_question_offers_a_way_back_to_the_voter_menu(ws):
    ui, tally = run(ws, ["script", "yes", "back", "skip", "quit"])
    questions = [options for kind, message, options in ui.asked if message.endswith("?") and "yes" in options]
    assert questions and all("back" in options for options in questions)
    menus = [message for kind, message, _ in ui.asked if message.startswith("Call the number above")]
    assert menus[:2] == ["Call the number above: María García, (213) 555-0101. Then:"] * 2  # back on V1's menu
    assert read_rows(ws) == [] and tally.calls == 0


def test_the_save_summary_names_the_script_language(ws):
    ui, tally = run(ws, ["not_home", "", "save", "quit"], language="es")
    assert "  Guion:    español" in ui.screen
    assert "guion en español" in tally.summary("es", ["es"])


WINDOW = (dt.time(9, 0), dt.time(21, 0))


@pytest.mark.parametrize("text, expected", [
    ("8am", "08:00 is outside calling hours (09:00–21:00 in the voter's time) — give a time inside them"),
    ("21:30", "21:30 is outside calling hours (09:00–21:00 in the voter's time) — give a time inside them"),
])
def test_a_call_back_outside_calling_hours_is_refused(text, expected):
    with pytest.raises(ValueError) as err:
        parse_callback(text, la(2017, 3, 20, 18, 10), "en", WINDOW)
    assert str(err.value) == expected


def test_call_back_times_in_spanish():
    assert parse_callback("mañana 10:00", la(2017, 3, 20, 18, 10), "es", WINDOW) == la(2017, 3, 21, 10, 0)
    with pytest.raises(ValueError, match="no es una hora"):
        parse_callback("pronto", la(2017, 3, 20, 18, 10), "es", WINDOW)


def test_the_call_back_prompt_refuses_a_time_before_calling_starts(ws):
    with pytest.raises(AssertionError, match="08:00 is outside calling hours"):
        run(ws, ["callback", "8am"])
