"""`phonebank import SOURCE --list NAME`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import current_workspace, heavy_work, workspace_option


def _show_progress() -> bool:
    return sys.stderr.isatty()


@click.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--list", "-l", "list_name", required=True, metavar="NAME",
              help="Name of the call list to write: lists/NAME.csv.")
@click.option("--map", "-m", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Use a source column for a field (first_name, last_name, name, phone, cell_phone, "
                   "home_phone, work_phone, zip, city, state, language, age, party, van_id, pdi_id, "
                   "state_id, l2_id, voter_id, ignore). Repeatable.")
@click.option("--encoding", metavar="ENC", help="Text encoding (default: detected; UTF-8, UTF-16, cp1252).")
@click.option("--delimiter", metavar="D", help="Field delimiter: ',', ';', '|' or 'tab' (default: detected).")
@click.option("--replace", is_flag=True, help="Replace an existing list (results stay linked by voter ID).")
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@workspace_option
def import_(source: Path, list_name: str, maps: tuple[str, ...], encoding: str | None, delimiter: str | None,
            replace: bool, dry_run: bool) -> None:
    """Turn a voter-file export (VAN, PDI, state, L2, spreadsheet) into a call list.

    Writes lists/NAME.csv (canonical columns first, then every other source column) and
    lists/NAME.rejects.csv (rows that could not be used, with line number and reason). With a campaign
    database (--database URL, or PHONEBANK_DATABASE_URL) the list is also loaded there, for volunteers
    calling from home.
    """
    heavy_work()
    from ..fsutil import check_no_links
    from ..store import database_url
    from ..workspace import check_list_name

    check_list_name(list_name)
    check_options(maps, delimiter, encoding)
    ws = current_workspace()
    for path in (ws.list_path(list_name), ws.rejects_path(list_name)):
        check_no_links(path)  # a planted link is refused before anything is written, not half-way
    url = database_url(ws) if not dry_run else None
    if url:
        _import_into_database(ws, url, source, list_name, maps=maps, encoding=encoding, delimiter=delimiter,
                              replace=replace)
        return
    summary = _run(ws, source, list_name, maps=maps, encoding=encoding, delimiter=delimiter, replace=replace,
                   dry_run=dry_run)
    for line in summary.lines(ws.root):
        click.echo(line)
    if not dry_run:
        _prepare_for_calling(ws, list_name, summary.calling_rows)


# one printable ASCII character that is not a letter, digit, quote or space (or a tab): the readers split bytes
_DELIMITER_OK = {chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum() and chr(c) not in "\"'"} | {"\t"}


def check_options(maps: tuple[str, ...], delimiter: str | None, encoding: str | None = None) -> None:
    """Refuse option values the import cannot honour, before any file is read: an --encoding name that is
    not plain text, a --delimiter that is not one ASCII punctuation character (or tab), one field or one
    column given twice with --map."""
    from ..errors import UsageProblem
    from ..importer import aliases
    from ..importer.reading import DELIMITER_NAMES

    if encoding is not None and (not encoding.isascii() or not encoding.isprintable() or len(encoding) > 40):
        raise UsageProblem(f"unknown encoding {encoding!r} — use e.g. utf-8, utf-16, cp1252 or latin-1 (or leave "
                           "--encoding out)")
    if delimiter is not None and DELIMITER_NAMES.get(delimiter.lower(), delimiter) not in _DELIMITER_OK:
        raise UsageProblem(f"invalid --delimiter {delimiter!r} — use one character such as ',', ';', '|' or 'tab'")
    fields: dict[str, str] = {}
    columns: dict[str, str] = {}
    for column, target in aliases.parse_maps(maps):
        key = aliases.norm(column)
        if key in columns and columns[key] != target:
            raise UsageProblem(f"--map gives column {column!r} twice ({columns[key]} and {target}) — keep one")
        columns[key] = target
        if target in aliases.MULTI or target == "ignore":
            continue  # several phone columns (or ignored ones) are fine
        if target in fields and aliases.norm(fields[target]) != key:
            raise UsageProblem(f"--map gives field {target} two columns ({fields[target]!r} and {column!r}) — keep one")
        fields[target] = column


def _run(ws, source: Path, list_name: str, **options):
    from ..importer import run_import

    if _show_progress():
        with click.progressbar(length=100, label="Importing", file=sys.stderr) as bar:
            return run_import(ws, source, list_name, progress=lambda done: bar.update(max(0, round(100 * done) - bar.pos)),
                              **options)
    return run_import(ws, source, list_name, **options)


class _LoadFailed(Exception):
    """The database load failed after the list file was written."""


def _import_into_database(ws, url: str, source: Path, list_name: str, replace: bool, **options) -> None:
    """The list file and rejects as without a database, and the list loaded into the campaign database
    with COPY beside the file write (``pg_load``); a re-import keeps the voters' states and holds."""
    import hashlib
    import threading
    import time

    from ..errors import DataError, UsageProblem
    from ..fsutil import check_name
    from ..store import pg_load, postgres
    from .common import current_script

    check_name(list_name)
    script = current_script(ws)
    started = time.perf_counter()
    with postgres.connect(url) as conn, postgres.translated():
        if conn.execute("SELECT to_regclass('phonebank.lists')").fetchone()[0] is None:
            raise DataError(f"the database {postgres.redact(url)} has no phonebank schema — run `phonebank db init`")
        row = conn.execute("SELECT id FROM phonebank.lists WHERE name = %s", (list_name,)).fetchone()
        if row is not None and pg_load.partition_exists(conn, row[0]) and not replace:
            raise UsageProblem(f"list '{list_name}' already exists in the database — pass --replace to replace it "
                               "(saved calls stay linked by voter ID, holds are kept), or choose another --list name")
        with pg_load.ListLoad(conn, list_name, script) as load:

            def beside(table):
                failed: list[BaseException] = []

                def work() -> None:
                    try:
                        load.copy(table, unique_ids=True)  # the import rejected repeated voter IDs
                    except BaseException as exc:  # noqa: BLE001 - raised in the importing thread
                        failed.append(exc)

                thread = threading.Thread(target=work, daemon=True)
                thread.start()

                def wait():
                    thread.join()
                    if failed:
                        raise _LoadFailed(postgres._message(failed[0]))
                    return load.prepared

                return wait

            try:
                summary = _run(ws, source, list_name, replace=replace, beside=beside, **options)
            except _LoadFailed as exc:
                raise DataError(f"{ws.list_path(list_name)} is written, but loading it into the database failed "
                                f"({exc}) — run `phonebank db push --list {list_name}` to load it") from None
            for line in summary.lines(ws.root):
                click.echo(line)
            digest: list[str] = []
            hashing = threading.Thread(target=lambda: digest.append(_sha256(ws.list_path(list_name), hashlib)))
            hashing.start()
            def fingerprint() -> str:
                hashing.join()
                return digest[0]

            what = load.finish(fingerprint)
    click.echo(f"In the database {postgres.redact(url)}: list '{list_name}', {what}, in "
               f"{time.perf_counter() - started:.1f} s — ready for volunteers calling from home")


def _sha256(path: Path, hashlib) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _prepare_for_calling(ws, list_name: str, prepared) -> None:
    """Build the list's calling index now, so the first volunteer sees a voter at once. A failure here
    loses nothing (the list is written; the first `phonebank call` builds the index instead)."""
    import time

    from .. import clock
    from ..errors import PhonebankError
    from ..store.files import build_index
    from .common import current_script

    started = time.perf_counter()
    try:
        build_index(ws, current_script(ws), list_name, clock.now, prepared=prepared)
    except PhonebankError as exc:
        click.echo(f"Warning: the list is imported, but preparing it for calling failed ({exc}) — the first "
                   "`phonebank call` will prepare it", err=True)
        return
    click.echo(f"Ready for calling: the calling index of '{list_name}' was built in {time.perf_counter() - started:.1f} s")
