"""The validated script kept for the next command (``script.cached``): used only for the very same text
and phonebank version, so `phonebank call` need not import PyYAML; anything else parses the file again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from phonebank.errors import ScriptError
from phonebank.script import load_script

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copy(REPO / "scripts.yaml", tmp_path / "scripts.yaml")
    (tmp_path / ".phonebank").mkdir(mode=0o700)
    return tmp_path


def kept(ws: Path) -> Path:
    return ws / ".phonebank" / "script.msgpack"


def test_the_kept_script_is_the_parsed_one_and_spares_pyyaml(ws: Path) -> None:
    first = load_script(ws / "scripts.yaml")
    assert kept(ws).is_file() and kept(ws).stat().st_mode & 0o777 == 0o600
    again = load_script(ws / "scripts.yaml")
    assert again == first and again.lines == first.lines and again.line_of("codes", 3) == first.line_of("codes", 3)
    probe = ("import sys; from pathlib import Path; from phonebank.script import load_script; "
             f"s = load_script(Path({str(ws / 'scripts.yaml')!r})); print(s.campaign.name, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "False"


def test_a_changed_text_is_parsed_again_even_with_the_same_size_and_time(ws: Path) -> None:
    path = ws / "scripts.yaml"
    assert load_script(path).calling.claim_minutes == 30
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert "claim_minutes: 30" in text
    path.write_text(text.replace("claim_minutes: 30", "claim_minutes: 45"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load_script(path).calling.claim_minutes == 45
    path.write_text(text.replace("claim_minutes: 30", "claim_minutes: -1"), encoding="utf-8")
    with pytest.raises(ScriptError):  # a broken script is reported, whatever was kept before
        load_script(path)


def test_a_damaged_kept_copy_is_ignored_and_replaced(ws: Path) -> None:
    load_script(ws / "scripts.yaml")
    kept(ws).write_bytes(b"\x93not a script")
    assert load_script(ws / "scripts.yaml").campaign.name
    assert load_script(ws / "scripts.yaml") == load_script(ws / "scripts.yaml")
    assert kept(ws).read_bytes()[:1] != b"\x93"


def test_a_planted_link_is_not_written_through(ws: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    target = tmp_path_factory.mktemp("elsewhere") / "victim"
    target.write_bytes(b"keep me")
    kept(ws).symlink_to(target)
    assert load_script(ws / "scripts.yaml").campaign.name
    assert target.read_bytes() == b"keep me"


def test_without_an_index_folder_nothing_is_written(tmp_path: Path) -> None:
    shutil.copy(REPO / "scripts.yaml", tmp_path / "scripts.yaml")
    load_script(tmp_path / "scripts.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scripts.yaml"]
