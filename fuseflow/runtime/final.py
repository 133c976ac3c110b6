"""`finally { ... }`: calls that run after the rest of the workflow, on success and on failure.

    outputs = with_finally(wf, params, settings, run)     # run: a target's run of a workflow

The rest runs first (`run`, the target's own); then the `finally` nodes run,
never stored, each reading `run_status` (ir.RunStatus) as how the rest went:

    {"state": "succeeded"}
    {"state": "failed", "failed": [{"node": "train", "error": "ValueError: no data"}]}
    {"state": "interrupted"}

The run's own outcome is never hidden: a failure of the rest is raised after
`finally` ran (a failure in `finally` then is a warning), and a failure in
`finally` after a success fails the run.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .. import ir
from ..ir.indexing import IndexProblem, indexed
from ..ir.record import replace
from .graph import Node, Workflow
from .invoke import NodeFailed, RunFailed
from .prepare import RunSettings

Run = Callable[[Workflow, dict[str, Any], RunSettings], dict[str, Any]]


class FinallyFailed(UserWarning):
    """A node of `finally` failed after the rest of the run had failed (whose error is the run's)."""


def with_finally(wf: Workflow, params: dict[str, Any], settings: RunSettings, run: Run) -> dict[str, Any]:
    """The outputs of `wf`, its `finally` nodes run after the rest whatever the rest did."""
    rest = wf.replaced(nodes=wf.nodes, outputs=dict(wf.outputs or {}), fanouts=wf.fanouts, finals=[])
    outcome: BaseException | None = None
    try:
        outputs = run(rest, params, settings)
    except (NodeFailed, RunFailed, KeyboardInterrupt) as exc:
        outcome = exc
    try:
        run_finals(wf, status_of(outcome), params, settings, run)
    except (NodeFailed, RunFailed) as exc:
        finally_failed(exc, outcome)
    if outcome is not None:
        raise outcome
    return outputs


def run_finals(wf: Workflow, status: dict[str, Any], params: dict[str, Any], settings: RunSettings,
               run: Run) -> dict[str, Any]:
    """Run `wf`'s `finally` nodes alone, `status` being run_status: always run, never stored. (A
    target whose rest ran elsewhere calls it with the status it was given: KFP's exit step.)"""
    finals = [node.with_arguments([_status(v, status) for v in node.args],
                                  {k: _status(v, status) for k, v in node.kwargs.items()}) for node in wf.finals]
    return run(final_part(wf, finals), params, replace(settings, no_cache=True))


def status_of(outcome: BaseException | None) -> dict[str, Any]:
    """run_status for how the rest ended: None (it succeeded), a node's failure, another
    failure of the run, or an interrupt."""
    if outcome is None:
        return {"state": "succeeded", "failed": []}
    if isinstance(outcome, NodeFailed):
        return {"state": "failed", "failed": [{"node": outcome.node, "error": _said(outcome.error)}]}
    if isinstance(outcome, RunFailed):
        return {"state": "failed", "failed": [], "error": str(outcome)}
    return {"state": "interrupted", "failed": []}


def final_part(wf: Workflow, finals: list[Node]) -> Workflow:
    """The workflow of the `finally` nodes alone (their outputs their results): what runs last."""
    return wf.replaced(nodes=finals, outputs={node.name: ir.Ref(node.name) for node in finals}, fanouts=[],
                       finals=[], decisions=[])


def finally_failed(error: Exception, outcome: BaseException | None) -> None:
    """A failure in `finally`: the run's error after a success (raised), a warning after a failure
    (whose own error stays the run's)."""
    if outcome is None:
        raise error
    warnings.warn(f"finally: {error}", FinallyFailed, stacklevel=3)


def indexed_status(status: dict[str, Any], path: tuple[Any, ...]) -> Any:
    """`run_status[...]`: the status indexed as the file says; RunFailed when it cannot be."""
    value: ir.Value = _status(ir.RunStatus(path), status)
    return value.value  # type: ignore[attr-defined]


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _status(value: ir.Value, status: dict[str, Any]) -> ir.Value:
    replaced: ir.Value = _RunStatus(status).visit(value)
    return replaced


class _RunStatus(ir.Transformer):
    def __init__(self, status: dict[str, Any]):
        self.status = status

    def visit_RunStatus(self, value: ir.RunStatus) -> ir.Value:
        try:
            found: ir.Value = indexed(ir.Literal(self.status), value.path)
        except IndexProblem as exc:
            raise RunFailed(f"run_status{''.join(f'[{k!r}]' for k in value.path)}: {exc}") from None
        return found

