"""The report's zone of each voter: recorded by `phonebank import`, equal to what a report works out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.report import cache
from phonebank.report.data import list_zones, read_list
from phonebank.results import CsvResultsStore, ResultRow
from phonebank.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
NOW = "2017-03-14T10:00:00-07:00"  # a Tuesday morning in Los Angeles: some zones open, others not yet


def _run(ws: Path, *args: str):
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env={"PHONEBANK_NOW": NOW},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_the_import_records_each_voters_zone_and_the_report_agrees(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "lists").mkdir(parents=True)
    (ws / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", ws / "scripts.yaml")
    _run(ws, "import", str(REPO / "samples" / "ca34-van-export.csv"), "--list", "ca")
    folder = cache.folder(Workspace(ws).index_dir, "ca")
    list_path = Workspace(ws).list_path("ca")
    voters = read_list(list_path, ["zip", "state"])
    recorded = cache.load_zones(folder, list_path, len(voters.frame))
    assert recorded is not None  # written by the import, keyed to the list file it wrote
    fresh = list_zones(voters, list_path, None)  # worked out again, no cache
    assert [recorded[1][i] for i in recorded[0]] == [fresh.keys[i] for i in fresh.zone_of]
    assert recorded[2].tolist() == fresh.counts.tolist() and recorded[3].tolist() == fresh.no_phone.tolist() == []
    with_recorded = json.loads(_run(ws, "report", "--format", "json").stdout)["progress"]
    kept = cache.load_list(folder, list_path, [])  # the zones recorded: the report read no zone column
    assert kept is not None and "zip" not in kept[0].column_names and "phone_1" in kept[0].column_names
    assert cache.load_list(folder, list_path, ["zip", "state"]) is None
    shutil.rmtree(folder)
    worked_out = json.loads(_run(ws, "report", "--format", "json").stdout)["progress"]
    assert with_recorded == worked_out and with_recorded["voters"] == len(voters.frame)
    assert (folder / "zones.arrow").exists()  # the report kept what it worked out


def test_recorded_zones_of_another_list_file_are_not_used(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("voter_id\n1\n2\n")
    cache.save_zones(tmp_path / "c", path, np.array([0, 1], dtype=np.int32), ["America/New_York", "America/Chicago"])
    assert cache.load_zones(tmp_path / "c", path, 2)[1] == ["America/New_York", "America/Chicago"]
    assert cache.load_zones(tmp_path / "c", path, 3) is None  # another number of voters
    path.write_text("voter_id\n1\n2\n3\n")  # the list re-imported
    assert cache.load_zones(tmp_path / "c", path, 2) is None


def test_calls_numbered_through_the_lists_id_index_as_without_it() -> None:
    import pandas as pd

    from phonebank.report.state import list_ids_index, number_voters

    rng = np.random.default_rng(13)
    for ids in ([str(x) for x in rng.choice(10**12, 3000, replace=False)],  # far apart: sorted merge
                [str(10_000_000 + 3 * i) for i in range(3000)]):  # close together: a table by id
        listed = pd.Series(ids, dtype="str")
        for count in (9000, 300):  # many calls (a table by id when the ids are close), few (always sorted)
            calls = pd.Series([ids[i] for i in rng.integers(0, 3000, count)] + ["7", "999999999999999", "7"],
                              dtype="str")
            index = list_ids_index(listed)
            assert index is not None and index.unique
            fast, plain = number_voters(calls, listed, index), number_voters(calls, listed)
            assert (fast[0] == plain[0]).all() and list(fast[1]) == list(plain[1]) and fast[2] == plain[2]
            assert fast[0][-3] == fast[0][-1] == 3000  # a stranger, numbered after the list, once
    assert list_ids_index(pd.Series(["1", "2", "1"], dtype="str")).unique is False
    assert list_ids_index(pd.Series(["1", "007"], dtype="str")) is None  # not canonical numbers: the hash path


def test_the_import_records_the_list_columns_and_ids_a_report_reads(empty_workspace: Path, monkeypatch) -> None:
    """The voters' ids and numbers, and the ids as sorted integers: as the report reads and works them out
    itself, so the first report after an import reads nothing of the list."""
    from phonebank.report import voters as report_voters
    from phonebank.report.numbering import list_ids_index

    ws = empty_workspace
    _run(ws, "import", str(REPO / "samples" / "ca34-van-export.csv"), "--list", "ca")
    folder = cache.folder(Workspace(ws).index_dir, "ca")
    list_path = Workspace(ws).list_path("ca")
    fresh = read_list(list_path, [], dedupe=False)  # the list file itself, no cache
    kept = cache.load_list(folder, list_path, [])
    assert kept is not None
    assert kept[0].to_pandas().equals(fresh.frame)
    assert kept[1] == report_voters._list_header(list_path)
    ids = cache.load_ids(folder, list_path, len(fresh.frame))
    want = list_ids_index(fresh.frame["voter_id"])
    assert ids is not None and want is not None
    assert ids[0].tolist() == want.ints.tolist() and ids[1].tolist() == want.order.tolist() and ids[2] is want.unique

    store = CsvResultsStore(ws / "results")
    for at, (voter_id, phone) in enumerate(zip(fresh.frame["voter_id"][:3], fresh.frame["phone_1"][:3], strict=True)):
        store.append(ResultRow(recorded_at=f"2017-03-13T08:0{at}:00-07:00", volunteer="ana@example.org", list="ca",
                               voter_id=voter_id, phone=phone, code="supporter" if at else "not_home", seconds=60))

    def refused(*_args):
        raise AssertionError("the first report read the list, or worked out its ids")

    monkeypatch.setattr(report_voters, "_read_list_table", refused)
    monkeypatch.setattr("phonebank.report.numbering.list_ids_index", refused)
    recorded = json.loads(_run(ws, "report", "--format", "json").stdout)
    monkeypatch.undo()
    shutil.rmtree(folder)
    worked_out = json.loads(_run(ws, "report", "--format", "json").stdout)
    recorded.pop("generated_at", None), worked_out.pop("generated_at", None)
    assert recorded == worked_out and recorded["progress"]["voters"] == len(fresh.frame)


def test_ids_that_are_not_numbers_record_the_columns_only(empty_workspace: Path, tmp_path: Path) -> None:
    """IDs a report cannot number as integers (a leading zero, letters): the import records the list's
    columns but no integer ids, and the report is the one worked out from the list file."""
    ws = empty_workspace
    source = tmp_path / "pdi.csv"
    source.write_text("PDI ID,First Name,Last Name,Cell Phone,Zip\n"
                      "A17,Ana,Peña,(213) 555-0101,90033\n"
                      "0042,Luis,Muñoz,213-555-0199,90042\n"
                      "B9,Rosa,Díaz,(323) 555-0103,90031\n", encoding="utf-8")
    _run(ws, "import", str(source), "--list", "pdi")
    folder = cache.folder(Workspace(ws).index_dir, "pdi")
    list_path = Workspace(ws).list_path("pdi")
    fresh = read_list(list_path, [], dedupe=False)
    kept = cache.load_list(folder, list_path, [])
    assert kept is not None and kept[0].to_pandas().equals(fresh.frame)
    assert fresh.frame["voter_id"].tolist() == ["A17", "0042", "B9"]
    assert cache.load_ids(folder, list_path, len(fresh.frame)) is None
    recorded = json.loads(_run(ws, "report", "--format", "json").stdout)
    shutil.rmtree(folder)
    worked_out = json.loads(_run(ws, "report", "--format", "json").stdout)
    assert recorded == worked_out and recorded["progress"]["voters"] == 3
