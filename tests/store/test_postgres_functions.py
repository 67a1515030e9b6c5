"""The database's functions: each defined once, in store/sql/functions/ (the numbered migrations hold
tables, indexes and data only), applied by `db init` / `db migrate` whenever their text changed, and
`db status` says when the database's differ from this phonebank's."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from phonebank.cli import cli

SQL = Path(__file__).resolve().parents[2] / "phonebank" / "store" / "sql"
DEFINES = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+phonebank\.(\w+)\s*\(", re.I)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="phonebank")


def test_every_function_is_defined_once_and_no_migration_defines_one():
    defined: dict[str, list[str]] = {}
    for path in sorted(SQL.rglob("*.sql")):
        for name in DEFINES.findall(path.read_text()):
            defined.setdefault(name, []).append(path.relative_to(SQL).as_posix())
    assert defined, "no function found"
    twice = {name: where for name, where in defined.items() if len(where) > 1}
    assert not twice
    in_migrations = {name: where for name, where in defined.items() if not where[0].startswith("functions/")}
    assert not in_migrations
    granted = re.findall(r"phonebank\.(\w+)\(", (SQL / "functions" / "06_privileges.sql").read_text())
    assert set(granted) <= set(defined) and {"claim_next", "save_and_claim", "heartbeat"} <= set(granted)


def test_functions_that_differ_are_reported_and_brought_back_by_migrate(campaign_url):
    from phonebank.store import postgres

    assert run("--database", campaign_url, "db", "status").exit_code == 0
    with postgres.connect(campaign_url) as conn:  # an older phonebank's functions: one missing, another checksum
        conn.execute("DROP FUNCTION phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, timestamptz, "
                     "text, text[], int[])")
        conn.execute("UPDATE phonebank.function_set SET checksum = 'older'")
    status = run("--database", campaign_url, "db", "status")
    assert status.exit_code == 1
    assert "functions: differ from this phonebank's (run `phonebank db migrate`)" in status.stdout
    migrated = run("--database", campaign_url, "db", "migrate")
    assert migrated.exit_code == 0 and migrated.stdout.strip() == "Updated the calling functions"
    with postgres.connect(campaign_url) as conn:
        assert conn.execute("SELECT to_regprocedure('phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, "
                            "timestamptz, text, text[], int[])') IS NOT NULL").fetchone()[0]
        granted = conn.execute("SELECT has_function_privilege('phonebank_caller', 'phonebank.save_and_claim(text, "
                               "text[], text, bigint, int, jsonb, timestamptz, text, text[], int[])', 'EXECUTE')")
        assert granted.fetchone()[0]
    again = run("--database", campaign_url, "db", "status")
    assert again.exit_code == 0 and "functions: this phonebank's" in again.stdout
    assert run("--database", campaign_url, "db", "migrate").stdout.strip() == "Up to date: no migration to apply."
