"""Results are freed as soon as no remaining node needs them: a long chain of
large arrays holds two or three of them at a time, never all of them."""
from __future__ import annotations

import tracemalloc

import pytest

np = pytest.importorskip("numpy")

ARRAYS = '''
import weakref

import numpy as np

SIZE = 10 * 2**20 // 8  # 10 MB of float64
REFS = []  # weak references to every array made (arrays are not hashable: no WeakSet)
MOST = [0]


def alive():
    return sum(ref() is not None for ref in REFS)


def track(array):
    REFS.append(weakref.ref(array))
    MOST[0] = max(MOST[0], alive())
    return array


def fresh(seed):
    return track(np.full(SIZE, float(seed)))


def grow(previous):
    return track(previous + 1.0)


def total(last):
    return float(last[0])
'''

LENGTH = 30
MB = 2**20


def chain_fuse(length: int) -> str:
    lines = ["workflow chain", "from arrays import fresh, grow, total", "n0 = fresh(0)"]
    lines += [f"n{i} = grow(n{i - 1})" for i in range(1, length)]
    lines += [f"result = total(n{length - 1})", "return result"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def chain(project, load_module):
    project.write("arrays.py", ARRAYS)
    module = load_module(project.fuse(chain_fuse(LENGTH)))
    import arrays

    arrays.REFS.clear()
    arrays.MOST[0] = 0
    return module.WORKFLOW, arrays


def peak_of(run) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = run()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("stored", [False, True], ids=["no-cache", "file-storage"])
def test_a_chain_of_large_arrays_holds_few_at_a_time(chain, project, stored):
    wf, arrays = chain
    settings = {"storage": str(project.store)} if stored else {"no_cache": True}
    outputs, peak = peak_of(lambda: wf.run(**settings))
    assert outputs == {"result": float(LENGTH - 1)}
    assert arrays.MOST[0] <= 3, f"{arrays.MOST[0]} arrays alive at once"
    assert peak < 3.5 * 10 * MB, f"peak {peak / MB:.0f} MB for a chain of {LENGTH} x 10 MB"
    assert arrays.alive() == 0  # nothing kept after the run


def test_a_cached_rerun_of_the_chain_loads_only_the_output(chain, project):
    wf, arrays = chain
    wf.run(storage=str(project.store))
    arrays.MOST[0] = 0
    outputs, peak = peak_of(lambda: wf.run(storage=str(project.store)))
    assert outputs == {"result": float(LENGTH - 1)}
    assert arrays.MOST[0] == 0  # no array computed
    assert peak < 1 * MB  # and none loaded: only the small output
