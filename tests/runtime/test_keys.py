"""Cache keys: what changes a node's key, and what must not."""
from __future__ import annotations

from fuseflow.runtime.keys import compute_keys, fingerprint, source_hash
from fuseflow.targets.local import runtime as rt


def add(a, b):
    return a + b


def other_add(a, b):
    return a + b + 0


class Box:
    def __init__(self, start):
        self.items = [start]

    def put(self, item):
        self.items.append(item)
        return len(self.items)


def workflow(b_literal=2, fn=add, seed=None):
    options = {"seed": seed} if seed is not None else {}
    return rt.Workflow(name="k", params=[rt.Param("a", "int", 1, False), rt.Param("c", "int", 0, False)], nodes=[
        rt.call("x", add, [rt.param("a"), 1]),
        rt.call("y", fn, [rt.param("c"), b_literal], options=options),
        rt.call("z", add, [rt.ref("x"), rt.ref("y")]),
        rt.call("w", add, [rt.ref("y"), rt.struct({"k": rt.ref("y")})]),
    ])


def changed(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def test_keys_are_stable_and_distinct():
    wf = workflow()
    keys = compute_keys(wf, {"a": 1, "c": 0})
    assert keys == compute_keys(workflow(), {"a": 1, "c": 0})
    assert len(set(keys.values())) == 4
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys.values())


def test_a_param_changes_exactly_its_readers_and_their_dependents():
    base = compute_keys(workflow(), {"a": 1, "c": 0})
    assert changed(base, compute_keys(workflow(), {"a": 2, "c": 0})) == {"x", "z"}
    assert changed(base, compute_keys(workflow(), {"a": 1, "c": 5})) == {"y", "z", "w"}


def test_literals_callables_and_seeds_change_keys():
    base = compute_keys(workflow(), {"a": 1, "c": 0})
    assert changed(base, compute_keys(workflow(b_literal=3), {"a": 1, "c": 0})) == {"y", "z", "w"}
    assert changed(base, compute_keys(workflow(b_literal=2.0), {"a": 1, "c": 0})) == {"y", "z", "w"}  # 2 != 2.0
    assert changed(base, compute_keys(workflow(b_literal="2"), {"a": 1, "c": 0})) == {"y", "z", "w"}
    assert changed(base, compute_keys(workflow(fn=other_add), {"a": 1, "c": 0})) == {"y", "z", "w"}
    assert changed(base, compute_keys(workflow(seed=1), {"a": 1, "c": 0})) == {"y", "z", "w"}


def test_run_time_seed_overrides_enter_the_key():
    wf = workflow()
    base = compute_keys(wf, {"a": 1, "c": 0})
    options = [{}, {"seed": 4}, {}, {}]
    assert changed(base, compute_keys(wf, {"a": 1, "c": 0}, options)) == {"y", "z", "w"}


def test_method_keys_chain_through_earlier_calls():
    def nodes(first):
        return rt.Workflow(name="m", nodes=[
            rt.obj("box", Box, [0]),
            rt.method("one", "box", "put", [first]),
            rt.method("two", "box", "put", [2]),
            rt.call("sum", add, [rt.ref("one"), rt.ref("two")]),
        ])

    base = compute_keys(nodes(1), {})
    assert changed(base, compute_keys(nodes(5), {})) == {"one", "two", "sum"}


def test_source_hash_follows_the_source():
    assert source_hash(add) != source_hash(other_add)
    assert source_hash(add) == source_hash(add)
    assert source_hash(len)  # a builtin has no source: its name stands in


def test_fingerprints_distinguish_types_and_structure():
    keys = {"n": "k" * 32}
    texts = [fingerprint(v, {"p": 1}, keys) for v in (1, 1.0, True, "1", None, [1], (1,), {"1": 1},
                                                    rt.ref("n"), rt.ref("n", 0), rt.param("p"))]
    # alike: a list and a tuple (both arrive as lists), and a param and the constant it holds (a node
    # of a used workflow, its param bound to a constant by the call, keeps the key its file gives it)
    assert len(set(texts)) == len(texts) - 2
    assert texts[-1] == texts[0]
    assert fingerprint(rt.param("p", "k"), {"p": {"k": 1}}, keys) == texts[0]  # indexed: the item's text
