"""Small file-system helpers: private files, atomic replace, durable appends, safe names.

Inside a workspace (a root registered with ``confine``, which ``Workspace`` does) nothing is written
through a symbolic link: every folder below the root on the way to a file phonebank writes must be a
real folder, the file itself is opened with ``O_NOFOLLOW`` (or replaced, never written through), and a
file with other hard links is refused — a planted link (a shared or synced campaign folder makes one
possible) is refused with ``UnsafePath`` naming it. Folders and files there are also tightened to
0700/0600 when found looser (copied in from elsewhere).
"""

from __future__ import annotations

import csv
import errno
import fcntl
import functools
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UnsafePath, UsageProblem

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TORN_SUFFIX = ".torn"
_SCAN_CHUNK = 1 << 16

# The csv module refuses a field longer than 131,072 characters by default; every CSV file phonebank
# appends to must stay readable whatever was written, so readers allow any field that fits in memory.
CSV_FIELD_LIMIT = 2**31 - 1

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(name: str, what: str = "list name") -> str:
    """Return ``name`` if it is a safe single path component, else raise UsageProblem."""
    if (
        not isinstance(name, str)
        or "\x00" in name
        or not _NAME_RE.fullmatch(name)  # not .match: "$" would accept a trailing newline
        or name in {".", ".."}
        or ".." in name
    ):
        shown = repr(name) if isinstance(name, str) else "?"
        raise UsageProblem(
            f"invalid {what} {shown} — use letters, digits, '.', '_' or '-' (no slashes, "
            "no '..', at most 100 characters), e.g. ca34-sample"
        )
    return name


_ROOTS: dict[str, str] = {}  # a workspace root as given (absolute) -> its real path


def confine(root: Path) -> None:
    """Register ``root`` as a workspace: paths below it are written only through real folders and files."""
    lexical = os.path.abspath(root)
    if lexical not in _ROOTS:
        _ROOTS[lexical] = os.path.realpath(lexical)


def _workspace_of(path: Path) -> tuple[str, str] | None:
    """(root, path relative to it) of the registered workspace holding ``path`` (the innermost), or None."""
    target = os.path.abspath(path)
    best = None
    for lexical in _ROOTS:
        if target.startswith(lexical.rstrip(os.sep) + os.sep) and (best is None or len(lexical) > len(best)):
            best = lexical
    return None if best is None else (best, os.path.relpath(target, best))


def check_no_links(path: Path, final: bool = True) -> None:
    """Refuse (UnsafePath) a path inside a workspace when a folder below the root on the way to it — or,
    with ``final``, the path itself — is a symbolic link. Paths outside every workspace pass."""
    found = _workspace_of(path)
    if found is None:
        return
    root, rel = found
    parts = rel.split(os.sep)
    current = root
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        if i == len(parts) - 1 and not final:
            return
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return  # phonebank creates the rest itself
        except OSError:
            return  # the open that follows reports it
        if stat.S_ISLNK(info.st_mode):
            raise link_refused(Path(current), root)


def link_refused(link: Path, root: str | None = None) -> UnsafePath:
    shown = os.path.relpath(link, root) if root else str(link)
    try:
        target = f" (to {os.readlink(link)})"
    except OSError:
        target = ""
    return UnsafePath(f"{shown} in the workspace is a symbolic link{target} — phonebank never writes through a "
                      "link there; replace it with the real file or folder (e.g. move the target in its place)")


def _tighten(path: Path, mode: int, fd: int | None = None) -> None:
    """Inside a workspace, take away group/other permissions a copied-in file or folder kept (best effort)."""
    if _workspace_of(path) is None:
        return
    try:
        info = os.fstat(fd) if fd is not None else os.lstat(path)
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
            os.fchmod(fd, mode) if fd is not None else os.chmod(path, mode)
    except OSError:
        pass


def open_no_follow(path: Path, flags: int, mode: int = PRIVATE_FILE) -> int:
    """``os.open`` that never follows a link at ``path`` or in the workspace folders leading to it, and
    refuses a regular file with other hard links. Returns the descriptor."""
    check_no_links(path)
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise link_refused(path, (_workspace_of(path) or (None,))[0]) from None
        raise
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1 and _workspace_of(path) is not None:
            raise UnsafePath(f"{path.name} in the workspace has {info.st_nlink} hard links — phonebank never writes "
                             "a file shared with another place; replace it with a copy (cp FILE FILE.new && mv "
                             "FILE.new FILE)")
        _tighten(path, PRIVATE_FILE, fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) if needed, each new folder readable only by its owner
    whatever the umask (folder names such as results/LIST/EMAIL.csv say who called). Inside a workspace,
    a link on the way is refused and an existing folder is tightened to 0700."""
    check_no_links(path)
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass
    found = _workspace_of(path)
    if found is not None:  # the folders below the root, not the root the campaign chose
        folder = Path(found[0])
        for part in found[1].split(os.sep):
            folder = folder / part
            _tighten(folder, PRIVATE_DIR)
    return path


def open_private_append(path: Path):
    """Open ``path`` for binary append (and pread), creating it with mode 0600."""
    fd = open_no_follow(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    return os.fdopen(fd, "a+b")


def allow_long_csv_fields() -> None:
    """Raise the csv module's field size limit (process-wide) so no field phonebank wrote is refused."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


def torn_path(path: Path) -> Path:
    """Where torn fragments cut off ``path`` are kept for inspection: ``PATH.torn``."""
    return path.with_name(path.name + TORN_SUFFIX)


def durable_append(path: Path, data: bytes, header: bytes) -> None:
    """Append ``data`` (whole lines, ending with a newline) to ``path``: one ``write`` under an exclusive
    ``flock``, then ``fsync``. The file is created private (0600) and starts with ``header``.

    A process killed mid-write leaves a torn last line (no newline). Before writing, that fragment —
    of any length — is moved to ``PATH.torn`` (private, appended, fsynced) and truncated off, so every
    line in the file is whole. If the write or the fsync fails the file is cut back to where it was,
    and the OSError propagates: the caller must not report the data saved.
    """
    if not data.endswith(b"\n") or (header and not header.endswith(b"\n")):
        raise ValueError("durable_append: data and header must be whole lines (end with a newline)")
    ensure_private_dir(path.parent)
    fd = open_no_follow(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                size = set_aside_torn_tail(path, fd, size)
            blob = (header if size == 0 else b"") + data
            try:
                written = os.write(fd, blob)
                if written != len(blob):  # a short write: out of space (or file size limit)
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(fd)
            except BaseException:
                try:
                    os.ftruncate(fd, size)
                except OSError:
                    pass
                raise
            if size == 0:
                _fsync_dir(path.parent)  # a new file: make its name durable too
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def set_aside_torn_tail(path: Path, fd: int, size: int) -> int:
    """Move the torn final fragment of ``path`` (open as ``fd``, ``size`` bytes, the last not a newline)
    to ``PATH.torn`` and truncate it off. Call with ``fd`` exclusively locked. Returns the new size.

    The fragment is everything after the last newline, however long (scanned backwards in chunks);
    with no newline at all it is the whole file (a torn first write), and the caller writes the
    header again.
    """
    check_no_links(path)
    info, here = os.fstat(fd), os.lstat(path)
    if (info.st_dev, info.st_ino) != (here.st_dev, here.st_ino):  # never cut a file other than the one named
        raise link_refused(path, (_workspace_of(path) or (None,))[0])
    keep = 0
    end = size
    while end > 0:
        start = max(0, end - _SCAN_CHUNK)
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            keep = start + cut + 1
            break
        end = start
    torn_fd = open_no_follow(torn_path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    try:
        offset = keep
        while offset < size:  # copied in chunks: a torn fragment may be large
            piece = os.pread(fd, min(1 << 20, size - offset), offset)
            if not piece:
                break
            _write_all(torn_fd, piece)
            offset += len(piece)
        _write_all(torn_fd, b"\n")
        os.fsync(torn_fd)
    finally:
        os.close(torn_fd)
    os.ftruncate(fd, keep)
    return keep


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def complete_bytes(path: Path) -> bytes | None:
    """The bytes of ``path`` up to and including its last newline (a final line without one may be a
    write in progress, or torn by a crash, and is left out); a UTF-8 BOM is removed. None if missing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data[: data.rfind(b"\n") + 1]


def append_columns(path: Path, columns: tuple[str, ...]) -> list[str]:
    """The column order to append rows in: the existing file's header, followed by any of ``columns``
    it lacks (an older file gains a column as trailing fields); ``columns`` for a new or headerless file.
    Readers use the same rule (``header + missing``) to find those trailing columns."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except FileNotFoundError:
        return list(columns)
    if not first.endswith(b"\n"):  # no complete header yet: the append writes ours
        return list(columns)
    try:
        header = [h.strip() for h in next(csv.reader([first.decode("utf-8-sig")]), [])]
    except (UnicodeDecodeError, csv.Error):
        return list(columns)
    if not any(header):
        return list(columns)
    return header + [c for c in columns if c not in header]


@contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = "",
                 durable: bool = True) -> Iterator:
    """Write to a private temporary file beside ``path`` and rename it over ``path`` on success.
    ``durable=False`` skips the fsyncs (for caches that are rebuilt if lost).

    A crash or Ctrl-C before the rename leaves the previous ``path`` untouched and removes the
    temporary file.
    """
    ensure_private_dir(path.parent)
    check_no_links(path)  # replacing a link would not write through it, but a planted link is refused all the same
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, PRIVATE_FILE)
    try:
        if "b" in mode:
            fh = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(path.parent)


def start_writeback(fh) -> None:
    """Have the system start writing what ``fh`` (a binary file) holds to disk now, without waiting for it
    (Linux's ``sync_file_range``; elsewhere nothing). A big file written a part at a time then has little left
    for its fsync at the end: 640 MB written in 8 MB pieces, fsync 0.27 s after, 0.00 s with this."""
    fh.flush()
    call = _sync_file_range()
    if call is not None:
        call(fh.fileno(), 0, 0, _SYNC_FILE_RANGE_WRITE)  # offset 0, length 0: the whole file


_SYNC_FILE_RANGE_WRITE = 2


@functools.cache
def _sync_file_range():
    from .memory import libc

    found = libc()
    if found is None or not hasattr(found, "sync_file_range"):
        return None
    import ctypes

    call = found.sync_file_range
    call.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    return call


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
