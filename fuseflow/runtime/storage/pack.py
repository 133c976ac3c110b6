"""Packs: many small results appended to one file, so a save creates no file.

Creating a file (a new inode) is what a small save costs on a real disk:
measured here on ext4, 150 us to over 1 ms for ``open(O_CREAT)`` or
``mkdir``, against about 2 us to append to a file that is already open and
20-40 us for a rename. So each process appends the small results it saves to
its own pack file, ``ROOT/<workflow>/.packs/<time>-<pid>-<random>.ffp``, one
``write`` per result; large results keep a file of their own, and get a
pack entry too, for their key's description (``meta``).

An entry, 16-byte aligned::

    offset  size  field
    0       4     magic b"FFP\\x1a"
    4       1     kind: 1 the record follows, 2 the record is the file <node>/<key>.ffr
    5       1     reserved, zero
    6       2     n = length of the node name
    8       2     k = length of the key
    10      2     reserved, zero
    12      4     m = length of the meta text (JSON, UTF-8)
    16      8     r = length of the record (0 for kind 2)
    24      8     time saved (POSIX seconds, float64)
    32      n+k+m node name, key, meta
            4     CRC32 of everything from offset 0 to here
            pad   zeros to a multiple of 16
            r     a whole record (format.py: its own header and CRC), then zeros to 16

Atomic visibility: an entry is written by one ``write`` call at the end of a
file only its own process writes (O_APPEND). A reader that meets an entry
running past the end of the file takes it as not written yet; the entry's
CRC and the record's CRC catch damage. After a crash or a failed write, a
torn entry is skipped: readers look for the next magic on a 16-byte boundary.
Entries are never changed in place; removing one rewrites its pack under a
new name (``compact``), so a reader's stale position fails cleanly (a miss).
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from . import fileio
from .format import Buffer, aligned

MAGIC = b"FFP\x1a"
INLINE, EXTERNAL = 1, 2
SUFFIX = ".ffp"
DIRNAME = ".packs"
ROTATE_AT = 64 << 20  # start a new pack past this size
CHECK_EVERY = 0.5  # seconds between checks that this process's pack still exists

_PREFIX = struct.Struct("<4sBxHHxxIQd")
_CRC = struct.Struct("<I")
FIXED = _PREFIX.size + _CRC.size  # 36


class Entry:
    """Where one result is: a pack and offset (INLINE) or the node folder (EXTERNAL)."""

    __slots__ = ("node", "key", "kind", "pack", "start", "offset", "length", "saved", "size", "meta")

    def __init__(self, node: str, key: str, kind: int, pack: str, start: int, offset: int, length: int,
                 saved: float, size: int, meta: bytes) -> None:
        self.node, self.key, self.kind, self.pack, self.start = node, key, kind, pack, start
        self.offset, self.length, self.saved, self.size, self.meta = offset, length, saved, size, meta

    def meta_dict(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.meta) if self.meta else None
        except ValueError:
            return None


def encode(kind: int, node: str, key: str, meta: bytes, record: list[Buffer], saved: float) -> list[Buffer]:
    """An entry as buffers for one writev: head (with padding), record buffers, tail padding."""
    bnode, bkey = node.encode(), key.encode()
    rlen = sum(map(len, record))
    head = _PREFIX.pack(MAGIC, kind, len(bnode), len(bkey), len(meta), rlen, saved) + bnode + bkey + meta
    head += _CRC.pack(zlib.crc32(head))
    head += bytes(aligned(len(head)) - len(head))
    if not rlen:
        return [head]
    return [head, *record, bytes(aligned(rlen) - rlen)]


def parse(data: bytearray, base: int, pack: str) -> tuple[list[Entry], int]:
    """Entries in ``data`` (a pack's bytes from file offset ``base``), and where parsing stopped.

    Stops before an entry that runs past the end (being written); skips
    damaged spans to the next magic on a 16-byte boundary.
    """
    entries: list[Entry] = []
    pos, end = 0, len(data)
    unpack, crc32, size_of_crc = _PREFIX.unpack_from, zlib.crc32, _CRC.unpack_from
    while pos + FIXED <= end:
        magic, kind, nlen, klen, mlen, rlen, saved = unpack(data, pos)
        names_end = pos + _PREFIX.size + nlen + klen + mlen
        if magic != MAGIC or kind not in (INLINE, EXTERNAL):
            pos = _next_magic(data, pos + 16)
            continue
        if names_end + 4 > end:
            break  # not written yet (or torn at the very end)
        head = data[pos:names_end]
        if crc32(head) != size_of_crc(data, names_end)[0]:
            pos = _next_magic(data, pos + 16)
            continue
        offset = aligned(names_end + 4)
        if offset + rlen > end:
            break
        size = offset - pos + aligned(rlen)
        node = head[_PREFIX.size : _PREFIX.size + nlen].decode("utf-8", "replace")
        key = head[_PREFIX.size + nlen : _PREFIX.size + nlen + klen].decode("utf-8", "replace")
        meta = bytes(head[_PREFIX.size + nlen + klen :])
        entries.append(Entry(node, key, kind, pack, base + pos, base + offset, rlen, saved, size, meta))
        pos += size
    return entries, min(pos, end)


def _next_magic(data: bytearray, pos: int) -> int:
    """The next 16-aligned offset at or after ``pos`` holding the magic; the end if none."""
    pos = aligned(pos)
    while True:
        found = data.find(MAGIC, pos)
        if found < 0:
            return len(data)
        if found % 16 == 0:
            return found
        pos = aligned(found)


class Writer:
    """This process's pack for one workflow folder: appends under a lock.

    A new pack is started after a fork (the child must not share the
    parent's file), past ROTATE_AT bytes, after a failed write (its tail
    may be torn), and when the pack was removed or compacted meanwhile.
    """

    def __init__(self, directory: str, fsync: bool) -> None:
        self.directory = directory  # the workflow folder; packs go in its .packs
        self.fsync = fsync
        self.lock = threading.Lock()
        self.fd = -1
        self.path = ""
        self.size = 0
        self.pid = 0
        self.checked = 0.0

    def append(self, buffers: list[Buffer]) -> tuple[str, int]:
        """Write one entry; (pack path, offset of the entry)."""
        total = sum(map(len, buffers))
        with self.lock:
            if self.fd < 0 or self.pid != os.getpid() or self.size >= ROTATE_AT or self._gone():
                self._open()
            offset = self.size
            try:
                fileio.write_all(self.fd, buffers)
                if self.fsync:
                    os.fsync(self.fd)
            except BaseException:
                self._close()
                raise
            self.size = offset + total
            return self.path, offset

    def _gone(self) -> bool:
        """Whether the pack was removed or compacted away (looked at most every CHECK_EVERY s)."""
        now = time.monotonic()
        if now - self.checked < CHECK_EVERY:
            return False
        self.checked = now
        return _unlinked(self.fd)

    def _open(self) -> None:
        self._close()
        packs = f"{self.directory}/{DIRNAME}"
        name = f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(f"{packs}/{name}", flags, 0o666)
        except FileNotFoundError:
            os.makedirs(packs, exist_ok=True)
            fd = os.open(f"{packs}/{name}", flags, 0o666)
        if self.fsync:
            for folder in (packs, self.directory, os.path.dirname(self.directory)):
                fileio.fsync_dir(folder)
        self.fd, self.path, self.size, self.pid = fd, f"{packs}/{name}", 0, os.getpid()

    def _close(self) -> None:
        if self.fd >= 0 and self.pid == os.getpid():
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = -1

    def forget(self, path: str) -> None:
        """Stop appending to ``path`` (it is being compacted)."""
        with self.lock:
            if self.path == path:
                self._close()


def _unlinked(fd: int) -> bool:
    try:
        return os.fstat(fd).st_nlink == 0
    except OSError:
        return True


class Index:
    """(node, key) -> Entry for one workflow folder, from every pack in it.

    Built on first use by reading the packs whole (a 10,000-result pack is a
    few MB), then brought up to date incrementally: only bytes appended since
    the last look are parsed. The bytes read are kept (up to CACHE_BYTES in
    all), so loading a small result costs no system call at all. ``folders``
    are the node folders (large results) that existed at the last look.
    """

    CACHE_BYTES = 256 << 20

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.entries: dict[tuple[str, str], Entry] = {}
        self.scanned: dict[str, int] = {}  # pack path -> bytes parsed so far
        self.data: dict[str, bytearray] = {}  # pack path -> its first scanned[path] bytes, when cached
        self.cached = 0
        self.folders: set[str] = set()
        self.refreshed = 0.0
        self.lock = threading.Lock()

    def get(self, node: str, key: str) -> Entry | None:
        return self.entries.get((node, key))

    def add(self, entry: Entry) -> None:
        self.entries[entry.node, entry.key] = entry

    def drop(self, node: str, key: str) -> None:
        self.entries.pop((node, key), None)

    def refresh(self) -> None:
        with self.lock:
            self._refresh()

    def _refresh(self) -> None:
        self.refreshed = time.monotonic()
        self.folders = {e.name for e in fileio.scandir(self.directory) if e.name[:1] != "."}
        seen = set()
        for item in fileio.scandir(f"{self.directory}/{DIRNAME}"):
            if fileio.is_temp(item.name):
                continue
            seen.add(item.path)
            self._scan(item.path)
        gone = set(self.scanned) - seen
        if gone:
            for path in gone:
                del self.scanned[path]
                self.cached -= len(self.data.pop(path, b""))
            self.entries = {k: e for k, e in self.entries.items() if e.pack not in gone}

    def _scan(self, path: str) -> None:
        start = self.scanned.get(path, 0)
        try:
            data, _ = fileio.read_file(path, start)
        except FileNotFoundError:
            return
        entries, stop = parse(data, start, path)
        self.scanned[path] = start + stop
        self._keep(path, start, data, stop)
        for entry in entries:
            old = self.entries.get((entry.node, entry.key))
            if old is None or old.saved <= entry.saved:
                self.entries[entry.node, entry.key] = entry

    def _keep(self, path: str, start: int, data: bytearray, stop: int) -> None:
        held = self.data.get(path)
        if start and held is None or held is not None and len(held) != start:
            return  # the start of this pack was not kept
        if self.cached + stop > self.CACHE_BYTES:
            return
        del data[stop:]
        if held is None:
            self.data[path] = data
        else:
            held += data
        self.cached += stop

    def record(self, entry: Entry) -> bytearray:
        """The record bytes of an INLINE entry, a fresh copy; FileNotFoundError if its pack is gone."""
        held = self.data.get(entry.pack)
        if held is not None and entry.offset + entry.length <= len(held):
            return held[entry.offset : entry.offset + entry.length]
        return read_record(entry)

    def all(self) -> Iterator[Entry]:
        return iter(list(self.entries.values()))


def read_record(entry: Entry) -> bytearray:
    """The record bytes of an INLINE entry; FileNotFoundError if the pack is gone."""
    fd = os.open(entry.pack, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        buf = bytearray(entry.length)
        got = os.preadv(fd, [buf], entry.offset)
    finally:
        os.close(fd)
    return buf if got == entry.length else buf[:got]


def compact(path: str, keep: Callable[[Entry], bool]) -> int:
    """Rewrite a pack with only the entries ``keep`` accepts; how many were dropped.

    The pack is first renamed to a claim (one compactor wins), its kept
    entries written to a new pack with a new name, then the claim removed:
    a reader's old position fails (a miss), never reads another entry.
    """
    claim = fileio.temp_path(os.path.dirname(path), os.path.basename(path) + ".claim")[: -len(fileio.TEMP_SUFFIX)]
    try:
        os.rename(path, claim)
    except FileNotFoundError:
        return 0
    data, _ = fileio.read_file(claim)
    entries, _ = parse(data, 0, claim)
    kept = [e for e in entries if keep(e)]
    if kept:
        out = bytearray()
        for e in kept:
            out += data[e.start : e.start + e.size]
        name = f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        directory = os.path.dirname(path)
        fileio.write_atomic(fileio.temp_path(directory, name), f"{directory}/{name}", [out], False)
    fileio.unlink_quietly(claim)
    return len(entries) - len(kept)
