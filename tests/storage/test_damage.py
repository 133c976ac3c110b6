"""Damage a stored record the ways disks and people do, and load it: never a wrong value.

Each damage class (two 4 KiB pages swapped, two 8-byte words swapped, +1 in
one word and -1 in another, truncation) is applied to a small record (a pack
entry) and a large one (a file of its own, at the size whose checksum is
computed beside the write), on the file store, and to small records on S3.
A damaged record must load as absent, with a StorageWarning naming its node,
and the next save must store the value again. With a storage key configured
the same holds for signed records.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from fuseflow.runtime.storage import FileStore, StorageWarning, open_store, pack
from fuseflow.targets.local import runtime as rt

from .conftest import S3

np = pytest.importorskip("numpy")

KEY = "d4" * 16
PAGE, WORD = 4096, 8
SMALL = 100 << 10  # a pack entry
LARGE = 34 << 20  # a file of its own, checksummed by a helper thread while it is written
STORAGE_KEY = "the team's storage key, 32 chars"


def swap(data: bytearray, a: int, b: int, size: int) -> None:
    data[a : a + size], data[b : b + size] = data[b : b + size], data[a : a + size]


def add_to_word(data: bytearray, at: int, delta: int) -> None:
    word = int.from_bytes(data[at : at + WORD], "little")
    data[at : at + WORD] = ((word + delta) % 2**64).to_bytes(WORD, "little")


# Record-relative offsets inside the payload's second 64 KiB block whatever the header's size (at most 4 KiB).
PAGE_A, PAGE_B = 17 * PAGE, 18 * PAGE


def page_swap(record: bytearray) -> None:
    swap(record, PAGE_A, PAGE_B, PAGE)


def word_swap(record: bytearray) -> None:
    swap(record, PAGE_A, PAGE_A + 5 * WORD, WORD)


def compensating_pair(record: bytearray) -> None:
    add_to_word(record, PAGE_A, +1)
    add_to_word(record, PAGE_A + 7 * WORD, -1)


def truncation(record: bytearray) -> None:
    del record[-PAGE:]


DAMAGE: dict[str, Callable[[bytearray], None]] = {
    "page swap": page_swap, "word swap": word_swap, "compensating +1/-1": compensating_pair, "truncation": truncation,
}


@pytest.fixture(params=["no key", "key"])
def keyed(request, monkeypatch) -> bool:
    """Each test runs without a storage key and with one (records are then signed)."""
    monkeypatch.delenv("FUSEFLOW_STORAGE_KEY_FILE", raising=False)
    if request.param == "key":
        monkeypatch.setenv("FUSEFLOW_STORAGE_KEY", STORAGE_KEY)
    else:
        monkeypatch.delenv("FUSEFLOW_STORAGE_KEY", raising=False)
    return request.param == "key"


@pytest.fixture(scope="module")
def values() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(12)
    return {"small": rng.random(SMALL // 8), "large": rng.random(LARGE // 8)}


def damage_record(store: FileStore, node: str, key: str, how: Callable[[bytearray], None]) -> None:
    """Apply ``how`` to a stored record: its own file, or its pack entry (rewritten around the damaged record)."""
    path, offset, length = store.where("wf", node, key)
    data = Path(path).read_bytes()
    record = bytearray(data[offset : offset + length])
    how(record)
    assert record != data[offset : offset + length], "the damage changed nothing"
    if offset:  # the test's pack holds this one entry
        (entry,), _ = pack.parse(bytearray(data), 0, path)
        record = b"".join(pack.encode(entry.kind, node, key, entry.meta, [record], entry.saved))
    Path(path).write_bytes(bytes(record))


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
@pytest.mark.parametrize("size", ["small", "large"])
def test_a_damaged_record_loads_as_absent_with_a_warning_and_is_stored_again(tmp_path: Path, values, keyed: bool,
                                                                            size: str, damage: str) -> None:
    store = FileStore(tmp_path / "store")
    value = values[size]
    store.save("wf", "node", KEY, value)
    damage_record(store, "node", KEY, DAMAGE[damage])
    reader = FileStore(store.root)
    with pytest.warns(StorageWarning) as caught:
        found, loaded = reader.load("wf", "node", KEY)
    assert (found, loaded) == (False, None), "a damaged record was loaded"
    assert any("'node'" in str(w.message) and "'wf'" in str(w.message) for w in caught)
    reader.save("wf", "node", KEY, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        found, loaded = FileStore(store.root).load("wf", "node", KEY)
    assert found and np.array_equal(loaded, value)


def test_a_run_recomputes_a_node_whose_large_record_has_two_pages_swapped(tmp_path: Path, values, keyed) -> None:
    calls = []

    def make() -> np.ndarray:
        calls.append("make")
        return values["large"]

    def total(x: np.ndarray) -> float:
        return float(x.sum())

    workflow = rt.Workflow(name="wf", nodes=[rt.call("node", make, []), rt.call("total", total, [rt.ref("node")])],
                           outputs={"make": rt.ref("node")})
    url = f"file:{tmp_path / 'store'}"
    first = workflow.run(storage=open_store(url))
    store = open_store(url)
    node_key = store.list("wf", "node")[0].key
    damage_record(store, "node", node_key, page_swap)
    with pytest.warns(StorageWarning, match="'node'"):
        again = workflow.run(storage=open_store(url))
    assert calls == ["make", "make"]
    assert np.array_equal(again["make"], first["make"])


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_small_object_on_s3_loads_as_absent_with_a_warning(s3: S3, values, keyed: bool,
                                                                      damage: str) -> None:
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}/p")
    store.save("wf", "node", KEY, values["small"])
    name = f"p/wf/node/{KEY}.ffp"
    data = bytearray(s3.client().get_object(Bucket=bucket, Key=name)["Body"].read())
    DAMAGE[damage](data)
    s3.client().put_object(Bucket=bucket, Key=name, Body=bytes(data))
    with pytest.warns(StorageWarning, match="'node'"):
        assert open_store(f"s3://{bucket}/p").load("wf", "node", KEY) == (False, None)
    store.save("wf", "node", KEY, values["small"])
    found, loaded = open_store(f"s3://{bucket}/p").load("wf", "node", KEY)
    assert found and np.array_equal(loaded, values["small"])
