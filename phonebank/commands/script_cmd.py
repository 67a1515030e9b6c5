"""`phonebank script preview`."""

from __future__ import annotations

import click

from ..errors import UsageProblem
from ..preview import preview
from .common import current_script, workspace_option


@click.group("script")
def script() -> None:
    """Read the call script (scripts.yaml) as volunteers will see it."""


@script.command("preview")
@click.option("--language", "-l", default="en", show_default=True, help="Script language, e.g. en or es.")
@workspace_option
def preview_cmd(language: str) -> None:
    """Print the whole script, every branch, with sample names filled in."""
    s = current_script()
    if language not in s.campaign.languages:
        raise UsageProblem(
            f"language '{language}' is not in this script — use one of: {', '.join(s.campaign.languages)}"
        )
    click.echo(preview(s, language), nl=False)
