"""The Prefect target's overhead: a 200-node DAG as a generated flow and written by hand.

    python bench/prefect.py [--repeat 3] [--width 20] [--depth 10]

The DAG has `depth` layers of `width` nodes; each node after the first layer
adds two results of the layer before. The same DAG runs as
  hand        a flow written by hand with @task / .submit(), default options
  hand-bare   the same with cache_policy=NO_CACHE, persist_result=False (as generated tasks)
  hand-named  hand-bare, each submit through .with_options(task_run_name=...) (as generated)
  generated   the flow `fusec compile --target prefect` writes, without storage (--no-cache)
  stored      the generated flow with file storage, first run (every result saved)
  cached      the generated flow again: every output loaded, nothing else submitted
all in one process under one Prefect API (a test harness: temporary SQLite DB,
ephemeral server), alternating, best of --repeat. Prints seconds, milliseconds
per node and the ratios to the hand-written flow (goal: generated within 1.2x).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this very
# file would be found as `prefect`: take the folder off before importing the library.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

OPS = '''
def inc(x):
    return x + 1


def add(a, b):
    return a + b
'''


def fuse_text(width: int, depth: int) -> str:
    lines = ["workflow dag", "from benchops import inc, add", ""]
    lines += [f"n_0_{j} = inc({j})" for j in range(width)]
    for i in range(1, depth):
        lines += [f"n_{i}_{j} = add(n_{i - 1}_{j}, n_{i - 1}_{(j + 1) % width})" for j in range(width)]
    lines += ["", "return " + ", ".join(f"n_{depth - 1}_{j}" for j in range(width))]
    return "\n".join(lines) + "\n"


def hand_written(width: int, depth: int, named: bool = False, **task_options):
    """The same DAG as a Prefect user would write it."""
    from benchops import add, inc
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    inc_task, add_task = task(inc, **task_options), task(add, **task_options)

    def name(t, i: int, j: int):
        return t.with_options(task_run_name=f"n_{i}_{j}") if named else t

    @flow(name="dag-by-hand", task_runner=ThreadPoolTaskRunner())
    def dag() -> dict:
        layer = [name(inc_task, 0, j).submit(j) for j in range(width)]
        for i in range(1, depth):
            layer = [name(add_task, i, j).submit(layer[j], layer[(j + 1) % width]) for j in range(width)]
        return {f"n_{depth - 1}_{j}": f.result() for j, f in enumerate(layer)}

    return dag


def generated(folder: Path, width: int, depth: int):
    from fuseflow.cli import main as fusec

    (folder / "dag.fuse").write_text(fuse_text(width, depth))
    assert fusec(["compile", str(folder / "dag.fuse"), "--target", "prefect", "-o", str(folder / "dag_flow.py")]) == 0
    spec = importlib.util.spec_from_file_location("dag_flow", folder / "dag_flow.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dag_flow"] = module
    spec.loader.exec_module(module)
    return module.dag


def timed(flow_fn) -> tuple[float, dict]:
    """Seconds of one flow run (flow run created, tasks run, outputs back); then, untimed,
    wait until the API has recorded every task run, so no run pays for the one before."""
    start = time.perf_counter()
    state = flow_fn(return_state=True)
    seconds = time.perf_counter() - start
    settle(state)
    return seconds, state.result()


def settle(state, timeout: float = 120.0) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    wanted = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        last = -1
        while time.monotonic() < deadline:
            runs = []
            while len(runs) % 200 == 0:  # the API returns at most 200 at a time
                page = client.read_task_runs(flow_run_filter=wanted, limit=200, offset=len(runs))
                runs += page
                if not page:
                    break
            done = sum(r.state is not None and r.state.is_final() for r in runs)
            if done == len(runs) and done == last:
                return
            last = done
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--depth", type=int, default=10)
    args = parser.parse_args()
    nodes = args.width * args.depth
    folder = Path(tempfile.mkdtemp(prefix="fuseflow-bench-prefect-"))
    os.environ.setdefault("PREFECT_HOME", str(folder / "prefect-home"))
    (folder / "benchops.py").write_text(OPS)
    sys.path.insert(0, str(folder))

    from prefect.cache_policies import NO_CACHE
    from prefect.testing.utilities import prefect_test_harness

    from fuseflow.targets.prefect import backend as rt

    start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        print(f"Prefect test harness up in {time.perf_counter() - start:.1f} s; {nodes} nodes, best of {args.repeat}")
        hand = hand_written(args.width, args.depth)
        bare = hand_written(args.width, args.depth, cache_policy=NO_CACHE, persist_result=False)
        named = hand_written(args.width, args.depth, named=True, cache_policy=NO_CACHE, persist_result=False)
        flow = generated(folder, args.width, args.depth)
        timed(hand)  # warm up: imports, the server's first flow runs
        with rt.using(no_cache=True):
            timed(flow)
        best: dict[str, float] = {}

        def record(label: str, flow_fn, expected: dict | None) -> dict:
            seconds, out = timed(flow_fn)
            best[label] = min(best.get(label, seconds), seconds)
            assert expected is None or out == expected, f"{label}: other results"
            return out

        for round_ in range(args.repeat):
            expected = record("hand", hand, None)
            record("hand-bare", bare, expected)
            record("hand-named", named, expected)
            with rt.using(no_cache=True):
                record("generated", flow, expected)
            with rt.using(storage=str(folder / f"store{round_}")):
                record("stored", flow, expected)
                record("cached", flow, expected)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{'flow':<10} {'seconds':>8} {'ms/node':>8} {'vs hand':>8} {'vs bare':>8}")
    for label, seconds in best.items():
        print(f"{label:<10} {seconds:8.2f} {seconds / nodes * 1000:8.1f} "
              f"{seconds / best['hand']:8.2f} {seconds / best['hand-bare']:8.2f}")
    print("hand: @task defaults (Prefect computes cache keys); hand-bare: cache_policy=NO_CACHE, "
          "persist_result=False, as the generated tasks have; hand-named: hand-bare with a run name per node")
    print(f"generated / hand-written: {best['generated'] / best['hand']:.2f}x, "
          f"/ hand-bare {best['generated'] / best['hand-bare']:.2f}x (goal <= 1.2x); "
          f"with file storage {best['stored'] / best['hand-bare']:.2f}x; "
          f"fully cached rerun {best['cached'] / best['hand-bare']:.2f}x ({args.width} outputs loaded)")


if __name__ == "__main__":
    main()
