"""Shared fixtures: a copy of the sample workspace, a click runner and an ``invoke`` helper.

Every test runs with the phonebank environment variables cleared (and ``PHONEBANK_HOME`` pointed at
a temporary folder), so a developer's own settings never change a result.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phonebank.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LIST = REPO / "lists" / "ca34-sample.csv"
CLEARED = ("PHONEBANK_WORKSPACE", "PHONEBANK_NOW", "PHONEBANK_TODAY", "PHONEBANK_HOME", "XDG_CONFIG_HOME",
           "PHONEBANK_DATABASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    """A run that leaves the stress suites out (``-m "not stress"``) is a quick one: generated tests try
    a few examples each (``sizes.examples``)."""
    import sizes

    sizes.QUICK = "not stress" in (config.getoption("markexpr") or "")


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run of whole folders (``pytest``, ``pytest tests/store``) starts the PostgreSQL test server, its
    template and pool of campaign databases in the background while it collects (tests/pg.py); a run of
    chosen files starts them when the first test needs them. Under pytest-xdist each worker does this
    for itself, the controller never."""
    config = session.config
    if config.option.collectonly or getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    if all(Path(arg.split("::")[0]).is_dir() for arg in config.args):
        import pg

        pg.warm_up()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in CLEARED:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PHONEBANK_HOME", str(tmp_path_factory.mktemp("phonebank-home")))
    # an unexpected exception is raised (a traceback fails the test) instead of the one-line apology;
    # tests of the apology itself, and subprocess suites checking what a user sees, unset it
    monkeypatch.setenv("PHONEBANK_RAISE_ERRORS", "1")
    # a command run in a rehearsal workspace sets the process's clock: never carry it into the next test
    from phonebank import clock

    monkeypatch.setattr(clock, "_rehearsal", None)


@pytest.fixture
def script_text() -> str:
    """The text of the sample scripts.yaml."""
    return (REPO / "scripts.yaml").read_text(encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the repository's sample workspace: scripts.yaml, the shipped sample list (when it
    exists) and an empty results/ — never the calls someone saved in their own checkout."""
    root = tmp_path / "ws"
    (root / "lists").mkdir(parents=True)
    (root / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    if SAMPLE_LIST.exists():
        shutil.copyfile(SAMPLE_LIST, root / "lists" / SAMPLE_LIST.name)
    return root


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Path:
    """A workspace with the sample scripts.yaml and empty lists/ and results/."""
    root = tmp_path / "ws"
    (root / "lists").mkdir(parents=True)
    (root / "results").mkdir()
    shutil.copyfile(REPO / "scripts.yaml", root / "scripts.yaml")
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., Result]:
    """``invoke(ws, *args, input=None, env=None)`` runs ``phonebank --workspace WS ARGS...``.

    Pass ``ws=None`` to run without ``--workspace``. Unexpected exceptions propagate (a traceback
    is a failing test, not a result to inspect).
    """

    def run(ws: Path | None, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        argv = (["--workspace", str(ws)] if ws is not None else []) + list(args)
        return runner.invoke(cli, argv, input=input, env=env, catch_exceptions=False, prog_name="phonebank")

    return run


@pytest.fixture
def campaign_url() -> Iterator[str]:
    """The organizer's URL of a fresh, empty campaign database on the test server (tests/pg.py: skipped, or
    under CI failed, without one), dropped after the test."""
    import pg

    name, url = pg.campaign_database()
    yield url
    pg.drop_database(name)


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The hostile suites' workspace (``hostilekit.make_template``), made once a module; every case runs in
    a copy. When the module is done, the suites' counts go into the figures printed at the end."""
    from hostilekit import make_template, record_figures

    yield make_template(tmp_path_factory.mktemp("hostile-template") / "ws")
    record_figures()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the figures the promise suites recorded (concurrency, crash, bad input, security)."""
    import figures

    if figures.FIGURES:
        terminalreporter.section("promise suites: figures")
        for suite, text in sorted(figures.FIGURES.items()):
            terminalreporter.write_line(f"{suite}: {text}")
