"""Write a synthetic voter file for the import benchmark (fictional data, fixed seed).

Usage: python benchmarks/make_voter_file.py ROWS OUT [--national | --layout van|nc|utf16]

Layouts: ``van`` (the default: a VAN export, UTF-8, comma-separated, 16 columns); ``nc`` (the North
Carolina statewide file: 71 columns, tab-separated, every field in quotes, Windows-1252 with accented
names); ``utf16`` (the VAN columns as VAN's report download: UTF-16 with a BOM, tab-separated).

Columns: Voter File VANID, FirstName, LastName, Address, City, State, Zip5, Age, Sex, Party,
Home Phone, Cell Phone, IsHomePhoneACellExchange, Language, PrecinctName, RegistrationDate.
Phones come in mixed US formats (``(213) 555-0142``, ``213.555.0142``, ``+1 213-555-0142``,
``12135550142`` ...), about 4% invalid; names include accents; about 15% of addresses are quoted
and contain a comma. ``--national``: voters in every state and territory (ZIPs and area codes from
phonebank's zone tables), for benchmarks where only some time zones are open.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HEADER = [
    "Voter File VANID", "FirstName", "LastName", "Address", "City", "State", "Zip5", "Age", "Sex",
    "Party", "Home Phone", "Cell Phone", "IsHomePhoneACellExchange", "Language", "PrecinctName",
    "RegistrationDate",
]
FIRST = ["María", "José", "Juan", "Ana", "Luis", "Sofía", "Jesús", "Daniel", "Min-jun", "Ji-woo", "Wei", "Mei",
         "Ani", "Aram", "Grace", "Michael", "Jennifer", "Ramón", "Inés", "Nguyễn", "Renée", "Zoë", "O'Brien"]
LAST = ["García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
        "Flores", "Peña", "Muñoz", "Kim", "Lee", "Park", "Chen", "Wong", "Santos", "Reyes", "Petrosyan",
        "Hakobyan", "Smith", "O'Connor", "Nguyen", "Núñez"]
STREETS = ["Cesar E Chavez Ave", "Colorado Blvd", "York Blvd", "Figueroa St", "Wilshire Blvd", "Broadway",
           "Eagle Rock Blvd", "Alvarado St", "Soto St", "Huntington Dr"]
CITIES = ["Los Angeles", "Eagle Rock", "Highland Park", "Boyle Heights", "Glassell Park"]
ZIPS = ["90004", "90012", "90026", "90031", "90032", "90033", "90041", "90042", "90057", "90065"]
AREAS = ["213", "323", "818", "747", "626"]
INVALID = ["", "n/a", "555-0142", "013-555-0142", "213-155-0142", "213555014299", "1234", "(000) 000-0000"]
LANGS = ["English", "English", "Spanish", "Español", "", "Korean", "SPA", "Chinese"]


def phone(rng: random.Random) -> str:
    if rng.random() < 0.04:
        return rng.choice(INVALID)
    a, x, n = rng.choice(AREAS), rng.randint(200, 999), rng.randint(0, 9999)
    return rng.choice([
        f"({a}) {x}-{n:04d}", f"{a}-{x}-{n:04d}", f"{a}.{x}.{n:04d}", f"{a}{x}{n:04d}",
        f"+1 {a}-{x}-{n:04d}", f"1{a}{x}{n:04d}", f"1 ({a}) {x}-{n:04d}",
    ])


def rows(count: int, seed: int = 34):
    rng = random.Random(seed)
    for i in range(count):
        number = rng.randint(1, 9999)
        address = f"{number} {rng.choice(STREETS)}"
        if rng.random() < 0.15:
            address += f", Apt {rng.randint(1, 400)}"
        cell = phone(rng) if rng.random() < 0.5 else ""
        yield [
            str(100000000 + i), rng.choice(FIRST), rng.choice(LAST), address, rng.choice(CITIES), "CA",
            rng.choice(ZIPS), str(rng.randint(18, 99)), rng.choice("FMU"), rng.choice("DDDRUO"),
            phone(rng), cell, rng.choice("001"), rng.choice(LANGS), f"{rng.randint(1, 9999):07d}",
            f"20{rng.randint(0, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ]


_FOREIGN = ("Toronto", "Vancouver", "Edmonton", "Winnipeg", "Halifax", "Regina", "St_Johns", "Moncton", "Whitehorse",
            "Yellowknife", "Iqaluit", "Montreal")


def national_rows(count: int, seed: int = 20):
    """Voters all over the United States: a ZIP from every assigned ZIP3 prefix, each number's area code
    from the voter's own zone most of the time (a cell phone from anywhere in the country otherwise) — many
    zone keys, as a national list has. Same columns as ``rows``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from phonebank import hours

    rng = random.Random(seed)
    prefixes = []
    for first_last, state in hours._table("ZIP3_RANGES").items():
        first, last = (int(x) for x in first_last.split("-"))
        if state not in ("AA", "AE", "AP"):
            prefixes += [(f"{z:03d}", state) for z in range(first, last + 1)]
    by_zone: dict[str, list[str]] = {}
    for npa, key in hours._table("NPA_ZONES").items():
        if not any(f in key for f in _FOREIGN):
            by_zone.setdefault(key, []).append(npa)
    anywhere = sorted(n for ns in by_zone.values() for n in ns)

    def number(area: str) -> str:
        x, n = rng.randint(200, 999), rng.randint(0, 9999)
        return rng.choice([f"({area}) {x}-{n:04d}", f"{area}-{x}-{n:04d}", f"+1 {area}-{x}-{n:04d}"])

    for i in range(count):
        prefix, state = rng.choice(prefixes)
        zip5 = f"{prefix}{rng.randint(0, 99):02d}"
        local = by_zone.get(hours.zone_key(hours.zones_for(zip5, state, ()))) or anywhere
        home = number(rng.choice(local if rng.random() < 0.85 else anywhere))
        cell = number(rng.choice(local if rng.random() < 0.6 else anywhere)) if rng.random() < 0.5 else ""
        yield [
            str(200000000 + i), rng.choice(FIRST), rng.choice(LAST), f"{rng.randint(1, 9999)} Main St",
            "Springfield", state, zip5, str(rng.randint(18, 99)), rng.choice("FMU"), rng.choice("DDDRUO"),
            home, cell, rng.choice("001"), rng.choice(LANGS), f"{rng.randint(1, 9999):07d}",
            f"20{rng.randint(0, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ]


NC_HEADER = [
    "county_id", "county_desc", "voter_reg_num", "ncid", "last_name", "first_name", "middle_name",
    "name_suffix_lbl", "status_cd", "voter_status_desc", "reason_cd", "voter_status_reason_desc",
    "res_street_address", "res_city_desc", "state_cd", "zip_code", "mail_addr1", "mail_addr2", "mail_addr3",
    "mail_addr4", "mail_city", "mail_state", "mail_zipcode", "full_phone_number", "confidential_ind",
    "registr_dt", "race_code", "ethnic_code", "party_cd", "gender_code", "birth_year", "age_at_year_end",
    "birth_state", "drivers_lic", "precinct_abbrv", "precinct_desc", "municipality_abbrv", "municipality_desc",
    "ward_abbrv", "ward_desc", "cong_dist_abbrv", "super_court_abbrv", "judic_dist_abbrv", "nc_senate_abbrv",
    "nc_house_abbrv", "county_commiss_abbrv", "county_commiss_desc", "township_abbrv", "township_desc",
    "school_dist_abbrv", "school_dist_desc", "fire_dist_abbrv", "fire_dist_desc", "water_dist_abbrv",
    "water_dist_desc", "sewer_dist_abbrv", "sewer_dist_desc", "sanit_dist_abbrv", "sanit_dist_desc",
    "rescue_dist_abbrv", "rescue_dist_desc", "munic_dist_abbrv", "munic_dist_desc", "dist_1_abbrv",
    "dist_1_desc", "vtd_abbrv", "vtd_desc", "bus_stop", "jail_name", "last_voted_dt", "nc_house_desc",
]
NC_COUNTIES = [("92", "WAKE", "RALEIGH", "276"), ("32", "DURHAM", "DURHAM", "277"),
               ("60", "MECKLENBURG", "CHARLOTTE", "282"), ("41", "GUILFORD", "GREENSBORO", "274")]
NC_AREAS = ["919", "984", "704", "980", "336"]


def nc_rows(count: int, seed: int = 37):
    """Rows of the NC layout (71 columns); names carry accents (Windows-1252) from the first rows on."""
    rng = random.Random(seed)
    first = [n.upper() for n in FIRST if n.upper().encode("cp1252", "ignore").decode("cp1252") == n.upper()]
    last = [n.upper() for n in LAST if n.upper().encode("cp1252", "ignore").decode("cp1252") == n.upper()]
    for i in range(count):
        county, desc, city, zip3 = rng.choice(NC_COUNTIES)
        number = phone(rng).replace("213", rng.choice(NC_AREAS)) if rng.random() < 0.7 else ""
        precinct = f"{rng.randint(1, 200):02d}-{rng.randint(1, 40):02d}"
        row = [
            county, desc, f"{i:012d}", f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{i:07d}", rng.choice(last),
            rng.choice(first), rng.choice(first), rng.choice(["", "", "", "JR", "SR", "III"]), "A", "ACTIVE",
            "AV", "VERIFIED", f"{rng.randint(1, 9999)} {rng.choice(STREETS).upper()}", city, "NC",
            f"{zip3}{rng.randint(0, 99):02d}", "", "", "", "", "", "", "", number, "N",
            f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1970, 2024)}", rng.choice("WBAOIU"),
            rng.choice(["NL", "HL", "UN"]), rng.choice(["DEM", "REP", "UNA", "LIB", "GRE"]), rng.choice("FMU"),
            str(rng.randint(1925, 2006)), str(rng.randint(18, 99)), rng.choice(["NC", "VA", "NY", "", "SC"]), "Y",
            precinct, f"PRECINCT {precinct}", "", "", "", "", str(rng.randint(1, 14)), "10A", "10", "16", "35",
            "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", precinct, precinct, "",
            "", f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2024", f"NC HOUSE DISTRICT {rng.randint(1, 120)}",
        ]
        yield row


def write(count: int, out: Path, national: bool = False, layout: str = "van") -> Path:
    """Write ``count`` rows of ``layout`` (van, nc or utf16; --national: van columns, national voters)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    encoding = {"van": "utf-8", "nc": "cp1252", "utf16": "utf-16"}[layout]
    with open(tmp, "w", encoding=encoding, newline="") as fh:
        if layout == "nc":
            w = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            w.writerow(NC_HEADER)
            w.writerows(nc_rows(count))
        else:
            w = csv.writer(fh, delimiter="\t" if layout == "utf16" else ",", lineterminator="\n")
            w.writerow(HEADER)
            w.writerows(national_rows(count) if national else rows(count))
    tmp.replace(out)
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--national"]
    layout = "van"
    if "--layout" in args:
        at = args.index("--layout")
        layout = args[at + 1]
        del args[at:at + 2]
    if len(args) != 2 or layout not in ("van", "nc", "utf16"):
        sys.exit(__doc__.splitlines()[2])
    write(int(args[0]), Path(args[1]), national="--national" in sys.argv, layout=layout)
