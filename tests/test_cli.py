"""The `phonebank` entry point: help, version, the command table, and a light import for volunteers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from phonebank import __version__
from phonebank.cli import COMMANDS

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(invoke, flag: str) -> None:
    out = invoke(None, flag)
    assert out.exit_code == 0
    assert out.stdout.startswith("Usage: phonebank [OPTIONS] COMMAND [ARGS]...")
    assert "--workspace DIR" in out.stdout and "--version" in out.stdout
    for name in ("init", "check", "script"):
        assert re.search(rf"^  {name} +{re.escape(COMMANDS[name][2])}$", out.stdout, re.M), name


def test_help_without_a_command(invoke) -> None:
    out = invoke(None)  # click prints the help (to stderr since click 8.2) and exits 0 or 2
    assert out.output.startswith("Usage: phonebank [OPTIONS] COMMAND [ARGS]...")


def test_version(invoke) -> None:
    out = invoke(None, "--version")
    assert out.exit_code == 0
    assert out.stdout == f"phonebank, version {__version__}\n"


def test_unknown_command(invoke) -> None:
    out = invoke(None, "frobnicate")
    assert out.exit_code == 2
    assert out.stderr.splitlines()[-1] == "Error: No such command 'frobnicate'."


def test_subcommand_help(invoke) -> None:
    for args in (["check", "-h"], ["script", "preview", "--help"]):
        out = invoke(None, *args)
        assert out.exit_code == 0
        assert out.stdout.startswith(f"Usage: phonebank {' '.join(args[:-1])} [OPTIONS]")


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if not re.search(rf"^### phonebank {name}\b(?! *\(TODO)", readme, re.M)]
    assert missing == []


def test_readme_setup_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", setup, re.S)
    assert [b.strip() for b in blocks] == ["pip install -e . && phonebank call", "pip install -e '.[test]' && pytest"]


def test_ci_script_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && pytest" in ci
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111


LIGHT_PATHS = {  # what runs in a fresh interpreter; it fails (an assert) when pandas or numpy got loaded
    "loading the workspace and its script": (
        "import phonebank.cli, phonebank.script, phonebank.workspace\n"
        "ws = phonebank.workspace.find_workspace(sys.argv[1])\n"
        "phonebank.script.load_script(ws.script_path)\n"
    ),
    "check and script preview": (
        "from phonebank.cli import cli\n"
        "for args in (['check'], ['script', 'preview']):\n"
        "    try:\n"
        "        cli.main(['-w', sys.argv[1], *args], prog_name='phonebank')\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
    ),
}


@pytest.mark.parametrize("code", LIGHT_PATHS.values(), ids=LIGHT_PATHS.keys())
def test_light_paths_do_not_import_pandas(workspace: Path, code: str) -> None:
    code = f"import sys\n{code}heavy = sorted(m for m in ('pandas', 'numpy') if m in sys.modules)\nassert not heavy, heavy\n"
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_numpy_starts_no_spinning_blas_threads(workspace: Path) -> None:
    """OpenBLAS would start a thread per core at numpy's import, spinning for a while; phonebank does no
    linear algebra, so `main` asks for none (a report or import keeps both cores for its own work)."""
    code = ("import os, sys\n"
            "from phonebank import cli\n"
            "sys.argv = ['phonebank', '-w', sys.argv[1], 'check']\n"
            "try:\n"
            "    cli.main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "import numpy\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1", "1"]  # the main thread alone
