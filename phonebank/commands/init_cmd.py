"""`phonebank init DIR [--with-sample]`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..errors import UsageProblem
from ..fsutil import check_no_links, confine
from ..scaffold import SAMPLE_LIST, create_workspace
from ..workspace import DNC_FILE, INDEX_DIR, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, SCRIPT_FILE

WHAT = {
    "scripts.yaml": "the call script, response codes and calling rules — edit it for your campaign",
    "lists": "call lists (private folder)",
    "results": "saved calls (private folder)",
    SAMPLE_LIST: "sample call list: fictional voters to rehearse with",
}


@click.command("init")
@click.argument("directory_text", metavar="DIR", type=click.Path())
@click.option("--with-sample", is_flag=True, help=f"Also copy the sample call list lists/{SAMPLE_LIST}.")
def init(directory_text: str, with_sample: bool) -> None:
    """Create a new workspace in DIR from the sample template (never overwrites one)."""
    if not directory_text.strip() or "\x00" in directory_text:
        raise UsageProblem(f"invalid folder name {directory_text!r} — give the new workspace's folder, e.g. "
                           "`phonebank init ca34-phonebank` (or `phonebank init .` for the current folder)")
    directory = Path(directory_text)
    confine(directory)  # a link planted where lists/ or results/ go is refused, never written through
    for name in (SCRIPT_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, DNC_FILE, INDEX_DIR):
        check_no_links(directory / name)  # before anything is written: no half-made workspace
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
