"""Header aliases: which source column holds which canonical field (VAN, PDI, CA, NC, L2, generic).

Headers match ignoring case, spaces, underscores, dots and hyphens. ``--map COLUMN=FIELD``
overrides; ``FIELD`` may be ``ignore`` to keep a column out of the mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ImportFailed, UsageProblem

# id fields, in the order they are preferred, with the source_system (ID kind) they stand for
ID_FIELDS: dict[str, str] = {"myvoters_id": "van_myvoters", "mycampaign_id": "van_mycampaign", "van_id": "van",
                             "pdi_id": "pdi", "ca_id": "pdi_ca", "l2_id": "l2", "state_id": "state", "voter_id": ""}
ID_KINDS: dict[str, str] = {  # source_system -> what its IDs are, as the import's columns: line says
    "van_myvoters": "MyVoters VAN ID", "van_mycampaign": "MyCampaign VAN ID",
    "van": "VAN ID of a kind not stated (MyVoters or MyCampaign)", "pdi": "PDI ID", "pdi_ca": "CA ID",
    "l2": "L2 voter ID", "state": "state voter ID",
}
# phone kinds, in calling priority (a home/work phone flagged as a cell moves up to "cell")
PHONE_FIELDS = ("cell_phone", "phone", "home_phone", "work_phone")
TEXT_FIELDS = ("first_name", "last_name", "name", "zip", "city", "state", "language", "age", "party")
FLAG_FIELDS = ("home_is_cell", "work_is_cell")
FIELDS = (*ID_FIELDS, *TEXT_FIELDS, *PHONE_FIELDS, *FLAG_FIELDS)

ALIASES: dict[str, tuple[str, ...]] = {
    # VAN names the ID by the mode it was exported in (john/drive.vote#996): "Voter File VANID" in MyVoters,
    # "MyCampaign VANID" / "MyCampaignID" in MyCampaign; a plain "VANID" does not say which
    "myvoters_id": ("Voter File VANID", "VoterFile VANID", "VoterVANID", "MyVoters VANID", "MyVoters VAN ID"),
    "mycampaign_id": ("MyCampaign VANID", "MyCampaignID", "MyCampaign VAN ID"),
    "van_id": ("VANID", "VAN ID"),
    # PDI's Import ID Flags page: PDI IDs start with the state's letters, CA IDs with a digit
    "pdi_id": ("PDI ID", "PDIID"),
    "ca_id": ("CA ID", "CAID"),
    "l2_id": ("LALVOTERID",),
    "state_id": ("RegistrantID", "StateFileID", "Voters_StateVoterID", "State Voter ID", "ncid",
                 "voter_reg_num", "SOS Voter ID", "County_Voter_ID", "VoterID", "Voter ID", "Registration Number"),
    "voter_id": ("vb.voterbase_id", "vb.voterid", "voterbaseid", "External ID", "ExternalID", "id", "pk"),
    "first_name": ("FirstName", "First", "fn", "fname", "Given Name", "Voters_FirstName", "vb.tsmart_first_name"),
    "last_name": ("LastName", "Last", "ln", "lname", "Surname", "Family Name", "Voters_LastName",
                  "vb.tsmart_last_name"),
    "name": ("Name", "Full Name", "Contact Name", "Voter Name"),
    "zip": ("Zip5", "Zip", "Zip Code", "ZipOrPostal", "ZipOrPostalCode", "Postal", "Postal Code", "Postcode",
            "ResidenceZipCode", "Residence_Addresses_Zip", "vb.tsmart_zip"),
    "city": ("City", "ResidenceCity", "Residence_Addresses_City", "res_city_desc", "vb.tsmart_city", "Town"),
    "state": ("State", "st", "StateOrProvince", "StateAddr", "state_cd", "Residence_Addresses_State",
              "vb.tsmart_state"),
    "language": ("Language", "Languages_Description", "Preferred Language", "Lang", "Spoken Language"),
    "age": ("Age", "Voters_Age", "vb.voterbase_age", "birth_age"),  # birth_age: North Carolina's ncvoter file
    "party": ("Party", "PartyCode", "PartyAbbr", "party_cd", "PartyName", "Parties_Description", "vb.vf_party"),
    "cell_phone": ("Cell Phone", "Cell", "Mobile", "Mobile Phone", "Cell Number", "Mobile Number", "Wireless",
                   "VoterTelephones_CellPhoneFormatted", "VoterTelephones_CellPhoneUnformatted",
                   "vb.voterbase_phone_wireless"),
    "phone": ("Preferred Phone", "Pref Phone", "Phone", "OptInPhone", "Phone Number", "PhoneNumber", "Telephone",
              "Primary Phone", "full_phone_number", "Phone1", "Phone2", "Phone3", "Phone4", "vb.voterbase_phone"),
    "home_phone": ("Home Phone", "Home", "Landline", "Landline Phone", "VoterTelephones_LandlineFormatted",
                   "VoterTelephones_LandlineUnformatted"),
    "work_phone": ("WorkPhone", "Work Phone", "Business Phone", "Office Phone"),
    "home_is_cell": ("IsHomePhoneACellExchange",),
    "work_is_cell": ("IsWorkPhoneACellExchange",),
}
MULTI = set(PHONE_FIELDS)
_CA_PHONE = re.compile(r"^phone(\d)(area|exchange|numberpart)$")
_SEPARATORS = re.compile(r"[\s_.\-]+")


def shown(text: str) -> str:
    """``text`` for a one-line message: control characters (a form feed in a header...) escaped."""
    return text if text.isprintable() else "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def norm(header: str) -> str:
    """A header as matched: lower case, without spaces, underscores, dots and hyphens."""
    return _SEPARATORS.sub("", header.strip().lower())


LOOKUP = {norm(a): f for f, aliases in ALIASES.items() for a in aliases}


@dataclass
class Mapping:
    """Which source columns feed which canonical field."""

    single: dict[str, str] = field(default_factory=dict)  # field -> column
    phones: list[tuple[str, list[str]]] = field(default_factory=list)  # (kind, [column] or CA parts)

    @property
    def used(self) -> set[str]:
        cols = set(self.single.values()) - {self.single.get(f) for f in FLAG_FIELDS}
        for _, parts in self.phones:
            cols.update(parts)
        return cols


def parse_maps(items: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        column, sep, target = item.rpartition("=")
        target = target.strip().lower()
        if not sep or not column.strip():
            raise UsageProblem(f"invalid --map {item!r} — write it as SOURCE_COLUMN=FIELD, e.g. 'Telefono=phone'")
        if target not in FIELDS and target != "ignore":
            raise UsageProblem(
                f"invalid --map {item!r}: unknown field {target!r} — use one of {', '.join(FIELDS)} or ignore"
            )
        out.append((column, target))
    return out


def resolve(columns: list[str], maps: list[tuple[str, str]], source: str) -> Mapping:
    """Map source columns to fields: --map first, then aliases in column order."""
    mapping = Mapping()
    phones: dict[str, list[str]] = {k: [] for k in PHONE_FIELDS}
    taken: set[str] = set()
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    if is_phonebank_list(columns):  # a list phonebank wrote (trimmed in a spreadsheet...): its IDs stay as they are
        for name in LIST_ID_COLUMNS:
            mapping.single[f"list_{name}"] = name
            taken.add(name)
        for name in sorted((c for c in columns if _LIST_PHONE.match(c)), key=lambda c: int(c[6:])):
            if not any(norm(column) == norm(name) for column, _ in maps):
                phones["phone"].append(name)
                taken.add(name)
    explicit = {target for _, target in maps}  # a field given with --map keeps that column
    for column, target in maps:
        real = column if column in columns else by_norm.get(norm(column))
        if real is None:
            raise UsageProblem(
                f"--map {shown(column)}={target}: {source} has no column {column!r} — its columns are: "
                f"{', '.join(map(shown, columns))}"
            )
        taken.add(real)
        if target in MULTI:
            phones[target].append(real)
        elif target != "ignore":
            mapping.single[target] = real
    ca_parts: dict[str, dict[str, str]] = {}
    for c in columns:
        if c in taken:
            continue
        key = norm(c)
        if m := _CA_PHONE.match(key):
            ca_parts.setdefault(m.group(1), {})[m.group(2)] = c
            continue
        found = LOOKUP.get(key)
        if found is None:
            continue
        target = found
        if target in MULTI:
            phones[target].append(c)
        elif target not in mapping.single or (target not in explicit and _better(key, target, norm(mapping.single[target]))):
            mapping.single[target] = c
    for kind in PHONE_FIELDS:
        mapping.phones.extend((kind, [c]) for c in phones[kind])
    for _, parts in sorted(ca_parts.items()):
        if len(parts) == 3:
            mapping.phones.append(("phone", [parts["area"], parts["exchange"], parts["numberpart"]]))
    _require(columns, mapping, source)
    return mapping


LIST_ID_COLUMNS = ("voter_id", "source_system", "source_id")
_LIST_PHONE = re.compile(r"^phone_[1-9][0-9]*$")


def is_phonebank_list(columns: list[str]) -> bool:
    """A call list phonebank wrote (``lists.canonical_columns``): re-imported, its IDs are kept."""
    return all(c in columns for c in LIST_ID_COLUMNS) and "phone_1" in columns


def describe_id(mapping: Mapping, id_field: str | None) -> str:
    """The ``voter_id <- ...`` part of the import's columns: line, naming the ID kind."""
    if "list_voter_id" in mapping.single:
        return "voter_id <- voter_id, source_system, source_id (a phonebank list: IDs and their kinds kept)"
    if not id_field:
        return "voter_id <- hash of name, phones and zip"
    column, system = mapping.single[id_field], ID_FIELDS[id_field]
    if system == "van":
        return (f"voter_id <- {column} ({ID_KINDS['van']}: say which with --map '{column}=myvoters_id' or "
                f"--map '{column}=mycampaign_id')")
    return f"voter_id <- {column}" + (f" ({ID_KINDS[system]})" if system else "")


def _better(key: str, target: str, current: str) -> bool:
    """True when ``key`` comes before ``current`` in the alias list of ``target``."""
    order = [norm(a) for a in ALIASES[target]]
    return order.index(key) < order.index(current)


def _require(columns: list[str], mapping: Mapping, source: str) -> None:
    has_name = any(f in mapping.single for f in ("first_name", "last_name", "name"))
    missing = [w for w, ok in (("name", has_name), ("phone", bool(mapping.phones))) if not ok]
    if not missing:
        return
    what = " and no ".join(missing)
    unused = [c for c in columns if c not in mapping.used] or columns
    hints = {"name": ("name", "nombre", "apellido"), "phone": ("phone", "tel", "cel", "mobile", "movil")}
    examples = []
    for kind in missing:
        guess = next((c for c in unused if any(h in norm(c) for h in hints[kind])), unused[0])
        examples.append(f"--map '{shown(guess)}={kind}'")
    which = "the columns" if len(missing) > 1 else "the column"
    raise ImportFailed(
        f"{source}: no {what} column found (headers: {', '.join(map(shown, columns))}) — name {which} with "
        f"{' '.join(examples)}"
    )
