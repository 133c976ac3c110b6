"""`fusec submit --target ray` to a cluster whose Python has Ray and nothing else.

The head runs from a fresh virtualenv holding only `ray[default]` at this
Ray's version (made once, by pip, and kept in $XDG_CACHE_HOME/fuseflow, else
~/.cache/fuseflow: about half a minute), so the job's driver and workers have
no fuseflow, lark, Jinja2 or xxhash: fuseflow arrives as the job's
`py_modules`, xxhash through its `pip` list, the workflow's module in its
working_dir, and the driver runs the shipped IR without compiling anything.
Skipped, saying why, when pip cannot make that virtualenv (no package index).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import ray
from ray_heads import clean_environment, job_server

pytestmark = [pytest.mark.ray, pytest.mark.slow]
BIN = Path(sys.executable).parent

WORKFLOW = """\
workflow bare

from bare_steps_beside import add, where

param a: int = 1

s = add(a, 2)
w = where()

return s, w
"""

STEPS = """\
import importlib.util


def add(a, b):
    return a + b


def where():
    import fuseflow

    return {"fuseflow": "py_modules_files" in fuseflow.__file__,
            "found": sorted(name for name in ("lark", "jinja2", "xxhash") if importlib.util.find_spec(name))}
"""


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fuseflow"


@pytest.fixture(scope="module")
def bare_bin() -> Path:
    """The bin folder of a virtualenv with ray[default] alone, at this Ray's version."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = cache_folder() / f"ray-bare-{ray.__version__}-py{version}"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one session makes it; the others wait and use it
        if not (venv / "complete").exists():
            make_venv(venv)
    return venv / "bin"


def make_venv(venv: Path) -> None:
    """Made where it stays (a virtualenv's scripts name its path), marked complete at the end."""
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)  # the interpreter this virtualenv was made from
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                           "-q", f"ray[default]=={ray.__version__}"], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        pytest.skip(f"pip could not install ray[default]=={ray.__version__} into a fresh virtualenv "
                    f"(no package index?): {done.stderr.strip()[-500:]}")
    (venv / "complete").write_text(f"ray[default]=={ray.__version__}\n")


@pytest.fixture(scope="module")
def address(bare_bin, tmp_path_factory):
    with job_server(bare_bin, tmp_path_factory.mktemp("bare-cluster-home")) as found:
        yield found


def test_the_bare_python_has_ray_and_nothing_of_fuseflows(bare_bin):
    code = ("import importlib.util, ray\n"
            "print([n for n in ('fuseflow', 'lark', 'jinja2', 'xxhash', 'rich') if importlib.util.find_spec(n)])\n")
    done = subprocess.run([str(bare_bin / "python"), "-c", code], capture_output=True, text=True, timeout=120,
                          env=clean_environment(bare_bin), cwd=bare_bin)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_a_cluster_without_fuseflow_runs_the_job(address, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "bare.fuse").write_text(WORKFLOW)
    (folder / "bare_steps_beside.py").write_text(STEPS)
    store = tmp_path / "store"
    done = subprocess.run([str(BIN / "fusec"), "submit", "bare.fuse", "--target", "ray", "--address", address,
                           "--storage", str(store), "-p", "a=40", "--json"], cwd=folder, env=clean_environment(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"s": 42, "w": {"fuseflow": True, "found": ["xxhash"]}}

    from fuseflow.runtime.storage import open_store
    assert open_store(str(store)).list_tasks("bare") == ["s", "w"]  # the workers' store: xxhash from pip
