"""`phonebank init DIR`: a new workspace from the template, never over an existing one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from phonebank.scaffold import SAMPLE_LIST, template_dir

REPO = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_template_script_is_the_repository_script() -> None:
    template = Path(str(template_dir()))
    assert (template / "scripts.yaml").read_bytes() == (REPO / "scripts.yaml").read_bytes(), (
        "phonebank/template/scripts.yaml differs from scripts.yaml — copy the repository's file over it"
    )


def test_template_sample_list_is_the_repository_list() -> None:
    repo_list = REPO / "lists" / SAMPLE_LIST
    if not repo_list.exists():
        pytest.skip(f"lists/{SAMPLE_LIST} is not generated yet")
    template = Path(str(template_dir())) / "lists" / SAMPLE_LIST
    assert template.exists(), f"copy lists/{SAMPLE_LIST} to phonebank/template/lists/"
    assert template.read_bytes() == repo_list.read_bytes(), (
        f"phonebank/template/lists/{SAMPLE_LIST} differs from lists/{SAMPLE_LIST} — copy it over"
    )


def test_init_creates_a_workspace(tmp_path: Path, invoke) -> None:
    target = tmp_path / "campaign"
    result = invoke(None, "init", str(target))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == ["lists", "results", "scripts.yaml"]
    assert (target / "scripts.yaml").read_bytes() == (REPO / "scripts.yaml").read_bytes()
    assert list((target / "lists").iterdir()) == []
    assert mode(target) == 0o700  # the workspace will hold the roster and do-not-call list
    assert mode(target / "lists") == 0o700
    assert mode(target / "results") == 0o700
    assert mode(target / "scripts.yaml") == 0o600
    assert result.stdout.splitlines() == [
        f"Created workspace {target.resolve()}",
        "  scripts.yaml               the call script, response codes and calling rules — edit it for your campaign",
        "  lists/                     call lists (private folder)",
        "  results/                   saved calls (private folder)",
        "Next:",
        f"  cd {target}",
        "  phonebank check                            validate the script and lists",
        "  phonebank script preview                   read the script as volunteers will",
        "  phonebank import VOTERS.csv --list NAME    turn a voter-file export into a call list",
        "  phonebank call                             start calling",
    ]


def test_new_workspace_passes_check(tmp_path: Path, invoke) -> None:
    target = tmp_path / "campaign"
    assert invoke(None, "init", str(target)).exit_code == 0
    result = invoke(target, "check", env={"PHONEBANK_TODAY": "2017-03-01"})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "OK"


def test_init_into_an_existing_empty_folder(tmp_path: Path, invoke) -> None:
    result = invoke(None, "init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "scripts.yaml").is_file()


def test_init_with_sample(tmp_path: Path, invoke) -> None:
    if not (Path(str(template_dir())) / "lists" / SAMPLE_LIST).exists():
        pytest.skip("the sample list is not in the template yet")
    target = tmp_path / "campaign"
    result = invoke(None, "init", str(target), "--with-sample")
    assert result.exit_code == 0, result.output
    copied = target / "lists" / SAMPLE_LIST
    assert copied.read_bytes() == (REPO / "lists" / SAMPLE_LIST).read_bytes()
    assert mode(copied) == 0o600
    assert f"  lists/{SAMPLE_LIST}" in result.stdout


@pytest.mark.parametrize("existing", ["scripts.yaml", "lists", "results"])
def test_init_refuses_to_overwrite(tmp_path: Path, invoke, existing: str) -> None:
    target = tmp_path / "campaign"
    target.mkdir()
    if existing == "scripts.yaml":
        (target / existing).write_text("# my edited script\n")
    else:
        (target / existing).mkdir()
    result = invoke(None, "init", str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {target} already holds a workspace (found {existing}) — choose a new folder; nothing was changed\n"
    )
    assert sorted(p.name for p in target.iterdir()) == [existing]
    if existing == "scripts.yaml":
        assert (target / existing).read_text() == "# my edited script\n"


def test_init_refuses_the_repository_workspace(invoke) -> None:
    result = invoke(None, "init", str(REPO))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {REPO} already holds a workspace (found scripts.yaml, lists, results")


def test_init_onto_a_file(tmp_path: Path, invoke) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = invoke(None, "init", str(target))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {target} is a file, not a folder — choose another path for the new workspace\n"


def test_init_help(invoke) -> None:
    result = invoke(None, "init", "--help")
    assert result.exit_code == 0
    assert "Usage: phonebank init [OPTIONS] DIR" in result.stdout
    assert "--with-sample" in result.stdout
