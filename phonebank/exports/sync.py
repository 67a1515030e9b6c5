"""The calls a sync-back layout sends: one row per attempt, and the ID kind each layout takes.

Every saved call that still counts (undo rows respected) is an attempt of its own, in list order then
time: VAN keeps one contact-history record per interaction, so a call-back on one day and a supporter
call the next are two rows. Overlapping calls (saved after the volunteer's hold on the voter lapsed
while another volunteer called the same voter) are never sent as a second ID: an overlapping call whose
other call still counts is left out (``report.data.duplicate_mask``) and counted in a note; one whose
other call was undone is the voter's record and is sent.

ID kinds (the list's ``source_system``, stated by the import): VAN IDs are MyVoters (``van_myvoters``)
or MyCampaign (``van_mycampaign``) — separate ID spaces — or of a kind the source did not state
(``van``); PDI's are PDI IDs (``pdi``, starting with the state's letters) or CA IDs (``pdi_ca``,
starting with a digit: a ``pdi`` ID starting with a digit is taken as a CA ID, PDI's own rule). A
layout that needs one kind refuses the other with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError, UsageProblem
from ..importer.aliases import ID_KINDS
from ..report.aggregate import Loaded
from ..report.data import duplicate_mask, local_day_hour, ts_int
from ..report.numbering import distinct
from ..results import decode_answers
from ..script import Script

LIST_COLUMNS = ["source_system", "source_id"]  # what the sync-back exports read of the list (plus ids, phones)
FAMILY = {"van": ("van_myvoters", "van_mycampaign", "van"), "pdi": ("pdi", "pdi_ca")}
_CHOICE = {"myvoters": "van_myvoters", "mycampaign": "van_mycampaign", "pdi": "pdi", "ca": "pdi_ca"}
_WHY = {  # (layout, kind refused) -> why, and what to do instead
    ("van-wizard", "van_mycampaign"): (
        "VAN's Bulk Upload wizard loads results into MyVoters and needs MyVoters VAN IDs (a MyCampaign ID "
        "there names another person, or no one)", "use `phonebank export van --layout api` and load it with an API "
        "key in MyCampaign mode (ending |1)"),
    ("van-api", "van_myvoters"): ("this file is for MyCampaign (--ids mycampaign)",
                                  "export the MyVoters IDs with --ids myvoters, in a file of their own"),
    ("van-api", "van_mycampaign"): ("this file is for MyVoters (--ids myvoters)",
                                    "export the MyCampaign IDs with --ids mycampaign, in a file of their own"),
    ("pdi-flags", "pdi_ca"): (
        "PDI's flag records take a PDI ID in pdiId (PDI IDs start with the state's letters; CA IDs with a digit)",
        "use `phonebank export pdi --layout people`, whose ID column PDI's Import ID Flags page takes as CA IDs"),
    ("pdi-people", "pdi"): ("this file's ID column holds CA IDs (--ids ca)",
                            "export the PDI IDs with --ids pdi, in a file of their own"),
    ("pdi-people", "pdi_ca"): ("this file's ID column holds PDI IDs (--ids pdi)",
                               "export the CA IDs with --ids ca, in a file of their own"),
}


@dataclass
class Attempts:
    """The calls to send, one per attempt, in list order then time."""

    rows: np.ndarray  # frame positions
    voter: np.ndarray  # list voter numbers
    ids: np.ndarray  # the ID sent for each attempt (object array)
    cat: np.ndarray  # code category of each attempt
    contact: np.ndarray  # bool: a contact code
    kind: str  # the ID kind sent (source_system), "van" when not stated
    notes: list[str] = field(default_factory=list)


def attempts(got: Loaded, family: str, layout: str, ids_option: str | None) -> Attempts:
    """Select the attempts ``layout`` sends; notes say who was left out and why."""
    folded, frame = got.folded, got.results.frame
    n = folded.n_list
    kinds, source_id = list_kinds(got, family)
    in_list = folded.voter_of_row < n
    voter_all = np.where(in_list, folded.voter_of_row, 0)
    duplicate = duplicate_mask(got.results.rows, got.keep)[folded.rows] if len(frame) else np.zeros(0, bool)
    called = distinct(folded.voter_of_row[in_list])
    ours = np.isin(kinds, FAMILY[family]) & (source_id != "")
    wanted = _wanted_kinds(layout, ids_option, kinds[called[ours[called]]])
    notes: list[str] = []
    if len(called) and not ours[called].any():
        name = "VAN ID" if family == "van" else "PDI ID or CA ID"
        raise DataError(
            f"none of the {len(called):,} called voter(s) in list {got.list_name} has a {name} (source_system "
            f"{', '.join(FAMILY[family])} with a source_id) — import the list from a {family.upper()} export so "
            "phonebank keeps the ID, or use `phonebank export results`")
    left_out = int((~ours[called]).sum())
    if left_out:
        name = "VAN ID" if family == "van" else "PDI ID or CA ID"
        notes.append(f"{left_out:,} called voter(s) have no {name} and were left out")
    for kind in FAMILY[family]:
        if kind in wanted:
            continue
        mine = int((kinds[called] == kind).sum())
        if not mine:
            continue
        why, instead = _WHY.get((layout, kind), ("", ""))
        if mine == int(ours[called].sum()):
            raise DataError(f"the {mine:,} called voter(s) of list {got.list_name} with an ID have {ID_KINDS[kind]}s: "
                            f"{why} — {instead}")
        notes.append(f"{mine:,} called voter(s) with {ID_KINDS[kind]}s left out: {why} — {instead}")
    take = in_list & ~duplicate & np.isin(kinds, wanted)[voter_all] & (source_id != "")[voter_all]
    overlaps = int((in_list & duplicate & np.isin(kinds, wanted)[voter_all]).sum())
    if overlaps:
        notes.append(f"{overlaps:,} overlapping call(s) left out: another volunteer's call to the same voter is sent "
                     "instead (a hold lapsed while both called)")
    unstated = distinct(folded.voter_of_row[take & (kinds[voter_all] == "van")])
    if len(unstated) and family == "van":
        notes.append(f"{len(unstated):,} voter(s) have VAN IDs whose kind the import could not tell (a plain VANID "
                     "column): check they are MyVoters IDs for the wizard (or match your API key's mode), or "
                     "re-import stating it, e.g. --map 'VANID=myvoters_id'")
    rows = folded.rows[take]
    voter = folded.voter_of_row[take]
    cat = folded.cat[rows] if len(rows) else np.zeros(0, np.int64)
    contact = folded.codes.contact[cat] if len(rows) else np.zeros(0, bool)
    sent = [k for k in FAMILY[family] if k in wanted and k != "van"]
    return Attempts(rows, voter, source_id[voter], cat, contact, sent[0] if len(sent) == 1 else "van", notes)


def list_kinds(got: Loaded, family: str) -> tuple[np.ndarray, np.ndarray]:
    """Each list voter's ID kind (source_system, lower case) and source_id (object arrays)."""
    voters = got.voters.frame
    n = got.folded.n_list
    kinds = (voters["source_system"].str.strip().str.lower().to_numpy(dtype=object) if "source_system" in voters
             else np.full(n, "", dtype=object))
    source_id = (voters["source_id"].str.strip().to_numpy(dtype=object) if "source_id" in voters
                 else np.full(n, "", dtype=object))
    if family == "pdi":  # PDI IDs start with the state's letters, CA IDs with a digit (PDI's Import ID Flags page)
        digit = np.fromiter((s[:1].isdigit() for s in source_id), bool, n) if n else np.zeros(0, bool)
        kinds = np.where((kinds == "pdi") & digit, "pdi_ca", kinds).astype(object)
    return kinds, source_id


def _wanted_kinds(layout: str, ids_option: str | None, present: np.ndarray) -> tuple[str, ...]:
    choice = _CHOICE.get(ids_option or "")
    if ids_option and (choice is None or choice not in FAMILY[layout.split("-")[0]]):
        raise UsageProblem(f"--ids {ids_option} is not an ID kind of {layout.split('-')[0].upper()} — use "
                           + (" or ".join(("myvoters", "mycampaign") if layout.startswith("van") else ("pdi", "ca"))))
    if layout == "van-wizard":
        if choice == "van_mycampaign":
            raise UsageProblem("--ids mycampaign: " + _WHY[("van-wizard", "van_mycampaign")][0] + " — "
                               + _WHY[("van-wizard", "van_mycampaign")][1])
        return ("van_myvoters", "van")
    if layout == "pdi-flags":
        if choice == "pdi_ca":
            raise UsageProblem("--ids ca: " + _WHY[("pdi-flags", "pdi_ca")][0] + " — " + _WHY[("pdi-flags", "pdi_ca")][1])
        return ("pdi",)
    stated = [k for k in FAMILY[layout.split("-")[0]] if k != "van" and (k == choice or (not choice and k in present))]
    if not choice and len(stated) > 1:
        a, b = (ID_KINDS[k] for k in stated)
        option = "--ids myvoters or --ids mycampaign" if layout.startswith("van") else "--ids pdi or --ids ca"
        raise UsageProblem(f"the list holds both {a}s and {b}s, and one file takes one kind — export each with "
                           f"{option}")
    return (*stated, "van") if layout.startswith("van") else tuple(stated or FAMILY["pdi"][:1])


def attempt_dates(script: Script, got: Loaded, rows: np.ndarray) -> pa.Array:
    """Each attempt's day in the campaign's time zone, 'YYYY-MM-DD' ("" when unknown)."""
    from ..report.data import iso_days

    ts = ts_int(got.results.frame["recorded_at"])[rows] if len(rows) else np.zeros(0, np.int64)
    days, _ = local_day_hour(ts, script.campaign.time_zone)
    unique, inverse = np.unique(days, return_inverse=True)
    texts = pa.array(iso_days(unique).tolist(), pa.string())
    return texts.take(pa.array(inverse.reshape(-1).astype(np.int64))) if len(rows) else pa.array([], pa.string())


def attempt_phones(got: Loaded, rows: np.ndarray) -> pa.Array:
    """The number dialed on each attempt, as 10 digits for North American numbers, else E.164 digits."""
    phones = got.results.frame["phone"]
    values = pa.array(phones.take(rows).to_numpy(dtype=object), pa.string()) if len(rows) else pa.array([], pa.string())
    values = pc.replace_substring_regex(values, r"^\+1(\d{10})$", r"\1")
    return pc.replace_substring_regex(values, r"\D", "")


def category_values(categories: list, value_of, codes: np.ndarray, missing: object = "") -> pa.Array:
    """``value_of(category)`` for each row's category code (``missing`` for -1), computed once per category."""
    table = pa.array([value_of(c) for c in categories] + [missing])
    index = np.where(codes < 0, len(categories), codes)
    return table.take(pa.array(index.astype(np.int64)))


def answered_pairs(got: Loaded, att: Attempts) -> list[tuple[str, str]]:
    """(question, answer) pairs of the contacts sent."""
    frame = got.results.frame
    codes_ = frame["answers"].cat.codes.to_numpy()[att.rows[att.contact]] if len(att.rows) else np.zeros(0, int)
    categories = frame["answers"].cat.categories
    return [pair for c in distinct(codes_).tolist() if c >= 0
            for pair in decode_answers(str(categories[c])).items()]


def code_values(script: Script, got: Loaded, att: Attempts, value_of) -> pa.Array:
    names = got.folded.codes.names
    table = pa.array([value_of(script.code(nm)) if script.code(nm) else "" for nm in names] + [""], pa.string())
    return table.take(pa.array(att.cat.astype(np.int64)))


def per_question(script: Script, got: Loaded, att: Attempts, value_of, field: str):
    """(question, each attempt's mapped answer) for every question with ``field`` set."""
    frame = got.results.frame
    categories = [decode_answers(str(c)) for c in frame["answers"].cat.categories]
    answer_codes = frame["answers"].cat.codes.to_numpy()[att.rows] if len(att.rows) else np.zeros(0, np.int64)
    for q in script.questions:
        if not getattr(q, field):
            continue

        def mapped(decoded: dict, q=q) -> str:
            a = q.answer(decoded.get(q.id, ""))
            return str(value_of(a) or "") if a else ""

        yield q, category_values(categories, mapped, answer_codes)
