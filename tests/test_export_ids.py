"""Every ID kind through import -> call -> export: MyVoters and MyCampaign VAN IDs, a VANID of a kind
not stated, PDI IDs and CA IDs. The import names the kind on its columns: line, `phonebank call`
saves calls against the list, and each export sends the kind it can take and refuses the other with
the reason. Header names: john/drive.vote#996 (Voter File VANID vs MyCampaign VANID by mode); PDI help
center "Import Flag Data" (PDI IDs start with the state's letters, CA IDs with a digit)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_export_sync import edit_script, map_sync_ids

from phonebank.cli import cli

REPO = Path(__file__).resolve().parent.parent
NOW = "2017-03-20T18:00:00-07:00"
REGISTER = "y\nAna\nReyes\n90033\n"
CALLS = ["s", "1", "1", "1", "", "s",  # first voter: script, aware yes, bernie yes, supporter, no note, save
         "n", "", "s",  # second voter: not home, no note, save
         "q"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHONEBANK_NOW", NOW)
    monkeypatch.delenv("PHONEBANK_WORKSPACE", raising=False)
    root = tmp_path / "ws"
    (root / "results").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "scripts.yaml").write_text((REPO / "scripts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    map_sync_ids(root)
    edit_script(root, "van_users: {alice@example.org: 987,", "van_users: {ana@example.org: 321, alice@example.org: 987,")
    return root


def cli_run(root: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--workspace", str(root), *args], input=input)


def import_call(root: Path, header: str, ids: tuple[str, str]) -> str:
    """Import a two-voter file whose ID column is ``header``, call both voters; the columns: line."""
    source = root / "voters.csv"
    source.write_text(f"{header},FirstName,LastName,Cell Phone,Zip5\n"
                      f"{ids[0]},Ana,Paz,2135550101,90033\n{ids[1]},Luz,Rey,2135550102,90033\n", encoding="utf-8")
    result = cli_run(root, "import", str(source), "--list", "ids")
    assert result.exit_code == 0, result.output
    columns = next(line for line in result.output.splitlines() if "columns:" in line)
    result = cli_run(root, "call", input="ana@example.org\n" + REGISTER + "\n".join(CALLS) + "\n")
    assert result.exit_code == 0, result.output
    assert "Session summary: 2 calls, 1 contact, 1 supporter" in result.output
    return columns


def export(root: Path, *args: str) -> list[list[str]]:
    result = cli_run(root, "export", *args)
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.stdout, newline="")))


def refused(root: Path, *args: str) -> str:
    result = cli_run(root, "export", *args)
    assert result.exit_code != 0, result.stdout
    return result.stderr


def list_kinds(root: Path) -> list[tuple[str, str, str]]:
    with open(root / "lists" / "ids.csv", encoding="utf-8", newline="") as fh:
        return [(r["voter_id"], r["source_system"], r["source_id"]) for r in csv.DictReader(fh)]


def test_myvoters_van_ids(env: Path) -> None:
    columns = import_call(env, "Voter File VANID", ("101", "102"))
    assert "voter_id <- Voter File VANID (MyVoters VAN ID)" in columns
    assert list_kinds(env) == [("101", "van_myvoters", "101"), ("102", "van_myvoters", "102")]
    rows = export(env, "van")
    assert rows[0][0] == "Voter File VANID" and sorted(r[0] for r in rows[1:]) == ["101", "102"]
    assert sorted((r[0], r[2]) for r in export(env, "van", "--layout", "api")[1:]) == [("101", "14"), ("102", "1")]
    assert "the 2 called voter(s) of list ids with an ID have" not in refused(env, "pdi")  # no PDI ID at all
    assert "none of the 2 called voter(s) in list ids has a PDI ID or CA ID" in refused(env, "pdi")


def test_mycampaign_van_ids(env: Path) -> None:
    columns = import_call(env, "MyCampaign VANID", ("9001", "9002"))
    assert "voter_id <- MyCampaign VANID (MyCampaign VAN ID)" in columns
    assert {k for _, k, _ in list_kinds(env)} == {"van_mycampaign"}
    assert "VAN's Bulk Upload wizard loads results into MyVoters and needs MyVoters VAN IDs" in refused(env, "van")
    result = cli_run(env, "export", "van", "--layout", "api")
    assert sorted(r[0] for r in list(csv.reader(io.StringIO(result.stdout)))[1:]) == ["9001", "9002"]
    assert "load the file in MyCampaign mode (an API key ending |1)" in result.stderr
    assert sorted(r[4:] for r in export(env, "van", "--layout", "responses")[1:]) == [
        ["1101", "11011"], ["1102", "11021"], ["1201", "1301"]]


def test_van_ids_of_a_kind_not_stated(env: Path) -> None:
    columns = import_call(env, "VANID", ("7", "8"))
    assert ("voter_id <- VANID (VAN ID of a kind not stated (MyVoters or MyCampaign): say which with --map "
            "'VANID=myvoters_id' or --map 'VANID=mycampaign_id')") in columns
    result = cli_run(env, "export", "van")
    assert result.exit_code == 0 and "2 voter(s) have VAN IDs whose kind the import could not tell" in result.stderr


def test_pdi_ids(env: Path) -> None:
    columns = import_call(env, "PDI ID", ("CA10000001", "CA10000002"))
    assert "voter_id <- PDI ID (PDI ID)" in columns
    rows = export(env, "pdi")
    assert {r[0] for r in rows[1:]} == {"CA10000001", "CA10000002"}
    assert {(r[3], r[4]) for r in rows[1:]} == {("NAH", "100"), ("SS", "101"), ("AWAREY", "AWARE0404"),
                                                ("BERNY", "BERNIE2016")}
    assert export(env, "pdi", "--layout", "people")[0][0] == "PDI ID"
    assert "none of the 2 called voter(s) in list ids has a VAN ID" in refused(env, "van")


def test_ca_ids(env: Path) -> None:
    columns = import_call(env, "CA ID", ("10000001", "10000002"))
    assert "voter_id <- CA ID (CA ID)" in columns
    assert {k for _, k, _ in list_kinds(env)} == {"pdi_ca"}
    assert "PDI's flag records take a PDI ID in pdiId" in refused(env, "pdi")
    rows = export(env, "pdi", "--layout", "people")
    assert rows[0][0] == "CA ID" and sorted(r[0] for r in rows[1:]) == ["10000001", "10000002"]


def test_a_reimported_phonebank_list_keeps_its_ids(env: Path) -> None:
    import_call(env, "MyCampaign VANID", ("9001", "9002"))
    trimmed = env / "trimmed.csv"  # the list, as saved again after deleting a column in a spreadsheet
    with open(env / "lists" / "ids.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with open(trimmed, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[c for i, c in enumerate(r) if rows[0][i] != "city"] for r in rows])
    result = cli_run(env, "import", str(trimmed), "--list", "ids", "--replace")
    assert result.exit_code == 0, result.output
    assert "voter_id <- voter_id, source_system, source_id (a phonebank list: IDs and their kinds kept)" in result.output
    assert list_kinds(env) == [("9001", "van_mycampaign", "9001"), ("9002", "van_mycampaign", "9002")]
    with open(env / "lists" / "ids.csv", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert not any(h.startswith("source_source") or h == "source_voter_id" for h in header)
    result = cli_run(env, "export", "van", "--layout", "api")  # the calls still match the list's IDs
    assert result.exit_code == 0 and len(list(csv.reader(io.StringIO(result.stdout)))) == 3
