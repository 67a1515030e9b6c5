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
    assert [recorded[1][i] for i in recorded[0]] == [fresh[1][i] for i in fresh[0]]
    with_recorded = json.loads(_run(ws, "report", "--format", "json").stdout)["progress"]
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
