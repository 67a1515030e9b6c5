"""Domain errors. The CLI layer turns each into a one-line message and an exit code."""

from __future__ import annotations

import re

MESSAGE_MAX = 500  # characters in one error line, whatever the input it names
VALUE_MAX = 200  # one unbroken word (a path, a quoted value) longer than this is shortened in the middle
RAISE_ERRORS_VAR = "PHONEBANK_RAISE_ERRORS"  # set: an unexpected exception is raised (tests), not apologized for
BUG_REPORT_HINT = "please report it to the phonebank maintainers with the command you ran"

_LONG_WORD = re.compile(r"\S{" + str(VALUE_MAX + 1) + ",}")


def bounded(message: str, limit: int = MESSAGE_MAX) -> str:
    """``message`` as one line of at most ``limit`` characters: line breaks flattened, every word over
    VALUE_MAX characters cut in the middle (``head…tail``), the whole capped with an ellipsis."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(message))

    def cut(m: re.Match) -> str:
        word = m.group()
        keep = (VALUE_MAX - 1) // 2
        return f"{word[:keep]}…{word[-keep:]}"

    text = _LONG_WORD.sub(cut, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PhonebankError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one-line message."""

    exit_code = 1


class WorkspaceError(PhonebankError):
    """No workspace where one was expected, or a workspace file is unusable."""

    exit_code = 2


class ScriptError(PhonebankError):
    """scripts.yaml is invalid. Holds every problem found, one line each."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ImportFailed(PhonebankError):
    """A voter file could not be imported. Exit 1, as every PhonebankError."""


class UsageProblem(PhonebankError):
    """A bad option value or argument."""

    exit_code = 2


class DataError(PhonebankError):
    """A list, roster or results file is unreadable. Exit 1, as every PhonebankError."""


class NotSaved(DataError):
    """A call could not be written (a full disk, a permission): it is not saved anywhere, and the same call
    may be saved again once the cause is fixed."""


class UnsafePath(DataError):
    """A file phonebank would write is a symbolic link, or resolves outside the workspace."""


class Aborted(PhonebankError):
    """The user stopped (Ctrl-C / Ctrl-D at a prompt)."""

    exit_code = 130


class Offline(DataError):
    """The campaign database cannot be reached now. Saved calls are kept on this computer and sent at
    the next connection; no new voter is handed out until then."""


class LoginRefused(DataError):
    """The campaign database refused this login (revoked, or its password replaced by a new invitation)."""


_OS_HINTS = {
    "ENAMETOOLONG": "a file or folder name is too long — use a shorter name",
    "EACCES": "permission denied — check the permissions of the file and its folder",
    "EPERM": "not permitted — check the permissions of the file and its folder",
    "ENOTDIR": "a part of the path is a file, not a folder — check the path",
    "EISDIR": "is a folder, not a file — give a file name",
    "ELOOP": "a symbolic link in the path loops or is refused — give the real path",
    "ENOSPC": "the disk is full — free some space and try again",
    "EDQUOT": "the disk quota is exceeded — free some space and try again",
    "EROFS": "the disk is read-only — use a folder you can write",
    "ENOENT": "no such file or folder — check the path",
    "EEXIST": "already exists — choose another name",
    "EMFILE": "too many open files — close other programs and try again",
    "EFBIG": "the file is too large",
    "EINVAL": "an invalid file name — use plain letters, digits, '.', '_' or '-'",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError that reached the command line: the path, what went wrong, the fix."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    where = exc.filename if exc.filename is not None else ""
    if isinstance(where, bytes):
        where = where.decode("utf-8", "backslashreplace")
    what = _OS_HINTS.get(name) or f"{exc.strerror or exc.__class__.__name__} — check the path and permissions"
    return f"{where}: {what}" if where != "" else f"{exc.strerror or 'file system error'}: {what}"
