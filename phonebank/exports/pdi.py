"""``phonebank export pdi``: the calls for PDI, as flag records or as PDI's "Import ID Flags" file.

* ``flags`` (default): PDI's flag records (move-coop/parsons parsons/pdi/flags.py, ``create_flags``):
  ``pdiId, flagEntryDate, acquisitionTypeId, flagId, questionId, contactId`` in that order, then
  ``phone``. Per attempt: the result's flag (``pdi_flag``) under ``export.pdi_support_question`` for
  contacts, ``export.pdi_noncontact_question`` for non-contacts, and each survey answer's flag under
  its question's ``pdi_question``. ``acquisitionTypeId`` is ``export.pdi_acquisition_type_id`` (PDI's
  GET /acquisition_types). ``pdiId`` takes PDI IDs only. ``contactId`` stays empty (phonebank has no
  PDI contact ids); ``phone`` is phonebank's own column: the number (10 digits) a bad-number flag is
  about (codes with effect final_for_number), empty on other flags — drop it before posting the
  records. Identical records (same person, day, flag, question and number) are written once: a
  flag is a state, not a contact.
* ``people``: PDI's "Import ID Flags" page, per-person method (PDI help center, "Import Flag Data"):
  one row per person, the ID column (``PDI ID`` or ``CA ID``: one kind per file) and one column per
  question — headed by its PDI question id — holding the person's latest flag for it.

Every flag is checked against PDI's published flag list (``codes.PDI_FLAG_IDS``; ``NH`` is spelled
``NAH`` there) plus ``export.pdi_extra_flags``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ScriptError
from ..importer.aliases import ID_KINDS
from ..report.aggregate import Loaded
from ..report.aggregate import _last_per_voter as last_per_voter
from ..report.numbering import distinct
from ..script import Script
from ..script.export_checks import by_line, mapping_problems
from .sync import Attempts, answered_pairs, attempt_dates, attempt_phones, attempts, code_values, per_question
from .table import Export

FLAG_COLUMNS = ["pdiId", "flagEntryDate", "acquisitionTypeId", "flagId", "questionId", "contactId", "phone"]


def pdi_export(script: Script, got: Loaded, layout: str, ids_option: str | None) -> Export:
    att = attempts(got, "pdi", f"pdi-{layout}", ids_option)
    _check(script, got, att, layout)
    if layout == "flags":
        out = _flags(script, got, att)
        unit = "flag"
    else:
        out = _people(script, got, att)
        unit = "person"
    out.notes = [f"{out.frame.num_rows:,} row(s) for {len(distinct(att.voter)):,} voter(s), one per {unit}"] + att.notes
    return out


def _check(script: Script, got: Loaded, att: Attempts, layout: str) -> None:
    names = got.folded.codes.names
    counts = np.bincount(att.cat, minlength=len(names)) if len(att.cat) else np.zeros(len(names), np.int64)
    contact = np.bincount(att.cat[att.contact], minlength=len(names)) if len(att.cat) else counts
    command = f"`phonebank export pdi --layout {layout}`"
    problems = mapping_problems(
        script, "pdi", {nm: int(c - k) for nm, c, k in zip(names, counts, contact, strict=True) if c - k},
        {nm: int(k) for nm, k in zip(names, contact, strict=True) if k}, answered_pairs(got, att), command)
    e = script.export
    where = f"scripts.yaml:{script.line_of('export')}"
    if layout == "flags" and e.pdi_acquisition_type_id in (None, "") and len(att.rows):
        problems.append(f"{where}: export.pdi_acquisition_type_id is not set, which {command} needs — add "
                        f"pdi_acquisition_type_id: ... under export: (the id PDI's GET /acquisition_types lists for "
                        f"'{e.pdi_acquisition_type}')")
    if layout == "people" and not e.pdi_noncontact_question and (counts - contact).any():
        problems.append(f"{where}: export.pdi_noncontact_question is not set, which {command} needs for the "
                        "non-contact flags (NAH, BNH...) — add pdi_noncontact_question: ... under export: (the PDI "
                        "question id of your non-contact question)")
    if problems:
        raise ScriptError(sorted(problems, key=by_line))


def _result_questions(script: Script, got: Loaded, att: Attempts) -> pa.Array:
    e = script.export
    return code_values(script, got, att, lambda c: (e.pdi_support_question if c.contact
                                                     else e.pdi_noncontact_question) or "")


def _flags(script: Script, got: Loaded, att: Attempts) -> Export:
    dates = attempt_dates(script, got, att.rows)
    n = len(att.rows)
    ids = pa.array(att.ids.tolist(), pa.string())
    codes_ = got.folded.codes  # a bad number: a call that killed the number without putting it on do-not-call
    bad_number = (codes_.kills_number[att.cat] & ~codes_.do_not_call[att.cat]) if n else np.zeros(0, bool)
    phones = pc.if_else(pa.array(bad_number), attempt_phones(got, att.rows), "")
    # (attempts, order within an attempt, each attempt's flag, its question (per attempt or one id), number)
    pieces = [(np.arange(n), 0, code_values(script, got, att, lambda c: c.pdi_flag or ""),
               _result_questions(script, got, att), phones)]
    contact_rows = np.flatnonzero(att.contact)
    for k, (q, values) in enumerate(per_question(script, got, att, lambda a: a.pdi_flag, "pdi_question"), 1):
        pieces.append((contact_rows, k, values, str(q.pdi_question), None))
    index, order, flags, questions, numbers = [], [], [], [], []
    for rows_, k, values, question, phone in pieces:
        picked = values.take(pa.array(rows_.astype(np.int64)))
        keep = np.asarray(pc.not_equal(picked, "").to_numpy(zero_copy_only=False), dtype=bool)
        sel = pa.array(rows_[keep].astype(np.int64))
        index.append(rows_[keep])
        order.append(np.full(len(sel), k))
        flags.append(picked.filter(pa.array(keep)))
        questions.append(pa.array([question] * len(sel), pa.string()) if isinstance(question, str)
                         else question.take(sel))
        numbers.append(phone.take(sel) if phone is not None else pa.array([""] * len(sel), pa.string()))
    idx = np.concatenate(index).astype(np.int64)
    sort = pa.array(np.lexsort((np.concatenate(order), idx)).astype(np.int64))
    take = pa.array(idx).take(sort)
    acquisition = str(script.export.pdi_acquisition_type_id or "")
    table = pa.table([
        ids.take(take), dates.take(take), pa.array([acquisition] * len(take), pa.string()),
        pa.chunked_array([f.cast(pa.string()) for f in flags], pa.string()).take(sort),
        pa.chunked_array([q.cast(pa.string()) for q in questions], pa.string()).take(sort),
        pa.array([""] * len(take), pa.string()),
        pa.chunked_array([p.cast(pa.string()) for p in numbers], pa.string()).take(sort),
    ], names=FLAG_COLUMNS)
    table = _unique_rows(table)
    return Export(list(FLAG_COLUMNS), table, dates=("flagEntryDate",))


def _unique_rows(table: pa.Table) -> pa.Table:
    """The first of each set of identical rows, in order."""
    if not table.num_rows:
        return table
    key = pc.binary_join_element_wise(*[table.column(c) for c in ("pdiId", "flagEntryDate", "flagId", "questionId",
                                                                  "phone")], "\x1f")
    first = np.unique(pc.dictionary_encode(key).combine_chunks().indices.to_numpy(), return_index=True)[1]
    return table.take(pa.array(np.sort(first)))


def _people(script: Script, got: Loaded, att: Attempts) -> Export:
    e = script.export
    voters = distinct(att.voter)  # list order: voter numbers are list positions
    position = np.searchsorted(voters, att.voter)
    columns: dict[str, pa.Array] = {}
    result = code_values(script, got, att, lambda c: c.pdi_flag or "")
    contact = pa.array(att.contact)
    if e.pdi_support_question:
        columns[e.pdi_support_question] = _latest(pc.if_else(contact, result, ""), position, len(voters))
    if e.pdi_noncontact_question:
        columns[e.pdi_noncontact_question] = _latest(pc.if_else(contact, "", result), position, len(voters))
    for q, values in per_question(script, got, att, lambda a: a.pdi_flag, "pdi_question"):
        columns[str(q.pdi_question)] = _latest(pc.if_else(contact, values, ""), position, len(voters))
    first = np.searchsorted(att.voter, voters)
    ids = pa.array(att.ids[first].tolist() if len(voters) else [], pa.string())
    header = [ID_KINDS[att.kind] if att.kind in ("pdi", "pdi_ca") else "PDI ID", *columns]
    table = pa.table([ids, *columns.values()], names=[f"c{i}" for i in range(len(header))])
    return Export(header, table)


def _latest(values: pa.Array, position: np.ndarray, n: int) -> pa.Array:
    """Each person's last non-empty value (attempts sorted by person, then time)."""
    array = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    has = array != ""
    out = np.full(n, "", dtype=object)
    who = position[has]
    last = last_per_voter(who)
    out[who[last]] = array[has][last]
    return pa.array(out.tolist(), pa.string())
