"""Organizer reports over a list's saved calls (``phonebank report``).

Organizer-only: this package imports pandas (and pyarrow when available), so nothing a volunteer
command imports may import it at module level; ``phonebank.commands.report_cmd`` imports it inside
the command function.

* ``data``      read the call list and every results file of the list into pandas frames, fast
                (pyarrow's CSV reader) with the exact rules of ``phonebank.results`` (torn last line,
                damaged rows, undo rows);
* ``state``     the per-voter outcome of ``phonebank.outcomes`` (fold + status), vectorized;
* ``aggregate`` the report as one plain dict (the JSON document);
* ``render``    that dict as a terminal table, CSV, JSON, Markdown or a self-contained HTML page.
"""

from __future__ import annotations

REPORT_VERSION = 1
