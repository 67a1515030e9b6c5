"""Helpers for the calling-from-home tests: a shared campaign on the real server (tests/pg.py), volunteers'
own folders and homes made by `phonebank join`, `phonebank call --plain` processes driven line by line,
and a TCP proxy between a volunteer and the server whose network can be cut."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from phonebank.roster import Volunteer, add_volunteer
from phonebank.workspace import Workspace

from callkit import REPO, make_workspace

T0 = "2017-03-20T18:00:00-07:00"  # a Monday evening in Los Angeles: every test voter is callable
MAIN = "import sys; from phonebank.cli import main; sys.argv[0] = 'phonebank'; main()"


def at(minutes: float) -> str:
    """PHONEBANK_NOW ``minutes`` after T0 (the rehearsal clock every process and the server agree on)."""
    import datetime as dt

    return (dt.datetime.fromisoformat(T0) + dt.timedelta(minutes=minutes)).isoformat()


def base_env(home: Path, now: str | None = T0) -> dict[str, str]:
    """A volunteer's environment: their own HOME (libpq's ~/.pgpass) and PHONEBANK_HOME; nothing of the
    test run's database or workspace settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PHONEBANK_DATABASE_URL", "PHONEBANK_WORKSPACE", "PGPASSFILE", "PHONEBANK_NOW", "PGPASSWORD")}
    env.update(HOME=str(home), PHONEBANK_HOME=str(home / "config"), PYTHONUNBUFFERED="1")
    if now:
        env["PHONEBANK_NOW"] = now
    return env


def phonebank(*args: str, home: Path, cwd: Path | None = None, input: str | None = None, now: str | None = T0,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one `phonebank` command as a volunteer at home."""
    return subprocess.run([sys.executable, "-c", MAIN, *args], input=input, capture_output=True, text=True,
                          env=base_env(home, now), cwd=cwd or REPO, timeout=timeout)


class Proxy:
    """A TCP port on 127.0.0.1 forwarding to the server (its unix socket or its TCP port). ``cut()`` drops
    every open connection and refuses new ones (the volunteer's network is down); ``restore()`` lets
    connections through again."""

    def __init__(self, server_url: str):
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(server_url)
        host, port = str(params.get("host") or "/var/run/postgresql"), int(params.get("port") or 5432)
        self.target = ("unix", f"{host}/.s.PGSQL.{port}") if host.startswith("/") else ("tcp", (host, port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.closed = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _upstream(self) -> socket.socket:
        kind, where = self.target
        sock = socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(where)
        return sock

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()  # the network is down: the connection ends at once
                continue
            try:
                upstream = self._upstream()
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()


class Caller:
    """One volunteer's `phonebank call --plain` process, its output read as it comes."""

    def __init__(self, root: Path, home: Path, now: str = T0, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-c", MAIN, "call", "--plain", *args], cwd=root,
                                     env=base_env(home, now), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""
        self.eof = False
        self.pos = 0  # expect() looks after this point
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            with self.changed:
                self.out += chunk
                self.changed.notify_all()
        with self.changed:
            self.eof = True
            self.changed.notify_all()

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def expect(self, pattern: str, timeout: float = 60) -> re.Match:
        """Wait until ``pattern`` (a regular expression) appears after the last match; return the match."""
        rx = re.compile(pattern.encode())
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                found = rx.search(self.out, self.pos)
                if found:
                    self.pos = found.end()
                    return found
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError(f"{pattern!r} not seen (exit {self.proc.poll()}); output:\n{self.text}")
                self.changed.wait(min(left, 0.2))

    def send(self, *lines: str) -> None:
        self.proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
        self.proc.stdin.flush()

    def voter(self, timeout: float = 60) -> str:
        """The name of the next voter offered."""
        return self.expect(r"Call the number above: ([^,]+),", timeout).group(1).decode()

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 60) -> int:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        code = self.proc.wait(timeout)
        time.sleep(0.05)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait(30)


@dataclass
class Member:
    """One volunteer at home: their login, folder and home."""

    email: str
    invitation: object
    root: Path
    home: Path

    @property
    def ws(self) -> Workspace:
        return Workspace(self.root)


@dataclass
class Campaign:
    """A campaign database loaded from an organizer's workspace, and its volunteers at home."""

    tmp: Path
    ws: Workspace
    name: str
    url: str
    conn: object
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[Caller] = field(default_factory=list)

    def invite(self, email: str, url: str | None = None):
        from phonebank.store import postgres

        return postgres.invite(self.conn, email, url or self.url)

    def join(self, email: str, first: str = "", via: Proxy | None = None, register: bool = True) -> Member:
        """Invite ``email`` and run their `phonebank join` in their own folder and home. ``via``: the login's
        URL goes through the proxy. ``register``: their name in the folder's roster (else the first call asks)."""
        invitation = self.invite(email)
        url = invitation.url
        if via is not None:
            url = f"postgresql://{invitation.role}:{invitation.password}@127.0.0.1:{via.port}/{self.name}?sslmode=disable"
        slug = email.split("@")[0]
        home, root = self.tmp / f"home-{slug}", self.tmp / f"folder-{slug}"
        home.mkdir(exist_ok=True)
        done = phonebank("join", url, str(root), home=home)
        assert done.returncode == 0, done.stdout + done.stderr
        member = self.members[email] = Member(email, invitation, root, home)
        if register:
            add_volunteer(member.ws.roster_path, Volunteer(email, first or slug.title(), "Tester", "90033",
                                                           "2017-03-01T10:00:00-08:00"))
        return member

    def call(self, email: str, now: str = T0, *args: str) -> Caller:
        member = self.members[email]
        caller = Caller(member.root, member.home, now, *args)
        self.callers.append(caller)
        return caller

    def rows(self, voter_id: str | None = None) -> list[tuple]:
        """(row_id, voter_id, volunteer, code, overlaps) of every saved call, in save order."""
        query = "SELECT row_id, voter_id, volunteer, code, \"overlaps\" FROM phonebank.results"
        if voter_id:
            return self.conn.execute(query + " WHERE voter_id = %s ORDER BY seq", (voter_id,)).fetchall()
        return self.conn.execute(query + " ORDER BY seq").fetchall()

    def holder(self, voter_id: str) -> str | None:
        got = self.conn.execute("SELECT holder FROM phonebank.voters WHERE voter_id = %s", (voter_id,)).fetchone()
        return got[0] if got else None

    def close(self) -> None:
        import pg

        for caller in self.callers:
            caller.kill()
        self.conn.close()
        pg.drop_database(self.name)


def open_campaign(tmp: Path, voters=None) -> Campaign:
    import pg

    from phonebank.store import postgres

    ws = make_workspace(tmp / "organizer", **({"voters": voters} if voters is not None else {}))
    name, url = pg.campaign_database()
    conn = postgres.connect(url)
    postgres.push_workspace(conn, ws)
    return Campaign(tmp, ws, name, url, conn)


def local_rows(member: Member, list_name: str = "test"):
    """The volunteer's own results file, as saved on their computer."""
    from phonebank.results import CsvResultsStore

    return CsvResultsStore(member.ws.results_dir).read(list_name)[0]


def pending(member: Member, list_name: str = "test") -> dict:
    """The volunteer's outbox: calls not yet acknowledged by the database."""
    from phonebank.results import CsvResultsStore
    from phonebank.store.outbox import outbox_path, read_outbox

    return read_outbox(outbox_path(CsvResultsStore(member.ws.results_dir).file_for(list_name, member.email)))


@contextmanager
def offline_at_first_voter(campaign: Campaign, email: str = "ana@example.org") -> Iterator[tuple[Proxy, Member, Caller]]:
    """``email`` joined through a Proxy and calling, the first voter (María García) on screen, then the
    network cut: (proxy, member, caller). The proxy is closed after."""
    proxy = Proxy(campaign.url)
    try:
        member = campaign.join(email, via=proxy)
        caller = campaign.call(email)
        assert caller.voter() == "María García"
        proxy.cut()
        yield proxy, member, caller
    finally:
        proxy.close()
