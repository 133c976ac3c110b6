"""Packs: small results appended to one file per process; damage, tears, compaction, gc."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
import warnings
import zlib
from pathlib import Path

import pytest

from fuseflow.runtime.storage import FileStore, StorageWarning, crc, open_store, pack

KEY = "ab" * 16


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return open_store(tmp_path / "store")


def packs(store: FileStore, workflow: str = "wf") -> list[Path]:
    return sorted((Path(store.root) / workflow / pack.DIRNAME).glob("*.ffp"))


def damage(path: str, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x08]))


def test_small_results_share_one_pack_and_create_no_folder(store: FileStore) -> None:
    for i in range(50):
        store.save("wf", f"node.{i}", KEY, {"i": i})
    assert len(packs(store)) == 1
    assert sorted(p.name for p in (Path(store.root) / "wf").iterdir()) == [pack.DIRNAME]
    fresh = FileStore(store.root)
    assert all(fresh.load("wf", f"node.{i}", KEY) == (True, {"i": i}) for i in range(50))
    assert fresh.list_tasks("wf") == sorted(f"node.{i}" for i in range(50))


def test_large_results_get_a_file_of_their_own(store: FileStore) -> None:
    big = b"x" * (store.inline_max + 1)
    store.save("wf", "big", KEY, big, meta={"why": "test"})
    path, offset, length = store.where("wf", "big", KEY)
    assert path.endswith(f"/wf/big/{KEY}.ffr") and offset == 0
    assert FileStore(store.root).load("wf", "big", KEY) == (True, big)
    assert FileStore(store.root).meta("wf", "big", KEY) == {"why": "test"}


def test_meta_is_kept_with_the_result(store: FileStore) -> None:
    store.save("wf", "n", KEY, 1, meta={"params": {"a": 1}, "upstream": {"x": "k"}})
    assert FileStore(store.root).meta("wf", "n", KEY) == {"params": {"a": 1}, "upstream": {"x": "k"}}
    assert store.meta("wf", "n", "other") is None


def test_a_later_save_of_the_same_key_wins(store: FileStore) -> None:
    store.save("wf", "n", KEY, "old")
    store.save("wf", "n", KEY, "new")
    assert FileStore(store.root).load("wf", "n", KEY) == (True, "new")
    assert len(store.list("wf")) == 1


@pytest.mark.parametrize("where", ["header", "names", "record header", "payload"])
def test_a_damaged_entry_warns_is_a_miss_and_is_dropped(store: FileStore, where: str) -> None:
    store.save("wf", "a", KEY, "first")
    store.save("wf", "n", KEY, {"weights": list(range(100))})
    store.save("wf", "z", KEY, "last")
    path, offset, length = store.where("wf", "n", KEY)
    head = offset - 80  # inside the entry's head, before its record
    spot = {"header": head - head % 16, "names": offset - 40, "record header": offset + 2,
            "payload": offset + length // 2}[where]
    damage(path, spot)
    fresh = FileStore(store.root)
    if where in ("header", "names"):  # the entry itself is unreadable: it is simply not there
        assert fresh.load("wf", "n", KEY) == (False, None)
    else:
        with pytest.warns(StorageWarning, match="discarded the stored result of node 'n'"):
            assert fresh.load("wf", "n", KEY) == (False, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FileStore(store.root).load("wf", "n", KEY) == (False, None)
        assert FileStore(store.root).load("wf", "a", KEY) == (True, "first")  # neighbours survive
        assert FileStore(store.root).load("wf", "z", KEY) == (True, "last")


def test_a_torn_tail_is_not_there_yet_and_later_entries_are_found(store: FileStore) -> None:
    store.save("wf", "a", KEY, "a")
    [path] = packs(store)
    whole = path.read_bytes()
    store.save("wf", "b", KEY, "b" * 100)
    full = path.read_bytes()
    path.write_bytes(full[: len(whole) + 50])  # b's entry half written
    fresh = FileStore(store.root)
    assert fresh.load("wf", "a", KEY) == (True, "a") and fresh.load("wf", "b", KEY) == (False, None)
    path.write_bytes(full[: len(whole) + 50] + bytes(14) + full[len(whole):])  # a torn entry, then a whole one
    assert FileStore(store.root).load("wf", "b", KEY) == (True, "b" * 100)


def test_remove_rewrites_the_pack_without_the_removed_results(store: FileStore) -> None:
    for node in ("data", "model.a", "model.b"):
        store.save("wf", node, KEY, node)
    assert store.remove("wf", "model.*") == 2
    assert store.list_tasks("wf") == ["data"]
    assert FileStore(store.root).list_tasks("wf") == ["data"]
    assert store.load("wf", "model.a", KEY) == (False, None)
    store.save("wf", "model.a", KEY, "again")  # the writer starts a new pack
    assert FileStore(store.root).load("wf", "model.a", KEY) == (True, "again")


def test_gc_drops_superseded_copies_and_unreferenced_results(store: FileStore) -> None:
    for i in range(3):
        store.save("wf", "n", KEY, i)
    store.save("wf", "old", KEY, "unused")
    assert [g.kind for g in store.garbage()] == ["superseded", "superseded"]
    assert store.gc(dry_run=True) == 2 and len(store.garbage()) == 2
    assert store.gc(keep=lambda w, n, k: n != "old") == 3
    fresh = FileStore(store.root)
    assert fresh.load("wf", "n", KEY) == (True, 2) and fresh.list_tasks("wf") == ["n"]
    assert store.garbage() == []


def test_many_threads_saving_at_once(store: FileStore) -> None:
    def work(t: int) -> None:
        for i in range(200):
            store.save("wf", f"n{t}.{i}", KEY, (t, i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = FileStore(store.root)
    assert all(fresh.load("wf", f"n{t}.{i}", KEY) == (True, (t, i)) for t in range(4) for i in range(200))


def _save_in_child(root: str, start: int) -> None:
    store = FileStore(root)
    for i in range(start, start + 100):
        store.save("wf", f"n{i}", KEY, i)


def test_a_forked_child_writes_its_own_pack(store: FileStore) -> None:
    store.save("wf", "parent", KEY, "p")
    child = multiprocessing.get_context("fork").Process(target=_save_in_child, args=(store.root, 0))
    child.start()
    child.join()
    store.save("wf", "parent2", KEY, "p2")
    assert len(packs(store)) == 2
    fresh = FileStore(store.root)
    assert fresh.load("wf", "n99", KEY) == (True, 99) and fresh.load("wf", "parent2", KEY) == (True, "p2")


def test_another_process_s_results_are_seen_after_a_miss(store: FileStore, monkeypatch) -> None:
    monkeypatch.setattr("fuseflow.runtime.storage.file.REFRESH_AFTER", 0.0)
    assert store.load("wf", "n5", KEY) == (False, None)
    proc = multiprocessing.get_context("spawn").Process(target=_save_in_child, args=(store.root, 0))
    proc.start()
    proc.join()
    assert store.has("wf", "n5", KEY) and store.load("wf", "n5", KEY) == (True, 5)


def test_a_pickled_store_starts_without_open_packs(store: FileStore) -> None:
    store.save("wf", "n", KEY, 1)
    clone = pickle.loads(pickle.dumps(store))
    assert clone._writers == {} and clone.inline_max == store.inline_max
    clone.save("wf", "m", KEY, 2)
    assert len(packs(store)) == 2


def test_crc_combine_matches_zlib() -> None:
    a, b = os.urandom(1000), os.urandom(4321)
    assert crc.combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    big = [os.urandom(3 << 20), memoryview(os.urandom(crc.PARALLEL_MIN))]
    assert crc.crc32(big, 5) == zlib.crc32(big[1], zlib.crc32(big[0], 5))


def test_a_result_saved_elsewhere_after_compaction_is_still_found(store: FileStore) -> None:
    store.save("wf", "a", KEY, "a")
    other = FileStore(store.root)
    other.save("wf", "b", KEY, "b")
    store.remove("wf", "a")
    time.sleep(0.01)
    other.save("wf", "c", KEY, "c")
    fresh = FileStore(store.root)
    assert fresh.load("wf", "b", KEY) == (True, "b") and fresh.load("wf", "c", KEY) == (True, "c")


def test_removed_results_do_not_come_back_from_older_copies(store: FileStore) -> None:
    store.save("wf", "n", KEY, "old")
    FileStore(store.root).save("wf", "n", KEY, "newer, in another pack")
    assert len(packs(store)) == 2
    assert FileStore(store.root).remove("wf", "n") == 1
    assert FileStore(store.root).load("wf", "n", KEY) == (False, None)
    assert FileStore(store.root).list("wf") == []
