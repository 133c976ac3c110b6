"""Shared test settings, and the backend sessions more than one folder runs on:
one local Ray (tests/ray, tests/conformance) and one Prefect API (tests/prefect,
tests/conformance). Other backend fixtures live beside their tests."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Quiet, offline-friendly backends (see shared/design/testing.md).
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # task-run chatter would bury failures
# Before anything imports prefect: its settings (and the paths derived from its home) are
# read once, and a fresh home keeps cached task results from leaking between sessions.
PREFECT_HOME = tempfile.mkdtemp(prefix="fuseflow-prefect-home-")
os.environ["PREFECT_HOME"] = PREFECT_HOME

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# Where the session Ray's workers import the tests' node functions from
# (ff_ray_helpers, conformance_steps, the examples): a worker's path is fixed when Ray starts.
RAY_WORKER_PATH = [EXAMPLES, ROOT / "tests" / "ray", ROOT / "tests" / "conformance"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, so recorded source paths are relative to it."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture
def ray_session():
    """This process's Ray: started by the first test that needs it, kept for the next
    ones, stopped after the last test of that folder (pytest_runtest_teardown below).
    Two CPUs and one `_model` resource; its workers import from RAY_WORKER_PATH.
    Its workers' prints are not sent to this process (log_to_driver=False): Ray's log
    thread prints them when they arrive, which can be after the run that made them, into
    whatever stdout a later test captures (a `--json` object, say). A run that starts its
    own Ray (`fusec run --target ray` alone) stops it before printing, so nothing comes late."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        path = os.pathsep.join(str(folder) for folder in RAY_WORKER_PATH)
        ray.init(address="local", num_cpus=2, include_dashboard=False, resources={"_model": 1},
                 runtime_env={"env_vars": {"PYTHONPATH": path}}, logging_level="WARNING", log_to_driver=False)
    return ray


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop this process's Ray after the last test of the folder that started it.

    A Ray driver whose Ray goes away ends its own process a minute later (exit 1:
    "Failed to connect to GCS within 60 seconds"). Kept until the session ended,
    the Ray made pytest such a driver during every later test, and a Ray killed
    from outside (another job's `ray stop`, the OOM killer) ended the whole run
    with no summary (tests/ray/test_ray_session.py)."""
    if nextitem is not None and nextitem.path.parent == item.path.parent:
        return
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


@pytest.fixture(scope="session")
def prefect_api():
    """A temporary Prefect API (SQLite, ephemeral server) for every flow of the session:
    one `prefect_test_harness` (about 20 s), flows run in-process (shared/design/testing.md)."""
    pytest.importorskip("prefect")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(PREFECT_HOME, ignore_errors=True)
