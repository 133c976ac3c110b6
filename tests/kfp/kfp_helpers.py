"""Helpers for the KFP target's tests (imported as `kfp_helpers`: tests/kfp is no
package, since a package named kfp would hide the kfp SDK): compile .fuse text (or an example) to
pipeline YAML, read it back, and a throwaway project folder with a module whose
steps log each call (so a test sees which nodes computed and which loaded)."""
from __future__ import annotations

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
