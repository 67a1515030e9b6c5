"""`phonebank import SOURCE --list NAME`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import current_workspace, workspace_option


def _show_progress() -> bool:
    return sys.stderr.isatty()


@click.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--list", "-l", "list_name", required=True, metavar="NAME",
              help="Name of the call list to write: lists/NAME.csv.")
@click.option("--map", "-m", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Use a source column for a field (first_name, last_name, name, phone, cell_phone, "
                   "home_phone, work_phone, zip, city, state, language, age, party, van_id, pdi_id, "
                   "state_id, l2_id, voter_id, ignore). Repeatable.")
@click.option("--encoding", metavar="ENC", help="Text encoding (default: detected; UTF-8, UTF-16, cp1252).")
@click.option("--delimiter", metavar="D", help="Field delimiter: ',', ';', '|' or 'tab' (default: detected).")
@click.option("--replace", is_flag=True, help="Replace an existing list (results stay linked by voter ID).")
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@workspace_option
def import_(source: Path, list_name: str, maps: tuple[str, ...], encoding: str | None, delimiter: str | None,
            replace: bool, dry_run: bool) -> None:
    """Turn a voter-file export (VAN, PDI, state, L2, spreadsheet) into a call list.

    Writes lists/NAME.csv (canonical columns first, then every other source column) and
    lists/NAME.rejects.csv (rows that could not be used, with line number and reason).
    """
    from ..importer import run_import
    from ..importer.core import STEPS

    ws = current_workspace()
    if _show_progress():
        with click.progressbar(length=len(STEPS), label="Importing", file=sys.stderr) as bar:
            summary = run_import(ws, source, list_name, maps=maps, encoding=encoding, delimiter=delimiter,
                                 replace=replace, dry_run=dry_run, progress=lambda _step: bar.update(1))
    else:
        summary = run_import(ws, source, list_name, maps=maps, encoding=encoding, delimiter=delimiter,
                             replace=replace, dry_run=dry_run)
    for line in summary.lines(ws.root):
        click.echo(line)
    if not dry_run:
        _prepare_for_calling(ws, list_name, summary.calling_rows)


def _prepare_for_calling(ws, list_name: str, prepared) -> None:
    """Build the list's calling index now, so the first volunteer sees a voter at once. A failure here
    loses nothing (the list is written; the first `phonebank call` builds the index instead)."""
    import time

    from .. import clock
    from ..errors import PhonebankError
    from ..store.files import build_index
    from .common import current_script

    started = time.perf_counter()
    try:
        build_index(ws, current_script(ws), list_name, clock.now, prepared=prepared)
    except PhonebankError as exc:
        click.echo(f"Warning: the list is imported, but preparing it for calling failed ({exc}) — the first "
                   "`phonebank call` will prepare it", err=True)
        return
    click.echo(f"Ready for calling: the calling index of '{list_name}' was built in {time.perf_counter() - started:.1f} s")
