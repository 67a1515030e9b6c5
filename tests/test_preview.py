"""`phonebank script preview`: the whole script as volunteers will see it, every branch, both languages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from phonebank.preview import preview
from phonebank.script import parse_script

TEN_DAYS_BEFORE = {"PHONEBANK_TODAY": "2017-03-25"}  # the primary is 2017-04-04


def test_english_preview_shows_both_branches_filled_in(workspace: Path, invoke) -> None:
    out = invoke(workspace, "script", "preview", env=TEN_DAYS_BEFORE)
    assert out.exit_code == 0, out.output
    text = out.stdout
    lines = text.splitlines()
    assert lines[0] == (
        "Arturo Carmona for Congress — California's 34th Congressional District (central and northern Los Angeles)"
    )
    # variables filled with the sample voter and volunteer; no markup or braces left
    assert "Hi, may I please speak with María? Hi María, my name is Alex and I'm a volunteer with Arturo Carmona for Congress." in lines
    assert "{" not in text and "}" not in text and "**" not in text
    # election reminders with weekday, date and countdown; the municipal election marked as separate
    assert "* Congressional Special Primary: Tuesday, April 4, 2017 (in 10 days)" in lines
    assert "* Los Angeles Municipal Election (separate election): Tuesday, March 7, 2017 (this election has passed)" in lines
    # the key question is bold, so it is flagged
    assert ">> Were you a supporter of Bernie Sanders in the Primary in 2016?" in lines
    assert "   Ask: Bernie Sanders supporter in the 2016 primary? (Yes / No / Not sure)" in lines
    # both branches, and the text of both
    assert "   If Yes → go to berniecrat" in lines
    assert "   If No → go to organizer" in lines
    assert "   If Not sure → go to organizer" in lines
    assert "Director of Latino Outreach" in text and "a Berniecrat to Congress" in text
    assert "decades as a community organizer" in text
    # the close repeats name, date and website
    assert (">> Thank you, María! Remember: Arturo Carmona, Tuesday, April 4, 2017. You can learn more at "
            "www.arturocarmona.com. Have a great evening!") in lines
    # sections in order, with their ids
    headings = [line for line in lines if line.startswith("== ") and "[" in line]
    assert headings == [
        "== 1. Introduction [intro] ==",
        "== 2. The election [election] ==",
        "== 3. The key question [bernie] ==",
        "== 4. For Bernie supporters [berniecrat] ==",
        "== 5. For everyone else [organizer] ==",
        "== 6. The ask [support] ==",
        "== 7. Close (repetition is key) [close] ==",
    ]
    # the response codes, contact results first
    assert "  - Supporter of Arturo [supporter] support 1, final" in lines
    assert "  - Refused (take off the list) [refused] do not call this number again, in any list" in lines
    assert lines.index("Contact results:") < lines.index("Add Information (non-contact results):")


def test_spanish_preview(workspace: Path, invoke) -> None:
    out = invoke(workspace, "script", "preview", "--language", "es", env=TEN_DAYS_BEFORE)
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert "Hola, ¿puedo hablar con María? Hola María, me llamo Alex y soy voluntario/a de la campaña Arturo Carmona for Congress." in lines
    assert "* Elección Primaria Especial para el Congreso: martes, 4 de abril de 2017 (faltan 10 días)" in lines
    assert ">> **" not in out.stdout and "{" not in out.stdout
    assert ">> ¿Usted apoyó a Bernie Sanders en la Primaria de 2016?" in lines
    assert "   Si Sí → vaya a berniecrat" in lines
    assert "   Si No → vaya a organizer" in lines
    assert any("Director de Alcance Latino de Bernie" in line for line in lines)
    assert any("décadas a organizar a la comunidad" in line for line in lines)
    assert "== 3. La pregunta clave [bernie] ==" in lines
    assert "Resultados de contacto:" in lines


def test_short_language_option(workspace: Path, invoke) -> None:
    assert invoke(workspace, "script", "preview", "-l", "es").stdout == invoke(workspace, "script", "preview", "--language", "es").stdout


def test_unknown_language(workspace: Path, invoke) -> None:
    out = invoke(workspace, "script", "preview", "--language", "fr")
    assert out.exit_code == 2
    assert out.stdout == ""
    assert out.stderr == "Error: language 'fr' is not in this script — use one of: en, es\n"


def test_countdown_never_negative_and_election_day(script_text: str) -> None:
    s = parse_script(script_text)
    assert "Tuesday, April 4, 2017 (today)" in preview(s, "en", today=dt.date(2017, 4, 4))
    assert "Tuesday, April 4, 2017 (tomorrow)" in preview(s, "en", today=dt.date(2017, 4, 3))
    later = preview(s, "en", today=dt.date(2018, 1, 1))
    assert "Tuesday, April 4, 2017 (this election has passed)" in later
    assert "in -" not in later and "faltan -" not in preview(s, "es", today=dt.date(2018, 1, 1))


def test_markdown_style_keeps_the_markup(script_text: str) -> None:
    s = parse_script(script_text)
    text = preview(s, "en", today=dt.date(2017, 3, 1), style="markdown")
    assert "**Were you a supporter of Bernie Sanders in the Primary in 2016?**" in text
    assert "_a Berniecrat to Congress_" in text
