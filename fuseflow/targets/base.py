"""What a target is: one class in its own package, found by name (see fuseflow.targets).

    class LocalTarget(Target):
        name = "local"
        def generate(self, wf, base_dir=None): ...     # pure: IR -> the artifact's text
        def run(self, wf, fuse_path, settings, args): ...  # `fusec run --target local`

A target overrides what it has: `generate` (every target), `run` (the targets
`fusec run` can run), `add_run_arguments` (its own `fusec run` flags),
`add_commands` (whole commands of its own, e.g. Ray's `jobs`; `fusec submit` is one
command each target adds its flags to: fuseflow.targets.submit) and
`applied` (what it makes of a node's options, for `fusec nodes --target`).
A target package imports nothing heavy at import time (no backend, no
Jinja2): the registry loads its class just to ask these questions.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ir import Node, Workflow
from ..ir.record import field, record

if TYPE_CHECKING:  # for annotations only: a plain `fusec run FILE` starts without argparse
    import argparse


class Target:
    name: str = ""
    summary: str = ""          # one line for `fusec compile --help`
    runnable: bool = False     # `fusec run --target NAME` works
    # run-time loops (Workflow.fanouts: `for x in <node or param>`): which a target's artifact
    # writes, and which its `fusec run` runs
    writes_run_time_loops: bool = False
    runs_run_time_loops: bool = False
    # `finally { ... }` (nodes marked final): the same
    writes_finally: bool = False
    runs_finally: bool = False
    # `if` / `elif` / `else` (Workflow.decisions): the same
    writes_conditions: bool = False
    runs_conditions: bool = False
    # an `if` inside a run-time loop's body (FanOut.decisions, made per item): the same
    writes_item_conditions: bool = False
    runs_item_conditions: bool = False
    # a run-time loop inside an `if` branch (FanOut.when): the same
    writes_loops_in_branches: bool = False
    runs_loops_in_branches: bool = False
    # a name assigned in every branch through an `if` of a branch (a OneOf among a OneOf's members)
    writes_nested_choices: bool = True
    # an `if` inside a static loop inside a run-time loop (made per item and iteration): the same
    writes_conditions_in_inner_loops: bool = False
    runs_conditions_in_inner_loops: bool = False

    def supports(self, wf: Workflow, running: bool = False) -> None:
        """CompileError at the first construct of `wf` this target cannot write (or, `running`,
        run) yet, naming the target."""
        does = "run" if running else "write"
        if wf.fanouts and not (self.runs_run_time_loops if running else self.writes_run_time_loops):
            fanout = wf.fanouts[0]
            raise _not_yet(wf, f"--target {self.name} does not {does} run-time loops yet "
                           f"(`for {', '.join(fanout.vars)} in` a node or a param)", fanout.span)
        if wf.decisions and not (self.runs_conditions if running else self.writes_conditions):
            raise _not_yet(wf, f"--target {self.name} does not {does} `if` yet", wf.decisions[0].span)
        inside = next((fanout.decisions[0] for fanout in wf.fanouts if fanout.decisions), None)
        if inside is not None and not (self.runs_item_conditions if running else self.writes_item_conditions):
            raise _not_yet(wf, f"--target {self.name} does not {does} an `if` inside a run-time loop yet", inside.span)
        inner = next((decision for fanout in wf.fanouts for decision in fanout.decisions
                      if len(decision.keys) > len(fanout.keys) + 1), None)
        if inner is not None and not (self.runs_conditions_in_inner_loops if running
                                      else self.writes_conditions_in_inner_loops):
            raise _not_yet(wf, f"--target {self.name} does not {does} an `if` inside a static loop inside a "
                           "run-time loop yet", inner.span)
        nested = None if self.writes_nested_choices else _nested_choice(wf)
        if nested is not None:
            raise _not_yet(wf, f"--target {self.name} does not {does} a name assigned through the `if` of a branch "
                           "yet (an `if` inside a branch whose every branch assigns it)", nested)
        guarded = next((fanout for fanout in wf.fanouts if fanout.when), None)
        if guarded is not None and not (self.runs_loops_in_branches if running else self.writes_loops_in_branches):
            raise _not_yet(wf, f"--target {self.name} does not {does} a run-time loop inside an `if` yet",
                           guarded.span)
        final = next((node for node in wf.nodes if node.final), None)
        if final is not None and not (self.runs_finally if running else self.writes_finally):
            raise _not_yet(wf, f"--target {self.name} does not {does} `finally` yet", final.span)

    def generate(self, wf: Workflow, base_dir: str | Path | None = None) -> str:
        """The artifact for the workflow. `base_dir`: the .fuse file's folder, when a
        target reads files beside it (KFP's embedded modules); default from the IR."""
        raise NotImplementedError

    def run(self, wf: Workflow, fuse_path: str, settings: Any, args: Any) -> dict[str, Any]:
        """Run the workflow; {output name: value}. NodeFailed for a node's failure,
        ParamError for a bad run-time input. `args`: `fusec run`'s flags as attributes (an
        argparse Namespace, or a namespace like it: fusec reads a plain line without argparse)."""
        raise NotImplementedError(f"the {self.name} target does not run workflows")

    def add_run_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The target's own `fusec run` flags (none by default)."""

    def add_commands(self, subparsers: Any) -> None:
        """Commands of the target's own (none by default)."""

    def applied(self, node: Node, wf: Workflow) -> Applied:
        """What the target applies of a node's options (`fusec nodes --target`): by
        default only what fuseflow's runtime does, per the neutral mapping tables."""
        return Applied(self.name, {}, *neutral_rest(self.name, node))


@record
class Applied:
    """A node's options as one target applies them: its own (in its names), what
    fuseflow's runtime does on the worker, and what it ignores (with why)."""

    target: str
    own: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    ignored: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # ignored key -> why

    def as_dict(self) -> dict[str, dict]:
        """{target: own, "runtime": ..., "ignored": ...}, without the empty ones."""
        parts = ((self.target, self.own), ("runtime", self.runtime), ("ignored", self.ignored))
        return {name: dict(sorted(part.items())) for name, part in parts if part}


def _nested_choice(wf: Workflow) -> tuple[int, int, int, int] | None:
    """Where a name chosen by an `if` is chosen, in one of its branches, by another (the `if`), in the
    workflow or in a run-time loop's body (its statements, and its names read after it)."""
    from ..ir import Loop, OneOf, loop_statements, walk  # deferred: only targets that do not write such names ask

    decisions = (*wf.decisions, *(decision for fanout in wf.fanouts for decision in fanout.decisions))
    spans = {decision.name: decision.span for decision in decisions}
    values = [value for node in wf.nodes for value in node.values()] + [output.value for output in wf.outputs]
    for fanout in wf.fanouts:
        body = loop_statements((Loop(fanout.vars, [], fanout.body),))
        values += [value for _, statement in body for value in statement.values()]
        values += [value for _, value in fanout.merged]
    for value in values:
        for found in walk(value):
            if type(found) is OneOf and any(type(member) is OneOf for member in found.members):
                return spans.get(found.decision, (0, 0, 0, 0))
    return None


def _not_yet(wf: Workflow, message: str, span: tuple[int, int, int, int]) -> Exception:
    # deferred: generated modules import the targets' runtime without the compiler
    from ..compiler.errors import target_error

    return target_error(wf.source, message, span, "fusec run FILE runs it on this machine (--target local)")


def neutral_rest(target: str, node: Node) -> tuple[dict, dict, dict[str, str]]:
    """(runtime, ignored, reasons): the neutral options the target does not map, by
    schemas.mapping (a test holds the runtimes to it)."""
    from ..schemas import NEUTRAL_IGNORED, NEUTRAL_RUNTIME  # deferred: `fusec nodes` only, not run's start-up

    neutral = node.options.get("neutral", {})
    runtime = {k: v for k, v in neutral.items() if k in NEUTRAL_RUNTIME.get(target, ())}
    ignored = {k: v for k, v in neutral.items() if k in NEUTRAL_IGNORED.get(target, ())}
    return runtime, ignored, {k: NEUTRAL_IGNORED[target][k] for k in ignored}
