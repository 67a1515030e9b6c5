"""`phonebank check`: validate a whole workspace — script, call lists, results, roster, do-not-call list.

Pure core: ``check_workspace`` returns findings in the order a person reads them; the command prints
them. ``ok`` lines are the summary, ``warning`` lines do not fail the check, ``error`` lines do
(script problems exit 2, other errors exit 1).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from . import clock
from .dnc import read_dnc
from .errors import DataError, PhonebankError, ScriptError
from .lists import read_list
from .results import UNDO, ReadProblems, read_results_file
from .roster import read_roster
from .script import Script, load_script
from .script.checks import branch_warnings
from .workspace import Workspace

OK, WARNING, ERROR = "ok", "warning", "error"
SHOWN_IDS = 5  # how many duplicate ids to name in one message


@dataclass
class Findings:
    items: list[tuple[str, str]] = field(default_factory=list)
    script_invalid: bool = False

    def add(self, kind: str, text: str) -> None:
        self.items.append((kind, text))

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.items if k == kind)

    @property
    def exit_code(self) -> int:
        if self.script_invalid:
            return ScriptError.exit_code
        return DataError.exit_code if self.count(ERROR) else 0


def check_workspace(ws: Workspace, today: dt.date | None = None) -> Findings:
    """Check everything in ``ws``; ``today`` (default: clock.today() in the campaign's time zone)
    decides which elections are past."""
    out = Findings()
    script = _check_script(ws, out, today)
    voter_ids: dict[str, set[str]] = {}
    if not ws.list_names():
        out.add(OK, "lists/: no call lists yet — import one with `phonebank import SOURCE --list NAME`")
    for name in ws.list_names():
        try:
            path = ws.list_path(name)
        except PhonebankError as exc:
            out.add(ERROR, f"lists/{name}.csv: {exc}")
            continue
        ids = _check_list(path, ws.root, out)
        if ids is not None:
            voter_ids[name] = ids
    _check_results(ws, script, voter_ids, out)
    _check_roster(ws.roster_path, out)
    _check_dnc(ws.dnc_path, out)
    return out


def _check_script(ws: Workspace, out: Findings, today: dt.date | None) -> Script | None:
    try:
        s = load_script(ws.script_path)
    except ScriptError as exc:
        out.script_invalid = True
        for line in exc.problems:
            out.add(ERROR, line)
        return None
    contact = len(s.contact_codes)
    out.add(OK, (
        f"{ws.script_path.name}: OK — {len(s.sections)} sections, {len(s.questions)} questions, "
        f"{len(s.codes)} codes ({contact} contact, {len(s.codes) - contact} non-contact), "
        f"{len(s.elections)} elections, languages {', '.join(s.campaign.languages)}"
    ))
    if not any(c.effect == "callback" for c in s.codes):
        out.add(WARNING, (
            f"{ws.script_path.name}:{s.line_of('codes')}: no code has effect callback — volunteers cannot set a time "
            "to call a voter back ('Call back later'); add a code with effect: callback under codes: (like call_back "
            "in the sample scripts.yaml)"
        ))
    for warning in branch_warnings(s, ws.script_path.name):
        out.add(WARNING, warning)
    if today is None:
        today = clock.today(ZoneInfo(s.campaign.time_zone))
    for i, e in enumerate(s.elections):
        if e.date < today and e.ours:  # a past *separate* election is only a reminder not to confuse dates
            name = e.name.get("en") or next(iter(e.name.values()), e.id)
            out.add(WARNING, (
                f"{ws.script_path.name}:{s.line_of('elections', i, 'date')}: election '{e.id}' ({name}, "
                f"{e.date.isoformat()}) is already past — update the date under elections: before calling"
            ))
    return s


def _check_list(path: Path, root: Path, out: Findings) -> set[str] | None:
    shown = f"lists/{path.name}"
    seen: set[str] = set()
    dupes: Counter[str] = Counter()
    no_phone: list[str] = []
    count = 0
    try:
        for voter in read_list(path):
            count += 1
            vid = voter["voter_id"]
            if vid in seen:
                dupes[vid] += 1
            seen.add(vid)
            if not voter["phones"]:
                no_phone.append(vid or f"row {count}")
    except PhonebankError as exc:
        out.add(ERROR, _relative(str(exc), root))
        return None
    out.add(OK, f"{shown}: {count} voters")
    if dupes:
        names = ", ".join(sorted(dupes)[:SHOWN_IDS]) + (", ..." if len(dupes) > SHOWN_IDS else "")
        out.add(ERROR, (
            f"{shown}: {len(dupes)} voter_id(s) appear more than once ({names}) — each voter needs its own "
            f"voter_id; re-import the list with `phonebank import SOURCE --list {path.stem} --replace`"
        ))
    if no_phone:
        names = ", ".join(no_phone[:SHOWN_IDS]) + (", ..." if len(no_phone) > SHOWN_IDS else "")
        out.add(WARNING, f"{shown}: {len(no_phone)} voter(s) have no phone number ({names}) — they will be skipped")
    return seen


def _check_results(ws: Workspace, script: Script | None, voter_ids: dict[str, set[str]], out: Findings) -> None:
    if not ws.results_dir.is_dir():
        out.add(WARNING, f"{ws.results_dir.name}/ is missing — create it (mkdir {ws.results_dir.name}); saved calls go there")
        return
    known = ({c.id for c in script.codes} | {UNDO}) if script else None
    try:
        bound_to_database = ws.database_setting() is not None
    except PhonebankError:
        bound_to_database = False  # a damaged workspace.yaml is reported on its own
    folders = {p.name for p in ws.results_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    for name in sorted(folders | set(ws.list_names())):
        shown = f"results/{name}"
        folder = ws.results_dir / name
        files = sorted(p for p in folder.glob("*.csv") if not p.name.startswith(".")) if name in folders else []
        problems = ReadProblems()
        rows = []
        for path in files:
            try:
                got, _ = read_results_file(path, problems)
            except PhonebankError as exc:
                out.add(ERROR, _relative(str(exc), ws.root))
                continue
            rows.extend(got)
        # a saved call is a dial that stands: undo rows and the calls they undo are corrections, not calls
        undone = {r.undoes for r in rows if r.code == UNDO}
        standing = sum(1 for r in rows if r.code != UNDO and r.row_id not in undone)
        corrected = f" ({len(undone)} undone)" if undone else ""
        out.add(OK, f"{shown}: {standing} saved calls in {len(files)} file(s){corrected}")
        for warning in problems.warnings():
            out.add(WARNING, _relative(warning, ws.root))
        if not (ws.lists_dir / f"{name}.csv").exists():
            if not bound_to_database:  # a joined workspace: the lists are in the campaign database
                out.add(WARNING, f"{shown}: there is no call list lists/{name}.csv for these results — restore the list "
                                 "or move the folder away")
        elif name in voter_ids:
            strangers = sum(1 for r in rows if r.code != UNDO and r.voter_id not in voter_ids[name])
            if strangers:
                out.add(WARNING, (
                    f"{shown}: {strangers} saved call(s) name a voter_id that is not in lists/{name}.csv — "
                    "was the list re-imported with new ids? Restore the list that was called"
                ))
        if known is not None:
            unknown = Counter(r.code for r in rows if r.code not in known)
            for code, n in sorted(unknown.items()):
                out.add(WARNING, (
                    f"{shown}: code '{code}' ({n} saved call(s)) is not in scripts.yaml — these voters count as "
                    "final; add the code back to scripts.yaml if it was renamed"
                ))


def _check_roster(path: Path, out: Findings) -> None:
    _check_optional_file(path, read_roster, "volunteers", out)


def _check_dnc(path: Path, out: Findings) -> None:
    _check_optional_file(path, read_dnc, "numbers", out)


def _check_optional_file(path: Path, read, noun: str, out: Findings) -> None:
    """Read a roster-like file if it exists; report its size, or its one-line problem."""
    if not path.exists():
        return
    try:
        items = read(path)
    except PhonebankError as exc:
        out.add(ERROR, _relative(str(exc), path.parent))
        return
    out.add(OK, f"{path.name}: {len(items)} {noun}")


def _relative(message: str, root: Path) -> str:
    """Show workspace paths relative to its root: shorter, and the same on every machine."""
    return message.replace(f"{root}/", "")
