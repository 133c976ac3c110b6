"""node for the tests of the VS Code side: the extension's code runs under node, and so does
VS Code's own TextMate engine (vscode-textmate with vscode-oniguruma), which the grammar's test
uses. No Python engine is faithful enough: textmate-grammar-python 0.6.1, the closest, loses
the scopes of what follows a nested rule that ends on the same line (`add(minus(1, 2), 3)`: the
second comma has none), where VS Code gives them.

The engine's two packages (no dependencies of their own), and tm-grammars for VS Code's own
Markdown grammar (the host of the ```fuse blocks' grammar), are installed by the test itself with
`npm ci` from tests/highlight/textmate/package-lock.json into a cache folder
($FUSEFLOW_NODE_CACHE, else $XDG_CACHE_HOME/fuseflow or ~/.cache/fuseflow), once per lock file.
Where node is not installed, those tests are skipped and say why; `make test` needs only Python.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TEXTMATE = HERE / "textmate"  # package.json, package-lock.json, tokenize.js
PACKAGES = ("vscode-textmate", "vscode-oniguruma", "tm-grammars")
NO_NODE = ("node is not installed: the VS Code extension's code and its grammar (tested with VS Code's "
           "own TextMate engine, vscode-textmate) run under node; install node 18 or later to run these tests")


def node() -> str:
    """The node program, or the test is skipped, saying why."""
    found = shutil.which("node")
    if found is None:
        pytest.skip(NO_NODE)
    return found


def cache_folder() -> Path:
    configured = os.environ.get("FUSEFLOW_NODE_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fuseflow"


def textmate_modules() -> Path:
    """The node_modules folder holding vscode-textmate, vscode-oniguruma and tm-grammars, installed on
    first use."""
    node()
    lock = (TEXTMATE / "package-lock.json").read_bytes()
    folder = cache_folder() / f"textmate-{hashlib.sha256(lock).hexdigest()[:16]}"
    modules = folder / "node_modules"
    if all((modules / name / "package.json").exists() for name in PACKAGES):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("node is installed but npm is not: npm installs VS Code's TextMate engine for this test")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="textmate-", dir=folder.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(TEXTMATE / name, staging / name)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                              cwd=staging, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"npm ci of {TEXTMATE / 'package-lock.json'} failed:\n{done.stdout}{done.stderr}"
        try:
            staging.rename(folder)  # whole or not at all, should another run install it too
        except OSError:
            if not modules.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return modules


def run_node(script: Path, *args: str, request: object = None) -> object:
    """Runs a node script with a JSON request on its stdin; its JSON answer."""
    done = subprocess.run([node(), str(script), *args], input=json.dumps(request), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{script.name} failed:\n{done.stderr}"
    return json.loads(done.stdout)
