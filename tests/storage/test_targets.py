"""S3 (and concurrent runs) on the Ray, Prefect and KFP targets, each run as users run it: `fusec run`.

Each run is a subprocess with the AWS environment pointing at the session's
S3 server, so every process a target starts (Ray workers, KFP steps) finds
the endpoint and credentials the standard way. A result written by one
target is read by the others: the last run here is the local target's.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile

import pytest

from .conftest import ROOT, S3, Project
from .test_s3 import ARITH, CONCURRENT


def target_available(module: str, backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None and importlib.util.find_spec(module) is not None


ray_target = pytest.mark.skipif(not target_available("fuseflow.targets.ray.backend", "ray"),
                                reason="the Ray target (fuseflow.targets.ray.backend) or ray is not installed")


def computed(project: Project) -> list[str]:
    """The calls logged since the last look, each once: Ray runs a task again when its
    worker dies (its memory monitor kills workers when the machine runs short of memory,
    whoever uses it), so a node computed on Ray may log its call twice. Loaded results
    log nothing: `project.calls() == []` stays exact."""
    return sorted(set(project.calls()))


def results(s3: S3, bucket: str) -> list[str]:
    """The bucket's result objects (not the markers of the files that wrote them: runtime.shared)."""
    return [name for name in s3.objects(bucket) if name.endswith(".ffp")]


def quiet_env(s3: S3) -> dict[str, str]:
    return {**s3.env, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
            "PREFECT_HOME": tempfile.mkdtemp(prefix="fuseflow-prefect-"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PREFECT_LOGGING_LEVEL": "WARNING"}


@pytest.mark.ray
@pytest.mark.slow
@ray_target
def test_ray_target_on_s3(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = quiet_env(s3)
    project.fuse(ARITH)
    url = f"s3://{bucket}/ray"
    assert project.run("--target", "ray", "--storage", url) == {"z": 14}
    assert computed(project) == ["add 2 12", "inc 1", "inc 2"]  # the workers logged their calls
    assert sorted(name.rsplit("/", 2)[1] for name in results(s3, bucket)) == ["x", "y", "z"]
    assert project.run("--target", "ray", "--storage", url, "-p", "a=2") == {"z": 16}
    assert computed(project) == ["add 3 13", "inc 2", "inc 3"]
    assert project.run("--storage", url) == {"z": 14}  # the local target reuses what Ray stored
    assert project.calls() == []


@pytest.mark.ray
@pytest.mark.slow
@ray_target
def test_two_ray_runs_at_once_on_one_store_then_a_third_reuses_everything(s3: S3, project: Project) -> None:
    project.fuse(CONCURRENT.replace("add(y, y)", "add(y[1], y[6])")
                           .replace("pause: float = 0.05", "pause: float = 0.3"))
    store = str(project.root / "shared")
    env = {**os.environ, **quiet_env(s3), "STEPS_LOG": str(project.log), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "fuseflow.cli", "run", "wf.fuse", "--json", "--target", "ray", "--storage", store]
    procs = [subprocess.Popen(command, cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(2)]
    try:
        outs = [p.communicate(timeout=600) for p in procs]
    finally:  # a run still going (a timeout) would keep its whole Ray busy during the next tests
        for p in procs:
            p.kill()
            p.wait()
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [out for out, _ in outs] == ['{"z": 209}\n'] * 2
    project.calls()
    assert project.run("--target", "ray", "--storage", store) == {"z": 209}
    assert project.calls() == []


@pytest.mark.prefect
@pytest.mark.slow
@pytest.mark.skipif(not target_available("fuseflow.targets.prefect.generate", "prefect"),
                    reason="the Prefect target or prefect is not installed")
def test_prefect_target_on_s3(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = quiet_env(s3)
    project.fuse(ARITH)
    url = f"s3://{bucket}/prefect"
    assert project.run("--target", "prefect", "--storage", url) == {"z": 14}
    assert sorted(project.calls()) == ["add 2 12", "inc 1", "inc 2"]
    assert len(results(s3, bucket)) == 3
    assert project.run("--storage", url) == {"z": 14}
    assert project.calls() == []


@pytest.mark.kfp
@pytest.mark.slow
@pytest.mark.skipif(not target_available("fuseflow.targets.kfp.generate", "kfp"),
                    reason="the KFP target or kfp is not installed")
def test_kfp_target_on_s3(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    project.env = quiet_env(s3)
    project.fuse(ARITH)
    url = f"s3://{bucket}/kfp"
    assert project.run("--target", "kfp", "--storage", url) == {"z": 14}
    assert len(results(s3, bucket)) == 3
    project.calls()
    assert project.run("--storage", url) == {"z": 14}
    assert project.calls() == []


TARGETS_WITH_A_BACKEND = [
    pytest.param("ray", marks=[pytest.mark.ray, ray_target]),
    pytest.param("kfp", marks=[pytest.mark.kfp, pytest.mark.skipif(
        not target_available("fuseflow.targets.kfp.generate", "kfp"), reason="kfp is not installed")]),
]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS_WITH_A_BACKEND)
def test_with_a_storage_key_the_target_s_processes_sign_what_the_local_target_reuses(s3: S3, project: Project,
                                                                                    target: str) -> None:
    from fuseflow.runtime.storage import FileStore
    from fuseflow.runtime.storage import format as fmt

    project.env = {**quiet_env(s3), "FUSEFLOW_STORAGE_KEY": "a storage key for every process: 0123456789"}
    project.fuse(ARITH)
    store = str(project.root / "signed")
    assert project.run("--target", target, "--storage", store) == {"z": 14}  # Ray workers, KFP steps: the key too
    project.calls()
    done = project.fusec("run", "wf.fuse", "--json", "--storage", store)
    assert done.returncode == 0 and "StorageWarning" not in done.stderr and "not signed" not in done.stderr, done.stderr
    assert project.calls() == []  # every result was signed with the key, so the local run loads them all
    for result in FileStore(store).list("arith"):
        path, offset, _ = FileStore(store).where("arith", result.node, result.key)
        with open(path, "rb") as f:
            f.seek(offset + 6)
            assert f.read(1)[0] == fmt.SIGNED
