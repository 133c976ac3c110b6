"""File primitives for FileStore: whole-file reads and atomic, copy-free writes.

A record is written to a hidden temporary file in its own folder and then
renamed over the final name with ``os.replace``. The rename is atomic, so a
reader sees the old record or the new one, whole; a process killed at any
moment leaves at most a stray ``.*.tmp`` file, which readers never open and
``FileStore.gc``/``list`` delete once it is old. ``fsync`` (off by default)
additionally makes the record survive a power loss or kernel crash.

The raw ``os`` calls (no buffered file objects) keep a small read or write at
a few system calls: this is the hot path of every cached rerun.
"""

from __future__ import annotations

import errno
import itertools
import mmap
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from .format import Buffer, Seal

TEMP_SUFFIX = ".tmp"
_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | _BINARY
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY
_IOV_MAX = 1024  # Linux and macOS limit on buffers per writev call
WRITE_PIECE = 16 << 20
HASH_PIECE = 16 << 20  # a large payload is hashed in pieces of this size, beside the write
PREALLOCATE_MIN = 8 << 20  # records from this size get their disk blocks reserved before the write
_counter = itertools.count()
HELPER_MIN = 32 << 20  # payloads from this size are hashed by a helper thread while a CPU is free
# libc's fallocate, looked up at the first large write (Linux): (fd, size) -> errno; False: there is none
_fallocate: Callable[[int, int], int] | Literal[False] | None = None


def fsync_from_env() -> bool:
    """Whether FUSEFLOW_FSYNC asks for power-loss safety (1/true/yes/on)."""
    return os.environ.get("FUSEFLOW_FSYNC", "").strip().lower() in {"1", "true", "yes", "on"}


def read_file(path: str, offset: int = 0) -> tuple[bytearray, int]:
    """The whole file (from ``offset``) in a fresh writable buffer, and its inode number."""
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        size = max(0, info.st_size - offset)
        buf = bytearray(size)
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        got = os.readv(fd, [buf]) if size else 0
        if got < size:
            _read_rest(fd, memoryview(buf)[got:])
    finally:
        os.close(fd)
    return buf, info.st_ino


def _read_rest(fd: int, view: memoryview) -> None:
    """Fill ``view`` (reads return at most ~2 GiB at a time); zeros stay if the file ends early."""
    while view:
        got = os.readv(fd, [view])
        if not got:
            return
        view = view[got:]


def temp_path(directory: str, name: str) -> str:
    """A hidden name unique to this process and call, in ``directory``."""
    return f"{directory}/.{name}.{os.getpid()}.{next(_counter)}{TEMP_SUFFIX}"


def is_temp(name: str) -> bool:
    return name[:1] == "." and name.endswith(TEMP_SUFFIX)


def write_atomic(tmp: str, path: str, chunks: Sequence[Buffer], fsync: bool) -> None:
    """Write ``chunks`` to ``tmp`` and rename it to ``path``; no partial ``path`` ever."""
    fd = os.open(tmp, _CREATE_FLAGS, 0o666)
    try:
        try:
            write_all(fd, chunks)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise


def write_all(fd: int, chunks: Sequence[Buffer]) -> None:
    """One ``writev`` for the usual case; a loop when the kernel writes less.

    Buffers over WRITE_PIECE are handed over in pieces of that size: Linux
    takes a single 400 MB iovec several times slower than 25 of 16 MB.
    """
    if any(len(c) > WRITE_PIECE for c in chunks):
        chunks = _pieces(chunks)
    written = os.writev(fd, chunks) if len(chunks) <= _IOV_MAX else 0
    if written != sum(map(len, chunks)):
        _write_rest(fd, chunks, written)


def _pieces(chunks: Sequence[Buffer], size: int = 0) -> list[Buffer]:
    size = size or WRITE_PIECE
    out: list[Buffer] = []
    for chunk in chunks:
        if len(chunk) <= size:
            out.append(chunk)
            continue
        shaped = isinstance(chunk, memoryview) and chunk.format != "B"
        view = memoryview(chunk).cast("B") if shaped else memoryview(chunk)
        out.extend(view[i : i + size] for i in range(0, len(view), size))
    return out


def _write_rest(fd: int, chunks: Sequence[Buffer], skip: int) -> None:
    for chunk in chunks:
        view = memoryview(chunk)
        if skip >= len(view):
            skip -= len(view)
            continue
        view, skip = view[skip:], 0
        while view:
            view = view[os.write(fd, view) :]


def fsync_dir(path: str) -> None:
    """Make a rename or a new entry in ``path`` durable (POSIX; a no-op elsewhere)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unlink_quietly(path: str) -> bool:
    """Remove a file; False when it was already gone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def scandir(path: str) -> Iterator[os.DirEntry[str]]:
    """The entries of ``path``; none when it does not exist (or was just removed)."""
    try:
        with os.scandir(path) as entries:
            yield from entries
    except (FileNotFoundError, NotADirectoryError):
        return


def subdirs(path: str) -> list[str]:
    """Names of the visible sub-folders of ``path``, sorted."""
    return sorted(e.name for e in scandir(path) if e.name[:1] != "." and e.is_dir())


def remove_tree(path: str) -> None:
    """Remove a folder and what it holds, as far as possible (rm -rf)."""
    import shutil  # deferred: removing a tree is rare, and shutil would load on every start

    shutil.rmtree(path, ignore_errors=True)


def remove_if_stale(entry: os.DirEntry[str], max_age: float) -> bool:
    """Remove a leftover temp file or folder older than ``max_age`` seconds."""
    try:
        if entry.stat(follow_symlinks=False).st_mtime > time.time() - max_age:
            return False
        if entry.is_dir(follow_symlinks=False):
            remove_tree(entry.path)
            return True
        return unlink_quietly(entry.path)
    except FileNotFoundError:
        return False


def write_record_atomic(tmp: str, path: str, name: str, buffers: Sequence[Buffer], fsync: bool,
                        context: bytes = b"") -> None:
    """Write a whole record (header + payload) to ``tmp`` and rename it to ``path``.

    The payload is written straight from ``buffers`` and hashed on the way
    (``_write_hashed``); the header, whose digest is known only at the end,
    goes in last (the temp file is nobody else's until the rename).
    ``context``: the record's address, which its digest covers (format.py).
    """
    total = sum(map(len, buffers))
    seal = Seal(name, total, context)
    fd = os.open(tmp, _CREATE_FLAGS, 0o666)
    try:
        try:
            if total >= PREALLOCATE_MIN:
                preallocate(fd, seal.size + total)
            _write_hashed(fd, bytes(seal.size), buffers, seal.update)
            os.pwrite(fd, seal.header(), 0)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise


def preallocate(fd: int, size: int) -> None:
    """Reserve the disk blocks of a file about to get ``size`` bytes (Linux; elsewhere nothing).

    ``fallocate`` with FALLOC_FL_KEEP_SIZE, as ``np.save`` does before it
    writes: the size stays 0 until the data is written, and ext4 then skips
    its per-page delayed-allocation bookkeeping, which made a 400 MB write
    about 30% slower here (0.14 s against 0.095 s). A filesystem that cannot
    preallocate (NFS, ZFS, ...) is written as before; a disk too full fails
    here, before anything is written.
    """
    global _fallocate
    if _fallocate is None:
        _fallocate = _find_fallocate()
    if _fallocate and _fallocate(fd, size) == errno.ENOSPC:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _find_fallocate() -> Callable[[int, int], int] | Literal[False]:
    """A function (fd, size) -> errno (0: done) calling the C library's fallocate; False if none."""
    if not sys.platform.startswith("linux") or sys.maxsize <= 2**32:
        return False
    try:
        import ctypes  # deferred: only on Linux, once, to find the C library's fallocate

        function = ctypes.CDLL(None, use_errno=True).fallocate
    except (ImportError, OSError, AttributeError):
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int

    def reserve(fd: int, size: int) -> int:
        return ctypes.get_errno() if function(fd, 1, 0, size) else 0  # 1: FALLOC_FL_KEEP_SIZE

    return reserve


def _write_hashed(fd: int, head: bytes, buffers: Sequence[Buffer], update: Callable[[Buffer], None]) -> None:
    """Write ``head`` and then the payload, feeding the payload to ``update`` (a digest) in order.

    Hashing reads every byte once more, from memory: about 0.03 s of CPU
    for 400 MB here with XXH3, 0.07 s with a keyed BLAKE3, against 0.11 s
    for the write. (The kernel's copy into the page cache does not leave
    the data in the CPU cache: hashing a piece right after writing it runs
    no faster than hashing it cold.) So for a large payload, with two CPUs
    or more, a helper thread hashes it while the writer writes it, in
    pieces that the hash runs on without the GIL; the digest then costs no
    time while a CPU is free. With no CPU free (one CPU, or all busy with
    other work when the save starts) the writer hashes each piece after
    writing it: a helper would only take CPU time from the writer.
    """
    if sum(map(len, buffers)) < HELPER_MIN:  # a thread would cost more than it hides
        for buf in buffers:
            update(buf)
        write_all(fd, [head, *buffers])
    elif _a_cpu_is_free():
        _write_beside_a_hasher(fd, head, buffers, update)
    else:
        _write_then_hash_each_piece(fd, head, buffers, update)


def _write_beside_a_hasher(fd: int, head: bytes, buffers: Sequence[Buffer], update: Callable[[Buffer], None]) -> None:
    hasher = _Hasher(buffers, update)
    try:
        write_all(fd, [head, *buffers])
    except BaseException:
        hasher.stop()
        raise
    hasher.result()


def _write_then_hash_each_piece(fd: int, head: bytes, buffers: Sequence[Buffer],
                                update: Callable[[Buffer], None]) -> None:
    write_all(fd, [head])
    for piece in _pieces_of(buffers, HASH_PIECE):
        write_all(fd, piece)
        for view in piece:
            update(view)


class _Hasher:
    """A thread feeding a payload's pieces to a digest, for ``_write_hashed``."""

    def __init__(self, buffers: Sequence[Buffer], update: Callable[[Buffer], None]) -> None:
        self.buffers, self.update = buffers, update
        self.failure: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="fuseflow-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for piece in _pieces_of(self.buffers, HASH_PIECE):
                if self.stopped:
                    return
                for view in piece:
                    self.update(view)
        except BaseException as exc:  # raised in the writer's thread by result()
            self.failure = exc

    def result(self) -> None:
        """Wait until the whole payload is hashed; raises what the thread raised."""
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def stop(self) -> None:
        """After a failed write: stop at the next piece and wait, so no buffer is read afterwards."""
        self.stopped = True
        self.thread.join()


def _cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _a_cpu_is_free() -> bool:
    """Whether fewer tasks are running than this process has CPUs, itself included.

    Read from Linux's /proc/loadavg (the running count, not the average);
    where it is unknown, any second CPU counts as free.
    """
    cores = _cores()
    return cores > 1 and (_running_tasks() or 1) < cores


def _running_tasks() -> int | None:
    """How many tasks are running or ready to run right now, the caller included (None: unknown)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def _pieces_of(buffers: Sequence[Buffer], size: int) -> Iterator[list[memoryview]]:
    """The concatenated buffers as lists of views of ``size`` bytes each (the last one shorter)."""
    piece: list[memoryview] = []
    room = size
    for buf in buffers:
        view = memoryview(buf)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        while len(view) >= room:
            piece.append(view[:room])
            yield piece
            view, piece, room = view[room:], [], size
        if view:
            piece.append(view)
            room -= len(view)
    if piece:
        yield piece


def map_file(path: str) -> tuple[memoryview, int]:
    """A private, writable memory map of the whole file, and its inode number.

    Pages are read from the page cache as they are touched, and writes to
    them stay in this process (copy-on-write), like a freshly read buffer.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        if not info.st_size:
            return memoryview(bytearray()), info.st_ino
        mapped = mmap.mmap(fd, info.st_size, access=mmap.ACCESS_COPY)
    finally:
        os.close(fd)
    if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_SEQUENTIAL"):
        mapped.madvise(mmap.MADV_SEQUENTIAL)
    return memoryview(mapped), info.st_ino
