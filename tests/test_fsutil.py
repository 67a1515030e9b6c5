"""fsutil.durable_append: the one append every append-only file goes through (results, roster,
do-not-call list) — private, header once, whole lines only, torn tails of any length set aside."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from phonebank import fsutil
from phonebank.fsutil import append_columns, complete_bytes, durable_append, torn_path

HEADER = b"a,b,c\n"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_is_private_and_starts_with_the_header_once(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "new" / "f.csv"
    durable_append(path, b"1,2,3\n", HEADER)
    durable_append(path, b"4,5,6\n7,8,9\n", HEADER)
    assert path.read_bytes() == HEADER + b"1,2,3\n4,5,6\n7,8,9\n"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert not torn_path(path).exists()


def test_data_and_header_must_be_whole_lines(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        durable_append(tmp_path / "f.csv", b"1,2,3", HEADER)
    with pytest.raises(ValueError):
        durable_append(tmp_path / "f.csv", b"1,2,3\n", b"a,b,c")
    assert not (tmp_path / "f.csv").exists()


def test_short_torn_tail_is_moved_aside_not_kept_as_a_row(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER + b"1,2,3\n4,5")
    durable_append(path, b"7,8,9\n", HEADER)
    assert path.read_bytes() == HEADER + b"1,2,3\n7,8,9\n"
    assert torn_path(path).read_bytes() == b"4,5\n"
    assert mode(torn_path(path)) == 0o600


@pytest.mark.parametrize("length", [(1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 * (1 << 16) + 17, 1_000_000])
def test_torn_tail_of_any_length_is_moved_aside_whole(tmp_path: Path, length: int) -> None:
    """The fragment may be longer than one 64 KiB scan chunk: earlier whole rows never move."""
    path = tmp_path / "f.csv"
    rows = b"".join(b"%d,x,y\n" % i for i in range(5000))  # ~50 KB of whole rows before the tear
    fragment = b"z" * length
    path.write_bytes(HEADER + rows + fragment)
    durable_append(path, b"new,row,here\n", HEADER)
    assert path.read_bytes() == HEADER + rows + b"new,row,here\n"
    assert torn_path(path).read_bytes() == fragment + b"\n"


def test_no_newline_at_all_sets_the_whole_file_aside_and_writes_the_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b")  # a first write (header and row) killed after three bytes
    durable_append(path, b"1,2,3\n", HEADER)
    assert path.read_bytes() == HEADER + b"1,2,3\n"
    assert torn_path(path).read_bytes() == b"a,b\n"


def test_no_newline_at_all_longer_than_a_chunk(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"q" * 200_000)
    durable_append(path, b"1,2,3\n", HEADER)
    assert path.read_bytes() == HEADER + b"1,2,3\n"
    assert torn_path(path).read_bytes() == b"q" * 200_000 + b"\n"


def test_torn_header_row_in_one_write_keeps_the_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER + b"1,2")  # header and first row in one write, torn after the header
    durable_append(path, b"4,5,6\n", HEADER)
    assert path.read_bytes() == HEADER + b"4,5,6\n"
    assert torn_path(path).read_bytes() == b"1,2\n"


def test_torn_fragments_accumulate_in_the_side_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    durable_append(path, b"1,2,3\n", HEADER)
    for frag in (b"first", b"second"):
        with open(path, "ab") as fh:
            fh.write(frag)
        durable_append(path, b"4,5,6\n", HEADER)
    assert path.read_bytes() == HEADER + b"1,2,3\n4,5,6\n4,5,6\n"
    assert torn_path(path).read_bytes() == b"first\nsecond\n"


def test_short_write_cuts_the_file_back_and_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full mid-write: the caller hears OSError and no half row stays in the file."""
    path = tmp_path / "f.csv"
    durable_append(path, b"1,2,3\n", HEADER)
    real_write = os.write

    def half_write(fd: int, data) -> int:
        return real_write(fd, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(fsutil.os, "write", half_write)
    with pytest.raises(OSError):
        durable_append(path, b"4,5,6,7,8,9,10\n", HEADER)
    monkeypatch.undo()
    assert path.read_bytes() == HEADER + b"1,2,3\n"


def test_failed_fsync_cuts_the_file_back_and_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.csv"
    durable_append(path, b"1,2,3\n", HEADER)

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fsutil.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        durable_append(path, b"4,5,6\n", HEADER)
    monkeypatch.undo()
    assert path.read_bytes() == HEADER + b"1,2,3\n"


def test_complete_bytes_leaves_out_an_unterminated_last_line_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    assert complete_bytes(path) is None
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + b"1,2,3\n4,5")
    assert complete_bytes(path) == HEADER + b"1,2,3\n"
    path.write_bytes(b"a,b")
    assert complete_bytes(path) == b""


def test_append_columns_follows_the_existing_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    cols = ("phone", "added_at", "source", "reason", "row_id")
    assert append_columns(path, cols) == list(cols)
    path.write_bytes(b"phone,added_a")  # no complete header yet: ours will be written
    assert append_columns(path, cols) == list(cols)
    path.write_bytes(b"\xef\xbb\xbfphone,added_at,source,reason\n")
    assert append_columns(path, cols) == ["phone", "added_at", "source", "reason", "row_id"]
    path.write_bytes(b"Note, phone\n")
    assert append_columns(path, cols) == ["Note", "phone", "added_at", "source", "reason", "row_id"]


def test_long_fields_are_readable_after_import(tmp_path: Path) -> None:
    import phonebank.dnc  # noqa: F401  (importing a reader raises the limit)

    assert csv.field_size_limit() >= fsutil.CSV_FIELD_LIMIT
    field = "x" * 300_000
    rows = list(csv.reader([f"a,{field}\n"]))
    assert rows == [["a", field]]


@pytest.mark.parametrize("with_libc", [True, False])
def test_start_writeback_flushes_and_leaves_the_file_as_written(tmp_path: Path, monkeypatch, with_libc: bool) -> None:
    """Asked after each part of a big file: what is buffered reaches the file, nothing is lost or moved, and
    writing goes on where it was (without glibc's sync_file_range, it only flushes)."""
    from phonebank import fsutil, memory

    fsutil._sync_file_range.cache_clear()
    if not with_libc:
        monkeypatch.setattr(memory, "libc", lambda: None)
    try:
        path = tmp_path / "big.bin"
        with open(path, "wb") as fh:
            fh.write(b"a" * 70_000)
            fsutil.start_writeback(fh)
            assert path.read_bytes() == b"a" * 70_000  # flushed: another reader sees it
            fh.write(b"b" * 10)
            fsutil.start_writeback(fh)
        assert path.read_bytes() == b"a" * 70_000 + b"b" * 10
        assert (fsutil._sync_file_range() is not None) == (with_libc and memory.libc() is not None)
    finally:
        fsutil._sync_file_range.cache_clear()
