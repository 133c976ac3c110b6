"""KFP target benchmark: fusec against kfp's own DSL and compiler on the same fan-outs.

    python bench/kfp.py [--sizes 1000,5000,10000] [--kfp-max 3000] [--repeat 1]

The workflow: one source node and N - 1 nodes that each read it with their
own constant (`y = work(base, i)` in a loop), N nodes in all. fusec compiles
the .fuse text to pipeline YAML (parse, lower, generate, check, write); kfp
builds the same pipeline with one `@dsl.component` per callable and one task
per node, then compiles it with `kfp.compiler.Compiler`. Both in this process,
one after the other. kfp is skipped above --kfp-max nodes (it grows faster
than linearly: about 100 s at 3,000 nodes on this machine).

Prints seconds, YAML bytes per node, fusec's speed-up over kfp at 1,000
nodes (goal >= 20x), fusec's seconds per node at each size relative to the
smallest (goal: linear, within 1.5x), and the size ratio (goal: fusec's YAML
>= 3x smaller per node). Figures only: nothing fails when a goal is missed.

Seconds are CPU seconds of this process (time.process_time), so that other
work on a shared machine does not blur them; both compilers are single-threaded
Python, so on an idle machine that is also their wall-clock time (printed too).
"""
# No `from __future__ import annotations`: kfp's DSL reads the components' annotations as types.
import argparse
import gc
import os
import sys
import tempfile
import time
import warnings

# This file is named kfp.py: take its own folder off the path so `import kfp` finds the SDK.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

from fuseflow.compiler.frontend import compile_source  # noqa: E402
from fuseflow.targets.kfp.generate import generate  # noqa: E402

GOAL_SPEEDUP = 20.0
GOAL_SMALLER = 3.0
GOAL_LINEAR = 1.5


def fuse_text(size: int) -> str:
    items = ", ".join(str(i) for i in range(size - 1))
    return f"""workflow fanout

from ops import make, work

param scale: int = 1

base = make(scale)
for i in [{items}] {{
    y = work(base, i)
}}

return base
"""


def fusec_compile(size: int) -> "tuple[float, int, float]":
    """(CPU seconds, YAML bytes, wall seconds) of one compile."""
    text = fuse_text(size)
    gc.collect()
    start, wall = time.process_time(), time.perf_counter()
    workflow, _ = compile_source(text, "fanout.fuse")
    yaml_text = generate(workflow)
    return time.process_time() - start, len(yaml_text.encode()), time.perf_counter() - wall


def kfp_compile(size: int) -> tuple[float, float, int]:
    """(seconds to build the pipeline, seconds to compile it, YAML bytes)."""
    from kfp import compiler, dsl

    @dsl.component(base_image="python:3.11")
    def make(scale: int, out: dsl.Output[dsl.Artifact]):
        with open(out.path, "w") as f:
            f.write(str(scale))

    @dsl.component(base_image="python:3.11")
    def work(base: dsl.Input[dsl.Artifact], i: int, out: dsl.Output[dsl.Artifact]):
        with open(out.path, "w") as f:
            f.write(open(base.path).read() + str(i))

    def fanout(scale: int = 1):
        source = make(scale=scale)
        for i in range(size - 1):
            work(base=source.outputs["out"], i=i)

    gc.collect()
    start = time.process_time()
    pipeline = dsl.pipeline(name="fanout")(fanout)
    built = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fanout.yaml")
        compiler.Compiler().compile(pipeline, path)
        done = time.process_time()
        size_bytes = os.path.getsize(path)
    return built - start, done - built, size_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--kfp-max", type=int, default=3000, help="largest size kfp is run at (default 3000)")
    parser.add_argument("--repeat", type=int, default=1, help="fusec runs per size; the fastest counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    warnings.simplefilter("ignore")
    rows = []
    print(f"{'nodes':>6}  {'fusec s':>8}  {'(wall)':>7}  {'fusec B/node':>12}  {'kfp build s':>11}  "
          f"{'kfp compile s':>13}  {'kfp s':>7}  {'kfp B/node':>10}  {'speed-up':>8}  {'smaller':>7}")
    for size in sizes:
        runs = [fusec_compile(size) for _ in range(args.repeat)]
        fusec_s, fusec_bytes, wall = min(runs)
        kfp = kfp_compile(size) if size <= args.kfp_max else None
        rows.append((size, fusec_s, fusec_bytes, kfp))
        head = f"{size:>6}  {fusec_s:>8.3f}  {wall:>7.3f}  {fusec_bytes / size:>12.0f}"
        if kfp:
            kfp_s = kfp[0] + kfp[1]
            print(f"{head}  {kfp[0]:>11.2f}  {kfp[1]:>13.2f}  {kfp_s:>7.2f}  {kfp[2] / size:>10.0f}  "
                  f"{kfp_s / fusec_s:>7.1f}x  {kfp[2] / fusec_bytes:>6.1f}x", flush=True)
        else:
            print(f"{head}  {'kfp skipped (above --kfp-max)':>30}", flush=True)
    report(rows)


def report(rows: list) -> None:
    print()
    first = rows[0]
    for size, seconds, size_bytes, kfp in rows:
        if kfp and size == 1000:
            speedup = (kfp[0] + kfp[1]) / seconds
            verdict = "met" if speedup >= GOAL_SPEEDUP else "MISSED"
            print(f"goal speed-up at 1,000 nodes >= {GOAL_SPEEDUP:.0f}x: {speedup:.1f}x  {verdict}")
        if kfp:
            smaller = kfp[2] / size_bytes
            print(f"goal YAML >= {GOAL_SMALLER:.0f}x smaller per node at {size:,}: {smaller:.1f}x  "
                  f"{'met' if smaller >= GOAL_SMALLER else 'MISSED'}")
    base = first[1] / first[0]
    for size, seconds, _, _ in rows[1:]:
        ratio = (seconds / size) / base
        print(f"linearity: {size:,} nodes cost {ratio:.2f}x per node what {first[0]:,} cost  "
              f"{'met' if ratio <= GOAL_LINEAR else 'MISSED'} (goal <= {GOAL_LINEAR}x)")
    skipped = [size for size, _, _, kfp in rows if kfp is None]
    if skipped:
        print(f"kfp was not run at {', '.join(f'{s:,}' for s in skipped)} nodes (--kfp-max); "
              "its build time grows faster than linearly")


if __name__ == "__main__":
    main()
