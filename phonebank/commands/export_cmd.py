"""`phonebank export KIND`: results as spreadsheet-safe CSV or .xlsx, and sync-back files for VAN and PDI."""

from __future__ import annotations

import click

from ..exports import ID_CHOICES, KINDS, LAYOUTS
from .common import current_script, current_workspace, heavy_work, pick_list, workspace_option

_LAYOUTS = tuple(dict.fromkeys(name for names in LAYOUTS.values() for name in names))


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
@click.option("--list", "list_name", metavar="NAME", help="The call list (default: the workspace's only list).")
@click.option("--layout", type=click.Choice(_LAYOUTS), metavar="LAYOUT",
              help="van: wizard (default), api or responses; pdi: flags (default) or people.")
@click.option("--ids", type=click.Choice(ID_CHOICES), metavar="KIND",
              help="The ID kind to send when the list holds two: myvoters or mycampaign (van), pdi or ca (pdi).")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE (created readable only by you) instead of the screen.")
@click.option("--excel", is_flag=True, help="Write a real .xlsx workbook (needs --output FILE.xlsx): IDs, ZIPs and "
              "phones stay text, dates are dates.")
@workspace_option
def export(kind: str, list_name: str | None, layout: str | None, ids: str | None, output: str | None,
           excel: bool) -> None:
    """Export a list's results as CSV (UTF-8, every cell quoted). KIND is one of:

    \b
      supporters  voters whose latest support ID is a supporter (1-2)
      undecided   voters whose latest support ID is undecided (3)
      callbacks   voters waiting for a call-back
      dnc         voters coded do-not-call or with a number on the do-not-call list
      results     every voter with a saved call: the latest result and survey answers
      van         NGP VAN, one row per call: --layout wizard (Bulk Upload to MyVoters),
                  api (bulk import CanvassResults), responses (survey response ids)
      pdi         PDI: --layout flags (flag records) or people (Import ID Flags, one row per person)

    Every cell that a spreadsheet would run as a formula is neutralized with a leading ';
    phones are plain digits.
    """
    heavy_work(reuse_freed=True)
    from pathlib import Path

    from ..errors import UsageProblem
    from ..exports.core import build_export
    from ..exports.output import check_output, write_private
    from ..exports.safecsv import csv_bytes
    from .report_cmd import warn

    ws = current_workspace()
    script = current_script(ws)
    name = pick_list(ws, list_name, where=str(ws.lists_dir))
    path = check_output(ws, output) if output is not None and output != "-" else None
    if excel and (path is None or Path(path).suffix.lower() != ".xlsx"):
        raise UsageProblem("--excel writes a workbook: give its file name with --output, ending in .xlsx "
                           f"(e.g. --output {kind}.xlsx)")
    result = build_export(ws, script, name, kind, layout=layout, ids=ids)
    warn(result.warnings)
    if path is not None:
        if excel:
            from ..exports.xlsx import write_xlsx

            write_xlsx(path, result, kind)
        else:
            write_private(path, csv_bytes(result))
        click.echo(f"Wrote {path}: " + "; ".join(result.notes), err=True)
        return
    from ..termsafe import for_screen  # imported fields may hold ESC/BEL: never raw on a terminal

    click.echo(for_screen(csv_bytes(result).decode("utf-8")), nl=False)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
