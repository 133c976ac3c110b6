"""fuseflow.runtime.storage and `fusec storage`: round trips, damage, crashes, listing, CLI."""

from __future__ import annotations

import argparse
import errno
import os
import pickle
import signal
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import pytest

from fuseflow.cli import storage as cli_storage
from fuseflow.runtime.storage import (
    FileStore,
    MissingResult,
    StorageWarning,
    Store,
    StoredResult,
    fileio,
    open_store,
)
from fuseflow.runtime.storage import format as fmt
from fuseflow.runtime.storage.serializers import PickleSerializer

ROOT = Path(__file__).resolve().parents[2]
KEY = "3f" * 32


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    """A store that writes every result to a file of its own (the layout of large results)."""
    return FileStore(tmp_path / "store", inline_max=0)


def record(store: FileStore, workflow: str, node: str, key: str = KEY) -> Path:
    return Path(store.root) / workflow / node / f"{key}.ffr"


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


# Round trips


PLAIN = [0, -7, 2**100, 3.5, None, True, "text", [1, [2, 3]], {"a": 1, "b": {"c": [1.5, None]}}, {}, "", [-0.0]]
NOT_PLAIN = [b"\x00bytes", bytearray(b"ba"), (1, "a"), {1, 2, 3}, {1: "int key"}, [(1, 2)], 10**5000]


def label(value) -> str:
    return f"int of {value.bit_length()} bits" if type(value) is int and value.bit_length() > 1000 else repr(value)


@pytest.mark.parametrize("value", PLAIN + NOT_PLAIN, ids=label)
def test_round_trip_plain_values(store: FileStore, value) -> None:
    store.save("wf", "node", KEY, value)
    found, loaded = store.load("wf", "node", KEY)
    assert found is True
    assert loaded == value and type(loaded) is type(value)
    assert store.list("wf")[0].serializer == ("json" if any(value is v for v in PLAIN) else "pickle")


def test_values_that_share_a_list_keep_sharing_it(store: FileStore) -> None:
    shared = [1, 2]
    cycle: list = []
    cycle.append(cycle)
    store.save("wf", "shared", KEY, {"a": shared, "b": shared})
    store.save("wf", "cycle", KEY, cycle)
    loaded = store.read("wf", "shared")
    assert loaded == {"a": [1, 2], "b": [1, 2]} and loaded["a"] is loaded["b"]
    again = store.read("wf", "cycle")
    assert again[0] is again
    assert {r.node: r.serializer for r in store.list("wf")} == {"cycle": "pickle", "shared": "pickle"}


def test_a_missing_result_is_a_miss(store: FileStore) -> None:
    assert store.load("wf", "node", KEY) == (False, None)
    assert not store.has("wf", "node", KEY)
    store.save("wf", "node", KEY, 1)
    assert store.has("wf", "node", KEY)
    assert store.load("wf", "node", "0" * 64) == (False, None)
    assert store.load("wf", "other", KEY) == (False, None)


def test_saving_again_replaces_the_value(store: FileStore) -> None:
    store.save("wf", "node", KEY, "old")
    store.save("wf", "node", KEY, "new")
    assert store.load("wf", "node", KEY) == (True, "new")
    assert len(store.list("wf")) == 1


@pytest.mark.parametrize("make", [
    lambda np: np.arange(12.0).reshape(3, 4),
    lambda np: np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
    lambda np: np.arange(20)[::3],
    lambda np: np.array(2.5),
    lambda np: np.zeros((0, 3)),
    lambda np: np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    lambda np: np.array(["x", "yy"]),
    lambda np: np.arange(3).astype("datetime64[s]"),
    lambda np: np.array([1 + 2j], dtype=np.complex128),
], ids=["2d", "fortran", "strided", "0d", "empty", "structured", "unicode", "datetime", "complex"])
def test_numpy_arrays_round_trip_as_npy(store: FileStore, make) -> None:
    np = pytest.importorskip("numpy")
    array = make(np)
    store.save("wf", "arr", KEY, array)
    found, loaded = store.load("wf", "arr", KEY)
    assert found and type(loaded) is np.ndarray
    assert loaded.dtype == array.dtype and loaded.shape == array.shape
    assert np.array_equal(loaded, array)
    assert loaded.flags.writeable and loaded.flags.aligned
    assert store.list("wf")[0].serializer == "npy"


def test_the_npy_payload_is_exactly_what_np_save_writes(store: FileStore, tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    array = np.asfortranarray(np.arange(30.0).reshape(5, 6))
    store.save("wf", "arr", KEY, array)
    name, payload = fmt.decode(record(store, "wf", "arr").read_bytes(), fmt.address("wf", "arr", KEY))
    np.save(tmp_path / "ref.npy", array, allow_pickle=False)
    assert name == "npy" and bytes(payload) == (tmp_path / "ref.npy").read_bytes()


def test_object_arrays_and_subclasses_fall_back_to_pickle(store: FileStore) -> None:
    np = pytest.importorskip("numpy")
    objects = np.array([{"a": 1}, None], dtype=object)
    masked = np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    store.save("wf", "objects", KEY, objects)
    store.save("wf", "masked", KEY, masked)
    assert {r.node: r.serializer for r in store.list("wf")} == {"masked": "pickle", "objects": "pickle"}
    assert list(store.read("wf", "objects")) == [{"a": 1}, None]
    loaded = store.read("wf", "masked")
    assert type(loaded) is type(masked) and loaded.mask.tolist() == [False, True, False]


def test_arrays_inside_containers_come_back_as_writable_aligned_views(store: FileStore) -> None:
    np = pytest.importorskip("numpy")
    value = {"X": np.arange(1000.0).reshape(100, 10), "y": np.arange(7, dtype=np.int8), "name": "moons"}
    store.save("wf", "data", KEY, value)
    loaded = store.read("wf", "data")
    assert loaded["name"] == "moons"
    assert np.array_equal(loaded["X"], value["X"]) and np.array_equal(loaded["y"], value["y"])
    assert all(a.flags.writeable and a.flags.aligned for a in (loaded["X"], loaded["y"]))


# Damaged records


CORRUPTIONS = {
    "truncated to 0 bytes": lambda b: b"",
    "truncated inside the header": lambda b: b[:10],
    "truncated after the header": lambda b: b[: fmt.FIXED_SIZE],
    "last byte missing": lambda b: b[:-1],
    "magic bit flipped": lambda b: flip(b, 0),
    "version bit flipped": lambda b: flip(b, 4),
    "length bit flipped": lambda b: flip(b, 8),
    "checksum bit flipped": lambda b: flip(b, 16),
    "serializer-name bit flipped": lambda b: flip(b, fmt.FIXED_SIZE),
    "middle payload bit flipped": lambda b: flip(b, len(b) // 2),
    "last payload bit flipped": lambda b: flip(b, len(b) - 1),
    "trailing garbage": lambda b: b + b"\x00",
}


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x10
    return bytes(out)


@pytest.mark.parametrize("damage", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_damaged_record_warns_is_a_miss_and_is_discarded(store: FileStore, damage) -> None:
    store.save("wf", "model.moons.knn", KEY, {"weights": list(range(100))})
    path = record(store, "wf", "model.moons.knn")
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(StorageWarning) as caught:
        assert store.load("wf", "model.moons.knn", KEY) == (False, None)
    message = str(caught[0].message)
    assert "'wf'" in message and "'model.moons.knn'" in message and str(path) in message
    assert not path.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.load("wf", "model.moons.knn", KEY) == (False, None)


def test_a_damaged_record_is_recomputed_and_saved_again(store: FileStore) -> None:
    store.save("wf", "n", KEY, 41)
    path = record(store, "wf", "n")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.warns(StorageWarning):
        found, _ = store.load("wf", "n", KEY)
    assert not found
    store.save("wf", "n", KEY, 42)
    assert store.load("wf", "n", KEY) == (True, 42)


def test_read_of_a_damaged_record_warns_then_raises_key_error(store: FileStore) -> None:
    store.save("wf", "n", KEY, 1)
    path = record(store, "wf", "n")
    path.write_bytes(flip(path.read_bytes(), 30))
    with pytest.warns(StorageWarning), pytest.raises(KeyError):
        store.read("wf", "n", KEY)


def write_raw_record(path: Path, serializer: str, payload: bytes) -> None:
    """A whole record at ``path`` (ROOT/workflow/node/key.ffr), for its address."""
    path.parent.mkdir(parents=True, exist_ok=True)
    context = fmt.address(path.parent.parent.name, path.parent.name, path.stem)
    path.write_bytes(fmt.encode_header(serializer, [payload], context) + payload)


def test_an_intact_record_of_an_unknown_serializer_is_a_miss_but_kept(store: FileStore) -> None:
    path = record(store, "wf", "n")
    write_raw_record(path, "feather9", b"FEA1...")
    with pytest.warns(StorageWarning, match="no serializer named 'feather9' is installed") as caught:
        assert store.load("wf", "n", KEY) == (False, None)
    assert "installed (known: json, npy, parquet, pickle, zarr); it will" in str(caught[0].message)
    assert path.exists()
    assert store.list("wf")[0].serializer == "feather9"


def test_an_intact_pickle_of_a_vanished_class_is_a_miss_but_kept(store: FileStore) -> None:
    data = pickle.dumps(Path("x"), protocol=5).replace(b"pathlib", b"nolibx_")
    path = record(store, "wf", "n")
    write_raw_record(path, "pickle", PickleSerializer._FRAME.pack(0, len(data)) + data)
    with pytest.warns(StorageWarning, match="nolibx_"):
        assert store.load("wf", "n", KEY) == (False, None)
    assert path.exists()


def test_a_newer_format_version_is_left_alone(store: FileStore) -> None:
    path = record(store, "wf", "n")
    header = bytearray(fmt.encode_header("pickle", [b"x"]))
    header[4] = 9  # a version from the future; its header's CRC covers the header (byte 7: its size / 16)
    body = bytes(header[:16]) + bytes(header[20:])
    header[16:20] = zlib.crc32(body).to_bytes(4, "little")
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(header) + b"x")
    with pytest.warns(StorageWarning, match="newer"):
        assert store.load("wf", "n", KEY) == (False, None)
    assert path.exists()


# Atomic writes


def test_a_write_failing_midway_leaves_the_old_record_and_no_partial_file(store: FileStore, monkeypatch) -> None:
    store.save("wf", "n", KEY, {"version": 1})
    real_write = os.write

    def write_half_then_fail(fd, chunks):
        data = b"".join(bytes(c) for c in chunks)
        real_write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio, "write_all", write_half_then_fail)
    with pytest.raises(OSError, match="No space"):
        store.save("wf", "n", KEY, {"version": 2, "payload": "x" * 10_000})
    monkeypatch.undo()
    assert store.load("wf", "n", KEY) == (True, {"version": 1})
    assert sorted(p.name for p in record(store, "wf", "n").parent.iterdir()) == [f"{KEY}.ffr"]


def test_a_serializer_failing_leaves_the_old_record(store: FileStore, monkeypatch) -> None:
    store.save("wf", "n", KEY, "old")

    def boom(self, value):
        raise RuntimeError("cannot serialize")

    monkeypatch.setattr(PickleSerializer, "dump", boom)
    with pytest.raises(RuntimeError):
        store.save("wf", "n", KEY, ("new",))  # a tuple: pickled
    monkeypatch.undo()
    assert store.load("wf", "n", KEY) == (True, "old")
    assert len(list(record(store, "wf", "n").parent.iterdir())) == 1


def test_an_interrupt_during_the_write_removes_the_temp_file(store: FileStore, monkeypatch) -> None:
    def interrupted(fd, chunks):
        os.write(fd, b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio, "write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save("wf", "n", KEY, 1)
    monkeypatch.undo()
    assert list(record(store, "wf", "n").parent.iterdir()) == []
    assert store.load("wf", "n", KEY) == (False, None)


def test_a_large_record_has_its_blocks_reserved_before_it_is_written(store: FileStore, monkeypatch) -> None:
    monkeypatch.setattr(fileio, "PREALLOCATE_MIN", 1 << 16)
    reserved = []
    real = fileio.preallocate

    def spy(fd: int, size: int) -> None:
        reserved.append((os.fstat(fd).st_size, size))
        real(fd, size)

    monkeypatch.setattr(fileio, "preallocate", spy)
    blob = os.urandom(300_000)
    store.save("wf", "n", KEY, blob)
    store.save("wf", "small", KEY, b"x" * 1000)
    path = record(store, "wf", "n")
    assert reserved == [(0, path.stat().st_size)]  # once, before any byte, for exactly the record
    assert FileStore(store.root).load("wf", "n", KEY) == (True, blob)


def test_a_disk_too_full_for_a_large_record_fails_before_writing(store: FileStore, monkeypatch) -> None:
    store.save("wf", "n", KEY, b"old")
    monkeypatch.setattr(fileio, "PREALLOCATE_MIN", 1 << 16)
    monkeypatch.setattr(fileio, "_fallocate", lambda fd, size: errno.ENOSPC)
    monkeypatch.setattr(fileio, "write_all", lambda fd, chunks: pytest.fail("wrote to a disk known to be full"))
    with pytest.raises(OSError) as caught:
        store.save("wf", "n", KEY, os.urandom(300_000))
    assert caught.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert store.load("wf", "n", KEY) == (True, b"old")
    assert sorted(p.name for p in record(store, "wf", "n").parent.iterdir()) == [f"{KEY}.ffr"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fallocate is Linux's")
def test_preallocation_reserves_blocks_and_keeps_the_size(tmp_path: Path) -> None:
    reserve = fileio._find_fallocate()
    assert reserve, "fallocate not found in the C library"
    with open(tmp_path / "f", "wb") as f:
        failed = reserve(f.fileno(), 4 << 20)
        if failed in (errno.EOPNOTSUPP, errno.ENOSYS):
            pytest.skip(f"this filesystem cannot preallocate ({os.strerror(failed)})")
        assert failed == 0
        info = os.fstat(f.fileno())
        assert info.st_size == 0 and info.st_blocks * 512 >= 4 << 20


def test_stray_temp_files_are_ignored_and_cleaned_up_when_old(store: FileStore) -> None:
    store.save("wf", "n", KEY, 1)
    node_dir = record(store, "wf", "n").parent
    fresh = node_dir / f".{KEY}.999.0.tmp"
    old = node_dir / f".{KEY}.999.1.tmp"
    for stray in (fresh, old):
        stray.write_bytes(b"FFR\x1a half a reco")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    (Path(store.root) / "wf" / "other").mkdir()
    (Path(store.root) / "wf" / "other" / ".k.1.2.tmp").write_bytes(b"x")

    assert [(r.node, r.key) for r in store.list("wf")] == [("n", KEY)]
    assert store.load("wf", "n", KEY) == (True, 1)
    assert fresh.exists() and not old.exists()  # list removed only the stale one
    assert store.gc(max_age=0) == 2
    assert sorted(p.name for p in node_dir.iterdir()) == [f"{KEY}.ffr"]


WRITER = """
import sys
from fuseflow.runtime.storage import open_store
{value_src}
store, start = open_store(sys.argv[1]), int(sys.argv[2])
for i in range(start, start + 10**9):
    store.save("wf", f"node.{{i % 40}}", f"k{{i}}", expected(i))
    if i == start + 30:
        print("ready", flush=True)
"""
VALUE_SRC = "def expected(i):\n    return {'i': i, 'blob': bytes([i % 256]) * (i % 5) * 60_000}\n"


def expected(i: int) -> dict:
    namespace: dict = {}
    exec(VALUE_SRC, namespace)
    return namespace["expected"](i)


def kill_while_writing(script: Path, root: str, rounds: list[tuple[int, float]]) -> None:
    """Per round: start the writer at key number `start`, wait for "ready", let it
    write for `delay` seconds, then SIGKILL it."""
    for start, delay in rounds:
        proc = subprocess.Popen([sys.executable, str(script), root, str(start)],
                                stdout=subprocess.PIPE, text=True, env=subprocess_env())
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL


def test_sigkill_while_writing_leaves_every_record_whole(store: FileStore, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(value_src=VALUE_SRC))
    kill_while_writing(script, store.root, [(0, 0.05), (50, 0.2), (100, 0.4)])

    results = store.list("wf")
    assert len(results) > 90
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)  # atomic: nothing may be damaged
        for result in results:
            found, value = store.load("wf", result.node, result.key)
            assert found and value == expected(int(result.key[1:]))
    fresh = FileStore(store.root)
    fresh.save("wf", "node.0", "after", "still usable")
    assert fresh.read("wf", "node.0", "after") == "still usable"


LARGE_WRITER = """
import sys
import numpy as np
from fuseflow.runtime.storage import fileio, open_store
fileio.HELPER_MIN = fileio.PREALLOCATE_MIN = 1 << 20  # 2 MB arrays take the path of large records
fileio.HASH_PIECE = 1 << 16  # many pieces per record
store, start = open_store(sys.argv[1]), int(sys.argv[2])
for i in range(start, start + 10**9):
    store.save("wf", f"node.{i % 5}", f"k{i % 20}", np.full(250_000 + i % 20, i, dtype=np.int64))
    if i == start + 3:
        print("ready", flush=True)
"""


def test_sigkill_while_writing_large_arrays_leaves_every_record_whole(store: FileStore, tmp_path: Path) -> None:
    pytest.importorskip("numpy")  # the writer saves numpy arrays
    script = tmp_path / "writer.py"
    script.write_text(LARGE_WRITER)
    kill_while_writing(script, store.root, [(0, 0.02), (10**6, 0.1), (2 * 10**6, 0.3)])

    results = store.list("wf")
    assert len(results) == 20
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)  # atomic: nothing may be damaged
        for result in results:
            found, value = FileStore(store.root).load("wf", result.node, result.key)
            j = int(result.key[1:])
            assert found and value.shape == (250_000 + j,) and int(value[0]) % 20 == j and (value == value[0]).all()
            assert result.node == f"node.{j % 5}"


# Listing, reading, removing


def fill(store: FileStore) -> None:
    """Nodes with known modification times: b before a, so time order != key order."""
    t0 = time.time() - 1000
    for i, (node, key) in enumerate([("data.load", "bb"), ("data.load", "aa"), ("model.moons.knn", "k1"),
                                     ("model.moons.svm", "k2"), ("model.circles.knn", "k3"), ("x", "k4")]):
        store.save("wf", node, key, f"{node}/{key}")
        os.utime(record(store, "wf", node, key), (t0 + i, t0 + i))
    store.save("other", "n", "k", 0)


def test_list_is_sorted_by_node_then_time(store: FileStore) -> None:
    fill(store)
    results = store.list("wf")
    assert [(r.node, r.key) for r in results] == [
        ("data.load", "bb"), ("data.load", "aa"), ("model.circles.knn", "k3"),
        ("model.moons.knn", "k1"), ("model.moons.svm", "k2"), ("x", "k4")]
    first = results[0]
    assert isinstance(first, StoredResult) and first.workflow == "wf" and first.serializer == "json"
    assert first.size == record(store, "wf", "data.load", "bb").stat().st_size
    assert results[0].mtime < results[1].mtime
    assert store.list("nosuch") == []


@pytest.mark.parametrize("pattern, nodes", [
    ("*", ["data.load", "model.circles.knn", "model.moons.knn", "model.moons.svm", "x"]),
    ("model.*", ["model.circles.knn", "model.moons.knn", "model.moons.svm"]),
    ("*.knn", ["model.circles.knn", "model.moons.knn"]),
    ("model.moons.knn", ["model.moons.knn"]),
    ("model.moons.kn", []),
    ("model.[cm]*.knn", ["model.circles.knn", "model.moons.knn"]),
    ("?", ["x"]),
    ("MODEL.*", []),
])
def test_glob_patterns_select_nodes(store: FileStore, pattern: str, nodes: list[str]) -> None:
    fill(store)
    assert sorted({r.node for r in store.list("wf", pattern)}) == nodes
    assert store.list_tasks("wf", pattern) == nodes


def test_read_gives_the_newest_result_or_the_one_asked_for(store: FileStore) -> None:
    fill(store)
    assert store.read("wf", "data.load") == "data.load/aa"
    assert store.read("wf", "data.load", "bb") == "data.load/bb"
    assert store.read_task("wf", "data.load") == "data.load/aa"


@pytest.mark.parametrize("workflow, node, key, words", [
    ("wf", "data.lod", None, ["'data.lod'", "did you mean 'data.load'"]),
    ("wff", "data.load", None, ["no workflow 'wff'", "did you mean 'wf'"]),
    ("wf", "data.load", "cc", ["no result with key 'cc'"]),
])
def test_read_of_a_missing_result_raises_a_helpful_key_error(store, workflow, node, key, words) -> None:
    fill(store)
    with pytest.raises(KeyError) as caught:
        store.read(workflow, node, key)
    assert isinstance(caught.value, MissingResult)
    for word in words:
        assert word in str(caught.value)


def test_remove_by_glob_and_by_exact_name(store: FileStore) -> None:
    fill(store)
    assert store.remove("wf", "model.moons.knn") == 1
    assert store.remove("wf", "data.*") == 2
    assert store.remove("wf", "nothing*") == 0
    assert store.list_tasks("wf") == ["model.circles.knn", "model.moons.svm", "x"]
    assert not (Path(store.root) / "wf" / "data.load").exists()
    assert store.remove_task("wf", "*") == 3
    assert store.workflows() == ["other"]


def test_listing_ignores_what_fuseflow_did_not_write(store: FileStore) -> None:
    store.save("wf", "n", "k", 1)
    wf = Path(store.root) / "wf"
    (wf / "odd\\name").mkdir()
    (wf / "odd\\name" / "k.ffr").write_bytes(b"")
    (wf / "n" / "notes.txt").write_text("mine")
    (wf / "a-file").write_text("x")
    (Path(store.root) / "stray-file").write_text("x")
    assert [(r.node, r.key) for r in store.list("wf")] == [("n", "k"), ("odd\\name", "k")]
    assert store.workflows() == ["wf"]
    assert store.remove("wf", "*") == 2 and (wf / "n" / "notes.txt").exists()


def test_save_after_the_node_folder_was_removed_elsewhere(store: FileStore) -> None:
    store.save("wf", "n", "k1", 1)
    other = FileStore(store.root)  # another process, e.g. `fusec storage rm`
    assert other.remove_workflow("wf")
    store.save("wf", "n", "k2", 2)  # this store still believes the folder exists
    assert store.read("wf", "n", "k2") == 2


def test_remove_workflow_and_workflows(store: FileStore) -> None:
    assert store.workflows() == []
    fill(store)
    assert store.workflows() == ["other", "wf"]
    assert store.remove_workflow("wf") is True
    assert store.remove_workflow("wf") is False
    assert store.workflows() == ["other"]
    assert sorted(os.listdir(store.root)) == ["other"]  # no trash left behind
    store.save("wf", "data.load", "k", "again")
    assert store.read("wf", "data.load") == "again"


@pytest.mark.parametrize("name", ["", "..", ".hidden", "a/b", "../x", "a\\b"])
def test_unsafe_names_are_refused(store: FileStore, name: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        store.save(name, "n", "k", 1)
    with pytest.raises(ValueError, match="invalid"):
        store.load("wf", name, "k")
    with pytest.raises(ValueError, match="invalid"):
        store.save("wf", "n", name, 1)


# open_store and the Store object


def test_open_store_urls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert open_store("file:.fuseflow").url == f"file:{tmp_path}/.fuseflow"
    assert open_store(".fuseflow").url == f"file:{tmp_path}/.fuseflow"
    assert open_store(Path("a") / "b").url == f"file:{tmp_path}/a/b"
    assert open_store("file:results", base_dir="/data/flows").url == "file:/data/flows/results"
    assert open_store("results", base_dir=Path("/data")).url == "file:/data/results"
    assert open_store("file:/abs/x", base_dir="/ignored").url == "file:/abs/x"
    assert open_store("file:///abs/with%20space").url == "file:/abs/with space"
    assert open_store("file://localhost/abs").url == "file:/abs"
    assert open_store("odd:name").url == f"file:{tmp_path}/odd:name"
    store = open_store("x")
    assert open_store(store) is store and isinstance(store, Store)


@pytest.mark.parametrize("url, error", [
    ("s3://", ValueError),
    ("s3://bucket/prefix?colour=blue", ValueError),
    ("gs://bucket/prefix", ValueError),
    ("file://otherhost/x", ValueError),
    ("", ValueError),
    ("file:", ValueError),
])
def test_open_store_refuses_what_it_cannot_open(url: str, error: type) -> None:
    with pytest.raises(error):
        open_store(url)


def test_opening_a_store_creates_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new")
    assert store.workflows() == [] and store.list("wf") == [] and store.load("wf", "n", "k") == (False, None)
    assert not (tmp_path / "new").exists()


def test_a_store_pickles_for_remote_workers(store: FileStore) -> None:
    store.save("wf", "n", KEY, 5)
    clone = pickle.loads(pickle.dumps(store))
    assert clone.url == store.url and clone.load("wf", "n", KEY) == (True, 5)
    assert clone._made == set()


def test_fsync_is_off_by_default_and_on_with_the_environment(tmp_path: Path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    monkeypatch.delenv("FUSEFLOW_FSYNC", raising=False)
    open_store(tmp_path / "a").save("wf", "n", "k", 1)
    assert calls == []
    monkeypatch.setenv("FUSEFLOW_FSYNC", "1")
    synced = open_store(tmp_path / "b")
    synced.save("wf", "n", "k", 1)
    assert synced.fsync and len(calls) >= 2  # the file and its folder
    assert synced.read("wf", "n", "k") == 1


def test_the_record_header(store: FileStore) -> None:
    header = fmt.encode_header("npy", [b"ab", b"cde"])
    assert header[:4] == fmt.MAGIC and len(header) % fmt.ALIGN == 0
    assert fmt.decode(header + b"abcde")[0] == "npy"
    assert bytes(fmt.decode(header + b"abcde")[1]) == b"abcde"
    assert fmt.peek_serializer(header) == "npy" and fmt.peek_serializer(b"junk") == "?"


def test_the_runtime_imports_only_the_standard_library(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from fuseflow.runtime.storage import open_store\n"
        f"s = open_store({str(tmp_path)!r}); s.save('w', 'n', 'k', {{'a': [1]}})\n"
        "assert s.read('w', 'n') == {'a': [1]}\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('numpy', 'lark', 'jinja2')\n"
        "       or m.startswith(('fuseflow.compiler', 'fuseflow.cli'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(), check=True)
    assert out.stdout.strip() == "[]"


# fusec storage


def fusec(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="fusec")
    cli_storage.add_parser(parser.add_subparsers())
    args = parser.parse_args(["storage", *argv])
    return args.func(args)


@pytest.fixture
def filled(store: FileStore) -> FileStore:
    fill(store)
    return store


def test_cli_ls_workflows(filled: FileStore, capsys) -> None:
    assert fusec("ls", "--storage", filled.url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["WORKFLOW", "RESULTS", "SIZE"]
    assert lines[1].split()[:2] == ["other", "1"] and lines[2].split()[:2] == ["wf", "6"]


def test_cli_ls_results_of_a_workflow(filled: FileStore, capsys) -> None:
    filled.save("wf", "model.moons.knn", "f" * 64, tuple(range(980)))
    assert fusec("ls", "--storage", filled.url, "wf", "model.moons.*") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NODE", "KEY", "SIZE", "MODIFIED", "SERIALIZER"]
    rows = [line.split() for line in lines[1:]]
    assert [row[0] for row in rows] == ["model.moons.knn", "model.moons.knn", "model.moons.svm"]
    size = record(filled, "wf", "model.moons.knn", "f" * 64).stat().st_size
    assert rows[1][1] == "f" * 12 and rows[1][2:4] == cli_storage.human_size(size).split() and rows[1][-1] == "pickle"
    assert rows[1][2] == "2.7"  # tuple(range(980)) pickles to 2.7 KiB (header included)
    assert len({line.rstrip().rindex(" ") for line in lines[1:]}) == 1  # the serializer column is aligned


def test_cli_ls_of_an_empty_store(tmp_path: Path, capsys) -> None:
    assert fusec("ls", "--storage", str(tmp_path / "none")) == 0
    assert "no stored results" in capsys.readouterr().err


def test_cli_show(filled: FileStore, capsys) -> None:
    assert fusec("show", "--storage", filled.url, "wf", "data.load") == 0
    assert capsys.readouterr().out.strip() == "'data.load/aa'"
    assert fusec("show", "--storage", filled.url, "wf", "data.load", "--key", "b") == 0
    assert capsys.readouterr().out.strip() == "'data.load/bb'"


def test_cli_show_shortens_huge_values(store: FileStore, capsys) -> None:
    store.save("wf", "big", "k", {"rows": list(range(100_000)), "text": "y" * 100_000})
    assert fusec("show", "--storage", store.url, "wf", "big") == 0
    out = capsys.readouterr().out
    assert "99900 more items" in out and len(out) < cli_storage.SHOW_CHARS + 200
    assert fusec("show", "--storage", store.url, "wf", "big", "--full") == 0
    assert "99999" in capsys.readouterr().out


def test_cli_rm_globs_and_all(filled: FileStore, capsys) -> None:
    assert fusec("rm", "--storage", filled.url, "wf", "data.*", "x") == 0
    out = capsys.readouterr().out
    assert "removed wf/data.load (2 results)" in out and "removed wf/x (1 result)" in out
    assert filled.list_tasks("wf") == ["model.circles.knn", "model.moons.knn", "model.moons.svm"]
    assert fusec("rm", "--storage", filled.url, "wf", "--all") == 0
    assert "removed workflow wf (3 results)" in capsys.readouterr().out
    assert filled.workflows() == ["other"]


def test_cli_rm_of_a_glob_matching_nothing_fails(filled: FileStore, capsys) -> None:
    assert fusec("rm", "--storage", filled.url, "wf", "nothing*", "x") == 1
    captured = capsys.readouterr()
    assert "'nothing*'" in captured.err and "removed wf/x" in captured.out
    assert "x" not in filled.list_tasks("wf")


@pytest.mark.parametrize("argv, words", [
    (["ls", "wff"], ["no workflow 'wff'", "did you mean 'wf'"]),
    (["ls", "wf", "zzz*"], ["no node of workflow 'wf' matches 'zzz*'"]),
    (["show", "wf", "data.lod"], ["did you mean 'data.load'"]),
    (["show", "wf", "data.load", "--key", "zz"], ["no result with key 'zz'"]),
    (["rm", "nosuch", "*"], ["no workflow 'nosuch'"]),
    (["ls", "--storage", "s3://bucket/x?colour=blue"], ["unknown S3 storage option 'colour'"]),
    (["ls", "--storage", "gs://bucket/x"], ["unsupported storage URL"]),
])
def test_cli_errors_are_one_line_and_exit_1(filled: FileStore, capsys, argv, words) -> None:
    if "--storage" not in argv:
        argv = [argv[0], "--storage", filled.url, *argv[1:]]
    assert fusec(*argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("fusec: error: ")
    for word in words:
        assert word in err


def test_cli_rm_needs_globs_or_all_but_not_both(filled: FileStore, capsys) -> None:
    assert fusec("rm", "--storage", filled.url, "wf") == 2
    assert fusec("rm", "--storage", filled.url, "wf", "x", "--all") == 2
    assert len(filled.list("wf")) == 6


def test_cli_as_a_module_exit_codes_and_no_traceback(filled: FileStore) -> None:
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "fuseflow.cli.storage", *argv],
                              capture_output=True, text=True, env=subprocess_env(), cwd=ROOT)

    ok = run("ls", "--storage", filled.url, "wf", "x")
    assert ok.returncode == 0 and ok.stdout.splitlines()[1].split()[0] == "x"
    bad = run("show", "--storage", filled.url, "wf", "nope")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    usage = run("frobnicate")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_human_sizes() -> None:
    assert [cli_storage.human_size(n) for n in (0, 1023, 1024, 1536, 5 * 2**20, 3 * 2**40)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 MiB", "3.0 TiB"]
