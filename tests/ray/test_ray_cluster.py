"""A cluster started separately with `ray start --head`, reached by address.

Its drivers run in subprocesses, beside the session's in-process Ray. The
cluster gets a temp dir of its own, so nothing else on the machine finds it
through /tmp/ray, and it is stopped by its own process id: `ray start
--block` stops what it started when terminated (`ray stop` would stop every
Ray of this user on the machine), and it is terminated when pytest ends,
however pytest ends.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, head: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited with {head.returncode}:\n{head.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray head did not listen on port {port} within {timeout} s")


def terminated_with_parent() -> None:
    """Run in the child before it starts: SIGTERM when its parent (pytest) ends, even
    by SIGKILL (Linux's PR_SET_PDEATHSIG), so a killed test run leaves no cluster behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


@pytest.fixture(scope="module")
def cluster():
    """The address of a two-CPU Ray head started with `ray start --head --block`."""
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="ffray", dir="/tmp")  # short: Ray puts sockets in it
    command = [str(BIN / "ray"), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
               "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}",
               "--node-ip-address=127.0.0.1"]
    head = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=terminated_with_parent)
    try:
        wait_for_port(port, head)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # ray start --block stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAY_ADDRESS")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_generated_module_and_fusec_run_on_a_cluster_by_address(cluster, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("counter.fuse", "counter.py", "arith.fuse", "ops.py"):
        shutil.copy(EXAMPLES / name, project / name)
    done = run(str(BIN / "fusec"), "compile", "counter.fuse", "--target", "ray", "-o", "counter_ray.py", cwd=project)
    assert done.returncode == 0, done.stderr

    elsewhere = tmp_path / "elsewhere"  # the driver's folder is not the project's
    elsewhere.mkdir()
    module = str(project / "counter_ray.py")
    store = str(tmp_path / "store")
    done = run(sys.executable, module, "--address", cluster, "--json", "--storage", store, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": 4}
    assert "Started a local Ray instance" not in done.stderr

    from fuseflow.runtime.storage import open_store

    assert open_store(store).list_tasks("counter") == ["counter_add_1", "counter_add_2", "one", "result", "six", "two"]

    # everything is stored: the rerun needs no Ray at all, neither the cluster nor a local one
    done = run(sys.executable, module, "--json", "--storage", store, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": 4}
    assert "Ray" not in done.stderr

    done = run(str(BIN / "fusec"), "run", str(project / "arith.fuse"), "--target", "ray", "--address", cluster,
               "--json", "-p", "a=5", "-p", "b=3", "--no-cache", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": -3}


def test_fusec_run_finds_the_workers_modules_in_the_working_directory_too(cluster, tmp_path):
    """As `fusec check --imports` looks: the .fuse file's folder, then the working directory,
    on the driver and on the workers (which import the modules to run the tasks)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pipe.fuse").write_text("workflow pipe\nfrom helpers import twice\nx = twice(21)\nreturn x\n")
    here = tmp_path / "here"
    here.mkdir()
    (here / "helpers.py").write_text("def twice(a):\n    return 2 * a\n")
    done = run(str(BIN / "fusec"), "run", str(project / "pipe.fuse"), "--target", "ray", "--address", cluster,
               "--json", "--no-cache", cwd=here)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"x": 42}  # a task: computed by a worker of the cluster
