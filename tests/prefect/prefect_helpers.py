"""Helpers of the Prefect target's tests (tests/prefect/conftest.py has the fixtures).

Not a package (no __init__.py): a package named `prefect` here would shadow
the library; so test modules are named test_prefect_*.py and import this by
its own name.
"""
from __future__ import annotations

import importlib.util
import sys
import textwrap
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

STEPS = '''
CALLS = []          # every user call, in order: what a test checks
FLAKY = {}          # name -> failures still to come


def inc(x, by=1):
    CALLS.append(f"inc {x}")
    return x + by


def add(a, b):
    CALLS.append(f"add {a} {b}")
    return a + b


def pair(a, b):
    CALLS.append(f"pair {a} {b}")
    return {"a": a, "b": b, "both": [a, b]}


def fail_on(x, bad):
    CALLS.append(f"fail_on {x}")
    if x == bad:
        raise ValueError(f"refusing {x}")
    return x


def flaky(x):
    CALLS.append(f"flaky {x}")
    if FLAKY.get("flaky", 0) > 0:
        FLAKY["flaky"] -= 1
        raise RuntimeError("not yet")
    return x * 10


def hook(*args):
    CALLS.append("hook")


def retry_if(task, task_run, state):
    return True


class Counter:
    def __init__(self, start=0):
        CALLS.append(f"Counter {start}")
        self.total = start

    def add(self, n):
        CALLS.append(f"Counter.add {n}")
        self.total += n
        return self.total
'''


class Project:
    """A folder with steps.py and .fuse files; compiles them to flow files and imports those."""

    def __init__(self, root: Path, name: str):
        self.root = root
        self.prefix = name
        self.loaded = 0
        self.write("steps.py", STEPS)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def flow(self, fuse: str | Path, name: str = "wf_flow") -> types.ModuleType:
        """`fusec compile FUSE --target prefect -o NAME.py` (in process), then import NAME.py."""
        from fuseflow.cli import main as fusec

        source = Path(fuse) if Path(fuse).is_absolute() else self.write("wf.fuse", str(fuse))
        out = self.root / f"{name}.py"
        assert fusec(["compile", str(source), "--target", "prefect", "-o", str(out)]) == 0
        return import_file(out, f"{self.prefix}_{name}_{self.loaded}")

    @property
    def steps(self) -> types.ModuleType:
        return sys.modules["steps"]

    def calls(self) -> list[str]:
        """The user calls since the last time this was asked."""
        calls = list(self.steps.CALLS)
        self.steps.CALLS.clear()
        return calls


def import_file(path: Path, module_name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # as an import would: Prefect and pickling look modules up
    spec.loader.exec_module(module)
    return module


def run_state(flow_fn, **params):
    """Run the flow; its final state (whose details name the flow run)."""
    return flow_fn(**params, return_state=True)


def task_runs(state, expected: int, timeout: float = 30.0) -> dict[str, object]:
    """Task runs of the flow run as the API recorded them, by name, once `expected` of
    them are there in a final state (the API records task runs from events, a moment later)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_run_id = state.state_details.flow_run_id
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            final = [r for r in runs if r.state is not None and (r.state.is_final() or r.state.name == "NotReady")]
            if len(final) >= expected or time.monotonic() > deadline:
                return {r.name: r for r in runs}
            time.sleep(0.2)
