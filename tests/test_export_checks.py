"""The sync-back settings of scripts.yaml checked at load (shape only: a volunteer is never blocked by
an id an export may never need) — each problem one line naming its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phonebank.errors import ScriptError
from phonebank.script import parse_script

REPO = Path(__file__).resolve().parent.parent
SAMPLE = (REPO / "scripts.yaml").read_text(encoding="utf-8")
WITHOUT_EXTRA_FLAGS = re.sub(r"(?m)^  pdi_extra_flags: .*\n", "", SAMPLE)  # tests set their own


def problems(text: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        parse_script(text)
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_sample_loads_with_names_only() -> None:
    script = parse_script(SAMPLE)
    assert script.export.van_users == {}
    assert script.export.pdi_extra_flags == ["AWAREY", "AWAREN", "BERNY", "BERNN", "BERNU"]  # its own survey flags


def test_every_setting_is_read() -> None:
    text = WITHOUT_EXTRA_FLAGS.replace("  van_contact_type: Phone\n", "  van_contact_type: Phone\n  van_contact_type_id: 67\n"
                          "  van_canvassed_by: 500\n  van_users: {ana@example.org: 321}\n"
                          "  pdi_acquisition_type_id: 7\n  pdi_noncontact_question: Q100\n  pdi_extra_flags: [AWAREY]\n")
    text = text.replace("van_result: Wrong Number,", "van_result: Wrong Number, van_result_id: 9001,")
    e = parse_script(text).export
    assert (e.van_contact_type_id, e.van_canvassed_by, e.van_users, e.pdi_acquisition_type_id,
            e.pdi_noncontact_question, e.pdi_extra_flags) == (67, 500, {"ana@example.org": 321}, 7, "Q100", ["AWAREY"])
    assert parse_script(text).code("wrong_number").van_result_id == 9001


def test_bad_shapes_are_one_line_each() -> None:
    text = WITHOUT_EXTRA_FLAGS.replace("  van_contact_type: Phone\n", "  van_contact_type: Phone\n  van_contact_type_id: 0\n"
                          "  van_users: {Ana Reyes: 321}\n  pdi_extra_flags: [TOO-LONG-FLAG]\n")
    text = text.replace("van_result: Wrong Number, pdi_flag: BNH,", "van_result: Wrong Number, van_result_id: -4, pdi_flag: B N H,")
    export_line = line_of(text, "van_contact_type_id")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'van_result_id: -4')}: van_result_id -4 is not a VAN id — give the positive "
        "number VAN lists for it",
        f"scripts.yaml:{line_of(text, 'van_result_id: -4')}: pdi_flag 'B N H' is not a PDI flag id — flags are up to 10 "
        "letters or digits, e.g. SS, NAH, BNH",
        f"scripts.yaml:{export_line}: van_contact_type_id 0 is not a VAN id — give the positive number VAN lists for it",
        f"scripts.yaml:{export_line + 1}: van_users key 'Ana Reyes' is not a volunteer's e-mail — write EMAIL: "
        "VAN_USER_ID, one line per volunteer",
        f"scripts.yaml:{export_line + 2}: pdi_extra_flags item 1 'TOO-LONG-FLAG' is not a PDI flag id — flags are up to 10 "
        "letters or digits, e.g. SS, NAH, BNH",
    ]
