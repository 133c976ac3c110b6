"""`--target prefect`: a Prefect 3 flow file, ready to run, serve and deploy.

The file holds the workflow's graph (the same lines the local target writes,
so cache keys and storage are shared), one `@task` per distinct callable, and
a module-level `@flow` named after the workflow whose parameters are the
workflow's params. The flow body has one line per node: the node's task
`.with_options(task_run_name=<node name>, <its options>)`, submitted with the
futures of the nodes it reads. Runtime support: fuseflow/targets/prefect/backend.py.

This module does not import prefect: the generated file does.
"""
from __future__ import annotations

import keyword
from typing import Any

from ... import __version__, ir
from ...codegen import escape, pyexpr
from ...codegen.render import render
from ...compiler.errors import target_error
from ...ir import Node, Workflow
from ...schemas import known_options, map_neutral

PACKAGE = __package__  # where this target's templates are

FLOW_RESERVED = ("return_state", "wait_for")  # Prefect's own keywords of a flow call
PARAM_TYPES = {"int": "int", "float": "float", "str": "str", "bool": "bool", "list": "list", "dict": "dict"}
CACHE_POLICIES = {"default": "DEFAULT", "inputs": "INPUTS", "task_source": "TASK_SOURCE", "run_id": "RUN_ID",
                  "flow_parameters": "FLOW_PARAMETERS", "none": "NO_CACHE"}
LINE_WIDTH = 100
TASK_PARAMETERS = ("node", "args", "kwargs")  # of every task function, in order
BUILTIN_RUNNERS = {"threads": "ThreadPoolTaskRunner", "processes": "ProcessPoolTaskRunner"}


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "flow.py.j2", **context(wf))


def context(wf: Workflow) -> dict:
    check_params(wf)
    names = Names(wf)
    callables = pyexpr.Callables(wf)
    tasks = Tasks(wf, names, callables)
    flow_fn = names.module(python_identifier(wf.name))
    decorator = flow_decorator(wf, names, callables)
    run = names.local("run")
    variables = {node.name: names.local(python_identifier(node.name)) for node in wf.nodes}
    body = FlowBody(wf, names, callables, tasks, variables, run)
    lines = [body.line(node) for node in wf.nodes]  # before the imports: options may need some
    outputs = braces([f"{pyexpr.literal(o.name)}: {body.value(o.value)}" for o in wf.outputs], 30)
    return {
        "wf": wf,
        "version": __version__,
        "source": escape.comment(wf.source),
        "doc_source": escape.docstring(wf.source),
        "name": escape.docstring(wf.name),
        "literal": pyexpr.literal,
        "n": names.used,
        "imports": names.import_lines(),
        "user_imports": pyexpr.import_lines(wf.imports),
        "graph_nodes": [pyexpr.node_line(node, names.used["rt"], callables) for node in wf.nodes],
        "graph_outputs": [(o.name, pyexpr.value(o.value, names.used["rt"], callables)) for o in wf.outputs],
        "tasks": tasks.definitions,
        "flow_fn": flow_fn,
        "flow_decorator": decorator,
        "signature": signature(wf),
        "param_dict": param_dict(wf),
        "run": run,
        "has_methods": any(node.kind == "method" for node in wf.nodes),
        "lines": lines,
        "outputs": outputs,
    }


# --- names ------------------------------------------------------------------------------


def python_identifier(text: str) -> str:
    """An ASCII identifier for a node or workflow name: other characters become '_'."""
    name = "".join(c if (c.isascii() and (c.isalnum() or c == "_")) else "_" for c in text) or "_"
    return "_" + name if name[0].isdigit() else name


class Names:
    """Every name the generated module defines, none of them the user's imports or params.

    Module-level names are allocated first, then the flow body's locals, which
    must not shadow a module-level name the body reads."""

    def __init__(self, wf: Workflow):
        self.taken = {item.alias for item in wf.imports} | {p.name for p in wf.params} | set(keyword.kwlist)
        self.used: dict[str, str] = {}
        self.imports: dict[str, list[tuple[str, str]]] = {}
        for module, name in (("sys", None), ("typing", "Any"), ("prefect", "flow"), ("prefect", "task"),
                             ("prefect.cache_policies", "NO_CACHE")):
            self.imported(module, name)
        self.used["rt"] = self.module("rt")
        self.used["WORKFLOW"] = self.module("WORKFLOW")
        for parameter in TASK_PARAMETERS:  # a task body reads them beside the user's callable: never its name
            self.used[parameter] = self.module(parameter)

    def module(self, wanted: str) -> str:
        name = pyexpr.unique_name(wanted, self.taken)
        self.taken.add(name)
        return name

    local = module  # same namespace rules: a local must not shadow anything above

    def imported(self, module: str, name: str | None) -> str:
        """`from module import name [as alias]` (or `import module`), once; the alias."""
        key = name or module
        if key not in self.used:
            alias = self.module(key)
            self.used[key] = alias
            self.imports.setdefault(module, []).append((name or module, alias))
        return self.used[key]

    def import_lines(self) -> list[list[str]]:
        """Standard library imports, then Prefect's; sorted."""
        groups: list[list[str]] = [[], []]
        for module in sorted(self.imports):
            items = self.imports[module]
            group = groups[module.partition(".")[0] == "prefect"]
            if items == [(module, items[0][1])]:
                alias = items[0][1]
                group.append(f"import {module}" + ("" if alias == module else f" as {alias}"))
                continue
            parts = sorted(name if name == alias else f"{name} as {alias}" for name, alias in items)
            group.append(f"from {module} import {', '.join(parts)}")
        return [group for group in groups if group]


# --- params and the flow decorator -----------------------------------------------------------


def check_params(wf: Workflow) -> None:
    for p in wf.params:
        if keyword.iskeyword(p.name) or p.name in FLOW_RESERVED:
            what = "a Python keyword" if keyword.iskeyword(p.name) else "reserved by Prefect's flow call"
            fail(wf, f"the prefect target cannot name a flow parameter '{p.name}': it is {what}",
                 hint="rename the param")


def signature(wf: Workflow) -> str:
    """Required params first, then those with defaults, each in source order, typed."""
    ordered = [p for p in wf.params if p.required] + [p for p in wf.params if not p.required]
    parts = []
    for p in ordered:
        annotation = PARAM_TYPES[p.type] + (" | None" if not p.required and p.default is None else "")
        parts.append(f"{p.name}: {annotation}" + ("" if p.required else f" = {pyexpr.literal(p.default)}"))
    return spread(parts, len(wf.name) + 20)


def spread(parts: list[str], lead: int) -> str:
    """Items on one line when short, else one per line (inside parentheses or braces)."""
    flat = ", ".join(parts)
    if lead + len(flat) <= LINE_WIDTH:
        return flat
    return "\n" + "".join(f"    {part},\n" for part in parts)


def param_dict(wf: Workflow) -> str:
    """{"a": a, ...}: the flow's arguments by param name, for rt.start; one a line when long."""
    return braces([f"{pyexpr.literal(p.name)}: {p.name}" for p in wf.params], 40)


def braces(items: list[str], lead: int) -> str:
    flat = "{" + ", ".join(items) + "}"
    if lead + len(flat) <= LINE_WIDTH:
        return flat
    return "{\n" + "".join(f"        {item},\n" for item in items) + "    }"


def flow_decorator(wf: Workflow, names: Names, callables: pyexpr.Callables) -> str:
    options = dict(wf.workflow_options.get("prefect", {}))
    runner = task_runner_expression(wf, options.pop("task_runner", "threads"), options.pop("max_workers", None), names)
    parts = [f"name={pyexpr.literal(wf.name)}", f"task_runner={runner}"]
    specs = known_options("prefect", "workflow")
    for key in sorted(options):
        parts.append(f"{key}={option_value(wf, specs[key].kind, key, options[key], names, callables)}")
    return ", ".join(parts)


def task_runner_expression(wf: Workflow, runner: str, max_workers: int | None, names: Names) -> str:
    arguments = "" if max_workers is None else f"max_workers={pyexpr.literal(max_workers)}"
    if runner in BUILTIN_RUNNERS:
        return f"{names.imported('prefect.task_runners', BUILTIN_RUNNERS[runner])}({arguments})"
    if max_workers is not None and runner in ("ray", "dask"):
        fail(wf, f"max_workers is an option of the threads and processes task runners, not of {runner!r}",
             hint="size a Ray or Dask task runner through its own cluster settings")
    return f"{names.used['rt']}.task_runner({pyexpr.literal(runner)}{', ' + arguments if arguments else ''})"


def conversion(kind: str, key: str) -> str:
    """How an option's checked value becomes the argument Prefect takes: "callable" (the
    imported object), "callables" (a list of them), "cache_policy" (one of
    prefect.cache_policies), "seconds" (a timedelta) or "value" (as it is). The generated
    file writes it as source (option_value), `fusec run` makes the object (flow.py)."""
    if kind in ("callable", "callable_list"):
        return "callable" if kind == "callable" else "callables"
    return {"cache_policy": "cache_policy", "cache_expiration": "seconds"}.get(key, "value")


def option_value(wf: Workflow, kind: str, key: str, value: Any, names: Names, callables: pyexpr.Callables) -> str:
    """A checked option value as Python source: callables by name, policies and durations as objects."""
    how = conversion(kind, key)
    if how == "callable":
        return callable_expression(wf, callables, value)
    if how == "callables":
        return "[" + ", ".join(callable_expression(wf, callables, v) for v in value) + "]"
    if how == "cache_policy":
        return names.imported("prefect.cache_policies", CACHE_POLICIES[value])
    if how == "seconds":
        return f"{names.imported('datetime', 'timedelta')}(seconds={pyexpr.literal(value)})"
    return pyexpr.literal(value)


def callable_expression(wf: Workflow, callables: pyexpr.Callables, target: str) -> str:
    try:
        return callables.expression(str(target))
    except KeyError:
        fail(wf, f"the prefect target needs the callable {str(target)!r} imported by the file",
             hint=f"add `from {str(target).partition(':')[0]} import ...`")
        raise AssertionError("unreachable")


# --- tasks ------------------------------------------------------------------------------------


class Tasks:
    """One `@task` per distinct callable (and Prefect `version`, which only `@task` takes)."""

    def __init__(self, wf: Workflow, names: Names, callables: pyexpr.Callables):
        self.wf = wf
        self.names = names
        self.callables = callables
        self.by_key: dict[tuple, str] = {}
        self.definitions: list[dict] = []
        index = wf.node_index()
        for node in wf.nodes:
            self.for_node(node, index)

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
        expression = callable_expression(self.wf, self.callables, target)
        label = self.callables.dotted(str(target)) + (f".{method_name}" if method_name else "")
        fn = self.names.module(python_identifier(label.replace(".", "_")) + "_task")
        decorator = [f"name={pyexpr.literal(label)}", "persist_result=False", f"cache_policy={self.names.used['NO_CACHE']}"]
        if version is not None:
            decorator.append(f"version={pyexpr.literal(version)}")
        node, args, kwargs = (self.names.used[p] for p in TASK_PARAMETERS)
        if group == "method":
            body = f"{node}.call_method({pyexpr.literal(method_name)}, {args}, {kwargs})"
        else:
            body = f"{node}.call({expression}, {args}, {kwargs})"
        self.definitions.append({"fn": fn, "decorator": ", ".join(decorator), "body": body})
        return fn


# --- the flow body ----------------------------------------------------------------------------


class FlowBody:
    """One line per node: `x = run.submit(f_task.with_options(task_run_name="x", ...), args...)`."""

    def __init__(self, wf: Workflow, names: Names, callables: pyexpr.Callables, tasks: Tasks,
                 variables: dict[str, str], run: str):
        self.wf = wf
        self.names = names
        self.callables = callables
        self.tasks = tasks
        self.variables = variables
        self.run = run
        self.index = wf.node_index()
        self.previous: dict[str, str] = {}  # object -> its last method call so far
        self.task_specs = known_options("prefect", "node")
        self.values = FlowValue(wf, names, callables, variables)

    def line(self, node: Node) -> str:
        task = self.tasks.for_node(node, self.index)
        options = ", ".join([f"task_run_name={pyexpr.literal(run_name(node.name))}", *self.options(node)])
        args = [self.value(a) for a in node.args]
        if node.kind == "method":  # the object, as the previous call on it left it
            carrier = self.previous.get(node.object, node.object)
            args.insert(0, self.variables[carrier])
            self.previous[node.object] = node.name
        args += pyexpr.keyword_arguments([(k, self.value(v)) for k, v in node.kwargs])
        return submit_line(f"{self.variables[node.name]} = {self.run}.submit(", f"{task}.with_options({options})", args)

    def options(self, node: Node) -> list[str]:
        """The node's task options as keywords of `.with_options` (`version` goes to @task)."""
        merged = task_options(self.wf, node)
        merged.pop("version", None)
        return [f"{key}={option_value(self.wf, self.task_specs[key].kind, key, merged[key], self.names, self.callables)}"
                for key in merged]

    def value(self, v: ir.Value) -> str:
        return self.values.visit(v)


class FlowValue(ir.Visitor):
    """An IR value in the flow body: futures by variable, params by name, indexing via rt.at."""

    def __init__(self, wf: Workflow, names: Names, callables: pyexpr.Callables, variables: dict[str, str]):
        self.wf = wf
        self.names = names
        self.callables = callables
        self.variables = variables

    def visit_Literal(self, v: ir.Literal) -> str:
        return pyexpr.literal(v.value)

    def visit_ParamRef(self, v: ir.ParamRef) -> str:
        return self.indexed(v.name, v.path)

    def visit_Ref(self, v: ir.Ref) -> str:
        return self.indexed(self.variables[v.node], v.path)

    def indexed(self, base: str, path: tuple) -> str:
        if not path:
            return base
        return f"{self.names.used['rt']}.at({', '.join([base, *(pyexpr.literal(p) for p in path)])})"

    def visit_Imported(self, v: ir.Imported) -> str:
        return callable_expression(self.wf, self.callables, v.target)

    def visit_ListOf(self, v: ir.ListOf) -> str:
        return "[" + ", ".join(self.visit(i) for i in v.items) + "]"

    def visit_DictOf(self, v: ir.DictOf) -> str:
        return "{" + ", ".join(f"{pyexpr.literal(k)}: {self.visit(i)}" for k, i in v.items) + "}"

    def visit_Family(self, v: ir.Family) -> str:
        """A loop family is a dict at run time, keyed by loop key (nested for nested loops)."""
        return "{" + ", ".join(f"{pyexpr.literal(k)}: {self.visit(m)}" for k, m in v.members) + "}"


def task_options(wf: Workflow, node: Node) -> dict[str, Any]:
    """The node's Prefect task options, sorted: the neutral ones Prefect does (mapped),
    then `options prefect`, which wins. A compile error if a neutral one cannot be mapped."""
    merged: dict[str, Any] = {}
    for key, value in sorted(node.options.get("neutral", {}).items()):
        target_key, mapped, message = map_neutral("prefect", key, value)
        if message is not None:
            fail(wf, f"node '{node.name}': {message}", node.span)
        if target_key is not None:
            merged[target_key] = mapped
    own = node.options.get("prefect", {})
    merged.update(own)
    if own.get("cache_policy", "none") != "none" and "persist_result" not in own:
        merged["persist_result"] = True  # Prefect's caching needs its results persisted, as @task's default does
    return dict(sorted(merged.items()))


def submit_line(head: str, task: str, args: list[str]) -> str:
    """`x = run.submit(task, args)` on one line when it fits, else the task and the
    arguments on lines of their own (one argument a line when they do not fit either)."""
    flat = head + ", ".join([task, *args]) + ")"
    if 4 + len(flat) <= LINE_WIDTH:
        return flat
    joined = ", ".join(args)
    parts = [task, *([joined] if args and 8 + len(joined) < LINE_WIDTH else args)]
    return head + "\n" + "".join(f"        {part},\n" for part in parts) + "    )"


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
