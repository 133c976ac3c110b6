"""What the conformance scenarios share: the targets, and a scenario run as users run it.

The targets are those of the registry that `fusec run` can run, so a target
another package registers (entry-point group `fuseflow.targets`) is played too.
A scenario is one .fuse file in a folder of its own. It is played on a target
as a list of `fusec run --target T --json` command lines (in this process, on
the session's Ray and Prefect API), each target keeping results in a store of
its own in that folder, and the same list is played once on the reference
target. Only the public surface is used: `fuseflow.cli.main`, the registry
(`fuseflow.targets`) and `fuseflow.runtime.storage.open_store`, so the suite
outlives how fuseflow is built inside.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuseflow.targets import get as get_target
from fuseflow.targets import names as target_names

HERE = Path(__file__).resolve().parent
REFERENCE = "local"  # what every other target is compared with


def runnable_targets() -> tuple[str, ...]:
    """Every registered target `fusec run` can run (not `ir`), the reference first, then by name."""
    runnable = [name for name in target_names() if get_target(name).runnable]
    assert REFERENCE in runnable, f"the reference target {REFERENCE!r} is not a runnable target: {runnable}"
    return (REFERENCE, *(name for name in runnable if name != REFERENCE))


TARGETS = runnable_targets()

# fuseflow's report of a failed node, without what a backend logs around it (Prefect's task-run errors).
_FAILURE = re.compile(r"^error: node .*?^Results finished before the failure are stored; the next run reuses them\.$",
                      re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Run:
    """What one `fusec run` left: what a user sees, what the nodes did, what was stored."""

    status: int
    outputs: dict[str, Any] | None  # the --json object; None when the run failed
    failure: str  # fuseflow's report of the failed node (else all of stderr), "" when the run succeeded
    calls: list[str]  # the node functions' calls, each once: Ray may run a task again when its worker dies
    stored: list[tuple[str, str]]  # (node, cache key) of every result in the store afterwards


class Scenario:
    """A folder with wf.fuse; `LOG` in its text becomes the path of the calls' log."""

    def __init__(self, folder: Path, workflow: str, text: str):
        self.folder = folder
        self.workflow = workflow
        self.log = folder / "calls.log"
        self.fuse = folder / "wf.fuse"
        self.fuse.write_text(text.replace("LOG", json.dumps(str(self.log))), encoding="utf-8")
        self._reference: dict[tuple[tuple[str, ...], ...], list[Run]] = {}

    def store(self, name: str) -> Path:
        return self.folder / f"store-{name}"

    def play(self, target: str, *runs: tuple[str, ...], store: str | None = None) -> list[Run]:
        """The runs, in order, on `target` with the store named `store` (default: the target's)."""
        self.forget_calls()
        return [self.run(target, self.store(store or target), args) for args in runs]

    def reference(self, *runs: tuple[str, ...]) -> list[Run]:
        """The same runs on the reference target, in a store of their own (played once)."""
        if runs not in self._reference:
            self._reference[runs] = self.play(REFERENCE, *runs, store=f"reference-{len(self._reference)}")
        return self._reference[runs]

    def run(self, target: str, store: Path, args: tuple[str, ...]) -> Run:
        status, out, err = fusec("run", str(self.fuse), "--target", target, "--json", "--storage", str(store), *args)
        assert status in (0, 1), f"fusec run --target {target} {' '.join(args)}: exit {status}\n{err}"
        return Run(status, json.loads(out) if status == 0 else None, failure_report(err) if status else "",
                   self.take_calls(), self.stored(store))

    def stored(self, store: Path) -> list[tuple[str, str]]:
        from fuseflow.runtime.storage import open_store

        return sorted((result.node, result.key) for result in open_store(str(store)).list(self.workflow))

    def take_calls(self) -> list[str]:
        calls = sorted(set(self.log.read_text(encoding="utf-8").splitlines())) if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return calls

    def forget_calls(self) -> None:
        """A fresh start for a play: no logged calls, no attempts counted (conformance_steps.flaky)."""
        for path in self.folder.glob("calls.log*"):
            path.unlink()


def failure_report(stderr: str) -> str:
    """fuseflow's report of a failed node, without what a backend logged around it; else all of stderr."""
    found = _FAILURE.search(stderr)
    return found.group(0) if found else stderr


def fusec(*args: str) -> tuple[int, str, str]:
    """`fusec ARGS` in this process: (exit status, stdout, stderr)."""
    from fuseflow.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()

