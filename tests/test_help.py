"""Every command and subcommand answers ``--help``, and every flag the README shows exists in the help of
the command it is shown with (in the style of sqlite-utils' documentation tests)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from phonebank.cli import COMMANDS, cli

REPO = Path(__file__).resolve().parent.parent
GLOBAL_OPTIONS_WITH_VALUE = {"-w", "--workspace", "--database"}


def command_paths() -> list[tuple[str, ...]]:
    """Every command from the command table, and each subcommand of a group, as argv prefixes."""
    ctx = click.Context(cli)
    paths: list[tuple[str, ...]] = []
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        paths.append((name,))
        if isinstance(command, click.Group):
            paths += [(name, sub) for sub in command.list_commands(ctx)]
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_answers_help(invoke, path: tuple[str, ...]) -> None:
    out = invoke(None, *path, "--help")
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith(f"Usage: phonebank {' '.join(path)}"), out.stdout[:200]
    description = out.stdout.split("\n\n", 2)[1].strip()
    assert description and not description.startswith("Options:"), f"`phonebank {' '.join(path)}` has no description"


def test_the_command_table_lists_what_the_group_runs() -> None:
    assert [p for p in command_paths() if len(p) == 1] == [(name,) for name in COMMANDS]
    assert len(COMMANDS) >= 11


def readme_invocations() -> list[tuple[tuple[str, ...], list[str], str]]:
    """(command path, --flags, the README line) for each `phonebank ...` line of the README's code."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.findall(r"```[a-z]*\n(.*?)```", readme, re.S) + re.findall(r"`([^`\n]*phonebank [^`\n]*)`", readme)
    paths = {p for p in command_paths()}
    found = []
    for block in code:
        for line in block.splitlines():
            m = re.search(r"(?:^|[\s;&|(])phonebank((?: [^#\n]*)?)", line)
            if not m:
                continue
            tokens = m.group(1).split()
            words: list[str] = []
            flags: list[str] = []
            skip = False
            for token in tokens:
                if skip:
                    skip = False
                    continue
                if token in GLOBAL_OPTIONS_WITH_VALUE:
                    skip = True
                    continue
                if token.startswith("--"):
                    flags.append(token.split("=", 1)[0].rstrip(".,;:)"))
                elif not token.startswith("-") and len(words) < 2 and not flags:
                    words.append(token)
            path = tuple(words[:2]) if tuple(words[:2]) in paths else tuple(words[:1])
            if path in paths and flags:
                found.append((path, flags, line.strip()))
    return found


def test_the_readme_shows_commands_with_flags() -> None:
    assert len(readme_invocations()) >= 10  # the parser below reads the README's examples at all


def test_every_flag_in_the_readme_is_in_its_commands_help(invoke) -> None:
    top = invoke(None, "--help").stdout
    helps: dict[tuple[str, ...], str] = {}
    missing = []
    for path, flags, line in readme_invocations():
        text = helps.setdefault(path, invoke(None, *path, "--help").stdout)
        for flag in flags:
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text + top):
                missing.append(f"{flag} in: {line}")
    assert missing == []


def readme_section_flags() -> dict[str, set[str]]:
    """Command name -> every --flag written in code in its README section (``### phonebank NAME``)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for name, body in re.findall(r"^### phonebank (\w+)[^\n]*\n(.*?)(?=^## |^### |\Z)", readme, re.M | re.S):
        spans = re.findall(r"```[a-z]*\n(.*?)```", body, re.S) + re.findall(r"`([^`\n]+)`", body)
        lines = [line for span in spans for line in span.splitlines()]
        # the section's own command lines and its flags named alone (`--excel`, `--layout api`); a line
        # that runs another command is checked against that command (readme_invocations), and a
        # program's output may name another command's flag
        own = [line for line in lines if line.lstrip().startswith("--")
               or re.search(rf"phonebank (?:-\S+ \S+ )*{name}\b", line)]
        found[name] = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", " ".join(own)))
    return found


def test_every_flag_in_a_commands_readme_section_exists(invoke) -> None:
    sections = readme_section_flags()
    assert sum(len(flags) for flags in sections.values()) >= 20  # the sections do show their flags
    top = invoke(None, "--help").stdout
    missing = []
    for name, flags in sections.items():
        if name not in COMMANDS:
            continue
        text = top + "".join(invoke(None, *path, "--help").stdout for path in command_paths() if path[0] == name)
        missing += [f"{flag} (### phonebank {name})" for flag in sorted(flags)
                    if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text)]
    assert missing == []
