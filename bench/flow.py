"""Control-flow benchmark: what a run-time loop costs per item, against a static loop of the same size.

    python bench/flow.py [--items 1000] [--repeat 5]

Issue 14's speed goal for run-time fan-out: over N items, the run costs per
item at most 1.2x what a static loop (`for x in [0, 1, ...]`, expanded by the
compiler) of the same N items costs, locally, in one process. Both workflows
run the same two calls per item and a fan-in after the loop, from their IR
through the local target (bind + run, as `fusec run` does), in this process:

  static    let xs = [0, ..., N-1]; for x in xs { ... }   nodes known at compile time
  run-time  xs = items(N); for x in xs { ... }            nodes made when xs is known

each without storage (no_cache: the runtime's own cost) and with file storage
in a fresh folder (a first run, then a rerun that loads what the output needs).
The run-time loop's figure includes computing its iterable (one more node) and
expanding the loop. Every figure is the best of --repeat rounds, the variants
taking turns within each round. Figures only: nothing here fails when a goal is
missed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuseflow.compiler.frontend import compile_source  # noqa: E402
from fuseflow.runtime.bind import bind, import_path  # noqa: E402
from fuseflow.runtime.execute import run  # noqa: E402
from fuseflow.runtime.prepare import RunSettings  # noqa: E402

GOAL_RATIO = 1.2  # run-time loop per item against a static loop per item

OPS = '''
def items(n):
    return list(range(n))


def inc(x):
    return x + 1


def double(x):
    return 2 * x


def total(values):
    return sum(values) if isinstance(values, list) else sum(values.values())
'''

BODY = """
    up = inc(x)
    twice = double(up)
}
all = total(twice)
return all
"""


def static_text(n: int) -> str:
    return f"from flow_ops import inc, double, total\nlet xs = {list(range(n))}\nfor x in xs {{{BODY}"


def run_time_text(n: int) -> str:
    return f"from flow_ops import items, inc, double, total\nxs = items({n})\nfor x in xs {{{BODY}"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.items
    folder = Path(tempfile.mkdtemp(prefix="fuseflow-flow-bench-"))
    try:
        (folder / "flow_ops.py").write_text(OPS)
        sys.path.insert(0, str(folder))
        workflows = {}
        for label, text in (("static", static_text(n)), ("run-time", run_time_text(n))):
            wf, _ = compile_source(text, str(folder / f"{label}.fuse"))
            with import_path(folder):
                workflows[label] = bind(wf, str(folder / f"{label}.fuse"))
        expected = sum(2 * (x + 1) for x in range(n))
        best: dict[tuple[str, str], float] = {}
        for round_ in range(args.repeat):
            order = list(workflows) if round_ % 2 == 0 else list(reversed(workflows))
            for label in order:
                wf = workflows[label]
                no_store = RunSettings(no_cache=True, progress=False)
                seconds = timed(lambda wf=wf, s=no_store: check(run(wf, {}, s), expected))
                best[label, "no storage"] = min(best.get((label, "no storage"), seconds), seconds)
                store = folder / f"store-{label}-{round_}"
                stored = RunSettings(storage=str(store), progress=False)
                first = timed(lambda wf=wf, s=stored: check(run(wf, {}, s), expected))
                again = timed(lambda wf=wf, s=stored: check(run(wf, {}, s), expected))
                best[label, "first stored run"] = min(best.get((label, "first stored run"), first), first)
                best[label, "cached rerun"] = min(best.get((label, "cached rerun"), again), again)
                shutil.rmtree(store, ignore_errors=True)
        print(f"run-time loop against a static loop, {n} items, 2 nodes per item (best of {args.repeat})")
        print(f"{'':20} {'static':>12} {'run-time':>12} {'per item':>10} {'ratio':>7}  goal")
        for kind in ("no storage", "first stored run", "cached rerun"):
            static, dynamic = best["static", kind], best["run-time", kind]
            per_item = (dynamic - static) / n * 1e6
            ratio = dynamic / static
            verdict = " met" if ratio <= GOAL_RATIO else " MISSED"
            goal = f"<= {GOAL_RATIO}x{verdict}" if kind != "cached rerun" else ""
            print(f"{kind:20} {static * 1e3:10.1f}ms {dynamic * 1e3:10.1f}ms {per_item:+8.1f}us {ratio:6.2f}x  {goal}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check(outputs: dict, expected: int) -> None:
    assert outputs == {"all": expected}, outputs


if __name__ == "__main__":
    main()
