"""Domain errors. The CLI layer turns each into a one-line message and an exit code."""

from __future__ import annotations


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
    """A voter file could not be imported."""

    exit_code = 1


class UsageProblem(PhonebankError):
    """A bad option value or argument."""

    exit_code = 2


class DataError(PhonebankError):
    """A list, roster or results file is unreadable."""

    exit_code = 1


class Aborted(PhonebankError):
    """The user stopped (Ctrl-C / Ctrl-D at a prompt)."""

    exit_code = 130


class Offline(DataError):
    """The campaign database cannot be reached now. Saved calls are kept on this computer and sent at
    the next connection; no new voter is handed out until then."""


class LoginRefused(DataError):
    """The campaign database refused this login (revoked, or its password replaced by a new invitation)."""
