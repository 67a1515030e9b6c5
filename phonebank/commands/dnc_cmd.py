"""`phonebank dnc add FILE` and `phonebank dnc list`: the workspace's do-not-call list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..dnc import append_dnc, read_dnc, read_dnc_fixed
from ..errors import UsageProblem
from ..termsafe import visible
from .common import current_workspace, workspace_option

REASON_MAX = 200


@click.group("dnc")
def dnc() -> None:
    """Numbers never to call again, in any list (do-not-call.csv)."""


@dnc.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--reason", default="dnc add", show_default=True, help="Reason recorded with each number (at most "
              "200 characters).")
@workspace_option
def add(file: Path, reason: str) -> None:
    """Add every number in FILE (a CSV with a phone column, or one number per line)."""
    from ..importer.dnc_file import read_numbers

    if len(reason) > REASON_MAX:
        raise UsageProblem(f"--reason is {len(reason):,} characters long (at most {REASON_MAX}) — shorten it")
    ws = current_workspace()
    found = read_numbers(file)
    listed = read_dnc_fixed(ws.dnc_path)  # a number listed only by a call can be undone: list it for good
    new = [n for n in found.numbers if n not in listed]
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    added = append_dnc(ws.dnc_path, ((n, now, str(file), reason) for n in new))
    shown = visible(file)
    click.echo(f"Added {added:,} numbers to {ws.dnc_path.name} from {shown} "
               f"({len(found.numbers) - len(new):,} already listed, {len(found.invalid):,} invalid skipped)")
    for line, raw in found.invalid[:5]:
        click.echo(f"  {shown}:{line}: not a phone number: '{visible(raw)}'")
    if len(found.invalid) > 5:
        click.echo(f"  ... and {len(found.invalid) - 5:,} more")


@dnc.command("list")
@click.option("--count", "count_only", is_flag=True, help="Print only how many numbers there are.")
@workspace_option
def list_(count_only: bool) -> None:
    """Show the numbers on the do-not-call list, and how many there are."""
    ws = current_workspace()
    numbers = sorted(read_dnc(ws.dnc_path))
    if not count_only:
        for number in numbers:
            click.echo(number)
    click.echo(f"{len(numbers):,} numbers on the do-not-call list ({ws.dnc_path.name})")
