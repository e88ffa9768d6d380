from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from chalicelib.errors import LogReadError, PayloadTooLargeError
from chalicelib.ingest.logsource import (
    TimeBoundBlocks,
    _carriage_return_lines,
    iter_bytes_blocks,
    iter_file_blocks,
    iter_log_blocks,
)
from tests.support.logs import excerpt_of


class Unseekable(io.RawIOBase):
    """Like an S3 StreamingBody: read() only."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def read_all(data: bytes, limit: int = 10**9) -> bytes:
    return b"".join(iter_bytes_blocks(data, "log", limit))


def test_plain_text_passes_through() -> None:
    assert read_all(b"a\nb\n") == b"a\nb\n"


def test_a_small_plain_log_comes_as_one_block() -> None:
    # Not its first 4 bytes apart: a block that ends at a newline reaches the scan uncopied.
    assert list(iter_bytes_blocks(b"$ make\nerror: boom\n", "log", 1000)) == [b"$ make\nerror: boom\n"]
    unseekable = io.BufferedReader(io.BytesIO(b"$ make\n"))
    unseekable.seekable = lambda: False  # type: ignore[method-assign]
    assert b"".join(iter_log_blocks(unseekable, "log", 1000)) == b"$ make\n"


class RecordingReader(io.BytesIO):
    """A seekable stream that notes the size of each read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_reads_of_a_seekable_log_ask_for_no_more_than_is_left() -> None:
    data = b"error: x\n" * (5 * (1 << 20) // 18)  # 2.5 MiB
    stream = RecordingReader(data)
    assert b"".join(iter_log_blocks(stream, "log", 1 << 30)) == data
    mib = 1 << 20
    assert stream.asked == [4, mib, mib, len(data) - 2 * mib, mib]  # the magic, three blocks, the end


def test_gzip_including_concatenated_members_and_padding() -> None:
    data = gzip.compress(b"first\n" * 300_000) + gzip.compress(b"second\n") + b"\x00" * 16
    out = read_all(data)
    assert out.count(b"first\n") == 300_000 and out.endswith(b"second\n")


def test_gzip_from_unseekable_stream() -> None:
    out = b"".join(iter_log_blocks(Unseekable(gzip.compress(b"x\n" * 10)), "s3://b/k", 10**6))  # type: ignore[arg-type]
    assert out == b"x\n" * 10


def test_truncated_gzip_is_a_clear_error() -> None:
    with pytest.raises(LogReadError, match="truncated gzip"):
        read_all(gzip.compress(b"hello\n" * 10_000)[:-40])


def test_corrupt_gzip_is_a_clear_error() -> None:
    with pytest.raises(LogReadError, match="corrupt gzip"):
        read_all(b"\x1f\x8b\x08\x00" + b"garbage" * 20)


def test_gzip_bomb_stops_at_the_limit_without_inflating_it_all() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    with pytest.raises(PayloadTooLargeError, match="compression bomb"):
        read_all(bomb, limit=1024 * 1024)


def test_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("build/1_Run.txt", b"A" * (20 * 1024 * 1024))
    with pytest.raises(PayloadTooLargeError):
        read_all(buffer.getvalue(), limit=1024 * 1024)


def test_github_run_archive_reads_steps_in_order_with_headers() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("0_build.txt", "whole job, duplicated\n")
        archive.writestr("build/10_Post job cleanup.txt", "cleanup\n")
        archive.writestr("build/2_Run tests.txt", "FAILED x\n")
        archive.writestr("build/1_Set up job.txt", "setup")
    out = b"".join(iter_log_blocks(Unseekable(buffer.getvalue()), "run.zip", 10**6))  # type: ignore[arg-type]
    assert out.decode().splitlines() == [
        "===== build/1_Set up job.txt =====",
        "setup",
        "===== build/2_Run tests.txt =====",
        "FAILED x",
        "===== build/10_Post job cleanup.txt =====",
        "cleanup",
    ]


def test_corrupt_zip_is_a_clear_error() -> None:
    with pytest.raises(LogReadError, match="corrupt zip"):
        read_all(b"PK\x03\x04" + b"\x00" * 50)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    with pytest.raises(LogReadError, match=str(missing)):
        list(iter_file_blocks(str(missing), 100))


@pytest.mark.parametrize("size", [1, 7, 1 << 20])
def test_a_log_whose_lines_end_in_a_bare_carriage_return_is_read_line_by_line(size: int) -> None:
    lines = [b"step %d ok" % i for i in range(50)] + [b"Error: boom"]
    raw = b"\r".join(lines) + b"\r"
    blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert b"".join(_carriage_return_lines(blocks)) == b"\n".join(lines) + b"\n"
    assert b"".join(iter_bytes_blocks(gzip.compress(raw), "log.gz", 1 << 20)) == b"\n".join(lines) + b"\n"


def test_progress_redraws_in_an_ordinary_log_are_left_to_the_excerpt() -> None:
    data = b"Downloading 10%\r50%\r100%\nError: boom\n"
    assert b"".join(_carriage_return_lines([data])) == data
    assert b"".join(iter_bytes_blocks(data, "log", 1 << 20)) == data


def test_the_excerpt_of_a_carriage_return_log_shows_its_error_on_its_own_line() -> None:
    raw = b"\r".join([b"step %d ok" % i for i in range(300)] + [b"Error: boom"] + [b"tail %d" % i for i in range(20)])
    excerpt = excerpt_of(raw)
    assert excerpt.total_lines == 321 and (301, "Error: boom") in excerpt.lines


class Ticks:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_reading_stops_at_the_deadline_and_every_pass_reads_the_same_bytes() -> None:
    blocks = [b"block %d\n" % i * 100 for i in range(10)]
    bounded = TimeBoundBlocks(lambda: iter(blocks), 3.5, Ticks())
    first = b"".join(bounded())
    assert first == b"".join(blocks[:4]) and bounded.read_bytes == len(first)
    assert b"".join(bounded()) == first and b"".join(bounded()) == first


def test_without_a_deadline_everything_is_read() -> None:
    blocks = [b"a\n" * 10, b"b\n" * 10]
    bounded = TimeBoundBlocks(lambda: iter(blocks), None, Ticks())
    assert b"".join(bounded()) == b"".join(blocks) and bounded.read_bytes is None


def test_a_run_archive_whose_job_folders_hold_only_system_txt_is_read_from_the_whole_job_files() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("0_lint.txt", "ruff check .\nAll checks passed!\n")
        archive.writestr("1_test (3.11).txt", "pytest\nE   assert 500 == 200\n")
        archive.writestr("lint/system.txt", "runner info\n")
        archive.writestr("test (3.11)/system.txt", "runner info\n")
    out = b"".join(iter_log_blocks(Unseekable(buffer.getvalue()), "run.zip", 10**6))  # type: ignore[arg-type]
    assert out.decode().splitlines() == [
        "===== 0_lint.txt =====",
        "ruff check .",
        "All checks passed!",
        "===== 1_test (3.11).txt =====",
        "pytest",
        "E   assert 500 == 200",
    ]


def test_a_run_archive_of_both_layouts_prefers_step_files_and_keeps_every_job() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("0_build.txt", "whole build job\n")
        archive.writestr("1_deploy.txt", "whole deploy job\n")
        archive.writestr("build/1_Set up job.txt", "setup\n")
        archive.writestr("build/2_Run make.txt", "make: *** [all] Error 2\n")
        archive.writestr("deploy/system.txt", "runner info\n")
        archive.writestr("notes/readme.txt", "extra\n")
    out = b"".join(iter_log_blocks(Unseekable(buffer.getvalue()), "run.zip", 10**6))  # type: ignore[arg-type]
    assert [line for line in out.decode().splitlines() if line.startswith("=====")] == [
        "===== build/1_Set up job.txt =====",
        "===== build/2_Run make.txt =====",
        "===== 1_deploy.txt =====",
        "===== notes/readme.txt =====",
    ]
