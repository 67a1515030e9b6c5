"""`phonebank check`: validate the workspace and print a summary."""

from __future__ import annotations

import click

from ..check import ERROR, OK, WARNING, check_workspace
from ..records import RECORDS_NOTE, formula_cells, record_files
from .common import current_workspace, rehearsal_line, workspace_option


@click.command("check")
@workspace_option
def check() -> None:
    """Validate the workspace: scripts.yaml, every call list, results, roster and do-not-call list.

    Prints a summary. Exits 2 when scripts.yaml is invalid, 1 when a list or other file is
    unusable, 0 otherwise; warnings (an election already past, a damaged results row) do not fail.
    """
    ws = current_workspace()
    findings = check_workspace(ws)
    click.echo(f"Workspace {ws.root}")
    if note := rehearsal_line(ws):
        click.echo(f"  {note}")
    for kind, text in findings.items:
        if kind == OK:
            click.echo(f"  {text}")
        else:
            click.echo(f"{'Warning' if kind == WARNING else 'Error'}: {text}", err=True)
    formula_files = 0
    for path in record_files(ws.root):  # the records are not spreadsheets: say so, and where it matters
        if cells := formula_cells(path):
            click.echo(f"Warning: {path.relative_to(ws.root)}: {cells:,} cell(s) a spreadsheet would run as formulas "
                       "(such as =HYPERLINK(...)) — never open this file in a spreadsheet; use `phonebank export`",
                       err=True)
            formula_files += 1
    click.echo(f"  Files: {RECORDS_NOTE}")
    errors, warnings = findings.count(ERROR), findings.count(WARNING) + formula_files
    if errors:
        verdict = f"{errors} error(s), {warnings} warning(s) — fix the errors above and run `phonebank check` again"
    elif warnings:
        verdict = f"OK, with {warnings} warning(s) above"
    else:
        verdict = "OK"
    click.echo(verdict)
    click.get_current_context().exit(findings.exit_code)
