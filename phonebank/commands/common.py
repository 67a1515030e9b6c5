"""Shared bits of the click layer: the --workspace option, workspace/script loading, and the one list
picker (``pick_list``, from ``workspace`` so the calling core uses it too): every command that takes
``--list`` fails the same way, with exit 2."""

from __future__ import annotations

import functools

import click

from .. import clock
from ..errors import PhonebankError
from ..script import Script, load_script
from ..workspace import Workspace, find_workspace, pick_list

__all__ = ["current_script", "current_workspace", "heavy_work", "pick_list", "rehearsal_line", "workspace_option"]


def heavy_work(reuse_freed: bool = False) -> None:
    """An organizer's command about to work on a whole list (import, report, export): memory as
    ``phonebank.memory`` sets it out (``reuse_freed``: the report and the export). Called before pyarrow
    or numpy is loaded."""
    from .. import memory

    memory.small_pages()
    if reuse_freed:
        memory.reuse_freed_memory()


def workspace_option(func):
    """Add ``--workspace DIR`` to a command (it may also be given before the command name)."""

    @click.option("--workspace", "-w", "workspace_dir", metavar="DIR",
                  help="Workspace folder (default: $PHONEBANK_WORKSPACE, else the current folder).")
    @functools.wraps(func)
    def wrapper(*args, workspace_dir=None, **kwargs):
        ctx = click.get_current_context()
        root = ctx.find_root()
        if workspace_dir is None and root.obj:
            workspace_dir = root.obj.get("workspace")
        ctx.meta["phonebank.workspace_dir"] = workspace_dir
        return func(*args, **kwargs)

    return wrapper


def current_workspace() -> Workspace:
    ctx = click.get_current_context()
    ws = find_workspace(ctx.meta.get("phonebank.workspace_dir"))
    clock.use_workspace(ws.root)  # a rehearsal workspace: every command reads its clock
    return ws


def current_script(ws: Workspace | None = None) -> Script:
    ws = ws or current_workspace()
    return load_script(ws.script_path)



def rehearsal_line(ws: Workspace, script: Script | None = None) -> str | None:
    """The rehearsal note for an organizer's command in a rehearsal workspace, or None."""
    if not clock.rehearsing():
        return None
    from ..screen import fmt_moment

    try:
        tz = (script or load_script(ws.script_path)).campaign.time_zone
    except PhonebankError:  # a broken scripts.yaml is reported by the command itself
        return None
    return (f"Rehearsal: this workspace's clock reads {fmt_moment(clock.now(), tz, 'en')} (rehearsal.yaml) — "
            "delete rehearsal.yaml to use the real clock")
