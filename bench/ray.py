"""Ray benchmark: one 1,000-node DAG of small tasks, generated module against hand-written Ray.

    python bench/ray.py [--nodes 1000] [--rounds 3] [--num-cpus 2]

The DAG: node i mixes the results of nodes i-1 and i-2 (so almost every task
waits for the one before it, as in a long pipeline), and a tenth of the nodes
also read node i // 2. The same DAG runs, on one Ray started here:

  hand    written by hand: `mix_remote.remote(refs[i - 1], refs[i - 2])`, one ray.get at the end
  fuse    the module `fusec compile --target ray` writes for the same DAG, without storage
  stored  the same module with file storage: first run, then a fully cached rerun

Rounds alternate hand and fuse after one warm-up of each. It prints the
median (and the best) seconds, milliseconds per task, tasks per second and
the fuse / hand ratio (the goal: within 1.15x). On a shared machine the best
round is the one least disturbed by others. Figures only: nothing fails when
the goal is missed.
"""
from __future__ import annotations

import os
import sys

# This file is named ray.py: keep its folder off sys.path, or `import ray` would import it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

GOAL_RATIO = 1.15

OPS = '''
def mix(a, b, c=0):
    return (a * 31 + b * 7 + c) % 1000003
'''


def fuse_text(nodes: int) -> str:
    """One line per node: n0 and n1 from literals, then n_i = mix(n_{i-1}, n_{i-2}[, n_{i//2}])."""
    lines = ["workflow dag", "", "from ffbench_ops import mix", "", "n0 = mix(1, 2)", "n1 = mix(3, 4)"]
    for i in range(2, nodes):
        extra = f", n{i // 2}" if i % 10 == 0 else ""
        lines.append(f"n{i} = mix(n{i - 1}, n{i - 2}{extra})")
    lines += ["", f"return n{nodes - 1}", ""]
    return "\n".join(lines)


def by_hand(ray, mix, nodes: int) -> int:
    """The same DAG as a Ray user writes it."""
    mix_remote = ray.remote(mix)
    refs = [mix_remote.remote(1, 2), mix_remote.remote(3, 4)]
    for i in range(2, nodes):
        if i % 10 == 0:
            refs.append(mix_remote.remote(refs[i - 1], refs[i - 2], refs[i // 2]))
        else:
            refs.append(mix_remote.remote(refs[i - 1], refs[i - 2]))
    return ray.get(refs[-1])


def generated(folder: str, nodes: int):
    """WORKFLOW of the module fusec writes for the DAG (compiled in this process)."""
    from fuseflow.codegen.loader import load_generated
    from fuseflow.compiler.frontend import compile_source
    from fuseflow.targets.ray.generate import generate

    path = os.path.join(folder, "dag.fuse")
    text = fuse_text(nodes)
    with open(path, "w") as f:
        f.write(text)
    workflow, _ = compile_source(text, path)
    return load_generated(generate(workflow), path).WORKFLOW


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def report(label: str, seconds: float, nodes: int) -> None:
    print(f"{label:<28} {seconds:8.3f} s  {seconds / nodes * 1000:7.3f} ms/task  {nodes / seconds:8.0f} tasks/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="ffbench")
    with open(os.path.join(folder, "ffbench_ops.py"), "w") as f:
        f.write(OPS)
    sys.path.insert(0, folder)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from ffbench_ops import mix

    ray.init(address="local", num_cpus=args.num_cpus, include_dashboard=False, logging_level="WARNING",
             runtime_env={"env_vars": {"PYTHONPATH": folder}})
    try:
        run(ray, mix, folder, args)
    finally:
        ray.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def run(ray, mix, folder: str, args) -> None:
    nodes = args.nodes
    wf = generated(folder, nodes)
    expected = by_hand(ray, mix, nodes)  # warm-up of both: workers started, functions exported
    assert wf.run(no_cache=True) == {f"n{nodes - 1}": expected}

    hand, fuse = [], []
    for _ in range(args.rounds):
        seconds, value = timed(lambda: by_hand(ray, mix, nodes))
        assert value == expected
        hand.append(seconds)
        seconds, value = timed(lambda: wf.run(no_cache=True))
        assert value == {f"n{nodes - 1}": expected}
        fuse.append(seconds)
    store = os.path.join(folder, "store")
    first, _ = timed(lambda: wf.run(storage=store))
    cached, _ = timed(lambda: wf.run(storage=store))

    print(f"Ray {ray.__version__}, {args.num_cpus} CPUs, {nodes} nodes, {args.rounds} rounds "
          f"(hand {', '.join(f'{s:.2f}' for s in hand)}; fuse {', '.join(f'{s:.2f}' for s in fuse)})")
    for label, pick in (("median", statistics.median), ("best", min)):
        report(f"hand-written, {label}", pick(hand), nodes)
        report(f"generated, {label}", pick(fuse), nodes)
    report("generated, file storage", first, nodes)
    report("generated, cached rerun", cached, nodes)
    for label, pick in (("median", statistics.median), ("best", min)):
        ratio = pick(fuse) / pick(hand)
        verdict = "met" if ratio <= GOAL_RATIO else "missed"
        print(f"ratio generated / hand-written ({label}): {ratio:.3f} (goal <= {GOAL_RATIO}: {verdict})")

if __name__ == "__main__":
    main()
