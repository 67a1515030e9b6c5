"""A volunteer's side of a campaign shared through PostgreSQL: `phonebank join`, the login, the outbox.

* ``join``: a local workspace bound to the campaign — ``scripts.yaml`` fetched from the database,
  ``workspace.yaml`` with the URL *without* its password (``database:``), the password in libpq's password
  file (``~/.pgpass``, or ``$PGPASSFILE``; mode 0600). A remote server is reached over TLS only
  (``sslmode=require`` or stricter) unless the organizer said otherwise (``--no-tls``).
* ``Campaign``: the connection `phonebank call` opens: who the login is (``whoami``), the lists
  (``list_names``), the script (refreshed into a joined workspace's scripts.yaml), the outbox's delivery.
* ``OutboxStore``: the calling store of one list (``CallingStore``) over ``PostgresStore``. Every save is
  appended to the volunteer's local results file first (``CsvResultsStore.append``: the file store's format
  and durability), then saved in the database, idempotently by its row id. A save the database has not
  acknowledged stays in the *outbox* — a journal beside the results file (``results/LIST/.FILE.outbox``)
  naming each local row with its hold — and is sent at the next connection, once: a row that did arrive
  is not saved again (``ON CONFLICT (row_id) DO NOTHING``). While the database cannot be reached the call
  on screen can be finished and saved, no new voter is handed out (``Offline``) and one line says so.

Imported only when a database is used (through ``postgres``, it imports psycopg).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import DataError, LoginRefused, Offline, UsageProblem, WorkspaceError
from ..fsutil import atomic_write, durable_append, ensure_private_dir
from ..results import CsvResultsStore, ReadProblems, ResultRow, read_results_file
from ..script import Script, parse_script
from ..workspace import DNC_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, SCRIPT_FILE, SETTINGS_FILE, Workspace
from . import postgres
from .port import Clock, Hold, Offer, QueueCounts, Saved

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
OUTBOX_SUFFIX = ".outbox"
OUTBOX_HEADER = b"# phonebank outbox: calls saved on this computer, and which the campaign database has (do not edit)\n"
PENDING, SENT, GONE = "pending", "sent", "gone"


# == TLS, passwords ======================================================================================

def remote_host(url: str) -> str | None:
    """The first host of ``url`` reached over the network (not a unix socket, not this machine), or None."""
    postgres._need_psycopg()  # a volunteer's install without the postgres extra: say what to install
    params = postgres.conninfo_to_dict(url)
    for key in ("host", "hostaddr"):
        for host in str(params.get(key) or "").split(","):
            host = host.strip()
            if host and not host.startswith(("/", "@")) and host.lower() not in LOOPBACK:
                return host
    return None


def check_tls(url: str, allow_without: bool = False) -> None:
    """A remote server only over TLS (``sslmode=require``, ``verify-ca`` or ``verify-full``), unless the
    organizer said otherwise (``allow_without``). Unix sockets and this machine are fine without."""
    host = remote_host(url)
    mode = str(postgres.conninfo_to_dict(url).get("sslmode") or "")
    if host and mode not in postgres.TLS_MODES and not allow_without:
        raise UsageProblem(f"{host} is reached over the network and the URL does not require TLS "
                           f"(sslmode={mode or 'unset'}) — add sslmode=require (or verify-full) to it; without TLS only "
                           "when the organizer says so: `phonebank join --no-tls`")


def without_password(url: str) -> str:
    """``url`` without its password (a ``postgresql://`` URL or a key=value string)."""
    if re.match(r"^postgres(ql)?://", url.strip()):
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
    return " ".join(re.sub(r"(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", " ", url).split())


def pgpass_path() -> Path:
    """libpq's password file: ``$PGPASSFILE``, else ``~/.pgpass``."""
    given = os.environ.get("PGPASSFILE", "").strip()
    return Path(given).expanduser() if given else Path.home() / ".pgpass"


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _pgpass_fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for ch in line:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append(current)
            current = ""
        else:
            current += ch
    return [*fields, current]


def save_password(url: str) -> Path | None:
    """Put the password of ``url`` in libpq's password file (created 0600; an entry for the same host,
    port, database and user replaced). None when the URL has no password."""
    params = postgres.conninfo_to_dict(url)
    password = params.get("password")
    if not password:
        return None
    hosts = [h.strip() for h in str(params.get("host") or params.get("hostaddr") or "localhost").split(",")]
    key = [hosts[0] if len(hosts) == 1 else "*", str(params.get("port") or "*"),
           str(params.get("dbname") or params.get("user") or "*"), str(params.get("user") or "*")]
    path = pgpass_path()
    try:
        old = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except OSError as exc:
        raise DataError(f"{path}: cannot read the password file ({exc.strerror})") from None
    kept = [line for line in old if _pgpass_fields(line)[:4] != key]
    kept.append(":".join(_pgpass_field(v) for v in [*key, str(password)]))
    try:
        with atomic_write(path) as fh:  # a private file (0600), as libpq requires
            fh.write("\n".join(kept) + "\n")
    except OSError as exc:
        raise DataError(f"{path}: cannot save your password ({exc.strerror}) — check the folder's permissions") from None
    return path


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


# == the outbox ==========================================================================================

def outbox_path(results_file: Path) -> Path:
    """The journal of ``results/LIST/FILE.csv``: ``results/LIST/.FILE.outbox`` (hidden from readers of results)."""
    return results_file.with_name(f".{results_file.stem}{OUTBOX_SUFFIX}")


def _journal(path: Path, *fields: str) -> None:
    durable_append(path, ("\t".join(fields) + "\n").encode(), OUTBOX_HEADER)


def read_outbox(path: Path) -> dict[str, tuple[str, int | None]]:
    """Rows of the journal not yet acknowledged, in save order: row id -> (hold token, hold since); the
    token is "" for a save without a hold (an undo)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    pending: dict[str, tuple[str, int | None]] = {}
    for raw in data.split(b"\n")[:-1]:  # whole lines only: a torn last line is not an entry
        parts = raw.decode("utf-8", "replace").split("\t")
        if parts[0] == PENDING and len(parts) == 4:
            since = int(parts[3]) if parts[3].isdigit() else None
            pending[parts[1]] = ("" if parts[2] == "-" else parts[2], since)
        elif parts[0] in (SENT, GONE) and len(parts) == 2:
            pending.pop(parts[1], None)
    return pending


def _compact(path: Path) -> None:
    """Empty a journal whose every row was acknowledged (under the appenders' lock)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_size > len(OUTBOX_HEADER) and not read_outbox(path):
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def outboxes(ws: Workspace, list_name: str | None = None) -> list[tuple[str, Path, Path]]:
    """(list, journal, results file) of every journal in the workspace (or of one list)."""
    if not ws.results_dir.is_dir():
        return []
    out = []
    folders = [ws.results_dir / list_name] if list_name else sorted(p for p in ws.results_dir.iterdir() if p.is_dir())
    for folder in folders:
        for journal in sorted(folder.glob(f".*{OUTBOX_SUFFIX}")):
            out.append((folder.name, journal, folder / f"{journal.name[1:-len(OUTBOX_SUFFIX)]}.csv"))
    return out


def pending_count(ws: Workspace) -> int:
    """Calls saved on this computer that the campaign database has not acknowledged."""
    return sum(len(read_outbox(journal)) for _, journal, _ in outboxes(ws))


@dataclass
class Delivery:
    sent: int = 0
    marked: int = 0  # saved, and marked: another volunteer called the voter meanwhile
    refused: list[str] = field(default_factory=list)  # one line per call the database refused

    def add(self, other: Delivery) -> None:
        self.sent += other.sent
        self.marked += other.marked
        self.refused += other.refused

    def lines(self, where: str = "saved while offline") -> list[str]:
        out = []
        if self.sent:
            marked = f" ({self.marked} marked: another volunteer called the voter meanwhile)" if self.marked else ""
            out.append(f"Sent {self.sent} call(s) {where} to the campaign database{marked}.")
        out += self.refused
        return out


def deliver(store: postgres.PostgresStore, ws: Workspace) -> Delivery:
    """Send the outbox of ``store``'s list: every local row not yet acknowledged, in save order, with its
    hold. A lost connection propagates (the rest stays in the outbox); a row the database refuses stays
    too, named in ``refused``."""
    done = Delivery()
    for _, journal, results_file in outboxes(ws, store.list_name):
        pending = read_outbox(journal)
        if not pending:
            _compact(journal)
            continue
        rows = {r.row_id: r for r in read_results_file(results_file, ReadProblems())[0]} \
            if results_file.is_file() else {}
        for row_id, (token, since) in pending.items():
            row = rows.get(row_id)
            if row is None:  # the process stopped before the row was written: it was never saved
                _journal(journal, GONE, row_id)
                continue
            hold = Hold(row.voter_id, row.volunteer, token, since or 0) if token else None
            try:
                saved = store.save(row, hold)
            except (DataError, UsageProblem) as exc:
                if store.conn.closed or store.conn.broken:
                    raise
                done.refused.append(f"Warning: the call of {row.recorded_at} on voter {row.voter_id} was not accepted "
                                    f"by the campaign database ({exc}); it stays in {results_file.name}")
                continue
            _journal(journal, SENT, row_id)
            done.sent += 1
            done.marked += bool(saved.overlaps)
        _compact(journal)
    return done


# == the campaign connection ===============================================================================

def _rehearsal(clock: Clock) -> Clock | None:
    """The given clock when PHONEBANK_NOW sets a rehearsal time, else None: the server's clock decides."""
    from ..clock import NOW_VAR

    return clock if os.environ.get(NOW_VAR, "").strip() else None


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
                store = postgres.PostgresStore(self.conn, script, name, _rehearsal(clock))
            except DataError as exc:
                if self.conn.closed or self.conn.broken:
                    raise
                done.refused.append(f"Warning: calls saved on this computer in list '{name}' cannot be sent ({exc})")
                continue
            done.add(deliver(store, self.ws))
        return done

    def calling_store(self, script: Script, list_name: str, clock: Clock,
                      notify: Callable[[str], None] = lambda line: None) -> OutboxStore:
        return OutboxStore(self, script, list_name, clock, notify)

    def close(self) -> None:
        self.conn.close()


# == the calling store with an outbox =====================================================================

OFFLINE_LINE = ("Offline: the campaign database cannot be reached. Finish and save this call: it is kept on this "
                "computer and sent when the connection is back; no new voter until then.")
SAVED_OFFLINE_LINE = ("Offline: the campaign database cannot be reached. This call is kept on this computer and sent "
                      "when the connection is back; no new voter until then.")


class OutboxStore:
    """``CallingStore`` of one list: local results file first, then the database (see the module)."""

    def __init__(self, campaign: Campaign, script: Script, list_name: str, clock: Clock,
                 notify: Callable[[str], None]):
        self.campaign = campaign
        self.script = script
        self.list_name = list_name
        self._given_clock = _rehearsal(clock)
        self.notify = notify
        self.problems = ReadProblems()
        self.results = CsvResultsStore(campaign.ws.results_dir)
        self._effects = {c.id: c.effect for c in script.codes}
        self._offers: dict[str, Offer] = {}  # voter -> as last shown, kept up to date by local saves
        self.offline = False
        self._told = False  # the offline line was shown in this offline spell
        self._releases: list[Hold] = []  # voters let go while offline
        self._pg = self._open()
        self.notify_lines(deliver(self._pg, campaign.ws).lines())

    def _open(self) -> postgres.PostgresStore:
        return postgres.PostgresStore(self.campaign.conn, self.script, self.list_name, self._given_clock)

    def notify_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.notify(line)

    # -- connection ---------------------------------------------------------------------------------
    def _lost(self) -> bool:
        conn = self._pg.conn
        return bool(conn.closed or conn.broken)

    def _reconnect(self) -> bool:
        """One attempt at a new connection; on success the outbox is sent. False: offline."""
        try:
            self.campaign.reconnect()
            self._pg = self._open()
            delivered = deliver(self._pg, self.campaign.ws)
            while self._releases:
                self._pg.release(self._releases[0])
                self._releases.pop(0)
        except LoginRefused:
            raise
        except DataError:
            conn = self.campaign.conn
            if not (conn.closed or conn.broken):
                raise  # connected, and refused for another reason (say, the list is gone)
            self.offline = True
            return False
        if self.offline:
            self.notify_lines(delivered.lines() or ["Back online: the campaign database can be reached again."])
        else:
            self.notify_lines(delivered.lines())
        self.offline = self._told = False
        return True

    def _offline_error(self) -> Offline:
        waiting = pending_count(self.campaign.ws)
        kept = f"; {waiting} saved call(s) are kept on this computer and will be sent then" if waiting else ""
        return Offline(f"Offline: no new voter until the campaign database can be reached again{kept}.")

    def _run(self, work):
        """``work(PostgresStore)`` on the database; on a lost connection one new connection is tried at once,
        then ``Offline``."""
        if self.offline:
            raise self._offline_error()
        try:
            return work(self._pg)
        except DataError:
            if not self._lost():
                raise
        if not self._reconnect():
            raise self._offline_error()
        try:
            return work(self._pg)
        except DataError:
            if not self._lost():
                raise
            self.offline = True
            raise self._offline_error() from None

    def _tell_offline(self, saved: bool = False) -> None:
        """One line per offline spell: when it is noticed during a call, or at the save that noticed it."""
        if not self._told:
            self._told = True
            self.notify(SAVED_OFFLINE_LINE if saved else OFFLINE_LINE)

    # -- time ---------------------------------------------------------------------------------------
    def clock(self):
        return self._pg.clock()

    # -- claims -------------------------------------------------------------------------------------
    def next_voter(self, volunteer: str, language: str = "en", exclude: Iterable[str] = ()) -> Offer | None:
        if self.offline and not self._reconnect():
            raise self._offline_error()
        offer = self._run(lambda s: s.next_voter(volunteer, language, exclude))
        if offer is not None:
            self._offers = {offer.voter_id: offer}
        return offer

    def offer(self, voter_id: str, hold: Hold | None = None) -> Offer:
        if not self.offline:
            try:
                got = self._run(lambda s: s.offer(voter_id, hold))
            except Offline:
                self._tell_offline()
            else:
                self._offers[voter_id] = got
                return got
        known = self._offers.get(voter_id)
        if known is None:
            raise self._offline_error()
        return known

    def heartbeat(self, hold: Hold) -> bool:
        if self.offline:
            return True  # the server decides; we can only finish the call on screen
        try:
            return self._run(lambda s: s.heartbeat(hold))
        except Offline:
            self._tell_offline()
            return True

    def release(self, hold: Hold) -> None:
        if not self.offline:
            try:
                self._run(lambda s: s.release(hold))
                return
            except Offline:
                pass
        self._releases.append(hold)  # given back at the next connection (else the lease ends by itself)

    def counts(self) -> QueueCounts:
        return self._run(lambda s: s.counts())

    # -- saving -------------------------------------------------------------------------------------
    def save(self, row: ResultRow, hold: Hold | None = None) -> Saved:
        """The local results file first (durable), then the database; while offline, the local file only
        (the row waits in the outbox)."""
        results_file = self.results.file_for(row.list, row.volunteer)
        journal = outbox_path(results_file)
        try:
            _journal(journal, PENDING, row.row_id, hold.token if hold else "-", str(hold.since) if hold else "-")
        except OSError as exc:
            raise DataError(f"{journal}: could not save the call ({exc.strerror}) — check the disk and permissions; "
                            "the call was NOT saved") from None
        self.results.append(row)  # raises DataError when it cannot: then the call is not saved anywhere
        self._saved_here(row)
        if not self.offline:
            try:
                saved = self._run(lambda s: s.save(row, hold))
            except Offline:
                pass
            else:
                _journal(journal, SENT, row.row_id)
                return saved
        self._tell_offline(saved=True)
        return Saved(row)

    def _saved_here(self, row: ResultRow) -> None:
        """Keep the offer on screen true without the database: the call in its history, a dead number gone."""
        known = self._offers.get(row.voter_id)
        if known is None:
            return
        dead = self._effects.get(row.code) in ("final_for_number", "do_not_call") and row.code != "undo"
        self._offers[row.voter_id] = dataclasses.replace(
            known, history=[*known.history, row],
            phones=[p for p in known.phones if not (dead and p == row.phone)])

    def last_saved(self, volunteer: str) -> ResultRow | None:
        return self._run(lambda s: s.last_saved(volunteer))

    def voter_name(self, voter_id: str) -> str:
        return self._run(lambda s: s.voter_name(voter_id))

    def close(self) -> None:
        self.campaign.close()
