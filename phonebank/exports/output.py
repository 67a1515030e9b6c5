"""Where an export or a report page may be written, and writing it privately (0600, atomically).

``--output FILE`` / ``--html FILE`` is a path the organizer typed: it may point outside the workspace
(that is an explicit choice), but it must be a plain file path — no NUL bytes, not a folder, in a
folder that exists — and it may never overwrite the workspace's own data (scripts.yaml, the lists,
the results, the roster, the do-not-call list, the calling index).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageProblem
from ..fsutil import atomic_write
from ..workspace import DNC_FILE, INDEX_DIR, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, SCRIPT_FILE, Workspace

_PROTECTED_FILES = (SCRIPT_FILE, ROSTER_FILE, DNC_FILE)
_PROTECTED_DIRS = (LISTS_DIR, RESULTS_DIR, INDEX_DIR)


def check_output(ws: Workspace, text: str, option: str = "--output") -> Path:
    """Validate an output path given on the command line; returns it (not resolved)."""
    if not text or not text.strip():
        raise UsageProblem(f"{option} is empty — give a file name, e.g. {option} supporters.csv")
    if "\x00" in text:
        raise UsageProblem(f"{option} contains a NUL byte — give a plain file name")
    path = Path(text).expanduser()
    if path.is_dir() or text.endswith(("/", "\\")):
        raise UsageProblem(f"{option} {text} is a folder — give a file name inside it, e.g. {path / 'export.csv'}")
    parent = path.parent
    if not parent.is_dir():
        raise UsageProblem(f"{option} {text}: folder {parent} does not exist — create it first or pick another path")
    target = parent.resolve() / path.name
    if target.exists():
        target = target.resolve()
    root = ws.root.resolve()
    protected = [root / name for name in _PROTECTED_FILES]
    if target in protected or any(target.is_relative_to(root / d) for d in _PROTECTED_DIRS):
        shown = target.relative_to(root)
        raise UsageProblem(f"{option} {text} would overwrite the workspace's own data ({shown}) — write the "
                           "file somewhere else, e.g. exports/ or your home folder")
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, readable only by the owner (it holds voter data)."""
    with atomic_write(path, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
