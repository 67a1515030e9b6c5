"""Finding the workspace: --workspace (before or after the command), $PHONEBANK_WORKSPACE, the current folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phonebank.errors import WorkspaceError
from phonebank.workspace import Workspace, find_workspace

NOT_HERE = (
    "Error: no phonebank workspace in the current folder: scripts.yaml not found — cd into a workspace, "
    "pass --workspace DIR, set PHONEBANK_WORKSPACE, or create one with `phonebank init DIR`\n"
)


def other_workspace(tmp_path: Path, workspace: Path) -> Path:
    """A second workspace whose campaign name tells it apart from ``workspace``."""
    other = tmp_path / "other"
    shutil.copytree(workspace, other)
    script = other / "scripts.yaml"
    script.write_text(script.read_text().replace("name: Arturo Carmona for Congress", "name: Other Campaign"))
    return other


def campaign_shown(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.split(" — ", 1)[0]


def test_workspace_option_before_the_command(workspace: Path, invoke) -> None:
    assert campaign_shown(invoke(None, "--workspace", str(workspace), "script", "preview")) == "Arturo Carmona for Congress"
    assert campaign_shown(invoke(None, "-w", str(workspace), "script", "preview")) == "Arturo Carmona for Congress"


def test_workspace_option_after_the_command(workspace: Path, invoke) -> None:
    assert campaign_shown(invoke(None, "script", "preview", "--workspace", str(workspace))) == "Arturo Carmona for Congress"
    assert campaign_shown(invoke(None, "check", "-w", str(workspace))).startswith("Workspace ")


def test_option_after_the_command_wins_over_the_one_before(tmp_path: Path, workspace: Path, invoke) -> None:
    other = other_workspace(tmp_path, workspace)
    result = invoke(None, "-w", str(workspace), "script", "preview", "-w", str(other))
    assert campaign_shown(result) == "Other Campaign"


def test_environment_variable(tmp_path: Path, workspace: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHONEBANK_WORKSPACE", str(workspace))
    assert campaign_shown(invoke(None, "script", "preview")) == "Arturo Carmona for Congress"


def test_option_wins_over_the_environment(tmp_path: Path, workspace: Path, invoke, monkeypatch) -> None:
    other = other_workspace(tmp_path, workspace)
    monkeypatch.setenv("PHONEBANK_WORKSPACE", str(workspace))
    assert campaign_shown(invoke(other, "script", "preview")) == "Other Campaign"


def test_environment_wins_over_the_current_folder(tmp_path: Path, workspace: Path, invoke, monkeypatch) -> None:
    other = other_workspace(tmp_path, workspace)
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("PHONEBANK_WORKSPACE", str(other))
    assert campaign_shown(invoke(None, "script", "preview")) == "Other Campaign"


def test_current_folder(workspace: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    assert campaign_shown(invoke(None, "script", "preview")) == "Arturo Carmona for Congress"


@pytest.mark.parametrize("command", [["check"], ["script", "preview"]])
def test_outside_any_workspace(tmp_path: Path, invoke, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(None, *command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == NOT_HERE


def test_workspace_option_pointing_nowhere(tmp_path: Path, invoke) -> None:
    missing = tmp_path / "nope"
    result = invoke(missing, "check")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: workspace {missing} (--workspace) is not a folder — create one with `phonebank init {missing}` "
        "or point --workspace at an existing one\n"
    )


def test_environment_pointing_at_a_folder_without_a_script(tmp_path: Path, invoke, monkeypatch) -> None:
    monkeypatch.setenv("PHONEBANK_WORKSPACE", str(tmp_path))
    result = invoke(None, "check")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: no phonebank workspace in {tmp_path} (from PHONEBANK_WORKSPACE): scripts.yaml not found — cd "
        "into a workspace, pass --workspace DIR, set PHONEBANK_WORKSPACE, or create one with `phonebank init DIR`\n"
    )


def test_find_workspace_resolves_the_root(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace.parent)
    ws = find_workspace(workspace.name)
    assert ws == Workspace(workspace.resolve())
    assert ws.script_path == workspace.resolve() / "scripts.yaml"
    with pytest.raises(WorkspaceError):
        find_workspace(None, cwd=workspace.parent)


def test_list_names_skip_rejects_and_hidden_files(workspace: Path) -> None:
    lists = workspace / "lists"
    for name in ("b.csv", "a.csv", "a.rejects.csv", ".tmp.csv", "notes.txt"):
        (lists / name).write_text("")
    names = Workspace(workspace).list_names()
    assert [n for n in names if n != "ca34-sample"] == ["a", "b"]


def test_repository_root_is_a_workspace() -> None:
    root = Path(__file__).resolve().parent.parent
    assert find_workspace(root).root == root
