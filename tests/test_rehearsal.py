"""The shipped sample workspace rehearses: its `phonebank call` runs on a clock that starts at the moment in
``rehearsal.yaml`` — at any hour, in any country, voters are callable and reminders count down, and the
screen says it is a rehearsal. A campaign made by `phonebank init` has no such file and uses the real clock."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from phonebank import clock
from phonebank.errors import UsageProblem

from callkit import REPO, make_workspace


@pytest.fixture
def sample(tmp_path):
    """A copy of the repository's sample workspace, rehearsal.yaml included."""
    ws = make_workspace(tmp_path / "ws")
    shutil.copy(REPO / clock.REHEARSAL_FILE, ws.root / clock.REHEARSAL_FILE)
    return ws


def test_the_sample_rehearses_at_any_hour_on_the_real_clock(sample, invoke, monkeypatch):
    monkeypatch.delenv("PHONEBANK_NOW", raising=False)
    out = invoke(sample.root, "call", "--email", "ana@example.org", "--plain", input="q\n")
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert ("Rehearsal: the sample campaign's clock reads Saturday, March 25, 2017, 18:05 PDT and runs from there "
            "(rehearsal.yaml); a real campaign uses the real clock.") in text
    assert "REHEARSAL clock Saturday, March 25, 2017, 18:05 PDT" in text  # on the voter screen too
    assert "Call the number above: María García" in text  # callable: 18:05 in Los Angeles
    assert "held back by calling hours" not in text
    assert "Congressional Special Primary: Tuesday, April 4, 2017 (in 10 days)" in text
    assert "this election has passed" not in text.split("Los Angeles Municipal")[0]


def test_the_rehearsal_screen_in_spanish(sample, invoke):
    out = invoke(sample.root, "call", "--email", "ana@example.org", "--plain", "--language", "es", input="q\n")
    assert "Ensayo: el reloj de la campaña de muestra marca sábado, 25 de marzo de 2017, 18:05 PDT" in out.stdout


def test_phonebank_now_wins_over_the_rehearsal_and_a_campaign_from_init_has_none(sample, tmp_path, invoke,
                                                                                  monkeypatch):
    monkeypatch.setenv("PHONEBANK_NOW", "2017-03-20T18:00:00-07:00")
    assert clock.rehearsal_start(sample.root) is None
    monkeypatch.delenv("PHONEBANK_NOW")
    assert clock.rehearsal_start(sample.root) == dt.datetime.fromisoformat("2017-03-25T18:05:00-07:00")
    assert invoke(None, "init", str(tmp_path / "new")).exit_code == 0
    assert not (tmp_path / "new" / clock.REHEARSAL_FILE).exists()
    assert clock.rehearsal_start(tmp_path / "new") is None


def test_the_rehearsal_clock_moves_on_from_its_start():
    start = dt.datetime.fromisoformat("2017-03-25T18:05:00-07:00")
    now = clock.moving(start)
    first = now()
    assert first >= start and now() >= first and now() - start < dt.timedelta(seconds=5)


@pytest.mark.parametrize("text", ["clock: tomorrow\n", "clock: 2017-03-25T18:05:00\n", "- 1\n", "clock: [\n"])
def test_a_damaged_rehearsal_file_is_one_line(sample, text, monkeypatch):
    monkeypatch.delenv("PHONEBANK_NOW", raising=False)
    (sample.root / clock.REHEARSAL_FILE).write_text(text)
    with pytest.raises(UsageProblem) as err:
        clock.rehearsal_start(sample.root)
    assert "rehearsal.yaml" in str(err.value) and "\n" not in str(err.value)


def test_check_report_and_preview_read_the_rehearsal_clock_too(sample, invoke):
    """In a rehearsal workspace every command reads the same moment: no 'election already past' from
    check, the report as of the rehearsal, the preview's countdown — each saying it is a rehearsal."""
    checked = invoke(sample.root, "check")
    note = ("Rehearsal: this workspace's clock reads Saturday, March 25, 2017, 18:05 PDT (rehearsal.yaml) — delete "
            "rehearsal.yaml to use the real clock")
    assert note in checked.stdout and "already past" not in checked.output
    reported = invoke(sample.root, "report", "--format", "json")
    assert note in reported.stderr and '"2017-03-25T18:05' in reported.stdout
    previewed = invoke(sample.root, "script", "preview")
    assert "in 10 days" in previewed.stdout
    (sample.root / clock.REHEARSAL_FILE).unlink()  # a real campaign: the real clock, no note
    real = invoke(sample.root, "check")
    assert "Rehearsal" not in real.output and "already past" in real.output
