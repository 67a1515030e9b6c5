"""Script branches with a default: an answer a branching section does not list, and no answer, go to the
section its ``default`` names; `check` warns when a branching section names none; preview shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from phonebank.errors import ScriptError
from phonebank.preview import preview
from phonebank.script import parse_script

DEFAULT_LINE = "    default: organizer   # where any other answer, or no answer, goes (`phonebank check` warns without one)\n"


def test_the_sample_names_a_default_for_its_key_question(script_text: str) -> None:
    s = parse_script(script_text)
    bernie = s.section("bernie")
    assert bernie.default == "organizer"
    assert s.next_section(bernie, None).id == "organizer"  # no answer: not "So was Arturo!"
    assert s.next_section(bernie, "maybe").id == "organizer"
    assert s.next_section(bernie, "yes").id == "berniecrat"


def test_check_warns_on_a_branching_section_without_a_default(workspace: Path, invoke) -> None:
    path = workspace / "scripts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(DEFAULT_LINE, ""), encoding="utf-8")
    out = invoke(workspace, "check")
    assert out.exit_code == 0, out.output
    warnings = [line for line in out.stderr.splitlines() if "names no default" in line]
    assert len(warnings) == 1, out.stderr
    assert warnings[0].startswith("Warning: scripts.yaml:")
    assert ("section 'bernie' branches on 'bernie_2016' but names no default — an answer not listed, or no answer, "
            "goes on to 'berniecrat'; add default: SECTION_ID (or end)") in warnings[0]


def test_the_sample_draws_no_branch_warning(workspace: Path, invoke) -> None:
    assert "names no default" not in invoke(workspace, "check").stderr


@pytest.mark.parametrize("replacement, message", [
    ("    default: nowhere\n", "the default branch of section 'bernie' goes to section 'nowhere', which does not exist"),
])
def test_a_default_to_a_missing_section_is_an_error(script_text: str, replacement: str, message: str) -> None:
    with pytest.raises(ScriptError) as err:
        parse_script(script_text.replace(DEFAULT_LINE, replacement))
    assert any(message in line for line in err.value.problems), err.value.problems


def test_a_default_without_branches_is_an_error(script_text: str) -> None:
    text = script_text.replace("    ask: aware_election\n", "    ask: aware_election\n    default: organizer\n")
    with pytest.raises(ScriptError) as err:
        parse_script(text)
    assert any("section 'election' has a default branch but no branches" in line for line in err.value.problems)


def test_preview_shows_the_default(script_text: str) -> None:
    text = preview(parse_script(script_text), "en")
    assert "   If Yes → go to berniecrat\n   If No → go to organizer\n   If Not sure → go to organizer\n" \
           "   Any other answer, or none (default) → go to organizer\n" in text
    es = preview(parse_script(script_text), "es")
    assert "   Cualquier otra respuesta, o ninguna (predeterminado) → vaya a organizer\n" in es
    without = preview(parse_script(script_text.replace(DEFAULT_LINE, "")), "en")
    assert "   Any other answer, or none (no default!) → go to berniecrat\n" in without
