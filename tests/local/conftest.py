"""Helpers for the local target's tests: a throwaway project folder holding a
.fuse file and the Python module it imports, run the way a user runs it.

Every step function appends a line to the file named by $FUSE_LOG, so a test
sees exactly which nodes computed (and which were loaded from storage).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
FUSEC = str(BIN / "fusec") if (BIN / "fusec").exists() else None

# The user's module: small steps that log each call.
STEPS = '''
import os
import random
import time


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


def big(x, size=300_000):
    """A result large enough to be stored in a file of its own."""
    log(f"big {x}")
    return str(x) * size


def size(text):
    log(f"size {len(text)}")
    return len(text)


def shout(x):
    print(f"shouting {x}")
    return x


def pair(a, b):
    log(f"pair {a} {b}")
    return {"a": a, "b": b, "both": [a, b]}


def fail_on(x, bad):
    log(f"fail_on {x}")
    if x == bad:
        raise ValueError(f"refusing {x}")
    return x


def nap(x):
    """Sleeps as long as the file named by $FUSE_NAP says (0 if absent)."""
    log(f"nap {x}")
    path = os.environ.get("FUSE_NAP")
    if path and os.path.exists(path):
        time.sleep(float(open(path).read()))
    return x


class Counter:
    def __init__(self, start=0):
        log(f"Counter {start}")
        self.total = start

    def add(self, n):
        log(f"Counter.add {n}")
        self.total += n
        return self.total

    def big(self, size):
        log("Counter.big")
        return str(self.total) * size
'''


class Project:
    """A folder with `steps.py` and `wf.fuse`; runs `fusec run` on it."""

    def __init__(self, root: Path):
        self.root = root
        self.log_path = root / "calls.log"
        self.store = root / "store"
        self.write("steps.py", STEPS)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def fuse(self, text: str, name: str = "wf.fuse") -> Path:
        return self.write(name, text)

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "FUSE_LOG": str(self.log_path), **extra}
        env.pop("PYTHONPATH", None)
        return env

    def fusec(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
        command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
        return subprocess.run([*command, *args], cwd=cwd or self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=120)

    def run(self, *args: str, fuse: str = "wf.fuse", **env: str) -> subprocess.CompletedProcess:
        """`fusec run wf.fuse --storage store ARGS` from the project folder."""
        return self.fusec("run", str(self.root / fuse), "--storage", str(self.store), *args, **env)

    def outputs(self, *args: str, **env: str) -> dict:
        done = self.run("--json", *args, **env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def calls(self) -> list[str]:
        """The logged calls since the last time this was asked."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text().splitlines()
        self.log_path.unlink()
        return lines

    def stored_nodes(self, workflow: str) -> list[str]:
        """Nodes with a stored result, as the storage API lists them."""
        from fuseflow.runtime.storage import open_store

        return open_store(str(self.store)).list_tasks(workflow) if self.store.exists() else []

    def records(self, workflow: str, node: str) -> list[Path]:
        """The files of a large result (one file per record; small ones share packs)."""
        return sorted((self.store / workflow / node).glob("*.ffr"))

    def files(self, workflow: str) -> list[Path]:
        """Every file the store keeps for the workflow, whatever its layout."""
        return sorted(p for p in (self.store / workflow).rglob("*") if p.is_file())


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def fresh_modules(tmp_path: Path):
    """Forget user modules imported from tmp_path by in-process runs (each test has its own steps.py)."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def compile_module(fuse: Path, out: Path) -> Path:
    """`fusec compile FUSE --target local -o OUT` in a subprocess, as a user would."""
    command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
    done = subprocess.run([*command, "compile", str(fuse), "--target", "local", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def run_module(module: Path, *args: str, cwd: Path, pythonpath: Path, env: dict | None = None,
               prelude: str | None = None) -> subprocess.CompletedProcess:
    """`python wf.py ARGS` with PYTHONPATH set to the user's code; `prelude` runs first (python -c)."""
    full_env = {**(env or os.environ), "PYTHONPATH": str(pythonpath)}
    if prelude is None:
        command = [sys.executable, str(module), *args]
    else:
        launch = (f"{prelude}\nimport runpy, sys\nsys.argv = sys.argv[1:]\n"
                  "runpy.run_path(sys.argv[0], run_name='__main__')")
        command = [sys.executable, "-c", launch, str(module), *args]
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def load_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_modules):
    """Compile a .fuse file to a module with `fusec compile --target local` (in
    process) and import it, as a notebook would: returns the module."""
    import importlib.util

    from fuseflow.cli import main as fusec

    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = []

    def load(fuse: Path, name: str = "wf"):
        out = fuse.parent / f"{name}.py"
        assert fusec(["compile", str(fuse), "--target", "local", "-o", str(out)]) == 0
        spec = importlib.util.spec_from_file_location(f"{name}_{len(loaded)}", out)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
        return module

    return load
