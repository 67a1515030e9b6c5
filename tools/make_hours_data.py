"""Generate phonebank/hours_data.py: the static tables behind phonebank.hours.

Run once (and again after upgrading phonenumbers or editing the tables below):

    /tmp/venv/bin/python tools/make_hours_data.py

Only this script imports phonenumbers; the generated module is plain literals so that
``import phonebank.hours`` stays fast on the volunteer's hot path.

Tables written:
- NPA_ZONES: NANP area code -> "|"-joined IANA zones, the union over every exchange of the
  area code of ``phonenumbers.timezone.time_zones_for_number`` (exchange-level data differs:
  e.g. 850 is New_York or Chicago by exchange). Area codes whose numbers are not geographic
  (toll-free, 5XX personal, 900...) are left out: they say nothing about where the callee is.
- ZIP3_RANGES: USPS 3-digit ZIP prefix ranges -> state / territory (military AA/AE/AP kept
  as such; they have no zone: phonebank.hours marks them, and unassigned prefixes, as unknown "?").
- STATE_ZONES: every zone a state may be in (used for the state column, when there is no ZIP).
- ZIP_STATE_ZONES / ZIP3_ZONES: narrower zones when the ZIP is known (a multi-zone state whose
  other zone is confined to a few ZIP3 prefixes). Only narrowings we are sure of: when unsure,
  a ZIP3 keeps all of its state's zones.
- STATE_NAMES: full state names -> code, for voter files that spell the state out.
"""

from __future__ import annotations

import sys
import zoneinfo
from pathlib import Path

NY, CHI, DEN, PHX, LA = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
)
BOISE = "America/Boise"

# USPS ZIP3 prefix ranges (inclusive). Unused prefixes inside a range map to the surrounding state,
# which is harmless: no voter has them.
ZIP3_RANGES = [
    (5, 5, "NY"),  # Holtsville IRS
    (6, 7, "PR"),
    (8, 8, "VI"),
    (9, 9, "PR"),
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 54, "VT"),
    (55, 55, "MA"),  # Andover IRS
    (56, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (90, 99, "AE"),  # military (Europe)
    (100, 149, "NY"),
    (150, 196, "PA"),
    (197, 199, "DE"),
    (200, 200, "DC"),
    (201, 201, "VA"),  # Dulles
    (202, 205, "DC"),
    (206, 219, "MD"),
    (220, 246, "VA"),
    (247, 268, "WV"),
    (270, 289, "NC"),
    (290, 299, "SC"),
    (300, 319, "GA"),
    (320, 339, "FL"),
    (340, 340, "AA"),  # military (Americas)
    (341, 349, "FL"),
    (350, 369, "AL"),
    (370, 385, "TN"),
    (386, 397, "MS"),
    (398, 399, "GA"),
    (400, 427, "KY"),
    (430, 459, "OH"),
    (460, 479, "IN"),
    (480, 499, "MI"),
    (500, 528, "IA"),
    (530, 549, "WI"),
    (550, 567, "MN"),
    (569, 569, "DC"),
    (570, 577, "SD"),
    (580, 588, "ND"),
    (590, 599, "MT"),
    (600, 629, "IL"),
    (630, 658, "MO"),
    (660, 679, "KS"),
    (680, 693, "NE"),
    (700, 714, "LA"),
    (716, 729, "AR"),
    (730, 732, "OK"),
    (733, 733, "TX"),  # Austin IRS
    (734, 749, "OK"),
    (750, 799, "TX"),
    (800, 816, "CO"),
    (820, 831, "WY"),
    (832, 838, "ID"),
    (840, 847, "UT"),
    (850, 865, "AZ"),
    (870, 884, "NM"),
    (885, 885, "TX"),  # El Paso
    (889, 898, "NV"),
    (900, 961, "CA"),
    (962, 966, "AP"),  # military (Pacific)
    (967, 968, "HI"),
    (969, 969, "GU"),  # also MP (same offset, Pacific/Guam)
    (970, 979, "OR"),
    (980, 994, "WA"),
    (995, 999, "AK"),
]

_single = {
    NY: "CT DC DE GA MA MD ME NC NH NJ NY OH PA RI SC VA VT WV",
    CHI: "AR IA IL LA MN MO MS WI",
    DEN: "CO MT NM UT WY",
    LA: "CA WA",
    "Pacific/Honolulu": "HI",
    "America/Puerto_Rico": "PR",
    "America/St_Thomas": "VI",
    "Pacific/Guam": "GU",
    "Pacific/Saipan": "MP",
    "Pacific/Pago_Pago": "AS",
}
STATE_ZONES: dict[str, tuple[str, ...]] = {
    st: (zone,) for zone, states in _single.items() for st in states.split()
}
STATE_ZONES.update(
    {
        "AK": ("America/Adak", "America/Anchorage"),  # Aleutians west of 169.5W are Hawaii-Aleutian
        "AL": (CHI, NY),  # Phenix City area keeps Eastern time unofficially
        "AZ": (PHX, DEN),  # no DST, except the Navajo Nation
        "FL": (NY, CHI),  # western panhandle is Central
        "ID": (BOISE, LA),  # north of the Salmon River is Pacific
        "IN": (NY, CHI),  # NW and SW corners are Central
        "KS": (CHI, DEN),  # four western counties are Mountain
        "KY": (NY, CHI),
        "MI": (NY, CHI),  # four Upper Peninsula counties are Central
        "ND": (CHI, DEN),  # southwest is Mountain
        "NE": (CHI, DEN),  # west (panhandle) is Mountain
        "NV": (LA, DEN),  # West Wendover and Jackpot keep Mountain time
        "OK": (CHI, DEN),  # Kenton keeps Mountain time unofficially
        "OR": (LA, BOISE),  # most of Malheur County is Mountain
        "SD": (CHI, DEN),  # west river is Mountain
        "TN": (NY, CHI),  # East Tennessee is Eastern
        "TX": (CHI, DEN),  # El Paso and Hudspeth counties are Mountain
    }
)

# When the ZIP is known: the state's default zone(s), with the exceptional ZIP3 prefixes below.
ZIP_STATE_ZONES = {
    "AL": (CHI,),
    "AZ": (PHX,),
    "FL": (NY,),
    "ID": (BOISE,),
    "KS": (CHI,),
    "MI": (NY,),
    "ND": (CHI,),
    "NE": (CHI,),
    "NV": (LA,),
    "OK": (CHI,),
    "OR": (LA,),
    "SD": (CHI,),
    "TX": (CHI,),
}
ZIP3_ZONES = {
    "368": (CHI, NY),  # Phenix City / Lee County AL
    "860": (PHX, DEN),  # Navajo Nation (Tuba City, Kayenta) shares 860 with Flagstaff
    "865": (PHX, DEN),  # Navajo Nation (Window Rock, Chinle)
    "324": (CHI, NY),  # Panama City: Central, but Port St. Joe (Gulf Co.) is Eastern
    "325": (CHI,),  # Pensacola, Fort Walton Beach
    "835": (BOISE, LA),  # Lewiston (Pacific) and Idaho County (split)
    "838": (LA,),  # Coeur d'Alene, Moscow, Sandpoint
    "677": (CHI, DEN),  # Goodland, Sharon Springs
    "678": (CHI, DEN),  # Syracuse, Tribune
    "498": (NY, CHI),  # Upper Peninsula
    "499": (NY, CHI),
    "585": (CHI, DEN),
    "586": (CHI, DEN),  # Dickinson
    "587": (CHI, DEN),
    "588": (CHI, DEN),  # McKenzie County
    "690": (CHI, DEN),  # Dundy County
    "691": (CHI, DEN),  # Keith County
    "692": (CHI, DEN),  # Cherry County (split)
    "693": (CHI, DEN),  # Scottsbluff, Alliance
    "898": (LA, DEN),  # Elko County: West Wendover, Jackpot
    "739": (CHI, DEN),  # Oklahoma panhandle (Kenton)
    "979": (LA, BOISE),  # Ontario (Malheur County)
    "575": (CHI, DEN),  # Pierre (Central) and west river
    "576": (CHI, DEN),
    "577": (CHI, DEN),  # Rapid City
    "798": (CHI, DEN),  # far west Texas: Hudspeth (Mountain), Big Bend (Central)
    "799": (DEN,),  # El Paso
    "885": (DEN,),  # El Paso
}

STATE_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR", "GUAM": "GU", "VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI",
    "NORTHERN MARIANA ISLANDS": "MP", "AMERICAN SAMOA": "AS", "WASHINGTON DC": "DC",
    "WASHINGTON D.C.": "DC",
}


def npa_zones() -> dict[str, tuple[str, ...]]:
    import phonenumbers
    from phonenumbers import PhoneNumberType, number_type
    from phonenumbers.timezone import time_zones_for_number
    from phonenumbers.tzdata import TIMEZONE_DATA

    country_level = set(TIMEZONE_DATA["1"])  # what an area code without its own data falls back to

    geographic = {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    out: dict[str, tuple[str, ...]] = {}
    for npa in range(200, 1000):
        if npa % 100 == 11 or str(npa)[1:] == "11":  # N11 are service codes, not area codes
            continue
        zones: set[str] = set()
        for exch in range(200, 1000):
            for line in (100, 4567):  # a few numbers per exchange: exchange-level data differs
                num = phonenumbers.PhoneNumber(country_code=1, national_number=int(f"{npa}{exch}{line:04d}"))
                if number_type(num) not in geographic:
                    continue
                found = set(time_zones_for_number(num)) - {"Etc/Unknown"}
                if found != country_level:
                    zones |= found
        if zones:
            out[str(npa)] = tuple(sorted(zones))
    return out


def check_zones(names) -> None:
    for name in names:
        zoneinfo.ZoneInfo(name)  # raises on a name this machine's tz database lacks


def render(npa: dict[str, tuple[str, ...]]) -> str:
    import phonenumbers

    def key(zones: tuple[str, ...]) -> str:
        return "|".join(sorted(set(zones)))

    def table(name: str, comment: str, pairs, per_line: int) -> list[str]:
        # one string literal per table ("key=value" words), parsed lazily by phonebank.hours: a string
        # literal costs next to nothing to compile or load, a dict display of hundreds of entries does not
        words = [f"{k}={v}" for k, v in pairs]
        out = [f"# {comment}", f'{name} = """']
        out += [" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line)]
        return out + ['"""', ""]

    lines = [
        '"""Static tables for phonebank.hours. GENERATED by tools/make_hours_data.py; do not edit by hand.',
        "",
        f"Area-code zones from phonenumbers {phonenumbers.__version__} (union over every exchange).",
        'Zones are "|"-joined IANA names. Each table is one string of "key=value" words."""',
        "",
    ]
    lines += table("NPA_ZONES", "NANP area code = zones (geographic area codes only).",
                   ((k, key(v)) for k, v in sorted(npa.items())), 1)
    lines += table("ZIP3_RANGES", "USPS ZIP3 prefix ranges first-last = state; AA/AE/AP are military and prefixes not listed are "
                   "unassigned (no zone: unknown).",
                   ((f"{a:03d}-{b:03d}", st) for a, b, st in ZIP3_RANGES), 8)
    lines += table("STATE_ZONES", "Every zone a state may be in (for the state column when there is no ZIP).",
                   ((k, key(v)) for k, v in sorted(STATE_ZONES.items())), 1)
    lines += table("ZIP_STATE_ZONES",
                   "Zones of a multi-zone state when the ZIP is known, except the ZIP3 prefixes in ZIP3_ZONES.",
                   ((k, key(v)) for k, v in sorted(ZIP_STATE_ZONES.items())), 1)
    lines += table("ZIP3_ZONES", "ZIP3 prefixes whose zones differ from their state's ZIP default.",
                   ((k, key(v)) for k, v in sorted(ZIP3_ZONES.items())), 1)
    lines += table("STATE_NAMES", "Full state names (spaces as underscores) = code.",
                   ((k.replace(" ", "_"), v) for k, v in sorted(STATE_NAMES.items())), 4)
    return "\n".join(lines)


def main() -> int:
    # sanity: ranges sorted, disjoint; narrowing tables consistent with the states
    prev = -1
    for a, b, _st in ZIP3_RANGES:
        assert prev < a <= b, (a, b)
        prev = b
    state_of = {f"{z:03d}": st for a, b, st in ZIP3_RANGES for z in range(a, b + 1)}
    for z3, zones in ZIP3_ZONES.items():
        assert set(zones) <= set(STATE_ZONES[state_of[z3]]), z3
    for st, zones in ZIP_STATE_ZONES.items():
        assert set(zones) <= set(STATE_ZONES[st]), st
    npa = npa_zones()
    check_zones({z for zs in npa.values() for z in zs} | {z for zs in STATE_ZONES.values() for z in zs})
    out = Path(__file__).resolve().parent.parent / "phonebank" / "hours_data.py"
    out.write_text(render(npa), encoding="utf-8")
    print(f"wrote {out}: {len(npa)} area codes, {len(ZIP3_RANGES)} ZIP3 ranges", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
