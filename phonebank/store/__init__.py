"""Where a campaign's data lives, behind one port (``port``): the file store (``files``), or a shared
PostgreSQL database (``postgres``) when one is named.

``open_calling`` is what `phonebank call` uses; the calling loop (``phonebank.loop``) sees only
the ``CallingStore`` protocol. The file store: ``files`` (claims, saves) over ``file_index`` (the derived
calling index: a static part per list build, ``voters_static``, written by ``voters_arrow`` or from
``voters_csv``, and a SQLite part with only the voters called, held or with no number left, laid out in
``file_build``). The database:
``postgres`` (the store and the database's API) over ``pg_conn``, ``pg_schema``, ``pg_push``, ``pg_load``
(with ``pg_copy``), ``pg_pull``, ``pg_logins``; a volunteer's side in ``remote``, ``outbox``,
``credentials``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..script import Script
from ..workspace import Workspace
from .port import CallingStore, Clock, Hold, Offer, QueueCounts, Saved

__all__ = ["CallingStore", "Clock", "Hold", "Offer", "QueueCounts", "Saved", "database_url", "open_calling"]

DATABASE_VAR = "PHONEBANK_DATABASE_URL"


def database_url(workspace: Workspace | None = None) -> str | None:
    """The campaign database named for this command: the global ``--database URL``, else
    ``PHONEBANK_DATABASE_URL``, else the ``database:`` setting of ``workspace`` (its workspace.yaml, written
    by `phonebank join`); None means the workspace's files."""
    import sys

    click = sys.modules.get("click")  # only a command line run has options; never import click here
    ctx = click.get_current_context(silent=True) if click else None
    obj = ctx.find_root().obj if ctx is not None else None
    given = obj.get("database") if isinstance(obj, dict) else None
    url = given or os.environ.get(DATABASE_VAR, "").strip() or None
    if url is None and workspace is not None:
        url = workspace.database_setting()
    return url


def open_calling(workspace: Workspace, script: Script, list_name: str, clock: Clock,
                 on_rebuild: Callable[[], None] | None = None) -> CallingStore:
    """The calling store for one list of ``workspace`` — in the campaign database when one is named
    (there the server's clock decides, unless ``PHONEBANK_NOW`` sets a rehearsal clock)."""
    url = database_url(workspace)
    if url:
        from ..clock import NOW_VAR
        from .postgres import PostgresStore

        return PostgresStore(url, script, list_name, clock if os.environ.get(NOW_VAR, "").strip() else None)
    from .files import FileStore

    return FileStore(workspace, script, list_name, clock, on_rebuild=on_rebuild)
