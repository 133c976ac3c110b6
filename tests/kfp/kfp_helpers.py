"""Helpers for the KFP target's tests (imported as `kfp_helpers`: tests/kfp is no
package, since a package named kfp would hide the kfp SDK): compile .fuse text (or an example) to
pipeline YAML, read it back, and a throwaway project folder with a module whose
steps log each call (so a test sees which nodes computed and which loaded)."""
from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("kfp")
yaml = pytest.importorskip("yaml")

from fuseflow.compiler.frontend import compile_file, compile_source  # noqa: E402
from fuseflow.targets.kfp.generate import compile_pipeline, generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

STEPS = '''
import os


def log(event):
    path = os.environ.get("FUSE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(event + "\\n")


def inc(x, by=1):
    log(f"inc {x}")
    return x + by


def add(a, b):
    log(f"add {a} {b}")
    return a + b


def pair(a, b):
    log(f"pair {a} {b}")
    return {"a": a, "b": b, "both": [a, b]}


def show(*args, **kwargs):
    log("show")
    return [list(args), kwargs]


def flaky(x, fail_times, marker):
    """Fails the first `fail_times` calls (counted in the file `marker`)."""
    count = int(open(marker).read()) if os.path.exists(marker) else 0
    with open(marker, "w") as f:
        f.write(str(count + 1))
    log(f"flaky attempt {count + 1}")
    if count < fail_times:
        raise RuntimeError(f"flaky failure {count + 1}")
    return x * 10


def boom(x):
    raise ValueError(f"boom {x}")


class Counter:
    def __init__(self, start=0):
        self.total = start

    def add(self, n):
        log(f"Counter.add {n}")
        self.total += n
        return self.total
'''


# Loop keys and keywords that are no input name as they stand (a space, a placeholder, an
# accent, a sign, a Python keyword, a dot, nothing but `_`) or are names the step uses itself.
ODD_NAMES = '''
    workflow odd
    from steps import show
    for k in ["a b", "{{$}}", "é", "-1", "1", "if", "x.y", "_"] {
        data = show(k)
        part = show(data, data[0], class=1, self=2, _SPEC=3, fuseflow_node=4, result=5)
    }
    all = show(data, part["1"], data["-1"][0])
    return all, part                            # every part is needed: its task is in the pipeline
'''


def parse(text: str) -> tuple[dict, dict]:
    docs = list(yaml.safe_load_all(text))
    return docs[0], (docs[1] if len(docs) > 1 else {})


def without_names(task: dict) -> dict:
    """A task without its component's and display name (kfp names components after functions)."""
    return {key: value for key, value in task.items() if key not in ("componentRef", "taskInfo")}


def dag_of(spec: dict, component: str) -> dict:
    """A sub-DAG component, its tasks without their names, to compare with what kfp's compiler writes."""
    found = copy.deepcopy(spec["components"][component])
    found["dag"]["tasks"] = {name: without_names(task) for name, task in found["dag"]["tasks"].items()}
    return found


def same_root(ours: dict, theirs: dict, tasks: list[str]) -> None:
    """Our pipeline references only what it has (kfp.check), and its root holds `tasks`, each as kfp's
    compiler writes it in `theirs` but for their components' and display names."""
    from fuseflow.targets.kfp import check as kfp_check

    assert kfp_check.references(ours) == []
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    assert sorted(our_tasks) == sorted(their_tasks) == tasks
    for task in tasks:
        assert without_names(our_tasks[task]) == without_names(their_tasks[task]), task


def without_enclosing_decision(spec: dict, channel: str, components: tuple[str, ...]) -> None:
    """`spec` (kfp's) without the decision output `channel` passed into `components`: kfp's compiler passes
    the output of every `if` around a sub-DAG into it, where nothing reads it; fuseflow passes it to the
    branches it triggers only."""
    for name in components:
        del spec["components"][name]["inputDefinitions"]["parameters"][channel]
    for component in spec["components"].values():
        for task in component.get("dag", {}).get("tasks", {}).values():
            if task["componentRef"]["name"] in components:
                del task["inputs"]["parameters"][channel]


def compile_text(text: str, name: str = "wf.fuse"):
    workflow, _ = compile_source(textwrap.dedent(text), name)
    return workflow


def yaml_of(text: str) -> str:
    return generate(compile_text(text))


def spec_of(text: str) -> tuple[dict, dict]:
    return parse(yaml_of(text))


def _project(tmp_path, monkeypatch):
    """A folder with steps.py; returns a function writing a .fuse file there."""
    (tmp_path / "steps.py").write_text(STEPS, encoding="utf-8")
    monkeypatch.setenv("FUSE_LOG", str(tmp_path / "calls.log"))

    def write(text: str, name: str = "wf.fuse") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    write.root = tmp_path
    write.calls = lambda: (tmp_path / "calls.log").read_text().splitlines() if (tmp_path / "calls.log").exists() else []
    return write


def run(path: Path, target: str, **settings):
    """`fusec run --target TARGET` of the .fuse file at `path`, in-process: {output: value}."""
    from fuseflow.codegen.loader import import_path
    from fuseflow.runtime.execute import RunSettings
    from fuseflow.targets import get as get_target

    workflow, _ = compile_file(path)
    with import_path(path.parent):
        return get_target(target).run(workflow, str(path), RunSettings(progress=False, **settings), None)


def stored(store: Path, workflow: str) -> list[tuple[str, str]]:
    """(node, key) of every result the store keeps for the workflow."""
    from fuseflow.runtime.storage import open_store

    return sorted((result.node, result.key) for result in open_store(str(store)).list(workflow))


def done(summary) -> dict:
    """What a run did (runtime.summary) as every target reports it alike: what it loaded is each target's
    own (a KFP step loads every item's result of a loop, the local target the results it needs)."""
    made = summary.as_json()
    return {"computed": made["nodes"]["computed"], "skipped": made["skipped"], "decisions": made["decisions"]}


def on_both(project, path: Path, workflow: str, params: dict[str, str]) -> dict[str, tuple]:
    """A run of the .fuse file at `path` with `-p` `params` on the local target and on KFP (kfp.local), each
    with its store in the `project` folder: {target: (outputs, calls, what it did (`done`), what it stored)}."""
    from fuseflow.runtime.summary import Summary

    runs = {}
    for target in ("local", "kfp"):
        summary, store = Summary(), project.root / target
        outputs = run(path, target, storage=str(store), param_texts=params, summary=summary)
        runs[target] = (outputs, sorted(project.calls()), done(summary), stored(store, workflow))
        (project.root / "calls.log").unlink(missing_ok=True)
    return runs


def compile_example(name: str, base_dir: Path | None = None):
    workflow, _ = compile_file(EXAMPLES / f"{name}.fuse")
    return workflow, compile_pipeline(workflow, base_dir or EXAMPLES)


def build_wheel(folder: Path) -> Path:
    """A wheel of this checkout's fuseflow, built in `folder` from a copy of its sources,
    so the build (setuptools writes build/ and *.egg-info beside them) leaves the tree alone."""
    source = folder / "source"
    shutil.copytree(ROOT / "fuseflow", source / "fuseflow",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder / "dist"), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (folder / "dist").glob("fuseflow-*.whl")
    return wheel
