"""``phonebank export van``: the calls for NGP VAN, one row per attempt, in three layouts.

* ``wizard`` (default): VAN's Bulk Upload wizard into MyVoters (Kentucky Democratic Party help center,
  "Bulk Uploading Data to MyVoters"): ``Voter File VANID`` (MyVoters IDs: the wizard needs them), ``Date
  Contacted`` (ISO ``YYYY-MM-DD``: a spreadsheet keeps the 4-digit year), ``Phone Number`` (10 digits),
  ``Canvass Result`` (the code's ``van_result`` name, non-contacts), then the support question
  (``export.van_support_question``: the contact code's ``van_result``) and one column per survey
  question (``van_question``: the answer's ``van_response``), for contacts. The organizer maps the
  names to VAN's in the wizard.
* ``api``: VAN's API bulk import, mapping type ``CanvassResults`` (move-coop/parsons
  parsons/ngpvan/bulk_import.py): ``vanid, contacttypeid, resultid, datecanvassed, canvassedby, phone,
  countrycode`` — numeric ids: the result's ``van_result_id`` (else the public id of its ``van_result``
  name, ``codes.VAN_RESULT_IDS``), 14 (Canvassed) for contacts; the contact type's id
  (``export.van_contact_type_id``, else the public id of ``van_contact_type``); the canvasser's VAN user
  id (``export.van_users``, else ``export.van_canvassed_by``).
* ``responses``: the survey responses of the contacts, one row per response, for VAN's
  ``canvassResponses`` API (``{type: SurveyResponse, surveyQuestionId, surveyResponseId}`` with the
  canvass context): ``vanid, contacttypeid, datecanvassed, canvassedby, surveyquestionid,
  surveyresponseid`` — the support response (``export.van_support_question_id``, the contact code's
  ``van_response_id``) and each answer (``van_question_id``, ``van_response_id``). ``CanvassResults``
  has no survey column, so the responses travel in this file of their own.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ScriptError
from ..report.aggregate import Loaded
from ..report.numbering import distinct
from ..script import Script
from ..script.export_checks import mapping_problems
from . import codes
from .sync import (
    Attempts,
    answered_pairs,
    attempt_dates,
    attempt_phones,
    attempts,
    category_values,
    code_values,
    per_question,
)
from .table import Export

API_COLUMNS = ["vanid", "contacttypeid", "resultid", "datecanvassed", "canvassedby", "phone", "countrycode"]
RESPONSE_COLUMNS = ["vanid", "contacttypeid", "datecanvassed", "canvassedby", "surveyquestionid", "surveyresponseid"]
WIZARD_ID = "Voter File VANID"


def van_export(script: Script, got: Loaded, layout: str, ids_option: str | None) -> Export:
    att = attempts(got, "van", "van-wizard" if layout == "wizard" else "van-api", ids_option)
    command = f"`phonebank export van --layout {layout}`"
    _check(script, got, att, layout, command)
    dates = attempt_dates(script, got, att.rows)
    if layout == "wizard":
        out = _wizard(script, got, att, dates)
    elif layout == "api":
        out = _api(script, got, att, dates)
    else:
        out = _responses(script, got, att, dates)
    voters = len(distinct(att.voter))
    out.notes = [f"{out.frame.num_rows:,} row(s) for {voters:,} voter(s), one per {_UNIT[layout]}"] + att.notes
    if layout != "wizard" and att.kind != "van":
        mode = "MyCampaign mode (an API key ending |1)" if att.kind == "van_mycampaign" else \
            "MyVoters mode (an API key ending |0)"
        out.notes.append(f"vanid holds {'MyCampaign' if att.kind == 'van_mycampaign' else 'MyVoters'} VAN IDs: "
                         f"load the file in {mode}")
    return out


_UNIT = {"wizard": "call", "api": "call", "responses": "survey response"}


def _check(script: Script, got: Loaded, att: Attempts, layout: str, command: str) -> None:
    names = got.folded.codes.names
    counts = np.bincount(att.cat, minlength=len(names)) if len(att.cat) else np.zeros(len(names), np.int64)
    contact = np.bincount(att.cat[att.contact], minlength=len(names)) if len(att.cat) else counts
    code_counts = {nm: int(c - k) for nm, c, k in zip(names, counts, contact, strict=True) if c - k}
    contact_counts = {nm: int(k) for nm, k in zip(names, contact, strict=True) if k}
    answers = answered_pairs(got, att) if layout != "api" else []
    key = {"wizard": "van-wizard", "api": "van-api", "responses": "van-responses"}[layout]
    problems = mapping_problems(script, key, code_counts if layout != "responses" else {}, contact_counts, answers,
                                command)
    if layout != "wizard":
        problems += _context_problems(script, got, att, command)
    if problems:
        raise ScriptError(problems)


def _context_problems(script: Script, got: Loaded, att: Attempts, command: str) -> list[str]:
    e = script.export
    where = f"scripts.yaml:{script.line_of('export')}"
    problems = []
    if contact_type_id(script) is None:
        problems.append(f"{where}: export.van_contact_type '{e.van_contact_type}' has no public VAN id and "
                        f"export.van_contact_type_id is not set, which {command} needs — add van_contact_type_id: N "
                        "(VAN's GET canvassResponses/contactTypes lists them; Phone is 1, Phone Bank 67)")
    if e.van_canvassed_by is None:
        volunteers = got.results.frame["volunteer"]
        used: list[int] = distinct(volunteers.cat.codes.to_numpy()[att.rows]).tolist() if len(att.rows) else []
        missing = sorted(str(volunteers.cat.categories[c]) for c in used if c >= 0
                         and str(volunteers.cat.categories[c]).lower() not in _users(script))
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            problems.append(f"{where}: no VAN user id for the volunteer(s) {shown}, which {command} needs for "
                            "canvassedby — add them under export.van_users (EMAIL: VAN_USER_ID), or set "
                            "export.van_canvassed_by: YOUR_VAN_USER_ID for everyone not listed")
    return problems


def contact_type_id(script: Script) -> int | None:
    return script.export.van_contact_type_id or codes.van_contact_type_id(script.export.van_contact_type)


def _users(script: Script) -> dict[str, int]:
    return {email.strip().lower(): user for email, user in script.export.van_users.items()}


def _canvassed_by(script: Script, got: Loaded, rows: np.ndarray) -> pa.Array:
    users, default = _users(script), script.export.van_canvassed_by
    volunteers = got.results.frame["volunteer"]
    return category_values([str(c) for c in volunteers.cat.categories],
                           lambda email: str(users.get(email.strip().lower(), default or "")),
                           volunteers.cat.codes.to_numpy()[rows] if len(rows) else np.zeros(0, np.int64))


def _wizard(script: Script, got: Loaded, att: Attempts, dates: pa.Array) -> Export:
    contact = pa.array(att.contact)
    result = code_values(script, got, att, lambda c: c.van_result or "")
    columns = {
        WIZARD_ID: pa.array(att.ids.tolist(), pa.string()),
        "Date Contacted": dates,
        "Phone Number": attempt_phones(got, att.rows),
        "Canvass Result": pc.if_else(contact, "", result),
    }
    if script.export.van_support_question:
        columns[script.export.van_support_question] = pc.if_else(contact, result, "")
    for q, values in per_question(script, got, att, lambda a: a.van_response or "", "van_question"):
        columns[q.van_question] = pc.if_else(contact, values, "")
    return Export(list(columns), pa.table(list(columns.values()), names=[f"c{i}" for i in range(len(columns))]),
                  dates=("Date Contacted",))


def _api(script: Script, got: Loaded, att: Attempts, dates: pa.Array) -> Export:
    result = code_values(script, got, att, lambda c: str(codes.CANVASSED if c.contact else
                                                           c.van_result_id or codes.van_result_id(c.van_result) or ""))
    phones = attempt_phones(got, att.rows)
    n = len(att.rows)
    columns = [
        pa.array(att.ids.tolist(), pa.string()),
        pa.array([str(contact_type_id(script) or "")] * n, pa.string()) if n else pa.array([], pa.string()),
        result,
        dates,
        _canvassed_by(script, got, att.rows),
        phones,
        _country_codes(got, att.rows),
    ]
    return Export(list(API_COLUMNS), pa.table(columns, names=API_COLUMNS), dates=("datecanvassed",),
                  numbers=("contacttypeid", "resultid", "canvassedby"))


def _country_codes(got: Loaded, rows: np.ndarray) -> pa.Array:
    """ISO 3166 alpha-2 country of each number dialed (NANP numbers by area code: US, CA, PR...)."""
    import phonenumbers

    phones = got.results.frame["phone"]
    values = phones.take(rows).to_numpy(dtype=object) if len(rows) else np.zeros(0, object)
    keys = np.asarray([p[:5] if p.startswith("+1") else p for p in values.tolist()], dtype=object)
    unique, inverse = np.unique(keys, return_inverse=True) if len(keys) else (np.zeros(0, object), np.zeros(0, int))
    found = []
    for key in unique.tolist():
        probe = key + "2345678" if key.startswith("+1") and len(key) == 5 else key
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(probe, "US")) if probe else ""
        except phonenumbers.NumberParseException:
            region = ""
        found.append("" if region in (None, "ZZ") else region or ("US" if key.startswith("+1") else ""))
    return pa.array(found, pa.string()).take(pa.array(np.asarray(inverse).reshape(-1).astype(np.int64)))


def _responses(script: Script, got: Loaded, att: Attempts, dates: pa.Array) -> Export:
    pieces = []  # (attempt index, order, question id, response id)
    contact_rows = np.flatnonzero(att.contact)
    if script.export.van_support_question_id:
        support = code_values(script, got, att, lambda c: str(c.van_response_id or ""))
        pieces.append((contact_rows, 0, str(script.export.van_support_question_id), support))
    for k, (q, values) in enumerate(per_question(script, got, att, lambda a: a.van_response_id, "van_question_id"),
                                    1):
        pieces.append((contact_rows, k, str(q.van_question_id), values))
    index, order, question, response = [], [], [], []
    for rows_, k, qid, values in pieces:
        got_values = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)[rows_]
        keep = rows_[got_values != ""]
        index.append(keep)
        order.append(np.full(len(keep), k))
        question.append(np.full(len(keep), qid, dtype=object))
        response.append(got_values[got_values != ""])
    idx = np.concatenate(index) if index else np.zeros(0, np.int64)
    sort = np.lexsort((np.concatenate(order), idx)) if len(idx) else np.zeros(0, np.int64)
    idx = idx[sort].astype(np.int64)
    take = pa.array(idx)
    canvassed_by = _canvassed_by(script, got, att.rows)
    columns = [
        pa.array(att.ids[idx].tolist(), pa.string()),
        pa.array([str(contact_type_id(script) or "")] * len(idx), pa.string()),
        dates.take(take),
        canvassed_by.take(take),
        pa.array(np.concatenate(question)[sort].tolist() if len(idx) else [], pa.string()),
        pa.array(np.concatenate(response)[sort].tolist() if len(idx) else [], pa.string()),
    ]
    return Export(list(RESPONSE_COLUMNS), pa.table(columns, names=RESPONSE_COLUMNS), dates=("datecanvassed",),
                  numbers=("contacttypeid", "canvassedby", "surveyquestionid", "surveyresponseid"))
