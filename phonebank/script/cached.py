"""``scripts.yaml`` as the commands read it: the validated ``Script`` is kept in the workspace's index
folder (``.phonebank/script.msgpack``, private, rebuilt when lost), keyed by the file's exact text and
phonebank's version, so a volunteer's ``phonebank call`` neither imports PyYAML (its regular expressions
alone took ~25 ms at start-up) nor parses the script again (~14 ms) until the file changes. A miss, a
damaged or foreign kept copy, or no index folder: the file is parsed and checked as always (``load``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from .. import __version__
from ..errors import PhonebankError, ScriptError
from .schema import Script

KEPT_NAME = "script.msgpack"
FORMAT = 1
MAX_BYTES = 1 << 20  # a campaign's script is tens of KB; a megabyte is not a script


class _Kept(msgspec.Struct):
    key: str
    script: Script
    lines: list[tuple[list[str | int], int]]  # Script.lines: path in the file -> line


def read_script_text(path: Path) -> str:
    """The text of ``path`` (``scripts.yaml``), or a ScriptError saying what is wrong with the file."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScriptError([f"{name}: the file is {size:,} bytes (at most {MAX_BYTES:,}) — that is not a call "
                               "script; restore it from a backup or start from `phonebank init`"])
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScriptError([f"{name}: file not found — create it with `phonebank init` or restore it"]) from None
    except UnicodeDecodeError as exc:
        raise ScriptError([f"{name}: not UTF-8 text ({exc.reason}) — save the file as UTF-8"]) from None
    except OSError as exc:
        raise ScriptError([f"{name}: cannot read ({exc.strerror}) — check the path and permissions"]) from None


def load_script(path: Path) -> Script:
    """Read, parse and validate ``path`` (the kept copy when the text is the same). Raises ScriptError
    listing every problem."""
    text = read_script_text(path)
    key = f"{FORMAT}:{__version__}:{path.name}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"
    from ..workspace import INDEX_DIR

    kept_path = path.parent / INDEX_DIR / KEPT_NAME
    kept = _read(kept_path, key)
    if kept is not None:
        return kept
    script = parse_script(text, path.name)
    _keep(kept_path, key, script)
    return script


def parse_script(text: str, name: str = "scripts.yaml") -> Script:
    """Parse and validate a script's text (``load.parse_script``: PyYAML, imported only now)."""
    from .load import parse_script as parse

    return parse(text, name)


def _read(kept_path: Path, key: str) -> Script | None:
    try:
        if kept_path.is_symlink() or not kept_path.is_file():
            return None
        kept = msgspec.msgpack.decode(kept_path.read_bytes(), type=_Kept)
    except (OSError, ValueError, msgspec.DecodeError):  # damaged, foreign or unreadable: parse instead
        return None
    if kept.key != key:
        return None
    script = kept.script
    script.lines = {tuple(where): line for where, line in kept.lines}
    return script


def _keep(kept_path: Path, key: str, script: Script) -> None:
    """Keep the script for the next command, when the workspace has its index folder (best effort)."""
    if not kept_path.parent.is_dir() or kept_path.parent.is_symlink():
        return
    from ..fsutil import atomic_write

    kept = _Kept(key, msgspec.structs.replace(script, lines={}),
                 [(list(where), line) for where, line in script.lines.items()])
    try:
        with atomic_write(kept_path, "wb", encoding=None, newline=None, durable=False) as fh:
            fh.write(msgspec.msgpack.encode(kept))
    except (OSError, PhonebankError):  # a full disk, a planted link: the next command parses again
        pass
