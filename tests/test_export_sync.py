"""`phonebank export van|pdi`: every layout column by column against the hand-computed fixture of
test_report.py, with the headers taken from the public sources of each format:

* VAN API bulk import, mapping type CanvassResults — move-coop/parsons:parsons/ngpvan/bulk_import.py
  (``bulk_apply_canvass_results``) and its fixture in move-coop/parsons:test/test_van/test_bulkimport.py:
  ``vanid,contacttypeid,resultid,datecanvassed,canvassedby,phone`` / ``1234,1,1,2020-01-01,987,5554443210``;
* VAN survey responses — NGP VAN API ``POST people/{vanId}/canvassResponses`` as sent by
  move-coop/parsons:parsons/ngpvan/people.py (``surveyQuestionId``, ``surveyResponseId``, canvass context);
* VAN Bulk Upload wizard to MyVoters — Kentucky Democratic Party help center, "Bulk Uploading Data to
  MyVoters" (MyVoter VAN ID first, Date Contacted, Phone Number, Canvass Result, one column per question);
* PDI flag records — move-coop/parsons:parsons/pdi/flags.py (``create_flags``: pdiId, flagEntryDate
  yyyy-MM-dd, acquisitionTypeId, flagId, questionId, contactId); the flag list —
  move-coop/parsons:parsons/pdi/flag_ids.py;
* PDI "Import ID Flags", per-person method — PDI help center, "Import Flag Data" (an ID column, one
  column per question, one row per person).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_export import UNDO_R12, export_rows, line_of
from test_report import (
    ALICE,
    ALICE_ROWS,
    BOB,
    BOB_ROWS,
    OVERLAP,
    build_workspace,
    run,
    write_list,
    write_results,
)

# the columns of each layout, from the sources above
PARSONS_CANVASS_FIXTURE = "vanid,contacttypeid,resultid,datecanvassed,canvassedby,phone".split(",")
PARSONS_CREATE_FLAGS_KEYS = ["pdiId", "flagEntryDate", "acquisitionTypeId", "flagId", "questionId", "contactId"]
VAN_API = [*PARSONS_CANVASS_FIXTURE, "countrycode"]
VAN_RESPONSES = ["vanid", "contacttypeid", "datecanvassed", "canvassedby", "surveyquestionid", "surveyresponseid"]
WIZARD = ["Voter File VANID", "Date Contacted", "Phone Number", "Canvass Result", "Carmona 2017 Support",
          "CA34 Aware of 4/4 Election", "Bernie 2016 Supporter"]
PDI_FLAGS = [*PARSONS_CREATE_FLAGS_KEYS, "phone"]
EXPORT_BLOCK = """export:
  van_support_question: Carmona 2017 Support
  van_support_question_id: 1201
  van_contact_type: Phone
  van_users: {alice@example.org: 987, bob@example.org: 654}
  pdi_support_question: "101"
  pdi_noncontact_question: "100"
  pdi_acquisition_type: Volunteer Phone Bank
  pdi_acquisition_type_id: "7"
  pdi_extra_flags: [AWAREY, AWAREN, BERNY, BERNN, BERNU]
"""
# organizer-mapped ids where no public id exists (Wrong Number, Left Message, Spanish): examples
ID_EDITS = [
    ("van_result: Wrong Number,", "van_result: Wrong Number, van_result_id: 9001,"),
    ("van_result: Left Message,", "van_result: Left Message, van_result_id: 9002,"),
    ("van_result: Spanish,", "van_result: Spanish, van_result_id: 9003,"),
    ('van_result: "1 - Strong Support",', 'van_result: "1 - Strong Support", van_response_id: 1301,'),
    ('van_result: "3 - Undecided",', 'van_result: "3 - Undecided", van_response_id: 1303,'),
    ('van_result: "5 - Strong Oppose",', 'van_result: "5 - Strong Oppose", van_response_id: 1305,'),
    ("    van_question: CA34 Aware of 4/4 Election\n", "    van_question: CA34 Aware of 4/4 Election\n    van_question_id: 1101\n"),
    ("    van_question: Bernie 2016 Supporter\n", "    van_question: Bernie 2016 Supporter\n    van_question_id: 1102\n"),
    ('van_response: "Yes", pdi_flag: AWAREY', 'van_response: "Yes", van_response_id: 11011, pdi_flag: AWAREY'),
    ('van_response: "No", pdi_flag: AWAREN', 'van_response: "No", van_response_id: 11012, pdi_flag: AWAREN'),
    ('van_response: "Yes", pdi_flag: BERNY', 'van_response: "Yes", van_response_id: 11021, pdi_flag: BERNY'),
    ('van_response: "No", pdi_flag: BERNN', 'van_response: "No", van_response_id: 11022, pdi_flag: BERNN'),
    ('van_response: "Not Sure", pdi_flag: BERNU', 'van_response: "Not Sure", van_response_id: 11023, pdi_flag: BERNU'),
]


def map_sync_ids(root: Path) -> None:
    """The workspace's scripts.yaml with every sync-back id mapped (the sample maps names only)."""
    path = root / "scripts.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in ID_EDITS:
        assert old in text, old
        text = text.replace(old, new)
    text = re.sub(r"(?ms)^export:\n.*\Z", EXPORT_BLOCK, text)
    path.write_text(text, encoding="utf-8")


def edit_script(root: Path, old: str, new: str) -> None:
    path = root / "scripts.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = build_workspace(tmp_path)
    map_sync_ids(root)
    write_results(root, "test", BOB, [*BOB_ROWS, UNDO_R12])  # strong_yes (not in scripts.yaml) undone
    return root


def script_error(ws: Path, anchor: str, message: str) -> str:
    """The Error: line of a problem on the first scripts.yaml line holding ``anchor``."""
    return f"Error: scripts.yaml:{line_of(ws, anchor)}: {message}"


def errors(ws: Path, *args: str) -> list[str]:
    result = run(ws, "export", *args)
    assert result.exit_code != 0, result.stdout
    return result.stderr.splitlines()


# -- VAN ------------------------------------------------------------------------------------------------------------
def test_van_wizard_one_row_per_attempt_iso_dates(ws: Path) -> None:
    rows, result = export_rows(ws, "van")
    assert rows == [
        WIZARD,
        ["501", "2017-03-11", "3235550101", "Not Home", "", "", ""],  # three not-homes: three rows
        ["501", "2017-03-12", "3235550101", "Not Home", "", "", ""],
        ["501", "2017-03-12", "3235550101", "Not Home", "", "", ""],
        ["502", "2017-03-11", "3235550102", "Wrong Number", "", "", ""],  # phone 1: the wrong number
        ["502", "2017-03-11", "3235550112", "", "1 - Strong Support", "Yes", "Yes"],  # phone 2: the ID
        ["504", "2017-03-11", "2135550104", "", "5 - Strong Oppose", "Yes", "No"],  # the undone supporter is gone
        ["508", "2017-03-12", "8185550108", "Call Back", "", "", ""],  # answers of a non-contact are not sent
        ["510", "2017-03-12", "3235550110", "Left Message", "", "", ""],
        ["511", "2017-03-12", "3235550111", "Busy", "", "", ""],
        ["512", "2017-03-11", "2125550112", "Wrong Number", "", "", ""],
    ]
    assert result.stderr.splitlines()[:2] == ["Note: 10 row(s) for 7 voter(s), one per call",
                                              "Note: 2 called voter(s) have no VAN ID and were left out"]
    assert "7 voter(s) have VAN IDs whose kind the import could not tell" in result.stderr


def test_van_api_canvass_results(ws: Path) -> None:
    rows, result = export_rows(ws, "van", "--layout", "api")
    assert rows[0][:6] == PARSONS_CANVASS_FIXTURE and rows[0] == VAN_API
    assert rows[1:] == [
        ["501", "1", "1", "2017-03-11", "987", "3235550101", "US"],  # Not Home 1, Phone 1, Alice 987
        ["501", "1", "1", "2017-03-12", "654", "3235550101", "US"],
        ["501", "1", "1", "2017-03-12", "654", "3235550101", "US"],
        ["502", "1", "9001", "2017-03-11", "987", "3235550102", "US"],  # Wrong Number: the organizer's id
        ["502", "1", "14", "2017-03-11", "987", "3235550112", "US"],  # a contact: Canvassed 14
        ["504", "1", "14", "2017-03-11", "987", "2135550104", "US"],
        ["508", "1", "17", "2017-03-12", "654", "8185550108", "US"],  # Call Back 17
        ["510", "1", "9002", "2017-03-12", "654", "3235550110", "US"],
        ["511", "1", "18", "2017-03-12", "654", "3235550111", "US"],  # Busy 18
        ["512", "1", "9001", "2017-03-11", "987", "2125550112", "US"],
    ]
    assert "Note: 10 row(s) for 7 voter(s), one per call" in result.stderr


def test_van_api_contact_type_and_country(ws: Path) -> None:
    edit_script(ws, "  van_contact_type: Phone\n", "  van_contact_type: Phone Bank\n")
    rows, _ = export_rows(ws, "van", "--layout", "api")
    assert {r[1] for r in rows[1:]} == {"67"}  # Phone Bank 67 (parsons people.py)
    edit_script(ws, "  van_contact_type: Phone Bank\n", "  van_contact_type: Call Center\n  van_contact_type_id: 201\n")
    rows, _ = export_rows(ws, "van", "--layout", "api")
    assert {r[1] for r in rows[1:]} == {"201"}
    write_list(ws, "ca", [("3001", "Ann", "Lee", "+14165550123", "+17875550123", "M5V", "ON", "van_myvoters", "77")])
    write_results(ws, "ca", ALICE, [("c1", "2017-03-11T12:00:00-08:00", "3001", "+14165550123", "busy", "", "", 5, "", ""),
                                    ("c2", "2017-03-11T12:05:00-08:00", "3001", "+17875550123", "busy", "", "", 5, "", "")])
    rows, result = export_rows(ws, "van", "--layout", "api", "--list", "ca")
    assert [(r[5], r[6]) for r in rows[1:]] == [("4165550123", "CA"), ("7875550123", "PR")]
    assert "vanid holds MyVoters VAN IDs: load the file in MyVoters mode (an API key ending |0)" in result.stderr


def test_van_api_missing_ids_name_their_lines(ws: Path) -> None:
    edit_script(ws, "van_result: Wrong Number, van_result_id: 9001,", "van_result: Wrong Number,")
    edit_script(ws, "  van_users: {alice@example.org: 987, bob@example.org: 654}\n", "  van_users: {alice@example.org: 987}\n")
    edit_script(ws, "  van_contact_type: Phone\n", "  van_contact_type: Call Center\n")
    assert errors(ws, "van", "--layout", "api") == [
        script_error(ws, '{id: wrong_number', "code 'wrong_number' ('Wrong Number' has no public VAN "
                     "id) has no van_result_id, which `phonebank export van --layout api` needs (2 call(s)) — add van_result_id: N, "
                     "the id VAN's GET canvassResponses/resultCodes lists for it"),
        script_error(ws, 'export:', "export.van_contact_type 'Call Center' has no public VAN id and "
                     "export.van_contact_type_id is not set, which `phonebank export van --layout api` needs — add "
                     "van_contact_type_id: N (VAN's GET canvassResponses/contactTypes lists them; Phone is 1, Phone Bank 67)"),
        script_error(ws, 'export:', "no VAN user id for the volunteer(s) bob@example.org, which "
                     "`phonebank export van --layout api` needs for canvassedby — add them under export.van_users (EMAIL: "
                     "VAN_USER_ID), or set export.van_canvassed_by: YOUR_VAN_USER_ID for everyone not listed"),
    ]
    edit_script(ws, "  van_contact_type: Call Center\n", "  van_contact_type: Phone\n  van_canvassed_by: 500\n")
    edit_script(ws, "van_result: Wrong Number,", "van_result: Wrong Number, van_result_id: 9001,")
    rows, _ = export_rows(ws, "van", "--layout", "api")
    assert [r[4] for r in rows[1:4]] == ["987", "500", "500"]  # Bob is not in van_users: the default user


def test_van_responses(ws: Path) -> None:
    rows, result = export_rows(ws, "van", "--layout", "responses")
    assert rows == [
        VAN_RESPONSES,
        ["502", "1", "2017-03-11", "987", "1201", "1301"],  # the support question: supporter
        ["502", "1", "2017-03-11", "987", "1101", "11011"],  # aware: yes
        ["502", "1", "2017-03-11", "987", "1102", "11021"],  # bernie: yes
        ["504", "1", "2017-03-11", "987", "1201", "1305"],  # other candidate
        ["504", "1", "2017-03-11", "987", "1101", "11011"],
        ["504", "1", "2017-03-11", "987", "1102", "11022"],
    ]  # 1008's call-back answered a question, but a non-contact's answers are not sent
    assert "Note: 6 row(s) for 7 voter(s), one per survey response" in result.stderr
    edit_script(ws, 'van_response: "No", van_response_id: 11022, pdi_flag: BERNN', 'van_response: "No", pdi_flag: BERNN')
    assert errors(ws, "van", "--layout", "responses") == [
        script_error(ws, 'BERNN', "answer 'no' of question 'bernie_2016' has no van_response_id, "
                     "which `phonebank export van --layout responses` needs — add van_response_id: \"...\" to that answer")]


def test_van_wizard_missing_names(ws: Path) -> None:
    edit_script(ws, "{id: busy, effect: retry, after_hours: 1, van_result: Busy,", "{id: busy, effect: retry, after_hours: 1,")
    assert errors(ws, "van") == [
        script_error(ws, '{id: busy', "code 'busy' has no van_result, which "
                     "`phonebank export van --layout wizard` needs (1 call(s)) — add van_result: \"...\" to that code")]


def test_van_unknown_code_stops_the_export(tmp_path: Path) -> None:
    root = build_workspace(tmp_path)  # r12 strong_yes is not in scripts.yaml and not undone
    map_sync_ids(root)
    assert errors(root, "van", "--layout", "api") == [
        script_error(root, 'codes:', "code 'strong_yes' (1 call(s) to export) is not in "
                     "scripts.yaml, so it has no van_result_id — add it back under codes: with van_result_id: ...")]


def test_van_with_no_van_ids_is_an_error(ws: Path) -> None:
    write_list(ws, "other", [("2001", "X", "Y", "+12135550999", "", "90031", "CA", "pdi", "CA2001")])
    write_results(ws, "other", ALICE, [("o1", "2017-03-11T12:00:00-08:00", "2001", "+12135550999", "not_home", "",
                                        "", 5, "", "")])
    assert errors(ws, "van", "--list", "other") == [
        "Error: none of the 1 called voter(s) in list other has a VAN ID (source_system van_myvoters, van_mycampaign, "
        "van with a source_id) — import the list from a VAN export so phonebank keeps the ID, or use "
        "`phonebank export results`"]


def test_van_before_any_call_is_just_the_header(ws: Path) -> None:
    write_list(ws, "fresh", [("3001", "X", "Y", "+12135550998", "", "90031", "CA", "van", "9")])
    for layout, header in (("wizard", WIZARD), ("api", VAN_API), ("responses", VAN_RESPONSES)):
        rows, result = export_rows(ws, "van", "--layout", layout, "--list", "fresh")
        assert rows == [header]
        assert "Note: 0 row(s) for 0 voter(s)" in result.stderr


def test_van_does_not_sync_an_overlapping_call_as_a_second_id(ws: Path) -> None:
    expected, _ = export_rows(ws, "van")
    write_results(ws, "test", BOB, [*BOB_ROWS, UNDO_R12, OVERLAP])  # Bob's supporter call on 1002's phone 1
    rows, result = export_rows(ws, "van")
    assert rows == expected  # phone 1 stays the wrong number, Alice's ID on phone 2 is the one ID
    assert ("Note: 1 overlapping call(s) left out: another volunteer's call to the same voter is sent instead "
            "(a hold lapsed while both called)") in result.stderr
    # once Alice's call is undone, Bob's is the voter's record: it is sent
    write_results(ws, "test", ALICE, [*ALICE_ROWS, ("u03", "2017-03-11T10:26:00-08:00", "1002", "", "undo", "", "",
                                                    0, "", "r03")])
    rows, result = export_rows(ws, "van")
    assert [r for r in rows if r[0] == "502"] == [["502", "2017-03-11", "3235550102", "Wrong Number", "", "", ""],
                                                 ["502", "2017-03-12", "3235550102", "", "1 - Strong Support", "No", ""]]
    assert "overlapping" not in result.stderr


# -- PDI ------------------------------------------------------------------------------------------------------------
PDI_VOTERS = [("2001", "Ana", "Paz", "+12135550201", "+13235550202", "90031", "CA", "pdi", "CA10002001"),
              ("2002", "Luz", "Rey", "+12135550203", "", "90031", "CA", "pdi", "CA10002002"),
              ("2003", "Eva", "Sol", "+12135550204", "", "90031", "CA", "van", "77")]
PDI_ROWS = [
    ("p1", "2017-03-11T10:00:00-08:00", "2001", "+12135550201", "wrong_number", "", "", 10, "", ""),
    ("p2", "2017-03-11T10:05:00-08:00", "2001", "+13235550202", "not_home", "", "", 10, "", ""),
    ("p3", "2017-03-12T10:05:00-07:00", "2001", "+13235550202", "supporter", "aware_election=no;bernie_2016=not_sure",
     "", 10, "", ""),
    ("p4", "2017-03-11T11:00:00-08:00", "2002", "+12135550203", "not_home", "", "", 10, "", ""),
    ("p5", "2017-03-11T11:30:00-08:00", "2002", "+12135550203", "not_home", "", "", 10, "", ""),
    ("p6", "2017-03-11T11:00:00-08:00", "2003", "+12135550204", "not_home", "", "", 10, "", ""),
]


@pytest.fixture
def pdi_ws(ws: Path) -> Path:
    write_list(ws, "p", PDI_VOTERS)
    write_results(ws, "p", ALICE, PDI_ROWS)
    return ws


def test_pdi_flag_records(pdi_ws: Path) -> None:
    rows, result = export_rows(pdi_ws, "pdi", "--list", "p")
    assert rows[0][:6] == PARSONS_CREATE_FLAGS_KEYS and rows[0] == PDI_FLAGS
    assert rows[1:] == [
        ["CA10002001", "2017-03-11", "7", "BNH", "100", "", "2135550201"],  # the bad number says which
        ["CA10002001", "2017-03-11", "7", "NAH", "100", "", ""],
        ["CA10002001", "2017-03-12", "7", "SS", "101", "", ""],  # the support question
        ["CA10002001", "2017-03-12", "7", "AWAREN", "AWARE0404", "", ""],
        ["CA10002001", "2017-03-12", "7", "BERNU", "BERNIE2016", "", ""],
        ["CA10002002", "2017-03-11", "7", "NAH", "100", "", ""],  # two not-homes that day: one flag
    ]
    assert result.stderr.splitlines() == ["Note: 6 row(s) for 2 voter(s), one per flag",
                                          "Note: 1 called voter(s) have no PDI ID or CA ID and were left out"]


def test_pdi_people_one_row_per_person(pdi_ws: Path) -> None:
    rows, result = export_rows(pdi_ws, "pdi", "--layout", "people", "--list", "p")
    assert rows == [["PDI ID", "101", "100", "AWARE0404", "BERNIE2016"],
                    ["CA10002001", "SS", "NAH", "AWAREN", "BERNU"],  # the latest flag per question
                    ["CA10002002", "", "NAH", "", ""]]
    assert "Note: 2 row(s) for 2 voter(s), one per person" in result.stderr


def test_pdi_flags_checked_against_the_published_list(pdi_ws: Path) -> None:
    edit_script(pdi_ws, "pdi_flag: NAH,", "pdi_flag: NH,")
    edit_script(pdi_ws, "  pdi_extra_flags: [AWAREY, AWAREN, BERNY, BERNN, BERNU]\n", "  pdi_extra_flags: [AWAREY]\n")
    edit_script(pdi_ws, '  pdi_acquisition_type_id: "7"\n', "")
    assert errors(pdi_ws, "pdi", "--list", "p") == [
        script_error(pdi_ws, 'AWAREN', "answer 'no' of question 'aware_election' flag 'AWAREN' is not "
                     "in PDI's published flag list (parsons pdi/flag_ids.py) — use a flag from PDI's list (GET /flag_ids), or, when "
                     "your account has it, add it to export.pdi_extra_flags"),
        script_error(pdi_ws, 'BERNU', "answer 'not_sure' of question 'bernie_2016' flag 'BERNU' is "
                     "not in PDI's published flag list (parsons pdi/flag_ids.py) — use a flag from PDI's list (GET /flag_ids), or, "
                     "when your account has it, add it to export.pdi_extra_flags"),
        script_error(pdi_ws, '{id: not_home', "code 'not_home' flag 'NH' is not in PDI's published "
                     "flag list (parsons pdi/flag_ids.py) — PDI's list spells it NAH: use pdi_flag: NAH"),
        script_error(pdi_ws, 'export:', "export.pdi_acquisition_type_id is not set, which `phonebank "
                     "export pdi --layout flags` needs — add pdi_acquisition_type_id: ... under export: (the id PDI's GET "
                     "/acquisition_types lists for 'Volunteer Phone Bank')"),
    ]


def test_pdi_does_not_sync_an_overlapping_call_as_a_second_id(pdi_ws: Path) -> None:
    expected, _ = export_rows(pdi_ws, "pdi", "--list", "p")
    write_results(pdi_ws, "p", BOB, [("p9", "2017-03-12T10:06:00-07:00", "2001", "+13235550202", "undecided",
                                      "aware_election=yes", "", 60, "", "", "p3")])
    rows, result = export_rows(pdi_ws, "pdi", "--list", "p")
    assert rows == expected
    assert "Note: 1 overlapping call(s) left out" in result.stderr


# -- ID kinds ---------------------------------------------------------------------------------------------------------
def test_ca_ids_are_refused_by_pdi_flag_records_with_the_reason(ws: Path) -> None:
    write_list(ws, "c", [("2001", "Ana", "Paz", "+12135550201", "", "90031", "CA", "pdi_ca", "10002001")])
    write_results(ws, "c", ALICE, [PDI_ROWS[1]])
    assert errors(ws, "pdi", "--list", "c") == [
        "Error: the 1 called voter(s) of list c with an ID have CA IDs: PDI's flag records take a PDI ID in pdiId (PDI "
        "IDs start with the state's letters; CA IDs with a digit) — use `phonebank export pdi --layout people`, whose "
        "ID column PDI's Import ID Flags page takes as CA IDs"]
    rows, _ = export_rows(ws, "pdi", "--layout", "people", "--list", "c")
    assert rows == [["CA ID", "101", "100", "AWARE0404", "BERNIE2016"], ["10002001", "", "NAH", "", ""]]


def test_a_pdi_id_starting_with_a_digit_is_a_ca_id(ws: Path) -> None:
    """Lists imported before the kinds were kept apart hold CA IDs as 'pdi': PDI's own rule tells them apart."""
    write_list(ws, "c", [("2001", "Ana", "Paz", "+12135550201", "", "90031", "CA", "pdi", "10002001"),
                         ("2002", "Luz", "Rey", "+12135550203", "", "90031", "CA", "pdi", "CA10002002")])
    write_results(ws, "c", ALICE, [PDI_ROWS[1], PDI_ROWS[3]])
    rows, result = export_rows(ws, "pdi", "--list", "c")
    assert [r[0] for r in rows[1:]] == ["CA10002002"]
    assert "1 called voter(s) with CA IDs left out: PDI's flag records take a PDI ID" in result.stderr
    assert errors(ws, "pdi", "--layout", "people", "--list", "c") == [
        "Error: the list holds both PDI IDs and CA IDs, and one file takes one kind — export each with --ids pdi or "
        "--ids ca"]
    rows, _ = export_rows(ws, "pdi", "--layout", "people", "--list", "c", "--ids", "ca")
    assert [r[0] for r in rows] == ["CA ID", "10002001"]


def test_mycampaign_ids_refused_by_the_wizard_and_kinds_never_mixed(ws: Path) -> None:
    write_list(ws, "m", [("1", "Ana", "Paz", "+12135550201", "", "90031", "CA", "van_mycampaign", "9001"),
                         ("2", "Luz", "Rey", "+12135550203", "", "90031", "CA", "van_myvoters", "5002")])
    write_results(ws, "m", ALICE, [("m1", "2017-03-11T12:00:00-08:00", "1", "+12135550201", "busy", "", "", 5, "", ""),
                                   ("m2", "2017-03-11T12:01:00-08:00", "2", "+12135550203", "busy", "", "", 5, "", "")])
    rows, result = export_rows(ws, "van", "--list", "m")
    assert [r[0] for r in rows[1:]] == ["5002"]
    assert ("1 called voter(s) with MyCampaign VAN IDs left out: VAN's Bulk Upload wizard loads results into MyVoters "
            "and needs MyVoters VAN IDs") in result.stderr
    assert errors(ws, "van", "--layout", "api", "--list", "m") == [
        "Error: the list holds both MyVoters VAN IDs and MyCampaign VAN IDs, and one file takes one kind — export each "
        "with --ids myvoters or --ids mycampaign"]
    rows, result = export_rows(ws, "van", "--layout", "api", "--list", "m", "--ids", "mycampaign")
    assert [r[0] for r in rows[1:]] == ["9001"]
    assert "vanid holds MyCampaign VAN IDs: load the file in MyCampaign mode (an API key ending |1)" in result.stderr
    assert errors(ws, "van", "--list", "m", "--ids", "mycampaign")[0].startswith(
        "Error: --ids mycampaign: VAN's Bulk Upload wizard loads results into MyVoters")
    assert errors(ws, "van", "--list", "m", "--ids", "ca") == [
        "Error: --ids ca is not an ID kind of VAN — use myvoters or mycampaign"]
    assert errors(ws, "results", "--list", "m", "--ids", "pdi") == [
        "Error: --ids is for `export van` and `export pdi` — leave it out of `export results`"]
    assert errors(ws, "van", "--list", "m", "--layout", "people")[0] == \
        "Error: --layout people is not a layout of `export van` — use one of: wizard, api, responses"
