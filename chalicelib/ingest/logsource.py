"""Open a CI log from a path, bytes or an S3 body and stream it as decompressed blocks.

Plain text, gzip and the zip archive GitHub Actions serves for a run's logs are recognised by
their magic bytes. Decompressed output is capped, so a compression bomb fails with a clear
error before anything is written.
"""

from __future__ import annotations

import io
import itertools
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, BinaryIO

from chalicelib.errors import LogReadError, PayloadTooLargeError

BLOCK_SIZE = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
# A zip must be seekable; an unseekable S3 body is spooled, in memory up to this size.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _capped(blocks: Iterable[bytes], name: str, max_bytes: int) -> Iterator[bytes]:
    total = 0
    for block in blocks:
        total += len(block)
        if total > max_bytes:
            raise PayloadTooLargeError(
                f"{name}: decompressed log is larger than the limit of {max_bytes} bytes "
                "(MAX_LOG_BYTES); refusing it as a possible compression bomb"
            )
        yield block


def _read_blocks(stream: IO[bytes], first: bytes = b"", size: int = 0) -> Iterator[bytes]:
    """Yield ``first``, then the blocks ``stream`` reads until its end.

    With the ``size`` left known, no read asks for more than is left: a read allocates what it
    asks for, then shrinks it to what it got.
    """
    if first:
        yield first
    left = size
    while True:
        block = stream.read(min(BLOCK_SIZE, left) if left > 0 else BLOCK_SIZE)
        if not block:
            return
        left -= len(block)
        yield block


def _gunzip(blocks: Iterable[bytes], name: str) -> Iterator[bytes]:
    # wbits=47 accepts gzip and zlib headers; a fresh object per member reads concatenated gzip.
    decomp = zlib.decompressobj(wbits=47)
    in_member = False
    for block in blocks:
        data = block if in_member else block.lstrip(b"\x00")
        while data:
            in_member = True
            try:
                # max_length bounds each output, so a bomb never sits in memory at once.
                out = decomp.decompress(data, BLOCK_SIZE)
            except zlib.error as exc:
                raise LogReadError(f"{name}: corrupt gzip data ({exc})") from exc
            if out:
                yield out
            if not decomp.eof:
                data = decomp.unconsumed_tail
                continue
            # Zero padding may follow the last member.
            data = decomp.unused_data.lstrip(b"\x00")
            decomp = zlib.decompressobj(wbits=47)
            in_member = False
    if in_member:
        raise LogReadError(f"{name}: truncated gzip data")


def _zip_member_order(info: zipfile.ZipInfo) -> tuple[str, int, str]:
    folder, _, leaf = info.filename.rpartition("/")
    number, _, _ = leaf.partition("_")
    return (folder, int(number) if number.isdigit() else 1 << 30, leaf)


def _job_name(leaf: str) -> str:
    """A whole-job file's job: "0_test (3.11).txt" -> "test (3.11)"."""
    number, _, rest = leaf.partition("_")
    base = rest if number.isdigit() and rest else leaf
    return base[: -len(".txt")] if base.endswith(".txt") else base


def _run_archive_files(members: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Which files of a run archive hold each job's log, in order.

    GitHub's run archive holds a whole-job file at the top ("0_build.txt") and a folder per job
    ("build/"), with one file per step ("build/2_Run tests.txt") or, in the layout served today,
    only "build/system.txt". A job's step files carry the step names, so they are preferred; a job
    whose folder holds no step file is read from its whole-job file. Any other archive is read
    file by file.
    """
    folders: dict[str, list[zipfile.ZipInfo]] = {}
    top: list[zipfile.ZipInfo] = []
    for info in members:
        folder = info.filename.rpartition("/")[0]
        if folder:
            folders.setdefault(folder, []).append(info)
        else:
            top.append(info)
    steps = {
        folder: [i for i in files if i.filename.rpartition("/")[2].partition("_")[0].isdigit()]
        for folder, files in folders.items()
    }
    chosen: list[zipfile.ZipInfo] = []
    for info in sorted(top, key=_zip_member_order):
        job = _job_name(info.filename)
        chosen.extend(sorted(steps.pop(job, []), key=_zip_member_order) or [info])
        folders.pop(job, None)
    for folder in sorted(folders):
        chosen.extend(sorted(steps.get(folder) or folders[folder], key=_zip_member_order))
    return chosen


def _unzip(seekable: BinaryIO, name: str) -> Iterator[bytes]:
    try:
        archive = zipfile.ZipFile(seekable)
    except zipfile.BadZipFile as exc:
        raise LogReadError(f"{name}: corrupt zip archive ({exc})") from exc
    with archive:
        chosen = _run_archive_files([i for i in archive.infolist() if not i.is_dir()])
        for info in chosen:
            yield f"===== {info.filename} =====\n".encode()
            last = b"\n"
            try:
                with archive.open(info) as member:
                    for block in _read_blocks(member):
                        last = block
                        yield block
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise LogReadError(f"{name}: corrupt zip member {info.filename} ({exc})") from exc
            if not last.endswith(b"\n"):
                yield b"\n"


# How much of a log decides how its lines end.
_LINE_END_SAMPLE = 64 * 1024


def _carriage_return_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The blocks as they are, unless the log ends its lines with a bare carriage return (its
    first 64 KiB hold "\r" and no "\n": classic Mac line ends, some Windows tools): then each
    "\r" ends a line, as an editor shows it, instead of the whole log being one line redrawn over
    and over. Progress redraws inside newline-ended lines are left to the excerpt's cleaning."""
    stream = iter(blocks)
    head: list[bytes] = []
    seen = 0
    for block in stream:
        head.append(block)
        seen += len(block)
        if b"\n" in block or seen >= _LINE_END_SAMPLE:
            break
    if not any(b"\r" in block for block in head) or any(b"\n" in block for block in head):
        yield from head
        yield from stream
        return
    carry = False
    for block in itertools.chain(head, stream):
        data = b"\r" + block if carry else block
        carry = data.endswith(b"\r")
        if carry:
            data = data[:-1]
        yield data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if carry:
        yield b"\n"


def iter_log_blocks(stream: IO[bytes], name: str, max_bytes: int) -> Iterator[bytes]:
    """Yield the decompressed bytes of the log in ``stream`` as blocks (a log whose lines end in
    a bare carriage return with them ending in newlines).

    Raises LogReadError for a corrupt archive and PayloadTooLargeError when the decompressed
    size passes ``max_bytes``.
    """
    return _carriage_return_lines(_log_blocks(stream, name, max_bytes))


def _log_blocks(stream: IO[bytes], name: str, max_bytes: int) -> Iterator[bytes]:
    head = stream.read(4)
    if head.startswith(_GZIP_MAGIC):
        return _capped(_gunzip(_read_blocks(stream, head), name), name, max_bytes)
    if head.startswith(_ZIP_MAGIC):
        if stream.seekable():
            stream.seek(0)
            return _capped(_unzip(stream, name), name, max_bytes)  # type: ignore[arg-type]
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
        spool.write(head)
        for block in _read_blocks(stream):
            spool.write(block)
        spool.seek(0)
        return _capped(_unzip(spool, name), name, max_bytes)  # type: ignore[arg-type]
    if stream.seekable():
        # Read from the start again rather than yield the 4 bytes on their own: a first block
        # that ends in a newline reaches the scan without being copied (logscan.complete_lines).
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return _capped(_read_blocks(stream, size=size), name, max_bytes)
    return _capped(_read_blocks(stream, head), name, max_bytes)


def iter_bytes_blocks(data: bytes, name: str, max_bytes: int) -> Iterator[bytes]:
    """Like iter_log_blocks, for a log already in memory (an API request body)."""
    return iter_log_blocks(io.BytesIO(data), name, max_bytes)


def iter_file_blocks(path: str, max_bytes: int) -> Iterator[bytes]:
    """Stream the log at ``path``; raises LogReadError naming the file when it can't be opened."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise LogReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc

    def generate() -> Iterator[bytes]:
        with handle:
            yield from iter_log_blocks(handle, path, max_bytes)

    return generate()


class TimeBoundBlocks:
    """A block source read until a deadline (None: no limit): the first pass stops at the first
    block that starts after ``deadline`` (what was read stays), and every later pass yields exactly the bytes the
    first one read, so the excerpt's second pass sees the same log. ``read_bytes`` is set once
    the first pass stopped early."""

    def __init__(
        self, blocks: Callable[[], Iterable[bytes]], deadline: float | None, clock: Callable[[], float]
    ) -> None:
        self._blocks, self._deadline, self._clock = blocks, deadline, clock
        self._passes = 0
        self.read_bytes: int | None = None

    def __call__(self) -> Iterator[bytes]:
        self._passes += 1
        return self._first() if self._passes == 1 else self._again()

    def _first(self) -> Iterator[bytes]:
        read = 0
        deadline = self._deadline
        for block in self._blocks():
            if read and deadline is not None and self._clock() > deadline:
                self.read_bytes = read
                return
            read += len(block)
            yield block

    def _again(self) -> Iterator[bytes]:
        left = self.read_bytes
        for block in self._blocks():
            if left is not None:
                if left <= 0:
                    return
                block = block[:left]
                left -= len(block)
            yield block
