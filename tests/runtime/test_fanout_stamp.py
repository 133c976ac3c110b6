"""A run-time loop's body bound once (runtime.bind.Stamp) makes what ir.expand_fanout and the
builders make node by node: the same names, callables, arguments, options, ordering and gathering."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime import bind as binding

OPS = '''
class Counter:
    def __init__(self, start=0):
        self.total = start

    def add(self, x):
        self.total += x
        return self.total


def inc(x, by=1):
    return x + by


def pair(a, b):
    return {"a": a, "b": b, "both": [a, b]}
'''

HEAD = "from stamp_ops import inc, pair, Counter\nparam n: int = 2\nstart = inc(0)\nc = Counter(start)\n"

BODIES = {
    "plain": "xs = pair(n, 1)\nfor x in xs['both'] {\n    up = inc(x)\n    twice = inc(up, by=x)\n}\nreturn twice\n",
    "options": ("xs = pair(n, 1)\nfor x in xs['both'] {\n    up = inc(x)\n    down = inc(up, by=-1)\n}\n"
                'options {\n    "up\\\\..*": { retries: 2, seed: 7 }\n    "up\\\\.1": { retries: 3 }\n}\n'
                "return down\n"),
    "ordering": ("xs = pair(n, 1)\nd0 = inc(1)\nfor x in xs['both'] {\n    a = inc(x)\n"
                 "    b = inc([x, a, start], by={'k': a}) after start\n    o = Counter(a)\n    m = o.add(x)\n"
                 "    p = o.add(b) after d0\n    d = inc(b[0]) after a\n}\nreturn d, m\n"),
    "dict": "xs = pair(n, 1)\nfor k in xs {\n    up = pair(k, n)\n}\nreturn up\n",
    "pairs": "xs = pair(n, 1)\nfor k, v in xs {\n    up = pair(k, v)\n}\nreturn up\n",
    "inside static": ("for s in [1, 2] {\n    xs = pair(n, s)\n    for x in xs['both'] {\n        up = inc(x, by=s)\n"
                      "    }\n}\nreturn up\n"),
    "indexed item": "xs = pair(n, 1)\nfor x in xs['both'] {\n    up = inc(x['a'])\n}\nreturn up\n",
}

ITEMS = {
    "plain": [[3, 1], [0, 5, "a.b"]],
    "options": [[3, 1]],
    "ordering": [[3, 1]],
    "dict": [{"a": 1, "b c": 2}],
    "pairs": [{"a": 1, "b": [2, 3]}],
    "inside static": [[4, 5]],
    "indexed item": [[{"a": 1}, {"a": 2}]],
}


class NodeByNode(binding.Builders):
    """The default builders, but not the class itself: bind expands this way node by node."""


def loops(name: str, tmp_path: Path, builders: binding.Builders | None) -> list:
    (tmp_path / "stamp_ops.py").write_text(OPS)
    wf, _ = compile_source(HEAD + textwrap.dedent(BODIES[name]), str(tmp_path / "wf.fuse"))
    assert wf is not None and wf.fanouts, name
    with binding.import_path(tmp_path):
        return bind_loops(wf, tmp_path, builders)


def bind_loops(wf: ir.Workflow, tmp_path: Path, builders: binding.Builders | None) -> list:
    graph = binding.bind(wf, str(tmp_path / "wf.fuse"), builders)
    return graph.fanouts


def facts(node) -> tuple:
    return (node.name, node.kind, node.fn, node.args, node.kwargs, node.options, node.object, node.method, node.after)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_stamped_nodes_are_those_made_node_by_node(name, tmp_path):
    stamped, plain = loops(name, tmp_path, None), loops(name, tmp_path, NodeByNode())
    for fast, slow in zip(stamped, plain, strict=True):
        for items in ITEMS[name]:
            fast_nodes, fast_gathered, _ = fast.expand(items)
            slow_nodes, slow_gathered, _ = slow.expand(items)
            assert [facts(n) for n in fast_nodes] == [facts(n) for n in slow_nodes]
            assert fast_gathered == slow_gathered


def test_errors_read_the_same(tmp_path):
    stamped, plain = loops("indexed item", tmp_path, None), loops("indexed item", tmp_path, NodeByNode())
    for bad in ([1, 2], 5, {"a": 1}):
        with pytest.raises(ir.NotIterable) as fast:
            stamped[0].expand(bad)
        with pytest.raises(ir.NotIterable) as slow:
            plain[0].expand(bad)
        assert str(fast.value) == str(slow.value)
