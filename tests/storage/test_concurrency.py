"""Concurrent writers: two runs of one workflow at once, and many writers hammering one key."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

from fuseflow.runtime.storage import FileStore, StorageWarning

from .conftest import ROOT, Project
from .test_s3 import CONCURRENT

KEY = "c0" * 16
ROUNDS = 150


def value_of(writer: int, i: int, big: bool) -> dict:
    blob = bytes([writer]) * (300_000 if big else 40)
    return {"writer": writer, "i": i, "blob": blob}


def valid(value: dict, big: bool) -> bool:
    return value["blob"] == value_of(value["writer"], value["i"], big)["blob"]


def hammer(root: str, writer: int, big: bool, inline_max: int | None = None) -> list[str]:
    """Save and load the one key ROUNDS times; the problems seen (none expected)."""
    store = FileStore(root) if inline_max is None else FileStore(root, inline_max=inline_max)
    problems = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        for i in range(ROUNDS):
            store.save("wf", "shared", KEY, value_of(writer, i, big))
            found, value = FileStore(root).load("wf", "shared", KEY)  # a fresh reader each time
            if not found or not valid(value, big):
                problems.append(f"writer {writer} round {i}: found={found}")
    problems.extend(str(w.message) for w in caught)
    return problems


def _process(root: str, writer: int, big: bool, queue) -> None:
    queue.put(hammer(root, writer, big))


@pytest.mark.parametrize("big", [False, True], ids=["small (packs)", "large (files)"])
def test_threads_and_processes_hammering_one_key(tmp_path: Path, big: bool) -> None:
    root = str(tmp_path / "store")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process, args=(root, 10 + p, big, queue)) for p in range(2)]
    for proc in procs:
        proc.start()
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda t=t: results.append(hammer(root, t, big))) for t in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.extend(queue.get(timeout=300) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert [p for r in results for p in r] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        found, value = FileStore(root).load("wf", "shared", KEY)
    assert found and valid(value, big) and value["i"] == ROUNDS - 1
    assert [r.node for r in FileStore(root).list("wf")] == ["shared"]


def test_two_runs_at_once_on_one_file_store_then_a_third_reuses_everything(project: Project) -> None:
    project.fuse(CONCURRENT.replace("add(y, y)", "add(y[1], y[6])"))
    store = project.root / "shared-store"
    env = {**os.environ, "STEPS_LOG": str(project.log), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "fuseflow.cli", "run", "wf.fuse", "--json", "--storage", str(store)]
    procs = [subprocess.Popen(command, cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [out for out, _ in outs] == ['{"z": 209}\n'] * 2
    # no storage warning (the file's own: the nodes no output needs, which do not run)
    assert all("storage" not in err.lower() and "not needed by any returned output" in err for _, err in outs), outs
    project.calls()
    assert project.run("--storage", str(store)) == {"z": 209}
    assert project.calls() == []
    assert len(FileStore(store).list("both")) == 5  # x.1, y.1, x.6, y.6 and z: what the output needs
