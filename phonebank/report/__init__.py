"""Organizer reports over a list's saved calls (``phonebank report``).

Organizer-only: this package imports pandas (and pyarrow when available), so nothing a volunteer
command imports may import it at module level; ``phonebank.commands.report_cmd`` imports it inside
the command function.

* ``data``      read every results file of the list into a pandas frame, fast (pyarrow's CSV reader)
                with the exact rules of ``phonebank.results`` (torn last line, damaged rows, undo rows);
* ``voters``    read the call list (the columns a report needs) and each voter's zone key;
* ``times``     time stamps as int64 microseconds: campaign-zone days and hours, ISO text;
* ``cache``     the derived cache of parsed rows, list columns and zones in ``.phonebank/report/LIST/``;
* ``state``     the per-voter outcome of ``phonebank.outcomes`` (fold + status), vectorized;
* ``aggregate`` the report as one plain dict (the JSON document); ``activity`` its volunteer, day and
                hour sections;
* ``render``    that dict as a terminal table, CSV, JSON, Markdown or a self-contained HTML page.
"""

from __future__ import annotations

REPORT_VERSION = 1
