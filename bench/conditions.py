"""Compile time of conditions: files of 100 to 800 `if` chains through fusec's front end.

    python bench/conditions.py [--counts 100,200,400,800] [--repeat 5]

Each `if` has an `elif` and an `else`, a node per branch under one name (used after
the `if`, so a OneOf), a test of a comparison, `and`, `not` and a param, and a node
after it; the baseline is the same nodes with no `if` (each branch's node a plain
node), compiled in the same process. Per count it prints the seconds of both, the
microseconds per `if`, and the ratio to the baseline; then whether the goal of
issue 14 holds: compile time of conditions linear in their number (800 within 8x
100, with a 25% margin for a shared machine). Figures only: nothing here fails.
Each figure is the fastest of --repeat runs, the counts taken in turn.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuseflow.compiler.frontend import compile_source  # noqa: E402

HEAD = "workflow deciding\nfrom ops import add, minus\nparam n: int = 1\nparam quiet: bool = false\n"


def with_ifs(count: int) -> str:
    lines = [HEAD, "a0 = add(n, 1)"]
    for i in range(count):
        lines += [f'if a{i} >= n and not quiet {{', f"    v{i} = add(a{i}, 1)",
                  f"}} elif a{i} == {i} {{", f"    v{i} = minus(a{i}, 1)",
                  "} else {", f"    v{i} = add(a{i}, 2)", "}", f"a{i + 1} = add(v{i}, n)"]
    return "\n".join(lines) + "\n"


def without_ifs(count: int) -> str:
    lines = [HEAD, "a0 = add(n, 1)"]
    for i in range(count):
        lines += [f"v{i}_if = add(a{i}, 1)", f"v{i}_elif = minus(a{i}, 1)", f"v{i}_else = add(a{i}, 2)",
                  f"a{i + 1} = add(v{i}_if, n)"]
    return "\n".join(lines) + "\n"


def seconds(text: str) -> float:
    gc.collect()
    start = time.perf_counter()
    compile_source(text, "deciding.fuse")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,200,400,800")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    texts = {count: (with_ifs(count), without_ifs(count)) for count in counts}
    best: dict[int, list[float]] = {count: [float("inf"), float("inf")] for count in counts}
    for _ in range(args.repeat):
        for count in counts:
            for which, text in enumerate(texts[count]):
                best[count][which] = min(best[count][which], seconds(text))
    print(f"{'ifs':>6} {'with if s':>10} {'plain s':>10} {'us per if':>10} {'ratio':>6}")
    for count in counts:
        ifs, plain = best[count]
        print(f"{count:>6} {ifs:>10.4f} {plain:>10.4f} {ifs / count * 1e6:>10.1f} {ifs / plain:>6.2f}")
    low, high = counts[0], counts[-1]
    growth = best[high][0] / best[low][0]
    scale = high / low
    verdict = "met" if growth <= scale * 1.25 else "MISSED"
    print(f"goal (linear): {high} ifs take {growth:.2f}x the time of {low} (linear is {scale:.0f}x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
