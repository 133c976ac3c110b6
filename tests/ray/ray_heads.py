"""Ray heads with a job server, started by the tests that send them jobs (test_ray_jobs*.py).

`job_server(bin_dir, cwd)` runs `ray start --head --block` with the dashboard
(which serves Ray's Jobs API) on loopback ports of its own, from `bin_dir`
(a virtualenv's bin: its `ray`, and its `python` first on PATH, as on a
machine where that virtualenv is active: the `python` a job's entrypoint
runs), in the folder `cwd`, with a temp dir of its own. It is stopped by its
own process id: `ray start --block` stops what it started when terminated
(`ray stop` would stop every Ray of this user on the machine, the suite's
own included), and it is terminated when pytest ends, however pytest ends.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminated_with_parent() -> None:
    """Run in the child before it starts: SIGTERM when its parent (pytest) ends, even by
    SIGKILL (Linux's PR_SET_PDEATHSIG), so a killed test run leaves no cluster behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def clean_environment(bin_dir: Path | None = None) -> dict[str, str]:
    """This environment without what would point a process at another Ray or another
    fuseflow (PYTHONPATH, RAY_ADDRESS), with `bin_dir` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAY_ADDRESS", "VIRTUAL_ENV")}
    if bin_dir is not None:
        env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    return env


@contextlib.contextmanager
def job_server(bin_dir: Path, cwd: Path, num_cpus: int = 1, env: dict[str, str] | None = None) -> Iterator[str]:
    """The job server's address (http://127.0.0.1:PORT) of a new one-node cluster; `env`: more
    of its environment (its workers inherit it: an S3 endpoint and credentials, say)."""
    temp_dir = tempfile.mkdtemp(prefix="ffjob", dir="/tmp")  # short: Ray puts sockets in it
    dashboard = free_port()
    command = [str(bin_dir / "ray"), "start", "--head", "--block", f"--port={free_port()}", f"--num-cpus={num_cpus}",
               "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
               f"--dashboard-agent-listen-port={free_port()}", f"--ray-client-server-port={free_port()}",
               "--disable-usage-stats", f"--temp-dir={temp_dir}", "--node-ip-address=127.0.0.1"]
    log = Path(temp_dir) / "ray-start.log"
    with open(log, "w") as out:
        head = subprocess.Popen(command, cwd=cwd, env={**clean_environment(bin_dir), **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=terminated_with_parent)
    try:
        address = f"http://127.0.0.1:{dashboard}"
        wait_for_jobs_api(address, head, log)
        yield address
    finally:
        head.send_signal(signal.SIGTERM)  # ray start --block stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def wait_for_jobs_api(address: str, head: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Until the Jobs API answers (the dashboard starts its modules after the head)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited with {head.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{address}/api/jobs/", timeout=5) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray job server did not answer at {address} within {timeout} s:\n{log.read_text()}")
