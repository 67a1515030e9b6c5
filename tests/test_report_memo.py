"""The kept report (``report.memo``): used while nothing it was made from changed, and then the same, byte
for byte, as a report computed from scratch — through appends, an undo, a new volunteer, scripts.yaml,
the do-not-call list, the roster and the clock changing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_report import ALICE, BOB, NOW, build_workspace, result_lines, run

MEMO = Path(".phonebank") / "report" / "test" / "report-memo.arrow"
FORMATS = ("json", "table", "csv", "markdown")


def _out(ws: Path, *args: str, now: str = NOW) -> str:
    result = run(ws, "report", *args, now=now)
    assert result.exit_code == 0, result.output
    return result.stdout + "\n--stderr--\n" + result.stderr


def _fresh(ws: Path, tmp_path: Path, *args: str, now: str = NOW) -> str:
    """The report of a copy of ``ws`` with no report cache: computed from every row."""
    copy = tmp_path / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ws, copy, ignore=shutil.ignore_patterns("report"))
    assert not (copy / MEMO).exists()
    return _out(copy, *args, now=now)


def _same_as_fresh(ws: Path, tmp_path: Path, *args: str, now: str = NOW, kept: bool = False) -> None:
    """Every format of the report of ``ws`` equals a fresh one; ``kept``: the memo answered (unchanged)."""
    for fmt in FORMATS:
        before = (ws / MEMO).stat().st_mtime_ns if (ws / MEMO).exists() else None
        got = _out(ws, "--format", fmt, *args, now=now)
        after = (ws / MEMO).stat().st_mtime_ns
        assert got == _fresh(ws, tmp_path, "--format", fmt, *args, now=now), fmt
        if kept:
            assert after == before, f"{fmt}: the memo was made again, not used"


def _append(ws: Path, volunteer: str, rows) -> None:
    with open(ws / "results" / "test" / f"{volunteer}.csv", "ab") as fh:
        fh.write(result_lines("test", volunteer, rows))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return build_workspace(tmp_path)


def test_the_kept_report_is_the_fresh_one_through_every_change(ws: Path, tmp_path: Path) -> None:
    _out(ws, "--format", "json")
    assert (ws / MEMO).exists() and (ws / MEMO).stat().st_mode & 0o777 == 0o600
    _same_as_fresh(ws, tmp_path, kept=True)  # nothing changed: the memo answers
    _same_as_fresh(ws, tmp_path, now="2017-03-14T19:30:00-07:00", kept=True)  # later: waiting voters now due
    _same_as_fresh(ws, tmp_path, now="2017-03-13T05:00:00-07:00", kept=True)  # before the hours open

    _append(ws, ALICE, [("r20", "2017-03-13T08:00:00-07:00", "1006", "+13235550106", "supporter",
                         "bernie_2016=yes", "", 100, "", "")])
    _same_as_fresh(ws, tmp_path)
    _same_as_fresh(ws, tmp_path, kept=True)
    _append(ws, BOB, [("r21", "2017-03-13T08:05:00-07:00", "1009", "", "undo", "", "", 0, "", "r09")])  # an earlier row
    _same_as_fresh(ws, tmp_path)
    _append(ws, ALICE, [("r22", "2017-03-11T09:00:00-08:00", "1003", "+12135550103", "left_message", "", "", 9, "", ""),
                        ("r23", "2017-03-13T08:10:00-07:00", "1013", "+13235550113", "call_back", "", "", 30,
                         "2017-03-13T12:00:00-07:00", "")])  # a call timed before the others of its voter
    _same_as_fresh(ws, tmp_path)
    carol = ws / "results" / "test" / "carol@example.org.csv"
    shutil.copyfile(ws / "results" / "test" / f"{BOB}.csv", carol)  # a new volunteer's file
    _same_as_fresh(ws, tmp_path)
    carol.unlink()
    _same_as_fresh(ws, tmp_path)

    script = ws / "scripts.yaml"
    text = script.read_text(encoding="utf-8")
    changed = text.replace("{id: not_home, effect: retry,", "{id: not_home, effect: final,")
    assert changed != text
    script.write_text(changed, encoding="utf-8")  # a code's effect changed
    _same_as_fresh(ws, tmp_path)
    script.write_text(text.replace("  - {id: busy, effect: retry, after_hours: 1,", "  - {id: busier, effect: retry, "
                                   "after_hours: 1,"), encoding="utf-8")  # a code renamed: its calls unknown
    _same_as_fresh(ws, tmp_path)
    _same_as_fresh(ws, tmp_path, kept=True)

    with open(ws / "do-not-call.csv", "a", encoding="utf-8") as fh:
        fh.write("+13235550101,2017-03-02T10:00:00-08:00,import,dnc\n")
    _same_as_fresh(ws, tmp_path)
    roster = ws / "volunteers.csv"
    roster.write_text(roster.read_text().replace("Alice,Ng", "Alicia,Ng"))
    _same_as_fresh(ws, tmp_path)
    assert "Alicia Ng" in _out(ws, "--format", "csv")

    _same_as_fresh(ws, tmp_path, "--since", "2017-03-12")  # filters: a memo of their own
    _same_as_fresh(ws, tmp_path, "--since", "2017-03-12", kept=True)
    _same_as_fresh(ws, tmp_path, "--volunteer", BOB)
    _same_as_fresh(ws, tmp_path)


def test_a_damaged_or_foreign_memo_is_not_used(ws: Path, tmp_path: Path) -> None:
    _out(ws, "--format", "json")
    (ws / MEMO).write_bytes(b"not an arrow file")
    _same_as_fresh(ws, tmp_path)
    other = tmp_path / "other"
    shutil.copytree(ws, other)  # the same files elsewhere: other inodes, so its memo is not this one's
    shutil.copyfile(ws / MEMO, other / MEMO)
    _append(other, ALICE, [("r20", "2017-03-13T08:00:00-07:00", "1006", "+13235550106", "refused", "", "", 1, "", "")])
    assert _out(other, "--format", "json") == _fresh(other, tmp_path, "--format", "json")
