"""The local executor and `invoke`, on workflows built with the runtime's own
pieces (no compiler): failures, indexing, storing what cannot be stored."""
from __future__ import annotations

import pickle

import pytest

from fuseflow.runtime.invoke import NodeFailed, invoke, node_seed
from fuseflow.runtime.storage import StorageWarning
from fuseflow.targets.local import runtime as rt


def split(n):
    return {"even": [i for i in range(n) if i % 2 == 0], "odd": [i for i in range(n) if i % 2]}


def total(items):
    return sum(items)


def generator(n):
    return (i for i in range(n))


def consume(gen):
    return list(gen)


def broken(x):
    return helper(x)


def helper(x):
    raise KeyError(f"no {x}")


class Unloadable:
    def __reduce__(self):
        return (refuse, ())


def refuse():
    raise RuntimeError("cannot be rebuilt")


def unloadable():
    return Unloadable()


def test_indexing_results_and_params():
    wf = rt.Workflow(name="i", params=[rt.Param("p", "dict", {"k": [5, 6]}, False)], nodes=[
        rt.call("parts", split, [rt.param("p", "k", 1)]),
        rt.call("evens", total, [rt.ref("parts", "even")]),
        rt.call("both", total, [rt.struct([rt.ref("parts", "odd", 0), rt.ref("evens")])]),
    ])
    assert wf.run(no_cache=True) == {"both": 7}


def test_a_bad_index_names_the_node_and_the_path():
    wf = rt.Workflow(name="i", nodes=[
        rt.call("parts", split, [4]),
        rt.call("bad", total, [rt.ref("parts", "even", "x")]),
    ])
    with pytest.raises(NodeFailed) as failure:
        wf.run(no_cache=True)
    assert str(failure.value) == ("node 'bad' failed: IndexingError: cannot take ['x'] of parts['even'] (list): "
                                  "TypeError: list indices must be integers or slices, not str")


def test_failure_carries_the_users_traceback_only():
    wf = rt.Workflow(name="f", nodes=[rt.call("b", broken, [1])])
    with pytest.raises(NodeFailed) as failure:
        wf.run(no_cache=True)
    text = failure.value.user_traceback
    assert "in broken" in text and "in helper" in text and "KeyError: 'no 1'" in text
    assert "fuseflow/runtime" not in text


def test_node_failed_survives_pickling():
    with pytest.raises(NodeFailed) as failure:
        invoke("n", broken, [2], {}, {})
    copy = pickle.loads(pickle.dumps(failure.value))
    assert (copy.node, str(copy), type(copy.error)) == ("n", "node 'n' failed: KeyError: 'no 2'", KeyError)
    assert copy.user_traceback == failure.value.user_traceback
    assert "in helper" in copy.user_traceback


def test_a_result_that_cannot_be_stored_warns_and_the_run_goes_on(tmp_path):
    wf = rt.Workflow(name="g", nodes=[rt.call("gen", generator, [3]), rt.call("out", consume, [rt.ref("gen")])])
    with pytest.warns(StorageWarning, match="could not store the result of node 'gen'"):
        assert wf.run(storage=str(tmp_path)) == {"out": [0, 1, 2]}


def test_always_read_fails_the_node_when_its_result_does_not_come_back(tmp_path):
    wf = rt.Workflow(name="a", nodes=[rt.call("u", unloadable, [], options={"always_read": True})])
    failed = "node 'u' failed: StoreRoundTripError: its result was stored but could not be read back"
    with pytest.warns(StorageWarning, match="could not load the stored result of node 'u'"):
        with pytest.raises(NodeFailed, match=failed):
            wf.run(storage=str(tmp_path))


def test_outputs_may_be_structures_of_results():
    wf = rt.Workflow(name="o", nodes=[rt.call("p", split, [3])],
                     outputs={"first": rt.ref("p", "even", 0), "all": rt.struct({"p": rt.ref("p")})})
    assert wf.run(no_cache=True) == {"first": 0, "all": {"p": {"even": [0, 2], "odd": [1]}}}


def test_node_seeds_differ_by_node_and_base():
    seeds = {node_seed(base, name) for base in (1, 2) for name in ("a", "b")}
    assert len(seeds) == 4 and all(0 <= s < 2**32 for s in seeds)
    assert node_seed(1, "a") == node_seed(1, "a")
