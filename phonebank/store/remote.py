"""A volunteer's side of a campaign shared through PostgreSQL: `phonebank join` and the campaign connection.

* ``join``: a local workspace bound to the campaign — ``scripts.yaml`` fetched from the database,
  ``workspace.yaml`` with the URL *without* its password (``database:``), the password in libpq's password
  file (``credentials``). A remote server is reached over TLS only unless the organizer said otherwise.
* ``Campaign``: the connection `phonebank call` opens: who the login is (``whoami``), the lists
  (``list_names``), the script (refreshed into a joined workspace's scripts.yaml), the outbox's delivery
  (``outbox``).

Imported only when a database is used (through ``postgres``, it imports psycopg).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, LoginRefused, UsageProblem, WorkspaceError
from ..fsutil import atomic_write, ensure_private_dir
from ..roster import Volunteer
from ..script import Script, parse_script
from ..workspace import DNC_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, SCRIPT_FILE, SETTINGS_FILE, Workspace
from . import postgres
from .credentials import check_tls, remote_host, save_password, without_password
from .outbox import Delivery, OutboxStore, deliver, outboxes, pending_count, read_outbox, rehearsal_clock
from .pg_conn import pg_errors, psycopg
from .port import Clock

# == joining =============================================================================================

@dataclass
class Joined:
    root: Path
    email: str
    campaign: str
    lists: list[str]
    url: str  # without password
    password_file: Path | None
    rejoined: bool


def join(url: str, folder: str | os.PathLike, allow_without_tls: bool = False) -> Joined:
    """``phonebank join URL DIR``: a volunteer's workspace in ``folder``, bound to the campaign at ``url``
    (the line `phonebank db invite` printed). Refuses a folder holding another workspace."""
    postgres._need_psycopg()
    url = url.strip()
    root = Path(folder).expanduser()
    bare = without_password(url)
    check_tls(url, allow_without_tls)
    ws = Workspace(root.resolve() if root.exists() else root.absolute())
    rejoined = False
    if root.exists():
        if not root.is_dir():
            raise UsageProblem(f"{root} is a file — choose a new folder for the campaign")
        found = [n for n in (SCRIPT_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, DNC_FILE, SETTINGS_FILE)
                 if (root / n).exists()]
        if found:
            try:
                bound = ws.database_setting()
            except WorkspaceError:
                bound = None
            if bound is None or postgres.conninfo_to_dict(bound) != postgres.conninfo_to_dict(bare):
                raise UsageProblem(f"{root} already holds a workspace (found {', '.join(found)}) — choose a new "
                                   "folder; nothing was changed")
            rejoined = True
    with postgres.connect(url) as conn, postgres.translated():
        email = conn.execute("SELECT phonebank.whoami()").fetchone()[0]
        if email is None:
            raise UsageProblem("this URL is not a volunteer's login — `phonebank join` takes the line "
                               "`phonebank db invite EMAIL` printed; organizers use --database in their own workspace")
        text = conn.execute("SELECT phonebank.campaign_script()").fetchone()[0]
        names = [n for (n,) in conn.execute("SELECT phonebank.list_names()")]
    if text is None:
        raise DataError("the campaign has no script yet — the organizer runs `phonebank db push` first")
    script = parse_script(text)
    saved_in = save_password(url)
    if saved_in is not None:  # the workspace keeps the URL without password: check libpq finds it
        try:
            with postgres.connect(bare) as conn:
                conn.execute("SELECT 1")
        except DataError as exc:
            raise DataError(f"your password was saved in {saved_in} but the connection without it failed ({exc}) — "
                            f"set PGPASSFILE={saved_in} and run `phonebank join` again") from None
    ensure_private_dir(root)
    with atomic_write(ws.script_path) as fh:
        fh.write(text)
    ensure_private_dir(ws.results_dir)
    import yaml

    settings = {"database": bare, **({"tls": False} if allow_without_tls and remote_host(url) else {})}
    with atomic_write(ws.settings_path) as fh:
        fh.write("# This folder is bound to a campaign shared through PostgreSQL (written by `phonebank join`).\n"
                 "# No password here: it is in your PostgreSQL password file (~/.pgpass), readable only by you.\n")
        fh.write(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True))
    return Joined(ws.root, email, script.campaign.name, names, bare, saved_in, rejoined)


# == the campaign connection ===============================================================================



class Campaign:
    """The connection of one `phonebank call` to the campaign database."""

    def __init__(self, url: str, ws: Workspace):
        postgres._need_psycopg()
        self.url = url
        self.ws = ws
        settings = ws.settings()
        self.bound = settings.get("database") is not None and \
            postgres.conninfo_to_dict(str(settings["database"])) == postgres.conninfo_to_dict(without_password(url))
        check_tls(url, self.bound and settings.get("tls") is False)
        self.conn = self._connect()
        with postgres.translated():
            self.login: str | None = self.conn.execute("SELECT phonebank.whoami()").fetchone()[0]

    def _connect(self):
        try:
            return postgres.connect(self.url)
        except LoginRefused:
            raise
        except DataError as exc:
            waiting = pending_count(self.ws)
            if waiting:
                raise DataError(f"{exc}; {waiting} call(s) saved on this computer wait to be sent at the next "
                                "connection") from None
            raise

    @property
    def joined(self) -> bool:
        """A volunteer's workspace made by `phonebank join`: bound to this database, with a login."""
        return self.bound and self.login is not None

    def reconnect(self) -> None:
        """A new connection (LoginRefused / DataError when there is none)."""
        old, self.conn = self.conn, postgres.connect(self.url)
        try:
            old.close()
        except Exception:  # noqa: BLE001 - the old connection is broken anyway
            pass

    def registration(self) -> Volunteer | None:
        """This login's registration as the campaign database has it (None: none yet, or a database not
        migrated to 0006, where volunteers register on each computer as before)."""
        if self.login is None:
            return None
        try:
            with self.conn.transaction():
                got = self.conn.execute("SELECT phonebank.my_registration()").fetchone()[0]
        except pg_errors.UndefinedFunction:
            return None
        except psycopg.Error as exc:
            with postgres.translated():
                raise exc from None
        if not got:
            return None
        return Volunteer(email=self.login, first_name=got["first_name"], last_name=got["last_name"],
                         zip=got["zip"], registered_at=got["registered_at"])

    def register(self, volunteer: Volunteer) -> None:
        """Record this login's registration in the campaign database (the organizer's `db pull` and reports
        show the name; another computer of the same volunteer does not ask again)."""
        try:
            with self.conn.transaction():
                self.conn.execute("SELECT phonebank.register_me(%s, %s, %s, %s)", (
                    volunteer.first_name, volunteer.last_name, volunteer.zip, volunteer.registered_at))
        except pg_errors.UndefinedFunction:
            return  # an older campaign database: the name stays on this computer
        except psycopg.Error as exc:
            with postgres.translated():
                raise exc from None

    def list_names(self) -> list[str]:
        with postgres.translated():
            return [n for (n,) in self.conn.execute("SELECT phonebank.list_names()")]

    def refresh_script(self) -> bool:
        """A joined workspace's scripts.yaml follows the campaign's: rewritten when the organizer pushed
        a new one. True when it changed."""
        if not self.joined:
            return False
        with postgres.translated():
            text = self.conn.execute("SELECT phonebank.campaign_script()").fetchone()[0]
        if text is None:
            raise DataError("the campaign has no script yet — the organizer runs `phonebank db push` first")
        try:
            same = self.ws.script_path.read_text(encoding="utf-8") == text
        except OSError:
            same = False
        if not same:
            parse_script(text)  # a script that does not load stays out of the workspace
            with atomic_write(self.ws.script_path) as fh:
                fh.write(text)
        return not same

    def deliver_all(self, script: Script, clock: Clock) -> Delivery:
        """Send every list's outbox (calls saved here that the database has not acknowledged)."""
        done = Delivery()
        for name in sorted({name for name, journal, _ in outboxes(self.ws) if read_outbox(journal)}):
            try:
                store = postgres.PostgresStore(self.conn, script, name, rehearsal_clock(clock))
            except DataError as exc:
                if self.conn.closed or self.conn.broken:
                    raise
                done.refused.append(f"Warning: calls saved on this computer in list '{name}' cannot be sent ({exc})")
                continue
            done.add(deliver(store, self.ws))
        return done

    def calling_store(self, script: Script, list_name: str, clock: Clock,
                      notify: Callable[[str], None] = lambda line: None, language: str = "en") -> OutboxStore:
        return OutboxStore(self, script, list_name, clock, notify, language)

    def close(self) -> None:
        self.conn.close()
