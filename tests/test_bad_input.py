"""Bad-input suite: broken voter files and broken scripts.yaml files, through the command line.

Every broken input ends in one-line errors ("Error: ..." / "Warning: ..." lines only, never a
traceback), exit code 1 or 2, and no partial output: lists/ is byte-identical afterwards (each
import runs with --replace over an existing list, so a half-done import would show). Odd but valid
voter files import, and the list they give parses. Hypothesis then feeds generated CSV bytes
(real header aliases, random delimiters, quotes, encodings, NULs) and raw bytes to the importer.

The existing exact-message tests live in test_import_errors.py and test_script.py; the cases here
assert what the promise needs (clean, one line, nothing written) plus a fragment naming the problem.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.cli import cli
from phonebank.importer.aliases import ALIASES
from phonebank.lists import read_list

import figures
from callkit import make_workspace

REPO = Path(__file__).resolve().parent.parent
PHONEBANK = str(Path(sys.executable).with_name("phonebank"))
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
HEADER = b"VANID,FirstName,LastName,Cell Phone\n"
ROWS_4000 = b"".join(b"%d,Ana,Reyes,213555%04d\n" % (i, i) for i in range(4000))
TRIED: Counter[str] = Counter()
KNOWN = "regression cases (bugs these suites found, now fixed)"


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    known = TRIED.pop(KNOWN, 0)
    figures.record("bad input", f"{sum(TRIED.values()) + known} bad inputs tried (" + ", ".join(
        f"{n} {what}" for what, n in TRIED.items()) + "): 0 tracebacks, 0 partial outputs"
        + (f"; plus {known} {KNOWN} in scripts.yaml validation" if known else ""))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose list 't' (with a rejects file) every failing import tries to replace."""
    root = tmp_path_factory.mktemp("base") / "ws"
    (root / "lists").mkdir(parents=True)
    (root / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    src = root.parent / "good.csv"
    src.write_bytes(HEADER + b"1,Ana,Reyes,2135550101\n2,Bo,Kim,\n3,Cy,Lu,(323) 555-0103\n")
    result = run(root, "import", str(src), "--list", "t")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "lists").iterdir()) == ["t.csv", "t.rejects.csv"]
    return root


@pytest.fixture
def ws(base: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    return root


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def error_lines(result: Result) -> list[str]:
    """Check a clean failure (exit 1 or 2, only Error:/Warning: lines, no traceback); return the lines."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output[-500:])
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines, result.output
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), lines
    return lines


def one_line_error(result: Result) -> str:
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert result.stdout == ""
    return lines[0][len("Error: "):]


# -- broken voter files -------------------------------------------------------------------------

BAD_VOTER_FILES = [
    # (id, file bytes, extra options, file suffix, exit code, fragment of the message)
    ("empty", b"", [], ".csv", 1, "the file is empty"),
    ("header only, CRLF", HEADER.replace(b"\n", b"\r\n"), [], ".csv", 1, "only a header row"),
    ("only whitespace", b" \t \r\n\t\n   \r\n\n", [], ".csv", 1, "the file is empty"),
    ("only a UTF-8 BOM", b"\xef\xbb\xbf", [], ".csv", 1, "the file is empty"),
    ("only a UTF-16 BOM", b"\xff\xfe", [], ".csv", 1, "the file is empty"),
    ("gzip bytes", b"\x1f\x8b\x08\x00" + bytes(range(60)), [], ".csv.gz", 1, "not a text file"),
    ("NUL in the header", b"VAN\x00ID,FirstName,Cell Phone\n1,Ana,2135550101\n", [], ".csv", 1, "not a text file"),
    ("NUL in a row", HEADER + b"1,An\x00a,Reyes,2135550101\n", [], ".csv", 1, "not a text file"),
    ("NUL past the sniffed start", HEADER + ROWS_4000 + b"9999,A\x00na,Reyes,2135550101\n", [], ".csv", 1,
     ":4002: not a text file (a NUL byte in column 'FirstName')"),
    ("NUL-only row past the sniffed start", HEADER + ROWS_4000 + b"\x00\x00\x00\n", [], ".csv", 1,
     ":4002: not a text file (a NUL byte"),
    ("ragged semicolon file", b"FirstName;Cell Phone\nAna;2135550101\nBo;2135550102;x\n", [], ".csv", 1,
     ":3: 3 fields but the header has 2"),
    ("short rows, every one rejected", HEADER + b"1,Ana\n2\n", [], ".csv", 1, "no voter to import"),
    ("no valid phone anywhere", HEADER + b"1,Ana,Reyes,notaphone\n2,Bo,Kim,000\n", [], ".csv", 1,
     "no voter to import — all 2 rows were rejected (2 no valid phone; line 2: no valid phone)"),
    ("tab header, comma rows", b"FirstName\tCell Phone\nAna,2135550101\n", [], ".txt", 1, "no voter to import"),
    ("10 MB quoted field over many lines", HEADER + b'1,"' + b"ab\n" * 3_500_000 + b'",Reyes,2135550101\n', [],
     ".csv", 1, "column 'FirstName' holds a 10,500,000-byte value"),
    ("5 MB header, no newline", b"FirstName,Cell Phone," + b"x" * 5_000_000, [], ".csv", 1, "only a header row"),
    ("unclosed quote on the last line", HEADER + b'1,Ana,"Reyes,2135550101\n', [], ".csv", 1,
     ":2: a quoted value is never closed"),
    ("only quote characters", b'"""""""""""""\n', [], ".csv", 1, "a quoted value is never closed"),
    ("backslash-escaped quote", HEADER + b'1,"Ana\\"",Reyes,2135550101\n', [], ".csv", 1,
     "a quoted value is never closed"),
    ("UTF-16 with BOM and a stray byte", "FirstName,Cell Phone\nAna,2135550101\n".encode("utf-16") + b"A", [],
     ".csv", 1, "not valid utf-16 text"),
    ("UTF-16 without BOM, truncated", "FirstName,Cell Phone\nAna,2135550101\n".encode("utf-16-le")[:-1], [],
     ".csv", 1, "not valid utf-16-le text"),
    ("neither UTF-8 nor cp1252", HEADER + b"1,Mu\x81oz,Reyes,2135550101\n", [], ".csv", 1,
     "unknown text encoding"),
    ("UTF-8 read as --encoding utf-32", HEADER + ROWS_4000[:200], ["--encoding", "utf-32"], ".csv", 1,
     "not valid utf-32 text"),
    ("unknown --encoding name", HEADER + ROWS_4000[:200], ["--encoding", "ebcdic-klingon"], ".csv", 2,
     "unknown encoding 'ebcdic-klingon'"),
    ("--encoding rot13 (not a text encoding)", HEADER + ROWS_4000[:200], ["--encoding", "rot13"], ".csv", 2,
     "encoding 'rot13' is not a text encoding"),
    ("--encoding zlib", HEADER + ROWS_4000[:200], ["--encoding", "zlib"], ".csv", 2, "is not a text encoding"),
    ("--encoding punycode", HEADER + ROWS_4000[:200], ["--encoding", "punycode"], ".csv", 2,
     "is not a text encoding"),
    ("--encoding idna", HEADER + ROWS_4000[:200], ["--encoding", "idna"], ".csv", 2, "is not a text encoding"),
    ("--delimiter '\"'", HEADER + ROWS_4000[:200], ["--delimiter", '"'], ".csv", 2, "invalid --delimiter"),
    ("--map with a NUL byte", HEADER + ROWS_4000[:200], ["--map", "Cell\x00Phone=phone"], ".csv", 2,
     "has no column"),
    (".xlsx that is a broken zip", b"PK\x03\x04" + b"\x00" * 30 + b"garbage", [], ".xlsx", 1, "unreadable workbook"),
    ("a PDF", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", [], ".csv", 1,
     "no name and no phone column found"),
    ("JSON", b'[{"FirstName": "Ana", "Cell Phone": "2135550101"}]\n', [], ".csv", 1, "only a header row"),
    ("HTML", b"<html><body><table><tr><td>FirstName</td></tr></table></body></html>\n", [], ".xls", 1,
     "only a header row"),
    ("only delimiters", b",,,,\n,,,,\n", [], ".csv", 1, "only a header row"),
    ("numbers for headers", b"1,2,3\n4,5,6\n", [], ".csv", 1, "no name and no phone column found"),
    ("blank header names", b",,,\nAna,Reyes,2135550101,x\n", [], ".csv", 1, "no name and no phone column found"),
    ("20,002 columns", b",".join(b"c%d" % i for i in range(20000)) + b",FirstName,Cell Phone\n"
     + b"," * 20000 + b"Ana,2135550101\n", [], ".csv", 1, ":1: the header has 20,002 columns (at most 10,000)"),
    ("100,000 columns in a 700 kB header", b",".join(b"Col%d" % i for i in range(100_000)) + b"\n"
     + b"," * 99_999 + b"\n", [], ".csv", 1, ":1: the header has 100,000 columns"),
]


@pytest.mark.parametrize(("data", "args", "suffix", "code", "fragment"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD_VOTER_FILES])
def test_broken_voter_file(ws: Path, tmp_path: Path, data: bytes, args: list[str], suffix: str, code: int,
                           fragment: str) -> None:
    src = tmp_path / f"voters{suffix}"
    src.write_bytes(data)
    before = snapshot(ws)
    result = run(ws, "import", str(src), "--list", "t", "--replace", *args)
    TRIED["voter files"] += 1
    message = one_line_error(result)
    assert result.exit_code == code, message
    assert fragment in message
    assert snapshot(ws) == before


@pytest.mark.parametrize("kind", ["a folder", "a missing file", "its own rejects file", "no --replace"])
def test_voter_file_that_is_not_a_file(ws: Path, tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(HEADER + b"1,Ana,Reyes,2135550101\n")
    source, extra, fragment = {
        "a folder": (tmp_path, ["--replace"], "is a folder, not a file"),
        "a missing file": (tmp_path / "nope.csv", ["--replace"], "file not found"),
        "its own rejects file": (ws / "lists" / "t.rejects.csv", ["--replace"], "no voter to import"),
        "no --replace": (good, [], "list 't' already exists"),
    }[kind]
    before = snapshot(ws)
    result = run(ws, "import", str(source), "--list", "t", *extra)
    TRIED["voter files"] += 1
    assert fragment in one_line_error(result)
    assert snapshot(ws) == before


def imported_ok(ws: Path, result: Result, name: str = "t") -> list[dict[str, str]]:
    """Check a successful import: the list parses, every voter has E.164 phones, the counts add up."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    figures_ = {key: int(value.replace(",", "")) for key, value in
                re.findall(r"^  (rows read|imported|rejected) +([\d,]+)", result.stdout, re.M)}
    voters = list(read_list(ws / "lists" / f"{name}.csv"))
    assert all(v["phones"] and all(E164.match(p) for p in v["phones"]) for v in voters), voters[:3]
    assert len({v["voter_id"] for v in voters}) == len(voters)
    assert figures_["rows read"] == figures_["imported"] + figures_["rejected"]
    assert figures_["imported"] == len(voters)
    rejects = ws / "lists" / f"{name}.rejects.csv"
    if figures_["rejected"]:
        with open(rejects, encoding="utf-8", newline="") as fh:
            assert sum(1 for _ in csv.DictReader(fh)) == figures_["rejected"]
    else:
        assert not rejects.exists()
    return voters


TEXT = "VANID,FirstName,LastName,Cell Phone\n1,Ana,Reyes,2135550101\n2,Bo,Kim,(213) 555-0102\n"
ODD_BUT_VALID = [
    ("UTF-16 LE without BOM", TEXT.encode("utf-16-le"), ".csv", 2),
    ("UTF-16 BE without BOM", TEXT.encode("utf-16-be"), ".csv", 2),
    ("UTF-32 with BOM", TEXT.encode("utf-32"), ".csv", 2),
    ("mixed line endings", TEXT.replace("\n", "\r\n", 1).replace("0101\n", "0101\r").encode(), ".csv", 2),
    ("old Mac line endings", TEXT.replace("\n", "\r").encode(), ".csv", 2),
    (".xlsx that is really CSV text", TEXT.encode(), ".xlsx", 2),
    ("duplicate headers", b"FirstName,FirstName,Cell Phone,Cell Phone\nAna,Ann,2135550101,2135550102\n", ".csv", 1),
    ("100,000 blank lines", b"FirstName,Cell Phone\n" + b"\n" * 100_000 + b"Ana,2135550101\n", ".csv", 1),
    ("cp1252 names", "FirstName,Cell Phone\nPeña,2135550101\nMuñoz,2135550102\n".encode("cp1252"), ".csv", 2),
    ("9,000 columns", b",".join(b"c%d" % i for i in range(9000)) + b",FirstName,Cell Phone\n"
     + b"," * 9000 + b"Ana,2135550101\n", ".csv", 1),
]


@pytest.mark.parametrize(("data", "suffix", "voters"), [pytest.param(*c[1:], id=c[0]) for c in ODD_BUT_VALID])
def test_odd_but_valid_voter_file_imports(ws: Path, tmp_path: Path, data: bytes, suffix: str, voters: int) -> None:
    src = tmp_path / f"voters{suffix}"
    src.write_bytes(data)
    result = run(ws, "import", str(src), "--list", "t", "--replace")
    TRIED["odd voter files"] += 1
    assert len(imported_ok(ws, result)) == voters


# -- broken scripts.yaml ------------------------------------------------------------------------

SAMPLE = (REPO / "scripts.yaml").read_text(encoding="utf-8")


def edit(old: str, new: str) -> str:
    assert SAMPLE.count(old) == 1, old
    return SAMPLE.replace(old, new)


def bomb(levels: int = 9) -> str:
    out = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    out += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(out) + "\n"


SUPPORTER = "  - {id: supporter, contact: true, support: 1, effect: final,"
BAD_SCRIPTS = [
    # (id, file text or bytes, fragment of the first error)
    ("a tab for indentation", edit("  name: Arturo Carmona for Congress", "\tname: Arturo Carmona for Congress"),
     "scripts.yaml:15: YAML syntax error"),
    ("version is text", edit("version: 1", 'version: "one"'), "version: expected a whole number, got text"),
    ("version is a list", edit("version: 1", "version: [1]"), "got a list"),
    ("version overflows a float", edit("version: 1", "version: 1e999"), "version: expected a whole number"),
    ("campaign is text", "version: 1\ncampaign: hello\nsections: []\ncodes: []\n", "campaign: expected a block"),
    ("calling is a number", edit("calling:\n  hours:", "calling: 5\ncalling_was:\n  hours:"), "calling: expected"),
    ("calling hours is text", edit('hours: {start: "09:00", end: "21:00"}', 'hours: "9 to 5"'),
     "calling.hours: expected a block"),
    ("max_attempts is text", edit("max_attempts: 3}", "max_attempts: three}"),
     "calling.retry.max_attempts: expected a whole number"),
    ("claim_minutes negative", edit("claim_minutes: 30", "claim_minutes: -5"), "claim_minutes must be between 1 and 1440"),
    ("a section is text", edit("sections:\n", "sections:\n  - just text\n"), "sections[1]: expected a block"),
    ("section text is a number", edit("      en: >-\n        Hi, may I please", "      en: 5\n      xx: >-\n"
                                      "        Hi, may I please"), "sections[1].text: expected text"),
    ("effect is a number", edit(SUPPORTER, SUPPORTER.replace("effect: final", "effect: 42")), "codes[1]"),
    ("unknown effect", edit(SUPPORTER, SUPPORTER.replace("effect: final", "effect: explode")),
     "effect 'explode' does not exist"),
    ("contact is text", edit(SUPPORTER, SUPPORTER.replace("contact: true", 'contact: "maybe"')),
     "codes[1].contact: expected true/false"),
    ("election date is a list", edit("date: 2017-04-04", "date: []"), "is not a date"),
    ("languages is a mapping", edit("languages: [en, es]", "languages: {en: es}"), "campaign.languages"),
    ("branches is a list", edit('branches: {"yes": berniecrat, "no": organizer, not_sure: organizer}',
                                "branches: [berniecrat, organizer]"), "sections[3].branches"),
    ("next is a number", edit("    next: support\n", "    next: 5\n"), "sections[4].next"),
    ("branch to nothing", edit('branches: {"yes": berniecrat', 'branches: {"yes": ~'), "sections[3].branches"),
    ("an empty id", edit("  - id: intro", "  - id: ''"), "section id '' is not valid"),
    ("a list at the top level", "- version: 1\n- campaign: x\n", "expected a mapping of sections"),
    ("a number at the top level", "42\n", "expected a mapping of sections"),
    ("only comments", "# nothing\n# here\n", "the file is empty"),
    ("missing sections and codes", SAMPLE[:SAMPLE.index("\nsections:")] + "\n", "missing 'sections'"),
    ("sections left empty", edit("\nsections:\n", "\nsections:\nsections_was:\n"), "sections: expected a list"),
    ("not UTF-8", SAMPLE.replace("Elección", "Elecci\udcf3n").encode("utf-8", "surrogateescape"),
     "not UTF-8 text"),
    ("UTF-16", SAMPLE.encode("utf-16"), "not UTF-8 text"),
    ("deeply nested lists", "version: " + "[" * 100_000 + "]" * 100_000 + "\n", "exceeded maximum nesting depth"),
    ("deeply nested mappings", "version: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n", "nesting depth"),
    ("deeply indented blocks", "version: 1\nextra:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 3000)),
     "(at most 1,048,576)"),  # 4.5 MB: refused for its size before its depth
    ("billion laughs beside the script", SAMPLE + bomb(), "expand to more than 100,000 values"),
    ("billion laughs inside a value", edit("  candidate: Arturo Carmona", "  candidate: *l9") .replace(
        "version: 1\n", "version: 1\n" + bomb()), "expand to more than 100,000 values"),
    ("a recursive alias", "a: &a [*a]\n", "expand to more than 100,000 values"),
    ("a merge of a number", edit("  name: Arturo Carmona for Congress", "  <<: 5\n  name: Arturo Carmona for Congress"),
     "expected a mapping or list of mappings for merging"),
    ("a list as a key", edit("version: 1", "? [a, b]\n: 1\nversion: 1"), "found unhashable key"),
    ("!!int on text", edit("version: 1", "version: !!int abc"), "a value cannot be read"),
    ("a local tag", edit("version: 1", "version: !foo 1"), "tag !foo is not allowed"),
    ("!!str on a mapping", edit("\ncampaign:\n", "\ncampaign: !!str\n"), "expected a scalar node"),
    ("two documents", SAMPLE + "\n---\nversion: 2\n", "a second YAML document starts here"),
    ("a YAML 9.9 directive", "%YAML 9.9\n---\n" + SAMPLE, "found incompatible YAML document"),
    ("a 20 MB comment and a bad effect", edit(SUPPORTER, SUPPORTER.replace("effect: final", "effect: boom"))
     + "#" + "x" * 20_000_000 + "\n", "(at most 1,048,576)"),
    ("a 900 KB comment and a bad effect", edit(SUPPORTER, SUPPORTER.replace("effect: final", "effect: boom"))
     + "#" + "x" * 900_000 + "\n", "effect 'boom' does not exist"),
]


@pytest.fixture(scope="module")
def script_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a list and a registered volunteer (for `call`)."""
    return make_workspace(tmp_path_factory.mktemp("scripts") / "ws").root


@pytest.mark.parametrize("content", [pytest.param(c[1], id=c[0]) for c in BAD_SCRIPTS]
                         + [pytest.param(None, id="no scripts.yaml at all")])
def test_broken_script_is_one_line_errors_everywhere(script_ws: Path, content: str | bytes | None,
                                                     request: pytest.FixtureRequest) -> None:
    fragment = {c[0]: c[2] for c in BAD_SCRIPTS}.get(request.node.callspec.id, "")
    path = script_ws / "scripts.yaml"
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = snapshot(script_ws)
    commands = (["script", "preview"], ["check"], ["call", "--email", "ana@example.org", "--list", "test"])
    for args in commands:
        result = run(script_ws, *args)
        lines = error_lines(result)
        errors = [line for line in lines if line.startswith("Error: ")]
        if content is None:  # no workspace at all
            assert errors == [f"Error: no phonebank workspace in {script_ws} (from --workspace): scripts.yaml not "
                              "found — cd into a workspace, pass --workspace DIR, set PHONEBANK_WORKSPACE, or "
                              f"create one with `phonebank init DIR`"]
            continue
        assert result.exit_code == 2, (args, lines)
        assert errors and fragment in errors[0], (args, errors[:3])
        assert all(len(line) < 400 for line in errors), "an error line echoes too much of the file"
    TRIED["scripts.yaml files"] += 1
    assert snapshot(script_ws) == before


SCRIPT_REGRESSIONS = [
    pytest.param(edit("version: 1", "version: 1\x00"), "not allowed", id="a NUL character"),
    pytest.param(edit("version: 1", "version: 1\x07"), "not allowed", id="a control character"),
    pytest.param(edit("  - id: intro", "  - id: " + "a" * 900_000), "section id 'aaa", id="a 900 KB id"),
    pytest.param(edit("  - id: intro", "  - id: " + "a" * 5_000_000), "(at most 1,048,576)", id="a 5 MB id"),
    pytest.param(edit("version: 1", "version: !!bool maybe"), "a value cannot be read", id="!!bool on a non-bool"),
]


@pytest.mark.parametrize(("content", "fragment"), SCRIPT_REGRESSIONS)
def test_broken_script_regressions(script_ws: Path, content: str, fragment: str) -> None:
    (script_ws / "scripts.yaml").write_text(content, encoding="utf-8")
    TRIED[KNOWN] += 1
    result = run(script_ws, "check")
    lines = error_lines(result)
    assert result.exit_code == 2 and fragment in lines[0]
    assert all(len(line) < 400 for line in lines)


NOT_HOME = "  - {id: not_home, effect: retry,"


@pytest.mark.parametrize("value", [".inf", ".nan", "1.0e+300"])
def test_retry_delay_that_is_not_a_finite_number_is_rejected(script_ws: Path, value: str) -> None:
    (script_ws / "scripts.yaml").write_text(edit(NOT_HOME, f"{NOT_HOME} after_hours: {value},"), encoding="utf-8")
    TRIED[KNOWN] += 1
    result = run(script_ws, "check")
    assert result.exit_code == 2 and "after_hours" in error_lines(result)[0]


CIRCULAR = {
    "next back to a branching section": edit("    next: support\n", "    next: bernie\n"),
    "next to itself": edit("    next: support\n", "    next: berniecrat\n"),
}


@pytest.mark.parametrize("text", [pytest.param(t, id=k) for k, t in CIRCULAR.items()])
def test_circular_next_never_hangs_the_calling_session(tmp_path: Path, text: str) -> None:
    """A loop in the script (`next` back to an earlier section) is accepted by `check` today; the calling
    session shows each section once, then asks for the result: the real CLI, with a timeout."""
    ws = make_workspace(tmp_path / "ws")
    (ws.root / "scripts.yaml").write_text(text, encoding="utf-8")
    TRIED["scripts.yaml files"] += 1
    env = {**os.environ, "PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": "2017-03-20T18:00:00-07:00"}
    answers = ["s", "1", "1", "1", "looped", "s", "q"]  # start the script, yes, yes (-> the loop), supporter
    proc = subprocess.run([PHONEBANK, "-w", str(ws.root), "call", "--email", "ana@example.org", "--plain"],
                          input="\n".join(answers) + "\n", capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("— For Bernie supporters —") == 1
    assert proc.stdout.count("— The key question —") == 1
    rows = (ws.results_dir / "test" / "ana@example.org.csv").read_text(encoding="utf-8")
    assert ",supporter," in rows and "looped" in rows


# -- property tests: generated voter files -------------------------------------------------------

ALIAS_HEADERS = sorted({a for names in ALIASES.values() for a in names} | {"Phone1Area", "Phone1Exchange",
                                                                            "Phone1NumberPart", "Notes", ""})
PHONES = ["2135550101", "(213) 555-0102", "+1 323 555 0103", "213.555.0104", "+44 20 7946 0958", "555-0105",
          "1-800-FLOWERS", "0", "", "12135550106", "+12135550107", "213555010", "2135550108 x12", "=2135550109"]
NAMES = ["Ana", "José", "O'Brien", "García, María", 'The "Boss"', "", " ", "=HYPERLINK(\"x\")", "李", "Zoë"]
cell = st.one_of(st.sampled_from(PHONES), st.sampled_from(NAMES), st.text(max_size=6),
                 st.sampled_from([",", ";", "\t", "|", '"', "\n", "\r\n", "\x00", "\\"]))


def render_row(cells: list[str], delimiter: str, quote: bool) -> str:
    if quote:
        return delimiter.join('"' + c.replace('"', '""') + '"' for c in cells)
    return delimiter.join(cells)


@st.composite
def voter_files(draw) -> tuple[bytes, list[str]]:
    headers = draw(st.lists(st.one_of(st.sampled_from(ALIAS_HEADERS), st.text(max_size=8)), min_size=1, max_size=7))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|", " ", ":"]))
    quote = draw(st.sampled_from(["none", "all", "random"]))
    width = len(headers)
    rows = draw(st.lists(st.lists(cell, min_size=max(0, width - 2), max_size=width + 1), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "\n"]))
    lines = [render_row(headers, delimiter, quote == "all")]
    lines += [render_row(r, delimiter, quote == "all" or (quote == "random" and draw(st.booleans()))) for r in rows]
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and data:  # a NUL (or stray byte) somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\x81", b"\xff", b'"'])) + data[at:]
    args: list[str] = []
    if draw(st.booleans()):
        args += ["--delimiter", {"\t": "tab"}.get(delimiter, delimiter)]
    if draw(st.integers(0, 4)) == 0:
        args += ["--encoding", draw(st.sampled_from([encoding, "utf-8", "cp1252", "utf-16"]))]
    return data, args


def import_outcome(ws: Path, src: Path, args: list[str]) -> None:
    """Success with a list that parses and adds up, or one clean error line and lists/ untouched."""
    before = snapshot(ws / "lists")
    result = run(ws, "import", str(src), "--list", "t", "--replace", *args)
    if result.exit_code == 0:
        imported_ok(ws, result)
    else:
        one_line_error(result)
        assert snapshot(ws / "lists") == before


@settings(max_examples=examples(300, 25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=voter_files())
def test_generated_voter_files_import_or_fail_cleanly(base: Path, tmp_path_factory: pytest.TempPathFactory,
                                                      case: tuple[bytes, list[str]]) -> None:
    data, args = case
    root = tmp_path_factory.mktemp("gen")
    ws = root / "ws"
    shutil.copytree(base, ws)
    src = root / "voters.csv"
    src.write_bytes(data)
    TRIED["generated voter files"] += 1
    import_outcome(ws, src, args)


@settings(max_examples=examples(100, 20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_import_or_fail_cleanly(base: Path, tmp_path_factory: pytest.TempPathFactory,
                                             data: bytes) -> None:
    root = tmp_path_factory.mktemp("bytes")
    ws = root / "ws"
    shutil.copytree(base, ws)
    src = root / "voters.csv"
    src.write_bytes(HEADER + data if data[:1] == b"+" else data)
    TRIED["random byte files"] += 1
    import_outcome(ws, src, [])
