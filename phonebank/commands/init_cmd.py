"""`phonebank init DIR [--with-sample]`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..scaffold import SAMPLE_LIST, create_workspace

WHAT = {
    "scripts.yaml": "the call script, response codes and calling rules — edit it for your campaign",
    "lists": "call lists (private folder)",
    "results": "saved calls (private folder)",
    SAMPLE_LIST: "sample call list: fictional voters to rehearse with",
}


@click.command("init")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--with-sample", is_flag=True, help=f"Also copy the sample call list lists/{SAMPLE_LIST}.")
def init(directory: Path, with_sample: bool) -> None:
    """Create a new workspace in DIR from the sample template (never overwrites one)."""
    created = create_workspace(directory, with_sample)
    root = directory.resolve()
    click.echo(f"Created workspace {root}")
    for path in created:
        if path == root or path == directory:
            continue
        rel = path.relative_to(directory).as_posix() + ("/" if path.is_dir() else "")
        click.echo(f"  {rel:<26} {WHAT.get(path.name, '')}".rstrip())
    here = shlex.quote(str(directory))
    steps = [
        (f"cd {here}", ""),
        ("phonebank check", "validate the script and lists"),
        ("phonebank script preview", "read the script as volunteers will"),
        ("phonebank import VOTERS.csv --list NAME", "turn a voter-file export into a call list"),
        ("phonebank call", "start calling"),
    ]
    click.echo("Next:")
    for command, why in steps:
        click.echo(f"  {command:<42} {why}".rstrip())
