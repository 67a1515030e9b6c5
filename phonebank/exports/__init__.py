"""Exports of a list's results: ``phonebank export KIND``.

* ``safecsv``  the spreadsheet-safe CSV writer (formula injection neutralized, phones as digits);
* ``core``     the latest result per voter (supporters, undecided, callbacks, dnc, results) and the
               sync-back layouts for NGP VAN (bulk upload) and PDI (flags).

Organizer-only: ``core`` imports pandas; import it inside the command function.
"""

KINDS = ("supporters", "undecided", "callbacks", "dnc", "results", "van", "pdi")
