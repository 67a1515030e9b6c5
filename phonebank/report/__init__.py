"""Organizer reports over a list's saved calls (``phonebank report``).

Organizer-only: this package imports pyarrow and numpy (and pandas only for an export's frames), so
nothing a volunteer command imports may import it at module level; ``phonebank.commands.report_cmd``
imports it inside the command function, and runs the report with pandas set aside.

* ``data``      read every results file of the list into one pyarrow table (``rows.Rows``: the columns
                as the fold and tally take them), fast, with the rules of ``phonebank.results`` (torn
                last line, damaged rows, undo rows); ``arrow_rows`` its pyarrow parse, typed and checked
                by ``results.FORMAT``;
* ``voters``    read the call list (the columns a report needs, by the store's own list readers), each
                voter's zone key and the list's counts by zone (recorded by `phonebank import`);
* ``times``     time stamps as int64 microseconds: campaign-zone days and hours, ISO text;
* ``cache``     the derived cache of parsed rows, list columns and zones in ``.phonebank/report/LIST/``;
* ``state``     the per-voter outcome by ``phonebank.outcomes.RULES`` (fold + status), vectorized;
                ``numbering`` numbers the voters; ``marks`` the list's progress as a mark per voter,
                counted from the voters with calls;
* ``tally``     the report's counts as sums over voters, and its sections from them; ``aggregate`` the
                report as one plain dict (the JSON document);
* ``memo``      the last report, kept while nothing changed; ``delta`` the report after new calls: the
                last report's tally and marks, with only the voters the new calls touch folded again;
* ``render``    that dict as a terminal table, CSV, JSON or Markdown; ``html`` as a self-contained page.
"""

from __future__ import annotations

REPORT_VERSION = 1
