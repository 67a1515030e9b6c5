"""The `phonebank` command line: a thin click layer over the core.

Commands live in their own modules under ``phonebank/commands/`` and are imported only when run,
so a volunteer's `phonebank call` never pays for the organizer commands (or for pandas).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from . import __version__
from .errors import PhonebankError, ScriptError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> (module, attribute, one-line help shown in `phonebank --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("phonebank.commands.init_cmd", "init", "Create a new workspace from the sample template."),
    "check": ("phonebank.commands.check_cmd", "check", "Validate the workspace: script, lists and results."),
    "script": ("phonebank.commands.script_cmd", "script", "Read the call script as volunteers will see it."),
    "import": ("phonebank.commands.import_cmd", "import_", "Turn a voter-file export into a call list."),
    "dnc": ("phonebank.commands.dnc_cmd", "dnc", "Manage the do-not-call list."),
    "register": ("phonebank.commands.call_cmd", "register", "Register as a volunteer (name, email, zip)."),
    "call": ("phonebank.commands.call_cmd", "call", "Start a calling session (volunteers)."),
    "report": ("phonebank.commands.report_cmd", "report", "Show where the phone bank stands."),
    "export": ("phonebank.commands.export_cmd", "export", "Export results (supporters, VAN, PDI, ...)."),
    "db": ("phonebank.commands.db_cmd", "db", "A campaign shared through PostgreSQL (init, push, invite, ...)."),
    "join": ("phonebank.commands.join_cmd", "join", "Join a shared campaign from home (volunteers)."),
}

# Organizers' libraries: not in the volunteer's install (`pip install phonebank`), in the extra below.
ORGANIZER_MODULES = ("pandas", "pyarrow", "numpy", "phonenumbers")
ORGANIZER_EXTRA = "organizer"


def missing_extra_line(command: str, module: str) -> str:
    """The one line an organizer command prints when the organizer's libraries are not installed."""
    return (f"`phonebank {command}` needs {module}, one of the organizer's tools the volunteer's install leaves out — "
            f"install them with: pip install 'phonebank[{ORGANIZER_EXTRA}]' (in a clone: pip install -e "
            f"'.[{ORGANIZER_EXTRA}]')")


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, and whose errors are one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name: str) -> bool:
        module = COMMANDS[name][0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not self._available(name):
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        words = [a for a in [*(getattr(ctx, "_protected_args", None) or []), *ctx.args] if not a.startswith("-")]
        try:
            return super().invoke(ctx)
        except ScriptError as exc:
            for line in exc.problems:
                click.echo(f"Error: {line}", err=True)
            ctx.exit(exc.exit_code)
        except PhonebankError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("\nStopped (Ctrl-C). Saved calls are kept.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(1)
        except ImportError as exc:  # an organizer command on a volunteer's install
            root = (exc.name or "").split(".")[0]
            if root not in ORGANIZER_MODULES:
                raise
            group = bool(words) and isinstance(self.get_command(ctx, words[0]), click.Group)  # `db push`, `dnc add`
            command = " ".join(words[:2] if group else words[:1])
            click.echo(f"Error: {missing_extra_line(command, root)}", err=True)
            ctx.exit(2)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="phonebank")
@click.option(
    "--workspace",
    "-w",
    metavar="DIR",
    help="Workspace folder (default: $PHONEBANK_WORKSPACE, else the current folder).",
)
@click.option(
    "--database",
    metavar="URL",
    help="PostgreSQL URL of a shared campaign (default: $PHONEBANK_DATABASE_URL, else files).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, database: str | None) -> None:
    """phonebank: a command-line phone bank on files the campaign owns.

    Organizers: `import` voter lists, edit scripts.yaml, `check` it, then `report` and `export`.
    Volunteers: `call` (registers you the first time); from home, `join` the campaign first.
    """
    ctx.obj = {"workspace": workspace, "database": database}


def main() -> None:
    os.umask(0o077)  # every file phonebank creates holds voter or volunteer data: owner only
    try:
        cli.main(prog_name="phonebank")
    except KeyboardInterrupt:  # raised before a command took over, e.g. while importing
        sys.stderr.write("\nStopped (Ctrl-C).\n")
        sys.exit(130)
