"""`phonebank db ...`: the organizer's commands for a campaign shared through PostgreSQL.

The database is the one named by `--database URL` (before or after `db`), else
`PHONEBANK_DATABASE_URL`. The URL names a role allowed to create roles and schemas (the organizer);
keep its password out of files others read (libpq's ~/.pgpass, or a service file).

    phonebank db init                 schema, roles and functions (safe to run again)
    phonebank db migrate              apply this phonebank's newer migrations
    phonebank db status               which migrations are applied, which pending
    phonebank db push [--list NAME]   upload this workspace (script, volunteers, do-not-call, lists, calls)
    phonebank db pull [--list NAME]   write the database's calls, do-not-call list and volunteers into the files
    phonebank db invite EMAIL         a login for one volunteer: prints the `phonebank join` line to send
    phonebank db revoke EMAIL         end a volunteer's login

psycopg is imported only when one of these runs (`pip install 'phonebank[postgres]'`).
"""

from __future__ import annotations

import functools

import click

from ..errors import UsageProblem
from .common import current_workspace, workspace_option


def database_option(func):
    """Add ``--database URL`` to a command (it may also be given before the command name)."""

    @click.option("--database", "database_url", metavar="URL",
                  help="PostgreSQL URL of the campaign (default: $PHONEBANK_DATABASE_URL).")
    @functools.wraps(func)
    def wrapper(*args, database_url=None, **kwargs):
        if database_url:
            root = click.get_current_context().find_root()
            root.obj = {**(root.obj or {}), "database": database_url}
        return func(*args, **kwargs)

    return wrapper


def _url() -> str:
    from ..errors import PhonebankError
    from ..store import database_url
    from ..workspace import find_workspace

    ctx = click.get_current_context()
    try:  # a workspace's `database:` setting (workspace.yaml) when there is a workspace here
        ws = find_workspace(ctx.meta.get("phonebank.workspace_dir") or (ctx.find_root().obj or {}).get("workspace"))
    except PhonebankError:
        ws = None
    url = database_url(ws)
    if not url:
        raise UsageProblem("no database given — use `phonebank --database URL db ...` or set PHONEBANK_DATABASE_URL "
                           "(e.g. postgresql://organizer@db.example.org/campaign)")
    return url


def _connect():
    from ..store import postgres

    return postgres.connect(_url())


@click.group("db")
def db() -> None:
    """A campaign shared by volunteers on many machines, in PostgreSQL (organizers)."""


@db.command("init")
@database_option
def init() -> None:
    """Create the schema, roles and functions in the database (safe to run again)."""
    from ..store import postgres

    with _connect() as conn:
        done = postgres.init_database(conn)
        database = conn.info.dbname
    if done.applied:
        click.echo(f"Initialized database {database}: schema {postgres.SCHEMA}, roles {postgres.OWNER_ROLE} "
                   f"and {postgres.CALLER_ROLE}; applied " + ", ".join(f"{m.version:04d} {m.name}" for m in done.applied)
                   + " and the calling functions")
    elif done.functions:
        click.echo(f"Database {database} was initialized; its calling functions are updated to this phonebank's.")
    else:
        click.echo(f"Database {database} is already initialized and up to date.")
    click.echo("Next: `phonebank db push` to upload this workspace, then `phonebank db invite EMAIL` for each volunteer.")


@db.command("migrate")
@database_option
def migrate() -> None:
    """Apply the migrations this phonebank has and the database lacks (under a lock; safe to run again)."""
    from ..store import postgres

    with _connect() as conn:
        done = postgres.migrate(conn)
    if done:
        for m in done.applied:
            click.echo(f"Applied {m.version:04d} {m.name}")
        if done.functions:
            click.echo("Updated the calling functions")
    else:
        click.echo("Up to date: no migration to apply.")


@db.command("status")
@database_option
def status() -> None:
    """Show which migrations are applied and which are pending."""
    from ..store import postgres

    url = _url()
    with postgres.connect(url) as conn:
        st = postgres.status(conn)
    click.echo(f"Database {postgres.redact(url)}")
    if not st.initialized:
        click.echo("  not initialized — run `phonebank db init`")
        raise SystemExit(1)
    for version, name, applied_at, same in st.applied:
        note = "" if same else "  (differs from this phonebank's copy)"
        click.echo(f"  applied  {version:04d} {name}  {applied_at:%Y-%m-%d %H:%M}{note}")
    for m in st.pending:
        click.echo(f"  pending  {m.version:04d} {m.name}")
    for version in st.unknown:
        click.echo(f"  applied  {version:04d} (unknown to this phonebank: upgrade phonebank)")
    click.echo("  functions: " + ("this phonebank's" if st.functions_current else
                                 "differ from this phonebank's (run `phonebank db migrate`)"))
    if st.pending or not st.functions_current:
        click.echo("Run `phonebank db migrate` to apply the pending migrations and functions.")
        raise SystemExit(1)
    click.echo("Up to date.")


@db.command("push")
@click.option("--list", "lists", metavar="NAME", multiple=True, help="Only this list (repeatable; default: all).")
@database_option
@workspace_option
def push(lists: tuple[str, ...]) -> None:
    """Upload this workspace: scripts.yaml, volunteers, do-not-call, call lists and saved calls.
    Running it again changes nothing; a re-imported list keeps the voters' holds and saved calls."""
    from ..store import postgres

    ws = current_workspace()
    with _connect() as conn:
        summary = postgres.push_workspace(conn, ws, lists or None)
    click.echo(f"Pushed workspace {ws.root}:")
    for line in summary.lines():
        click.echo(f"  {line}")


@db.command("pull")
@click.option("--list", "lists", metavar="NAME", multiple=True, help="Only this list's calls (repeatable; default: all).")
@database_option
@workspace_option
def pull(lists: tuple[str, ...]) -> None:
    """Write the database's saved calls into results/LIST/EMAIL.csv (the file store's format), and its
    do-not-call list and volunteers into do-not-call.csv and volunteers.csv — only what the files lack, so
    `report`, `export` and `check` work on them. Running it again writes nothing new."""
    from ..store import pg_pull, postgres

    ws = current_workspace()
    with _connect() as conn, postgres.translated():
        summary = pg_pull.pull_workspace(conn, ws, lists or None)
    click.echo(f"Pulled into workspace {ws.root}:" if summary.written else
               f"Workspace {ws.root} already has everything the database has:")
    for line in summary.lines():
        click.echo(f"  {line}" if not line.startswith("Warning") else line, err=line.startswith("Warning"))


@db.command("invite")
@click.argument("email")
@click.option("--no-tls", is_flag=True,
              help="Let the volunteer reach a remote server without TLS (only on a network you trust).")
@database_option
def invite(email: str, no_tls: bool) -> None:
    """Create a login for one volunteer and print the line to send them (privately: it holds the password)."""
    from ..store import postgres

    url = _url()
    with postgres.connect(url) as conn:
        invitation = postgres.invite(conn, email, url, tls=not no_tls)
    click.echo(f"Invited {invitation.email}: login {invitation.role} (member of {postgres.CALLER_ROLE}; "
               "it can only run the calling functions). Send this line to the volunteer privately — it holds "
               "their password and is shown once (`db invite` again makes a new one):", err=True)
    click.echo(invitation.join_line)


@db.command("revoke")
@click.argument("email")
@database_option
def revoke(email: str) -> None:
    """End a volunteer's login: no new connection, open sessions ended, held voters given back."""
    from ..store import postgres

    with _connect() as conn:
        ended = postgres.revoke(conn, email)
    if ended is None:
        tail = "; sessions still open are refused at their next step (ending them needs pg_signal_backend)."
    else:
        tail = f"; {ended} open session(s) ended." if ended else "."
    click.echo(f"Revoked {email.strip().lower()}: the login can no longer connect" + tail)
