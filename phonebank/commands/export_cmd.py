"""`phonebank export KIND`: results as spreadsheet-safe CSV, and sync-back files for VAN and PDI."""

from __future__ import annotations

import click

from ..exports import KINDS
from .common import current_script, current_workspace, workspace_option


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
@click.option("--list", "list_name", metavar="NAME", help="The call list (default: the workspace's only list).")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE (created readable only by you) instead of the screen.")
@click.option("--excel", is_flag=True, help="Write UTF-8 with a BOM, so Excel shows accented names right.")
@workspace_option
def export(kind: str, list_name: str | None, output: str | None, excel: bool) -> None:
    """Export a list's results as CSV. KIND is one of:

    \b
      supporters  voters whose latest support ID is a supporter (1-2)
      undecided   voters whose latest support ID is undecided (3)
      callbacks   voters waiting for a call-back
      dnc         voters coded do-not-call or with a number on the do-not-call list
      results     every voter with a saved call: the latest result and survey answers
      van         NGP VAN bulk upload (VAN ID, Date Contacted, Phone Number, Canvass Result, survey)
      pdi         PDI flags (pdiId, flagId, questionId, acquisitionType, flagEntryDate)

    Every cell that a spreadsheet would run as a formula is neutralized with a leading ';
    phones are plain digits.
    """
    from ..exports.core import build_export
    from ..exports.output import check_output, write_private
    from ..exports.safecsv import frame_to_csv
    from ..report.aggregate import pick_list
    from .report_cmd import warn

    ws = current_workspace()
    script = current_script(ws)
    name = pick_list(ws, list_name)
    path = check_output(ws, output) if output is not None and output != "-" else None
    result = build_export(ws, script, name, kind)
    warn(result.warnings)
    text = frame_to_csv(result.frame, result.columns)
    if path is not None:
        write_private(path, text, bom=excel)
        click.echo(f"Wrote {path}: " + "; ".join(result.notes), err=True)
        return
    click.echo(("\ufeff" if excel else "") + text, nl=False)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
