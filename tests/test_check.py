"""`phonebank check`: the whole workspace, with a summary; warnings never fail it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from phonebank.check import ERROR, OK, WARNING, check_workspace
from phonebank.lists import canonical_columns
from phonebank.records import RECORDS_NOTE
from phonebank.results import HEADER_LINE, ResultRow, row_to_line
from phonebank.script import load_script
from phonebank.workspace import Workspace

BEFORE_ALL = "2017-03-01"  # before every election in the sample script
SCRIPT_OK = (
    "  scripts.yaml: OK — 7 sections, 2 questions, 14 codes (3 contact, 11 non-contact), 3 elections, "
    "languages en, es"
)


@pytest.fixture
def ws(workspace: Path) -> Path:
    """The sample workspace without the sample list: each test writes the lists it needs."""
    for path in (workspace / "lists").iterdir():
        path.unlink()
    return workspace


def write_list(ws: Path, name: str, voters: list[tuple[str, str, str]]) -> Path:
    """voters: (voter_id, phone_1, phone_2)."""
    path = ws / "lists" / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(canonical_columns(2))
        for vid, p1, p2 in voters:
            w.writerow([vid, "Ana", "Reyes", p1, p2, "90033", "Los Angeles", "CA", "es", "40", "DEM", "van", vid])
    return path


def result(voter_id: str, code: str, list_name: str = "east") -> ResultRow:
    return ResultRow(recorded_at="2017-03-20T18:00:00-07:00", volunteer="ana@example.org", list=list_name,
                     voter_id=voter_id, phone="+12135550101", code=code)


def write_results(ws: Path, list_name: str, rows: list[ResultRow], tail: bytes = b"",
                  file: str = "ana_example.org.csv") -> Path:
    path = ws / "results" / list_name / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(HEADER_LINE.encode() + b"".join(row_to_line(r) for r in rows) + tail)
    return path


VOTERS = [("v1", "+12135550101", ""), ("v2", "+13235550102", "+18185550103"), ("v3", "+12135550104", "")]


def line(ws: Path, *path: object) -> int | None:
    """Line of ``path`` in the workspace's scripts.yaml (so tests survive edits to the sample)."""
    return load_script(ws / "scripts.yaml").line_of(*path)


def run_check(invoke, ws: Path, today: str = BEFORE_ALL):
    return invoke(ws, "check", env={"PHONEBANK_TODAY": today})


FILES_NOTE = f"  Files: {RECORDS_NOTE}"  # the records are not spreadsheets (phonebank.records)


def test_clean_workspace(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS)
    write_results(ws, "east", [result("v1", "supporter"), result("v2", "not_home")])
    result_ = run_check(invoke, ws)
    assert result_.exit_code == 0, result_.output
    assert result_.stderr == ""
    assert result_.stdout.splitlines() == [
        f"Workspace {ws.resolve()}",
        SCRIPT_OK,
        "  lists/east.csv: 3 voters",
        "  results/east: 2 saved calls in 1 file(s)",
        FILES_NOTE,
        "OK",
    ]


def test_empty_workspace_says_how_to_add_a_list(ws: Path, invoke) -> None:
    out = run_check(invoke, ws)
    assert out.exit_code == 0
    assert out.stdout.splitlines()[1:] == [
        SCRIPT_OK,
        "  lists/: no call lists yet — import one with `phonebank import SOURCE --list NAME`",
        FILES_NOTE,
        "OK",
    ]


def test_past_elections_warn_but_do_not_fail(ws: Path, invoke) -> None:
    out = run_check(invoke, ws, today="2017-05-01")
    assert out.exit_code == 0
    assert out.stderr.splitlines() == [
        f"Warning: scripts.yaml:{line(ws, 'elections', 0, 'date')}: election 'primary' (Congressional Special "
        "Primary, 2017-04-04) is already past — update the date under elections: before calling",
    ]
    assert out.stdout.splitlines()[-1] == "OK, with 1 warning(s) above"


def test_election_day_itself_is_not_past(ws: Path, invoke) -> None:
    out = run_check(invoke, ws, today="2017-03-07")
    assert out.stderr == ""


def test_today_comes_from_the_clock_in_the_campaign_time_zone(ws: Path, invoke) -> None:
    # 2017-04-05 06:00 UTC is still April 4 in Los Angeles: the primary is not past yet. (The March 7
    # municipal election is `ours: false`, a reminder not to confuse dates: never warned about.)
    out = invoke(ws, "check", env={"PHONEBANK_NOW": "2017-04-05T06:00:00Z"})
    assert out.stderr == ""
    out = invoke(ws, "check", env={"PHONEBANK_NOW": "2017-04-05T08:00:00Z"})
    assert "election 'primary'" in out.stderr and "municipal" not in out.stderr


def test_a_script_without_a_callback_code_is_a_warning(ws: Path, invoke) -> None:
    script = ws / "scripts.yaml"
    text = script.read_text()
    assert text.count("effect: callback") == 1
    script.write_text(text.replace("{id: call_back, effect: callback,", "{id: call_back, effect: retry,"))
    write_list(ws, "east", VOTERS)
    out = run_check(invoke, ws)
    assert out.exit_code == 0, out.output
    assert out.stderr.splitlines() == [
        f"Warning: scripts.yaml:{line(ws, 'codes')}: no code has effect callback — volunteers cannot set a time to "
        "call a voter back ('Call back later'); add a code with effect: callback under codes: (like call_back in "
        "the sample scripts.yaml)"
    ]
    assert out.stdout.splitlines()[1:] == [SCRIPT_OK, "  lists/east.csv: 3 voters",
                                           "  results/east: 0 saved calls in 0 file(s)", FILES_NOTE,
                                           "OK, with 1 warning(s) above"]
    findings = check_workspace(Workspace(ws), today=dt.date(2017, 3, 1))
    assert [k for k, _ in findings.items] == [OK, WARNING, OK, OK]


def test_invalid_script_exits_2_and_still_checks_the_lists(ws: Path, invoke) -> None:
    script = ws / "scripts.yaml"
    at = line(ws, "codes", 10, "effect")
    script.write_text(script.read_text().replace("{id: moved, effect: final,", "{id: moved, effect: finished,"))
    write_list(ws, "east", VOTERS)
    out = run_check(invoke, ws)
    assert out.exit_code == 2
    assert out.stderr.splitlines() == [
        f"Error: scripts.yaml:{at}: effect 'finished' does not exist — use one of: final, final_for_number, "
        "retry, callback, do_not_call"
    ]
    assert "  lists/east.csv: 3 voters" in out.stdout
    assert out.stdout.splitlines()[-1] == (
        "1 error(s), 0 warning(s) — fix the errors above and run `phonebank check` again"
    )


def test_duplicate_voter_ids_are_an_error(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS + [("v2", "+12135550105", ""), ("v1", "+12135550106", ""), ("v1", "+1213", "")])
    out = run_check(invoke, ws)
    assert out.exit_code == 1
    assert out.stderr.splitlines() == [
        "Error: lists/east.csv: 2 voter_id(s) appear more than once (v1, v2) — each voter needs its own "
        "voter_id; re-import the list with `phonebank import SOURCE --list east --replace`"
    ]


def test_voters_without_a_phone_are_a_warning(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS + [("v4", "", ""), ("v5", "", "")])
    out = run_check(invoke, ws)
    assert out.exit_code == 0
    assert "  lists/east.csv: 5 voters" in out.stdout
    assert out.stderr.splitlines() == [
        "Warning: lists/east.csv: 2 voter(s) have no phone number (v4, v5) — they will be skipped"
    ]


def test_a_file_that_is_not_a_call_list(ws: Path, invoke) -> None:
    (ws / "lists" / "raw.csv").write_text("Name,Phone\nAna,2135550101\n")
    write_list(ws, "east", VOTERS)
    out = run_check(invoke, ws)
    assert out.exit_code == 1
    assert out.stderr.splitlines() == [
        "Error: lists/raw.csv:1: not a phonebank call list (missing column voter_id, first_name, last_name, "
        "phone_1, zip, city, state, language, age, party, source_system, source_id) — create lists with "
        "`phonebank import SOURCE --list NAME`"
    ]
    assert "  lists/east.csv: 3 voters" in out.stdout  # the other lists are still checked


def test_results_torn_last_line_and_damaged_rows_are_warnings(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS)
    path = write_results(ws, "east", [result("v1", "supporter")], tail=b"garbage,row\nab12cd34ef56,2017-03-2")
    out = run_check(invoke, ws)
    assert out.exit_code == 0, out.output
    assert "  results/east: 1 saved calls in 1 file(s)" in out.stdout
    assert out.stderr.splitlines() == [
        "Warning: results/east/ana_example.org.csv: last line is incomplete (a crash while saving?) — skipped",
        "Warning: results/east/ana_example.org.csv:3: damaged row (2 fields instead of 13) — skipped",
    ]
    assert path.read_bytes().endswith(b"2017-03-2")  # check never writes


def test_codes_missing_from_the_script_are_warnings_with_counts(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS)
    rows = [result("v1", "strong_support"), result("v2", "strong_support"), result("v3", "no_answer")]
    write_results(ws, "east", rows)
    undo = result("v3", "undo")
    undo.undoes = rows[2].row_id
    write_results(ws, "east", [undo], file="bo_example.org.csv")
    out = run_check(invoke, ws)
    assert out.exit_code == 0
    assert "  results/east: 2 saved calls in 2 file(s) (1 undone)" in out.stdout  # the undo and the undone call
    assert out.stderr.splitlines() == [
        "Warning: results/east: code 'no_answer' (1 saved call(s)) is not in scripts.yaml — these voters count "
        "as final; add the code back to scripts.yaml if it was renamed",
        "Warning: results/east: code 'strong_support' (2 saved call(s)) is not in scripts.yaml — these voters "
        "count as final; add the code back to scripts.yaml if it was renamed",
    ]


def test_results_without_a_list_and_unknown_voters(ws: Path, invoke) -> None:
    write_list(ws, "east", VOTERS)
    write_results(ws, "east", [result("v1", "supporter"), result("v9", "supporter")])
    write_results(ws, "west", [result("w1", "supporter", "west")])
    out = run_check(invoke, ws)
    assert out.exit_code == 0
    assert out.stderr.splitlines() == [
        "Warning: results/east: 1 saved call(s) name a voter_id that is not in lists/east.csv — was the list "
        "re-imported with new ids? Restore the list that was called",
        "Warning: results/west: there is no call list lists/west.csv for these results — restore the list or "
        "move the folder away",
    ]
    assert out.stdout.splitlines()[2:5] == [
        "  lists/east.csv: 3 voters",
        "  results/east: 2 saved calls in 1 file(s)",
        "  results/west: 1 saved calls in 1 file(s)",
    ]


def test_roster_and_do_not_call_list(ws: Path, invoke) -> None:
    (ws / "volunteers.csv").write_text(
        "email,first_name,last_name,zip,registered_at\n"
        "ana@example.org,Ana,Reyes,90033,2017-03-01T10:00:00-08:00\n"
        "bo@example.org,Bo,Kim,90012,2017-03-01T10:00:00-08:00\n"
        "ana@example.org,Ana María,Reyes,90033,2017-03-02T10:00:00-08:00\n"  # re-registered: newest wins
    )
    (ws / "do-not-call.csv").write_text(
        "phone,added_at,source,reason\n+12135550101,2017-03-01T10:00:00-08:00,call,refused\n"
    )
    out = run_check(invoke, ws)
    assert out.exit_code == 0, out.output
    assert "  volunteers.csv: 2 volunteers" in out.stdout
    assert "  do-not-call.csv: 1 numbers" in out.stdout


def test_unusable_roster_and_do_not_call_list_are_errors(ws: Path, invoke) -> None:
    (ws / "volunteers.csv").write_text("name,phone\nAna,1\n")
    (ws / "do-not-call.csv").write_text("number\n+12135550101\n")
    out = run_check(invoke, ws)
    assert out.exit_code == 1
    errors = out.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("Error: volunteers.csv:1: missing column email")
    assert errors[1].startswith(  # the do-not-call columns may grow (row_id): the line names them all
        "Error: do-not-call.csv:1: no 'phone' column — the first line must be phone,added_at,source,reason"
    )


def test_missing_results_folder_is_a_warning(ws: Path, invoke) -> None:
    (ws / "results").rmdir()
    out = run_check(invoke, ws)
    assert out.exit_code == 0
    assert out.stderr == "Warning: results/ is missing — create it (mkdir results); saved calls go there\n"


def test_check_workspace_core_takes_an_explicit_date(ws: Path) -> None:
    findings = check_workspace(Workspace(ws), today=dt.date(2017, 6, 7))
    kinds = [k for k, _ in findings.items]
    assert kinds == [OK, WARNING, WARNING, OK]  # primary and runoff; never the separate municipal one
    assert findings.exit_code == 0
    assert ERROR not in kinds


def test_repository_sample_workspace_passes(invoke) -> None:
    repo = Path(__file__).resolve().parent.parent
    out = run_check(invoke, repo)
    assert out.exit_code == 0, out.output
    assert SCRIPT_OK in out.stdout.splitlines()
    if (repo / "lists" / "ca34-sample.csv").exists():
        assert any(line.startswith("  lists/ca34-sample.csv: ") for line in out.stdout.splitlines())
