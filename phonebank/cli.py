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
from .errors import (
    BUG_REPORT_HINT,
    RAISE_ERRORS_VAR,
    PhonebankError,
    ScriptError,
    UsageProblem,
    bounded,
    describe_os_error,
)
from .termsafe import visible

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
            check_environment()
            return super().invoke(ctx)
        except ScriptError as exc:
            for line in exc.problems[:MAX_PROBLEMS]:
                error_line(line)
            if len(exc.problems) > MAX_PROBLEMS:
                error_line(f"... and {len(exc.problems) - MAX_PROBLEMS:,} more problems — fix these first")
            ctx.exit(exc.exit_code)
        except PhonebankError as exc:
            error_line(str(exc))
            ctx.exit(exc.exit_code)
        except click.ClickException as exc:  # click's own usage errors: bounded too, then shown by click
            exc.message = visible(bounded(exc.message))  # type: ignore[misc]  # click's Final, set once here
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("\nStopped (Ctrl-C). Saved calls are kept.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(1)
        except ImportError as exc:  # an organizer command on a volunteer's install
            root = (exc.name or "").split(".")[0]
            if root not in ORGANIZER_MODULES:
                unexpected(exc)
                ctx.exit(1)
            group = bool(words) and isinstance(self.get_command(ctx, words[0]), click.Group)  # `db push`, `dnc add`
            command = " ".join(words[:2] if group else words[:1])
            error_line(missing_extra_line(command, root))
            ctx.exit(2)
        except OSError as exc:  # a path the system refused: too long, not a folder, no permission, disk full
            error_line(describe_os_error(exc))
            ctx.exit(1)
        except MemoryError:
            error_line("out of memory — the input is too large for this computer; split it or use a smaller file")
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - the catch-all: an apology, never a traceback
            unexpected(exc)
            ctx.exit(1)


MAX_PROBLEMS = 50  # scripts.yaml problems shown at once


def error_line(message: str) -> None:
    """Print one ``Error:`` line: bounded in length, control characters made visible."""
    click.echo(f"Error: {visible(bounded(message))}", err=True)


def unexpected(exc: BaseException) -> None:
    """The catch-all: re-raise for tests (PHONEBANK_RAISE_ERRORS set), else one line of apology."""
    if os.environ.get(RAISE_ERRORS_VAR):
        raise exc
    error_line(f"phonebank hit an unexpected problem ({type(exc).__name__}) and stopped; saved calls are kept — "
               f"{BUG_REPORT_HINT} (set {RAISE_ERRORS_VAR}=1 to see the details)")


def check_environment() -> None:
    """The environment is input too: a PHONEBANK_NOW phonebank cannot compute with is refused up front."""
    import datetime as dt

    from .clock import NOW_VAR, now

    if os.environ.get(NOW_VAR, "").strip():
        try:
            value = now()
            bad = not 1900 <= value.year <= 2999 or not 1900 <= value.astimezone(dt.UTC).year <= 2999
        except (OverflowError, ValueError):
            bad = True
        if bad:
            raise UsageProblem(f"{NOW_VAR}={os.environ[NOW_VAR].strip()!r} is out of range — use a date and time "
                               "between the years 1900 and 2999, e.g. 2017-04-01T18:30:00-07:00, or unset it")


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
    # numpy's OpenBLAS starts a thread per core that spins for a while at import (0.06 s of CPU on two
    # cores, taken from the import's and the report's own threads); phonebank does no linear algebra
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli.main(prog_name="phonebank")
    except KeyboardInterrupt:  # raised before a command took over, e.g. while importing
        sys.stderr.write("\nStopped (Ctrl-C).\n")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - outside any command (its import, click itself): still one line
        unexpected(exc)
        sys.exit(1)
