"""Helpers to run .fuse files on the session's local Ray (`ray_session`, tests/conftest.py).

Ray starts once (a few seconds and about 1 GB), with two CPUs and one `_model`
resource, and stops after the last test of this folder. Its workers import the examples
and `ff_ray_helpers` (this folder) through PYTHONPATH. The test of a cluster
reached by address runs its driver in a subprocess, so the two never meet.

This folder has no __init__.py on purpose: as a package it would be named
`ray` and hide the library.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def fusec(ray_session, capsys, monkeypatch):
    """`fusec ARGS` in this process (on the session's Ray): (exit status, stdout, stderr)."""
    from fuseflow.cli import main

    monkeypatch.syspath_prepend(str(HERE))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def workflow(ray_session, tmp_path):
    """Compile .fuse text for Ray and load the module: its WORKFLOW (run it with .run(...))."""
    from fuseflow.codegen.loader import load_generated
    from fuseflow.compiler.frontend import compile_source
    from fuseflow.targets.ray.generate import generate

    def make(text: str, name: str = "wf.fuse"):
        fuse = tmp_path / name
        fuse.write_text(text)
        wf, _ = compile_source(text, str(fuse))
        return load_generated(generate(wf), fuse).WORKFLOW

    return make


class Log:
    """Lines the helper functions append (one per call), read and cleared by `take`."""

    def __init__(self, path: Path):
        self.path = path

    def take(self) -> list[str]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        self.path.unlink()
        return lines


@pytest.fixture
def log(tmp_path) -> Log:
    return Log(tmp_path / "calls.log")


def outputs_json(stdout: str) -> dict:
    return json.loads(stdout)
