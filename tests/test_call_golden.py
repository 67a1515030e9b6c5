"""A golden transcript: one whole plain-mode session — register, three calls, undo, quit, resume — compared
line for line with ``tests/fixtures/golden/plain_session.txt``, so any change to what a volunteer reads shows up
in review. After an intended change: ``PHONEBANK_UPDATE_GOLDEN=1 pytest tests/test_call_golden.py``, then read
the diff of the fixture."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from phonebank.cli import cli

from callkit import make_workspace, read_rows

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "plain_session.txt"
NOW = "2017-03-20T18:00:00-07:00"

FIRST = [
    "ana@example.org", "y", "Ana", "Reyes", "90033",  # unknown email: register
    "s", "1", "1", "1", "Wants a yard sign", "s",  # V1: script, aware yes, Bernie yes, supporter, note, save
    "n", "", "s",  # V2: not home, no note, save
    "i", "d", "", "s",  # V3: Add Information, wrong number (one phone: no next number), save
    "u", "y",  # V4's menu: undo the wrong number (V3 is back in the list)
    "q",
]
RESUME = ["", "q"]  # Enter: go on as the remembered Ana; quit at the first voter


def transcript(tmp_path: Path) -> tuple[str, list[dict[str, str]]]:
    ws = make_workspace(tmp_path / "ws", volunteers=())
    env = {"PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": NOW}
    parts = []
    for answers in (FIRST, RESUME):
        result = CliRunner().invoke(cli, ["-w", str(ws.root), "call"], input="\n".join(answers) + "\n", env=env)
        assert result.exit_code == 0, result.output
        parts.append(result.stdout)
    return "\n=== resume ===\n".join(parts), read_rows(ws)


def test_a_whole_plain_session_reads_as_the_golden_transcript(tmp_path):
    text, rows = transcript(tmp_path)
    assert [(r["voter_id"], r["code"]) for r in rows] == [
        ("V1", "supporter"), ("V2", "not_home"), ("V3", "wrong_number"), ("V3", "undo")]
    if os.environ.get("PHONEBANK_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    assert text.splitlines() == expected.splitlines()
