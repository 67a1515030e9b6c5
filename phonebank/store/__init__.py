"""Where a campaign's data lives, behind one port (``port``): today the file store (``files``).

``open_calling`` is what `phonebank call` uses; the calling loop (``phonebank.session``) sees only
the ``CallingStore`` protocol.
"""

from __future__ import annotations

from collections.abc import Callable

from ..script import Script
from ..workspace import Workspace
from .port import CallingStore, Clock, Hold, Offer, QueueCounts, Saved

__all__ = ["CallingStore", "Clock", "Hold", "Offer", "QueueCounts", "Saved", "open_calling"]


def open_calling(workspace: Workspace, script: Script, list_name: str, clock: Clock,
                 on_rebuild: Callable[[], None] | None = None) -> CallingStore:
    """The calling store for one list of ``workspace``."""
    from .files import FileStore

    return FileStore(workspace, script, list_name, clock, on_rebuild=on_rebuild)
