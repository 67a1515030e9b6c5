"""The outbox of a volunteer calling a shared campaign: every save goes to the local results file first
(the file store's format and durability), then to the database, idempotently by its row id. A save the
database has not acknowledged stays in a journal beside the results file (``results/LIST/.FILE.outbox``)
and is sent at the next connection, once. ``OutboxStore`` is the calling store (``CallingStore``) of one
list over ``PostgresStore``; while the database cannot be reached the call on screen can be finished and
saved, no new voter is handed out (``Offline``) and one line says so."""

from __future__ import annotations

import dataclasses
import fcntl
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError, LoginRefused, NotSaved, Offline, UsageProblem
from ..fsutil import durable_append, open_no_follow
from ..messages import say
from ..outcomes import rule_of
from ..results import UNDO, CsvResultsStore, ReadProblems, ResultRow, read_results_file
from ..script import Script
from ..workspace import Workspace
from . import postgres
from .port import Clock, Hold, Offer, QueueCounts, Saved

if TYPE_CHECKING:
    from .remote import Campaign

OUTBOX_SUFFIX = ".outbox"
OUTBOX_HEADER = b"# phonebank outbox: calls saved on this computer, and which the campaign database has (do not edit)\n"
PENDING, SENT, GONE = "pending", "sent", "gone"


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
        fd = open_no_follow(path, os.O_RDWR)  # a link planted there is refused, never truncated through
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

    def lines(self, language: str = "en") -> list[str]:
        out = []
        if self.sent and self.marked:
            out.append(say(language, "offline.sent_marked", n=self.sent, marked=self.marked))
        elif self.sent:
            out.append(say(language, "offline.sent", n=self.sent))
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


# == the calling store with an outbox =====================================================================



def rehearsal_clock(clock: Clock) -> Clock | None:
    """The given clock when PHONEBANK_NOW sets a rehearsal time, else None: the server's clock decides."""
    from ..clock import NOW_VAR

    return clock if os.environ.get(NOW_VAR, "").strip() else None


class OutboxStore:
    """``CallingStore`` of one list: local results file first, then the database (see the module)."""

    def __init__(self, campaign: Campaign, script: Script, list_name: str, clock: Clock,
                 notify: Callable[[str], None], language: str = "en"):
        self.campaign = campaign
        self.language = language  # the volunteer's: the lines below are said in it (messages.py)
        self.script = script
        self.list_name = list_name
        self._given_clock = rehearsal_clock(clock)
        self.notify = notify
        self.problems = ReadProblems()
        self.results = CsvResultsStore(campaign.ws.results_dir)
        self._offers: dict[str, Offer] = {}  # voter -> as last shown, kept up to date by local saves
        self.offline = False
        self._told = False  # the offline line was shown in this offline spell
        self._releases: list[Hold] = []  # voters let go while offline
        self._pg = self._open()
        self.notify_lines(deliver(self._pg, campaign.ws).lines(language))

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
            self.notify_lines(delivered.lines(self.language) or [say(self.language, "offline.back")])
        else:
            self.notify_lines(delivered.lines(self.language))
        self.offline = self._told = False
        return True

    def _offline_error(self) -> Offline:
        waiting = pending_count(self.campaign.ws)
        if waiting:
            return Offline(say(self.language, "offline.no_voter_kept", n=waiting))
        return Offline(say(self.language, "offline.no_voter"))

    def _run(self, work):
        """``work(PostgresStore)`` on the database; on a lost connection one new connection is tried at once,
        then ``Offline``."""
        if self.offline:
            raise self._offline_error()
        for retried in (False, True):
            try:
                return work(self._pg)
            except DataError:
                if not self._lost():
                    raise
            if retried or not self._reconnect():
                break
        self.offline = True
        raise self._offline_error() from None

    def _tell_offline(self, saved: bool = False) -> None:
        """One line per offline spell: when it is noticed during a call, or at the save that noticed it."""
        if not self._told:
            self._told = True
            self.notify(say(self.language, "offline.saved" if saved else "offline.call"))

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
    def save(self, row: ResultRow, hold: Hold | None = None, done: bool = False) -> Saved:
        """The local results file first (durable), then the database (``done``: see ``ResultsLog.save``);
        while offline, the local file only (the row waits in the outbox)."""
        results_file = self.results.file_for(row.list, row.volunteer)
        journal = outbox_path(results_file)
        try:
            _journal(journal, PENDING, row.row_id, hold.token if hold else "-", str(hold.since) if hold else "-")
        except OSError as exc:
            raise NotSaved(f"{journal}: could not save the call ({exc.strerror}) — check the disk and permissions; "
                           "the call was NOT saved") from None
        self.results.append(row)  # raises DataError when it cannot: then the call is not saved anywhere
        self._saved_here(row)
        if not self.offline:
            try:
                saved = self._run(lambda s: s.save(row, hold, done))
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
        dead = row.code != UNDO and rule_of(self.script, row.code).kills_number
        self._offers[row.voter_id] = dataclasses.replace(
            known, history=[*known.history, row],
            phones=[p for p in known.phones if not (dead and p == row.phone)])

    def last_saved(self, volunteer: str) -> ResultRow | None:
        return self._run(lambda s: s.last_saved(volunteer))

    def voter_name(self, voter_id: str) -> str:
        return self._run(lambda s: s.voter_name(voter_id))

    def close(self) -> None:
        self.campaign.close()
