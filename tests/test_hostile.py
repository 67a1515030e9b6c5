"""Hostile input through the real CLI (subprocesses): long names, bytes that are not UTF-8, huge numbers,
conflicting options, escape codes. Every case keeps the promises of ``hostilekit.check_outcome``: no
traceback, exit 1 or 2 (0 where accepting is right), a bounded one-line message, nothing written outside
the workspace, records untouched by a failed command, time and memory bounded. The planted links are in
test_hostile_links.py, the alias and workbook bombs in test_hostile_bombs.py, the generated (hypothesis)
cases in test_hostile_props.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostilekit import COUNTS, Case, check_outcome, params, run_case

VOTERS_CSV = b"VANID,FirstName,LastName,Cell Phone,City,Zip\n1,Ana,Reyes,2135550101,LA,90012\n"
SAVE_ONE = b"n\n\ns\nq\n"  # plain mode: not home, no note, save, quit
CALL = ["call", "--plain", "--email", "ana@example.org"]
EOF_EXIT = 130  # plain prompts at the end of piped answers: "Stopped: input ended" (as Ctrl-D)


def voters(ws: Path, outside: Path) -> None:
    (outside.parent / "voters.csv").write_bytes(VOTERS_CSV)


def write(rel: str, data: bytes, where: str = "ws"):
    def setup(ws: Path, outside: Path) -> None:
        base = ws if where == "ws" else outside.parent
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return setup


def append(rel: str, data: bytes):
    def setup(ws: Path, outside: Path) -> None:
        with open(ws / rel, "ab") as fh:
            fh.write(data)
    return setup


def both(*steps):
    def setup(ws: Path, outside: Path) -> None:
        for step in steps:
            step(ws, outside)
    return setup


SRC = "voters.csv"  # relative to the run folder (the current folder), beside ws/ and outside/


def long_names() -> list[Case]:
    out = []
    for n in (101, 300, 100_000):
        name = "a" * n
        for command in (["import", SRC, "--list", name], ["report", "--list", name],
                        ["export", "results", "--list", name], [*CALL, "--list", name]):
            out.append(Case("long names", f"{command[0]} --list of {n:,} characters", command, expect=(2,),
                            setup=voters, message="invalid list name"))
    long = "x" * 300  # a path component over 255 bytes
    out += [
        Case("long names", "import a 300-byte file name", ["import", long + ".csv", "--list", "t2"]),
        Case("long names", "--workspace of 300 bytes", ["--workspace", long, "check"], workspace_option=False),
        Case("long names", "--workspace of 100,000 bytes", ["--workspace", "w" * 100_000, "check"],
             workspace_option=False),
        Case("long names", "export --output of 300 bytes", ["export", "results", "--output", long + ".csv"]),
        Case("long names", "report --html of 300 bytes", ["report", "--html", long + ".html"]),
        Case("long names", "init a 300-byte folder", ["init", long], workspace_option=False),
        Case("long names", "init inside a file", ["init", "ws/scripts.yaml/x"], workspace_option=False),
        Case("long names", "dnc add a 300-byte file", ["dnc", "add", long]),
        Case("long names", "dnc add --reason of 100,000 characters", ["dnc", "add", "n.txt", "--reason", "r" * 100_000],
             setup=write("n.txt", b"2135550199\n", "run"), expect=(2,)),
        Case("long names", "call --email of 252 characters", [*CALL[:2], "--email", "a" * 240 + "@example.org"],
             expect=(2,)),
        Case("long names", "export --output in a folder that cannot be written",
             ["export", "results", "--output", "/proc/phonebank-export.csv"]),
        Case("long names", "a 100,000-character command name", ["c" * 100_000], expect=(2,)),
        Case("long names", "report --volunteer of 100,000 characters", ["report", "--volunteer", "v" * 100_000],
             expect=(0, 1, 2)),
    ]
    return out


BAD = b"\xff\xfe\x80bad"


def not_utf8() -> list[Case]:
    out = [
        Case("non-UTF-8 bytes", f"{cmd[0]} --list of non-UTF-8 bytes", [*cmd, BAD], expect=(2,), setup=voters)
        for cmd in (["import", SRC, "--list"], ["report", "--list"], ["export", "results", "--list"], [*CALL, "--list"])
    ]
    out += [
        Case("non-UTF-8 bytes", "import --map of non-UTF-8 bytes", ["import", SRC, "--list", "t2", "--map", BAD + b"=zip"],
             setup=voters, expect=(2,)),
        Case("non-UTF-8 bytes", "import --encoding of non-UTF-8 bytes",
             ["import", SRC, "--list", "t2", "--encoding", BAD], setup=voters, expect=(2,)),
        Case("non-UTF-8 bytes", "import a file whose name is not UTF-8", ["import", BAD + b".csv", "--list", "t2"],
             setup=lambda ws, outside: (outside.parent / os.fsdecode(BAD + b".csv")).write_bytes(VOTERS_CSV),
             expect=(0,), records_may_change=True),
        Case("non-UTF-8 bytes", "dnc add a file whose name is not UTF-8", ["dnc", "add", BAD],
             setup=lambda ws, outside: (outside.parent / os.fsdecode(BAD)).write_bytes(b"2135550199\n"),
             expect=(0,), records_may_change=True),
        Case("non-UTF-8 bytes", "dnc add --reason of non-UTF-8 bytes", ["dnc", "add", "n.txt", "--reason", BAD],
             setup=write("n.txt", b"2135550198\n", "run"), expect=(0,), records_may_change=True),
        Case("non-UTF-8 bytes", "dnc add binary bytes", ["dnc", "add", "n.bin"],
             setup=write("n.bin", bytes(range(256)) * 50, "run"), expect=(0, 1, 2), records_may_change=True),
        Case("non-UTF-8 bytes", "import binary bytes", ["import", "v.bin", "--list", "t2"],
             setup=write("v.bin", bytes(range(256)) * 50, "run")),
        Case("non-UTF-8 bytes", "import Windows-1252 with undefined bytes", ["import", "v.csv", "--list", "t2"],
             setup=write("v.csv", VOTERS_CSV + b"2,Jos\x81,P\x8dna,2135550102,LA,90012\n", "run")),
        Case("non-UTF-8 bytes", "scripts.yaml not UTF-8", ["check"], setup=append("scripts.yaml", b"\n# \xff\xfe\n"),
             expect=(2,)),
        Case("non-UTF-8 bytes", "volunteers.csv not UTF-8: check", ["check"],
             setup=append("volunteers.csv", b"\xff@x.org,\xfe,\xfd,90012,\n"), expect=(1,)),
        Case("non-UTF-8 bytes", "volunteers.csv not UTF-8: call", CALL, stdin=SAVE_ONE,
             setup=append("volunteers.csv", b"\xff@x.org,\xfe,\xfd,90012,\n"), expect=(1,)),
        Case("non-UTF-8 bytes", "results row not UTF-8: report", ["report"],
             setup=append("results/test/ana@example.org.csv",
                          b"x1,2017-03-20T18:01:00-07:00,ana@example.org,test,V2,+12135550103,not_home,,\xff\xfe,en,0,,,\n"),
             expect=(0,)),
        Case("non-UTF-8 bytes", "do-not-call.csv not UTF-8: dnc list", ["dnc", "list"],
             setup=write("do-not-call.csv", b"phone,added_at,source,reason,row_id\n+12135550100,\xff,x,y,\n"),
             expect=(1,)),
        Case("non-UTF-8 bytes", "a command that is not UTF-8", [BAD], expect=(2,)),
        Case("non-UTF-8 bytes", "lists/ file not UTF-8: call", CALL, stdin=SAVE_ONE,
             setup=append("lists/test.csv", b"\xff,\xfe\n"), expect=(0, 1, 2, EOF_EXIT), records_may_change=True),
    ]
    return out


def huge_numbers() -> list[Case]:
    out = []
    for now in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9" * 5000, "2017-03-20T18:00:00+99:00"):
        for command in (["check"], ["report"], CALL):
            out.append(Case("huge numbers", f"PHONEBANK_NOW={now[:30]} {command[0]}", command, env={"PHONEBANK_NOW": now},
                            expect=(2,), stdin=SAVE_ONE, message="PHONEBANK_NOW"))
    row9999 = b"e9,9999-12-31T23:59:59+00:00,ana@example.org,test,V2,+12135550103,not_home,,,en,5,,,\n"
    callback = b"e8,2017-03-20T17:00:00-07:00,ana@example.org,test,V3,+12135550104,call_back,,,en,5,9999-12-31T23:59:59-12:00,,\n"
    big_seconds = b"e7,2017-03-20T17:00:00-07:00,ana@example.org,test,V4,+12135550105,not_home,,,en," + b"9" * 40 + b",,,\n"
    results = "results/test/ana@example.org.csv"
    out += [
        Case("huge numbers", "a results row dated 9999: call", CALL, stdin=SAVE_ONE, setup=append(results, row9999),
             expect=(0,), records_may_change=True),
        Case("huge numbers", "a call-back at 9999-12-31T23:59:59-12:00: call", CALL, stdin=SAVE_ONE,
             setup=append(results, callback), expect=(0,), records_may_change=True),
        Case("huge numbers", "a results row dated 9999: report", ["report"], setup=append(results, row9999), expect=(0,)),
        Case("huge numbers", "a results row dated 9999: check", ["check"], setup=append(results, row9999), expect=(0,)),
        Case("huge numbers", "a results row of 10^40 seconds: report", ["report"], setup=append(results, big_seconds),
             expect=(0,)),
        Case("huge numbers", "a results row of 10^40 seconds: call", CALL, stdin=SAVE_ONE,
             setup=append(results, big_seconds), expect=(0,), records_may_change=True),
        Case("huge numbers", "report --since of 5,000 digits", ["report", "--since", "9" * 5000], expect=(2,)),
        Case("huge numbers", "report --until 9999-12-31", ["report", "--until", "9999-12-31"], expect=(0,)),
        Case("huge numbers", "PHONEBANK_TODAY=9999-12-31 check", ["check"], env={"PHONEBANK_TODAY": "9999-12-31"},
             expect=(0,)),
        Case("huge numbers", "dnc add a number of 5,000 digits", ["dnc", "add", "n.txt"],
             setup=write("n.txt", b"9" * 5000 + b"\n2135550197\n", "run"), expect=(0,), records_may_change=True),
        Case("huge numbers", "import an age of 5,000 digits", ["import", "v.csv", "--list", "t2", "--dry-run"],
             setup=write("v.csv", b"VANID,FirstName,LastName,Cell Phone,Age\n1,Ana,Reyes,2135550101," + b"9" * 5000
                         + b"\n", "run"), expect=(0, 1)),
    ]
    for key, value in (("after_hours: 24", "after_hours: 1e308"), ("max_attempts: 3", "max_attempts: 10000000000000000000000"),
                       ("claim_minutes: 30", "claim_minutes: 100000000000000000000")):
        def edit(ws: Path, outside: Path, key=key, value=value) -> None:
            path = ws / "scripts.yaml"
            path.write_text(path.read_text(encoding="utf-8").replace(key, value, 1), encoding="utf-8")
        for command in (["check"], CALL):
            out.append(Case("huge numbers", f"scripts.yaml {value}: {command[0]}", command, setup=edit, stdin=SAVE_ONE,
                            expect=(0, 2), records_may_change=True))
    return out


def conflicting_options() -> list[Case]:
    imp = ["import", SRC, "--list", "t2", "--dry-run"]
    out = [
        Case("conflicting options", "--map two columns onto zip", [*imp, "--map", "City=zip", "--map", "Zip=zip"]),
        Case("conflicting options", "--map one column onto two fields", [*imp, "--map", "VANID=zip", "--map", "VANID=city"]),
        Case("conflicting options", "--map onto a field another column has", [*imp, "--map", "Zip=city"], expect=(0,)),
        Case("conflicting options", "--map City=zip", [*imp, "--map", "City=zip"], expect=(0,)),
    ]
    for bad in ("=zip", "nozip", "City=", "City=nosuchfield", "Nope=zip"):
        out.append(Case("conflicting options", f"--map {bad!r}", [*imp, "--map", bad], expect=(2,)))
    for bad in ("é", "", "ab", '"', "\n", "a", "7", " ", "\x1b"):
        out.append(Case("conflicting options", f"--delimiter {bad!r}", [*imp, "--delimiter", bad], expect=(2,)))
    for bad in ("", " ", "u.rejects", "t.REJECTS", "../t", ".hidden", "a/b", "-", "\x1b[31m"):
        for command in (["import", SRC, "--list", bad], ["report", "--list", bad], ["export", "results", "--list", bad],
                        [*CALL, "--list", bad]):
            out.append(Case("conflicting options", f"{command[0]} --list {bad!r}", command, expect=(2,)))
    out += [
        Case("conflicting options", "import --list test.rejects --replace", ["import", SRC, "--list", "test.rejects",
                                                                             "--replace"], expect=(2,)),
        Case("conflicting options", "import onto an existing list without --replace", ["import", SRC, "--list", "test"],
             expect=(2,)),
        Case("conflicting options", "export --excel without --output", ["export", "results", "--excel"], expect=(2,)),
        Case("conflicting options", "export an unknown kind", ["export", "everything"], expect=(2,)),
        Case("conflicting options", "report --format bogus", ["report", "--format", "bogus"], expect=(2,)),
        Case("conflicting options", "report --since after --until", ["report", "--since", "2017-03-12", "--until",
                                                                      "2017-03-11"], expect=(2,)),
        Case("conflicting options", "report --html onto scripts.yaml", ["report", "--html", "ws/scripts.yaml"], expect=(2,)),
        Case("conflicting options", "export --output onto a list", ["export", "results", "--output", "ws/lists/test.csv"],
             expect=(2,)),
        Case("conflicting options", "call --language xx", [*CALL, "--language", "xx"], expect=(2,)),
        Case("conflicting options", "init an existing workspace", ["init", "ws"], workspace_option=False, expect=(2,)),
        Case("conflicting options", "init ''", ["init", ""], workspace_option=False, expect=(2,)),
        Case("conflicting options", "dnc add a folder", ["dnc", "add", "ws"], expect=(2,)),
        Case("conflicting options", "dnc add /dev/zero", ["dnc", "add", "/dev/zero"], expect=(2,)),
        Case("conflicting options", "import /dev/zero", ["import", "/dev/zero", "--list", "t2"], expect=(2,)),
        Case("conflicting options", "import a folder", ["import", "ws", "--list", "t2"], expect=(2,)),
        Case("conflicting options", "--workspace is a file", ["--workspace", "ws/scripts.yaml", "check"],
             workspace_option=False, expect=(2,)),
        Case("conflicting options", "PHONEBANK_WORKSPACE is missing", ["check"], workspace_option=False,
             env={"PHONEBANK_WORKSPACE": "/nonexistent/ws"}, expect=(2,)),
    ]
    for case in out:
        case.setup = case.setup or voters
    return out


ESC = "\x1b[2J\x1b[31m"  # clear the screen, red (BEL, \x07, makes an import file binary: refused before)


def _escape_in_voter_names(ws: Path, outside: Path) -> None:
    """Every voter's first name in lists/test.csv holds ESC sequences (an import keeps ESC: it is not binary)."""
    path = ws / "lists" / "test.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    column = lines[0].split(",").index("first_name")
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) > column:
            fields[column] = fields[column] + ESC
        out.append(",".join(fields))
    path.write_text("\n".join(out), encoding="utf-8")


def escape_codes() -> list[Case]:
    evil = "\x1b]0;owned\x07\x1b[2J"
    roster = f"\neve@example.org,{evil},{evil},90012,2017-03-01T10:00:00-08:00\n".encode()
    row = (f"z1,2017-03-20T17:30:00-07:00,eve@example.org,test,V2,+12135550103,not_home,,{evil},en,5,,,\n").encode()
    planted = both(append("volunteers.csv", roster), write("results/test/eve@example.org.csv",
                                                           b"row_id,recorded_at,volunteer,list,voter_id,phone,code,answers,"
                                                           b"note,language,seconds,callback_at,undoes,overlaps\n" + row))
    return [
        Case("escape codes", "a registered name with ESC/BEL: report table", ["report"], setup=planted, expect=(0,)),
        Case("escape codes", "a registered name with ESC/BEL: report markdown", ["report", "--format", "markdown"],
             setup=planted, expect=(0,)),
        Case("escape codes", "an ESC in --list", ["report", "--list", evil], expect=(2,)),
        Case("escape codes", "an ESC in a command name", [evil], expect=(2,)),
        Case("escape codes", "an ESC in an import path", ["import", evil, "--list", "t2"], expect=(2,)),
        Case("escape codes", "an ESC in --since", ["report", "--since", evil], expect=(2,)),
        Case("escape codes", "an ESC in PHONEBANK_NOW", ["check"], env={"PHONEBANK_NOW": evil}, expect=(2,)),
        Case("escape codes", "an ESC in an imported field: import summary", ["import", "v.csv", "--list", "t2"],
             setup=write("v.csv", f"VANID,FirstName,LastName,Cell Phone,{ESC}\n1,Ana,{ESC},2135550101,{ESC}\n".encode(),
                         "run"), expect=(0,), records_may_change=True),
        Case("escape codes", "a voter name with ESC in the list: the volunteer's screen", CALL, stdin=b"q\n",
             setup=_escape_in_voter_names, expect=(0,)),
        Case("escape codes", "registration with ESC/BEL in the name", ["register", "--plain"],
             stdin=f"{evil}\nReyes\nAna\nReyes\nzed@example.org\n90012\n".encode(), expect=(0, EOF_EXIT),
             records_may_change=True),
    ]


def prompt_answers() -> list[Case]:
    """Plain-mode answers (the prompt side of issue 15, fixed in the prompts and the calling session)."""
    register = ["register", "--plain"]
    return [
        Case("prompt answers", "register: names that are not UTF-8", register,
             stdin=b"\xff\xfe\nRe\x80yes\nzz@example.org\n90012\n", expect=(0, EOF_EXIT), records_may_change=True),
        Case("prompt answers", "register: a name with ESC", register,
             stdin=b"Ana\x1b[2J\nReyes\nzz@example.org\n90012\n", expect=(0, EOF_EXIT), records_may_change=True),
        Case("prompt answers", "register: an email of 262 characters", register,
             stdin=b"Ana\nReyes\n" + b"a" * 250 + b"@example.org\n90012\n", expect=(EOF_EXIT,)),
        Case("prompt answers", "call: a menu answer of 5,000 digits", CALL, stdin=b"9" * 5000 + b"\nq\n", expect=(0,)),
        Case("prompt answers", "call: a note that is not UTF-8", CALL, stdin=b"n\n\xff\xfe note\ns\nq\n", expect=(0,),
             records_may_change=True),
        Case("prompt answers", "call: a menu answer with BEL", CALL, stdin=b"\x07\nq\n", expect=(0,)),
    ]


CASES = long_names() + not_utf8() + huge_numbers() + conflicting_options() + escape_codes() + prompt_answers()


def _stress(case: Case) -> bool:
    """Under `stress` (besides those QUICK_STRIDE leaves out): the same refusal through every command
    (quick runs keep import and call)."""
    if case.category in ("conflicting options", "long names") and case.args[:1] in (["report"], ["export"]):
        return "--list" in case.args
    return False


# a quick run: two or three cases of each kind, spread over its list (the whole run: all of them)
QUICK_STRIDE = {"long names": 10, "non-UTF-8 bytes": 10, "huge numbers": 15, "conflicting options": 18,
                "escape codes": 4, "prompt answers": 3}


@pytest.mark.parametrize("case", params(CASES, stress=_stress, every=QUICK_STRIDE))
def test_hostile_case(case: Case, tmp_path: Path, hostile_template: Path) -> None:
    check_outcome(case, run_case(case, tmp_path, hostile_template))


def test_export_never_sends_an_imported_escape_sequence(tmp_path: Path, hostile_template: Path) -> None:
    """An imported extra column holding ESC never reaches the screen as a sequence through `export`, on a
    terminal or into a pipe."""
    pexpect = pytest.importorskip("pexpect")
    import shutil

    from hostilekit import NOW, PHONEBANK

    ws = tmp_path / "ws"
    shutil.copytree(hostile_template, ws)
    source = tmp_path / "v.csv"
    source.write_bytes(f"VANID,FirstName,LastName,Cell Phone,Notes\n1,Ana,Reyes,2135550101,hi{ESC}there\n".encode())
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PHONEBANK_HOME": str(tmp_path), "PHONEBANK_NOW": NOW,
           "LANG": "C.UTF-8"}
    import subprocess

    from click.testing import CliRunner

    from phonebank.cli import cli

    done = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(source), "--list", "esc"],
                              env={"PHONEBANK_NOW": NOW}, catch_exceptions=False)  # the setup: in-process
    assert done.exit_code == 0, done.output
    with open(ws / "results" / "test" / "ana@example.org.csv", "rb") as fh:
        row = fh.read().splitlines()[1].replace(b",test,", b",esc,")
    voter_id = (ws / "lists" / "esc.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0].strip('"')
    fields = row.split(b",")
    fields[4] = voter_id.encode()
    (ws / "results" / "esc").mkdir(mode=0o700)
    (ws / "results" / "esc" / "ana@example.org.csv").write_bytes((ws / "results" / "test" / "ana@example.org.csv")
                                                                  .read_bytes().splitlines(True)[0] + b",".join(fields)
                                                                  + b"\n")
    argv = ["--workspace", str(ws), "export", "results", "--list", "esc"]
    assert ESC.encode() in (ws / "lists" / "esc.csv").read_bytes()  # the list keeps what the voter file held
    piped = subprocess.run([PHONEBANK, *argv], env=env, capture_output=True)
    assert piped.returncode == 0 and b"\x1b" not in piped.stdout, piped.stderr
    child = pexpect.spawn(PHONEBANK, argv, env=env, timeout=60)  # a terminal: for_screen escapes what is left
    screen = child.read()
    child.close()
    assert child.exitstatus == 0, screen
    assert b"hi" in screen and b"there" in screen and b"\x1b" not in screen
    COUNTS["escape codes"] += 2
