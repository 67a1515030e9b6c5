"""scripts.yaml: the sample loads, and every kind of mistake gets its own exact one-line message."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from phonebank.errors import ScriptError
from phonebank.script import EFFECTS, load_script, parse_script

ALLOWED = "version, campaign, calling, elections, questions, sections, codes, export"
LINE_FORMAT = re.compile(r"^scripts\.yaml:\d+: \S.* — \S.*$")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, f"the sample scripts.yaml no longer contains {old!r}"
    return text.replace(old, new, 1)


def line_of(text: str, snippet: str) -> int:
    """1-based number of the first line (comments skipped) that contains ``snippet``."""
    for number, line in enumerate(text.splitlines(), 1):
        if snippet in line and not line.lstrip().startswith("#"):
            return number
    raise AssertionError(f"{snippet!r} not found")


def problems(text: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        parse_script(text)
    for line in info.value.problems:
        assert LINE_FORMAT.match(line) or line.startswith("scripts.yaml: "), line
    return info.value.problems


# -- the sample ---------------------------------------------------------------------------------------


def test_sample_script_loads_with_the_campaign_facts(script_text: str) -> None:
    s = parse_script(script_text)
    assert s.campaign.candidate == "Arturo Carmona"
    assert s.campaign.time_zone == "America/Los_Angeles"
    assert s.campaign.languages == ["en", "es"]
    dates = {e.id: (e.date, e.ours) for e in s.elections}
    assert dates == {
        "primary": (dt.date(2017, 4, 4), True),
        "runoff": (dt.date(2017, 6, 6), True),
        "municipal": (dt.date(2017, 3, 7), False),
    }
    assert dt.date(2017, 4, 4).strftime("%A") == "Tuesday"
    order = [sec.id for sec in s.sections]
    assert order.index("election") < order.index("support")  # awareness before the support ask
    bernie = s.section("bernie")
    assert bernie.text["en"] == "**Were you a supporter of Bernie Sanders in the Primary in 2016?**"
    assert bernie.branches == {"yes": "berniecrat", "no": "organizer", "not_sure": "organizer"}
    assert [c.id for c in s.contact_codes] == ["supporter", "undecided", "other_candidate"]
    assert {c.effect for c in s.codes} == set(EFFECTS)
    assert s.code("refused").effect == "do_not_call"
    assert (s.calling.hours.start, s.calling.hours.end) == ("09:00", "21:00")
    assert s.calling.hours.last_call_minutes == 10  # the default


def test_template_script_is_the_sample_and_documents_last_call_minutes(script_text: str) -> None:
    template = (Path(__file__).resolve().parent.parent / "phonebank" / "template" / "scripts.yaml").read_text(encoding="utf-8")
    for text in (script_text, template):
        hours_line = next(line for line in text.splitlines() if line.lstrip().startswith("hours:"))
        assert "last_call_minutes" in hours_line and "08:00–21:00" in hours_line
        assert parse_script(text).calling.hours.last_call_minutes == 10


def test_load_script_reads_a_file_with_a_bom(tmp_path: Path, script_text: str) -> None:
    path = tmp_path / "scripts.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + script_text.encode())
    assert load_script(path).campaign.candidate == "Arturo Carmona"


def test_load_script_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as info:
        load_script(tmp_path / "scripts.yaml")
    assert info.value.problems == [
        "scripts.yaml: file not found — create it with `phonebank init` or restore it"
    ]


def test_load_script_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "scripts.yaml"
    path.write_bytes("version: 1\ncampaign: {name: Caf\xe9}\n".encode("latin-1"))
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert info.value.problems == [
        "scripts.yaml: not UTF-8 text (invalid continuation byte) — save the file as UTF-8"
    ]


# -- schema errors, one per test, exact messages ---------------------------------------------------


def test_unknown_key(script_text: str) -> None:
    text = edit(script_text, "  time_zone: America/Los_Angeles\n",
                "  time_zone: America/Los_Angeles\n  colour: red\n")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'colour:')}: unknown key 'colour' in campaign — remove it or fix its spelling"
    ]


def test_unknown_key_in_a_list_item(script_text: str) -> None:
    text = edit(script_text, "{id: busy, effect: retry,", "{id: busy, efect: retry,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'efect:')}: unknown key 'efect' in codes[6] — remove it or fix its spelling"
    ]


def test_unknown_top_level_key(script_text: str) -> None:
    text = edit(script_text, "\nexport:\n", "\nexports:\n")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'exports:')}: unknown key 'exports' at the top level — remove it or "
        f"fix its spelling (allowed: {ALLOWED})"
    ]


def test_missing_required_field(script_text: str) -> None:
    text = edit(script_text, "  website: www.arturocarmona.com\n", "")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'campaign:')}: campaign is missing 'website' — add it"
    ]


def test_missing_required_field_in_a_code(script_text: str) -> None:
    text = edit(script_text, ",\n     label: {en: Busy, es: Ocupado}}", "}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '{id: busy')}: codes[6] is missing 'label' — add it"
    ]


def test_missing_top_level_block(script_text: str) -> None:
    text = edit(script_text, "\nsections:\n", "\nsection:\n")
    assert problems(text) == [
        "scripts.yaml:1: the top level is missing 'sections' — add a 'sections:' block",
        f"scripts.yaml:{line_of(text, 'section:')}: unknown key 'section' at the top level — remove it or "
        f"fix its spelling (allowed: {ALLOWED})",
    ]


def test_duplicate_codes(script_text: str) -> None:
    text = edit(script_text, "{id: busy,", "{id: not_home,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'after_hours: 1,')}: duplicate code id 'not_home' (also item 4) — "
        "give each code its own id"
    ]


def test_branch_to_a_missing_section(script_text: str) -> None:
    text = edit(script_text, '"no": organizer', '"no": organiser')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'branches:')}: branch 'no' of section 'bernie' goes to section "
        "'organiser', which does not exist — use an existing section id or end"
    ]


def test_next_to_a_missing_section(script_text: str) -> None:
    text = edit(script_text, "    next: support\n", "    next: suport\n")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'next: suport')}: section 'berniecrat' goes next to 'suport', which "
        "does not exist — use an existing section id or end"
    ]


def test_branch_answer_that_the_question_does_not_have(script_text: str) -> None:
    text = edit(script_text, "not_sure: organizer}", "maybe: organizer}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'branches:')}: branch 'maybe' is not an answer of question "
        "'bernie_2016' — use one of: yes, no, not_sure"
    ]


def test_section_asks_a_missing_question(script_text: str) -> None:
    text = edit(script_text, "    ask: aware_election\n", "    ask: aware\n")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'ask: aware')}: section 'election' asks question 'aware', which does "
        "not exist — add it under questions: or fix the id"
    ]


@pytest.mark.parametrize("bad", ["April 4 2017", "2017-02-30", "04/04/2017"])
def test_unparseable_date(script_text: str, bad: str) -> None:
    text = edit(script_text, "date: 2017-04-04", f"date: {bad}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, f'date: {bad}')}: elections[1].date '{bad}' is not a date — "
        "write the date as YYYY-MM-DD, e.g. 2017-04-04"
    ]


def test_unknown_voter_variable(script_text: str) -> None:
    text = edit(script_text, "{voter.first_name}? Hi", "{voter.nickname}? Hi")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'voter.nickname')}: unknown variable {{voter.nickname}} — voter fields are "
        "first_name, last_name, city, zip, state, language, age, party"
    ]


def test_unknown_volunteer_variable(script_text: str) -> None:
    text = edit(script_text, "my name is\n        {volunteer.first_name}", "my name is\n        {volunteer.email}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'volunteer.email')}: unknown variable {{volunteer.email}} — volunteer fields "
        "are first_name, last_name"
    ]


def test_unknown_election_id(script_text: str) -> None:
    text = edit(script_text, "{election.runoff.weekday}, {election.runoff.date}.", "{election.general.date}.")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'election.general')}: unknown variable {{election.general.date}} — "
        "no election with id 'general' — use one of: municipal, primary, runoff"
    ]


def test_unknown_election_field(script_text: str) -> None:
    text = edit(script_text, "{election.runoff.weekday}, {election.runoff.date}.", "{election.runoff.day}.")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'election.runoff.day')}: unknown variable {{election.runoff.day}} — "
        "election fields are name, date, weekday, countdown"
    ]


def test_unknown_bare_variable(script_text: str) -> None:
    text = edit(script_text, "learn more at {website}", "learn more at {site}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '{site}')}: unknown variable {{site}} — use {{voter.FIELD}}, "
        "{volunteer.FIELD}, {election.ID.FIELD} or one of {candidate}, {campaign_name}, {district}, "
        "{website}, {contact_email}, {volunteer_signup}"
    ]


def test_unknown_code_effect(script_text: str) -> None:
    text = edit(script_text, "{id: moved, effect: final,", "{id: moved, effect: finished,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'effect: finished')}: effect 'finished' does not exist — use one of: "
        "final, final_for_number, retry, callback, do_not_call"
    ]


def test_unquoted_yes_as_an_answer_id(script_text: str) -> None:
    text = edit(script_text, '- {id: "yes", label: {en: "Yes", es: "Sí"}, van_response: "Yes", pdi_flag: AWAREY}',
                '- {id: yes, label: {en: "Yes", es: "Sí"}, van_response: "Yes", pdi_flag: AWAREY}')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '{id: yes')}: questions[1].answers[1].id was read as true — YAML reads "
        'yes/no/on/off as true/false: put the value in quotes, e.g. "yes"'
    ]


def test_unquoted_no_as_a_branch_key(script_text: str) -> None:
    text = edit(script_text, 'branches: {"yes": berniecrat, "no": organizer', 'branches: {"yes": berniecrat, no: organizer')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'branches:')}: a key in sections[3].branches was read as true/false — "
        'YAML reads yes/no/on/off as true/false: put the key in quotes, e.g. "yes": ...'
    ]


def test_calling_hours_written_unquoted(script_text: str) -> None:
    # YAML 1.1 reads 21:00 as the base-60 number 1260; the message must say what happened and the fix.
    text = edit(script_text, 'hours: {start: "09:00", end: "21:00"}', "hours: {start: 9:00, end: 21:00}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours start 9:00 was read as the number 540 (YAML "
        'reads unquoted times as minutes) — put the time in quotes: start: "09:00"'
    ]
    text = edit(script_text, 'end: "21:00"', "end: 21:00")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours end 21:00 was read as the number 1260 (YAML "
        'reads unquoted times as minutes) — put the time in quotes: end: "21:00"'
    ]


@pytest.mark.parametrize("value", ["9am", "25:00", "21:60"])
def test_calling_hours_not_a_time(script_text: str, value: str) -> None:
    text = edit(script_text, 'end: "21:00"', f'end: "{value}"')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours end '{value}' is not a time — write it in "
        'quotes as HH:MM, e.g. "09:00"'
    ]


def test_calling_hours_start_after_end(script_text: str) -> None:
    text = edit(script_text, 'hours: {start: "09:00", end: "21:00"}', 'hours: {start: "21:00", end: "09:00"}')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours start 21:00 is not before end 09:00 — fix the window"
    ]
    text = edit(script_text, 'hours: {start: "09:00", end: "21:00"}', 'hours: {start: "12:00", end: "12:00"}')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours start 12:00 is not before end 12:00 — fix the window"
    ]


HOURS_BLOCK = 'hours:\n    start: "{start}"\n    end: "{end}"\n'
RULES = "federal and most state rules allow calls 08:00–21:00 in the voter's time"


def hours_block(script_text: str, start: str = "09:00", end: str = "21:00", extra: str = "") -> str:
    """The sample with calling.hours as a block, one key a line, so each key has its own line."""
    block = HOURS_BLOCK.format(start=start, end=end) + (f"    {extra}\n" if extra else "")
    return edit(script_text, 'hours: {start: "09:00", end: "21:00"}', block.rstrip("\n"))


@pytest.mark.parametrize(
    ("start", "end", "key", "message"),
    [
        ("09:00", "22:00", "end", f"calling hours end 22:00 is after 21:00 — {RULES}; set end to 21:00 or earlier"),
        ("09:00", "21:01", "end", f"calling hours end 21:01 is after 21:00 — {RULES}; set end to 21:00 or earlier"),
        ("09:00", "24:00", "end", f"calling hours end 24:00 is after 21:00 — {RULES}; set end to 21:00 or earlier"),
        ("07:59", "21:00", "start", f"calling hours start 07:59 is before 08:00 — {RULES}; set start to 08:00 or later"),
        ("00:00", "21:00", "start", f"calling hours start 00:00 is before 08:00 — {RULES}; set start to 08:00 or later"),
        ("21:30", "21:00", "start", f"calling hours start 21:30 is after 21:00 — {RULES}; set start between 08:00 and "
                                    'the end, e.g. start: "09:00"'),
        ("07:00", "07:30", "end", f"calling hours end 07:30 is before 08:00 — {RULES}; set end between the start and "
                                  '21:00, e.g. end: "21:00"'),
    ],
)
def test_calling_hours_outside_8_to_21_name_the_line_of_that_key(script_text, start, end, key, message) -> None:
    text = hours_block(script_text, start, end)
    got = problems(text)
    snippet = f'{key}: "{end if key == "end" else start}"'
    assert f"scripts.yaml:{line_of(text, snippet)}: {message}" in got
    assert line_of(text, snippet) != line_of(text, "hours:")
    assert all(LINE_FORMAT.match(p) for p in got)


def test_calling_hours_end_22_in_the_flow_style_sample(script_text: str) -> None:
    text = edit(script_text, 'end: "21:00"', 'end: "22:00"')
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours end 22:00 is after 21:00 — federal and most state "
        "rules allow calls 08:00–21:00 in the voter's time; set end to 21:00 or earlier"
    ]


def test_calling_hours_24_00_is_no_longer_accepted(script_text: str) -> None:
    text = hours_block(script_text, "09:00", "24:00")
    end_line = line_of(text, 'end: "24:00"')
    assert problems(text) == [
        f"scripts.yaml:{end_line}: calling hours end 24:00 is after 21:00 — {RULES}; set end "
        "to 21:00 or earlier"
    ]


@pytest.mark.parametrize(("start", "end"), [("08:00", "21:00"), ("08:00", "08:01"), ("20:59", "21:00"), ("10:30", "19:45")])
def test_calling_hours_inside_8_to_21_are_accepted(script_text: str, start: str, end: str) -> None:
    s = parse_script(hours_block(script_text, start, end, "last_call_minutes: 0"))
    assert (s.calling.hours.start, s.calling.hours.end, s.calling.hours.last_call_minutes) == (start, end, 0)


@pytest.mark.parametrize("minutes", [0, 1, 10, 60, 120])
def test_last_call_minutes_is_read(script_text: str, minutes: int) -> None:
    s = parse_script(hours_block(script_text, extra=f"last_call_minutes: {minutes}"))
    assert s.calling.hours.last_call_minutes == minutes


@pytest.mark.parametrize("minutes", [121, 600, -1])
def test_last_call_minutes_outside_0_to_120(script_text: str, minutes: int) -> None:
    text = hours_block(script_text, extra=f"last_call_minutes: {minutes}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'last_call_minutes:')}: calling hours last_call_minutes {minutes} is not between "
        "0 and 120 — give the minutes before the window closes when no new voter is handed out, e.g. 10"
    ]


@pytest.mark.parametrize(("value", "says"), [("ten", "expected a whole number, got text"),
                                              ("7.5", "expected a whole number, got a number"),
                                              ('"10"', "expected a whole number, got text"),
                                              ("[10]", "expected a whole number, got a list")])
def test_last_call_minutes_not_a_whole_number(script_text: str, value: str, says: str) -> None:
    text = hours_block(script_text, extra=f"last_call_minutes: {value}")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'last_call_minutes:')}: calling.hours.last_call_minutes: {says} — fix the value"
    ]


def test_last_call_minutes_must_leave_time_in_the_window(script_text: str) -> None:
    text = hours_block(script_text, "09:00", "09:30", "last_call_minutes: 30")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'last_call_minutes:')}: calling hours last_call_minutes 30 leaves no time to hand "
        "out voters in the 09:00–09:30 window — set last_call_minutes below 30 or widen the window"
    ]
    assert parse_script(hours_block(script_text, "09:00", "09:30", "last_call_minutes: 29")).calling.hours.end == "09:30"
    text = hours_block(script_text, "09:00", "09:05")  # the default 10 does not fit
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'hours:')}: calling hours last_call_minutes 10 (the default) leaves no time to "
        "hand out voters in the 09:00–09:05 window — set last_call_minutes below 5 or widen the window"
    ]


def test_unknown_key_in_calling_hours(script_text: str) -> None:
    text = hours_block(script_text, extra="last_call: 10")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'last_call:')}: unknown key 'last_call' in calling.hours — remove it or fix its "
        "spelling"
    ]


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system",
                                 "!!python/object/apply:os.system"])
def test_python_tags_are_rejected(script_text: str, tag: str) -> None:
    text = edit(script_text, "version: 1", f"version: {tag} 1" if "apply" not in tag else f"version: {tag} [echo]")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'version:')}: tag {tag} is not allowed — scripts.yaml holds plain text "
        "and numbers only; remove the tag"
    ]


def test_duplicate_yaml_keys(script_text: str) -> None:
    text = edit(script_text, "  website: www.arturocarmona.com\n",
                "  website: www.arturocarmona.com\n  website: www.example.org\n")
    first = line_of(text, "website:")
    assert problems(text) == [
        f"scripts.yaml:{first + 1}: key 'website' appears twice in this block (first on line {first}) — keep one"
    ]


def test_yaml_syntax_error_has_its_line(script_text: str) -> None:
    text = edit(script_text, "  languages: [en, es]", "  languages: [en, es")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'calling:')}: YAML syntax error: did not find expected ',' or ']' — "
        "check the indentation and quoting on that line"
    ]


def test_yaml_bad_indentation(script_text: str) -> None:
    text = edit(script_text, "    ours: true\n    date: 2017-04-04", "    ours: true\n   date: 2017-04-04")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '   date: 2017-04-04')}: YAML syntax error: did not find expected '-' "
        "indicator — check the indentation and quoting on that line"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    assert problems(text) == [
        "scripts.yaml:1: the file is empty — start from `phonebank init` or the sample scripts.yaml"
    ]


def test_not_a_mapping() -> None:
    assert problems("- campaign\n- codes\n") == [
        "scripts.yaml:1: expected a mapping of sections (campaign:, sections:, codes: ...) — see the sample scripts.yaml"
    ]


def test_two_documents(script_text: str) -> None:
    text = script_text + "---\nversion: 1\n"
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '---')}: a second YAML document starts here (---) — keep everything in one document"
    ]


def test_missing_spanish_version(script_text: str) -> None:
    text = edit(script_text, "      es: Si nadie gana en la primaria, la segunda vuelta es el "
                "{election.runoff.weekday} {election.runoff.date}.\n", "")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'If no one wins') - 1}: "
        "elections[2].reminder has no 'es' version — add a line 'es: ...' under it"
    ]


def test_text_for_an_undeclared_language(script_text: str) -> None:
    text = edit(script_text, "  languages: [en, es]", "  languages: [en]")
    found = problems(text)
    assert len(found) > 20  # every Spanish text
    assert found[0] == (
        f"scripts.yaml:{line_of(text, '      es: Elección Primaria')}: language 'es' is not in "
        "campaign.languages (en) — add it there or remove this text"
    )


def test_text_given_as_one_string(script_text: str) -> None:
    text = edit(script_text, '    text:\n      en: "**Were you a supporter of Bernie Sanders in the Primary in 2016?**"\n'
                '      es: "**¿Usted apoyó a Bernie Sanders en la Primaria de 2016?**"',
                "    text: Were you a supporter of Bernie Sanders?")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'text: Were')}: sections[3].text: expected a block of key: value lines, "
        "got text — give one text per language on its own line under it, e.g. en: ... and es: ..."
    ]


def test_version_not_supported(script_text: str) -> None:
    text = edit(script_text, "version: 1", "version: 2")
    assert problems(text) == [f"scripts.yaml:{line_of(text, 'version:')}: version 2 is not supported — use version: 1"]


def test_unknown_time_zone(script_text: str) -> None:
    text = edit(script_text, "time_zone: America/Los_Angeles", "time_zone: Pacific")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'time_zone:')}: unknown time zone 'Pacific' — use an IANA name such as "
        "America/Los_Angeles"
    ]


def test_support_outside_the_scale_and_contact_without_support(script_text: str) -> None:
    text = edit(script_text, "contact: true, support: 3,", "contact: true, support: 7,")
    text = edit(text, "contact: true, support: 5,", "contact: true,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, 'support: 7')}: support 7 is outside the 1–5 scale — use 1 (strong "
        "support) to 5 (strong oppose)",
        f"scripts.yaml:{line_of(text, '{id: other_candidate')}: contact code 'other_candidate' has no support "
        "level — add support: 1..5",
    ]


def test_reserved_code_id(script_text: str) -> None:
    text = edit(script_text, "{id: busy,", "{id: undo,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '{id: undo')}: code id 'undo' is reserved for correcting rows — pick another id"
    ]


def test_invalid_id(script_text: str) -> None:
    text = edit(script_text, "{id: busy,", "{id: Busy Signal,")
    assert problems(text) == [
        f"scripts.yaml:{line_of(text, '{id: Busy')}: code id 'Busy Signal' is not valid — use lower-case "
        "letters, digits and _ (e.g. not_home)"
    ]


def test_several_problems_are_reported_at_once(script_text: str) -> None:
    # schema problems in different blocks...
    text = edit(script_text, "date: 2017-04-04", "date: April 4")
    text = edit(text, "{id: moved, effect: final,", "{id: moved, effect: finished,")
    text = edit(text, "  time_zone: America/Los_Angeles\n", "  time_zone: America/Los_Angeles\n  colour: red\n")
    assert [p.split(": ", 1)[1].split(" — ")[0] for p in problems(text)] == [
        "unknown key 'colour' in campaign",
        "elections[1].date 'April 4' is not a date",
        "effect 'finished' does not exist",
    ]
    # ...and problems of meaning, all in one report
    text = edit(script_text, "{id: busy,", "{id: not_home,")
    text = edit(text, '"no": organizer', '"no": organiser')
    text = edit(text, "learn more at {website}", "learn more at {site}")
    found = problems(text)  # in file order
    assert len(found) == 3
    assert "goes to section 'organiser'" in found[0]
    assert "unknown variable {site}" in found[1]
    assert "duplicate code id 'not_home'" in found[2]


def test_alias_bomb_is_rejected_quickly() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    found = problems("\n".join(levels) + "\n")
    assert found == ["scripts.yaml: its aliases (*name) expand to more than 100,000 values — that is not a call "
                     "script; write the values out, or use fewer anchors"]


# -- through the command line ---------------------------------------------------------------------


def test_cli_reports_every_problem_with_exit_2_and_no_traceback(workspace: Path, invoke, script_text: str) -> None:
    text = edit(script_text, "{id: busy,", "{id: not_home,")
    text = edit(text, "learn more at {website}", "learn more at {site}")
    (workspace / "scripts.yaml").write_text(text, encoding="utf-8")
    for args in (["script", "preview"], ["check"]):
        result = invoke(workspace, *args)
        assert result.exit_code == 2, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert [e.split(":", 3)[1].strip() for e in errors] == ["scripts.yaml", "scripts.yaml"]
        assert any("unknown variable {site}" in e for e in errors)
        assert any("duplicate code id 'not_home'" in e for e in errors)
        assert "Traceback" not in result.output


def test_cli_yaml_syntax_error_is_one_line(workspace: Path, invoke) -> None:
    (workspace / "scripts.yaml").write_text("version: 1\ncampaign: [unclosed\n", encoding="utf-8")
    result = invoke(workspace, "script", "preview")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: scripts.yaml:3: YAML syntax error: did not find expected ',' or ']' — check the indentation "
        "and quoting on that line\n"
    )
