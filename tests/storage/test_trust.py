"""Who can make a reader run code: planted pickles, unsigned or wrongly signed records, the storage key.

A "planted" value is a pickle that touches a marker file when it is
unpickled: whoever can write the store can write one, with a correct
checksum. These tests hold that it never runs where the reader should not
trust it: inside a record of a serializer that needs no pickle, and, with a
storage key, inside any record not signed with that key.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import types
import warnings
import zlib
from pathlib import Path

import pytest

from fuseflow.runtime.storage import FileStore, StorageWarning, open_store, signing
from fuseflow.runtime.storage import format as fmt
from fuseflow.runtime.storage.serializers import PickleSerializer
from fuseflow.targets.kfp import step as kfp_step

from .conftest import S3, Project

KEY = "7a" * 16
TEAM_KEY = "the team's storage key: 0123456789abcdef"
OTHER_KEY = "somebody else's key: fedcba9876543210"


class Planted:
    """Unpickling this touches ``path``: the sign that code chosen by a store's writer ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "planted-code-ran"


@pytest.fixture
def no_key(monkeypatch) -> None:
    monkeypatch.delenv(signing.KEY_VARIABLE, raising=False)
    monkeypatch.delenv(signing.KEY_FILE_VARIABLE, raising=False)


def use_key(monkeypatch, text: str | None) -> None:
    """Configure the storage key in this process's environment (None: no key)."""
    monkeypatch.delenv(signing.KEY_FILE_VARIABLE, raising=False)
    if text is None:
        monkeypatch.delenv(signing.KEY_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(signing.KEY_VARIABLE, text)


def pickled(value) -> bytes:
    """The payload PickleSerializer writes for ``value``."""
    return b"".join(bytes(b) for b in PickleSerializer().dump(value))


def plant(store: FileStore, node: str, serializer: str, payload: bytes, key: str = KEY) -> Path:
    """Write a record as anyone who can write the store can: a correct header and digest, the key this process has."""
    path = Path(store.root) / "wf" / node / f"{key}.ffr"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fmt.encode_header(serializer, [payload], fmt.address("wf", node, key)) + payload)
    return path


def load_quietly_missing(store: FileStore, node: str, match: str) -> None:
    with pytest.warns(StorageWarning, match=match) as caught:
        assert FileStore(store.root).load("wf", node, KEY) == (False, None)
    assert any(f"'{node}'" in str(w.message) for w in caught)


# Serializers that need no pickle never unpickle


def npy_of_objects(marker: Path) -> bytes:
    np = pytest.importorskip("numpy")
    out = io.BytesIO()
    np.save(out, np.array([Planted(marker)], dtype=object), allow_pickle=True)
    return out.getvalue()


PLANTS = {
    "json": lambda marker: pickled(Planted(marker)),
    "npy": lambda marker: pickled(Planted(marker)),
    "npy of objects": npy_of_objects,
    "parquet": lambda marker: pickled(Planted(marker)),
    "zarr": lambda marker: pickled(Planted(marker)),
}


@pytest.mark.parametrize("plant_kind", PLANTS, ids=list(PLANTS))
def test_a_planted_pickle_in_a_record_of_a_serializer_without_pickle_never_runs(tmp_path: Path, marker: Path, no_key,
                                                                                plant_kind: str) -> None:
    if plant_kind == "parquet":
        pytest.importorskip("pyarrow")
    if plant_kind == "zarr":
        pytest.importorskip("zarr")
        pytest.importorskip("dask")
    store = FileStore(tmp_path / "store", inline_max=0)
    plant(store, "n", plant_kind.split()[0], PLANTS[plant_kind](marker))
    load_quietly_missing(store, "n", "could not load")
    assert not marker.exists()


def test_zarr_records_open_only_plain_codecs() -> None:
    pytest.importorskip("zarr")
    from zarr.core.buffer import cpu

    from fuseflow.runtime.storage import daskzarr

    def objects(codec: str, extra: str = "") -> dict:
        meta = {"zarr_format": 3, "node_type": "array", "codecs": [{"name": "bytes"}, {"name": codec}]}
        found = {"zarr.json": cpu.Buffer.from_bytes(json.dumps(meta).encode())}
        if extra:
            found[extra] = cpu.Buffer.from_bytes(b"{}")
        return found

    daskzarr.check_metadata(objects("zstd"))
    with pytest.raises(ValueError, match="codec 'numcodecs.pickle'"):
        daskzarr.check_metadata(objects("numcodecs.pickle"))
    with pytest.raises(ValueError, match=r"\.zarray"):
        daskzarr.check_metadata(objects("zstd", extra=".zarray"))


# With a storage key: only records signed with it are deserialized


def test_with_a_key_every_record_is_signed_and_loads(tmp_path: Path, monkeypatch) -> None:
    use_key(monkeypatch, TEAM_KEY)
    store = open_store(tmp_path / "store")
    store.save("wf", "small", KEY, {"a": [1, 2]})
    store.save("wf", "large", KEY, b"x" * (300 << 10))  # a file of its own
    for node in ("small", "large"):
        path, offset, length = store.where("wf", node, KEY)
        with open(path, "rb") as f:
            f.seek(offset)
            head = f.read(8)
        assert (head[4], head[6]) == (fmt.VERSION, fmt.SIGNED)
    fresh = open_store(tmp_path / "store")
    assert fresh.load("wf", "small", KEY) == (True, {"a": [1, 2]})
    assert fresh.load("wf", "large", KEY) == (True, b"x" * (300 << 10))


def test_a_reader_with_a_key_never_unpickles_an_unsigned_record(tmp_path: Path, marker: Path, monkeypatch) -> None:
    use_key(monkeypatch, None)  # the attacker has no key
    store = FileStore(tmp_path / "store", inline_max=0)
    path = plant(store, "n", "pickle", pickled(Planted(marker)))
    use_key(monkeypatch, TEAM_KEY)
    load_quietly_missing(store, "n", "not signed")
    assert not marker.exists() and path.exists()
    store.save("wf", "n", KEY, "recomputed")  # the run computes it again and signs it
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        assert FileStore(store.root).load("wf", "n", KEY) == (True, "recomputed")


@pytest.mark.parametrize("writer_key", [OTHER_KEY, TEAM_KEY], ids=["another key", "the key, then altered"])
def test_a_record_signed_with_another_key_or_altered_is_never_unpickled(tmp_path: Path, marker: Path, monkeypatch,
                                                                         writer_key: str) -> None:
    use_key(monkeypatch, writer_key)
    store = FileStore(tmp_path / "store", inline_max=0)
    planted = pickled(Planted(marker))
    if writer_key == OTHER_KEY:
        plant(store, "n", "pickle", planted)
    else:  # a signed record whose payload is replaced, its length and header CRC made right again
        replace_payload(plant(store, "n", "pickle", pickled("an honest value")), planted)
    use_key(monkeypatch, TEAM_KEY)
    load_quietly_missing(store, "n", "signature mismatch")
    assert not marker.exists()


def replace_payload(path: Path, payload: bytes) -> None:
    """What a writer without the key can do to a signed record: anything but sign it."""
    data = bytearray(path.read_bytes())
    size = data[7] * 16
    header = data[:size]
    header[8:16] = len(payload).to_bytes(8, "little")
    header[16:20] = zlib.crc32(header[20:], zlib.crc32(header[:16])).to_bytes(4, "little")
    path.write_bytes(bytes(header) + payload)


@pytest.mark.parametrize("key", [None, TEAM_KEY], ids=["no key", "key"])
def test_a_record_copied_to_another_address_is_refused(tmp_path: Path, monkeypatch, key: str | None) -> None:
    use_key(monkeypatch, key)
    store = FileStore(tmp_path / "store", inline_max=0)
    store.save("wf", "n", "k" * 32, "the result of other inputs")
    source = Path(store.root) / "wf" / "n" / f"{'k' * 32}.ffr"
    (source.parent / f"{KEY}.ffr").write_bytes(source.read_bytes())
    load_quietly_missing(store, "n", "mismatch")


def test_a_reader_without_a_key_leaves_signed_records_alone(tmp_path: Path, monkeypatch) -> None:
    use_key(monkeypatch, TEAM_KEY)
    store = FileStore(tmp_path / "store", inline_max=0)
    store.save("wf", "n", KEY, "signed")
    use_key(monkeypatch, None)
    load_quietly_missing(store, "n", f"signed with a storage key and this process has none: set {signing.KEY_VARIABLE}")
    assert (Path(store.root) / "wf" / "n" / f"{KEY}.ffr").exists()


def test_the_key_from_a_private_file_is_the_key_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    use_key(monkeypatch, TEAM_KEY)
    store = open_store(tmp_path / "store")
    store.save("wf", "n", KEY, 42)
    key_file = tmp_path / "storage.key"
    key_file.write_text(TEAM_KEY + "\n")
    key_file.chmod(0o600)
    monkeypatch.delenv(signing.KEY_VARIABLE)
    monkeypatch.setenv(signing.KEY_FILE_VARIABLE, str(key_file))
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        assert open_store(tmp_path / "store").load("wf", "n", KEY) == (True, 42)


def key_file(tmp_path: Path, text: str, mode: int) -> str:
    path = tmp_path / "storage.key"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


@pytest.mark.parametrize("setting, words", [
    ({"file": 0o644}, ["may be read or changed by other users (mode 644)", "chmod 600"]),
    ({"file": 0o620}, ["mode 620"]),
    ({"missing": True}, ["cannot read the storage key file", "No such file"]),
    ({"text": "short"}, ["is 5 characters long; use at least 16"]),
    ({"text": TEAM_KEY, "file": 0o600}, ["set only one"]),
], ids=["world-readable file", "group-writable file", "missing file", "short key", "both"])
def test_a_key_setting_that_cannot_be_used_is_refused_when_the_store_opens(tmp_path: Path, monkeypatch, setting,
                                                                           words) -> None:
    use_key(monkeypatch, setting.get("text"))
    if "file" in setting:
        monkeypatch.setenv(signing.KEY_FILE_VARIABLE, key_file(tmp_path, TEAM_KEY, setting["file"]))
    if "missing" in setting:
        monkeypatch.setenv(signing.KEY_FILE_VARIABLE, str(tmp_path / "nowhere.key"))
    with pytest.raises(signing.StorageKeyError) as caught:
        open_store(tmp_path / "store")
    for word in words:
        assert word in str(caught.value)


def test_fusec_run_with_a_key_setting_that_cannot_be_used_says_so_in_one_line(project: Project) -> None:
    project.fuse("workflow wf\nfrom steps import inc\nx = inc(1)\nreturn x\n")
    project.env = {signing.KEY_VARIABLE: "short"}
    done = project.fusec("run", "wf.fuse")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"fusec: error: the storage key in {signing.KEY_VARIABLE} is 5 characters long")
    assert project.calls() == []


def test_kfp_artifacts_are_signed_and_an_unsigned_one_never_unpickled(tmp_path: Path, marker: Path,
                                                                      monkeypatch) -> None:
    use_key(monkeypatch, None)
    planted = types.SimpleNamespace(path=str(tmp_path / "planted"), metadata={})
    kfp_step.write_artifact(planted, [Planted(marker), 1], {"node": "n", "key": KEY, "forced": False})
    use_key(monkeypatch, TEAM_KEY)
    with pytest.raises(fmt.UntrustedRecord, match="not signed"):
        kfp_step.read_artifact(planted.path)
    assert not marker.exists()
    signed = types.SimpleNamespace(path=str(tmp_path / "signed"), metadata={})
    kfp_step.write_artifact(signed, {"a": 1}, {"node": "n", "key": KEY, "forced": False})
    assert kfp_step.read_value(signed.path) == {"a": 1}


def test_s3_with_a_key_never_unpickles_an_unsigned_object(s3: S3, marker: Path, monkeypatch) -> None:
    bucket = s3.bucket()
    use_key(monkeypatch, None)
    open_store(f"s3://{bucket}/p").save("wf", "n", KEY, (Planted(marker),))
    use_key(monkeypatch, TEAM_KEY)
    with pytest.warns(StorageWarning, match="not signed"):
        assert open_store(f"s3://{bucket}/p").load("wf", "n", KEY) == (False, None)
    assert not marker.exists()
    open_store(f"s3://{bucket}/p").save("wf", "n", KEY, "recomputed")
    assert open_store(f"s3://{bucket}/p").load("wf", "n", KEY) == (True, "recomputed")


# Records of older format versions


def version_1_record(serializer: str, payload: bytes) -> bytes:
    """A record as fuseflow wrote small ones before format 3: a CRC32 of the whole record."""
    raw = serializer.encode()
    prefix = struct.pack("<4sBBxxQ", fmt.MAGIC, 1, len(raw), len(payload))
    tail = raw + bytes(fmt.aligned(20 + len(raw)) - 20 - len(raw))
    return prefix + struct.pack("<I", zlib.crc32(tail + payload, zlib.crc32(prefix))) + tail + payload


def version_2_header(serializer: str, length: int) -> bytes:
    """The header of a large record before format 3 (block sums: no longer read)."""
    raw = serializer.encode() + bytes(4)
    prefix = struct.pack("<4sBBBxQ", fmt.MAGIC, 2, len(raw) - 4, 1, length)
    tail = raw + bytes(fmt.aligned(20 + len(raw)) - 20 - len(raw))
    return prefix + struct.pack("<I", zlib.crc32(tail, zlib.crc32(prefix))) + tail


def test_a_version_1_record_loads_without_a_key_and_is_untrusted_with_one(tmp_path: Path, monkeypatch) -> None:
    use_key(monkeypatch, None)
    store = FileStore(tmp_path / "store", inline_max=0)
    path = Path(store.root) / "wf" / "n" / f"{KEY}.ffr"
    path.parent.mkdir(parents=True)
    path.write_bytes(version_1_record("pickle", pickled({"old": True})))
    assert store.load("wf", "n", KEY) == (True, {"old": True})
    use_key(monkeypatch, TEAM_KEY)
    load_quietly_missing(store, "n", "not signed")


def test_a_version_2_record_is_unreadable_kept_and_recomputed(tmp_path: Path, no_key) -> None:
    store = FileStore(tmp_path / "store", inline_max=0)
    path = Path(store.root) / "wf" / "n" / f"{KEY}.ffr"
    path.parent.mkdir(parents=True)
    payload = pickled(list(range(10)))
    path.write_bytes(version_2_header("pickle", len(payload)) + payload)
    load_quietly_missing(store, "n", "record format version 2 is no longer read")
    assert path.exists()
    store.save("wf", "n", KEY, list(range(10)))
    assert FileStore(store.root).load("wf", "n", KEY) == (True, list(range(10)))


def test_the_key_is_never_written_into_the_store(tmp_path: Path, monkeypatch) -> None:
    use_key(monkeypatch, TEAM_KEY)
    store = open_store(tmp_path / "store")
    store.save("wf", "n", KEY, "value")
    store.save("wf", "big", KEY, b"y" * (300 << 10))
    clone = pickle.dumps(store)
    secrets = [TEAM_KEY.encode(), signing.storage_key()]
    for root, _, files in os.walk(tmp_path / "store"):
        for name in files:
            data = Path(root, name).read_bytes()
            assert not any(secret in data for secret in secrets)
    assert not any(secret in clone for secret in secrets)
