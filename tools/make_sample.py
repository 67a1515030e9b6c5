"""Write the sample CA-34 voter export and import it into the sample call list.

    python tools/make_sample.py

Writes ``samples/ca34-van-export.csv`` — about 200 fictional voters in the layout of an NGP VAN
export, living in central and northern Los Angeles (California's 34th district) — then runs the
real importer on it, as ``phonebank import samples/ca34-van-export.csv --list ca34-sample --replace``
would, giving ``lists/ca34-sample.csv`` and ``lists/ca34-sample.rejects.csv``.

Everyone is invented (fixed seed, same output every run). Every phone number is a fictional
555-01xx number in a Los Angeles area code. A few rows carry the problems real exports have:
no phone, an invalid phone, a repeated VANID, a household landline shared by several voters, a
phone with an extension.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "ca34-van-export.csv"
LIST_NAME = "ca34-sample"
SEED = 34_2017
VOTERS = 200

HEADER = [
    "Voter File VANID", "LastName", "FirstName", "MiddleName", "Address", "City", "State", "Zip5", "Age", "Sex",
    "Party", "Home Phone", "IsHomePhoneACellExchange", "Cell Phone", "Language", "PrecinctName",
]

# neighborhood -> (zip, streets, area codes)
PLACES = {
    "Boyle Heights": ("90033", ["E Cesar E Chavez Ave", "S Soto St", "E 1st St", "N Breed St", "S Boyle Ave"],
                      ["323", "213"]),
    "Lincoln Heights": ("90031", ["N Broadway", "N Main St", "Workman St", "N Avenue 21"], ["323", "213"]),
    "El Sereno": ("90032", ["Huntington Dr", "Alhambra Ave", "Eastern Ave"], ["323", "626"]),
    "Highland Park": ("90042", ["N Figueroa St", "York Blvd", "N Avenue 56", "Monte Vista St"], ["323", "818"]),
    "Eagle Rock": ("90041", ["Colorado Blvd", "Eagle Rock Blvd", "Yosemite Dr", "Hill Dr"], ["323", "818", "747"]),
    "Glassell Park": ("90065", ["Verdugo Rd", "Cypress Ave", "Division St", "N Figueroa St"], ["323", "818", "747"]),
    "Echo Park": ("90026", ["Sunset Blvd", "Echo Park Ave", "Alvarado St", "Montana St"], ["213", "323"]),
    "Koreatown": ("90004", ["Beverly Blvd", "N Normandie Ave", "Oakwood Ave", "N Serrano Ave"], ["213", "323"]),
    "Westlake": ("90057", ["S Alvarado St", "W 7th St", "Wilshire Blvd", "S Park View St"], ["213"]),
    "Chinatown": ("90012", ["N Broadway", "N Hill St", "Alpine St", "N Spring St"], ["213", "626"]),
    "Downtown": ("90013", ["S Main St", "S Spring St", "E 5th St", "S Los Angeles St"], ["213"]),
}

# community -> (weight, neighborhoods, surnames, first names, (language, share))
COMMUNITIES = {
    "latino": (60, ["Boyle Heights", "Lincoln Heights", "El Sereno", "Highland Park", "Glassell Park", "Westlake",
                    "Echo Park"],
               ["García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
                "Flores", "Torres", "Rivera", "Gómez", "Díaz", "Morales", "Gutiérrez", "Ortiz", "Castillo",
                "Vásquez", "Mendoza", "Ruiz", "Jiménez", "Herrera", "Aguilar", "Chávez", "Peña", "Muñoz", "Núñez",
                "Salazar", "Estrada"],
               ["María", "José", "Juan", "Guadalupe", "Jesús", "Carlos", "Luis", "Miguel", "Francisco", "Rosa",
                "Ana", "Alejandra", "Sofía", "Daniel", "Javier", "Verónica", "Ricardo", "Yesenia", "Adriana",
                "Marisol", "Héctor", "Elena", "Lourdes", "Ramón", "Isabel", "Arturo"],
               ("Spanish", 0.5)),
    "korean": (9, ["Koreatown"], ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Han"],
               ["Ji-hoon", "Min-jung", "Soo-jin", "Hyun-woo", "Eun-ji", "Jae-won", "Young-hee", "David", "Grace",
                "Esther"], ("Korean", 0.4)),
    "chinese": (8, ["Chinatown", "Downtown", "El Sereno"], ["Chen", "Wong", "Li", "Wang", "Liu", "Huang", "Lin",
                                                            "Chan", "Leung", "Ng"],
                ["Wei", "Mei", "Jian", "Xiu Ying", "Kevin", "Amy", "Henry", "Cindy", "Lily"], ("Chinese", 0.3)),
    "filipino": (7, ["Eagle Rock", "Glassell Park", "Echo Park"], ["Santos", "Bautista", "Dela Cruz", "Ramos",
                                                                  "Villanueva", "Aquino", "Mercado", "Tolentino"],
                 ["Maria Cristina", "Jose Miguel", "Rosalinda", "Ronaldo", "Marites", "Angelica", "Rodel"],
                 ("Tagalog", 0.1)),
    "armenian": (6, ["Glassell Park", "Eagle Rock"], ["Petrosyan", "Hakobyan", "Sargsyan", "Harutyunyan",
                                                      "Grigoryan", "Karapetyan", "Avetisyan"],
                 ["Armen", "Ani", "Narek", "Lilit", "Anahit", "Tigran", "Mariam", "Vahe"], ("Armenian", 0.2)),
    "anglo": (10, ["Eagle Rock", "Echo Park", "Highland Park", "Downtown"], ["Smith", "Johnson", "Miller", "Davis",
                                                                           "Anderson", "Taylor", "Clark", "Walker",
                                                                           "O'Brien", "Wright"],
              ["Michael", "Jennifer", "Sarah", "Matthew", "Emily", "Ryan", "Jessica", "Andrew", "Katherine"],
              ("English", 0.0)),
}
AREA_CODES = ("213", "323", "818", "747", "626")
SPANISH_SPELLINGS = ["Spanish"] * 8 + ["Español", "SPA"]


class Phones:
    """Fictional 555-01xx numbers, each handed out once."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self, areas: list[str]) -> str:
        free = [f"{a}5550{n}" for a in areas for n in range(100, 200) if f"{a}5550{n}" not in self.used]
        free = free or [f"{a}5550{n}" for a in AREA_CODES for n in range(100, 200) if f"{a}5550{n}" not in self.used]
        number = self.rng.choice(free)
        self.used.add(number)
        return number

    def shown(self, digits: str) -> str:
        """As VAN exports show phones: mostly (213) 555-0142, sometimes bare digits."""
        a, x, n = digits[:3], digits[3:6], digits[6:]
        return self.rng.choice([f"({a}) {x}-{n}"] * 3 + [digits, f"{a}-{x}-{n}"])


def voters(rng: random.Random) -> list[dict[str, str]]:
    phones = Phones(rng)
    ids = rng.sample(range(10_000_000, 99_999_999), VOTERS + 10)
    names = list(COMMUNITIES)
    weights = [COMMUNITIES[c][0] for c in names]
    rows = []
    for i in range(VOTERS):
        community = rng.choices(names, weights)[0]
        _, places, surnames, firsts, (language, share) = COMMUNITIES[community]
        place = rng.choice(places)
        zip5, streets, areas = PLACES[place]
        spoken = language if rng.random() < share else "English"
        if spoken == "Spanish":
            spoken = rng.choice(SPANISH_SPELLINGS)
        home = phones.new(areas) if rng.random() < 0.75 else ""
        cell = phones.new(areas) if (not home or rng.random() < 0.35) else ""
        rows.append({
            "Voter File VANID": str(ids[i]),
            "LastName": rng.choice(surnames),
            "FirstName": rng.choice(firsts),
            "MiddleName": rng.choice(["", "", "", "A", "M", "J", "L"]),
            "Address": f"{rng.randint(100, 5999)} {rng.choice(streets)}"
                       + (f" Apt {rng.randint(1, 40)}" if rng.random() < 0.3 else ""),
            "City": "Los Angeles",
            "State": "CA",
            "Zip5": zip5,
            "Age": str(rng.randint(18, 94)),
            "Sex": rng.choice("FFMMU" if i % 7 == 0 else "FM"),
            "Party": rng.choice("DDDDDDUUUR"),
            "Home Phone": phones.shown(home) if home else "",
            "IsHomePhoneACellExchange": "1" if home and not cell and rng.random() < 0.4 else "0",
            "Cell Phone": phones.shown(cell) if cell else "",
            "Language": "" if spoken == "English" and rng.random() < 0.5 else spoken,
            "PrecinctName": f"{rng.randint(1, 9999):07d}A",
        })
    _problems(rows, phones, ids[VOTERS:])
    return rows


def _problems(rows: list[dict[str, str]], phones: Phones, spare_ids: list[int]) -> None:
    """The mistakes real exports contain, on a few fixed rows."""
    rows[17]["Home Phone"] = rows[17]["Cell Phone"] = ""  # no phone at all -> rejected
    rows[42].update({"Home Phone": "(213) 555-01", "Cell Phone": ""})  # only an invalid phone -> rejected
    rows[63].update({"Home Phone": "(323) 555-0", "Cell Phone": phones.shown(phones.new(["323"]))})  # kept
    ext = phones.new(["323"])
    rows[88]["Cell Phone"] = f"+1 ({ext[:3]}) {ext[3:6]}-{ext[6:]} ext. 2"  # an extension: phonenumbers decides
    repeat = dict(rows[120], Address="2410 N Broadway Apt 3")  # the same VANID twice: second row rejected
    rows.insert(151, repeat)
    # a household landline shared by three voters (kept, counted in the summary)
    landline = phones.shown(phones.new(PLACES["Boyle Heights"][2]))
    head = rows[30]
    head.update({"Address": "2417 E Cesar E Chavez Ave", "Zip5": "90033"})
    for offset, first in ((31, "Rosa"), (32, "Javier")):
        rows[offset].update({k: head[k] for k in ("LastName", "Address", "City", "State", "Zip5")})
        rows[offset].update({"FirstName": first, "Language": "Spanish", "Cell Phone": ""})
    for r in rows[30:33]:
        r.update({"Home Phone": landline, "IsHomePhoneACellExchange": "0"})
    rows[5].update({"FirstName": "José Ramón", "LastName": "Núñez-Peña"})  # accents and a hyphen
    rows[199]["Voter File VANID"] = str(spare_ids[0])


def write_sample(path: Path = SAMPLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, HEADER, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(voters(random.Random(SEED)))
    return path


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from phonebank.importer import run_import
    from phonebank.workspace import find_workspace

    os.chdir(ROOT)
    write_sample()
    ws = find_workspace(ROOT)
    summary = run_import(ws, SAMPLE.relative_to(ROOT), LIST_NAME, replace=True)
    template = ROOT / "phonebank" / "template" / "lists"
    template.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ws.list_path(LIST_NAME), template / f"{LIST_NAME}.csv")  # for `phonebank init --with-sample`
    print(f"Wrote {SAMPLE.relative_to(ROOT)}")
    print("\n".join(summary.lines(ws.root)))


if __name__ == "__main__":
    main()
