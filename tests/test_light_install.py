"""A light install for volunteers: `pip install .` pulls neither pandas nor pyarrow (nor numpy, nor phonenumbers:
only the importer uses it); calling works
without them, on the shipped sample workspace too (the calling index falls back to the csv reader); the
organizer's commands name the extra to install, in one line, when they are missing."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from phonebank.cli import cli

from callkit import REPO

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working

HEAVY = ("pandas", "pyarrow", "numpy", "phonenumbers")
# Run phonebank as if pandas, pyarrow, numpy and phonenumbers were not installed: importing any of them fails
# as it does when it is absent (a finder first on sys.meta_path; sys.modules[name] = None would differ: some
# libraries look numpy up in sys.modules).
WITHOUT_HEAVY = (
    "import sys\n"
    f"HEAVY = {HEAVY!r}\n"
    "class Absent:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in HEAVY:\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, Absent())\n"
    "from phonebank.cli import main\n"
    "sys.argv[0] = 'phonebank'\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in HEAVY), file=sys.stderr)\n"
)


def requirement_names(text: str) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0].lower() for line in text.strip().splitlines()
            if line.strip() and not line.strip().startswith("#")}


def test_the_volunteer_install_leaves_out_the_organizer_s_libraries():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    core = requirement_names(cfg["options"]["install_requires"])
    extras = {name: requirement_names(text) for name, text in cfg["options.extras_require"].items()}
    assert not core & set(HEAVY), core
    assert {"click", "pyyaml", "questionary"} <= core
    assert extras["organizer"] == set(HEAVY)
    assert extras["postgres"] == {"psycopg"}
    assert extras["organizer"] | extras["postgres"] | {"pytest"} <= extras["test"]  # the README's test command


def run_light(args: list[str], cwd, input: str = "", home=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEBANK_")}
    env.update(PHONEBANK_NOW="2017-03-25T18:05:00-07:00", PHONEBANK_HOME=str(home or cwd / ".home"))
    return subprocess.run([sys.executable, "-c", WITHOUT_HEAVY, *args], input=input, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_the_sample_workspace_calls_without_pandas_or_pyarrow(tmp_path):
    """`pip install -e . && phonebank call` on the shipped sample workspace: the first call builds the calling
    index with the csv reader, registers the volunteer, shows the first voter."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(REPO / "scripts.yaml", root / "scripts.yaml")
    shutil.copytree(REPO / "lists", root / "lists")
    (root / "results").mkdir()
    done = run_light(["call", "--plain"], root, "ana@example.org\ny\nAna\nReyes\n90033\nq\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Preparing list 'ca34-sample' for calling" in done.stdout
    assert "Calling list 'ca34-sample' as Ana Reyes (ana@example.org)." in done.stdout
    assert "Call the number above: " in done.stdout and "Session summary: 0 calls" in done.stdout
    assert (root / ".phonebank" / "ca34-sample.sqlite").is_file()
    assert "HEAVY []" in done.stderr and "Traceback" not in done.stderr


def test_check_and_preview_work_without_them(workspace):
    for args in (["check"], ["script", "preview"]):
        done = run_light(args, workspace)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "HEAVY []" in done.stderr


@pytest.mark.parametrize(("args", "command"), [
    (["import", "SOURCE", "--list", "x"], "import"),
    (["report"], "report"),
    (["export", "results"], "export"),
    (["dnc", "add", "numbers.txt"], "dnc add"),
])
def test_organizer_commands_name_the_extra_in_one_line(workspace, args, command):
    (workspace / "SOURCE").write_text("first,last,phone\nAna,Reyes,2135550101\n")
    (workspace / "numbers.txt").write_text("+12135550101\n")
    done = run_light(args, workspace)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("HEAVY")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert re.fullmatch(
        rf"Error: `phonebank {command}` needs (pandas|pyarrow|numpy|phonenumbers), one of the organizer's tools the volunteer's "
        r"install leaves out — install them with: pip install 'phonebank\[organizer\]' \(in a clone: pip install -e "
        r"'\.\[organizer\]'\)", lines[0]), lines[0]


def push_without(module: str, monkeypatch, tmp_path):
    """`phonebank db push` when the push finds ``module`` missing (no server needed)."""
    from phonebank.store import postgres

    def push_workspace(*args, **kwargs):
        raise ModuleNotFoundError(f"No module named '{module}'", name=module)

    monkeypatch.setattr(postgres, "push_workspace", push_workspace)
    monkeypatch.setattr(postgres, "connect", lambda url: _NoConnection())
    (tmp_path / "scripts.yaml").write_text((REPO / "scripts.yaml").read_text())
    return CliRunner().invoke(cli, ["--database", "postgresql:///x", "-w", str(tmp_path), "db", "push"])


def test_a_database_command_missing_them_says_so_too(monkeypatch, tmp_path):
    """db push / db pull may use pyarrow: the same one line, whatever the command."""
    done = push_without("pyarrow", monkeypatch, tmp_path)
    assert done.exit_code == 2
    assert done.stderr.startswith("Error: `phonebank db push` needs pyarrow, one of the organizer's tools")


def test_another_missing_module_is_not_hidden(monkeypatch, tmp_path):
    assert isinstance(push_without("somethingelse", monkeypatch, tmp_path).exception, ModuleNotFoundError)


class _NoConnection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_volunteer_calls_from_home_without_them(tmp_path):
    """`pip install 'phonebank[postgres]'` at home: join and call a shared campaign, with pandas, pyarrow,
    numpy and phonenumbers absent."""
    from homekit import T0, base_env, open_campaign

    campaign = open_campaign(tmp_path)
    try:
        home, folder = tmp_path / "home", tmp_path / "ca34"
        home.mkdir()
        env = base_env(home, T0)

        def light(*args: str, input: str = "") -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-c", WITHOUT_HEAVY, *args], input=input, capture_output=True,
                                  text=True, cwd=tmp_path, env=env, timeout=120)

        joined = light("join", campaign.invite("ana@example.org").url, str(folder))
        assert joined.returncode == 0 and "HEAVY []" in joined.stderr, joined.stdout + joined.stderr
        called = light("-w", str(folder), "call", "--plain", input="Ana\nReyes\n90033\nn\n\ns\nq\n")
        assert called.returncode == 0, called.stdout + called.stderr
        assert "Saved: Not home / no answer for María García" in called.stdout and "HEAVY []" in called.stderr
        assert [(r[1], r[2]) for r in campaign.rows()] == [("V1", "ana@example.org")]
    finally:
        campaign.close()


def test_without_psycopg_join_and_a_joined_call_say_what_to_install(tmp_path):
    folder = tmp_path / "ca34"
    folder.mkdir()
    shutil.copy(REPO / "scripts.yaml", folder / "scripts.yaml")
    (folder / "workspace.yaml").write_text("database: postgresql://pb_1@db.example.org/ca34?sslmode=require\n")
    code = WITHOUT_HEAVY.replace("HEAVY = (", "HEAVY = ('psycopg', ")
    for args in (["join", "postgresql://pb_1:pw@db.example.org/ca34?sslmode=require", str(tmp_path / "new")],
                 ["-w", str(folder), "call", "--plain"]):
        done = subprocess.run([sys.executable, "-c", code, *args], input="q\n", capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines()[0] == ("Error: the PostgreSQL store needs psycopg — install it with: "
                                               "pip install 'phonebank[postgres]'")
