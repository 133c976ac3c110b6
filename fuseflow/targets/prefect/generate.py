"""`--target prefect`: a Prefect 3 flow file, ready to run, serve and deploy.

The file holds the workflow's graph (as the local target writes it, so cache
keys and storage are shared: codegen.graph), one `@task` per distinct callable,
and a module-level `@flow` named after the workflow whose parameters are the
workflow's params. The flow body submits each node's task
`.with_options(task_run_name=<node name>, <its options>)` with the futures of
the nodes it reads, in the loops of the file (codegen.loops): a statement in a
loop is one line there, its futures kept in a variable for the current
iteration, or in a dict by loop key when the statement is read as a family or
from outside its loop (`err[ds][name] = run.submit(...)`). An object's variable
is rebound to each of its method calls' results, which the next call takes.
Runtime support: fuseflow/targets/prefect/backend.py.

This module does not import prefect: the generated file does.
"""
from __future__ import annotations

import keyword
import textwrap
from collections.abc import Iterator
from typing import Any

from ... import __version__, ir
from ...codegen import escape, pretty, pyexpr
from ...codegen.fanout import RunTimeLoop, identifier, iterable_text
from ...codegen.graph import Graph, Tables
from ...codegen.imports import Import, block, workflow_imports
from ...codegen.loops import Block, Program, Scope, every_member, used_variables
from ...codegen.pretty import DEF, Group, Piece, Seq, Text
from ...codegen.render import render
from ...compiler.errors import target_error
from ...ir import Node, Workflow
from ...ir.fanout import placed_after
from ...schemas import known_options
from .branches import Branches
from .options import CACHE_POLICIES, Unmappable, conversion
from .options import task_options as mapped_task_options

PACKAGE = __package__  # where this target's templates are

FLOW_RESERVED = ("return_state", "wait_for")  # Prefect's own keywords of a flow call
SUBMIT_RESERVED = ("wait_for",)  # the flow run's submit takes it (`after`), as Prefect's task.submit does
PARAM_TYPES = {"int": "int", "float": "float", "str": "str", "bool": "bool", "list": "list", "dict": "dict"}
TASK_PARAMETERS = ("node", "args", "kwargs")  # of every task function, in order
BUILTIN_RUNNERS = {"threads": "ThreadPoolTaskRunner", "processes": "ProcessPoolTaskRunner"}


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "flow.py.j2", **context(wf))


def context(wf: Workflow) -> dict:
    check_params(wf)
    check_keywords(wf)
    names = Names(wf)
    callables = pyexpr.Callables(wf)
    tasks = Tasks(wf, names, callables)
    flow_fn = names.module(python_identifier(wf.name))
    decorator = flow_decorator(wf, names, callables)
    # the flow body's variables of the nodes run-time loops iterate, before the graph's loop functions
    # name their parameters after them: `numbers` in the flow, `def up_loop(numbers_):`
    iterated = {ref.node: names.local(python_identifier(ref.node)) for ref in
                (fanout.iterable for fanout in wf.fanouts) if type(ref) is ir.Ref}  # type: ignore[attr-defined]
    graph = Graph(wf, names, names.used["rt"], names.used["WORKFLOW"], callables, graph_keywords,
                  uniform=lambda node: tasks.for_node(node, tasks.index), query_targets=("neutral", "prefect"))
    body = FlowBody(wf, names, callables, tasks, graph.program, graph.run_time, iterated)
    flow = body.text(flow_fn, decorator, signature(wf))  # before the imports: options may need some
    graph_text = graph.text(comment="The workflow as fuseflow's storage sees it: what each node computes, "
                                    "for cache keys and planning.")  # and loop items: imported names
    return {
        "version": __version__,
        "source": escape.comment(wf.source),
        "name": escape.docstring(wf.name),
        "n": names.used,
        "imports": block([*names.import_list(), *workflow_imports(wf, callables.used)]),
        "graph": graph_text,
        "tasks": "\n\n\n".join(tasks.definitions),
        "flow_fn": flow_fn,
        "flow": flow,
    }


def graph_keywords(node: Node) -> list[tuple[str, Piece]]:
    """The graph's node lines carry the neutral options, as the local target's do."""
    return pyexpr.option_keywords({"options": node.options.get("neutral")})


# --- names ------------------------------------------------------------------------------


python_identifier = identifier  # an ASCII identifier for a node or workflow name: other characters become '_'


class Names(pyexpr.Names):
    """Every name the generated module defines, none of them the user's imports or params.

    Module-level names are allocated first, then the flow body's locals, which
    must not shadow a module-level name the body reads."""

    def __init__(self, wf: Workflow):
        super().__init__([item.alias for item in wf.imports] + [p.name for p in wf.params])
        self.imports: list[Import] = []
        self.unused: set[str] = set()  # imports the module makes only if it defines a task
        for module, name in (("sys", None), ("typing", "Any"), ("prefect", "flow"), ("prefect", "task"),
                             ("prefect.cache_policies", "NO_CACHE")):
            self.imported(module, name)
        self.unused.update({"Any", "task", "NO_CACHE"})
        self.used["rt"] = self.module("rt")
        self.used["WORKFLOW"] = self.module("WORKFLOW")
        for parameter in TASK_PARAMETERS:  # a task body reads them beside the user's callable: never its name
            self.used[parameter] = self.module(parameter)

    def imported(self, module: str, name: str | None) -> str:
        """`from module import name [as alias]` (or `import module`), once; the alias."""
        key = name or module
        if key not in self.used:
            alias = self.module(key)
            self.used[key] = alias
            self.imports.append(Import(module, name, alias))
        return self.used[key]

    def import_list(self) -> list[Import]:
        imports = [item for item in self.imports if (item.name or item.module) not in self.unused]
        return [*imports, Import("fuseflow.targets.prefect", "backend", self.used["rt"])]


# --- params and the flow decorator -----------------------------------------------------------


def check_params(wf: Workflow) -> None:
    for p in wf.params:
        if keyword.iskeyword(p.name) or p.name in FLOW_RESERVED:
            what = "a Python keyword" if keyword.iskeyword(p.name) else "reserved by Prefect's flow call"
            fail(wf, f"the prefect target cannot name a flow parameter '{p.name}': it is {what}",
                 hint="rename the param")


def check_keywords(wf: Workflow) -> None:
    """A keyword argument the flow body's `run.submit(...)` would take for its own."""
    for node in wf.nodes:
        for key, _ in node.kwargs:
            if key in SUBMIT_RESERVED:
                fail(wf, f"node '{node.name}': the prefect target cannot pass a keyword argument '{key}': "
                     "the flow run's submit takes it, as Prefect's task.submit does", node.span,
                     hint="rename the function's parameter, or pass it by position")


def signature(wf: Workflow) -> Piece:
    """(params): required ones first, then those with defaults, each in source order, typed;
    a list or dict default is Prefect's to show, never mutated (`# noqa: B006`)."""
    ordered = [p for p in wf.params if p.required] + [p for p in wf.params if not p.required]
    parts: list[Piece] = []
    for p in ordered:
        annotation = PARAM_TYPES[p.type] + (" | None" if not p.required and p.default is None else "")
        default = [] if p.required else [" = ", pyexpr.literal_piece(p.default)]
        parts.append(Seq([f"{p.name}: {annotation}", *default]))
    comments = ["# noqa: B006" if not p.required and isinstance(p.default, (list, dict)) else "" for p in ordered]
    return Group("(", parts, ")", DEF, comments=comments) if parts else Text("()")


def flow_decorator(wf: Workflow, names: Names, callables: pyexpr.Callables) -> Piece:
    options = dict(wf.workflow_options.get("prefect", {}))
    runner = task_runner_expression(wf, options.pop("task_runner", "threads"), options.pop("max_workers", None), names)
    parts = [pretty.entry("name=", Text(pyexpr.literal(wf.name))), pretty.entry("task_runner=", runner)]
    specs = known_options("prefect", "workflow")
    for key in sorted(options):
        parts.append(pretty.entry(key + "=", option_value(wf, specs[key].kind, key, options[key], names, callables)))
    return Seq(["@", pretty.call(names.used["flow"], parts)])


def task_runner_expression(wf: Workflow, runner: str, max_workers: int | None, names: Names) -> Piece:
    arguments = [] if max_workers is None else [Text(f"max_workers={pyexpr.literal(max_workers)}")]
    if runner in BUILTIN_RUNNERS:
        return pretty.call(names.imported("prefect.task_runners", BUILTIN_RUNNERS[runner]), arguments)
    if max_workers is not None and runner in ("ray", "dask"):
        fail(wf, f"max_workers is an option of the threads and processes task runners, not of {runner!r}",
             hint="size a Ray or Dask task runner through its own cluster settings")
    return pretty.call(f"{names.used['rt']}.task_runner", [Text(pyexpr.literal(runner)), *arguments])


def option_value(wf: Workflow, kind: str, key: str, value: Any, names: Names, callables: pyexpr.Callables) -> Piece:
    """A checked option value as Python source: callables by name, policies and durations as objects."""
    how = conversion(kind, key)
    if how == "callable":
        return Text(callable_expression(wf, callables, value))
    if how == "callables":
        return pretty.display("[", [Text(callable_expression(wf, callables, v)) for v in value], "]")
    if how == "cache_policy":
        return Text(names.imported("prefect.cache_policies", CACHE_POLICIES[value]))
    if how == "seconds":
        return pretty.call(names.imported("datetime", "timedelta"), [Text(f"seconds={pyexpr.literal(value)}")])
    return pyexpr.literal_piece(value)


def callable_expression(wf: Workflow, callables: pyexpr.Callables, target: str) -> str:
    try:
        return callables.expression(str(target))
    except KeyError:
        fail(wf, f"the prefect target needs the callable {str(target)!r} imported by the file",
             hint=f"add `from {str(target).partition(':')[0]} import ...`")
        raise AssertionError("unreachable") from None


# --- tasks ------------------------------------------------------------------------------------


class Tasks:
    """One `@task` per distinct callable (and Prefect `version`, which only `@task` takes)."""

    def __init__(self, wf: Workflow, names: Names, callables: pyexpr.Callables):
        self.wf = wf
        self.names = names
        self.callables = callables
        self.by_key: dict[tuple, str] = {}
        self.definitions: list[str] = []
        self.index = wf.node_index()
        for node in wf.nodes:
            self.for_node(node, self.index)
        for fanout in wf.fanouts:
            for statement in loop_statements(fanout):
                self.for_statement(statement, fanout)

    def for_statement(self, statement: ir.Statement, fanout: ir.FanOut) -> str:
        """The task of a run-time loop's statement: its nodes get their options, `version`
        included, as the loop expands (backend.FlowRun.tuned)."""
        key: tuple = ("call", statement.target, None, None)
        if statement.kind == "method":
            obj = statement.object
            if isinstance(obj, ir.LoopRef):
                owner = next(s.target for s in loop_statements(fanout) if s.name == obj.statement)
            else:
                owner = self.index[obj.node].target  # type: ignore[union-attr]
            key = ("method", owner, statement.target, None)
        if key not in self.by_key:
            self.by_key[key] = self.define(key)
        return self.by_key[key]

    def key(self, node: Node, index: dict[str, Node]) -> tuple:
        version = node.options.get("prefect", {}).get("version")
        if node.kind == "method":
            return ("method", index[node.object].target, node.target, version)
        return ("call", node.target, None, version)

    def for_node(self, node: Node, index: dict[str, Node]) -> str:
        key = self.key(node, index)
        if key not in self.by_key:
            self.by_key[key] = self.define(key)
        return self.by_key[key]

    def define(self, key: tuple) -> str:
        group, target, method_name, version = key
        self.names.unused.clear()  # a task: its imports are used
        label = self.callables.dotted(str(target)) + (f".{method_name}" if method_name else "")
        fn = self.names.module(python_identifier(label.replace(".", "_")) + "_task")
        decorator = [pretty.entry("name=", Text(pyexpr.literal(label))), Text("persist_result=False"),
                     Text(f"cache_policy={self.names.used['NO_CACHE']}")]
        if version is not None:
            decorator.append(pretty.entry("version=", Text(pyexpr.literal(version))))
        node, args, kwargs = (self.names.used[p] for p in TASK_PARAMETERS)
        if group == "method":
            body = pretty.call(f"{node}.call_method", [Text(pyexpr.literal(method_name)), Text(args), Text(kwargs)])
        else:
            body = pretty.call(f"{node}.call", [Text(callable_expression(self.wf, self.callables, target)),
                                                Text(args), Text(kwargs)])
        text = pretty.Block(0)
        text.add(Seq(["@", pretty.call(self.names.used["task"], decorator)]))
        parameters = [Text(f"{node}: {self.names.used['rt']}.NodeRun"), Text(f"{args}: list"), Text(f"{kwargs}: dict")]
        text.nested(Seq([f"def {fn}", Group("(", parameters, ")", DEF), f" -> {self.names.used['Any']}:"])).add(
            Seq(["return ", body]))
        self.definitions.append(text.text())
        return fn


# --- the flow body ----------------------------------------------------------------------------


class FlowBody:
    """The flow function: `run = rt.start(...)`, a submit per node statement in the loops of the
    file, `return run.outputs(...)`.

        err = {}
        for ds in datasets:
            data = run.submit(make_dataset_task.with_options(task_run_name=f"data.{ds}"), ds)
            err[ds] = run.submit(score_task.with_options(task_run_name=f"err.{ds}"), data)
        best = run.submit(pick_best_task.with_options(task_run_name="best"), err)

    A run-time loop is a Python loop over its items, which the flow run gives once it knows
    them (it waits for what the loop iterates and expands the loop: run.expand), right after
    what it reads; its results outside it come from the run (run.gathered):

        for f_key, f in rt.items(run.expand("table", files)):
            table = run.submit(load_task.with_options(task_run_name=f"table.{f_key}"), f)
        merged = run.submit(merge_task.with_options(task_run_name="merged"), run.gathered("table"))
    """

    def __init__(self, wf: Workflow, names: Names, callables: pyexpr.Callables, tasks: Tasks, program: Program,
                 run_time: list[RunTimeLoop], variables: dict[str, str]):
        self.wf = wf
        self.names = names
        self.callables = callables
        self.tasks = tasks
        self.program = program
        self.run_time = run_time
        self.task_specs = known_options("prefect", "node")
        self.options = Tables(program, names, self.task_keywords, "task_options")
        self.run = names.local("run")
        self.families = read_as_families(program, run_time)
        self.variables = dict(variables)  # a node outside loops, or a statement -> its variable
        for item in program.items:
            for node in item.nodes if isinstance(item, Block) else [item]:
                owner = node.statement if isinstance(item, Block) else node.name
                if owner not in self.variables:
                    self.variables[owner] = names.local(python_identifier(owner))
        for loop in run_time:
            for statement in loop.fanout.statements():
                if statement not in self.variables:
                    self.variables[statement] = names.local(python_identifier(statement))
        self.bases = {id(loop.layer): len(loop.outer) + 1 for loop in run_time}  # loops a run-time one's dicts skip
        self.read = read_nodes(wf, program, run_time)
        self.methods_seen = False

    def text(self, flow_fn: str, decorator: Piece, parameters: Piece) -> str:
        block = pretty.Block(0)
        block.add(decorator)
        body = block.nested(Seq([f"def {flow_fn}", parameters, " -> dict:"]))
        body.add(f'"""Workflow {escape.docstring(self.wf.name)}; returns {{output name: value}}."""')
        params = pretty.display("{", [pretty.entry(pyexpr.literal(p.name), Text(p.name)) for p in self.wf.params], "}")
        body.add(Seq([f"{self.run} = ", pretty.call(f"{self.names.used['rt']}.start",
                                                     [Text(self.names.used["WORKFLOW"]), params])]))
        finals = [node for node in self.wf.nodes if node.final]
        outer = body
        if finals:  # `finally`: the rest in a try, its nodes after it, whatever it did (FlowRun.closing)
            body = outer.nested("try:")
        scope = Scope(self.program)
        placed = run_time_places(self.program, self.run_time)
        branches = Branches(self, body)
        for loop in placed.get(-1, []):
            self.run_time_loop(branches.at(loop.fanout.when), loop)
        for i, item in enumerate(self.program.items):
            if isinstance(item, Block):  # (a loop in an `if` branch is written node by node: never guarded)
                self.loop(branches.at(()), item.loop, scope)
            elif not item.final:
                self.node(branches.at(item.when), item)
            for loop in placed.get(i, []):  # (one in `if` branches: inside them)
                self.run_time_loop(branches.at(loop.fanout.when), loop)
        outputs = [every_member(self.program, item[0], self.names.used["rt"], lambda inner: Text(self.slot(
            item[0], inner))) if isinstance(item, tuple) else self.output(item)  # noqa: B023 (called at once)
            for item in self.program.outputs()]
        body.add(Seq(["return ", pretty.call(f"{self.run}.outputs", [pretty.display("{", outputs, "}")])]))
        if finals:
            error = self.names.local("error")
            failed = outer.nested(f"except BaseException as {error}:")
            failed.add(f"{self.run}.failed({error})  # the flow run's outcome, whatever `finally` does")
            failed.add("raise")
            closing = outer.nested("finally:")
            closing.add(f"{self.run}.closing()  # `finally`: after the rest, never stored; run_status is how it went")
            for node in finals:
                self.node(closing, node)
            closing.add(f"{self.run}.closed()  # a failure fails a flow run whose rest succeeded")
        tables = self.options.text()
        return (tables + "\n\n\n" if tables else "") + block.text()

    # --- statements

    def node(self, block: pretty.Block, node: Node) -> None:
        """A node outside loops (or in a loop written node by node)."""
        values = FlowValue(self, Scope(self.program))
        task = self.tasks.for_node(node, self.tasks.index)
        self.submit(block, task, node, Text(pyexpr.literal(run_name(node.name))), self.task_keywords(node),
                    self.node_targets(node), values, self.variables.get(node.object or "", ""),
                    self.program.after_values(node))

    def loop(self, block: pretty.Block, loop: ir.Loop, scope: Scope, branches: Branches | None = None) -> None:
        """A static loop; `branches`: a run-time loop's `if`s, the loop in their branches it is in,
        and those of the `if`s inside it opened in its body."""
        for statement in self.families:
            chain = chain_of(statement, scope)
            if len(chain) > len(scope.open) and chain[len(scope.open)] is loop:
                block.add(Seq([self.slot(statement, scope), " = {}"]))
        body = block.nested(scope.header(loop).statement(self.names.used["rt"], used_variables(loop)))
        inside = scope.inside(loop)
        self.body(body, loop.body, inside, branches.within(body, inside, loop) if branches is not None else None)

    def body(self, block: pretty.Block, items: tuple[ir.Statement | ir.Loop, ...], scope: Scope,
             branches: Branches | None = None) -> None:
        """A loop body's statements; `branches`: a run-time loop's `if`s, opened as their nodes come."""
        for item in items:
            at = branches.at(branches.around(item)) if branches is not None else block
            if isinstance(item, ir.Loop):
                self.loop(at, item, scope, branches)
            else:
                self.statement(at, item, scope)

    def run_time_loop(self, block: pretty.Block, loop: RunTimeLoop) -> None:
        """`for f_key, f in rt.items(run.expand("table", files)):` and its body: a task run per node of
        each item, named as the loop names them (its options come with the names, as it expands)."""
        fanout = loop.fanout
        within = f" (in the iteration {'.'.join(fanout.keys)})" if fanout.keys else ""
        text = escape.comment(f"Run-time loop `for {', '.join(fanout.vars)} in {iterable_text(fanout.iterable)}`"
                              f"{within}: expanded once its items are known, a task run per node of each item")
        width = pretty.WIDTH - block.indent - 2
        for line in textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False):
            block.comment(line)
        source = FlowValue(self, Scope(self.program)).visit(whole(fanout.iterable))
        keys = [pretty.entry("keys=", pretty.display("[", [Text(pyexpr.literal(k)) for k in fanout.keys], "]"))]
        expand = pretty.call(f"{self.run}.expand", [Text(pyexpr.literal(fanout.statements()[0])), source,
                                                    *(keys if fanout.keys else [])])
        item = block.nested(loop.header(self.names.used["rt"], expand))
        scope = loop.scope(self.program)
        # an `if` of its body: decided per item, the branch's task runs in a Python `if` (Branches)
        branches = Branches(self, item, fanout, scope) if fanout.decisions else None
        self.body(item, fanout.body, scope, branches)

    def statement(self, block: pretty.Block, statement: ir.Statement, scope: Scope) -> None:
        members = self.program.members.get(statement.name, [])
        name = scope.node_name(statement.name)
        targets = []
        if statement.name in self.families:
            targets.append(self.slot(statement.name, scope))
        elif statement.name in self.read or any(node.name in self.read for node in members):
            targets.append(self.variables[statement.name])
        obj = statement.object
        carrier = self.variables[obj.statement if isinstance(obj, ir.LoopRef) else obj.node] if obj else ""  # type: ignore[union-attr]
        if members:
            task, keywords = self.tasks.for_node(members[0], self.tasks.index), \
                self.options.statement_keywords(statement.name, name)
        else:  # a run-time loop's: its nodes take their options as it expands
            fanout = next(loop.fanout for loop in self.run_time if scope.layer is loop.layer)
            task, keywords = self.tasks.for_statement(statement, fanout), []
        self.submit(block, task, statement, name, keywords, targets, FlowValue(self, scope), carrier,
                    list(statement.after))

    def submit(self, block: pretty.Block, task: str, written: Node | ir.Statement, name: Piece,
               keywords: list[tuple[str, Piece]], targets: list[str], values: FlowValue, carrier: str,
               after: list[ir.Value]) -> None:
        """`targets = run.submit(task.with_options(task_run_name=name, ...), args..., kwargs...)` of the
        node (`written`: its statement, when it stands for every member); a method call takes its
        object's variable first and rebinds it. `after`: the nodes of the file's `after`, whose
        futures it waits for (`wait_for=[...]`; a family's dict stands for every member)."""
        options = [pretty.entry("task_run_name=", name),
                   *(Seq(["**", value]) if key == "**" else pretty.entry(key + "=", value) for key, value in keywords)]
        args = [values.visit(a) for a in written.args]
        if written.kind == "method":
            if not self.methods_seen:
                block.comment("A method call takes its object as the call before left it: each call rebinds")
                block.comment("the object's variable to its result.")
                self.methods_seen = True
            args.insert(0, Text(carrier))
            targets = [carrier, *targets]
        args += pyexpr.keyword_arguments([(k, values.visit(v)) for k, v in written.kwargs])
        if after:
            args.append(pretty.entry("wait_for=", pretty.display("[", [values.visit(v) for v in after], "]")))
        call = pretty.call(f"{self.run}.submit", [pretty.call(f"{task}.with_options", options), *args])
        block.add(Seq([*(target + " = " for target in targets), call]))

    def node_targets(self, node: Node) -> list[str]:
        return [self.variables[node.name]] if node.name in self.read else []

    def slot(self, statement: str, scope: Scope) -> str:
        """The statement's dict, indexed by the keys of the loops open around it: `err[ds][name]`
        (a run-time loop's statement: by those of the static loops inside the loop only)."""
        depth = min(len(scope.open), len(chain_of(statement, scope)))
        return self.variables[statement] + "".join(f"[{scope.header(loop).key()}]"
                                                   for loop in scope.open[self.base(statement, scope):depth])

    def base(self, statement: str, scope: Scope) -> int:
        """How many of the loops around a statement its dict is not keyed by: those up to the run-time
        loop it is in (one dict per item), none for a statement of the static loops."""
        layer = scope.layer
        return self.bases[id(layer)] if layer is not None and statement in layer.chains else 0

    def output(self, output: ir.Output) -> Piece:
        return pretty.entry(pyexpr.literal(output.name), FlowValue(self, Scope(self.program)).visit(output.value))

    def task_keywords(self, node: Node) -> list[tuple[str, Piece]]:
        """The node's task options as keywords of `.with_options` (`version` goes to @task)."""
        merged = task_options(self.wf, node)
        merged.pop("version", None)
        return [(key, option_value(self.wf, self.task_specs[key].kind, key, merged[key], self.names, self.callables))
                for key in merged]


def _leaf_path(value: ir.OneOf) -> ir.Path:
    """The index path a one-of's members share (the use's, on each node)."""
    member = value.members[0]
    while type(member) is ir.OneOf:
        member = member.members[0]
    return member.path  # type: ignore[attr-defined, no-any-return]


def chain_of(statement: str, scope: Scope) -> tuple[ir.Loop, ...]:
    """The loops around a statement where `scope` can see it: those of its run-time loop, of the
    program's, or none (a run-time loop's statement seen from outside it)."""
    if scope.layer is not None and statement in scope.layer.chains:
        return scope.layer.chains[statement]
    return scope.program.chains.get(statement, ())


def loop_statements(fanout: ir.FanOut) -> list[ir.Statement]:
    """The statements of a run-time loop's body, those of static loops inside it included, in order."""
    return [statement for _, statement in ir.loop_statements((ir.Loop(fanout.vars, [], fanout.body),))]


def run_time_places(program: Program, run_time: list[RunTimeLoop]) -> dict[int, list[RunTimeLoop]]:
    """Where the flow body writes each run-time loop: after the item of `program.items` (its index;
    -1: first) holding the last node it reads (what it iterates, what its statements read, what
    the tests of the `if`s around it read), and after the loops before it, so before every node
    that reads its results."""
    position = {node.name: i for i, item in enumerate(program.items)
                for node in (item.nodes if isinstance(item, Block) else [item])}
    placed: dict[int, list[RunTimeLoop]] = {}
    last = -1
    for loop in run_time:
        last = max([last, *(position[name] for name in placed_after(loop.fanout, program.wf.decisions))])
        placed.setdefault(last, []).append(loop)
    return placed


def whole(iterable: ir.Value) -> ir.Value:
    """What a run-time loop iterates, not indexed: the node (or param) whose value the flow run
    expands it over (it indexes that value as the file does: runtime.fanout)."""
    if type(iterable) is ir.Ref:
        return ir.Ref(iterable.node)
    return ir.ParamRef(iterable.name)  # type: ignore[attr-defined]


def read_as_families(program: Program, run_time: list[RunTimeLoop]) -> list[str]:
    """The statements of loops written as loops whose nodes are read otherwise than as the current
    iteration's (a family, a member by its keys): their futures are kept in dicts by loop key."""
    found: dict[str, None] = {}
    values: list[ir.Value] = [o.value for o in program.wf.outputs]
    for item in program.items:
        if isinstance(item, Block):
            values += [v for _, s in ir.loop_statements((item.loop,)) for v in (*s.values(), *s.after)]
        else:
            values += [*item.values(), *program.after_values(item)]
    for loop in run_time:
        values.append(loop.fanout.iterable)
        values += [v for s in loop_statements(loop.fanout) for v in (*s.values(), *s.after)]
    members = {node.name: statement for statement, nodes in program.members.items() for node in nodes}
    for value in values:
        for inner in ir.walk(value):
            if type(inner) is ir.LoopFamily:
                found[inner.statement] = None
            elif type(inner) is ir.Family and inner.name not in found and program.family_keys(inner) is not None:
                found[inner.name] = None
            elif type(inner) is ir.Ref and inner.node in members:
                found[members[inner.node]] = None
    in_loops = [*program.chains, *(s for loop in run_time for s in loop.fanout.statements())]
    return [statement for statement in dict.fromkeys(in_loops) if statement in found]  # in source order


def read_nodes(wf: Workflow, program: Program, run_time: list[RunTimeLoop]) -> set[str]:
    """The nodes something reads (an argument, an output, a method call its object) or waits for
    (`after`), and the statements of run-time loops their iteration reads: the others need no variable."""
    read = {name for node in wf.nodes for value in node.values() for name in by_variable(value)}
    read.update(node.object for node in wf.nodes if node.object)
    read.update(name for node in wf.nodes for name in node.declared_after)
    read.update(name for output in wf.outputs for name in by_variable(output.value))
    for loop in run_time:
        read.update(ir.fanout_inputs(loop.fanout))
        for statement in loop_statements(loop.fanout):
            values = [*statement.values(), *statement.after, *([statement.object] if statement.object else [])]
            read.update(name for value in values for name in by_variable(value))
    return read


def by_variable(value: ir.Value) -> Iterator[str]:
    """The nodes (a run-time loop's statements, for its item's) a value reads through their
    variables: not those of a name every branch of an `if` assigns (run.chosen reads the branch
    taken by name: the others bound no variable)."""
    if type(value) is ir.Ref:
        yield value.node
    elif type(value) is ir.LoopRef:
        yield value.statement
    elif type(value) is not ir.OneOf:
        for inner in ir.children(value):
            yield from by_variable(inner)


class FlowValue(ir.Visitor):
    """An IR value in the flow body: futures by variable, params by name, indexing via rt.at."""

    def __init__(self, body: FlowBody, scope: Scope):
        self.body = body
        self.scope = scope
        self.rt = body.names.used["rt"]

    def visit_Literal(self, v: ir.Literal) -> Piece:
        return pyexpr.literal_piece(v.value)

    def visit_ParamRef(self, v: ir.ParamRef) -> Piece:
        return self.indexed(Text(v.name), v.path)

    def visit_Ref(self, v: ir.Ref) -> Piece:
        statement = v.node.partition(".")[0]
        if statement in self.body.families:  # a member of a loop statement, by its keys
            keys = v.node.split(".")[1:]
            return self.indexed(Text(self.body.variables[statement] + "".join(f"[{pyexpr.literal(k)}]" for k in keys)),
                                v.path)
        return self.indexed(Text(self.body.variables[v.node]), v.path)

    def visit_LoopRef(self, v: ir.LoopRef) -> Piece:
        if v.statement in self.body.families:
            return self.indexed(Text(self.body.slot(v.statement, self.scope)), v.path)
        return self.indexed(Text(self.body.variables[v.statement]), v.path)

    def visit_LoopFamily(self, v: ir.LoopFamily) -> Piece:
        base = self.body.base(v.statement, self.scope)
        keys = "".join(f"[{self.scope.header(loop).key()}]" for loop in self.scope.open[base:v.fixed])
        return Text(self.body.variables[v.statement] + keys)

    def visit_LoopVar(self, v: ir.LoopVar) -> Piece:
        return self.scope.loop_var(v)

    def visit_RunStatus(self, v: ir.RunStatus) -> Piece:
        """Inside `finally`: how the rest of the flow run went, `run.status("state")`."""
        return pretty.call(f"{self.body.run}.status", [Text(pyexpr.literal(p)) for p in v.path])

    def visit_OneOf(self, v: ir.OneOf) -> Piece:
        """After an `if`, a name every branch assigns: the future of the branch taken, from the flow run
        (`run.chosen("if-1", "x.if", "x.else")`: names, as the branches not taken bound no variable; a
        branch's nested `if` that assigns it in every branch is a tuple, `("if-2", "x.if.if", ...)`; in a
        run-time loop's body the item's: `run.chosen(f"if-1.{x_key}", f"x.if.{x_key}", ...)`)."""
        return self.indexed(pretty.call(f"{self.body.run}.chosen", self.chosen(v)), _leaf_path(v))

    def chosen(self, v: ir.OneOf) -> list[Piece]:
        """The `if`'s name and its members: node names, or for a nested `if`, a tuple of the same."""
        loop = "*" in v.decision  # a run-time loop's `if`: named per item
        parts: list[Piece] = [self.scope.decision_name(v.decision) if loop else Text(pyexpr.literal(v.decision))]
        for member in v.members:
            if type(member) is ir.OneOf:
                parts.append(pretty.display("(", self.chosen(member), ")"))
            elif type(member) is ir.LoopRef:
                parts.append(self.scope.node_name(member))
            else:
                assert type(member) is ir.Ref, "a one-of's members are nodes (compiler.conditions)"
                parts.append(Text(pyexpr.literal(member.node)))
        return parts

    def visit_Gathered(self, v: ir.Gathered) -> Piece:
        """A run-time loop's results outside it, from the flow run, once the loop has expanded:
        `run.gathered("table", 0)`, a list of futures in item order (a dict for a dict)."""
        keys = [pretty.entry("keys=", pretty.display("[", [Text(pyexpr.literal(k)) for k in v.keys], "]"))]
        return pretty.call(f"{self.body.run}.gathered", [Text(pyexpr.literal(v.statement)), *(
            Text(pyexpr.literal(step)) for step in v.path), *(keys if v.keys else [])])

    def indexed(self, base: Piece, path: tuple) -> Piece:
        if not path:
            return base
        return pretty.call(f"{self.rt}.at", [base, *(Text(pyexpr.literal(p)) for p in path)])

    def visit_Imported(self, v: ir.Imported) -> Piece:
        return Text(callable_expression(self.body.wf, self.body.callables, v.target) + pyexpr.subscripts(v.path))

    def visit_ListOf(self, v: ir.ListOf) -> Piece:
        return pretty.display("[", [self.visit(i) for i in v.items], "]")

    def visit_DictOf(self, v: ir.DictOf) -> Piece:
        return pretty.display("{", [pretty.entry(pyexpr.literal(k), self.visit(i)) for k, i in v.items], "}")

    def visit_Family(self, v: ir.Family) -> Piece:
        """A loop family is a dict at run time, keyed by loop key (nested for nested loops)."""
        found = self.body.program.family_keys(v)
        if found is not None and found[0] in self.body.families:
            statement, keys = found
            return Text(self.body.variables[statement] + "".join(f"[{pyexpr.literal(k)}]" for k in keys))
        return pretty.display("{", [pretty.entry(pyexpr.literal(k), self.visit(m)) for k, m in v.members], "}")


def task_options(wf: Workflow, node: Node) -> dict[str, Any]:
    """The node's Prefect task options, sorted (options.task_options); a compile error if a
    neutral one cannot be mapped."""
    try:
        return mapped_task_options(node.options)
    except Unmappable as exc:
        fail(wf, f"node '{node.name}': {exc}", node.span)
        raise AssertionError("unreachable") from None


def run_name(node_name: str) -> str:
    """Prefect formats task run names with the task's parameters: braces are doubled."""
    return node_name.replace("{", "{{").replace("}", "}}")


# --- errors and `fusec run` ----------------------------------------------------------------


def fail(wf: Workflow, message: str, span: tuple | None = None, hint: str = "") -> None:
    """What the target cannot express, as a compile error at the file's position."""
    raise target_error(wf.source, message, span, hint)


def check(wf: Workflow) -> None:
    """What the generator refuses, without generating: params Prefect cannot take, a task
    runner option that does not apply, neutral options Prefect cannot carry out, callables
    options name that the file does not import. `fusec run --target prefect` asks this."""
    context(wf)
