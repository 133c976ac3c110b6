"""`fusec submit --target ray` and `fusec jobs` against a real cluster and its job server.

The head is started by this module (`ray start --head --block` with the
dashboard, ray_heads.py) from a folder of its own, with this virtualenv's
Python; the workflows' modules exist only beside their .fuse files, in other
folders, so the job finds them only because its working_dir brought them.
fusec runs as a subprocess, from the project's folder, as a user runs it.
test_ray_jobs_bare.py does the same on a cluster whose Python has no fuseflow.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ray_heads import clean_environment, job_server

pytestmark = [pytest.mark.ray, pytest.mark.slow]
BIN = Path(sys.executable).parent

SHIPPED = """\
workflow shipped

from shipped_steps_beside import greet, listing

param name: str = "world"

g = greet(name)
files = listing()

return g, files
"""

STEPS = """\
import os


def greet(name):
    print("greeting", name)
    return f"hello {name}"


def listing():
    return sorted(os.listdir("."))
"""

FAILING = """\
workflow failing

from failing_steps_beside import boom, twice

param x: int = 3

t = twice(x)
b = boom(t)

return b
"""

FAILING_STEPS = """\
def twice(x):
    return 2 * x


def boom(x):
    raise ValueError(f"no good: {x}")
"""

NAP = """\
workflow nap

from nap_steps_beside import nap

param seconds: float = 0

n = nap(seconds)

return n
"""

NAP_STEPS = """\
import time


def nap(seconds):
    time.sleep(seconds)
    return seconds
"""


DECIDING = """\
workflow deciding

from deciding_steps_beside import inc

param n: int = 1

a = inc(n)
if a > 5 {
    chosen = inc(a)
} else {
    chosen = inc(0)
}

return chosen
"""

DECIDING_STEPS = """\
def inc(x):
    return x + 1
"""


@pytest.fixture(scope="module")
def s3_env():
    """An S3-compatible server on 127.0.0.1 (moto), and the environment that reaches it."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def address(tmp_path_factory, s3_env):
    """The job server of a one-CPU cluster started from a folder of its own, whose
    nodes have credentials for the S3 server (as a cluster in the cloud would)."""
    env = {**s3_env, "RUNTIME_ENV_RETRY_TIMES": "1"}  # a runtime_env that cannot be made fails at once
    with job_server(BIN, tmp_path_factory.mktemp("cluster-home"), env=env) as found:
        yield found


def project(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def fusec(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "fusec"), *args], cwd=cwd, env=clean_environment(), capture_output=True,
                          text=True, timeout=timeout)


def test_a_workflow_whose_module_is_only_beside_the_fuse_file_runs_as_a_job(address, tmp_path):
    folder = project(tmp_path / "project", {
        "wf.fuse": SHIPPED, "shipped_steps_beside.py": STEPS, ".rayignore": "data/\n",
        "data/big.csv": "1,2\n", ".fuseflow/old/x.ffr": "x", ".git/HEAD": "ref", "env/pyvenv.cfg": "home = /",
    })
    store = tmp_path / "store"
    started = time.monotonic()
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", str(store), "-p",
                 "name=ray", "--json", "--progress", cwd=folder)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    outputs = json.loads(done.stdout)
    assert outputs == {"g": "hello ray",
                       "files": [".fuseflow-job.json", ".rayignore", "shipped_steps_beside.py", "wf.fuse"]}
    assert f"warning: the store {store} is a folder: every node of the cluster must see it" in done.stderr
    assert re.search(r"shipped .* 2/2 .* done 2  loaded 0  running 0  failed 0", done.stderr), done.stderr
    assert " progress [" not in done.stderr and " outputs {" not in done.stderr  # fusec's own lines taken out
    print(f"first job: {took:.1f} s")

    from fuseflow.runtime.storage import open_store

    assert open_store(str(store)).list_tasks("shipped") == ["files", "g"]

    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", str(store), "-p",
                 "name=ray", "--progress", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("g = hello ray\n"
                           "files = ['.fuseflow-job.json', '.rayignore', 'shipped_steps_beside.py', 'wf.fuse']\n")
    assert "done 0  loaded 2" in done.stderr and "greeting" not in done.stderr  # stored: nothing ran


def test_a_failing_node_fails_the_job_with_its_error_as_fusec_run_prints_it(address, tmp_path):
    folder = project(tmp_path / "failing", {"failing.fuse": FAILING, "failing_steps_beside.py": FAILING_STEPS})
    done = fusec("submit", "failing.fuse", "--target", "ray", "--address", address, "--storage",
                 str(tmp_path / "store"), cwd=folder)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert "error: node 'b' failed: ValueError: no good: 6\n\nTraceback of node 'b':\n" in done.stderr
    assert 'raise ValueError(f"no good: {x}")' in done.stderr
    assert "Results finished before the failure are stored; the next run reuses them." in done.stderr
    assert "fusec: error" not in done.stderr  # the driver said it all

    done = fusec("submit", "failing.fuse", "--target", "ray", "--address", address, "--no-cache", "-p", "x=q",
                 cwd=folder)
    assert done.returncode == 2 and "param 'x'" in done.stderr  # checked here: no job at all

    (folder / "unmade.fuse").write_text(FAILING.replace("return b", 'return b\n\noptions ray { workflow: { init: '
                                                        '{"runtime_env": {"pip": ["/nonexistent/fuseflow-pkg"]}} } }'))
    done = fusec("submit", "unmade.fuse", "--target", "ray", "--address", address, "--no-cache", cwd=folder)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert re.search(r"fusec: error: job raysubmit_\w+ failed: .*/nonexistent/fuseflow-pkg", done.stderr, re.S), \
        done.stderr  # the job's runtime_env could not be made: Ray's message


def test_no_wait_prints_the_id_and_fusec_jobs_follows_reports_and_stops(address, tmp_path):
    folder = project(tmp_path / "nap", {"nap.fuse": NAP, "nap_steps_beside.py": NAP_STEPS})
    done = fusec("submit", "nap.fuse", "--target", "ray", "--address", address, "--no-cache", "--json",
                 "--no-wait", cwd=folder)
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip()
    assert re.fullmatch(r"raysubmit_\w+", job), done.stdout
    assert f"fusec jobs logs {job} --address {address} --follow" in done.stderr

    done = fusec("jobs", "logs", job, "--address", address, "--follow", cwd=tmp_path)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"n": 0}), done.stderr
    done = fusec("jobs", "status", job, "--address", address, "--json", cwd=tmp_path)
    status = json.loads(done.stdout)
    assert (status["status"], status["exit_code"], status["outputs"]) == ("SUCCEEDED", 0, {"n": 0})
    done = fusec("jobs", "logs", job, "--address", address, cwd=tmp_path)
    assert "Running entrypoint" in done.stdout and done.stdout.endswith('{"n": 0.0}\n')
    assert "fuseflow-" not in done.stdout.replace("fuseflow-job", "")
    done = fusec("jobs", "stop", job, "--address", address, cwd=tmp_path)
    assert done.stdout == f"job {job} had ended already: SUCCEEDED\n"

    done = fusec("submit", "nap.fuse", "--target", "ray", "--address", address, "--no-cache", "-p", "seconds=300",
                 "--no-wait", cwd=folder)
    slow = done.stdout.strip()
    done = fusec("jobs", "stop", slow, "--address", address, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"stopping job {slow}\n"), done.stderr
    done = fusec("jobs", "logs", slow, "--address", address, "--follow", cwd=tmp_path, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.endswith(f"fusec: error: job {slow} was stopped\n"), done.stderr
    done = fusec("jobs", "status", slow, "--address", address, cwd=tmp_path)
    assert done.stdout.startswith(f"{slow}: STOPPED")

    done = fusec("jobs", "status", "raysubmit_nosuch", "--address", address, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (f"fusec: error: could not get job raysubmit_nosuch from {address}: RuntimeError: "
                           f"Request failed with status code 404: Job raysubmit_nosuch does not exist.\n")


def test_an_s3_store_just_works(address, s3_env, tmp_path, monkeypatch):
    """No warning, no shared folder: the nodes write to S3, where this machine reads the results."""
    boto3 = pytest.importorskip("boto3")
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3_env["AWS_ENDPOINT_URL"]).create_bucket(Bucket="jobs")
    folder = project(tmp_path / "project", {"wf.fuse": SHIPPED, "shipped_steps_beside.py": STEPS})
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", "s3://jobs/runs",
                 "--json", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["g"] == "hello world" and "warning" not in done.stderr

    from fuseflow.runtime.storage import open_store

    store = open_store("s3://jobs/runs")
    assert store.list_tasks("shipped") == ["files", "g"]
    assert store.read("shipped", "g") == "hello world"


def test_a_job_reports_its_summary_as_fusec_run_does(address, tmp_path):
    folder = project(tmp_path / "deciding", {"wf.fuse": DECIDING, "deciding_steps_beside.py": DECIDING_STEPS})
    store = str(tmp_path / "store")
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", store, "--json",
                 "--summary", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"outputs": {"chosen": 1}, "summary": {
        "nodes": {"computed": 2, "loaded": 0, "skipped": 1}, "skipped": ["chosen.if"], "decisions": {"if-1": "else"}}}
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", store, "--summary",
                 "-p", "n=7", cwd=folder)
    assert (done.returncode, done.stdout) == (0, "9\n"), done.stderr
    assert "summary: 2 computed, 0 loaded, 1 skipped (chosen.else); if-1: if\n" in done.stderr  # a new n: a new a
