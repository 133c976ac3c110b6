"""`fusec storage du` and `fusec storage gc`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fuseflow.runtime.storage import FileStore, open_store, pack

from .conftest import Project
from .test_explain import DIAMOND


def test_du_per_workflow_and_per_node(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    project.run("-p", "a=2")
    done = project.fusec("storage", "du", "--storage", ".fuseflow")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].split()[:3] == ["diamond", "4", "6"]
    done = project.fusec("storage", "du", "--storage", ".fuseflow", "diamond")
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:]}
    assert rows == {"x": "2", "z": "2", "y": "1", "w": "1", "total": "6"}
    store = open_store(project.root / ".fuseflow")
    size = sum(r.size for r in store.list("diamond"))
    assert done.stdout.splitlines()[-1].split()[2] == f"{size / 1024:.1f}" or str(size) in done.stdout


def test_gc_with_a_file_keeps_exactly_the_current_keys(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    project.run("-p", "a=2")
    project.calls()
    done = project.fusec("storage", "gc", "wf.fuse", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert sorted(line.split()[3] for line in done.stdout.splitlines()) == ["diamond/x", "diamond/z"]
    assert len(open_store(project.root / ".fuseflow").list("diamond")) == 6  # dry run: nothing removed
    done = project.fusec("storage", "gc", "wf.fuse")
    assert done.returncode == 0 and done.stderr.startswith("removed 2 items")
    assert len(open_store(project.root / ".fuseflow").list("diamond")) == 4
    project.run()
    assert project.calls() == []  # the current results were kept
    project.run("-p", "a=2")
    assert sorted(project.calls()) == ["add 3 11", "inc 2"]


def test_gc_without_a_file_removes_stale_temp_files_and_superseded_copies(tmp_path: Path, project: Project) -> None:
    store = FileStore(tmp_path / "s")
    for i in range(3):
        store.save("wf", "n", "k", i)
    store.save("wf", "big", "k", b"x" * (store.inline_max + 1))
    stale = tmp_path / "s" / "wf" / "big" / ".k.99.1.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    fresh = tmp_path / "s" / "wf" / pack.DIRNAME / ".x.99.2.tmp"
    fresh.write_bytes(b"live")
    done = project.fusec("storage", "gc", "--storage", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    kinds = sorted(line.split()[1] for line in done.stdout.splitlines())
    assert kinds == ["superseded", "superseded", "temp"]
    assert not stale.exists() and fresh.exists()
    again = FileStore(tmp_path / "s")
    assert again.load("wf", "n", "k") == (True, 2) and again.garbage() == []
