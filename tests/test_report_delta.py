"""The report after new calls (``report.delta``): only the voters the new rows touch are folded again, and
the report is the one computed from every row, byte for byte — through appends in several steps, an undo
of an earlier row (a volunteer's first or last call among them), a do-not-call, a call-back, a changed
scripts.yaml, a file cut back and a re-imported list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from test_report import _random_workspace, result_lines, write_list
from test_report_memo import _fresh, _out

import phonebank.report.delta as delta

FORMATS = ("json", "table", "csv")
DNC_HEADER = "phone,added_at,source,reason,row_id\n"


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> list:
    """What each report's ``delta.update`` gave (None: computed from every row), with its cache folder."""
    seen: list = []
    update = delta.update

    def spy(*args, **kwargs):
        got = update(*args, **kwargs)
        seen.append((args[3], got))
        return got

    monkeypatch.setattr(delta, "update", spy)
    return seen


def _same(root: Path, tmp_path: Path, now: str, used: list, by_delta: bool, *args: str) -> None:
    before = len(used)
    for fmt in FORMATS:
        assert _out(root, "--format", fmt, *args, now=now) == _fresh(root, tmp_path, "--format", fmt, *args, now=now), fmt
    mine = [got for folder, got in used[before:] if folder.is_relative_to(root)]
    assert len(mine) == 1  # the first format worked it out, the others were the kept report
    assert (mine[0] is not None) == by_delta


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))[1:]


def _calls(root: Path, now: str) -> dict:
    return json.loads(_out(root, "--format", "json", now=now).split("\n--stderr--\n")[0])["calls"]


def _add(root: Path, volunteer: str, rows) -> None:
    with open(root / "results" / "rand" / f"{volunteer}.csv", "ab") as fh:
        fh.write(result_lines("rand", volunteer, rows))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_report_after_new_calls_is_the_fresh_one(tmp_path: Path, used: list, seed: int) -> None:
    root = tmp_path / "ws"
    people, _, when = _random_workspace(root, seed)
    (root / "do-not-call.csv").write_text(f"{DNC_HEADER}{people[7][3]},2017-03-02T10:00:00-08:00,import,dnc,\n", encoding="utf-8")
    now = when.isoformat()
    files = sorted((root / "results" / "rand").glob("*.csv"))
    whole = {p: p.read_bytes().splitlines(keepends=True) for p in files}
    for p, lines in whole.items():  # each file's first third, then the rest in two steps
        p.write_bytes(b"".join(lines[: 1 + len(lines) // 3]))
    _same(root, tmp_path, now, used, False)
    for step in (2, 3):
        for p, lines in whole.items():
            p.write_bytes(b"".join(lines[: 1 + len(lines) * step // 3]))
        _same(root, tmp_path, now, used, True)
    assert "--stderr--\n" in _out(root, "--format", "json", now=now)

    a, b = files[0].stem, files[1].stem
    rows_a = _rows(files[0])
    earliest = min((r for r in rows_a if r[6] != "undo"), key=lambda r: r[1])
    latest = max((r for r in rows_a if r[6] != "undo"), key=lambda r: r[1])
    vid = people[3][0]
    _add(root, b, [("n01", "2017-03-20T10:00:00-07:00", vid, people[3][3], "do_not_call", "", "", 12, "", "")])
    _same(root, tmp_path, now, used, True)
    _add(root, b, [("n02", "2017-03-20T10:05:00-07:00", people[4][0], people[4][3], "call_back", "", "", 30,
                    "2017-03-21T18:00:00-07:00", ""),
                   ("n03", "2017-03-20T10:06:00-07:00", people[5][0], people[5][3], "supporter",
                    "bernie_2016=maybe_later", "", 30, "", "")])  # an answer not in scripts.yaml
    _same(root, tmp_path, now, used, True)
    _add(root, a, [("n04", "2017-03-20T10:10:00-07:00", latest[4], "", "undo", "", "", 0, "", latest[0])])
    _same(root, tmp_path, now, used, True)  # the volunteer's last call undone
    line = result_lines("rand", b, [("n10", "2017-03-20T10:10:30-07:00", people[2][0], people[2][3], "busy", "", "",
                                     7, "", "")])
    with open(files[1], "ab") as fh:
        fh.write(line[:30])  # a call being written: its torn line left out, then counted once whole
    _same(root, tmp_path, now, used, True)
    with open(files[1], "ab") as fh:
        fh.write(line[30:])
    _same(root, tmp_path, now, used, True)
    _add(root, a, [("n05", "2017-03-20T10:11:00-07:00", earliest[4], "", "undo", "", "", 0, "", earliest[0]),
                   ("n06", "2017-03-20T10:12:00-07:00", "Z998", "+12135550000", "not_home", "", "", 5, "", "")])
    _same(root, tmp_path, now, used, True)  # the first call undone, a voter not in the list
    undone = {r[12] for f in files for r in _rows(f) if r[6] == "undo"}
    other = next(r for r in _rows(files[1]) if r[6] != "undo" and r[0] not in undone and r[4] != "Z999")
    _add(root, a, [("n11", "2017-03-20T10:13:00-07:00", other[4], other[5], "supporter", "", "", 20, "", "",
                    other[0])])  # an overlapping call: a dial, not an ID, while the call it overlaps counts
    _same(root, tmp_path, now, used, True)
    assert _calls(root, now)["overlapping_calls"] == 1
    _add(root, b, [("n12", "2017-03-20T10:14:00-07:00", other[4], "", "undo", "", "", 0, "", other[0])])
    _same(root, tmp_path, now, used, True)  # the call it overlapped undone: now the voter's record
    assert _calls(root, now)["overlapping_calls"] == 0
    _same(root, tmp_path, now, used, False, "--volunteer", a)
    _add(root, a, [("n13", "2017-03-20T10:16:00-07:00", other[4], "", "undo", "", "", 0, "", "n11")])
    _same(root, tmp_path, now, used, True, "--volunteer", a)
    _same(root, tmp_path, now, used, False, "--since", "2017-03-12")  # filters: a standing of their own
    _add(root, b, [("n07", "2017-03-20T10:15:00-07:00", vid, people[3][3], "not_home", "", "", 12, "", "")])
    _same(root, tmp_path, now, used, True, "--since", "2017-03-12")

    script = root / "scripts.yaml"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("{id: not_home, effect: retry,", "{id: not_home, effect: final,"), encoding="utf-8")
    _same(root, tmp_path, now, used, False)  # scripts.yaml changed: from every row
    _add(root, a, [("n08", "2017-03-20T10:20:00-07:00", people[6][0], people[6][3], "busy", "", "", 5, "", "")])
    _same(root, tmp_path, now, used, True)
    carol = root / "results" / "rand" / "carol@x.org.csv"
    carol.write_bytes(files[1].read_bytes())  # a new volunteer's file: all its rows are new
    _same(root, tmp_path, now, used, True)
    carol.unlink()  # a file removed: from every row
    _same(root, tmp_path, now, used, False)
    files[1].write_bytes(files[1].read_bytes()[:-40])  # cut back: from every row
    _same(root, tmp_path, now, used, False)
    (root / "do-not-call.csv").write_text(f"{DNC_HEADER}{people[8][3]},2017-03-02T10:00:00-08:00,import,dnc,\n", encoding="utf-8")
    _same(root, tmp_path, now, used, False)
    write_list(root, "rand", people[:-3])  # re-imported
    _same(root, tmp_path, now, used, False)
    _add(root, b, [("n09", "2017-03-20T10:25:00-07:00", people[9][0], people[9][3], "supporter", "", "", 5, "", "")])
    _same(root, tmp_path, (when + dt.timedelta(days=2)).isoformat(), used, True)


def test_the_standing_is_private_and_versioned(tmp_path: Path, used: list, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    _, _, when = _random_workspace(root, 1)
    now = when.isoformat()
    _out(root, "--format", "json", now=now)
    standing = root / ".phonebank" / "report" / "rand" / delta.NAME
    assert standing.stat().st_mode & 0o777 == 0o600
    _add(root, "a@x.org", [("n01", "2017-03-20T10:00:00-07:00", "5001", "", "not_home", "", "", 1, "", "")])
    monkeypatch.setattr(delta, "VERSION", delta.VERSION + 1)  # another version: not read, made again
    _same(root, tmp_path, now, used, False)
    _add(root, "a@x.org", [("n02", "2017-03-20T10:01:00-07:00", "5002", "", "not_home", "", "", 1, "", "")])
    _same(root, tmp_path, now, used, True)
    standing.write_bytes(b"damaged")
    _add(root, "a@x.org", [("n03", "2017-03-20T10:02:00-07:00", "5003", "", "not_home", "", "", 1, "", "")])
    _same(root, tmp_path, now, used, False)
