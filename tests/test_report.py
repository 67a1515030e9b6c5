"""`phonebank report`: every number against a hand-computed fixture, and the vectorized per-voter
status against ``outcomes.fold`` + ``outcomes.status`` on randomized lists."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.lists import canonical_columns
from phonebank.outcomes import fold, status
from phonebank.results import HEADER_LINE, OLD_HEADER_LINE, CsvResultsStore, ResultRow, row_to_line
from phonebank.script import load_script
from phonebank.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
LA = ZoneInfo("America/Los_Angeles")
NOW = "2017-03-13T08:30:00-07:00"  # Monday 8:30 in Los Angeles (11:30 in New York), after the DST change
ALICE, BOB = "alice@example.org", "bob@example.org"
INJECT_NAME = "=cmd|' /C calc'!A0"
INJECT_NOTE = '=HYPERLINK("http://evil.example","click")'

# voter_id, first, last, phone_1, phone_2, zip, state, source_system, source_id
VOTERS = [
    ("1001", "Ana", "Reyes", "+13235550101", "", "90031", "CA", "van", "501"),
    ("1002", "Luis", "Soto", "+13235550102", "+13235550112", "90042", "CA", "van", "502"),
    ("1003", INJECT_NAME, "+SUM(1,2)", "+12135550103", "", "90033", "CA", "pdi", "PDI-3"),
    ("1004", "Rosa", "Díaz", "+12135550104", "", "90012", "CA", "van", "504"),
    ("1005", "Jorge", "Cruz", "+12135550105", "", "90031", "CA", "", ""),
    ("1006", "Marta", "Vega", "+13235550106", "", "90031", "CA", "van", "506"),
    ("1007", "Pedro", "Luna", "+12125550107", "", "10001", "NY", "van", "507"),
    ("1008", "Sofía", "Ruiz", "+18185550108", "", "90065", "CA", "van", "508"),
    ("1009", "Iván", "Mora", "+13235550109", "", "90031", "CA", "van", "509"),
    ("1010", "Elena", "Paz", "+13235550110", "", "90031", "CA", "van", "510"),
    ("1011", "Raúl", "Gil", "+13235550111", "", "90031", "CA", "van", "511"),
    ("1012", "Nora", "Sanz", "+12125550112", "+12125550122", "10001", "NY", "van", "512"),
    ("1013", "Tomás", "Rey", "+13235550113", "", "90031", "CA", "van", "513"),
]
# row_id, recorded_at, voter_id, phone, code, answers, note, seconds, callback_at, undoes[, overlaps]
ALICE_ROWS = [
    ("r01", "2017-03-11T10:15:00-08:00", "1001", "+13235550101", "not_home", "", "", 30, "", ""),
    ("r02", "2017-03-11T10:20:00-08:00", "1002", "+13235550102", "wrong_number", "", "", 20, "", ""),
    ("r03", "2017-03-11T10:25:00-08:00", "1002", "+13235550112", "supporter", "aware_election=yes;bernie_2016=yes",
     INJECT_NOTE, 300, "", ""),
    ("r04", "2017-03-11T10:40:00-08:00", "1003", "+12135550103", "undecided", "aware_election=no;bernie_2016=no",
     "+1 wants a yard sign", 240, "", ""),
    ("r05", "2017-03-11T10:50:00-08:00", "1004", "+12135550104", "supporter", "aware_election=no;bernie_2016=yes",
     "", 200, "", ""),
    ("r06", "2017-03-11T10:51:00-08:00", "1004", "", "undo", "", "", 0, "", "r05"),
    ("r07", "2017-03-11T10:52:00-08:00", "1004", "+12135550104", "other_candidate",
     "aware_election=yes;bernie_2016=no", "-2+3 @SUM(A1)", 180, "", ""),
    ("r15", "2017-03-11T11:00:00-08:00", "1012", "+12125550112", "wrong_number", "", "\tcall the cell", 12, "", ""),
]
BOB_ROWS = [
    ("r08", "2017-03-12T09:30:00-07:00", "1001", "+13235550101", "not_home", "", "", 25, "", ""),
    ("r09", "2017-03-12T11:05:00-07:00", "1005", "+12135550105", "refused", "", "@angry", 40, "", ""),
    ("r10", "2017-03-12T11:10:00-07:00", "1008", "+18185550108", "call_back", "aware_election=yes", "", 60,
     "2017-03-14T18:00:00-07:00", ""),
    ("r11", "2017-03-12T19:45:00-07:00", "1001", "+13235550101", "not_home", "", "", 15, "", ""),
    ("r12", "2017-03-12T20:00:00-07:00", "1009", "+13235550109", "strong_yes", "", "", 50, "", ""),
    ("r14", "2017-03-12T20:10:00-07:00", "1011", "+13235550111", "busy", "", "", 10, "", ""),
    ("r13", "2017-03-12T20:30:00-07:00", "1010", "+13235550110", "left_message", "", "", 35, "", ""),
]


def write_list(root: Path, name: str, voters) -> Path:
    path = root / "lists" / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*canonical_columns(2), "Address"])
        for vid, first, last, p1, p2, zip_, state, system, source in voters:
            w.writerow([vid, first, last, p1, p2, zip_, "Los Angeles" if state == "CA" else "New York", state,
                        "es", "40", "D", system, source, f"{vid} Main St"])
    return path


def result_lines(list_name: str, volunteer: str, rows, old: bool = False) -> bytes:
    """Rows as results lines: 14 fields, or 13 as files saved before the ``overlaps`` column (``old``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        row_id, at, vid, phone, code, answers, note, seconds, callback, undoes, *overlaps = row
        fields = [row_id, at, volunteer, list_name, vid, phone, code, answers, note, "en", str(seconds),
                  callback, undoes]
        if old:
            assert not overlaps
        else:
            fields.append(overlaps[0] if overlaps else "")
        writer.writerow(fields)
    return buf.getvalue().encode()


def write_results(root: Path, list_name: str, volunteer: str, rows, extra: bytes = b"", old: bool = False) -> Path:
    folder = root / "results" / list_name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{volunteer}.csv"
    path.write_bytes((OLD_HEADER_LINE if old else HEADER_LINE).encode() + result_lines(list_name, volunteer, rows, old)
                     + extra)
    return path


def build_workspace(tmp_path: Path) -> Path:
    """The hand-computed fixture: 13 voters, 15 result rows (one undone) across the DST change."""
    root = tmp_path / "ws"
    (root / "lists").mkdir(parents=True)
    (root / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    write_list(root, "test", VOTERS)
    write_results(root, "test", ALICE, ALICE_ROWS)
    write_results(root, "test", BOB, BOB_ROWS)
    (root / "do-not-call.csv").write_text("phone,added_at,source,reason\n+13235550113,2017-03-01T10:00:00-08:00,import,dnc\n")
    (root / "volunteers.csv").write_text(
        "email,first_name,last_name,zip,registered_at\n"
        f"{ALICE},Alice,Ng,90031,2017-03-01T10:00:00-08:00\n{BOB},Bob,Ortiz,90042,2017-03-01T10:00:00-08:00\n")
    return root


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return build_workspace(tmp_path)


def run(ws: Path | None, *args: str, now: str = NOW):
    runner = CliRunner()
    argv = (["--workspace", str(ws)] if ws is not None else []) + list(args)
    return runner.invoke(cli, argv, env={"PHONEBANK_NOW": now}, catch_exceptions=False)


def report_json(ws: Path, *args: str, now: str = NOW) -> dict:
    result = run(ws, "report", "--format", "json", *args, now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- every number of the hand-computed fixture -------------------------------------------------------------
def test_progress(ws: Path) -> None:
    p = report_json(ws)["progress"]
    assert p == {
        "voters": 13,
        "attempted": 10,  # 1001-1005, 1008-1012
        "reached": 3,  # 1002, 1003, 1004
        "finished": 7,  # 1001 (3 not-homes), 1002-1005, 1009 (renamed code), 1013 (number on do-not-call.csv)
        "callable_now": 2,  # 1007 (new, New York 11:30), 1012 (wrong number on phone 1 of 2, New York)
        "waiting": 2,  # 1008 (call back Tue 18:00), 1010 (left message: 48 h)
        "held_by_hours": 2,  # 1006 (new, Los Angeles 8:30), 1011 (busy: due since Sunday 21:10, Los Angeles)
        "do_not_call": 2,  # 1005 (refused), 1013 (do-not-call.csv)
        "never_called": 3,  # 1006, 1007, 1013
    }


def test_progress_later_in_the_day_nobody_is_held(ws: Path) -> None:
    p = report_json(ws, now="2017-03-13T12:00:00-07:00")["progress"]
    assert (p["callable_now"], p["held_by_hours"], p["waiting"], p["finished"]) == (4, 0, 2, 7)
    p = report_json(ws, now="2017-03-15T12:00:00-07:00")["progress"]  # both waits are over
    assert (p["callable_now"], p["held_by_hours"], p["waiting"], p["finished"]) == (6, 0, 0, 7)


def test_callable_now_follows_the_queue_near_the_close(ws: Path) -> None:
    """In the last calling.hours.last_call_minutes the queue hands out no new voter: the report agrees."""
    import datetime as dt

    from phonebank.script import load_script
    from phonebank.store.files import FileStore
    from phonebank.workspace import Workspace

    for now, callable_la in (("2017-03-13T20:49:00-07:00", True), ("2017-03-13T20:51:00-07:00", False)):
        p = report_json(ws, now=now)["progress"]
        workspace = Workspace(ws)
        store = FileStore(workspace, load_script(workspace.script_path), "test",
                          lambda now=now: dt.datetime.fromisoformat(now))
        counts = store.counts()
        store.close()
        assert (p["callable_now"], p["held_by_hours"]) == (counts.callable_now, counts.held_by_hours), now
        assert (p["callable_now"] > 0) is callable_la, p


def test_calls_and_codes(ws: Path) -> None:
    r = report_json(ws)
    assert r["calls"] == {
        "dials": 13, "voters_called": 10, "contacts": 3, "contact_rate": 23.1,
        "ids": {"supporters": 1, "undecided": 1, "other_candidate": 1},
        "support_scale": {"1": 1, "2": 0, "3": 1, "4": 0, "5": 1},
        "seconds": 1017, "overlapping_calls": 0,
    }
    counts = {c["code"]: (c["count"], c["percent"]) for c in r["codes"]}
    assert counts == {
        "supporter": (1, 7.7), "undecided": (1, 7.7), "other_candidate": (1, 7.7), "not_home": (3, 23.1),
        "left_message": (1, 7.7), "busy": (1, 7.7), "wrong_number": (2, 15.4), "disconnected": (0, 0.0),
        "refused": (1, 7.7), "do_not_call": (0, 0.0), "moved": (0, 0.0), "deceased": (0, 0.0),
        "call_back": (1, 7.7), "language_spanish": (0, 0.0), "strong_yes": (1, 7.7),
    }
    assert [c["code"] for c in r["codes"]][:3] == ["supporter", "undecided", "other_candidate"]  # script order
    renamed = r["codes"][-1]
    assert (renamed["in_script"], renamed["label"]) == (False, "(not in scripts.yaml)")
    assert any("code 'strong_yes' (1 saved calls) is not in scripts.yaml" in w for w in r["warnings"])


def test_survey_crossed_with_support_respects_undo(ws: Path) -> None:
    survey = {q["question"]: q for q in report_json(ws)["survey"]}
    aware = survey["aware_election"]
    assert aware["voters"] == 4
    assert aware["answers"] == [
        {"answer": "yes", "label": "Yes", "voters": 3, "percent": 75.0,  # 1002, 1004 (not the undone answer), 1008
         "support": {"supporters": 1, "undecided": 0, "other_candidate": 1, "no_id": 1}, "supporter_percent": 50.0},
        {"answer": "no", "label": "No", "voters": 1, "percent": 25.0,
         "support": {"supporters": 0, "undecided": 1, "other_candidate": 0, "no_id": 0}, "supporter_percent": 0.0},
    ]
    bernie = survey["bernie_2016"]
    assert bernie["voters"] == 3
    assert [(a["answer"], a["voters"], a["percent"], a["support"]["supporters"], a["supporter_percent"])
            for a in bernie["answers"]] == [
        ("yes", 1, 33.3, 1, 100.0),  # 1002; 1004's "yes" was undone
        ("no", 2, 66.7, 0, 0.0),  # 1003 undecided, 1004 other candidate
        ("not_sure", 0, 0.0, 0, None),
    ]


def test_volunteers(ws: Path) -> None:
    vols = report_json(ws)["volunteers"]
    assert vols == [
        {"volunteer": BOB, "name": "Bob Ortiz", "calls": 7, "contacts": 0, "supporters": 0, "seconds": 235,
         "calls_per_hour": 107.2, "first_call": "2017-03-12T09:30:00-07:00", "last_call": "2017-03-12T20:30:00-07:00"},
        {"volunteer": ALICE, "name": "Alice Ng", "calls": 6, "contacts": 3, "supporters": 1, "seconds": 782,
         "calls_per_hour": 27.6, "first_call": "2017-03-11T10:15:00-08:00", "last_call": "2017-03-11T11:00:00-08:00"},
    ]


def test_calls_by_day_and_by_hour_across_the_dst_change(ws: Path) -> None:
    r = report_json(ws)
    assert r["by_day"] == [{"date": "2017-03-11", "calls": 6, "contacts": 3},
                           {"date": "2017-03-12", "calls": 7, "contacts": 0}]
    hours = {h["hour"]: (h["calls"], h["contacts"]) for h in r["by_hour"] if h["calls"]}
    # 09:30 PDT on the 12th is 16:30 UTC (hour 8 if read as PST); 10:15 PST on the 11th is 18:15 UTC
    assert hours == {9: (1, 0), 10: (5, 3), 11: (3, 0), 19: (1, 0), 20: (3, 0)}
    assert [h["hour"] for h in r["by_hour"]] == list(range(24))


def test_since_until_volunteer_filters(ws: Path) -> None:
    r = report_json(ws, "--since", "2017-03-12")
    assert (r["calls"]["dials"], r["calls"]["contacts"]) == (7, 0)
    assert r["filters"] == {"since": "2017-03-12", "until": None, "volunteer": None}
    assert r["progress"]["finished"] == 7  # progress is always as of now, over every call
    aware = r["survey"][0]
    assert (aware["voters"], aware["answers"][0]["support"]["no_id"], aware["answers"][0]["supporter_percent"]) == (1, 1, None)
    r = report_json(ws, "--until", "2017-03-11")
    assert (r["calls"]["dials"], r["calls"]["contacts"], [d["date"] for d in r["by_day"]]) == (6, 3, ["2017-03-11"])
    r = report_json(ws, "--since", "2017-03-11", "--until", "2017-03-11", "--volunteer", "BOB@example.org")
    assert (r["calls"]["dials"], r["volunteers"]) == (0, [])
    r = report_json(ws, "--volunteer", "ALICE@Example.org")
    assert (r["calls"]["dials"], [v["volunteer"] for v in r["volunteers"]]) == (6, [ALICE])


def test_bad_dates_and_lists(ws: Path) -> None:
    result = run(ws, "report", "--since", "2017-02-30")
    assert result.exit_code == 2
    assert result.stderr == "Error: --since '2017-02-30' is not a date — use YYYY-MM-DD, e.g. 2017-03-11\n"
    result = run(ws, "report", "--since", "2017-03-12", "--until", "2017-03-11")
    assert result.stderr == "Error: --since 2017-03-12 is after --until 2017-03-11 — swap them\n"
    result = run(ws, "report", "--list", "../secret")
    assert result.exit_code == 2
    assert "invalid list name '../secret'" in result.stderr
    result = run(ws, "report", "--list", "nope")
    assert result.stderr.startswith("Error: no list named 'nope' in ")
    assert "available: test;" in result.stderr
    write_list(ws, "second", VOTERS[:1])
    result = run(ws, "report")
    assert result.exit_code == 2
    assert result.stderr == "Error: this workspace has 2 lists (second, test) — pick one with --list NAME\n"
    assert report_json(ws, "--list", "second")["progress"]["voters"] == 1


# -- formats ------------------------------------------------------------------------------------------------
def test_table_has_bars_and_the_numbers(ws: Path) -> None:
    result = run(ws, "report")
    assert result.exit_code == 0
    out = result.stdout
    assert "Phone bank report — list test (Arturo Carmona for Congress)" in out
    assert re.search(r"Held back by calling hours now\s+2\s+15\.4%\s+█", out)
    assert "Dials 13   Contacts 3   Contact rate 23.1%   Voters called 10" in out
    assert re.search(r"Not home / no answer\s+3\s+23\.1%\s+█+", out)
    assert re.search(r"strong_yes \(not in scripts\.yaml\)\s+1\s+7\.7%", out)
    assert re.search(r"2017-03-12 Sun\s+7\s+█", out)
    assert re.search(r"09:00\s+1\s+█", out) and re.search(r"10:00\s+5\s+█+", out)
    assert "Warning: code 'strong_yes' (1 saved calls) is not in scripts.yaml" in result.stderr


def test_csv_format_is_long_and_safe(ws: Path) -> None:
    result = run(ws, "report", "--format", "csv")
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows[0] == ["section", "item", "field", "value"]
    table = {(s, i, f): v for s, i, f, v in rows[1:]}
    assert table[("progress", "callable_now", "")] == "2"
    assert table[("calls", "contact_rate", "")] == "23.1"
    assert table[("codes", "not_home", "count")] == "3"
    assert table[("survey", "bernie_2016=yes", "supporter_percent")] == "100.0"
    assert table[("volunteers", BOB, "calls_per_hour")] == "107.2"
    assert table[("by_hour", "09", "calls")] == "1"
    assert table[("filters", "since", "")] == ""


def test_markdown_format(ws: Path) -> None:
    out = run(ws, "report", "--format", "markdown").stdout
    assert out.startswith("# Phone bank report: test\n")
    assert "| Held back by calling hours now | 2 | 15.4% |" in out
    assert "| Yes | 3 | 75.0% | 1 | 0 | 1 | 1 | 50.0% |" in out
    assert f"| {BOB} | Bob Ortiz | 7 | 0 | 0 | 107.2 | 2017-03-12T09:30:00-07:00 | 2017-03-12T20:30:00-07:00 |" in out


def test_json_keys_are_stable(ws: Path) -> None:
    r = report_json(ws)
    assert list(r) == ["report_version", "list", "campaign", "time_zone", "generated_at", "filters", "warnings",
                       "progress", "calls", "codes", "survey", "volunteers", "by_day", "by_hour"]
    assert r["report_version"] == 1
    assert r["generated_at"] == "2017-03-13T08:30:00-07:00"
    assert set(r["codes"][0]) == {"code", "label", "effect", "contact", "support", "count", "percent", "in_script"}


def test_html_is_one_offline_page(ws: Path, tmp_path: Path) -> None:
    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    result = run(ws, "report", "--html", str(page))
    assert result.exit_code == 0
    assert result.stdout == ""  # only the page, unless --format is given too
    assert f"Wrote the report page to {page}" in result.stderr
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_mode & 0o777 == 0o600
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", text, re.I)
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert text.count("<svg ") >= 4  # progress, codes, support scale, by hour, by day
    assert "Not home / no answer" in text and ">107.2<" in text
    both = run(ws, "report", "--html", str(page), "--format", "json")
    assert json.loads(both.stdout)["calls"]["dials"] == 13


def test_html_escapes_what_it_shows(ws: Path, tmp_path: Path) -> None:
    write_results(ws, "test", "x@example.org", [
        ("z1", "2017-03-12T10:00:00-07:00", "1006", "+13235550106", "<script>alert(1)</script>", "", "", 5, "", "")])
    page = tmp_path / "r.html"
    run(ws, "report", "--html", str(page))
    text = page.read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_html_output_may_not_overwrite_workspace_data(ws: Path) -> None:
    result = run(ws, "report", "--html", str(ws / "lists" / "test.csv"))
    assert result.exit_code == 2
    assert "would overwrite the workspace's own data (lists/test.csv)" in result.stderr
    result = run(ws, "report", "--html", str(ws / "nowhere" / "r.html"))
    assert "does not exist — create it first" in result.stderr


# -- robustness ------------------------------------------------------------------------------------------------
def test_torn_last_line_and_damaged_rows_are_warnings(ws: Path) -> None:
    path = ws / "results" / "test" / f"{BOB}.csv"
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines.insert(3, b"garbage,with,too,few,fields")
    path.write_bytes(b"\n".join(lines) + b"r99,2017-03-12T21:00:00-07:00,bob@example.org,test,1006,+13")
    result = run(ws, "report", "--format", "json")
    assert result.exit_code == 0
    r = json.loads(result.stdout)
    assert r["calls"]["dials"] == 13  # the same calls: the damaged row and the torn line are skipped
    assert "Warning: skipped 1 incomplete last line(s) and 1 damaged row(s) in the results of test" in result.stderr
    assert f"Warning: results/test/{BOB}.csv: last line is incomplete (a crash while saving?) — skipped" in result.stderr
    assert f"Warning: results/test/{BOB}.csv:4: damaged row (5 fields instead of 13) — skipped" in result.stderr


def test_empty_results_and_no_results(ws: Path) -> None:
    shutil.rmtree(ws / "results" / "test")
    r = report_json(ws)
    assert r["calls"]["dials"] == 0 and r["volunteers"] == [] and r["by_day"] == []
    assert r["progress"]["voters"] == 13 and r["progress"]["never_called"] == 13
    assert r["progress"]["finished"] == 1  # 1013: its only number is on the do-not-call list
    assert r["survey"][0]["answers"][0]["percent"] is None
    table = run(ws, "report").stdout
    assert "No calls saved yet." in table
    (ws / "results" / "test").mkdir()
    (ws / "results" / "test" / "empty@example.org.csv").write_text("")
    (ws / "results" / "test" / "header@example.org.csv").write_text(HEADER_LINE)
    assert report_json(ws)["calls"]["dials"] == 0
    html = ws.parent / "empty.html"
    assert run(ws, "report", "--html", str(html)).exit_code == 0


def test_a_voter_id_repeated_in_the_list_counts_once(ws: Path) -> None:
    write_list(ws, "test", [*VOTERS, VOTERS[1]])
    r = report_json(ws)
    assert (r["progress"]["voters"], r["progress"]["reached"], r["calls"]["dials"]) == (13, 3, 13)
    assert "lists/test.csv repeats 1 voter_id(s) — the first row of each is used" in r["warnings"]


def test_calls_for_voters_no_longer_in_the_list(ws: Path) -> None:
    write_list(ws, "test", VOTERS[1:])  # 1001 (three not-homes) is gone from the list
    r = report_json(ws)
    assert (r["progress"]["voters"], r["progress"]["attempted"], r["calls"]["dials"]) == (12, 9, 13)
    assert "3 saved calls name 1 voter(s) not in lists/test.csv — counted in calls, not in list progress" in r["warnings"]


def test_excel_bom_and_crlf_results_file_are_read(ws: Path) -> None:
    path = ws / "results" / "test" / f"{BOB}.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    r = report_json(ws)
    assert r["calls"]["dials"] == 13 and r["warnings"][-1].startswith("code 'strong_yes'")


def test_report_does_not_import_pandas_until_run() -> None:
    import subprocess

    code = ("import sys; import phonebank.cli, phonebank.commands.report_cmd, phonebank.commands.export_cmd; "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_report_never_loads_pandas_and_an_export_after_it_still_can(ws: Path) -> None:
    """The report works on pyarrow columns with pandas set aside (pyarrow would load it only to look for
    pandas objects): its import is saved. An export later in the same process still gets its frames."""
    import os
    import subprocess

    code = ("import io, sys, contextlib\n"
            "from phonebank.cli import cli\n"
            "def run(*args):\n"
            "    out = io.StringIO()\n"
            "    with contextlib.redirect_stdout(out):\n"
            "        try:\n"
            "            cli.main(['-w', sys.argv[1], *args], prog_name='phonebank')\n"
            "        except SystemExit as exc:\n"
            "            assert exc.code in (0, None), exc.code\n"
            "    return out.getvalue()\n"
            "report = run('report', '--format', 'json')\n"
            "print('pandas' in sys.modules, '\"dials\": 13' in report)\n"
            "export = run('export', 'results')\n"
            "print('pandas' in sys.modules, export.count('\\n'))\n")
    done = subprocess.run([sys.executable, "-c", code, str(ws)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PHONEBANK_NOW": NOW}, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[:3] == ["False", "True", "True"] and int(words[3]) > 5, done.stdout  # a row per voter called


# -- the vectorized status equals outcomes.fold + outcomes.status ----------------------------------------------
CODES = ["supporter", "undecided", "other_candidate", "not_home", "not_home", "left_message", "busy",
         "wrong_number", "disconnected", "refused", "do_not_call", "moved", "call_back", "call_back",
         "language_spanish", "renamed_code"]


def _random_workspace(root: Path, seed: int, voters: int = 150, rows: int = 900) -> tuple[list, set, dt.datetime]:
    rng = random.Random(seed)
    (root / "lists").mkdir(parents=True)
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    people = []
    for i in range(voters):
        vid = str(5000 + i) if seed % 2 else f"V{i:04d}"  # numeric and text ids take different paths
        p1 = f"+1{rng.choice(['213', '323', '212', '818'])}555{rng.randrange(10000):04d}"
        p2 = f"+1{rng.choice(['213', '310'])}555{rng.randrange(10000):04d}" if rng.random() < 0.4 else ""
        if i % 37 == 5:  # a voter with no number at all (a list edited by hand)
            p1 = p2 = ""
        people.append((vid, "A", "B", p1, p2, rng.choice(["90031", "10001", ""]), "CA", "van", vid))
    write_list(root, "rand", people)
    dnc = {p[3] for p in rng.sample(people, 5)}
    base = dt.datetime(2017, 3, 8, 17, tzinfo=dt.UTC)
    files: dict[str, list[bytes]] = {}
    saved: list[str] = []
    stamps: list[str] = []
    for n in range(rows):
        volunteer = rng.choice(["a@x.org", "b@x.org", "c@x.org"])
        person = rng.choice(people[: voters - 10]) if rng.random() < 0.97 else ("Z999", "", "", "+12135550000", "")
        vid = person[0]
        when = (base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 10))).astimezone(LA)
        at = rng.choice(stamps) if stamps and rng.random() < 0.05 else when.isoformat(timespec="seconds")
        stamps.append(at)
        row_id = f"{seed:02d}{n:010x}"
        if saved and rng.random() < 0.06:
            code, undoes, phone = "undo", rng.choice(saved + ["nope"]), ""
        else:
            code, undoes = rng.choice(CODES), ""
            phone = rng.choice([p for p in person[3:5] if p] + [""]) if rng.random() < 0.98 else ""
        callback = ""
        if code == "call_back":
            callback = rng.choice(["", "soon", (when + dt.timedelta(hours=rng.randrange(1, 72))).isoformat()])
        r = ResultRow(recorded_at=at, volunteer=volunteer, list="rand", voter_id=vid, phone=phone, code=code,
                      answers={"bernie_2016": "yes"} if code == "supporter" else {}, seconds=rng.randrange(100),
                      callback_at=callback, undoes=undoes, row_id=row_id)
        files.setdefault(volunteer, []).append(row_to_line(r))
        saved.append(row_id)
    if seed % 3 == 0:  # a file the fast reader refuses: the contract's reader takes it, same rows
        files["c@x.org"].insert(2, b"not-a-time-row,not-a-time,c@x.org,rand,5001,,not_home,,,en,1,,\n")
    folder = root / "results" / "rand"
    folder.mkdir(parents=True)
    for volunteer, lines in files.items():
        (folder / f"{volunteer}.csv").write_bytes(HEADER_LINE.encode() + b"".join(lines))
    now = base + dt.timedelta(days=rng.choice([3, 6, 11]), hours=rng.randrange(24))
    return people, dnc, now


@pytest.mark.parametrize("seed", range(6))
def test_vectorized_status_matches_outcomes(tmp_path: Path, seed: int) -> None:
    from phonebank.report.data import effective_mask, read_list, read_results
    from phonebank.report.state import STATUSES, fold_frame, list_state

    people, dnc, now = _random_workspace(tmp_path / "ws", seed)
    ws = Workspace(tmp_path / "ws")
    script = load_script(ws.script_path)
    rows, problems = CsvResultsStore(ws.results_dir).read("rand")
    expected = fold(script, rows)
    voters = read_list(ws.list_path("rand"))
    results = read_results(ws.results_files("rand"))
    assert len(results.frame) == len(rows)
    folded = fold_frame(script, results.rows, effective_mask(results.rows), voters.ids)
    state = list_state(folded, voters, voters.phone_columns, dnc, now)
    ids = list(folded.voter_ids)
    checked = 0
    for i, person in enumerate(people):
        vid = person[0]
        phones = [p for p in person[3:5] if p]
        outcome = expected.get(vid)
        assert STATUSES[state.status[i]] == status(phones, outcome, dnc, now), vid
        assert ids[i] == vid
        assert folded.attempts[i] == (outcome.attempts if outcome else 0), vid
        if outcome:
            assert bool(folded.finished[i]) == outcome.finished, vid
            assert bool(folded.contacted[i]) == outcome.contacted, vid
            got_next = None if folded.next_at[i] == -(2 ** 63) else \
                dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(folded.next_at[i]))
            assert got_next == outcome.next_at, vid
            assert results.frame["row_id"].iloc[folded.last[i]] == outcome.last.row_id, vid
            dead = {p for v, p in zip(folded.dead_voter, folded.dead_phone, strict=True) if v == i}
            assert dead == outcome.dead_phones, vid
            checked += 1
    assert checked > 50
    stranger = ids.index("Z999") if "Z999" in ids else None
    if stranger is not None and "Z999" in expected:
        assert folded.attempts[stranger] == expected["Z999"].attempts


# -- the derived cache of parsed rows (.phonebank/report/LIST/) -------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_progress_counted_from_the_called_voters_equals_every_voters_status(tmp_path: Path, seed: int) -> None:
    """``marks`` works on the voters with calls and the list's zone counts; its figures are those of the
    status of every list voter (``list_state``), with and without a do-not-call list."""
    import numpy as np

    from phonebank.report import marks
    from phonebank.report.data import effective_mask, read_list, read_results
    from phonebank.report.state import (
        S_CALLABLE,
        S_FINISHED,
        S_NEW,
        S_WAITING,
        dnc_voters,
        due_now,
        fold_frame,
        list_state,
    )
    from phonebank.report.voters import list_zones

    _, dnc, now = _random_workspace(tmp_path / "ws", seed)
    ws = Workspace(tmp_path / "ws")
    script = load_script(ws.script_path)
    voters = read_list(ws.list_path("rand"))
    results = read_results(ws.results_files("rand"))
    folded = fold_frame(script, results.rows, effective_mask(results.rows), voters.ids)
    zones = list_zones(voters, None, None)
    assert len(zones.no_phone) >= 4
    n = folded.n_list
    phones = voters.phone_columns
    for numbers in (dnc, set()):
        state = list_state(folded, voters, phones, numbers, now)
        on_dnc, stuck_at = dnc_voters(voters, phones, numbers, zones.no_phone) if numbers else ([], zones.no_phone)
        stuck = np.zeros(n, dtype=bool)
        stuck[stuck_at] = True
        flags, next_at = marks.blank(n)
        touched, marked, due_at = marks.mark(folded, voters.take, phones, numbers, now, stuck)
        flags[touched], next_at[touched] = marked, due_at
        figures, due = marks.fixed(flags, next_at, stuck, np.asarray(on_dnc, dtype=np.int64), zones.zone_of,
                                   zones.counts)
        waiting, due_by_zone = due_now(due, now)
        assert figures["finished"] == int((state.status == S_FINISHED).sum())
        assert waiting == int((state.status == S_WAITING).sum())
        assert figures["never_called"] == int((folded.attempts[:n] == 0).sum())
        assert touched.tolist() == np.flatnonzero(folded.attempts[:n] > 0).tolist()
        due_mask = (state.status == S_NEW) | (state.status == S_CALLABLE)
        assert due_by_zone.tolist() == np.bincount(zones.zone_of[due_mask], minlength=len(zones.keys)).tolist()
        assert list(on_dnc) == np.flatnonzero(state.on_dnc).tolist()
        assert bool(numbers) == bool(len(on_dnc))


def _append(ws: Path, volunteer: str, data: bytes) -> None:
    with open(ws / "results" / "test" / f"{volunteer}.csv", "ab") as fh:
        fh.write(data)


def test_cache_is_private_and_reports_see_appended_calls(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = report_json(ws)
    cache = ws / ".phonebank" / "report" / "test"
    names = sorted(p.name for p in cache.iterdir())
    assert len(names) == 7 and names[1].startswith("list-") and [names[0], *names[2:]] == \
        ["ids.arrow", "manifest.json", "report-memo.arrow", "report-state.arrow", "rows.arrow", "zones.arrow"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in cache.iterdir())
    assert report_json(ws) == first  # from the cache: the same report
    store = CsvResultsStore(ws / "results")
    store.append(ResultRow(recorded_at="2017-03-13T08:00:00-07:00", volunteer=ALICE, list="test", voter_id="1006",
                           phone="+13235550106", code="supporter", answers={"bernie_2016": "yes"}, seconds=100))
    alice = ws / "results" / "test" / f"{ALICE}.csv"
    cached_at = json.loads((cache / "manifest.json").read_text())["files"][f"{ALICE}.csv"]["offset"]
    for few in (True, False):  # a few rows past the cache are parsed by each report; more: the cache is rewritten
        monkeypatch.setattr("phonebank.report.cache.FEW_ROWS", 20_000 if few else 0)
        r = report_json(ws)
        assert (r["calls"]["dials"], r["calls"]["contacts"], r["progress"]["reached"],
                r["progress"]["held_by_hours"]) == (14, 4, 4, 1)
        assert r["survey"][1]["answers"][0]["voters"] == 2
        manifest = json.loads((cache / "manifest.json").read_text())
        assert manifest["files"][f"{ALICE}.csv"]["offset"] == (cached_at if few else alice.stat().st_size)
        (cache / "report-memo.arrow").unlink()  # the same calls again: from the rows, not the kept report


def test_cache_sees_torn_then_completed_and_damaged_appends(ws: Path) -> None:
    report_json(ws)
    _append(ws, BOB, b"r20,2017-03-12T21:00:00-07:00,bob@example.org,test,1006,+13235550106,not_")
    result = run(ws, "report", "--format", "json")
    assert json.loads(result.stdout)["calls"]["dials"] == 13
    assert f"results/test/{BOB}.csv: last line is incomplete" in result.stderr
    _append(ws, BOB, b"home,,,en,20,,\n")
    result = run(ws, "report", "--format", "json")
    assert json.loads(result.stdout)["calls"]["dials"] == 14 and "incomplete" not in result.stderr
    _append(ws, BOB, b"a,damaged,row\n")
    result = run(ws, "report", "--format", "json")
    assert json.loads(result.stdout)["calls"]["dials"] == 14
    assert f"results/test/{BOB}.csv:10: damaged row (3 fields instead of 13) — skipped" in result.stderr


def test_cache_is_dropped_when_a_file_is_rewritten(ws: Path) -> None:
    report_json(ws)
    path = ws / "results" / "test" / f"{BOB}.csv"
    data = path.read_bytes()
    path.write_bytes(data.replace(b",busy,,,en,10,", b",busy,,,en,99,"))  # same size, edited in place
    assert report_json(ws)["volunteers"][0]["seconds"] == 235 + 89
    path.write_bytes(data.split(b"r09")[0])  # cut back to its first row
    r = report_json(ws)
    assert (r["calls"]["dials"], [v["calls"] for v in r["volunteers"]]) == (7, [6, 1])
    path.unlink()
    assert report_json(ws)["calls"]["dials"] == 6
    write_list(ws, "test", VOTERS[:5])  # the list re-imported: the cached list is not used
    assert report_json(ws)["progress"]["voters"] == 5


@pytest.mark.parametrize("seed", [1, 2])
def test_cached_report_equals_a_fresh_one_after_appends(tmp_path: Path, seed: int) -> None:
    from phonebank.report.aggregate import build_report

    _random_workspace(tmp_path / "ws", seed)
    ws = Workspace(tmp_path / "ws")
    script = load_script(ws.script_path)
    now = dt.datetime(2017, 3, 15, 19, tzinfo=dt.UTC)
    files = ws.results_files("rand")
    full = {p: p.read_bytes() for p in files}
    for p, data in full.items():  # first half of every file, then a report that fills the cache
        lines = data.split(b"\n")
        p.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    build_report(ws, script, "rand", now=now)
    for p, data in full.items():
        p.write_bytes(data)
    cached = build_report(ws, script, "rand", now=now)
    assert cached == build_report(ws, script, "rand", now=now, use_cache=False)
    assert cached["calls"]["dials"] > 500


@pytest.mark.parametrize("pieces", ["as parsed", "joined"])
def test_rows_cached_in_the_parsers_pieces_are_read_back_whole(ws: Path, monkeypatch: pytest.MonkeyPatch,
                                                               pieces: str) -> None:
    """The first report writes the rows as the parser gave them (a batch per block, no copy to join
    them), or joined when they come in too many pieces; the next report uses them, every row."""
    import pyarrow as pa

    from phonebank.report import arrow_rows
    from phonebank.report import cache as report_cache
    from phonebank.report.data import CACHE_COLUMNS, read_table

    monkeypatch.setattr(arrow_rows, "BLOCK_BYTES", 300)  # two or three rows a block
    if pieces == "joined":
        monkeypatch.setattr(report_cache, "MAX_CHUNKS", 2)
    fresh = report_json(ws)  # nothing cached yet: every row parsed
    folder = report_cache.folder(Workspace(ws).index_dir, "test")
    with pa.memory_map(str(folder / report_cache.ROWS)) as source:
        reader = pa.ipc.open_file(source)
        batches, rows = reader.num_record_batches, reader.read_all()
    assert batches == 1 if pieces == "joined" else batches > 3
    files = Workspace(ws).results_files("test")
    cached = report_cache.load(folder, files)
    assert set(cached) == set(files) and cached.whole is not None and cached.whole.num_rows == rows.num_rows == 15
    assert rows.equals(read_table(files, CACHE_COLUMNS).table.unify_dictionaries().combine_chunks())
    (folder / "report-memo.arrow").unlink()
    (folder / "report-state.arrow").unlink()
    assert report_json(ws) == fresh  # every row from the cache


def test_the_contracts_reader_alone_gives_the_same_numbers(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = report_json(ws)
    import phonebank.report.data as data
    from phonebank.results import read_results_file

    monkeypatch.setattr(data, "FAST", False)
    shutil.rmtree(ws / ".phonebank" / "report")  # nothing kept: every row through the contract's reader
    read = []
    monkeypatch.setattr(data, "read_results_file", lambda path, problems: read.append(path) or
                        read_results_file(path, problems))
    assert report_json(ws) == expected
    assert len(read) == 2


def test_list_with_line_breaks_in_quoted_values(ws: Path) -> None:
    path = ws / "lists" / "test.csv"
    text = path.read_text(encoding="utf-8").replace("1002 Main St", '"1002 Main St\nApt 4"')
    path.write_text(text, encoding="utf-8")
    assert report_json(ws)["progress"]["voters"] == 13
    rows = list(csv.reader(io.StringIO(run(ws, "export", "supporters").stdout, newline="")))
    assert rows[1][-1] == "1002 Main St\nApt 4"


@pytest.mark.parametrize("value", [".inf", ".nan", "1.0e+300"])
def test_a_retry_delay_that_is_not_a_number_does_not_crash_the_report(ws: Path, value: str) -> None:
    script = ws / "scripts.yaml"
    script.write_text(script.read_text(encoding="utf-8").replace(
        "{id: busy, effect: retry, after_hours: 1,", f"{{id: busy, effect: retry, after_hours: {value},"),
        encoding="utf-8")
    result = run(ws, "report", "--format", "json")
    if result.exit_code == 2:  # scripts.yaml validation refuses the value: fine too, as long as it says so
        assert result.stderr.startswith("Error: scripts.yaml:")
        return
    r = json.loads(result.stdout)
    assert r["calls"]["dials"] == 13
    assert r["progress"]["waiting"] == (2 if value == ".nan" else 3)  # 1011's busy: due now, or never


def test_times_typed_by_hand_far_away_do_not_crash_anything(ws: Path, tmp_path: Path) -> None:
    _append(ws, BOB, b"u12,2017-03-12T20:01:00-07:00,bob@example.org,test,1009,,undo,,,en,0,,r12\n")  # for VAN
    _append(ws, ALICE, b"e1,0001-01-01T00:00:00+00:00,alice@example.org,test,1006,+13235550106,call_back,,,en,5,"
                       b"9999-12-31T23:59:59-12:00,\n"
                       b"e2,9999-12-31T23:59:59+00:00,alice@example.org,test,1007,+12125550107,not_home,,,en,5,,\n")
    r = report_json(ws)
    assert r["calls"]["dials"] == 14  # counted as calls ...
    assert sum(d["calls"] for d in r["by_day"]) == 12 and sum(h["calls"] for h in r["by_hour"]) == 12  # ... undated
    alice = next(v for v in r["volunteers"] if v["volunteer"] == ALICE)
    assert (alice["calls"], alice["first_call"], alice["last_call"]) == \
        (8, "2017-03-11T10:15:00-08:00", "2017-03-11T11:00:00-08:00")
    assert run(ws, "report").exit_code == 0
    assert run(ws, "report", "--html", str(tmp_path / "r.html")).exit_code == 0
    from test_export_sync import map_sync_ids  # PDI's export needs its ids mapped

    map_sync_ids(ws)
    for kind in ("results", "callbacks", "van", "pdi"):
        assert run(ws, "export", kind).exit_code == 0, kind
    assert run(ws, "export", "van", "--layout", "api").exit_code == 0  # an undated call: no datecanvassed
    rows = list(csv.reader(io.StringIO(run(ws, "export", "callbacks").stdout, newline="")))
    assert [(r[0], r[18], r[22]) for r in rows[1:]] == [("1006", "", "9999-12-31T23:59:59-12:00"),
                                                        ("1008", "2017-03-12T11:10:00-07:00", "2017-03-14T18:00-07:00")]


@pytest.mark.parametrize("target", ["results/test/bob@example.org.csv", "lists/test.csv"])
def test_damaged_bytes_never_crash_report_or_export(ws: Path, target: str) -> None:
    """Random damage (bytes inserted, deleted, replaced) gives a report or a one-line error, never a traceback."""
    from phonebank.errors import PhonebankError
    from phonebank.exports.core import build_export
    from phonebank.report.aggregate import build_report

    rng = random.Random(target)
    workspace = Workspace(ws)
    script = load_script(workspace.script_path)
    path = ws / target
    original = path.read_bytes()
    now = dt.datetime(2017, 3, 13, 15, tzinfo=dt.UTC)
    tokens = [b",", b"\n", b'"', b"\r", b"\x00", b"\xff", b"\x1c", b"=1+2", b"undo", b"-1",
              b"9999-12-31T23:59:59+14:00", b"99999999999999999999"]
    for i in range(15):
        data = bytearray(original)
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(data))
            op = rng.random()
            if op < 0.4:
                data[at:at] = rng.choice(tokens)
            elif op < 0.7:
                del data[at:at + rng.randrange(1, 20)]
            else:
                data[at] = rng.randrange(256)
        path.write_bytes(bytes(data))
        for kind in ("report", "results", "van"):
            try:
                if kind == "report":
                    build_report(workspace, script, "test", now=now, use_cache=bool(i % 2))
                else:
                    build_export(workspace, script, "test", kind, now=now, use_cache=bool(i % 2))
            except PhonebankError:
                pass


# -- files saved before the overlaps column, overlapping calls, long notes -------------------------------------
def _frames_agree(ws: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """Every row through the fast reader and through the contract's reader: the same frame."""
    import phonebank.report.data as data

    files = Workspace(ws).results_files("test")
    fast = data.read_results(files, data.EXPORT_COLUMNS)
    with monkeypatch.context() as m:
        m.setattr(data, "FAST", False)
        slow = data.read_results(files, data.EXPORT_COLUMNS)
    assert fast.slow_files == []  # the fast reader took every file
    assert fast.problems.bad == slow.problems.bad == []
    for name in data.EXPORT_COLUMNS:
        assert fast.frame[name].astype(str).tolist() == slow.frame[name].astype(str).tolist(), name
    return fast, slow


def test_old_13_column_files_give_the_same_report(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = report_json(ws)
    write_results(ws, "test", ALICE, ALICE_ROWS, old=True)
    write_results(ws, "test", BOB, BOB_ROWS, old=True)
    assert (ws / "results" / "test" / f"{BOB}.csv").read_bytes().startswith(OLD_HEADER_LINE.encode())
    fast, _ = _frames_agree(ws, monkeypatch)
    assert set(fast.frame["overlaps"]) == {""} and len(fast.frame) == 15
    assert report_json(ws) == expected
    assert run(ws, "report").stderr.count("damaged") == 0
    import phonebank.report.data as data

    monkeypatch.setattr(data, "FAST", False)
    assert report_json(ws) == expected


def test_a_file_with_old_rows_then_new_rows_is_read_in_file_order(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = report_json(ws)
    # Bob's file was started before overlaps existed; the calls saved since have 14 fields; a blank line
    path = write_results(ws, "test", BOB, BOB_ROWS[:3], old=True)
    with open(path, "ab") as fh:
        fh.write(result_lines("test", BOB, BOB_ROWS[3:5]) + b"\n" + result_lines("test", BOB, BOB_ROWS[5:6], old=True)
                 + result_lines("test", BOB, BOB_ROWS[6:]))
    fast, slow = _frames_agree(ws, monkeypatch)
    assert fast.frame["row_id"].tolist() == [r[0] for r in ALICE_ROWS + BOB_ROWS]  # file order, as the contract
    rows, problems = CsvResultsStore(ws / "results").read("test")
    assert (len(rows), problems.bad, problems.torn) == (15, [], [])
    assert report_json(ws) == expected  # fills the cache
    assert report_json(ws) == expected  # from the cache
    _append(ws, BOB, result_lines("test", BOB, [("r40", "2017-03-13T08:00:00-07:00", "1006", "+13235550106",
                                                 "not_home", "", "", 5, "", "")]))
    assert report_json(ws)["calls"]["dials"] == 14


def test_cache_of_the_13_column_shape_is_not_used(ws: Path) -> None:
    import pyarrow as pa

    import phonebank.report.cache as cache

    expected = report_json(ws)
    folder = ws / ".phonebank" / "report" / "test"
    files = Workspace(ws).results_files("test")
    assert set(cache.load(folder, files)) == set(files)
    table = pa.ipc.open_file(pa.memory_map(str(folder / "rows.arrow"))).read_all()
    cache._write_table(folder / "rows.arrow", table.drop_columns(["overlaps"]))  # the old shape
    assert cache.load(folder, files) == {}
    cache._write_table(folder / "rows.arrow", table)
    assert set(cache.load(folder, files)) == set(files)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == cache.VERSION == 3
    manifest["version"] = 2  # a cache of one Arrow file per results file
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert cache.load(folder, files) == {}
    assert report_json(ws) == expected


OVERLAP = ("r30", "2017-03-12T10:00:00-07:00", "1002", "+13235550102", "supporter", "aware_election=no", "", 90, "",
           "", "r03")  # Bob's hold on 1002 lapsed while Alice called: his supporter call overlaps her r03


def test_an_overlapping_call_is_a_dial_not_a_second_id(ws: Path, tmp_path: Path) -> None:
    write_results(ws, "test", BOB, [*BOB_ROWS, OVERLAP])
    r = report_json(ws)
    c = r["calls"]
    assert (c["dials"], c["contacts"], c["voters_called"], c["seconds"]) == (14, 4, 10, 1107)  # a dial, a contact
    assert c["ids"] == {"supporters": 1, "undecided": 1, "other_candidate": 1}  # 1002 counted once
    assert c["support_scale"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 1}
    assert c["overlapping_calls"] == 1
    assert {c["code"]: c["count"] for c in r["codes"]}["supporter"] == 2  # every call in the codes
    bob = next(v for v in r["volunteers"] if v["volunteer"] == BOB)
    assert (bob["calls"], bob["contacts"], bob["supporters"]) == (8, 1, 0)
    # per voter, every call in time order: 1002's latest answer is Bob's
    aware = {a["answer"]: a["voters"] for a in r["survey"][0]["answers"]}
    assert aware == {"yes": 2, "no": 2}
    line = ("  Overlapping calls: 1 (a volunteer's hold lapsed while another called the same voter; counted as dials, "
            "not as IDs)")
    assert line in run(ws, "report").stdout.splitlines()
    assert "Overlapping calls: 1 (a volunteer's hold lapsed" in run(ws, "report", "--format", "markdown").stdout
    table = {(s, i, f): v for s, i, f, v in csv.reader(run(ws, "report", "--format", "csv").stdout.splitlines())}
    assert table[("calls", "overlapping_calls", "")] == "1"
    page = tmp_path / "r.html"
    run(ws, "report", "--html", str(page))
    assert "Overlapping calls: 1 (a volunteer&#x27;s hold lapsed" in page.read_text()
    assert report_json(ws) == r  # the same from the cache
    assert report_json(ws, "--volunteer", BOB)["calls"]["overlapping_calls"] == 1


def test_no_overlap_line_without_overlapping_calls(ws: Path) -> None:
    assert "Overlapping calls" not in run(ws, "report").stdout
    assert "Overlapping calls" not in run(ws, "report", "--format", "markdown").stdout


def test_an_overlapping_call_whose_other_call_was_undone_is_an_id(ws: Path) -> None:
    undo_r03 = ("u03", "2017-03-11T10:26:00-08:00", "1002", "", "undo", "", "", 0, "", "r03")
    write_results(ws, "test", ALICE, [*ALICE_ROWS, undo_r03])
    write_results(ws, "test", BOB, [*BOB_ROWS, OVERLAP])
    c = report_json(ws)["calls"]
    assert (c["dials"], c["ids"]["supporters"], c["support_scale"]["1"], c["overlapping_calls"]) == (13, 1, 1, 0)
    assert "Overlapping calls" not in run(ws, "report").stdout
    # an overlap that names a call of another voter (or its own row) duplicates nothing
    write_results(ws, "test", ALICE, ALICE_ROWS)
    write_results(ws, "test", BOB, [*BOB_ROWS, (*OVERLAP[:-1], "r04"), ("r31", *OVERLAP[1:-1], "r31")])
    c = report_json(ws)["calls"]
    assert (c["dials"], c["ids"]["supporters"], c["overlapping_calls"]) == (15, 3, 0)


def test_plain_ascii_rows_skip_pyarrows_utf8_check_and_any_other_byte_brings_it_back(
        ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    import phonebank.report.arrow_rows as arrow_rows
    import phonebank.report.data as data
    from phonebank.results import RESULT_COLUMNS

    seen: list[bool] = []
    parse = arrow_rows._parse
    monkeypatch.setattr(arrow_rows, "_parse", lambda *a, **k: seen.append(k.get("ascii", False)) or parse(*a, **k))
    _frames_agree(ws, monkeypatch)  # the sample's rows are plain ASCII: read unchecked, as the contract reads them
    assert seen and all(seen)
    seen.clear()
    _append(ws, BOB, b"r30,2017-03-13T08:00:00-07:00,bob@example.org,test,1006,+13235550106,not_home,,caf\xe9,"
                     b"en,5,,,\n")  # a note saved as Latin-1 by a spreadsheet: not UTF-8
    got = data.read_results(Workspace(ws).results_files("test"), data.EXPORT_COLUMNS)
    assert seen and not any(seen)  # pyarrow checks every value again, refuses, and the contract reads the file
    assert got.slow_files == [str(ws / "results" / "test" / f"{BOB}.csv")]
    assert len(got.rows) == 16 and got.rows.texts("note")[-1].startswith("caf")  # the contract's reading of it
    # the check is really skipped when the bytes are known to be ASCII (so the ASCII test above is what guards it)
    bad = memoryview(b"r31,2017-03-13T08:00:00-07:00,b,test,1006,+1,not_home,,caf\xe9,en,5,,,\n")
    types = {name: pa.string() for name in RESULT_COLUMNS}
    assert parse(bad, RESULT_COLUMNS, types, ["note"], ascii=False) is None
    assert parse(bad, RESULT_COLUMNS, types, ["note"], ascii=True) is not None


def test_the_longest_note_round_trips_through_every_reader(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from phonebank.results import NOTE_MAX

    note = ('"é,' * NOTE_MAX)[:NOTE_MAX]  # quotes doubled and 2-byte characters: the longest line there is
    store = CsvResultsStore(ws / "results")
    store.append(ResultRow(recorded_at="2017-03-13T08:00:00-07:00", volunteer=BOB, list="test", voter_id="1006",
                           phone="+13235550106", code="not_home", note=note, row_id="long"))
    fast, slow = _frames_agree(ws, monkeypatch)
    assert fast.frame["note"].tolist()[-1] == note
    rows, problems = store.read("test")
    assert [r.note for r in rows if r.row_id == "long"] == [note] and problems.bad == []
    assert report_json(ws)["calls"]["dials"] == 14
    export = list(csv.reader(io.StringIO(run(ws, "export", "results").stdout, newline="")))
    assert any(row[0] == "1006" and row[23] == note for row in export)


def test_a_note_longer_than_the_csv_field_limit_saved_before_the_cap_is_read(ws: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    csv.field_size_limit(131_072)  # the csv module's default
    huge = "x" * 200_000
    _append(ws, BOB, result_lines("test", BOB, [("big", "2017-03-13T08:00:00-07:00", "1006", "+13235550106",
                                                 "supporter", "", huge, 5, "", "")], old=True))
    fast, _ = _frames_agree(ws, monkeypatch)
    assert len(fast.frame["note"].tolist()[-1]) == 200_000
    result = run(ws, "report", "--format", "json")
    assert "damaged" not in result.stderr
    assert json.loads(result.stdout)["calls"]["ids"]["supporters"] == 2  # the voter is not offered again


@pytest.mark.parametrize("tail", [0, 1, 4095, 4096, 4097, 30_000])
def test_the_last_whole_line_is_found_however_long_the_torn_tail(tail: int) -> None:
    """The results are read into one buffer; a file's rows end at its last line end, looked for from the end a
    few kilobytes at a time — past a torn last line of any length, and never before the file's own start."""
    import numpy as np

    from phonebank.report.data import _after_last_line_end

    body = b"x" * 10 + b"a,b\n" + b"c,d\n" + b"t" * tail
    buf = np.frombuffer(b"\n" * 7 + body + b"\n", dtype=np.uint8)  # line ends outside the file's range
    start, stop = 7, 7 + len(body)
    assert _after_last_line_end(buf, start, stop) == start + 18
    assert _after_last_line_end(buf, start, start + 10) == start  # no line end in the range: none
    assert _after_last_line_end(buf, start, start) == start
