"""``phonebank db push``: a file workspace (scripts.yaml, lists, do-not-call, volunteers, results) loaded
into the database idempotently — running it twice changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..dnc import read_dnc_entries
from ..errors import UsageProblem
from ..fsutil import check_name
from ..outcomes import NEXT_CALLBACK, VoterOutcome, fold, live_phones, rule_of
from ..results import UNDO, CsvResultsStore, ReadProblems, ResultRow, read_results_file
from ..roster import read_roster
from ..script import Script, load_script
from ..workspace import Workspace
from .pg_conn import _need_psycopg, translated

# == loading a workspace (the core of `phonebank db push`) ===============================================

@dataclass
class PushSummary:
    script: str = "unchanged"  # "new", "updated", "unchanged"
    volunteers: int = 0  # added or updated
    dnc_entries: int = 0  # added
    lists: dict[str, str] = field(default_factory=dict)  # name -> what happened
    results: int = 0  # rows added

    def lines(self) -> list[str]:
        out = [f"scripts.yaml: {self.script}", f"volunteers: {self.volunteers} added or updated",
               f"do-not-call entries: {self.dnc_entries} added"]
        out += [f"list {name}: {what}" for name, what in sorted(self.lists.items())]
        out.append(f"results: {self.results} saved call(s) added")
        return out


def push_workspace(conn, ws: Workspace, lists: Iterable[str] | None = None) -> PushSummary:
    """Upload a file workspace into the database — scripts.yaml, volunteers, the do-not-call list,
    call lists (COPY) and saved calls — idempotently: a second run changes nothing. ``lists``: only
    these lists (default: every list of the workspace)."""
    _need_psycopg()
    script = load_script(ws.script_path)
    summary = PushSummary()
    names = ws.list_names() if lists is None else [check_name(n) for n in lists]
    with translated():
        summary.script = _push_campaign(conn, ws.script_path.read_text(encoding="utf-8"), script)
        summary.volunteers = _push_volunteers(conn, ws)
        summary.dnc_entries = _push_dnc(conn, ws)
        for name in names:
            if not ws.list_path(name).is_file():
                raise UsageProblem(f"no list named '{name}' in {ws.lists_dir} — available: "
                                f"{', '.join(ws.list_names()) or 'none'}")
            from . import pg_load  # pyarrow: the organizer's tools

            list_id = pg_load.ensure_list(conn, name)
            added, touched = _push_results(conn, ws, name, list_id, script)
            summary.results += added
            summary.lists[name] = load_list(conn, ws, name, script, touched)
    return summary


def _push_campaign(conn, text: str, script: Script) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    with conn.transaction():
        old = conn.execute("SELECT script_sha256 FROM phonebank.campaign FOR UPDATE").fetchone()
        if old is None or old[0] != digest:
            conn.execute(
                "INSERT INTO phonebank.campaign (id, script_text, script_sha256, name, time_zone, claim_minutes, "
                "pushed_at) VALUES (1, %s, %s, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE SET "
                "script_text = excluded.script_text, script_sha256 = excluded.script_sha256, name = excluded.name, "
                "time_zone = excluded.time_zone, claim_minutes = excluded.claim_minutes, pushed_at = now()",
                (text, digest, script.campaign.name, script.campaign.time_zone, script.calling.claim_minutes))
        codes = [(c.id, c.effect, bool(c.contact)) for c in script.codes]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO phonebank.codes (code, effect, contact) VALUES (%s, %s, %s) ON CONFLICT (code) DO "
                "UPDATE SET effect = excluded.effect, contact = excluded.contact "
                "WHERE (codes.effect, codes.contact) IS DISTINCT FROM (excluded.effect, excluded.contact)", codes)
        conn.execute("DELETE FROM phonebank.codes WHERE NOT (code = ANY(%s::text[]))", ([c[0] for c in codes],))
    return "new" if old is None else ("updated" if old[0] != digest else "unchanged")


def _push_volunteers(conn, ws: Workspace) -> int:
    roster = read_roster(ws.roster_path)
    if not roster:
        return 0
    rows = [(v.email, v.first_name, v.last_name, v.zip, v.registered_at) for v in roster.values()]
    with conn.transaction(), conn.cursor() as cur:
        _copy_in(cur, "push_volunteers (email text, first_name text, last_name text, zip text, registered_at text)",
                 "push_volunteers", rows)
        cur.execute(
            "INSERT INTO phonebank.volunteers AS v (email, first_name, last_name, zip, registered_at) "
            "SELECT lower(email), first_name, last_name, zip, registered_at FROM push_volunteers "
            "ON CONFLICT (email) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, "
            "zip = excluded.zip, registered_at = excluded.registered_at "
            "WHERE (v.first_name, v.last_name, v.zip, v.registered_at) IS DISTINCT FROM "
            "(excluded.first_name, excluded.last_name, excluded.zip, excluded.registered_at)")
        return cur.rowcount


def _copy_in(cur, table: str, target: str, rows: Iterable) -> None:
    """``CREATE TEMP TABLE table ... ON COMMIT DROP``, then ``COPY target FROM STDIN`` of ``rows``."""
    cur.execute(f"CREATE TEMP TABLE {table} ON COMMIT DROP")
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _dnc_key(*fields: str) -> str:
    return hashlib.md5("\x1f".join(fields).encode()).hexdigest()  # noqa: S324 - a dedupe key, not security


def _push_dnc(conn, ws: Workspace) -> int:
    entries = read_dnc_entries(ws.dnc_path)
    if not entries:
        return 0
    rows = [(e.phone, e.added_at, e.source, e.reason, e.row_id,
             _dnc_key(e.phone, e.added_at, e.source, e.reason, e.row_id), not e.is_removal) for e in entries]
    with conn.transaction(), conn.cursor() as cur:
        _copy_in(cur, "push_dnc (ord serial, phone text, added_at text, source text, reason text, row_id text, "
                 "entry_key text, active boolean)", "push_dnc (phone, added_at, source, reason, row_id, entry_key, active)",
                 rows)
        cur.execute("INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key, active) "
                    "SELECT phone, added_at, source, reason, row_id, entry_key, active FROM push_dnc ORDER BY ord "
                    "ON CONFLICT (entry_key) DO NOTHING")
        added = cur.rowcount
        _apply_dnc_removals(cur)
    return added


def _apply_dnc_removals(cur) -> None:
    """Entries taken back by a removal row (source 'undo', the call's row id) stop counting; voters held
    back only by such a number come back."""
    cur.execute("UPDATE phonebank.dnc d SET active = false FROM phonebank.dnc r "
                "WHERE r.source = 'undo' AND r.row_id <> '' AND d.row_id = r.row_id AND d.phone = r.phone "
                "AND d.active AND d.source <> 'undo' RETURNING d.phone")
    phones = sorted({p for (p,) in cur.fetchall()})
    if phones:
        cur.execute("UPDATE phonebank.voters SET blocked = false WHERE blocked AND phones && %s::text[] "
                    "AND phonebank._has_live_phone(phones, dead_phones)", (phones,))


def _push_results(conn, ws: Workspace, name: str, list_id: int, script: Script) -> tuple[int, set[str]]:
    """Saved calls of one list's results files not yet in the database (in each file's order)."""
    problems = ReadProblems()
    rows: list[ResultRow] = []
    for path in CsvResultsStore(ws.results_dir).files(name):
        rows += read_results_file(path, problems)[0]
    if not rows:
        return 0, set()
    with conn.transaction(), conn.cursor() as cur:
        _copy_in(cur, "push_results (ord serial, row_id text, recorded_at text, volunteer text, list text, voter_id "
                 "text, phone text, code text, answers text, note text, language text, seconds text, callback_at text, "
                 "undoes text, \"overlaps\" text)", "push_results (row_id, recorded_at, volunteer, list, voter_id, "
                 "phone, code, answers, note, language, seconds, callback_at, undoes, \"overlaps\")",
                 ([_clean(f) for f in row.to_fields()] for row in rows))
        cur.execute(
            "INSERT INTO phonebank.results (row_id, list_id, recorded_at, volunteer, list, voter_id, phone, code, "
            "answers, note, language, seconds, callback_at, undoes, \"overlaps\", cancels) "
            "SELECT row_id, %s, recorded_at, volunteer, list, voter_id, phone, code, answers, note, language, seconds, "
            "callback_at, undoes, \"overlaps\", CASE WHEN code = 'undo' AND undoes <> '' THEN undoes END "
            "FROM push_results ORDER BY ord ON CONFLICT (row_id) DO NOTHING RETURNING row_id, voter_id",
            (list_id,))
        added = cur.fetchall()
        new_ids = {r for r, _ in added}
        touched = {v for _, v in added}
        # do-not-call results: their numbers are on the list unless the call was undone (as FileStore reads them)
        dnc_rows = [r for r in rows if r.row_id in new_ids and r.code != UNDO and r.phone
                    and rule_of(script, r.code).do_not_call]
        if dnc_rows:
            cur.executemany(
                "INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key) "
                "SELECT %s, %s, 'call', %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM phonebank.dnc WHERE row_id = %s) "
                "AND NOT EXISTS (SELECT 1 FROM phonebank.results WHERE cancels = %s)",
                [(r.phone, r.recorded_at, r.code, r.row_id, _dnc_key(r.phone, r.recorded_at, "call", r.code, r.row_id),
                  r.row_id, r.row_id) for r in dnc_rows])
        undos = [r for r in rows if r.row_id in new_ids and r.code == UNDO and r.undoes]
        if undos:
            cur.executemany(
                "INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key, active) "
                "SELECT d.phone, %s, 'undo', 'undone call', d.row_id, md5(concat_ws(chr(31), d.phone, %s::text, "
                "'undo', 'undone call', d.row_id)), false FROM phonebank.dnc d "
                "WHERE d.row_id = %s AND d.active AND d.source = 'call' ON CONFLICT (entry_key) DO NOTHING",
                [(u.recorded_at, u.recorded_at, u.undoes) for u in undos])
            _apply_dnc_removals(cur)
    return len(added), touched


def _clean(text: str) -> str:
    return text.replace("\x00", " ") if "\x00" in text else text


def _state(script: Script, phones: list[str], outcome: VoterOutcome | None) -> dict:
    """A voter's queue state, from ``outcomes`` (as FileStore._state; the do-not-call list apart: the
    server keeps ``blocked``)."""
    if outcome is None:
        return {"attempts": 0, "finished": not live_phones(phones, None, set()), "next_at": None,
                "is_callback": False, "route_language": "", "dead_phones": []}
    last = rule_of(script, outcome.last.code) if outcome.last else None
    return {
        "attempts": outcome.attempts,
        "finished": bool(outcome.finished or not live_phones(phones, outcome, set())),
        "next_at": outcome.next_at.isoformat() if outcome.next_at else None,
        "is_callback": last is not None and last.next_at == NEXT_CALLBACK,
        "route_language": outcome.route_language or "",
        "dead_phones": sorted(outcome.dead_phones),
    }


def _list_fingerprint(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_list(conn, ws: Workspace, name: str, script: Script, touched: Iterable[str] = ()) -> str:
    """Load (or re-load) one call list into the database (``pg_load``: COPY into a new table, indexes
    after, a partition swap in one short transaction): voters kept keep their state — when their numbers
    are the same — and their holds, voters gone are removed, new ones come in with the state their saved
    calls (if any) give. ``touched``: voters whose saved calls changed (recomputed too). Returns a
    one-line account."""
    path = ws.list_path(name)
    fingerprint = _list_fingerprint(path)
    touched = set(touched)
    from . import pg_load  # pyarrow: the organizer's tools (the command line names the extra when missing)

    list_id = pg_load.ensure_list(conn, name)
    old_sha = conn.execute("SELECT source_sha256 FROM phonebank.lists WHERE id = %s", (list_id,)).fetchone()[0]
    if old_sha == fingerprint and pg_load.partition_exists(conn, list_id):
        if touched:
            recompute(conn, list_id, touched, script)
        return "unchanged" + (f", {len(touched)} voter(s) recomputed" if touched else "")
    with pg_load.ListLoad(conn, name, script, touched) as load:
        load.copy(pg_load.read_list(path))
        return load.finish(fingerprint)


def recompute(conn, list_id: int, voter_ids: Iterable[str], script: Script) -> int:
    """Fold the saved calls of these voters again and store their state (inside the caller's
    transaction when there is one): after calls were pushed, or a voter's numbers changed."""
    wanted = sorted(set(voter_ids))
    if not wanted:
        return 0
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT voter_id, phones FROM phonebank.voters WHERE list_id = %s AND voter_id = ANY(%s) "
                    "ORDER BY voter_id FOR UPDATE", (list_id, wanted))
        phones = dict(cur.fetchall())
        cur.execute("SELECT ARRAY[row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, "
                    "language, seconds, callback_at, undoes, \"overlaps\"] FROM phonebank.results "
                    "WHERE list_id = %s AND voter_id = ANY(%s) ORDER BY seq", (list_id, sorted(phones)))
        outcomes = fold(script, [ResultRow.from_fields(list(f)) for (f,) in cur.fetchall()])
        ids, attempts, finished, next_at, callback, language, dead = [], [], [], [], [], [], []
        for vid, numbers in phones.items():
            state = _state(script, numbers, outcomes.get(vid))
            ids.append(vid)
            attempts.append(state["attempts"])
            finished.append(state["finished"])
            next_at.append(state["next_at"])
            callback.append(state["is_callback"])
            language.append(state["route_language"])
            dead.append(" ".join(state["dead_phones"]))
        cur.execute(
            "UPDATE phonebank.voters v SET attempts = u.attempts, finished = u.finished, "
            "next_at = coalesce(u.next_at, '-infinity'), is_callback = u.is_callback, route_language = u.lang, "
            "dead_phones = string_to_array(u.dead, ' '), version = v.version + 1, "
            "blocked = NOT phonebank._has_live_phone(v.phones, string_to_array(u.dead, ' ')) "
            "FROM unnest(%s::text[], %s::int[], %s::boolean[], %s::timestamptz[], %s::boolean[], %s::text[], "
            "%s::text[]) AS u(voter_id, attempts, finished, next_at, is_callback, lang, dead) "
            "WHERE v.list_id = %s AND v.voter_id = u.voter_id",
            (ids, attempts, finished, next_at, callback, language, dead, list_id))
    return len(ids)
