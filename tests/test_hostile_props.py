"""Generated hostile input (hypothesis) through the real CLI as subprocesses: list names, import options,
random command lines, do-not-call and voter files of random bytes, scripts.yaml with random text
inserted, and random bytes piped into plain-mode prompts. Each example keeps the promises of
``hostilekit.check_outcome``. Two examples each in a quick run; many more under the ``stress`` marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostilekit import Case, check_outcome, run_case
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

SIZES = [pytest.param(2, id="quick"), pytest.param(60, id="many", marks=pytest.mark.stress)]
VOTERS_CSV = b"VANID,FirstName,LastName,Cell Phone,City,Zip\n1,Ana,Reyes,2135550101,LA,90012\n"
ARG_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
ARG_BYTES = st.binary(max_size=40).filter(lambda b: b"\x00" not in b)
TOKENS = ["check", "report", "export", "import", "dnc", "add", "list", "call", "register", "script", "preview",
          "init", "--list", "--format", "--since", "--until", "--volunteer", "--output", "--html", "--map",
          "--delimiter", "--encoding", "--replace", "--dry-run", "--plain", "--email", "--language", "--count",
          "--reason", "--excel", "-h", "results", "van", "pdi", "supporters", "callbacks", "test", "voters.csv",
          "json", "csv", "markdown", "2017-03-20", "ana@example.org", "-", "--", "tab"]


def explore(examples: int, strategy, body) -> None:
    """Run ``body`` on ``examples`` generated values (reproducible: derandomized, no example database)."""

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])  # no shrinking:
    # a failure is reported with its example as generated, and the runtime stays what was asked
    @given(strategy)
    def run(value) -> None:
        body(value)

    run()


def voters(ws: Path, outside: Path) -> None:
    (outside.parent / "voters.csv").write_bytes(VOTERS_CSV)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_list_names(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    def body(name) -> None:
        command = ["report", "--list", name] if isinstance(name, str) else ["export", "results", "--list", name]
        case = Case("generated list names", repr(name)[:60], command, expect=(0, 2) if name == "test" else (2,))
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, ARG_TEXT | ARG_BYTES, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_import_options(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    options = st.tuples(st.lists(ARG_TEXT | st.sampled_from(["City=zip", "Zip=city", "VANID=ignore", "Cell Phone=phone"]),
                                 max_size=3),
                        st.none() | ARG_TEXT | st.sampled_from([",", "tab", ";", "é"]),
                        st.none() | ARG_TEXT | st.sampled_from(["utf-8", "cp1252", "rot13", "utf-16"]))

    def body(value) -> None:
        maps, delimiter, encoding = value
        args = ["import", "voters.csv", "--list", "t2", "--dry-run"]
        for item in maps:
            args += ["--map", item]
        args += ["--delimiter", delimiter] if delimiter is not None else []
        args += ["--encoding", encoding] if encoding is not None else []
        case = Case("generated import options", repr(value)[:80], args, expect=(0, 1, 2), setup=voters)
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, options, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_command_lines(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    argv = st.lists(st.sampled_from(TOKENS) | ARG_TEXT | ARG_BYTES, min_size=1, max_size=6)

    def body(args: list) -> None:
        if args[0] in ("db", "join"):  # a shared campaign's commands would try the network
            return
        case = Case("generated command lines", repr(args)[:80], args, expect=(0, 1, 2, 130), setup=voters,
                    records_may_change=True)
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, argv, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_files_of_numbers(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    data = st.binary(max_size=3000) | st.lists(st.text(max_size=30), max_size=50).map(
        lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))

    def body(blob: bytes) -> None:
        def setup(ws: Path, outside: Path) -> None:
            (outside.parent / "numbers.txt").write_bytes(blob)
        case = Case("generated files", f"dnc add {blob[:40]!r}", ["dnc", "add", "numbers.txt"], expect=(0, 1, 2),
                    setup=setup, records_may_change=True)
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, data, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_voter_files(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    data = st.binary(max_size=3000) | st.builds(lambda extra: VOTERS_CSV + extra, st.binary(max_size=500))

    def body(blob: bytes) -> None:
        def setup(ws: Path, outside: Path) -> None:
            (outside.parent / "voters.csv").write_bytes(blob)
        case = Case("generated files", f"import {blob[:40]!r}", ["import", "voters.csv", "--list", "t2", "--dry-run"],
                    expect=(0, 1, 2), setup=setup)
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, data, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_scripts(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    edits = st.tuples(st.integers(min_value=0, max_value=400), st.text(max_size=80) | st.sampled_from(
        ["&a x", "*a", "*nosuch", "!!python/object:os.system", "<<: *a", "? [a]", "{", "- &b [*b]", "\t", "---"]))

    def body(edit) -> None:
        at, inserted = edit

        def setup(ws: Path, outside: Path) -> None:
            path = ws / "scripts.yaml"
            lines = path.read_text(encoding="utf-8").split("\n")
            lines.insert(at % len(lines), inserted)
            path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        case = Case("generated scripts", repr(edit)[:80], ["check"], expect=(0, 1, 2), setup=setup)
        check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, edits, body)


@pytest.mark.parametrize("examples", SIZES)
def test_generated_prompt_answers(examples: int, tmp_path_factory, hostile_template: Path) -> None:
    """Random bytes (not UTF-8 included) and huge digit answers piped into plain-mode register and call."""
    answers = st.lists(st.binary(max_size=60) | st.integers(min_value=4000, max_value=6000).map(lambda n: b"9" * n)
                       | st.sampled_from([b"n", b"s", b"q", b"", b"\xff\xfe", b"\x1b[2J"]), max_size=12)

    def body(value: list[bytes]) -> None:
        stdin = b"\n".join(value) + b"\n"
        for command in (["register", "--plain"], ["call", "--plain", "--email", "ana@example.org"]):
            case = Case("generated prompt answers", f"{command[0]} {stdin[:40]!r}", command, stdin=stdin,
                        expect=(0, 1, 2, 130), records_may_change=True)
            check_outcome(case, run_case(case, tmp_path_factory.mktemp("case"), hostile_template))

    explore(examples, answers, body)
