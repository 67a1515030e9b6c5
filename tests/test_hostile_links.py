"""Planted links in the workspace, through the real CLI: a link (or a hard link) where phonebank writes a
file or a folder is refused with a one-line message naming it, nothing is written or cut outside the
workspace, and the command writes nothing else. A workspace folder that is itself a link is fine; files
and folders copied in with loose permissions are tightened when phonebank next writes them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hostilekit import CANARY, Case, check_outcome, params, run_case

SAVE_ONE = b"n\n\ns\nq\n"  # plain mode: not home, no note, save, quit
CALL = ["call", "--plain", "--email", "ana@example.org"]
RESULTS = "results/test/ana@example.org.csv"
VOTERS_CSV = b"VANID,FirstName,LastName,Cell Phone\n7,Cy,Lo,2135550177\n8,Dee,Fox,\n"  # row 3: a reject


def link(rel: str, target: str = "canary.csv", torn: bool = False, folder: bool = False):
    """Replace ``rel`` in the workspace by a link to ``outside/target`` (a folder when ``folder``)."""

    def setup(ws: Path, outside: Path) -> None:
        (outside.parent / "voters.csv").write_bytes(VOTERS_CSV)
        (outside.parent / "numbers.txt").write_bytes(b"2135550166\n")
        path = ws / rel
        goal = outside / target
        if folder:
            goal.mkdir(parents=True, exist_ok=True)
        elif torn:
            goal.write_bytes(CANARY + b"torn,tail-without-newline")
        if path.is_dir() and not path.is_symlink():
            os.rename(path, outside / f"moved-{path.name}")  # what the link replaces is kept outside, not lost
        elif path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(goal, target_is_directory=folder)

    return setup


def hard_link(rel: str):
    def setup(ws: Path, outside: Path) -> None:
        os.link(ws / rel, outside / "hard.csv")

    return setup


def index_link(name: str, folder: bool = False):
    """A link inside .phonebank/ (made by a first run, so the index exists)."""

    def setup(ws: Path, outside: Path) -> None:
        index = ws / ".phonebank"
        index.mkdir(mode=0o700, exist_ok=True)
        path = index / name
        goal = outside / ("index-target" if folder else "canary.csv")
        if folder:
            goal.mkdir(exist_ok=True)
        path.symlink_to(goal, target_is_directory=folder)

    return setup


LINKED = "symbolic link"
CASES = [
    Case("planted links", "a results file: call saves", CALL, stdin=SAVE_ONE, setup=link(RESULTS), message=LINKED,
         expect=(0, 1, 2, 130)),
    Case("planted links", "a results file with a torn tail: call saves", CALL, stdin=SAVE_ONE,
         setup=link(RESULTS, torn=True), message=LINKED, expect=(0, 1, 2, 130)),
    Case("planted links", "results/LIST/: call saves", CALL, stdin=SAVE_ONE,
         setup=link("results/test", "elsewhere", folder=True), message=LINKED, expect=(0, 1, 2, 130)),
    Case("planted links", "results/: call saves", CALL, stdin=SAVE_ONE,
         setup=link("results", "elsewhere", folder=True), message=LINKED, expect=(0, 1, 2, 130)),
    Case("planted links", "a .torn file: call saves after a torn write", CALL, stdin=SAVE_ONE,
         setup=lambda ws, outside: (open(ws / RESULTS, "ab").write(b"torn,row-without-newline"),
                                    (ws / (RESULTS + ".torn")).symlink_to(outside / "canary.csv")),
         message=LINKED, expect=(0, 1, 2, 130)),
    Case("planted links", "a hard-linked results file: call saves", CALL, stdin=SAVE_ONE, setup=hard_link(RESULTS),
         message="hard links", expect=(0, 1, 2, 130)),
    Case("planted links", "lists/: import", ["import", "voters.csv", "--list", "fresh"],
         setup=link("lists", "elsewhere", folder=True), message=LINKED),
    Case("planted links", "lists/NAME.csv: import --replace", ["import", "voters.csv", "--list", "fresh", "--replace"],
         setup=link("lists/fresh.csv"), message=LINKED),
    Case("planted links", "lists/NAME.rejects.csv: import --replace", ["import", "voters.csv", "--list", "test",
                                                                       "--replace"],
         setup=link("lists/test.rejects.csv"), message=LINKED),
    Case("planted links", "volunteers.csv: register", ["register", "--plain"],
         stdin=b"Cy\nLo\ncy@example.org\n90012\n", setup=link("volunteers.csv"), message=LINKED),
    Case("planted links", "do-not-call.csv: dnc add", ["dnc", "add", "numbers.txt"], setup=link("do-not-call.csv"),
         message=LINKED),
    Case("planted links", ".phonebank/: call", CALL, stdin=SAVE_ONE, setup=link(".phonebank", "elsewhere", folder=True),
         message=LINKED),
    Case("planted links", ".phonebank/: report", ["report"], setup=link(".phonebank", "elsewhere", folder=True),
         message=LINKED),
    Case("planted links", "the calling index file: call", CALL, stdin=SAVE_ONE, setup=index_link("test.sqlite"),
         message=LINKED),
    Case("planted links", "the report cache folder: report", ["report"], setup=index_link("report", folder=True),
         message=LINKED),
    Case("planted links", "lists/ of a new workspace: init", ["init", "fresh"], workspace_option=False,
         setup=lambda ws, outside: (ws.parent / "fresh").mkdir() or (ws.parent / "fresh" / "lists").symlink_to(outside),
         message=LINKED),
]


@pytest.mark.parametrize("case", params(CASES, every=5))  # a quick run: results (planted, hard-linked), do-not-call, init
def test_a_planted_link_is_refused(case: Case, tmp_path: Path, hostile_template: Path) -> None:
    got = run_case(case, tmp_path, hostile_template)
    check_outcome(case, got)
    assert (tmp_path / "outside" / "canary.csv").read_bytes().startswith(CANARY)


def test_a_workspace_reached_through_a_link_works(tmp_path: Path, hostile_template: Path) -> None:
    """The workspace folder itself may be a link (a synced folder): calls are saved as usual."""
    case = Case("planted links", "the workspace folder is a link", ["--workspace", "ws-link", *CALL], stdin=SAVE_ONE,
                workspace_option=False, expect=(0,), records_may_change=True,
                setup=lambda ws, outside: (ws.parent / "ws-link").symlink_to(ws, target_is_directory=True))
    got = run_case(case, tmp_path, hostile_template)
    check_outcome(case, got)
    assert (tmp_path / "ws" / RESULTS).read_bytes().count(b"\n") == 3  # header, the template's call, this one


def test_loose_permissions_copied_in_are_tightened(tmp_path: Path, hostile_template: Path) -> None:
    def loosen(ws: Path, outside: Path) -> None:
        for path in (ws / "results", ws / "results" / "test"):
            path.chmod(0o755)
        (ws / RESULTS).chmod(0o644)

    case = Case("planted links", "a results file copied in as 0644", CALL, stdin=SAVE_ONE, setup=loosen, expect=(0,),
                records_may_change=True)
    check_outcome(case, run_case(case, tmp_path, hostile_template))
    ws = tmp_path / "ws"
    assert stat.S_IMODE((ws / RESULTS).stat().st_mode) == 0o600
    assert stat.S_IMODE((ws / "results" / "test").stat().st_mode) == 0o700
    assert stat.S_IMODE((ws / "results").stat().st_mode) == 0o700
