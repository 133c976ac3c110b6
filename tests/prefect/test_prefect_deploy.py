"""`fusec deploy --target prefect`, for real: a Prefect server, a process work pool and a
worker of this module's own, a deployment run to completion, its outputs read back.

The server is not the session's Prefect API (tests/conftest.py `prefect_api`, a test
harness in this process): it is `prefect server start` on a free port, with a
PREFECT_HOME of its own, as a user starts it. The pool is created and the worker
started with Prefect's command line; every Prefect command here runs as a
subprocess with that server's environment, so nothing in this process talks to it.
The server and the worker are stopped by their process groups (a flow run's
process is in the worker's) at the end, and when pytest ends however it ends.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BIN = Path(sys.executable).parent
POOL = "fusec-tests"


@dataclass(frozen=True)
class Server:
    url: str            # PREFECT_API_URL
    env: dict           # the environment of every Prefect command talking to it
    home: Path          # its PREFECT_HOME, where the logs go too


def prefect_env(home: Path, url: str | None) -> dict:
    """This process's environment without its Prefect settings (the session's home, the
    harness's), with a home of its own, and workers that look for runs every second."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "PYTHONPATH"}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_WORKER_QUERY_SECONDS="1")
    if url is not None:
        env["PREFECT_API_URL"] = url
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminated_with_parent() -> None:
    """Run in the child before it starts: SIGTERM when its parent (pytest) ends, even
    by SIGKILL (Linux's PR_SET_PDEATHSIG), so a killed test run leaves no server behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


@contextmanager
def started(command: list[str], env: dict, log: Path, cwd: Path) -> Iterator[subprocess.Popen]:
    """A long-running Prefect command in a process group of its own, stopped with it."""
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=terminated_with_parent)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group (the server's uvicorn, the worker's flow runs), SIGKILL after 30 s."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Until GET /api/health answers (some 10-20 s on a small machine, a fresh database)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server start exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the Prefect server did not answer {url}/health within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`prefect server start` on a free loopback port, with its own PREFECT_HOME (and database)."""
    home = tmp_path_factory.mktemp("prefect-server-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(home, url)
    command = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with started(command, env, home / "server.log", cwd=home) as process:
        wait_healthy(url, process, home / "server.log")
        yield Server(url, env, home)


@pytest.fixture(scope="module")
def worker(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A process work pool, and `prefect worker start --pool` in a folder that is not the
    project's (the deployment's pull step takes the flow run there); its log's path."""
    done = prefect(server, "work-pool", "create", POOL, "--type", "process", cwd=server.home)
    assert done.returncode == 0, done.stdout + done.stderr
    elsewhere = tmp_path_factory.mktemp("worker-cwd")
    log = server.home / "worker.log"
    with started([str(BIN / "prefect"), "worker", "start", "--pool", POOL], server.env, log, cwd=elsewhere):
        yield log


def prefect(server: Server, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "prefect"), *args], env=server.env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def fusec(env: dict, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "fusec"), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def run_deployment(server: Server, name: str, *params: str, cwd: Path, worker_log: Path) -> str:
    """`prefect deployment run NAME -p ... --watch`: the run to its end; what it printed."""
    args = [arg for param in params for arg in ("-p", param)]
    done = prefect(server, "deployment", "run", name, *args, "--watch", "--watch-timeout", "240", cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr + "\nworker:\n" + worker_log.read_text()
    assert "Flow run finished successfully in 'Completed'" in done.stdout
    return done.stdout


def inspect(server: Server, name: str, cwd: Path) -> dict:
    done = prefect(server, "deployment", "inspect", name, "--output", "json", cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def new_project(tmp_path: Path) -> tuple[Path, Path]:
    """(a project folder holding arith.fuse and its module ops.py, another folder to work from)."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    for name in ("arith.fuse", "ops.py"):
        shutil.copy(EXAMPLES / name, project / name)
    return project, elsewhere


def test_a_deployment_runs_on_a_worker_and_its_outputs_are_in_the_store(server, worker, tmp_path):
    project, elsewhere = new_project(tmp_path)
    fuse = str(project / "arith.fuse")
    done = fusec(server.env, "deploy", fuse, "--target", "prefect", "--pool", POOL, "--name", "nightly", "-p", "a=5",
                 cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    flow_file = project / "arith_flow.py"
    assert f"wrote {flow_file}\ndeployment 'arith/nightly' (" in done.stdout
    assert f"  code: {project}, entrypoint arith_flow.py:arith\n" in done.stdout
    assert f"  results: file:{project / '.fuseflow'}\n" in done.stdout
    compiled = fusec(server.env, "compile", fuse, "--target", "prefect", cwd=elsewhere)
    assert flow_file.read_text() == compiled.stdout  # the very file `fusec compile` writes

    run_deployment(server, "arith/nightly", "b=3", cwd=elsewhere, worker_log=worker)

    from fuseflow.runtime.storage import open_store

    store = open_store(project / ".fuseflow")  # a=5 from the deployment, b=3 from the run
    assert {node: store.read("arith", node) for node in ("s1", "s2", "m")} == {"s1": 8, "s2": 11, "m": -3}
    stored = store.list("arith")
    # fusec run on this machine finds the same results under the same keys: it runs nothing
    local = fusec(prefect_env(tmp_path, None), "run", fuse, "-p", "a=5", "-p", "b=3", "--json", cwd=elsewhere)
    assert (local.returncode, json.loads(local.stdout)) == (0, {"m": -3}), local.stderr
    assert store.list("arith") == stored


def test_a_flow_file_in_a_subfolder_imports_the_modules_beside_the_fuse_file(server, worker, tmp_path):
    project, _ = new_project(tmp_path)
    done = fusec(server.env, "deploy", "arith.fuse", "--pool", POOL, "--name", "sub", "-o", "flows/arith_flow.py",
                 cwd=project)
    assert done.returncode == 0, done.stderr
    assert "  code: " + str(project) + ", entrypoint flows/arith_flow.py:arith\n" in done.stdout

    run_deployment(server, "arith/sub", "a=2", "b=10", cwd=project, worker_log=worker)

    from fuseflow.runtime.storage import open_store

    assert open_store(project / "flows" / ".fuseflow").read("arith", "m") == -10  # beside the flow file


def test_deploying_again_is_idempotent_and_the_command_line_is_the_whole_deployment(server, tmp_path):
    project, _ = new_project(tmp_path)
    deploy = ("deploy", "arith.fuse", "--pool", POOL, "--name", "again")
    first = fusec(server.env, *deploy, "-p", "a=5", "-p", "b=2", "--cron", "0 3 * * *", cwd=project)
    assert first.returncode == 0, first.stderr
    flow_file = project / "arith_flow.py"
    written = flow_file.stat().st_mtime_ns
    shown = inspect(server, "arith/again", cwd=project)
    assert (shown["parameters"], shown["work_pool_name"], shown["entrypoint"]) == (
        {"a": 5, "b": 2}, POOL, "arith_flow.py:arith")
    assert shown["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(project)}}]
    assert [s["schedule"]["cron"] for s in shown["schedules"]] == ["0 3 * * *"]

    second = fusec(server.env, *deploy, "-p", "a=5", "-p", "b=2", "--cron", "0 3 * * *", cwd=project)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"unchanged: {flow_file}\n")
    assert second.stdout.split("\n")[1:] == first.stdout.split("\n")[1:]  # the same deployment, the same id
    assert flow_file.stat().st_mtime_ns == written
    again = inspect(server, "arith/again", cwd=project)
    assert {k: again[k] for k in ("id", "parameters", "entrypoint", "pull_steps")} == {
        k: shown[k] for k in ("id", "parameters", "entrypoint", "pull_steps")}
    assert [s["schedule"]["cron"] for s in again["schedules"]] == ["0 3 * * *"]

    third = fusec(server.env, *deploy, cwd=project)  # no -p, no --cron: none of either
    assert third.returncode == 0, third.stderr
    last = inspect(server, "arith/again", cwd=project)
    assert (last["id"], last["parameters"], last["schedules"]) == (shown["id"], {}, [])


def test_a_missing_pool_is_an_error_saying_how_to_create_it(server, tmp_path):
    project, _ = new_project(tmp_path)
    done = fusec(server.env, "deploy", "arith.fuse", "--pool", "nowhere", cwd=project)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("fusec: error: no work pool named 'nowhere': create it with "
                           "prefect work-pool create 'nowhere' --type process\n")


# --- without a server ----------------------------------------------------------------------


def test_no_prefect_api_is_a_usage_error(tmp_path):
    project, _ = new_project(tmp_path)
    done = fusec(prefect_env(tmp_path / "home", None), "deploy", "arith.fuse", "--pool", POOL, cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert "PREFECT_API_URL is not set" in done.stderr
    assert not (project / "arith_flow.py").exists()


def test_an_api_that_does_not_answer_is_an_error(tmp_path):
    project, _ = new_project(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/api"
    done = fusec(prefect_env(tmp_path / "home", url), "deploy", "arith.fuse", "--pool", POOL, cwd=project)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"fusec: error: could not register the deployment at {url}: [Errno 111] Connection refused\n"


@pytest.mark.parametrize(("args", "message"), [
    (["-p", "a=x"], "fusec: error: param 'a': expected int, got 'x'\n"),
    (["-p", "c=1"], "fusec: error: unknown param 'c'; this workflow has: a, b\n"),
    (["--cron", "often"], "fusec: error: --cron 'often' is not a cron expression (five fields, e.g. '0 3 * * *')\n"),
    (["-o", "../flow.py"], "fusec: error: -o ../flow.py: the flow file must be inside {project}, the folder the "
                           "deployment's worker runs it from (the .fuse file's folder)\n"),
    (["-o", "flow.txt"], "fusec: error: -o flow.txt: the flow file must be a .py file (the worker loads it as "
                         "Python)\n"),
], ids=["param-type", "unknown-param", "cron", "outside", "not-python"])
def test_bad_arguments_are_usage_errors_before_anything_is_written(tmp_path, args, message):
    project, _ = new_project(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/api"  # never reached
    done = fusec(prefect_env(tmp_path / "home", url), "deploy", "arith.fuse", "--pool", POOL, *args, cwd=project)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message.format(project=project))
    assert sorted(p.name for p in project.iterdir()) == ["arith.fuse", "ops.py"]


def test_a_file_fusec_did_not_write_is_not_overwritten(tmp_path):
    project, _ = new_project(tmp_path)
    mine = project / "arith_flow.py"
    mine.write_text("print('my own flow')\n")
    url = f"http://127.0.0.1:{free_port()}/api"
    done = fusec(prefect_env(tmp_path / "home", url), "deploy", "arith.fuse", "--pool", POOL, cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"fusec: error: {mine} exists and was not written by fusec: not overwritten; "
                           "name another flow file with -o PATH\n")
    assert mine.read_text() == "print('my own flow')\n"


def test_without_prefect_it_says_how_to_install_it(tmp_path):
    project, _ = new_project(tmp_path)
    script = ("import sys; sys.modules['prefect'] = None\nfrom fuseflow.cli import main\n"
              "sys.exit(main(['deploy', 'arith.fuse', '--pool', 'p']))")
    done = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("fusec: error: fusec deploy needs prefect, which is not installed: "
                           "pip install 'fuseflow[prefect]'\n")
    assert not (project / "arith_flow.py").exists()
