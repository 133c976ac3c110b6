"""Workflow.loops, expanded (fuseflow.ir.expand), gives exactly the nodes lowering made in
those loops, for every .fuse of the repository and the loop forms of sources.EXTRA: the
descriptions the Python generators write loops from say what the nodes say."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fuseflow import ir
from fuseflow.compiler.frontend import compile_source
from fuseflow.ir.expand import Expansion

from .sources import sources


def typed(value: Any) -> str:
    """A value's JSON with its types told apart (1, 1.0 and true differ), other objects by identity."""
    return json.dumps(ir.value_to_data(value) if isinstance(value, ir.Value) else value, default=lambda v: id(v))


def compiled(label: str) -> tuple[ir.Workflow, Path]:
    path, text = sources()[label]
    wf, _ = compile_source(text, path)
    return wf, Path(path).resolve()


@pytest.mark.parametrize("label", list(sources()))
def test_the_loop_descriptions_give_the_nodes(label: str):
    wf, _ = compiled(label)
    expansion = Expansion(wf.loops)
    expanded = [node for loop in wf.loops for node in expansion.nodes(loop)]
    index = wf.node_index()
    for node in expanded:
        lowered = index[node.name]
        assert (node.kind, node.target, node.object, node.keys) == (lowered.kind, lowered.target, lowered.object,
                                                                    lowered.keys)
        assert [typed(a) for a in node.args] == [typed(a) for a in lowered.args]
        assert [(k, typed(v)) for k, v in node.kwargs] == [(k, typed(v)) for k, v in lowered.kwargs]
    described = {name for loop in wf.loops for name in (s.name for _, s in ir.loop_statements((loop,)))}
    assert [n.name for n in expanded] == [n.name for n in wf.nodes if n.statement in described]
    if label != "undescribed":
        assert described == {node.statement for node in wf.nodes if node.keys}


def test_what_the_descriptions_cannot_say_leaves_the_loop_out():
    wf, _ = compiled("undescribed")
    assert wf.loops == ()


def test_the_loops_survive_json():
    for label in ("examples_models", "tests_golden_objects", "loop_forms"):
        wf, _ = compiled(label)
        assert wf.loops and ir.Workflow.from_json(wf.to_json()) == wf
