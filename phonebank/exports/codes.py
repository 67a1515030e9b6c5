"""The public ids of VAN result codes and contact types, and PDI's published flag ids, with their sources.

VAN says result codes and contact types vary by context (input type, contact type, committee): these
ids are the ones public sources show, used only when ``scripts.yaml`` gives no id of its own
(``van_result_id``, ``export.van_contact_type_id``). A name with no public id must be mapped by the
organizer (``GET canvassResponses/resultCodes`` / ``contactTypes`` list the account's own ids).
No pandas here: ``phonebank check`` reads these tables too.

Sources, cited per entry:

* ``spoke``  StateVoicesNational/Spoke:__test__/integrations/action-handlers/ngpvan-action.test.js
* ``parsons-test``  move-coop/parsons:test/test_van/test_ngpvan.py
* ``comment``  fburdell/franklinbot:targeting/live/full_queries/geo_suppression.sql — a single code
  comment ("nh, rf, ia, dc, mv, vacant, canvassed, lit dropped" beside 1, 2, 3, 4, 5, 10, 14, 21)
* ``demexchange``  DemExchange's VAN canvass-response integration guide (14 with responses)
* ``parsons-people``  move-coop/parsons:parsons/ngpvan/people.py, comments in ``apply_response``
* ``parsons-flags``  move-coop/parsons:parsons/pdi/flag_ids.py
"""

from __future__ import annotations

VAN_RESULT_IDS: dict[str, tuple[int, str]] = {
    "not home": (1, "comment"),
    "refused": (2, "comment"),
    "deceased": (4, "spoke, comment"),
    "moved": (5, "comment"),
    "canvassed": (14, "spoke, comment, demexchange"),
    "call back": (17, "spoke"),
    "busy": (18, "parsons-test, spoke"),
    "do not call": (22, "spoke"),
    "disconnected": (25, "spoke"),
    "do not text": (130, "spoke"),
    "do not email": (131, "spoke"),
}
"""VAN result name (lower case) -> (resultId, sources). Wrong Number, Left Message, Language Barrier,
Hostile and Deliverability Error have no public id: map them with ``van_result_id``."""

CANVASSED = 14  # the result VAN implies when survey responses are sent (demexchange; spoke)

VAN_CONTACT_TYPE_IDS: dict[str, tuple[int, str]] = {name: (number, "parsons-people") for name, number in {
    "phone": 1, "auto dial": 19, "sms text": 37, "phone bank": 67, "consumer phone": 68, "leader phone": 72,
    "personal phone": 112, "relational text": 132, "distributed text": 143, "bulk text": 147, "paid sms": 149,
}.items()}
"""VAN contact type name (lower case) -> (contactTypeId, sources)."""

PDI_FLAG_IDS = frozenset(
    "AMM BNH BNM DEAD DNC DNR ENDR GTD HH L2VT LBO LM LO LS LSD LSR MAYBE MOV NAH NO REF SO SS SUP U UL2VT "
    "VL2VT VOL VTD".split())
"""The flag ids parsons lists as allowed (parsons-flags). An account may define others: the organizer
lists those in ``export.pdi_extra_flags`` after checking them in PDI (GET /flag_ids)."""

PDI_FLAG_HINTS = {"NH": "NAH", "NA": "NAH", "BN": "BNH", "WN": "BNH", "DC": "DEAD", "MV": "MOV", "RF": "REF"}
"""Flags written by hand that PDI's list spells otherwise (NH: the dialer FAQ's spelling; the list has NAH)."""


def van_result_id(name: str | None) -> int | None:
    """The public resultId of a VAN result name, or None."""
    hit = VAN_RESULT_IDS.get((name or "").strip().lower())
    return hit[0] if hit else None


def van_contact_type_id(name: str | None) -> int | None:
    hit = VAN_CONTACT_TYPE_IDS.get((name or "").strip().lower())
    return hit[0] if hit else None
