"""Build an export of a list's results (``phonebank export KIND``): voter exports (``voters``) and the
sync-back layouts for NGP VAN (``van``) and PDI (``pdi``), each in its module.

Sync-back exports read only the list's IDs and phones (``sync.LIST_COLUMNS``), so the list cache a
report made is not rebuilt with every column; voter exports read every column.
"""

from __future__ import annotations

import datetime as dt

from ..errors import UsageProblem
from ..report.aggregate import Loaded, load
from ..report.data import EXPORT_COLUMNS
from ..script import Script
from ..workspace import Workspace
from . import KINDS, LAYOUTS
from .table import Export


def build_export(ws: Workspace, script: Script, list_name: str, kind: str, now: dt.datetime | None = None,
                 use_cache: bool = True, layout: str | None = None, ids: str | None = None) -> Export:
    if kind not in KINDS:
        raise UsageProblem(f"unknown export '{kind}' — use one of: {', '.join(KINDS)}")
    if layout is not None and layout not in LAYOUTS.get(kind, ()):
        choices = LAYOUTS.get(kind)
        raise UsageProblem(f"--layout {layout} is not a layout of `export {kind}` — "
                           + (f"use one of: {', '.join(choices)}" if choices else "leave --layout out"))
    if ids is not None and kind not in LAYOUTS:
        raise UsageProblem(f"--ids is for `export van` and `export pdi` — leave it out of `export {kind}`")
    if kind in LAYOUTS:
        from .sync import LIST_COLUMNS

        got = load(ws, script, list_name, list_columns=LIST_COLUMNS, result_columns=EXPORT_COLUMNS, now=now,
                   use_cache=use_cache)
        if kind == "van":
            from .van import van_export

            out = van_export(script, got, layout or LAYOUTS[kind][0], ids)
        else:
            from .pdi import pdi_export

            out = pdi_export(script, got, layout or LAYOUTS[kind][0], ids)
    else:
        from .voters import voter_export

        got = load(ws, script, list_name, list_columns=None, result_columns=EXPORT_COLUMNS, now=now,
                   use_cache=use_cache)
        out = voter_export(script, got, kind)
    out.warnings = _warnings(got) + out.warnings
    return out


def _warnings(got: Loaded) -> list[str]:
    problems = got.results.problems
    out = []
    if problems.torn or problems.bad:
        out.append(f"skipped {len(problems.torn)} incomplete last line(s) and {len(problems.bad)} damaged row(s) "
                   f"in the results of {got.list_name}")
    strangers = got.folded.voter_of_row >= got.folded.n_list
    if strangers.any():
        out.append(f"{int(strangers.sum()):,} saved calls name voters not in lists/{got.list_name}.csv — not exported")
    return out


__all__ = ["Export", "build_export"]
