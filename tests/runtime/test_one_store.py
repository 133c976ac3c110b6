"""A workflow run in stages (run-time loops, `if`s) opens its store once: every stage's plan
reads the one store (runtime.prepare.one_store), so the store's index is read once per run,
not once per stage, and the results are the same as with a store per stage."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime import storage
from fuseflow.runtime.bind import bind, import_path
from fuseflow.runtime.execute import run
from fuseflow.runtime.prepare import RunSettings

OPS = '''
def items(n):
    return list(range(n))


def inc(x):
    return x + 1
'''

STAGED = """
from store_ops import items, inc
param n: int = 3
xs = items(n)
for x in xs {
    up = inc(x)
    if up > 1 { kept = inc(up) } else { kept = inc(0) }
}
total = inc(up[0])
return kept, total
"""


@pytest.fixture
def workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "store_ops.py").write_text(OPS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "store_ops", raising=False)
    path = str(tmp_path / "staged.fuse")
    ir, _ = compile_source(STAGED, path)
    with import_path(tmp_path):
        yield bind(ir, path)


def test_the_stages_of_a_run_share_one_store(workflow, tmp_path, monkeypatch):
    opened = []
    real = storage.open_store
    monkeypatch.setattr(storage, "open_store", lambda url, *args, **kwargs: (
        opened.append(url) if not isinstance(url, storage.Store) else None) or real(url, *args, **kwargs))
    settings = RunSettings(storage=str(tmp_path / "store"), progress=False)
    assert run(workflow, {}, settings) == {"kept": [1, 3, 4], "total": 2}
    assert len(opened) == 1  # the loop's stage, the `if`s' stage and the rest: one store
    assert run(workflow, {"n": 4}, settings) == {"kept": [1, 3, 4, 5], "total": 2}  # a rerun reads it back
    assert len(opened) == 2


def test_a_store_given_as_an_object_is_used_as_it_is(workflow, tmp_path):
    store = storage.open_store(str(tmp_path / "store"))
    settings = RunSettings(storage=store, progress=False)
    assert run(workflow, {}, settings) == {"kept": [1, 3, 4], "total": 2}
    assert (tmp_path / "store" / workflow.name).is_dir()  # kept there
