"""Typed serializers: npy (memory-mapped when large and local), parquet, zarr, and entry-point plugins."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fuseflow.runtime.storage import FileStore, open_store
from fuseflow.runtime.storage import file as filestore
from fuseflow.runtime.storage.serializers import default_registry

from .conftest import ROOT

KEY = "77" * 16


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return open_store(tmp_path / "store")


def serializer_of(store: FileStore, node: str) -> str:
    return [r.serializer for r in store.list("wf") if r.node == node][0]


def test_a_large_local_array_is_memory_mapped_and_private(store: FileStore, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    monkeypatch.setattr(filestore, "MAP_MIN", 1 << 20)
    array = np.arange(400_000, dtype=np.float64)  # 3.2 MB: a file of its own, mapped
    store.save("wf", "big", KEY, array)
    loaded = FileStore(store.root).read("wf", "big")
    assert np.array_equal(loaded, array) and loaded.flags.writeable and loaded.flags.aligned
    base = loaded
    while getattr(base, "base", None) is not None:
        base = base.base
    assert isinstance(getattr(base, "obj", base), mmap.mmap)
    loaded[:] = -1  # copy-on-write: the stored record is untouched
    assert np.array_equal(FileStore(store.root).read("wf", "big"), array)


def test_a_damaged_large_record_is_caught_before_use(store: FileStore, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    monkeypatch.setattr(filestore, "MAP_MIN", 1 << 20)
    store.save("wf", "big", KEY, np.ones(300_000))
    path, _, size = store.where("wf", "big", KEY)
    with open(path, "r+b") as f:
        f.seek(size - 100)
        f.write(b"\x55")
    with pytest.warns(UserWarning, match="checksum mismatch"):
        assert FileStore(store.root).load("wf", "big", KEY) == (False, None)
    assert not Path(path).exists()


def test_dataframes_as_parquet(store: FileStore) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"x": [1, 2, 3], "name": ["a", "b", "c"], "t": pd.to_datetime(["2024-01-01"] * 3)},
                         index=pd.Index([10, 20, 30], name="id"))
    store.save("wf", "frame", KEY, frame)
    assert serializer_of(store, "frame") == "parquet"
    loaded = FileStore(store.root).read("wf", "frame")
    pd.testing.assert_frame_equal(loaded, frame)


def test_a_frame_arrow_cannot_hold_is_pickled(store: FileStore) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"obj": [object(), {1, 2}]})
    with pytest.warns(RuntimeWarning, match="pickling it instead"):
        store.save("wf", "odd", KEY, frame)
    assert serializer_of(store, "odd") == "pickle"
    assert FileStore(store.root).read("wf", "odd")["obj"][1] == {1, 2}


def test_dask_arrays_as_zarr_load_lazily(store: FileStore) -> None:
    da = pytest.importorskip("dask.array")
    pytest.importorskip("zarr")
    np = pytest.importorskip("numpy")
    value = da.arange(60_000).reshape(200, 300).rechunk((50, 100)).astype("f4")
    store.save("wf", "lazy", KEY, value)
    assert serializer_of(store, "lazy") == "zarr"
    loaded = FileStore(store.root).read("wf", "lazy")
    assert isinstance(loaded, da.Array) and loaded.shape == (200, 300) and loaded.dtype == np.float32
    assert np.array_equal(loaded.compute(), value.compute())
    assert float(loaded[5:7].sum().compute()) == float(value[5:7].sum().compute())


def test_plain_values_never_load_plugins() -> None:
    registry = default_registry()
    assert registry.choose({"a": 1}).name == "json" and registry._plugins_pending


PLUGIN = '''
from fuseflow.runtime.storage import Serializer

class Thing:
    def __init__(self, text):
        self.text = text

class ThingSerializer(Serializer):
    name = "thing"
    modules = frozenset({"thingplugin"})
    def accepts(self, value):
        return isinstance(value, Thing)
    def dump(self, value):
        return [value.text.encode()]
    def load(self, payload):
        return Thing(bytes(payload).decode() + " (via plugin)")
'''


def test_an_entry_point_plugin_is_found_and_reads_its_own_records(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "thingplugin-1.0.dist-info").mkdir(parents=True)
    (site / "thingplugin.py").write_text(PLUGIN)
    (site / "thingplugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: thingplugin\nVersion: 1.0\n")
    (site / "thingplugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[fuseflow.serializers]\nthing = thingplugin:ThingSerializer\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    save = textwrap.dedent(f"""
        import sys
        from fuseflow.runtime.storage import open_store
        import thingplugin
        s = open_store({str(tmp_path / 's')!r})
        s.save('wf', 'n', 'k', thingplugin.Thing('hello'))
        print(s.list('wf')[0].serializer)
    """)
    done = subprocess.run([sys.executable, "-c", save], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "thing", done.stderr
    read = textwrap.dedent(f"""
        import sys
        from fuseflow.runtime.storage import open_store
        s = open_store({str(tmp_path / 's')!r})
        print(s.read('wf', 'n').text)
    """)
    done = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "hello (via plugin)", done.stderr


def test_a_broken_plugin_warns_and_the_rest_works(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "broken-1.0.dist-info").mkdir(parents=True)
    (site / "broken-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (site / "broken-1.0.dist-info" / "entry_points.txt").write_text("[fuseflow.serializers]\nbad = nosuchmodule:X\n")
    code = ("import warnings\nfrom fuseflow.runtime.storage.serializers import default_registry\n"
            "import fractions\nwith warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    print(default_registry().choose(fractions.Fraction(1, 3)).name, len(w), str(w[0].message)[:40])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("pickle 1 fuseflow serializer plugin 'bad'"), done.stderr


def test_large_records_get_a_digest_of_every_byte(store: FileStore, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    from fuseflow.runtime.storage import fileio
    from fuseflow.runtime.storage import format as fmt

    monkeypatch.delenv("FUSEFLOW_STORAGE_KEY", raising=False)
    monkeypatch.delenv("FUSEFLOW_STORAGE_KEY_FILE", raising=False)
    monkeypatch.setattr(fileio, "HELPER_MIN", 1 << 20)
    monkeypatch.setattr(filestore, "MAP_MIN", 1 << 20)
    array = np.random.default_rng(3).random(300_001)
    store.save("wf", "big", KEY, array)
    path, _, size = store.where("wf", "big", KEY)
    raw = Path(path).read_bytes()
    assert (raw[4], raw[6]) == (fmt.VERSION, fmt.HASHED) and fmt.peek_serializer(raw) == "npy"
    assert np.array_equal(FileStore(store.root).read("wf", "big"), array)
    for spot in (10, 30, size // 2, size - 1):  # header, digest, payload, the last byte
        damaged = bytearray(raw)
        damaged[spot] ^= 0x04
        Path(path).write_bytes(bytes(damaged))
        with pytest.warns(UserWarning, match="checksum mismatch"):
            assert FileStore(store.root).load("wf", "big", KEY) == (False, None)
    Path(path).write_bytes(raw[:-1])
    with pytest.warns(UserWarning, match="truncated"):
        assert FileStore(store.root).load("wf", "big", KEY) == (False, None)


def test_the_digest_ignores_how_the_payload_is_cut() -> None:
    from fuseflow.runtime.storage import format as fmt

    block = 1 << 16
    data = os.urandom(5 * block + 12_345)
    whole = fmt.encode_header("npy", [data])
    for cuts in ([7], [block], [100, 70_000, 200_003], [len(data) - 3]):
        pieces, last = [], 0
        for cut in cuts:
            pieces.append(memoryview(data)[last:cut])
            last = cut
        pieces.append(data[last:])
        assert fmt.encode_header("npy", pieces) == whole
    flipped = bytearray(data)
    flipped[3 * block + 5] ^= 1
    assert fmt.encode_header("npy", [bytes(flipped)]) != whole
    swapped = data[block : 2 * block] + data[:block] + data[2 * block :]
    assert fmt.encode_header("npy", [swapped]) != whole


# (CPUs, tasks running): a helper thread hashes the pieces only while a CPU is free, else the writer does
MACHINES = [(1, 1), (2, 1), (2, 2), (4, None)]


@pytest.mark.parametrize("cores, running", MACHINES)
@pytest.mark.parametrize("piece", [1 << 16, 3 << 16, 100_000, 1 << 20])
def test_the_digest_hashed_while_writing_is_the_record_digest(tmp_path: Path, monkeypatch, cores, running,
                                                               piece) -> None:
    np = pytest.importorskip("numpy")
    from fuseflow.runtime.storage import fileio
    from fuseflow.runtime.storage import format as fmt

    monkeypatch.setattr(fileio, "_cores", lambda: cores)
    monkeypatch.setattr(fileio, "_running_tasks", lambda: running)
    monkeypatch.setattr(fileio, "HELPER_MIN", 0)
    monkeypatch.setattr(fileio, "HASH_PIECE", piece)
    helpers = []
    start = fileio._Hasher.__init__
    monkeypatch.setattr(fileio._Hasher, "__init__", lambda self, *args: helpers.append(start(self, *args)))
    array = np.random.default_rng(5).random(300_007)  # buffers of odd sizes, meeting inside pieces
    payloads = [
        [os.urandom(100), memoryview(array).cast("B"), b"", os.urandom(70_001)],
        [os.urandom(1 << 16)] * 3,
        [os.urandom(5), os.urandom((1 << 16) - 5), os.urandom(7)],
        [os.urandom(12)],
    ]
    for buffers in payloads:
        path = tmp_path / "record"
        seal = fmt.Seal("npy", sum(map(len, buffers)), b"wf\0n\0k")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            fileio._write_hashed(fd, b"HEAD", buffers, seal.update)
        finally:
            os.close(fd)
        assert seal.header() == fmt.encode_header("npy", buffers, b"wf\0n\0k")
        assert path.read_bytes() == b"HEAD" + b"".join(bytes(b) for b in buffers)
    assert len(helpers) == (len(payloads) if (running or 1) < cores else 0)


@pytest.mark.parametrize("cores, running", MACHINES)
def test_a_failing_hash_fails_the_save_and_leaves_the_old_record(store: FileStore, monkeypatch, cores,
                                                                 running) -> None:
    np = pytest.importorskip("numpy")
    from fuseflow.runtime.storage import fileio
    from fuseflow.runtime.storage import format as fmt

    monkeypatch.setattr(fileio, "HELPER_MIN", 1 << 20)
    monkeypatch.setattr(fileio, "_cores", lambda: cores)
    monkeypatch.setattr(fileio, "_running_tasks", lambda: running)
    store.save("wf", "big", KEY, np.zeros(400_000))

    def broken(self, buf):
        raise MemoryError("no room for the digest")

    monkeypatch.setattr(fmt.Seal, "update", broken)
    with pytest.raises(MemoryError):
        store.save("wf", "big", KEY, np.ones(400_000))
    monkeypatch.undo()
    path, _, _ = store.where("wf", "big", KEY)
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp file left
    assert np.array_equal(FileStore(store.root).read("wf", "big", KEY), np.zeros(400_000))


def test_a_failing_write_stops_the_hashing_helper_and_leaves_the_old_record(store: FileStore, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    import errno
    import threading

    from fuseflow.runtime.storage import fileio

    monkeypatch.setattr(fileio, "HELPER_MIN", 1 << 20)
    monkeypatch.setattr(fileio, "HASH_PIECE", 1 << 16)
    monkeypatch.setattr(fileio, "_cores", lambda: 2)
    monkeypatch.setattr(fileio, "_running_tasks", lambda: 1)
    store.save("wf", "big", KEY, np.zeros(400_000))
    written = fileio.write_all

    def disk_full(fd, chunks):
        if len(chunks) > 1:  # the payload (the header placeholder goes alone, at the end)
            raise OSError(errno.ENOSPC, "No space left on device")
        written(fd, chunks)

    monkeypatch.setattr(fileio, "write_all", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.save("wf", "big", KEY, np.ones(400_000))
    assert not [t for t in threading.enumerate() if t.name == "fuseflow-hash"]  # stopped before the error went up
    monkeypatch.undo()
    path, _, _ = store.where("wf", "big", KEY)
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]
    assert np.array_equal(FileStore(store.root).read("wf", "big", KEY), np.zeros(400_000))
