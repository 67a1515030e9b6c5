"""A call list's voters as the calling index holds them, read with the csv module (a volunteer's machine
needs no pyarrow): the kept columns packed into one field, the numbers, the zone of each voter.
``voters_arrow`` computes the same rows column-wise on organizers' machines."""

from __future__ import annotations

from pathlib import Path

from .. import hours
from ..lists import ListRows

SEP = "\x1f"  # ASCII unit separator: joins a voter's fields in the index
# what the calling screen and the script use of a voter, besides the voter_id and phones columns
KEPT_COLUMNS = ("first_name", "last_name", "zip", "city", "state", "language", "age", "party")


def kept_header(header: list[str]) -> list[str]:
    """The list's columns the index packs into ``data``, in the list's order."""
    return [h for h in header if h in KEPT_COLUMNS]


def voter_rows(list_path: Path, dnc: set[str]) -> tuple[list[tuple], list[str], list[str]]:
    """The index's voter rows read with the csv module (volunteers' machines: no pyarrow needed)."""
    rows = ListRows(list_path)
    header = rows.header
    kept = kept_header(header)
    kept_at = [header.index(h) for h in kept]
    vid_at, zip_at, state_at = (header.index(name) for name in ("voter_id", "zip", "state"))
    phone_at = rows.phone_indexes
    zone_of: dict[str, int] = {}
    zone_keys: list[str] = []
    zone_cache: dict[tuple, int] = {}
    seen: set[str] = set()
    out = []
    for row in rows:
        vid = row[vid_at]
        if not vid or vid in seen:
            continue
        seen.add(vid)
        phones = [row[i] for i in phone_at if row[i]]
        zip5, state = row[zip_at][:5], row[state_at]
        cache_key = (zip5, state, *(p[:5] for p in phones))
        zone = zone_cache.get(cache_key)
        if zone is None:
            key = hours.zone_key(hours.zones_for(zip5, state, phones))
            zone = zone_cache[cache_key] = zone_of.setdefault(key, len(zone_of))
            if zone == len(zone_keys):
                zone_keys.append(key)
        done = 0 if phones and (not dnc or any(p not in dnc for p in phones)) else 1
        out.append((vid, zone, " ".join(phones), pack([row[i] for i in kept_at]), done))
    return out, zone_keys, kept


def pack(row: list[str]) -> str:
    packed = SEP.join(row)
    if packed.count(SEP) != len(row) - 1:  # a field held the separator itself (never in real data)
        packed = SEP.join(v.replace(SEP, " ") for v in row)
    return packed
