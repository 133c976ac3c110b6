"""Micro-benchmark of the result store's hot paths: save and load of small results.

    python bench/storage_micro.py [N] [--dir DIR] [--repeat R]

Prints microseconds per call (best of R passes, as other processes on the
machine add noise) for a first run (N new nodes, appended to a pack),
a rerun that overwrites, loads of cached results, misses, and a 10 MB numpy
array. Use --dir to measure on the disk a workflow will really use: temp
folders may be on tmpfs or on a slow disk. The goal: save well under 100 us,
load about 20 us, so a fully cached rerun of 10,000 small results < 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuseflow.runtime.storage import open_store  # noqa: E402

SMALL = {"accuracy": 0.93, "params": {"k": 5, "weights": "distance"}, "n": 1000}


def best(label: str, n: int, repeat: int, make_pass) -> None:
    """Time ``make_pass(r)()`` for r in range(repeat); print the best pass per call."""
    times = []
    for r in range(repeat):
        run = make_pass(r)
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(f"{label:<42} {min(times) / n * 1e6:8.1f} us/call  {min(times):7.3f} s for {n}")


def small_results(url: str, n: int, repeat: int) -> None:
    keys = [f"{i:064x}" for i in range(n)]
    store = open_store(url)

    def saves(workflow: str):
        return lambda: [store.save(workflow, f"node.{i}", k, SMALL) for i, k in enumerate(keys)]

    def loads(key_of):
        fresh = open_store(url)  # a new run: no cached folder names
        return lambda: [fresh.load("bench0", f"node.{i}", key_of(k)) for i, k in enumerate(keys)]

    best("save, first run (new node)", n, repeat, lambda r: saves(f"bench{r}"))
    best("save, rerun (overwrite)", n, repeat, lambda r: saves("bench0"))
    best("load, cached small result", n, repeat, lambda r: loads(lambda k: k))
    best("load, miss", n, repeat, lambda r: loads(lambda k: "x" + k[1:]))


def big_array(url: str, repeat: int) -> None:
    try:
        import numpy as np
    except ImportError:
        print("numpy is not installed: array figures skipped")
        return
    store = open_store(url)
    array = np.random.default_rng(0).random(10 * 2**20 // 8)
    for label, value in (("10 MB numpy array (npy)", array), ("dict holding a 10 MB array (pickle)", {"X": array})):
        save_and_load(store, label, value, repeat)


def save_and_load(store, label: str, value, repeat: int) -> None:
    best(f"save, {label}", 5, repeat, lambda r: lambda: [store.save("big", "n", "k", value) for _ in range(5)])
    best(f"load, {label}", 5, repeat, lambda r: lambda: [store.load("big", "n", "k") for _ in range(5)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000, help="small results per pass (default 10000)")
    parser.add_argument("--dir", help="folder to benchmark in (default: a temp folder)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per figure, best kept (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as root:
        print(f"file:{root}  fsync={os.environ.get('FUSEFLOW_FSYNC') or 'off'}")
        small_results(f"file:{root}", args.n, args.repeat)
        big_array(f"file:{root}", args.repeat)


if __name__ == "__main__":
    main()
