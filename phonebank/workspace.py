"""The workspace: one folder holding a campaign's script, lists, results and rosters.

Layout (every path is relative to the workspace root)::

    scripts.yaml            the call script, response codes and calling rules
    lists/NAME.csv          call lists written by `phonebank import`
    lists/NAME.rejects.csv  rows an import could not use, with line number and reason
    results/NAME/*.csv      saved calls, one append-only file per volunteer per list
    volunteers.csv          the volunteer roster (written by `phonebank register`)
    do-not-call.csv         numbers never to call again, in any list
    .phonebank/             derived index (calling queue, report cache); safe to delete, rebuilt from the CSVs
    workspace.yaml          settings of this workspace (optional): ``database:`` binds it to a shared campaign
                            (`phonebank join` writes it on a volunteer's computer) — never a password
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .errors import UsageProblem, WorkspaceError
from .fsutil import check_name, confine, ensure_private_dir, link_refused

ENV_VAR = "PHONEBANK_WORKSPACE"
SCRIPT_FILE = "scripts.yaml"
LISTS_DIR = "lists"
RESULTS_DIR = "results"
ROSTER_FILE = "volunteers.csv"
DNC_FILE = "do-not-call.csv"
INDEX_DIR = ".phonebank"
REJECTS_SUFFIX = ".rejects.csv"
SETTINGS_FILE = "workspace.yaml"
SETTINGS_KEYS = {"database": str, "tls": bool}


def check_list_name(name: str) -> str:
    """``name`` if it can name a call list: a safe file name (``fsutil.check_name``) that does not end
    in ``.rejects`` (lists/NAME.rejects.csv is another list's rejects file, and never listed)."""
    check_name(name)
    if name.lower().endswith(REJECTS_SUFFIX[: -len(".csv")]):
        raise UsageProblem(f"invalid list name '{name}' — a name ending in '.rejects' would be mistaken for the "
                           "rejects file of another list; choose another name, e.g. ca34-sample")
    return name


class _Below:
    """A workspace attribute that is a fixed path below its root (``ws.script_path``: ROOT/scripts.yaml)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, ws: Workspace, owner: type | None = None) -> Path:
        return ws.root / self.name


@dataclass(frozen=True)
class Workspace:
    root: Path

    script_path = _Below(SCRIPT_FILE)
    lists_dir = _Below(LISTS_DIR)
    results_dir = _Below(RESULTS_DIR)
    roster_path = _Below(ROSTER_FILE)
    dnc_path = _Below(DNC_FILE)

    def __post_init__(self) -> None:
        confine(self.root)  # nothing phonebank writes below the root goes through a link

    @property
    def index_dir(self) -> Path:
        """``.phonebank/``, created private; an entry in it that is a symbolic link is refused (SQLite and the
        report cache would write through it)."""
        path = ensure_private_dir(self.root / INDEX_DIR)
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_symlink():
                    raise link_refused(Path(entry.path), str(self.root))
                if entry.is_dir(follow_symlinks=False):
                    with os.scandir(entry.path) as inner:  # the report cache's folder
                        link = next((e for e in inner if e.is_symlink()), None)
                    if link is not None:
                        raise link_refused(Path(link.path), str(self.root))
        return path

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    def settings(self) -> dict[str, object]:
        """``workspace.yaml``: ``database`` (the campaign database this workspace is bound to, a PostgreSQL
        URL without password) and ``tls`` (false only when the organizer allowed a remote connection
        without TLS). Empty without the file — one stat on the file store's path."""
        path = self.settings_path
        if not path.is_file():
            return {}
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise WorkspaceError(f"{path}: unreadable ({str(exc).splitlines()[0]}) — fix it, or run "
                                 "`phonebank join` again into a new folder") from None
        if not isinstance(data, dict):
            raise WorkspaceError(f"{path}: expected settings such as 'database: postgresql://...' — fix the file")
        for key, value in data.items():
            kind = SETTINGS_KEYS.get(key)
            if kind is None:
                raise WorkspaceError(f"{path}: unknown setting '{key}' — use one of: {', '.join(SETTINGS_KEYS)}")
            if not isinstance(value, kind):
                raise WorkspaceError(f"{path}: '{key}' must be a {'text' if kind is str else 'true/false'} value")
        url = data.get("database")
        if url is not None and has_password(url):
            raise WorkspaceError(f"{path}: the database URL holds a password — remove it from the file (passwords "
                                 "go in ~/.pgpass, or the URL in the environment as PHONEBANK_DATABASE_URL)")
        return data

    def database_setting(self) -> str | None:
        """The ``database:`` setting of workspace.yaml, or None."""
        value = self.settings().get("database")
        return value.strip() or None if isinstance(value, str) else None

    def list_path(self, name: str) -> Path:
        return self.lists_dir / f"{check_list_name(name)}.csv"

    def rejects_path(self, name: str) -> Path:
        return self.lists_dir / f"{check_list_name(name)}{REJECTS_SUFFIX}"

    def list_results_dir(self, name: str) -> Path:
        return self.results_dir / check_list_name(name)

    def list_names(self) -> list[str]:
        """Names of the call lists in ``lists/``, sorted."""
        if not self.lists_dir.is_dir():
            return []
        names = []
        for p in self.lists_dir.glob("*.csv"):
            if p.name.endswith(REJECTS_SUFFIX) or p.name.startswith("."):
                continue
            names.append(p.stem)
        return sorted(names)

    def results_files(self, name: str) -> list[Path]:
        d = self.list_results_dir(name)
        if not d.is_dir():
            return []
        return sorted(p for p in d.glob("*.csv") if not p.name.startswith("."))


IMPORT_HINT = "an organizer imports one with `phonebank import SOURCE --list NAME`"


def pick_list(ws: Workspace, name: str | None, names: list[str] | None = None, where: str | None = None) -> str:
    """The one list picker of every command taking ``--list``: ``name`` (checked: '' or an unsafe name is
    refused, never read as "the only list"), else the only list. Every failure is a UsageProblem (exit 2).
    ``names``: the lists to choose from (default: the workspace's lists/); ``where``, when given, names
    the folder in messages (organizers' commands), with how to import a list."""
    names = ws.list_names() if names is None else names
    if name is not None:
        check_list_name(name)
        if name not in names:
            place = f" in {where}" if where else ""
            hint = f"; {IMPORT_HINT}" if where or not names else ""
            raise UsageProblem(f"no list named '{name}'{place} — available: {', '.join(names) or 'none'}{hint}")
        return name
    if not names:
        raise UsageProblem(f"no call lists in {where or ws.lists_dir} — {IMPORT_HINT}")
    if len(names) > 1:
        raise UsageProblem(f"this workspace has {len(names)} lists ({', '.join(names)}) — pick one with --list NAME")
    return names[0]


def has_password(url: str) -> bool:
    """Does this PostgreSQL URL (``postgresql://...``) or key=value connection string hold a password?"""
    if re.match(r"^postgres(ql)?://", url.strip()):
        parts = urlsplit(url.strip())
        return bool(parts.password) or "password" in parse_qs(parts.query)
    return re.search(r"(^|\s)password\s*=", url) is not None


def find_workspace(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Workspace:
    """Find the workspace: ``--workspace``, else $PHONEBANK_WORKSPACE, else the current folder."""
    if explicit:
        root, source = Path(explicit), "--workspace"
    elif os.environ.get(ENV_VAR):
        root, source = Path(os.environ[ENV_VAR]), ENV_VAR
    else:
        root, source = (cwd or Path.cwd()), "current folder"
    root = root.expanduser()
    if not root.is_dir():
        raise WorkspaceError(
            f"workspace {root} ({source}) is not a folder — create one with `phonebank init {root}` "
            "or point --workspace at an existing one"
        )
    if not (root / SCRIPT_FILE).is_file():
        where = "the current folder" if source == "current folder" else f"{root} (from {source})"
        raise WorkspaceError(
            f"no phonebank workspace in {where}: {SCRIPT_FILE} not found — cd into a workspace, "
            f"pass --workspace DIR, set {ENV_VAR}, or create one with `phonebank init DIR`"
        )
    return Workspace(root.resolve())
