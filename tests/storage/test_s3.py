"""S3 storage against a real S3-compatible server on 127.0.0.1 (moto), through s3fs as users run it."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from fuseflow.runtime.storage import MissingResult, StorageUnavailable, StorageWarning, open_store
from fuseflow.runtime.storage import s3 as s3mod

from .conftest import ROOT, S3, Project

KEY = "5e" * 16
ARITH = """
    workflow arith
    from steps import inc, add

    param a: int = 1
    x = inc(a)
    y = inc(x, by=10)
    z = add(x, y)
    return z
"""


def test_round_trips_and_listing(s3: S3) -> None:
    np = pytest.importorskip("numpy")
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}/results")
    store.save("wf", "small", KEY, {"a": [1, 2]}, meta={"params": {"a": 1}})
    store.save("wf", "arr", KEY, np.arange(10.0))
    fresh = open_store(f"s3://{bucket}/results")  # another process would see the same
    assert fresh.load("wf", "small", KEY) == (True, {"a": [1, 2]})
    found, array = fresh.load("wf", "arr", KEY)
    assert found and array.tolist() == list(range(10)) and array.flags.writeable
    assert fresh.load("wf", "small", "0" * 32) == (False, None) and not fresh.has("wf", "x", KEY)
    assert [(r.node, r.serializer) for r in fresh.list("wf")] == [("arr", "npy"), ("small", "json")]
    assert fresh.meta("wf", "small", KEY) == {"params": {"a": 1}}
    assert fresh.workflows() == ["wf"] and fresh.read("wf", "arr").sum() == 45
    assert s3.objects(bucket) == [f"results/wf/arr/{KEY}.ffp", f"results/wf/small/{KEY}.ffp"]
    assert fresh.remove("wf", "sm*") == 1 and fresh.list_tasks("wf") == ["arr"]
    assert fresh.remove_workflow("wf") and fresh.workflows() == [] and s3.objects(bucket) == []
    with pytest.raises(MissingResult, match="no workflow 'wf'"):
        fresh.read("wf", "arr")


def test_a_store_opened_later_uses_the_endpoint_the_environment_names_now(s3: S3, monkeypatch) -> None:
    """fsspec keeps one filesystem per set of arguments: a store opened after AWS_ENDPOINT_URL
    changed (another server, as one test after another) went to the old endpoint."""
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    other = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    other.start()
    host, port = other.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    boto3.client("s3", endpoint_url=f"http://{host}:{port}").create_bucket(Bucket="first")
    open_store("s3://first/p").save("wf", "n", KEY, 1)
    other.stop()  # gone, as a server of an earlier test is
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}/p")
    store.save("wf", "n", KEY, 2)
    assert store.load("wf", "n", KEY) == (True, 2)


def test_a_large_result_goes_up_in_parts_and_comes_back_whole(s3: S3, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    monkeypatch.setattr(s3mod, "SINGLE_PUT_MAX", 6 << 20)
    monkeypatch.setattr(s3mod, "PART_SIZE", 5 << 20)  # S3's smallest part
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}")
    value = np.random.default_rng(1).random(2_000_000)  # 16 MB: four parts
    store.save("wf", "big", KEY, value)
    found, loaded = open_store(f"s3://{bucket}").load("wf", "big", KEY)
    assert found and np.array_equal(loaded, value)
    assert s3.client().head_object(Bucket=bucket, Key=f"wf/big/{KEY}.ffp")["ETag"].endswith('-4"')


def test_a_failed_upload_leaves_no_object(s3: S3, monkeypatch) -> None:
    monkeypatch.setattr(s3mod, "SINGLE_PUT_MAX", 6 << 20)
    monkeypatch.setattr(s3mod, "PART_SIZE", 5 << 20)
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}")

    class Exploding:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError):
        store.save("wf", "n", KEY, [b"x" * (12 << 20), Exploding()])
    assert s3.objects(bucket) == []


@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign"])
def test_a_damaged_object_warns_and_is_recomputed(s3: S3, damage: str) -> None:
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}/p")
    store.save("wf", "n", KEY, list(range(100)))
    name = f"p/wf/n/{KEY}.ffp"
    data = bytearray(s3.client().get_object(Bucket=bucket, Key=name)["Body"].read())
    if damage == "flip":
        data[-20] ^= 1
    elif damage == "truncate":
        del data[-7:]
    else:
        data = bytearray(b"not ours at all")
    s3.client().put_object(Bucket=bucket, Key=name, Body=bytes(data))
    fresh = open_store(f"s3://{bucket}/p")
    with pytest.warns(StorageWarning, match="discarded the stored result of node 'n'"):
        assert fresh.load("wf", "n", KEY) == (False, None)
    assert s3.objects(bucket) == []
    fresh.save("wf", "n", KEY, "again")
    assert open_store(f"s3://{bucket}/p").load("wf", "n", KEY) == (True, "again")


def test_endpoint_and_region_as_url_options(s3: S3, monkeypatch) -> None:
    bucket = s3.bucket()
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    store = open_store(f"s3://{bucket}/x?endpoint_url={s3.endpoint}&region=us-east-1")
    store.save("wf", "n", KEY, 7)
    quoted = s3.endpoint.replace(":", "%3A").replace("/", "%2F")
    assert store.url == f"s3://{bucket}/x?endpoint_url={quoted}&region=us-east-1"
    clone = pickle.loads(pickle.dumps(store))  # travels to Ray workers and KFP steps
    assert clone._fs is None and clone.load("wf", "n", KEY) == (True, 7)


def test_endpoint_and_credentials_from_aws_config_files(s3: S3, tmp_path: Path) -> None:
    bucket = s3.bucket()
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(f"[profile flows]\nregion = us-east-1\nendpoint_url = {s3.endpoint}\n")
    credentials.write_text("[flows]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_PROFILE="flows",
               PYTHONPATH=str(ROOT))
    code = (f"from fuseflow.runtime.storage import open_store\n"
            f"s = open_store('s3://{bucket}/cfg'); s.save('wf', 'n', 'k', 'hello'); print(s.read('wf', 'n'))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello\n" and s3.objects(bucket) == ["cfg/wf/n/k.ffp"]


def test_s3fs_is_imported_only_when_an_s3_store_is_used(tmp_path: Path) -> None:
    code = ("import sys\nfrom fuseflow.runtime.storage import open_store\n"
            "s = open_store('s3://bucket/p'); assert 's3fs' not in sys.modules\n"
            f"open_store({str(tmp_path)!r}).save('w', 'n', 'k', 1)\n"
            "print('s3fs' in sys.modules, 'boto3' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "False False", done.stderr


def test_fusec_run_with_s3_storage_reuses_results(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = s3.env
    project.fuse(ARITH)
    url = f"s3://{bucket}/runs"
    assert project.run("--storage", url) == {"z": 14}
    assert sorted(project.calls()) == ["add 2 12", "inc 1", "inc 2"]
    assert project.run("--storage", url) == {"z": 14}
    assert project.calls() == []
    assert project.run("--storage", url, "-p", "a=2") == {"z": 16}
    assert sorted(project.calls()) == ["add 3 13", "inc 2", "inc 3"]
    assert len([key for key in s3.objects(bucket) if key.endswith(".ffp")]) == 6  # and wf.fuse's marker
    assert s3.objects(bucket)[0].startswith("runs/arith/.sources/")


def test_storage_url_in_the_fuse_file(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = s3.env
    project.fuse(ARITH.replace("workflow arith", f'workflow arith\nstorage "s3://{bucket}/in-file"'))
    assert project.run() == {"z": 14}
    assert project.run() == {"z": 14} and project.calls()[3:] == []
    assert all(name.startswith("in-file/arith/") for name in s3.objects(bucket))
    assert not (project.root / ".fuseflow").exists()


NO_AWS_FILES = {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
                "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata request off this machine
                "AWS_MAX_ATTEMPTS": "1"}  # one try: the error, not the retries, is under test


def unused_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_one_line_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("fusec: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    for word in words:
        assert word in done.stderr


def test_s3_without_credentials_is_one_line_naming_the_url(s3_server: S3, project: Project, monkeypatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    project.env = {**NO_AWS_FILES, "AWS_ENDPOINT_URL": s3_server.endpoint}
    project.fuse(ARITH)
    url = "s3://some-bucket/runs"
    assert_one_line_error(project.fusec("run", "wf.fuse", "--storage", url), url, "no usable AWS credentials")
    assert_one_line_error(project.fusec("storage", "ls", "--storage", url), url, "no usable AWS credentials")
    assert_one_line_error(project.fusec("explain", "wf.fuse", "--storage", url), url, "no usable AWS credentials")
    assert project.calls() == []


def test_s3_with_an_endpoint_that_does_not_answer_is_one_line_naming_it(s3: S3, project: Project) -> None:
    endpoint = f"http://127.0.0.1:{unused_port()}"
    project.env = {**s3.env, **NO_AWS_FILES, "AWS_ENDPOINT_URL": endpoint}
    project.fuse(ARITH)
    url = "s3://some-bucket/runs"
    for command in (["run", "wf.fuse"], ["storage", "ls"], ["explain", "wf.fuse"]):
        done = project.fusec(*command, "--storage", url)
        assert_one_line_error(done, url, f"the endpoint {endpoint} is not reachable")


def test_the_store_reports_what_is_missing_as_storage_unavailable(s3: S3, monkeypatch) -> None:
    endpoint = f"http://127.0.0.1:{unused_port()}"
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = open_store(f"s3://bucket/p?endpoint_url={endpoint}")
    with pytest.raises(StorageUnavailable, match="not reachable"):
        store.load("wf", "n", KEY)
    with pytest.raises(StorageUnavailable, match="not reachable"):
        store.save("wf", "n", KEY, 1)


WRITER = """
import sys, numpy as np
from fuseflow.runtime.storage import open_store, s3
s3.SINGLE_PUT_MAX, s3.PART_SIZE = 6 << 20, 5 << 20   # multipart uploads from 6 MB, as tests can afford
store = open_store(sys.argv[1])
value = np.ones(3_000_000)                            # 24 MB: five parts
for i in range(1000):
    store.save("wf", "big", f"k{i}", value)
    print("saved", i, flush=True)
"""


def test_a_killed_writer_leaves_no_visible_partial_object(s3: S3, tmp_path: Path) -> None:
    pytest.importorskip("numpy")  # the writer saves a numpy array
    bucket = s3.bucket()
    url = f"s3://{bucket}/kill"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, **s3.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().startswith("saved 0")
    deadline = time.time() + 60
    while not _uploads(s3, bucket) and time.time() < deadline:  # kill it in the middle of an upload
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    store = open_store(url)
    results = store.list("wf")
    assert results
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        for result in results:
            found, value = store.load("wf", "big", result.key)
            assert found and value.shape == (3_000_000,) and float(value[-1]) == 1.0
    pending = _uploads(s3, bucket)
    assert pending, "the writer was not killed during an upload"
    assert all(u["Key"] not in {f"kill/wf/big/{r.key}.ffp" for r in results} for u in pending)
    assert store.gc(max_age=0) == len(pending) and _uploads(s3, bucket) == []


def _uploads(s3: S3, bucket: str) -> list[dict]:
    return s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_gc_removes_unreferenced_objects(s3: S3) -> None:
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}")
    for node in ("a", "b", "c"):
        store.save("wf", node, KEY, node)
    assert store.gc(keep=lambda w, n, k: n != "b", dry_run=True) == 1 and len(s3.objects(bucket)) == 3
    assert store.gc(keep=lambda w, n, k: n != "b") == 1
    assert open_store(f"s3://{bucket}").list_tasks("wf") == ["a", "c"]


CONCURRENT = """
    workflow both
    from steps import inc, add

    param pause: float = 0.05
    for i in [1, 2, 3, 4, 5, 6] {
        x = inc(i, pause=pause)
        y = inc(x, by=100, pause=pause)
    }
    z = add(y, y)
    return z
"""


def test_two_concurrent_runs_on_s3_then_a_third_reuses_everything(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = s3.env
    project.fuse(textwrap.dedent(CONCURRENT).replace("add(y, y)", "add(y[1], y[6])"))
    url = f"s3://{bucket}/two"
    procs = [subprocess.Popen([sys.executable, "-m", "fuseflow.cli", "run", "wf.fuse", "--json", "--storage", url],
                              cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, **s3.env, "STEPS_LOG": str(project.log), "PYTHONPATH": str(ROOT)})
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(out.strip() == '{"z": 209}' for out, _ in outs)
    project.calls()
    assert project.run("--storage", url) == {"z": 209}
    assert project.calls() == []


def test_prefetch_fetches_the_results_to_load_at_once(s3: S3) -> None:
    bucket = s3.bucket()
    store = open_store(f"s3://{bucket}")
    for i in range(20):
        store.save("wf", f"n{i}", KEY, i)
    fresh = open_store(f"s3://{bucket}")
    fresh.prefetch("wf", [(f"n{i}", KEY) for i in range(20)] + [("missing", KEY)])
    assert len(fresh._ahead) == 20
    assert all(fresh.load("wf", f"n{i}", KEY) == (True, i) for i in range(20))
    assert fresh._ahead == {}  # handed over, not kept


def test_fusec_storage_commands_on_s3(s3: S3, capsys) -> None:
    from fuseflow.cli import storage as cli_storage

    bucket = s3.bucket()
    url = f"s3://{bucket}/cli"
    store = open_store(url)
    store.save("wf", "a", KEY, list(range(10)))
    store.save("wf", "b", KEY, "b")
    assert cli_storage.main(["ls", "--storage", url, "wf"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == ["a", "b"]
    assert cli_storage.main(["du", "--storage", url]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["wf", "2", "2"]
    assert cli_storage.main(["show", "--storage", url, "wf", "a"]) == 0
    assert capsys.readouterr().out.strip() == str(list(range(10)))
    assert cli_storage.main(["rm", "--storage", url, "wf", "b"]) == 0
    assert cli_storage.main(["gc", "--storage", url, "--dry-run"]) == 0
    assert open_store(url).list_tasks("wf") == ["a"]
