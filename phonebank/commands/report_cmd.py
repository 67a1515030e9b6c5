"""`phonebank report`: where the phone bank stands (organizers)."""

from __future__ import annotations

import shutil
import sys

import click

from .common import current_script, current_workspace, heavy_work, pick_list, rehearsal_line, workspace_option

FORMATS = ("table", "csv", "json", "markdown")
MAX_WARNINGS = 10


@click.command("report")
@click.option("--list", "list_name", metavar="NAME", help="The call list (default: the workspace's only list).")
@click.option("--since", metavar="DATE", help="Only calls on or after this day (YYYY-MM-DD, campaign time zone).")
@click.option("--until", metavar="DATE", help="Only calls on or before this day (YYYY-MM-DD, campaign time zone).")
@click.option("--volunteer", metavar="EMAIL", help="Only this volunteer's calls.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: table).")
@click.option("--html", "html_file", metavar="FILE",
              help="Also write the report as one self-contained web page (charts included, works offline).")
@workspace_option
def report(list_name: str | None, since: str | None, until: str | None, volunteer: str | None,
           fmt: str | None, html_file: str | None) -> None:
    """Show where the phone bank stands: list progress, calls and IDs, survey answers, volunteers,
    calls by day and by hour.

    List progress is as of now over every saved call; the other sections cover the calls within
    --since/--until and --volunteer. Undone calls are left out everywhere.
    """
    heavy_work(reuse_freed=True)
    from ..exports.output import check_output, write_private
    from ..pandas_aside import pandas_set_aside
    from ..report.aggregate import build_report, parse_day
    from ..report.render import render_csv, render_html, render_json, render_markdown, render_table

    ws = current_workspace()
    script = current_script(ws)
    name = pick_list(ws, list_name, where=str(ws.lists_dir))
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    html_path = check_output(ws, html_file, "--html") if html_file is not None else None
    with pandas_set_aside():  # the report works on pyarrow columns: pandas would only cost its import
        data = build_report(ws, script, name, since=first, until=last, volunteer=volunteer)
    if note := rehearsal_line(ws, script):
        click.echo(note, err=True)
    warn(data["warnings"])
    if html_path is not None:
        write_private(html_path, render_html(data))
        click.echo(f"Wrote the report page to {html_path}", err=True)
        if fmt is None:
            return
    fmt = fmt or "table"
    if fmt == "table":
        width = shutil.get_terminal_size((100, 24)).columns
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
        text = render_table(data, width=width, unicode=encoding.startswith("utf"))
    elif fmt == "csv":
        text = render_csv(data)
    elif fmt == "json":
        text = render_json(data)
    else:
        text = render_markdown(data)
    from ..termsafe import for_screen  # names and notes may hold ESC/BEL: never raw on a terminal

    click.echo(for_screen(text), nl=False)


def warn(warnings: list[str]) -> None:
    for line in warnings[:MAX_WARNINGS]:
        click.echo(f"Warning: {line}", err=True)
    if len(warnings) > MAX_WARNINGS:
        click.echo(f"Warning: ... and {len(warnings) - MAX_WARNINGS:,} more (see `phonebank check`)", err=True)
