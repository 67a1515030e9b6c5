"""Shared bits of the click layer: the --workspace option, workspace/script loading, and the one list
picker (``pick_list``, from ``workspace`` so the calling core uses it too): every command that takes
``--list`` fails the same way, with exit 2."""

from __future__ import annotations

import functools

import click

from ..script import Script, load_script
from ..workspace import Workspace, find_workspace, pick_list

__all__ = ["current_script", "current_workspace", "pick_list", "workspace_option"]


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
    return find_workspace(ctx.meta.get("phonebank.workspace_dir"))


def current_script(ws: Workspace | None = None) -> Script:
    ws = ws or current_workspace()
    return load_script(ws.script_path)

