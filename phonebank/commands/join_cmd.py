"""`phonebank join URL DIR`: a volunteer's workspace bound to a campaign shared through PostgreSQL."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click


@click.command("join")
@click.argument("url")
@click.argument("folder", metavar="DIR")
@click.option("--no-tls", is_flag=True,
              help="Reach a remote server without TLS (only when the organizer's invitation says so).")
def join(url: str, folder: str, no_tls: bool) -> None:
    """Join a shared campaign: URL is the line your organizer sent (`phonebank db invite`), DIR a new folder.

    URL `-` reads it from the standard input (the password then stays out of your shell's history). The
    script comes from the campaign's database; your password goes to ~/.pgpass (readable only by
    you), never into the folder. Then `cd DIR` and `phonebank call`.
    """
    from ..store import remote

    if url == "-":  # the line pasted on stdin: the password stays out of shell history and `ps`
        url = sys.stdin.readline().strip()
        if url.startswith("phonebank join"):
            words = shlex.split(url)
            no_tls = no_tls or "--no-tls" in words
            url = next((w for w in words[2:] if not w.startswith("-")), "")
    joined = remote.join(url, folder, allow_without_tls=no_tls)
    verb = "Joined again" if joined.rejoined else "Joined"
    click.echo(f"{verb} the campaign {joined.campaign} as {joined.email} in {joined.root}")
    click.echo("  scripts.yaml               the call script, from the campaign (kept up to date by `phonebank call`)")
    click.echo(f"  workspace.yaml             database: {joined.url}  (no password)")
    if joined.password_file is not None:
        shown = str(joined.password_file)
        home = str(Path.home())
        if shown.startswith(home + os.sep):
            shown = "~" + shown[len(home):]
        click.echo(f"  {shown:<26} your password (readable only by you)")
    click.echo("  results/                   your saved calls, also kept on this computer (private folder)")
    if joined.lists:
        click.echo(f"Call lists: {', '.join(joined.lists)}")
    click.echo("Next:")
    click.echo(f"  cd {shlex.quote(str(joined.root))}")
    click.echo("  phonebank call")
