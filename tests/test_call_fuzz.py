"""Property: whatever a volunteer types into plain mode, `phonebank call` ends cleanly —
exit 0 (quit / list done) or 130 (input ended), one-line messages, never a traceback, never a torn row;
every saved row has today's 14 columns under today's header and a 32-hex row id."""

from __future__ import annotations

import csv
import re
import shutil

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.cli import cli
from phonebank.results import HEADER_LINE, RESULT_COLUMNS, ReadProblems, read_results_file
from phonebank.workspace import Workspace

from callkit import make_workspace

TOKENS = ["s", "n", "i", "c", "k", "u", "q", "t", "l", "y", "1", "2", "3", "0", "", "d", "b", "a", "r",
          "18:30", "tomorrow 10:00", "6pm", "99", "-1", "\x1b[A", "é", "=cmd|' /C calc'!A0", "💥", "\t", " "]
line = st.one_of(st.sampled_from(TOKENS), st.text(max_size=12).map(lambda s: s.replace("\n", " ").replace("\r", " ")))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(line, max_size=40))
def test_any_typed_answers_end_cleanly(tmp_path_factory, lines):
    root = tmp_path_factory.mktemp("ws")
    shutil.rmtree(root)
    ws: Workspace = make_workspace(root)
    env = {"PHONEBANK_HOME": str(root / "home"), "PHONEBANK_NOW": "2017-03-20T18:00:00-07:00"}
    result = CliRunner().invoke(cli, ["-w", str(root), "call", "--email", "ana@example.org"],
                                input="\n".join(lines) + "\n", env=env)
    assert result.exit_code in (0, 130), (result.exit_code, result.output[-400:])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    problems = ReadProblems()
    for path in ws.results_files("test"):
        rows, _ = read_results_file(path, problems)
        assert all(len(r.to_fields()) == len(RESULT_COLUMNS) for r in rows)
        assert all(re.fullmatch(r"[0-9a-f]{32}", r.row_id) for r in rows)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        assert lines[0] == HEADER_LINE
        assert all(len(fields) == len(RESULT_COLUMNS) for fields in csv.reader(lines[1:]))
    assert problems.bad == [] and problems.torn == []
