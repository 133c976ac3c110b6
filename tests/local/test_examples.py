"""Every example, run the two ways a user runs it: `fusec run FILE` and
`python wf.py` on the module `fusec compile --target local` wrote."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow.runtime.storage import open_store

from .conftest import EXAMPLES, FUSEC, compile_module, run_module

DATASETS = {"linear", "quadratic", "wave"}
MODELS = {"poly1", "poly3", "knn5", "ridge"}


def fusec_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
    return subprocess.run([*command, "run", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def check_models(outputs: dict) -> None:
    assert set(outputs) == {"best", "err"}
    assert set(outputs["best"]) == DATASETS
    for dataset, (model, error) in outputs["best"].items():
        assert model in MODELS
        assert error == min(outputs["err"][dataset].values())
    for errors in outputs["err"].values():
        assert set(errors) == MODELS
        assert all(isinstance(e, float) and e > 0 for e in errors.values())


@pytest.mark.parametrize(("example", "args", "printed"), [
    ("arith", [], "-1"),
    ("arith", ["-p", "a=5"], "-1"),
    ("arith", ["-p", "a=5", "-p", "b=3"], "-3"),
    ("counter", [], "4"),
])
def test_fusec_run_prints_the_output(tmp_path, example, args, printed):
    done = fusec_run(str(EXAMPLES / f"{example}.fuse"), "--storage", str(tmp_path / "store"), *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed + "\n"
    assert done.stderr == ""


def test_fusec_run_json(tmp_path):
    done = fusec_run(str(EXAMPLES / "arith.fuse"), "--no-cache", "--json", "-p", "a=5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": -1}
    assert done.stdout == '{"m": -1}\n'  # one JSON object, nothing else on stdout


def test_fusec_run_models(tmp_path):
    done = fusec_run(str(EXAMPLES / "models.fuse"), "--json", "--storage", str(tmp_path / "store"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check_models(json.loads(done.stdout))
    again = fusec_run(str(EXAMPLES / "models.fuse"), "--json", "--storage", str(tmp_path / "store"), cwd=tmp_path)
    assert again.stdout == done.stdout  # loaded from storage: the same outputs


def test_fusec_run_models_text(tmp_path):
    done = fusec_run(str(EXAMPLES / "models.fuse"), "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" = ")[0] for line in lines] == ["best", "err"]


def test_default_storage_is_beside_the_fuse_file_and_its_folder_is_importable(tmp_path):
    """A copy of arith in a folder of its own, run from elsewhere: `from ops import ...`
    finds ops.py beside the .fuse file, and results go to .fuseflow there."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("arith.fuse", "ops.py"):
        shutil.copy(EXAMPLES / name, project / name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = fusec_run(str(project / "arith.fuse"), cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "-1\n"
    assert open_store(str(project / ".fuseflow")).list_tasks("arith") == ["m", "s1", "s2"]
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(("example", "args", "expected"), [
    ("arith", [], {"m": -1}),
    ("arith", ["-p", "a=5"], {"m": -1}),
    ("counter", [], {"result": 4}),
])
def test_generated_module_runs_as_a_script(tmp_path, example, args, expected):
    module = compile_module(EXAMPLES / f"{example}.fuse", tmp_path / "out" / "wf.py")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    done = run_module(module, "--json", *args, cwd=elsewhere, pythonpath=EXAMPLES)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
    # default storage: beside the generated module
    assert (tmp_path / "out" / ".fuseflow" / example).is_dir()
    plain = run_module(module, *args, cwd=elsewhere, pythonpath=EXAMPLES)
    assert plain.stdout == f"{next(iter(expected.values()))}\n"


def test_generated_models_module(tmp_path):
    module = compile_module(EXAMPLES / "models.fuse", tmp_path / "wf.py")
    done = run_module(module, "--json", "--storage", str(tmp_path / "store"), cwd=tmp_path, pythonpath=EXAMPLES)
    assert done.returncode == 0, done.stderr
    check_models(json.loads(done.stdout))


def test_generated_module_help_lists_params_and_flags(tmp_path):
    module = compile_module(EXAMPLES / "arith.fuse", tmp_path / "wf.py")
    done = run_module(module, "--help", cwd=tmp_path, pythonpath=EXAMPLES)
    assert done.returncode == 0
    for text in ("a: int = 1", "b: int = 1", "--storage", "--json", "--rerun", "--no-cache", "--set", "--progress"):
        assert text in done.stdout


def test_shards_promotes_the_best_shard_only_above_the_threshold_and_always_notifies(tmp_path):
    """examples/shards.fuse: a run-time loop over the shards a step lists, an `if` on the best
    score, and `finally`; a higher threshold takes the other branch and refits nothing."""
    store = str(tmp_path / "store")
    done = fusec_run(str(EXAMPLES / "shards.fuse"), "--storage", store, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    outputs = json.loads(done.stdout)
    assert outputs["best"]["shard"] == "sales-00" and outputs["best"]["score"] > 0.9
    assert outputs["released"] == {"released": "sales-00", "score": outputs["best"]["score"]}
    assert "shards run succeeded" in done.stderr  # finally's notify (prints go to stderr with --json)
    held = fusec_run(str(EXAMPLES / "shards.fuse"), "--storage", store, "--json", "-p", "threshold=0.999",
                     cwd=tmp_path)
    assert held.returncode == 0, held.stderr
    assert json.loads(held.stdout)["released"]["released"] is None
    stored = open_store(store).list_tasks("shards")
    assert {"model.0", "model.3", "score.3", "best", "released.if", "released.else"} <= set(stored)


def test_shards_as_a_generated_module_runs_its_loop_its_if_and_finally(tmp_path):
    """`fusec compile --target local` of examples/shards.fuse: rt.fanout, rt.decision and
    final_nodes() in one module, which runs as `fusec run` does."""
    module = compile_module(EXAMPLES / "shards.fuse", tmp_path / "shards_local.py")
    text = module.read_text()
    assert "def final_nodes():" in text and "finals=list(final_nodes())" in text and "rt.decision(" in text
    done = run_module(module, "--storage", str(tmp_path / "store"), "--json", "-p", "threshold=0.999",
                      cwd=tmp_path, pythonpath=EXAMPLES)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["released"]["released"] is None
    assert "shards run succeeded" in done.stderr
