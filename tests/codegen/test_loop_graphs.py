"""The modules the local, Ray and Prefect targets write build exactly the graph `fusec run`
binds from the IR (runtime.bind): the same nodes in the same order, with the same callables,
arguments, keyword arguments and options, the same params and outputs. So a loop written as
a Python loop makes the nodes lowering made, and cache keys cannot tell them apart.

The workflow's modules are stand-ins (any name they are asked for is a callable of its own,
the same one every time), so every source compiles to a graph without its real modules.
"""
from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from fuseflow import ir
from fuseflow.codegen.loader import load_generated
from fuseflow.runtime.bind import bind
from fuseflow.targets.local import generate as local

from .sources import written
from .test_loop_descriptions import compiled, typed


class Stand:
    """A callable standing for whatever the workflow's module holds under a name."""

    def __init__(self, path: str):
        self._path = path
        self._children: dict[str, Stand] = {}

    def __getattr__(self, name: str) -> Stand:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._children.setdefault(name, Stand(f"{self._path}.{name}"))

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getitem__(self, key: Any) -> Stand:  # an imported value indexed: `TABLE[0]`
        return self._children.setdefault(f"[{key!r}]", Stand(f"{self._path}[{key!r}]"))

    def __repr__(self) -> str:
        return f"<stand-in {self._path}>"


class StandModule(types.ModuleType):
    def __getattr__(self, name: str) -> Stand:
        if name.startswith("__"):
            raise AttributeError(name)
        stands = self.__dict__.setdefault("_stands", {})
        return stands.setdefault(name, Stand(f"{self.__name__}.{name}"))


@contextlib.contextmanager
def stand_ins(wf: ir.Workflow) -> Iterator[None]:
    """The workflow's modules (and their packages) as StandModules while it lasts."""
    names = {".".join(item.module.split(".")[:depth]) for item in wf.imports
             for depth in range(1, item.module.count(".") + 2)}
    saved = {name: sys.modules.get(name) for name in names}
    try:
        for name in sorted(names, key=lambda n: n.count(".")):
            sys.modules[name] = StandModule(name)
            parent, _, last = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], last, sys.modules[name])
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def node_facts(node: Any) -> tuple:
    return (node.name, node.kind, id(node.fn) if node.fn is not None else None, node.object, node.method,
            typed(node.options), getattr(node, "ray", None), [typed(a) for a in node.args],
            {k: typed(v) for k, v in node.kwargs.items()})


def graph_facts(graph: Any) -> tuple:
    params = [(p.name, p.type, typed(p.default), p.required) for p in graph.params]
    return ([node_facts(n) for n in graph.nodes], params, {k: typed(v) for k, v in graph.outputs.items()},
            graph.name, graph.source, graph.storage, [fanout_facts(fanout) for fanout in graph.fanouts])


# What run-time loops are expanded over here: lists and dicts, of items one name takes and of
# pairs two names take apart (each loop takes those that fit its names; the rest fail alike).
SAMPLES = ([3, "x.y", [1, 2]], {"a": 1, "b.c": [2, 3], 4: "d"}, [[1, "a"], [2, {"k": 3}]], (), {})


def fanout_facts(fanout: Any) -> tuple:
    """A run-time loop: what it iterates, its statements, the nodes it reads, its static keys, how
    messages name it, and for each sample of items, the nodes it makes and its results outside it
    (or the error it stops with, by type and text)."""
    expansions: list[Any] = []
    for items in SAMPLES:
        try:
            made, gathered, decisions = fanout.expand(items)
        except Exception as exc:  # an item the loop's body cannot index, a value its names do not take apart
            expansions.append((type(exc).__name__, str(exc)))
            continue
        expansions.append(([node_facts(node) for node in made], {k: typed(v) for k, v in gathered.items()},
                           [decision_facts(decision) for decision in decisions]))
    return (typed(fanout.iterable), fanout.statements, fanout.reads, fanout.keys, fanout.where, expansions)


def decision_facts(decision: Any) -> tuple:
    """The decision of an `if` in a run-time loop's body, made per item: its name, tests, the nodes
    inside it with their branch, the decisions around it, how messages name it."""
    return (decision.name, [typed(test) for test in decision.tests], decision.branches, decision.when, decision.where)


def test_a_run_time_loop_s_samples_make_nodes():
    """The samples above expand the loops of sources.EXTRA's run_time_loops into nodes (not only errors)."""
    wf, home = compiled("run_time_loops")
    with stand_ins(wf):
        facts = graph_facts(bind(wf, str(home)))[-1]
    made = [expansion for fanout in facts for expansion in fanout[-1] if isinstance(expansion[0], list)]
    assert len(made) >= 2 * len(facts) and any(expansion[0] for expansion in made)


@pytest.mark.parametrize("label", list(written("local")))
def test_the_local_module_builds_the_graph_bind_builds(label: str):
    wf, home = compiled(label)
    with stand_ins(wf):
        expected = graph_facts(bind(wf, str(home)))
        module = load_generated(local.generate(wf), home)
        assert graph_facts(module.WORKFLOW) == expected


@pytest.mark.parametrize("label", list(written("ray")))
def test_the_ray_module_builds_the_graph_bind_builds(label: str):
    pytest.importorskip("ray")
    from fuseflow.targets.ray import backend
    from fuseflow.targets.ray import generate as ray

    wf, home = compiled(label)
    with stand_ins(wf):
        expected = bind(wf, str(home), backend.Builders())
        module = load_generated(ray.generate(wf), home)
        assert graph_facts(module.WORKFLOW) == graph_facts(expected)
        assert (module.WORKFLOW.max_pending, module.WORKFLOW.init) == (expected.max_pending, expected.init)


@pytest.mark.parametrize("label", list(written("prefect")))
def test_the_prefect_module_builds_the_graph_bind_builds(label: str):
    pytest.importorskip("prefect")
    from fuseflow.targets.prefect import generate as prefect

    wf, home = compiled(label)
    with stand_ins(wf):
        module = load_generated(prefect.generate(wf), home)
        assert graph_facts(module.WORKFLOW) == graph_facts(bind(wf, str(home)))


def test_a_module_with_run_time_loops_runs_as_a_script_as_fusec_run_does(tmp_path):
    """tests/golden/fanout_run_time's local module, run as `python wf_local.py`: the outputs and the
    stored results (nodes and cache keys) of `fusec run`, and a grown list runs its new items only."""
    import json
    import subprocess

    from fuseflow.runtime.storage import open_store

    from .sources import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    module = tmp_path / "wf_local.py"
    module.write_text((ROOT / "tests/golden/fanout_run_time/wf_local.py").read_text(encoding="utf-8"))

    def run(*command: str, store: str, params: tuple[str, ...] = ()) -> tuple[dict, list]:
        done = subprocess.run([*command, "--storage", str(tmp_path / store), "--json", *params], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        kept = sorted((r.node, r.key) for r in open_store(str(tmp_path / store)).list("fanout_run_time"))
        return json.loads(done.stdout), kept

    fusec = [sys.executable, "-m", "fuseflow.cli", "run", "tests/golden/fanout_run_time/input.fuse"]
    script, ran = run(sys.executable, str(module), store="script")
    assert (script, ran) == run(*fusec, store="fusec")
    assert script["tagged"]["moons"] == [["moons-", 3], ["moons-", 5], ["moons-", 8]]
    grown, kept = run(sys.executable, str(module), store="script", params=("-p", "sizes=[3, 5, 8, 9]"))
    assert grown["tagged"]["circles"][-1] == ["circles-", 9]
    # `more` grows by 9 before its 13: items 3 and 4 of its loop are new, a new item of each tagged loop
    assert sorted(name for name, _ in set(kept) - set(ran)) == [
        "cell.3.1", "cell.3.2", "cell.4.1", "cell.4.2", "every", "grown.3", "grown.4", "more", "spread.3",
        "spread.4", "tagged.circles.3", "tagged.moons.3"]


def test_a_module_with_ifs_in_a_run_time_loop_runs_as_fusec_run_does(tmp_path):
    """tests/golden/item_conditions's local module, run as `python wf_local.py`: each item's `if`
    decided as `fusec run` decides it, the same outputs and the same stored results."""
    import json
    import subprocess

    from fuseflow.runtime.storage import open_store

    from .sources import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    module = tmp_path / "wf_local.py"
    module.write_text((ROOT / "tests/golden/item_conditions/wf_local.py").read_text(encoding="utf-8"))

    def run(*command: str, store: str) -> tuple[dict, list]:
        done = subprocess.run([*command, "--storage", str(tmp_path / store), "--json", "-p", "sizes=[3, 5, 8, 2]"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        kept = sorted((r.node, r.key) for r in open_store(str(tmp_path / store)).list("item_conditions"))
        return json.loads(done.stdout), kept

    script = run(sys.executable, str(module), store="script")
    assert script == run(sys.executable, "-m", "fuseflow.cli", "run", "tests/golden/item_conditions/input.fuse",
                         store="fusec")
    outputs, kept = script
    assert outputs == {"note": [8, 8, 1013, 7], "total": [7, 7, 1012, 6]}  # 2: grown 5 > 4, the if (big 5)
    assert {name for name, _ in kept} >= {"big.else.0", "kept.else.1", "big.if.2", "kept.if.3"}
    assert not {name for name, _ in kept} & {"big.if.0", "kept.if.1", "big.else.2"}  # branches not taken
