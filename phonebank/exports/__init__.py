"""Exports of a list's results: ``phonebank export KIND [--layout LAYOUT]``.

* ``safecsv``  spreadsheet-safe cells (formula injection neutralized, phones as digits) and the CSV writer;
* ``xlsx``     ``--excel``: a real workbook (IDs, ZIPs, phones as text cells, dates as dates);
* ``voters``   one row per voter: supporters, undecided, callbacks, dnc, results;
* ``sync``     the calls to send back, one row per attempt, and the ID kinds each layout takes;
* ``van``, ``pdi``  the sync-back layouts; ``codes`` the public ids they fall back on.

Organizer-only: everything but ``codes`` imports pandas or pyarrow; import inside the command function.
"""

KINDS = ("supporters", "undecided", "callbacks", "dnc", "results", "van", "pdi")
LAYOUTS = {"van": ("wizard", "api", "responses"), "pdi": ("flags", "people")}
ID_CHOICES = ("myvoters", "mycampaign", "pdi", "ca")
