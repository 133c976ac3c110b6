"""Local target benchmark: what the runtime costs per node, and what it holds in memory.

    python bench/local.py [--nodes 10000] [--repeat 5] [--dir DIR] [--chain 50] [--mb 20]

A generated DAG of N nodes (each node adds two earlier results: the one
before it and one further back), compiled by fusec to a local module in
memory, run in one process:

  (a) as direct Python calls, the same calls in the same order;
  (b) through the local target without storage (no_cache=True);
  (c) with file storage in a fresh temp folder: a first run (stores all N
      small results), a fully cached rerun (plans, then loads only the
      output), and a rerun that loads every one of the N results.

Then a chain of 50 nodes, each returning a fresh 20 MB NumPy array made from
the one before, reporting peak memory (tracemalloc) against plain Python
doing the same chain, without storage and with file storage.

Every figure is the fastest of --repeat rounds, the variants taking turns
within each round (other processes on a shared machine only ever add
time); CPU time (user + system) is shown beside wall time. Figures only: nothing here fails when a goal is
missed. Goals (issue 3) and the figures functionfuse needs for the same DAG
on this machine are printed beside the results.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuseflow.codegen.loader import load_generated  # noqa: E402
from fuseflow.compiler.frontend import compile_source  # noqa: E402
from fuseflow.runtime.execute import Executor  # noqa: E402
from fuseflow.runtime.keys import compute_keys  # noqa: E402
from fuseflow.runtime.prepare import RunSettings, prepare  # noqa: E402
from fuseflow.runtime.storage import open_store  # noqa: E402
from fuseflow.targets.local import generate as local  # noqa: E402

GOAL_OVERHEAD_US = 5.0  # per node, without storage
GOAL_STORAGE_US = 100.0  # per small result, first run
GOAL_CACHED_S = 0.3  # fully cached rerun of 10,000 small results
GOAL_MEMORY_RATIO = 2.0  # chain peak against plain Python
FUNCTIONFUSE = {"overhead_us": 12.0, "first_us": 500.0, "cached_us": 30.0, "chain_mb": 950.0, "plain_mb": 40.0}

OPS = '''
import numpy as np

SIZE = 0  # elements per array in the chain; set by the benchmark


def add(a, b):
    return a + b


def fresh(seed):
    return np.full(SIZE, float(seed))


def grow(previous):
    return previous + 1.0


def first(array):
    return float(array[0])
'''


def back(i: int) -> int:
    """The second input of node i: a node further back (a DAG, not just a chain)."""
    return max(0, i - 1 - (i * 7919) % 64)


def dag_source(n: int) -> str:
    lines = ["workflow bench_dag", "from bench_ops import add", "param a: int = 1", "n0 = add(a, 0)"]
    lines += [f"n{i} = add(n{i - 1}, n{back(i)})" for i in range(1, n)]
    return "\n".join([*lines, f"return n{n - 1}"]) + "\n"


def chain_source(n: int) -> str:
    lines = ["workflow bench_chain", "from bench_ops import fresh, grow, first", "x0 = fresh(0)"]
    lines += [f"x{i} = grow(x{i - 1})" for i in range(1, n)]
    return "\n".join([*lines, f"out = first(x{n - 1})", "return out"]) + "\n"


def direct_dag(add: Callable, n: int) -> int:
    results = [add(1, 0)]
    for i in range(1, n):
        results.append(add(results[i - 1], results[back(i)]))
    return results[-1]


def direct_chain(ops: Any, n: int) -> float:
    x = ops.fresh(0)
    for _ in range(1, n):
        x = ops.grow(x)
    return ops.first(x)


def compiled(source: str, folder: Path):
    """The WORKFLOW of the module `fusec compile --target local` makes of `source`."""
    workflow, _ = compile_source(source, str(folder / "bench.fuse"))
    return load_generated(local.generate(workflow), folder / "bench.fuse").WORKFLOW


class Timer:
    """The fastest wall-clock and CPU (user + system) time of each labelled
    figure over the rounds. The variants run in turn, round after round, so a
    busy spell on a shared machine hits them all alike; other processes only
    ever add time, so the fastest run is the truest."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def time(self, label: str, run: Callable[[], Any]) -> Any:
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        value = run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        self.wall[label] = min(wall, self.wall.get(label, float("inf")))
        self.cpu[label] = min(cpu, self.cpu.get(label, float("inf")))
        return value


def peak_mb(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        value = run()
        return tracemalloc.get_traced_memory()[1] / 2**20, value
    finally:
        tracemalloc.stop()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_dag(n: int, repeat: int, base: Path, ops: Any) -> Timer:
    wf = compiled(dag_source(n), base)
    timer = Timer()
    for _ in range(repeat):
        _dag_pass(timer, wf, n, Path(tempfile.mkdtemp(prefix="store-", dir=base)), ops)
    return timer


def _dag_pass(timer: Timer, wf: Any, n: int, folder: Path, ops: Any) -> None:
    """One timed pass of every way of running the chain, storing into ``folder`` (removed after)."""
    expected = {f"n{n - 1}": direct_dag(ops.add, n)}
    names = [node.name for node in wf.nodes]
    assert timer.time("direct", lambda: direct_dag(ops.add, n)) == expected[f"n{n - 1}"]
    assert timer.time("plain", lambda: wf.run(no_cache=True)) == expected
    assert timer.time("first", lambda: wf.run(storage=str(folder))) == expected
    assert timer.time("cached", lambda: wf.run(storage=str(folder))) == expected
    plan = prepare(wf, {"a": 1}, RunSettings(storage=open_store(str(folder))))
    assert len(timer.time("all", lambda: Executor(plan).run(names))) == n
    timer.time("keys", lambda: compute_keys(wf, {"a": 1}))
    shutil.rmtree(folder, ignore_errors=True)


def report_dag(n: int, timer: Timer) -> list[str]:
    t, cpu = timer.wall, timer.cpu
    us = 1e6 / n
    overhead = (t["plain"] - t["direct"]) * us
    storage = (t["first"] - t["plain"]) * us
    rows = [
        ("(a) direct Python calls", "direct"),
        ("(b) local target, no storage", "plain"),
        ("(c) file storage, first run", "first"),
        ("(c) fully cached rerun (loads the output)", "cached"),
        (f"(c) cached rerun loading all {n:,} results", "all"),
    ]
    lines = [f"{n:,}-node DAG{'':<31} {'wall s':>8} {'us/node':>8} {'nodes/s':>10} {'x direct':>8} {'cpu us/node':>12}"]
    for label, key in rows:
        ratio = "" if key == "direct" else f"{t[key] / t['direct']:.1f}"
        lines.append(f"  {label:<42} {t[key]:>8.4f} {t[key] * us:>8.2f} {n / t[key]:>10,.0f} {ratio:>8} "
                     f"{cpu[key] * us:>12.2f}")
    cached = max(t["all"], t["cached"])
    lines += [
        f"  cache keys for all nodes (part of every storage run): {t['keys'] * us:.2f} us/node",
        "",
        f"  runtime overhead without storage: {overhead:7.2f} us/node    goal < {GOAL_OVERHEAD_US:g}: "
        f"{verdict(overhead < GOAL_OVERHEAD_US)}   (functionfuse ~{FUNCTIONFUSE['overhead_us']:g})",
        f"  storage, first run:               {storage:7.2f} us/result  goal < {GOAL_STORAGE_US:g}: "
        f"{verdict(storage < GOAL_STORAGE_US)}   (functionfuse ~{FUNCTIONFUSE['first_us']:g} per node)",
        f"  fully cached rerun of {n:,} results: {t['all']:.3f} s loading every result, {t['cached']:.3f} s "
        f"loading the output    goal < {GOAL_CACHED_S:g} s: {verdict(cached < GOAL_CACHED_S)}"
        f"   (functionfuse ~{FUNCTIONFUSE['cached_us'] * n / 1e6:.1f} s)",
    ]
    return lines


def bench_chain(length: int, mb: int, base: Path, ops: Any) -> list[str]:
    ops.SIZE = mb * 2**20 // 8
    wf = compiled(chain_source(length), base)
    expected = float(length - 1)
    plain, value = peak_mb(lambda: direct_chain(ops, length))
    assert value == expected
    ours, out = peak_mb(lambda: wf.run(no_cache=True))
    assert out == {"out": expected}
    folder = tempfile.mkdtemp(prefix="chain-", dir=base)
    stored, out = peak_mb(lambda: wf.run(storage=folder))
    assert out == {"out": expected}
    shutil.rmtree(folder, ignore_errors=True)
    ratio = max(ours, stored) / plain
    return [
        f"chain of {length} nodes, each a fresh {mb} MB array: peak memory (tracemalloc)",
        f"  plain Python               {plain:8.1f} MB",
        f"  local target, no storage   {ours:8.1f} MB   {ours / plain:.2f}x plain",
        f"  local target, file storage {stored:8.1f} MB   {stored / plain:.2f}x plain",
        f"  goal < {GOAL_MEMORY_RATIO:g}x plain: {verdict(ratio < GOAL_MEMORY_RATIO)}   "
        f"(functionfuse {FUNCTIONFUSE['chain_mb']:g} MB against {FUNCTIONFUSE['plain_mb']:g} MB plain)",
    ]


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    base = Path(tempfile.mkdtemp(prefix="fuseflow-bench-", dir=args.dir))
    (base / "bench_ops.py").write_text(OPS)
    sys.path.insert(0, str(base))
    try:
        import bench_ops

        print(f"{os.cpu_count()} cores, load average {load()} before the run; storage in {base}")
        for line in report_dag(args.nodes, bench_dag(args.nodes, args.repeat, base, bench_ops)):
            print(line)
        print()
        for line in bench_chain(args.chain, args.mb, base, bench_ops):
            print(line)
        print(f"load average {load()} after the run")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="nodes in the DAG (default 10000)")
    parser.add_argument("--repeat", type=int, default=10, help="rounds; each figure is its fastest run (default 10)")
    parser.add_argument("--dir", help="where the temp store goes (default: the system temp folder)")
    parser.add_argument("--chain", type=int, default=50, help="nodes in the array chain (default 50)")
    parser.add_argument("--mb", type=int, default=20, help="MB per array in the chain (default 20)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
