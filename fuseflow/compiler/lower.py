"""Syntax tree -> IR: resolve names, expand loops, name nodes, build argument values.

Name resolution happens here because what a name means depends on the loop
iteration it is read in: inside its loop a node name is the current
iteration's node, outside it the whole family. Every problem is recorded in
the Diagnostics and lowering goes on, so one run reports them all.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from .. import ir
from ..ir.indexing import IndexProblem, indexed
from ..ir.loops import loop_key
from ..ir.record import replace as record_replace
from ..runtime.params import ParamError, parse_text, shortened, value_problem
from ..schemas import CallableRef
from . import conditions, limits
from . import nodes as n
from .checks import TOP_LEVEL_ONLY
from .constants import PARAM_TYPES, BadConstant, NotConstant, conform, holds_import, index_value, mismatch, type_name
from .errors import Diagnostics, suggest
from .fanout import RUNTIME_KEY, FanOutRecorder, RuntimeItem, gathered, inside_fanout, placeholder
from .loops import LoopRecorder
from .use import Loader, Rewrite, UsedFile, prefixed_uses

SHARED_LITERAL_TYPES = frozenset({str, int, float, bool, type(None)})
RUN_STATUS = "run_status"  # the built-in value `finally` reads: how the run went


@dataclass(slots=True)
class ImportSym:
    module: str
    name: str | None  # None: a module alias
    line: int


@dataclass(slots=True)
class NodeSymbol:
    """A name assigned by one statement; inside loops, one node per iteration."""

    name: str
    statement: int  # id() of the defining statement
    loops: tuple[int, ...]  # ids of the enclosing loops, outermost first
    members: dict[tuple[str, ...], str] = field(default_factory=dict)
    line: int = 0
    branches: conditions.BranchPath = ()  # the `if` branches it is made in (compiler.conditions)
    # The members again, nested once per loop by loop key (leaves: node names), so a
    # family or the members an index picks are found without scanning all of them.
    # Made at the first such use (a big fan-out may have none), then kept up to date.
    tree: dict[str, Any] | None = None

    def member_tree(self) -> dict[str, Any]:
        if self.tree is None:
            self.tree = {}
            for keys, node_name in self.members.items():
                self.add_to_tree(keys, node_name)
        return self.tree

    def add_to_tree(self, keys: tuple[str, ...], node_name: str) -> None:
        assert self.tree is not None, "member_tree() makes the tree before members are added to it"
        branch = self.tree
        for key in keys[:-1]:
            branch = branch.setdefault(key, {})
        branch[keys[-1]] = node_name


@dataclass(slots=True)
class Alias:
    """`x = split["X_train"]`: a name for a reference, no node. Its uses read the reference
    itself (with their own indexes after its), where they are: inside its loops the current
    iteration's, which is why an alias made in a loop is used only in that loop."""

    ref: n.Ref
    statement: int  # id() of the defining statement
    loops: tuple[int, ...]  # ids of the loops around it, outermost first
    line: int


@dataclass(slots=True)
class Frame:
    loop: int
    key: str
    bindings: dict[str, Any]
    line: int = 0


@dataclass(slots=True)
class NodeDraft:
    """A node while lowering: its kind changes to "object" when a method is called on it."""

    name: str
    kind: str
    target: str
    args: tuple[ir.Value, ...]
    kwargs: tuple[tuple[str, ir.Value], ...]
    span: n.Span
    statement: str
    keys: tuple[str, ...]
    object: str | None = None
    after: tuple[str, ...] = ()
    options: dict[str, dict[str, Any]] | None = None  # a used workflow's node: its own file's options
    use: str = ""  # and the prefix of the call it comes from (ir.Node.use)
    final: bool = False  # in `finally`: runs after the rest, on success and on failure
    when: tuple[ir.Branch, ...] = ()  # the `if` branches it is in (ir.Node.when)


@dataclass(slots=True)
class Instance:
    """`r = prep(...)`: a call of a used workflow; its outputs, as this file reads them."""

    used: UsedFile
    outputs: dict[str, ir.Value]
    line: int
    branches: conditions.BranchPath = ()  # the `if` branches it is called in: its outputs are read there only


@dataclass(slots=True)
class Lowering:
    diags: Diagnostics
    defines: dict[str, str]
    imports: dict[str, ImportSym] = field(default_factory=dict)
    import_list: list[ir.Import] = field(default_factory=list)
    params: dict[str, ir.Param] = field(default_factory=dict)
    param_values: dict[str, ir.ParamRef] = field(default_factory=dict)  # ParamRef(name) by name
    literals: dict[tuple[type, Any], ir.Literal] = field(default_factory=dict)  # Literal(value) by (type, value)
    targets: dict[tuple[str, ...], str] = field(default_factory=dict)  # "module:qualname" by callee path
    param_lines: dict[str, int] = field(default_factory=dict)
    lets: dict[str, Any] = field(default_factory=dict)
    let_lines: dict[str, int] = field(default_factory=dict)
    symbols: dict[str, NodeSymbol] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    loader: Loader | None = None  # compiles the files `use` names (None: a file that cannot use any)
    used: dict[str, UsedFile] = field(default_factory=dict)  # by alias
    instances: dict[str, Instance] = field(default_factory=dict)  # calls of used workflows, by name
    uses: list[ir.Use] = field(default_factory=list)  # Workflow.uses
    in_finally: bool = False  # lowering the body of `finally`
    finals: bool = False  # `finally` has begun: references are checked across it (across_finally)
    constants_hold_imports: bool = False  # a `let` or a loop's items hold an imported name (rare: checked then)
    nodes: dict[str, NodeDraft] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    generated: dict[int, str] = field(default_factory=dict)
    last_method: dict[str, str] = field(default_factory=dict)
    # Argument values that pass node results (a Ref or a Family), with the span of
    # their reference; expanded into node names only if some node turns out an object.
    data_uses: list[tuple[ir.Value, n.Span]] = field(default_factory=list)
    # The nodes each `after` name stands for, with its span: checked for objects at the end, as data_uses.
    after_uses: list[tuple[tuple[str, ...], n.Span]] = field(default_factory=list)
    used_defines: set[str] = field(default_factory=set)
    declared: dict[str, int] = field(default_factory=dict)  # every name the file declares -> its line
    lowered_once: set[int] = field(default_factory=set)
    loops: LoopRecorder = field(default_factory=LoopRecorder)  # the loops as written (Workflow.loops)
    fanouts: FanOutRecorder = field(default_factory=FanOutRecorder)  # the run-time loops (Workflow.fanouts)
    # `if` chains (compiler.conditions): the branches being lowered (as the IR names them, and as
    # lowering tracks them), the decisions made so far, the names assigned in branches
    guards: list[ir.Branch] = field(default_factory=list)
    branch_path: list[tuple[int, int]] = field(default_factory=list)
    decisions: dict[str, ir.Decision] = field(default_factory=dict)
    if_numbers: dict[int, int] = field(default_factory=dict)
    suffixes: dict[str, str] = field(default_factory=dict)  # in a branch: name -> its node statement (`x.if`)
    branch_symbols: dict[tuple[int, int, str], NodeSymbol] = field(default_factory=dict)
    merged: dict[str, conditions.Merged] = field(default_factory=dict)
    partial: dict[str, conditions.Partial] = field(default_factory=dict)
    iterations: int = 0  # of every loop, counted against limits.MAX_EXPANSION
    stopped: bool = False  # the workflow grew beyond limits.MAX_EXPANSION: no more nodes or iterations

    # --- statements -------------------------------------------------------------

    def run(self, statements: tuple[n.Stmt, ...]) -> None:
        self.generated = generated_names(statements)
        self.declared = declared_lines(statements)
        self.if_numbers = conditions.numbered_ifs(statements, walk)
        self.block(statements)
        self.check_objects()
        for name in sorted(set(self.defines) - self.used_defines):
            self.diags.error(None, f"-D {name}: there is no `let {name}` in this file", "")

    def block(self, statements: tuple[n.Stmt, ...]) -> None:
        for stmt in statements:
            if self.frames and isinstance(stmt, TOP_LEVEL_ONLY):
                # Misplaced (checks.py says so): lowered once, so that neither its
                # name's uses nor its later iterations give more, false, errors.
                if id(stmt) in self.lowered_once:
                    continue
                self.lowered_once.add(id(stmt))
            handler = getattr(self, "stmt_" + type(stmt).__name__, None)
            if handler is not None:
                handler(stmt)

    def stmt_FromImport(self, stmt: n.FromImport) -> None:
        self.check_python_names(stmt.module.split("."), stmt.span)
        for item in stmt.names:
            self.check_python_names((item.name, item.alias), item.span)
            if self.declare(item.alias, item.span, "import"):
                self.imports[item.alias] = ImportSym(stmt.module, item.name, stmt.span.line)
                self.import_list.append(ir.Import(stmt.module, item.name, item.alias))

    def stmt_ImportModule(self, stmt: n.ImportModule) -> None:
        self.check_python_names(stmt.module.split(".") + [stmt.alias], stmt.span)
        if self.declare(stmt.alias, stmt.span, "import"):
            self.imports[stmt.alias] = ImportSym(stmt.module, None, stmt.span.line)
            self.import_list.append(ir.Import(stmt.module, None, stmt.alias))

    def stmt_FinallyStmt(self, stmt: n.FinallyStmt) -> None:
        """`finally { ... }`: its calls run after the rest, on success and on failure (ir.Node.final)."""
        self.in_finally = self.finals = True
        self.block(stmt.body)
        self.in_finally = False

    def stmt_IfStmt(self, stmt: n.IfStmt) -> None:
        conditions.lower_if(self, stmt)

    def stmt_UseStmt(self, stmt: n.UseStmt) -> None:
        if self.loader is None:
            self.diags.error(stmt.span, "`use` needs a file to be relative to", "compile a file, not a string")
            return
        used = self.loader.load(stmt, self.diags)
        if used is not None and self.declare(stmt.alias, stmt.span, "used workflow"):
            self.used[stmt.alias] = used

    def stmt_ParamStmt(self, stmt: n.ParamStmt) -> None:
        if stmt.type not in PARAM_TYPES:
            guess = suggest(stmt.type, PARAM_TYPES)
            hint = f"did you mean '{guess}'?" if guess else "expected one of " + ", ".join(PARAM_TYPES)
            self.diags.error(stmt.type_span, f"unknown param type '{stmt.type}'", hint)
            return
        default, required = None, stmt.default is None
        if stmt.default is not None:
            value = self.constant(stmt.default)
            fits, default = conform(stmt.type, value)
            if not fits:
                self.diags.error(
                    stmt.default.span,
                    f"param '{stmt.name}' is declared {stmt.type} but its default is {mismatch(stmt.type, value)}",
                )
        if self.declare(stmt.name, stmt.span, "param"):
            self.params[stmt.name] = ir.Param(stmt.name, stmt.type, default, required)
            self.param_lines[stmt.name] = stmt.span.line

    def stmt_LetStmt(self, stmt: n.LetStmt) -> None:
        value = self.constant(stmt.value, callables=True)  # `let models = [KNN, Tree]`
        if stmt.name in self.defines:
            self.used_defines.add(stmt.name)
            value = self.override(stmt, value)
        if self.declare(stmt.name, stmt.span, "constant"):
            self.lets[stmt.name] = value
            self.constants_hold_imports = self.constants_hold_imports or holds_import(value)
            self.let_lines[stmt.name] = stmt.span.line

    def override(self, stmt: n.LetStmt, original: Any) -> Any:
        text = self.defines[stmt.name]
        expected = type_name(original) if original is not None else None
        try:
            value = define_value(text, expected)
        except limits.LimitError as exc:
            self.diags.error(stmt.span, f"-D {stmt.name}={shortened(text)}: {exc.message}", exc.hint)
            return original
        if expected:
            fits, value = conform(expected, value)
            if not fits:
                self.diags.error(stmt.span, f"-D {stmt.name}={shortened(text)}: expected {expected} like the `let` "
                                 f"on line {stmt.span.line}, got {mismatch(expected, value)}")
                return original
        return value

    def stmt_AssignStmt(self, stmt: n.AssignStmt) -> None:
        if isinstance(stmt.value, n.Ref):
            if stmt.after:
                self.diags.error(_after_span(stmt.after), f"'{stmt.name}' is an alias, and `after` orders a node",
                                 "an alias makes no node: write `after` on the call it reads from")
            self.add_alias(stmt, stmt.value)
            return
        if not isinstance(stmt.value, n.Call):
            self.diags.error(
                stmt.value.span,
                f"'{stmt.name}' must be assigned a call or a reference",
                "a node is a call: `x = f(...)`; an alias a reference: `x = parts[0]`; a constant a `let`",
            )
            return
        if stmt.value.callee[0] in self.used:
            self.add_instance(stmt.name, stmt, stmt.value, stmt.name_span)
            return
        self.add_node(stmt.name, stmt, stmt.value, stmt.name_span)

    def add_alias(self, stmt: n.AssignStmt, ref: n.Ref) -> None:
        """`x = ref`: checked where it is written, then read wherever `x` is used."""
        known = self.aliases.get(stmt.name)
        if known is not None and known.statement == id(stmt):
            return  # the same alias, in a later loop iteration
        mark = len(self.data_uses)
        self.value(ref)  # its errors are reported here, at the definition
        del self.data_uses[mark:]
        if self.declare(stmt.name, stmt.name_span, "alias"):
            loops = tuple(frame.loop for frame in self.frames)
            self.aliases[stmt.name] = Alias(self.unalias(ref), id(stmt), loops, stmt.span.line)

    def unalias(self, ref: n.Ref) -> n.Ref:
        """The reference an alias stands for, with the use's own indexes after its;
        NotConstant (reported) for an alias used outside the loop it is made in."""
        alias = self.aliases.get(ref.name)
        if alias is None:
            return ref
        running = tuple(frame.loop for frame in self.frames)
        if running[:len(alias.loops)] != alias.loops:
            self.diags.error(ref.name_span, f"'{ref.name}' is an alias made inside a `for` loop (line {alias.line}), "
                             "used outside it", "use it inside the loop, or name what it stands for")
            raise NotConstant(ref, "an alias outside its loop", reported=True)
        target = alias.ref
        return n.Ref(target.name, target.indexes + ref.indexes, ref.span, target.name_span, target.attrs)

    def stmt_CallStmt(self, stmt: n.CallStmt) -> None:
        if stmt.call.callee[0] in self.used:
            self.add_instance(self.generated[id(stmt)], stmt, stmt.call, stmt.call.callee_span)
            return
        self.add_node(self.generated[id(stmt)], stmt, stmt.call, stmt.call.callee_span)

    # --- calls of used workflows ------------------------------------------------------

    def add_instance(self, name: str, stmt: n.AssignStmt | n.CallStmt, call: n.Call, name_span: n.Span) -> None:
        """`r = prep(k=v, ...)`: the used workflow's nodes, named `r.<node>`, its params bound;
        `... after x`: every one of them after x."""
        used = self.used[call.callee[0]]
        if len(call.callee) > 1:
            self.diags.error(call.callee_span, f"'{call.callee[0]}' is a used workflow; call it whole: "
                             f"{call.callee[0]}(...)")
            return
        if self.frames:
            self.diags.error(call.callee_span, "a used workflow is called outside `for` loops",
                             "call it once before the loop, or loop inside the used file")
            return
        bound = self.bound_params(used, call)
        after = self.after_nodes(stmt.after, name)
        if bound is None or not self.declare(name, name_span, "used workflow's call"):
            return
        rewrite = Rewrite(name, bound)
        guards = tuple(self.guards)  # a call in an `if` branch: every node and `if` of it is in the branch
        for node in used.workflow.nodes:
            self.inline_node(name, node, rewrite, call, after, guards)
        for decision in used.workflow.decisions:
            try:
                inlined = rewrite.decision(decision)
            except IndexProblem as exc:
                self.diags.error(call.span, f"the `if` on line {decision.span[0]} of the used workflow indexes a "
                                 f"param: {exc}")
                continue
            self.decisions[inlined.name] = record_replace(inlined, when=guards + inlined.when) if guards else inlined
        self.uses.extend(prefixed_uses(used, name))
        self.merge_imports(used)
        outputs = {output.name: rewrite.visit(output.value) for output in used.workflow.outputs}
        self.instances[name] = Instance(used, outputs, name_span.line, tuple(self.branch_path))

    def bound_params(self, used: UsedFile, call: n.Call) -> dict[str, ir.Value] | None:
        """The used workflow's params as the call gives them (defaults for those it leaves out);
        None after an error."""
        params = {param.name: param for param in used.workflow.params}
        ok = True
        for arg in call.args:
            self.diags.error(arg.span, "a used workflow's params are passed by name",
                             "e.g. " + ", ".join(f"{p}=..." for p in list(params)[:3]) if params else "")
            ok = False
        self.check_argument_order(call)
        bound: dict[str, ir.Value] = {}
        for kw in call.kwargs:
            value = self.value(kw.value)
            param = params.get(kw.name)
            if param is None:
                guess = suggest(kw.name, list(params))
                known = ", ".join(params) if params else "none"
                self.diags.error(kw.span, f"'{kw.name}' is not a param of {used.relative}",
                                 f"did you mean '{guess}'?" if guess else f"its params: {known}")
                ok = False
            elif not self.fits_param(param, value, kw):
                ok = False
            elif type(value) is ir.Literal:
                value = ir.Literal(conform(param.type, value.value)[1])  # an int for a float param: the float
            bound[kw.name] = value
        for param in params.values():
            if param.name in bound:
                continue
            if param.required:
                self.diags.error(call.span, f"{used.relative} needs its param '{param.name}' ({param.type})",
                                 f"pass it: {call.callee[0]}({param.name}=...)")
                ok = False
            else:
                bound[param.name] = self.literal(param.default) if param.default is not None else ir.NONE
        return bound if ok else None

    def fits_param(self, param: ir.Param, value: ir.Value, kw: n.Keyword) -> bool:
        """A constant, or a param of this file, passed for a used workflow's param: of its type."""
        if type(value) is ir.Literal:
            fits, _ = conform(param.type, value.value)
            if not fits:
                self.diags.error(kw.value.span, f"param '{param.name}' is declared {param.type}, "
                                 f"but this is {mismatch(param.type, value.value)}")
            return fits
        if type(value) is ir.ParamRef and not value.path:
            mine = self.params[value.name].type
            if mine != param.type and not (mine == "int" and param.type == "float"):
                self.diags.error(kw.value.span, f"param '{param.name}' is declared {param.type}, "
                                 f"but '{value.name}' is {mine}")
                return False
        return True

    def inline_node(self, prefix: str, node: ir.Node, rewrite: Rewrite, call: n.Call, after: tuple[str, ...],
                    guards: tuple[ir.Branch, ...] = ()) -> None:
        """A node of a used workflow, as the call `prefix` makes it (after the nodes `after` too; in
        the `if` branches `guards`)."""
        name = f"{prefix}.{node.name}"
        if name in self.nodes:
            self.diags.error(call.span, f"node name '{name}' is already used by another node",
                             f"rename the call's '{prefix}' or that node")
            return
        try:
            args = tuple(rewrite.visit(value) for value in node.args)
            kwargs = tuple((key, rewrite.visit(value)) for key, value in node.kwargs)
        except IndexProblem as exc:
            self.diags.error(call.span, f"node '{node.name}' of the used workflow indexes a param: {exc}")
            return
        obj = f"{prefix}.{node.object}" if node.object else None
        chained = tuple(f"{prefix}.{a}" for a in node.after[:len(node.after) - len(node.declared_after)])
        declared = tuple(f"{prefix}.{a}" for a in node.declared_after) + after
        self.nodes[name] = NodeDraft(
            name, node.kind, node.target, args, kwargs, call.span, f"{prefix}.{node.statement}", node.keys,
            obj, ir.ordering(node.kind, obj, chained, declared), node.options,
            f"{prefix}.{node.use}" if node.use else prefix, when=guards + rewrite.branches(node.when))

    def merge_imports(self, used: UsedFile) -> None:
        """The used file's imports, for generated code: under their own alias unless this file
        uses that alias for something else (then another, unique one)."""
        have = {(item.module, item.name) for item in self.import_list}
        taken = {item.alias for item in self.import_list} | set(self.declared)
        for item in used.workflow.imports:
            if (item.module, item.name) in have:
                continue
            alias, number = item.alias, 1
            while alias in taken:
                number += 1
                alias = f"{item.alias}_{number}"
            taken.add(alias)
            have.add((item.module, item.name))
            self.import_list.append(ir.Import(item.module, item.name, alias))

    def instance_output(self, ref: n.Ref, path: ir.Path) -> ir.Value:
        """`r["out"]...`: an output of a used workflow's call, indexed further."""
        instance = self.instances[ref.name]
        if instance.branches and not self.reachable(instance.branches, ref.name, ref.name_span):
            return ir.NONE
        if not path or type(path[0]) is not str:
            outputs = ", ".join(f'{ref.name}["{o}"]' for o in instance.outputs) or "none"
            self.diags.error(ref.span, f"'{ref.name}' is a call of a used workflow: name one of its outputs",
                             f"its outputs: {outputs}")
            return ir.NONE
        value = instance.outputs.get(path[0])
        if value is None:
            guess = suggest(path[0], list(instance.outputs))
            self.diags.error(ref.indexes[0].span, f"{instance.used.relative} has no output '{path[0]}'",
                             f"did you mean '{guess}'?" if guess else "its outputs: " + ", ".join(instance.outputs))
            return ir.NONE
        try:
            found = indexed(value, path[1:])
        except IndexProblem as exc:
            self.diags.error(ref.span, str(exc))
            return ir.NONE
        self.data_uses.append((found, ref.span))
        return found

    def stmt_ForStmt(self, stmt: n.ForStmt) -> None:
        try:
            value, items = self.loop_items(stmt)
        except NotConstant as exc:
            if self.reads_run_time_item(stmt.iterable):
                self.diags.error(stmt.iterable.span, "a run-time loop inside another run-time loop",
                                 "loop over a constant inside it, or gather the outer loop's results first")
            elif not exc.reported and self.iterates_at_run_time(stmt.iterable):
                self.run_time_loop(stmt)
            elif not exc.reported:
                self.diags.error(exc.expr.span, f"a `for` loop needs a compile-time constant: {exc.reason}",
                                 "loop over a `let` constant or a literal list or dict")
            return
        except BadConstant as exc:
            self.diags.error(exc.span, exc.message, exc.hint)
            return
        self.check_loop_names(stmt)
        if inside_fanout(self):
            self.fanouts.enter_static(self, stmt, value)
        else:
            self.loops.enter(self, stmt, value)
        seen: dict[str, Any] = {}
        for key, bindings in items:
            self.iterations += 1
            if self.stopped or self.iterations > limits.MAX_EXPANSION:
                self.stop_expanding(stmt.span)
                break
            if key in seen:
                self.diags.error(stmt.iterable.span, f"loop items {seen[key]!r} and {bindings[stmt.names[0]]!r} "
                                 f"give the same node name key '{key}'", "make the loop items distinct")
                continue
            seen[key] = bindings[stmt.names[0]]
            self.frames.append(Frame(id(stmt), key, bindings, stmt.span.line))
            self.block(stmt.body)
            self.frames.pop()

    def reads_run_time_item(self, expr: n.Expr) -> bool:
        """Whether `expr` names a run-time loop's variable (compiler.fanout), in the loops running."""
        if not isinstance(expr, n.Ref):
            return False
        return any(type(frame.bindings.get(expr.name)) is RuntimeItem for frame in self.frames)

    def iterates_at_run_time(self, iterable: n.Expr) -> bool:
        """Whether a `for` over `iterable` is a run-time loop: it names a node, a param, or a
        used workflow's output (possibly through an alias), indexed or not."""
        if not isinstance(iterable, n.Ref) or iterable.attrs:
            return False
        name = self.aliases[iterable.name].ref.name if iterable.name in self.aliases else iterable.name
        return name in self.symbols or name in self.params or name in self.instances

    def run_time_loop(self, stmt: n.ForStmt) -> None:
        """`for f in files { ... }` over a node or a param: its body lowered once, for every item
        (compiler.fanout), expanded when the workflow runs."""
        if inside_fanout(self):
            self.diags.error(stmt.iterable.span, "a run-time loop inside another run-time loop",
                             "loop over a constant inside it, or gather the outer loop's results first")
            return
        iterable = self.value(stmt.iterable)
        if type(iterable) not in (ir.Ref, ir.ParamRef):
            if iterable is not ir.NONE:
                self.diags.error(stmt.iterable.span, "a run-time loop goes over one node's result or a param",
                                 "loop over one member of a loop's results, e.g. `for x in fam[\"key\"]`")
            return
        if type(iterable) is ir.ParamRef and not iterable.path:
            kind = self.params[iterable.name].type
            if kind not in ("list", "dict"):
                self.diags.error(stmt.iterable.span, f"a run-time loop over param '{iterable.name}', which is {kind}",
                                 "loop over a param declared list or dict")
                return
        self.check_loop_names(stmt)
        self.fanouts.enter(self, stmt, iterable)
        self.frames.append(Frame(id(stmt), RUNTIME_KEY, {name: RuntimeItem(name) for name in stmt.names},
                                 stmt.span.line))
        self.block(stmt.body)
        self.frames.pop()
        self.fanouts.exit()

    def check_loop_names(self, stmt: n.ForStmt) -> None:
        """Loop variables share the one namespace: they may not hide another name."""
        for name in dict.fromkeys(name for name in stmt.names if stmt.names.count(name) > 1):
            if len(stmt.names) == 2:
                self.diags.error(stmt.span, f"both loop variables are named '{name}'",
                                 "name the key and the value differently")
            else:
                self.diags.error(stmt.span, f"two loop variables are named '{name}'", "give each a name of its own")
        for name in dict.fromkeys(stmt.names):
            what, line = self.describe_with_line(name)
            if what is not None:
                self.diags.error(stmt.span, f"loop variable '{name}' hides {what} defined on line {line}",
                                 "choose another name for the loop variable")

    def loop_items(self, stmt: n.ForStmt) -> tuple[Any, Iterator[tuple[str, dict[str, Any]]]]:
        """The constant iterated, and (loop key, bindings) per iteration, made as the loop runs
        (they are many in a big fan-out)."""
        value = self.constant_or_raise(stmt.iterable, callables=True)
        self.constants_hold_imports = self.constants_hold_imports or holds_import(value)
        names = stmt.names
        if len(names) == 2 and isinstance(value, dict):
            k, v = names
            return value, ((loop_key(key, i), {k: key, v: item}) for i, (key, item) in enumerate(value.items()))
        if len(names) > 2 and isinstance(value, dict):
            raise BadConstant(stmt.iterable.span, f"`for {', '.join(names)} in ...` over a dict binds two names, "
                              f"its keys and values, not {len(names)}", "loop over a list of lists to unpack more")
        items = list(value) if isinstance(value, dict) else value
        if not isinstance(items, list):
            raise NotConstant(stmt.iterable, f"cannot loop over {type_name(value)} {shortened(repr(value))}")
        if len(names) == 1:
            return value, ((loop_key(item, i), {names[0]: item}) for i, item in enumerate(items))
        for i, item in enumerate(items):
            if not isinstance(item, list) or len(item) != len(names):
                got = f"a list of {len(item)}" if isinstance(item, list) else type_name(item)
                raise BadConstant(stmt.iterable.span, f"`for {', '.join(names)} in ...` needs lists of {len(names)} "
                                  f"items to unpack; item {i} is {got}",
                                  "a dict's keys and values take two names: `for k, v in d`")
        # Keyed by the first item of each (`for name, cls in [["knn", KNN], ...]` makes `model.knn`).
        return value, ((loop_key(item[0], i), dict(zip(names, item, strict=True))) for i, item in enumerate(items))

    # --- nodes --------------------------------------------------------------------

    def stop_expanding(self, span: n.Span) -> None:
        """One error where the workflow grows too big; no more nodes or loop iterations
        after it: loops nested 30 deep over two items each would run 2**30 iterations."""
        if not self.stopped:
            self.diags.error(span, f"the workflow grows beyond {limits.MAX_EXPANSION:,} nodes or loop iterations here",
                             "loops multiply: a loop over 100 items inside another makes 10,000 iterations")
        self.stopped = True

    def add_node(self, name: str, stmt: Any, call: n.Call, name_span: n.Span) -> None:
        if len(self.nodes) >= limits.MAX_EXPANSION:
            self.stop_expanding(name_span)
            return
        symbol = self.symbol_for(name, stmt, name_span)
        if symbol is None:
            return
        keys = tuple([frame.key for frame in self.frames])
        statement = self.suffixes.get(name, name) if self.suffixes else name  # `x.if`: one of several branches'
        node_name = ".".join((statement,) + keys)
        if node_name in self.nodes and symbol.members.get(keys) is None:
            self.diags.error(name_span, f"node name '{node_name}' is already used by another node")
            return
        draft = self.call_node(node_name, call, statement, keys, stmt.after)
        # A node whose call has errors is still recorded, so its uses do not
        # cascade into more errors; with errors, no IR is built from it.
        symbol.members[keys] = node_name
        if keys and symbol.tree is not None:
            symbol.add_to_tree(keys, node_name)
        self.nodes[node_name] = draft or NodeDraft(node_name, "call", "", (), (), call.span, statement, keys)
        self.nodes[node_name].final = self.in_finally
        if self.guards:
            self.nodes[node_name].when = tuple(self.guards)
        if keys and draft is not None:
            if inside_fanout(self):
                self.fanouts.statement(self, stmt, name, call, draft)
            else:
                self.loops.statement(self, stmt, name, call, draft)

    def symbol_for(self, name: str, stmt: Any, span: n.Span) -> NodeSymbol | None:
        symbol = self.symbols.get(name)
        if symbol is None:
            if not self.declare(name, span, "node"):
                return None
            loops = tuple(frame.loop for frame in self.frames)
            symbol = self.symbols[name] = NodeSymbol(name, id(stmt), loops, line=span.line,
                                                     branches=tuple(self.branch_path))
        elif symbol.statement != id(stmt):
            self.diags.error(span, f"duplicate node name '{name}'",
                             f"'{name}' is already assigned on line {symbol.line}; choose another name")
            return None
        return symbol

    def call_node(self, node_name: str, call: n.Call, statement: str, keys: tuple[str, ...],
                  after_names: tuple[n.AfterName, ...] = ()) -> NodeDraft | None:
        resolved = self.resolve_callee(call)
        self.check_argument_order(call)
        args = tuple(self.value(arg) for arg in call.args)  # checked even when the callee is wrong
        kwargs = tuple((kw.name, self.value(kw.value)) for kw in call.kwargs)
        declared = self.after_nodes(after_names, statement) if after_names else ()
        if resolved is None:
            return None
        kind, target, obj = resolved
        chained: tuple[str, ...] = ()
        if obj is not None:
            previous = self.last_method.get(obj)
            chained = (previous,) if previous else ()
            self.last_method[obj] = node_name
            self.nodes[obj].kind = "object"
        return NodeDraft(node_name, kind, target, args, kwargs, call.span, statement, keys, obj,
                         ir.ordering(kind, obj, chained, declared))

    # --- ordering without data: `after` ---------------------------------------------------

    def after_nodes(self, names: tuple[n.AfterName, ...], statement: str) -> tuple[str, ...]:
        """The nodes `... after x, y` names, as a reference reads them here: inside x's loops the
        current iteration's node, outside them every member of its family. Errors for a name
        that is no node, a node defined later, the statement itself."""
        found: dict[str, None] = {}
        for item in names:
            nodes = self.after_node(item, statement)
            if any(placeholder(node) for node in nodes) and not inside_fanout(self):
                self.diags.error(item.span, f"`after` names '{item.name}', a run-time loop's nodes, outside it",
                                 f"name a node that reads {item.name} (it runs after all of them) instead")
                continue
            if nodes:
                self.after_uses.append((nodes, item.span))
                found.update(dict.fromkeys(nodes))
        return tuple(found)

    def after_node(self, item: n.AfterName, statement: str) -> tuple[str, ...]:
        name, span = item.name, item.span
        if name == statement:
            self.diags.error(span, f"'{name}' cannot run after itself", "`after` names other nodes, defined above")
            return ()
        if name in self.symbols:
            symbol = self.symbols[name]
            if symbol.branches and not conditions.reachable(self, symbol.branches, name, span):
                return ()
            return self.after_symbol(symbol, span)
        if name in self.merged:
            self.diags.error(span, f"`after` names '{name}', whose node is the one of the branch an `if` takes",
                             f"name a node that reads {name} (it runs after it) instead")
            return ()
        if name in self.partial:
            conditions.partial_use(self, name, span)
            return ()
        if name in self.instances:
            return self.after_instance(name, span)
        if name in self.aliases:
            return self.after_alias(item, statement)
        what = self.describe(name)
        if what is not None:
            self.diags.error(span, f"`after` names '{name}', {what}, not a node",
                             "`after` orders nodes: name calls defined above")
            return ()
        line = self.declared.get(name)
        if line is not None:
            if line >= span.line:
                self.after_later(name, span, line)
            elif not self.diags.errors:  # e.g. assigned only inside a loop that runs no iteration
                self.diags.error(span, f"'{name}' has no node here", f"the statement on line {line} made none")
            return ()  # otherwise its statement has an error already: do not cascade
        nodes = [x for x, symbol in self.symbols.items() if symbol.members] + list(self.instances)
        guess = suggest(name, nodes)
        self.diags.error(span, f"`after` names an unknown node '{name}'",
                         f"did you mean '{guess}' (a node on line {self.describe_with_line(guess)[1]})?" if guess
                         else "`after` orders nodes: name calls defined above")
        return ()

    def after_symbol(self, symbol: NodeSymbol, span: n.Span) -> tuple[str, ...]:
        """The current iteration's node, or every member of the family (none yet: defined later)."""
        pattern = self.loop_pattern(symbol)
        if None not in pattern:
            node = symbol.members.get(cast(tuple[str, ...], pattern))  # no None in it: every loop is running
            if node is None:
                self.after_later(symbol.name, span, symbol.line)
            return (node,) if node else ()
        members = ir.referenced_nodes(self.family(symbol, pattern))
        if not members:
            self.after_later(symbol.name, span, symbol.line)
        return tuple(members)

    def after_later(self, name: str, span: n.Span, line: int) -> None:
        self.diags.error(span, f"`after` names '{name}', a node defined later (line {line})",
                         "a node runs after nodes defined above it: move this statement below that one")

    def after_instance(self, name: str, span: n.Span) -> tuple[str, ...]:
        """A used workflow's call: the nodes its outputs read (which run after all they need)."""
        instance = self.instances[name]
        if instance.branches and not self.reachable(instance.branches, name, span):
            return ()
        nodes = tuple(dict.fromkeys(x for value in instance.outputs.values() for x in ir.referenced_nodes(value)))
        if not nodes:
            self.diags.error(span, f"`after` names '{name}', a call of {instance.used.relative} whose outputs "
                             "read no node", "name a node that must finish first")
        return nodes

    def after_alias(self, item: n.AfterName, statement: str) -> tuple[str, ...]:
        """An alias of a node's result: that node (a member, for an indexed family)."""
        try:
            ref = self.unalias(n.Ref(item.name, (), item.span, item.span))
        except NotConstant:
            return ()
        mark = len(self.data_uses)
        value = self.reference(ref) if ref.name in self.symbols or ref.name in self.instances else None
        del self.data_uses[mark:]
        nodes = tuple(dict.fromkeys(ir.referenced_nodes(value))) if value is not None else ()
        if not nodes:
            what = self.describe(ref.name) or ref.name
            self.diags.error(item.span, f"`after` names '{item.name}', an alias of {what}, not of a node's result",
                             "`after` orders nodes: name calls defined above")
        if statement in (node.partition(".")[0] for node in nodes):
            self.diags.error(item.span, f"'{statement}' cannot run after itself", "`after` names other nodes")
            return ()
        return nodes

    def check_python_names(self, words: Iterable[str], span: n.Span) -> None:
        """Modules, the names imported from them and their aliases are written into
        generated Python as import statements: no Python keyword."""
        word = next((word for word in words if keyword.iskeyword(word)), None)
        if word is not None:
            self.diags.error(span, f"'{word}' is a Python keyword and cannot name a module, an import or an alias",
                             "generated programs import it with a Python import statement: choose another name")

    def check_argument_order(self, call: n.Call) -> None:
        """As in Python: positional arguments first, each keyword once."""
        if call.kwargs:
            first = call.kwargs[0].span
            for arg in call.args:
                if (arg.span.line, arg.span.col) > (first.line, first.col):
                    self.diags.error(arg.span, "a positional argument after a keyword argument",
                                     "put the positional arguments first")
        seen: set[str] = set()
        for kw in call.kwargs:
            if kw.name in seen:
                self.diags.error(kw.span, f"keyword argument '{kw.name}' is given twice")
            seen.add(kw.name)

    def check_dict_keys(self, expr: n.DictExpr) -> None:
        seen: set[str] = set()
        for key, item in expr.pairs:
            if key in seen:
                self.diags.error(item.span, f"key {key!r} appears twice in this dict",
                                 "a dict holds each key once; remove one of them")
            seen.add(key)

    def resolve_callee(self, call: n.Call) -> tuple[str, str, str | None] | None:
        """(kind, target, object node) for the callee of a call, or None after an error."""
        head, rest = call.callee[0], call.callee[1:]
        span = call.callee_span
        if head in self.aliases:
            return self.resolve_aliased(call)
        if self.is_constant_name(head):
            if self.reads_run_time_item(n.Ref(head, (), span, span)):
                self.diags.error(span, f"'{head}' is a run-time loop's item: what it holds is known when the "
                                 "workflow runs", "call an imported callable, and pass the item to it")
                return None
            value = self.named_constant(n.Ref(head, (), span, span), callables=True)
            if isinstance(value, CallableRef):  # `for name, cls in models { m = cls() }`
                return "call", ".".join((str(value), *rest)), None
        if head in self.imports:
            sym = self.imports[head]
            if sym.name is None and not rest:
                self.diags.error(span, f"'{head}' is a module, not a function",
                                 f"call one of its functions, e.g. {head}.name(...)")
                return None
            target = self.targets.get(call.callee)
            if target is None:  # one str per callee, shared by its nodes
                qualname = ".".join(([sym.name] if sym.name else []) + list(rest))
                target = self.targets[call.callee] = f"{sym.module}:{qualname}"
            return "call", target, None
        if head in self.symbols:
            return self.resolve_method(head, rest, span)
        what = self.describe(head)
        if what:
            self.diags.error(span, f"'{head}' is {what}, not a function or a node",
                             "only imported callables and object nodes' methods can be called")
        else:
            self.undefined(head, span, callable_only=not rest)
        return None

    def resolve_aliased(self, call: n.Call) -> tuple[str, str, str | None] | None:
        """The callee of `M(...)` after `M = KNN` (or `M = models.KNN`): what the alias names."""
        try:
            ref = self.unalias(n.Ref(call.callee[0], (), call.callee_span, call.callee_span))
        except NotConstant:
            return None
        if ref.indexes:
            self.diags.error(call.callee_span, f"'{call.callee[0]}' is an alias of an indexed value, not a function",
                             "call an imported callable, or a method of an object node")
            return None
        callee = (ref.name, *ref.attrs, *call.callee[1:])
        return self.resolve_callee(n.Call(callee, call.args, call.kwargs, call.span, call.callee_span))

    def resolve_method(self, head: str, rest: tuple[str, ...], span: n.Span) -> tuple[str, str, str | None] | None:
        if not rest:
            self.diags.error(span, f"'{head}' is a node, not a function", "call a method on it, e.g. "
                             f"{head}.method(...), or call an imported function")
            return None
        if len(rest) > 1:
            self.diags.error(span, f"'{'.'.join((head,) + rest)}' reaches into a node's attributes",
                             f"call a method of '{head}' directly: {head}.{rest[0]}(...)")
            return None
        value = self.node_value(head, span)
        if value is None:
            return None
        if type(value) is not ir.Ref:
            self.diags.error(span, f"'{head}' names one object per loop iteration here",
                             "call its methods inside the loop that creates it")
            return None
        if value.node in self.nodes and self.nodes[value.node].kind == "method":
            self.diags.error(span, f"'{head}' is the result of a method call, not an object node",
                             "methods can be called on a node made by an imported callable, "
                             "e.g. `obj = Class(...)`, then `obj.method(...)`")
            return None
        return "method", rest[0], value.node

    def check_objects(self) -> None:
        objects = {name for name, draft in self.nodes.items() if draft.kind == "object"}
        if not objects:
            return
        for names, span in self.after_uses:
            name = next((name for name in names if name in objects), None)
            if name is not None:
                self.diags.error(span, f"`after` names '{name}', an object node (its methods are called)",
                                 "name the method call it must follow: an object is done when its calls are")
        for value, span in self.data_uses:
            for name in ir.referenced_nodes(value):
                if name not in objects:
                    continue
                self.diags.error(span, f"'{name}' is an object node (its methods are called) and cannot be "
                                 "passed as an argument", "pass the result of one of its method calls instead")

    # --- values -------------------------------------------------------------------

    def value(self, expr: n.Expr) -> ir.Value:
        """An argument expression as an IR value; errors are reported, a placeholder returned."""
        # Fast paths for the common arguments, with the results of the general way below.
        if type(expr) is n.Literal:
            return self.literal(expr.value)
        if type(expr) is n.Ref and expr.name in self.aliases:
            try:
                expr = self.unalias(expr)
            except NotConstant:
                return ir.NONE
        if type(expr) is n.Ref and expr.name == RUN_STATUS and expr.name not in self.declared:
            return self.run_status(expr)
        if type(expr) is n.Ref and not self.is_constant_name(expr.name) and (
                expr.name in self.symbols or expr.name in self.params or expr.name in self.imports
                or expr.name in self.merged or expr.name in self.partial):
            return self.reference(expr)  # not a constant: constant_or_raise would raise, with no side effect
        try:
            return self.constant_value(self.constant_or_raise(expr))
        except NotConstant as exc:
            if exc.reported:
                return ir.NONE
        except BadConstant as exc:
            self.diags.error(exc.span, exc.message, exc.hint)
            return ir.NONE
        if isinstance(expr, n.Call):
            self.diags.error(expr.span, "a call inside an argument",
                             "give the inner call a name first: `x = " + ".".join(expr.callee) + "(...)`, then pass x")
            return ir.NONE
        if isinstance(expr, n.ListExpr):
            return self.within_nesting(ir.ListOf(tuple(self.value(item) for item in expr.items)), expr)
        if isinstance(expr, n.DictExpr):
            self.check_dict_keys(expr)
            return self.within_nesting(ir.DictOf(tuple((key, self.value(item)) for key, item in expr.pairs)), expr)
        assert isinstance(expr, n.Ref), "a literal is a constant: it returned above"
        return self.reference(expr)

    def constant_value(self, value: Any) -> ir.Value:
        """A constant as an argument: a Literal, unless it holds imported names
        (`let models = [KNN, Tree]`), which are passed as the objects they name."""
        if not self.constants_hold_imports or not holds_import(value):
            return ir.Literal(value)
        if isinstance(value, CallableRef):
            return ir.Imported(str(value))
        if isinstance(value, list):
            return ir.ListOf(tuple(self.constant_value(item) for item in value))
        return ir.DictOf(tuple((key, self.constant_value(item)) for key, item in value.items()))

    def within_nesting(self, value: ir.Value, expr: n.Expr) -> ir.Value:
        """`value`, a list or dict holding references, unless it nests deeper than
        limits.MAX_NESTING with the families and constants in it (then an error)."""
        try:
            self.check_nesting(limits.argument_nesting(value), expr)
        except BadConstant as exc:
            self.diags.error(exc.span, exc.message, exc.hint)
            return ir.NONE
        return value

    def literal(self, value: Any) -> ir.Literal:
        """Literal(value), one record per distinct scalar (values are read-only): a
        fan-out passes the same constant to every node."""
        if type(value) not in SHARED_LITERAL_TYPES:
            return ir.Literal(value)
        key = (type(value), value)  # 1, 1.0 and true are equal, yet different literals
        shared = self.literals.get(key)
        if shared is None:
            shared = self.literals[key] = ir.Literal(value)
        return shared

    def reference(self, ref: n.Ref) -> ir.Value:
        path = tuple([self.index_constant(index) for index in ref.indexes])
        if self.is_constant_name(ref.name) or None in path:
            return ir.NONE  # a wrong index, already reported
        if ref.attrs and ref.name not in self.imports:
            return self.not_an_attribute(ref)
        if ref.name in self.instances:
            return self.instance_output(ref, path)
        if ref.name in self.params:
            if not path:  # one value per param, shared by all its plain uses (values are read-only)
                return self.param_values.setdefault(ref.name, ir.ParamRef(ref.name))
            return ir.ParamRef(ref.name, path)
        if self.finals and ref.name in self.symbols and not self.across_finally(ref):
            return ir.NONE
        if ref.name in self.symbols and self.symbols[ref.name].branches and not conditions.reachable(
                self, self.symbols[ref.name].branches, ref.name, ref.name_span):
            return ir.NONE
        if ref.name in self.symbols:
            if path:
                picked = self.pick_members(self.symbols[ref.name], path, ref)
                if picked is not None:
                    return picked
            value = self.node_value(ref.name, ref.name_span)
            return self.index_node_value(value, path, ref) if value else ir.NONE
        if ref.name in self.imports:
            target = self.imported_name(ref)
            return ir.Imported(target, path) if target is not None else ir.NONE
        if ref.name in self.merged:
            return conditions.merged_value(self, ref.name, ref, path)
        if ref.name in self.partial:
            conditions.partial_use(self, ref.name, ref.name_span)
            return ir.NONE
        self.undefined(ref.name, ref.name_span)
        return ir.NONE

    def across_finally(self, ref: n.Ref) -> bool:
        """Whether a node reference keeps to its side of `finally` (an error otherwise): the rest of
        the file does not read what `finally` makes (it runs last), and `finally` reads no node of
        the rest (it runs on failure too, when they may have none: it gets run_status instead)."""
        symbol = self.symbols[ref.name]
        node = next(iter(symbol.members.values()), None)
        final = node is not None and self.nodes[node].final
        if final and not self.in_finally:
            self.diags.error(ref.name_span, f"'{ref.name}' is made in `finally`, which runs last: nothing else "
                             "reads it")
            return False
        if self.in_finally and not final:
            self.diags.error(ref.name_span, f"inside `finally`, '{ref.name}' is read: a node of the run, which may "
                             "have failed", "`finally` reads params, constants, run_status and its own nodes")
            return False
        return True

    def run_status(self, ref: n.Ref) -> ir.Value:
        """The built-in `run_status` (inside `finally` only): the run's state and its failed nodes."""
        if not self.in_finally:
            self.diags.error(ref.name_span, "run_status is known only inside `finally`",
                             "`finally { notify(run_status) }` gets how the run went")
            return ir.NONE
        path = tuple([self.index_constant(index) for index in ref.indexes])
        return ir.NONE if None in path else ir.RunStatus(path)

    def imported_name(self, ref: n.Ref) -> str | None:
        """"module:qualname" of an imported name (`KNN`, `dm.DATA`); None after an error."""
        sym = self.imports[ref.name]
        if sym.name is None and not ref.attrs:
            self.diags.error(ref.span, f"'{ref.name}' is a module; pass one of its names instead",
                             f"e.g. {ref.name}.name")
            return None
        return f"{sym.module}:{'.'.join(([sym.name] if sym.name else []) + list(ref.attrs))}"

    def not_an_attribute(self, ref: n.Ref) -> ir.Value:
        dotted = ".".join((ref.name, *ref.attrs))
        what = self.describe(ref.name)
        if what is None:
            self.undefined(ref.name, ref.span)
        else:
            self.diags.error(ref.name_span, f"'{dotted}': '{ref.name}' is {what}; only an import's names are "
                             "reached with '.'", f"index a value with [...]: {ref.name}[\"{ref.attrs[0]}\"]")
        return ir.NONE

    def pick_members(self, symbol: NodeSymbol, path: ir.Path, ref: n.Ref) -> ir.Value | None:
        """`fam[k]...` as index_node_value(node_value(...)) gives it, from symbol.tree, without
        building the whole family first (which made `g(fam[i])` in a loop quadratic).
        None, with nothing reported, unless the path picks members of a family."""
        pattern = self.loop_pattern(symbol)
        if None not in pattern:
            return None
        branch: Any = symbol.member_tree()  # dicts down to the leaves, node names
        depth = 0
        while pattern[depth] is not None:  # the running loops come first: their keys are fixed
            branch = branch.get(pattern[depth])
            depth += 1
            if branch is None:
                return None
        for i, key in enumerate(path):
            branch = branch.get(str(key))
            if branch is None:
                return None
            depth += 1
            if depth == len(pattern):  # a node: the rest of the path indexes its result
                return self.index_node_value(ir.Ref(branch), path[i + 1:], ref)
        value = self.family_at(symbol, branch, pattern, depth)
        self.data_uses.append((value, ref.span))
        return value

    def index_node_value(self, value: ir.Value, path: ir.Path, ref: n.Ref) -> ir.Value:
        if type(value) is ir.Ref:
            self.data_uses.append((value, ref.span))
            return ir.Ref(value.node, path) if path else value
        # A family is a dict keyed by loop key: a constant index picks a member.
        for depth, key in enumerate(path):
            assert isinstance(value, ir.Family), "node_value gives a Ref or a Family; a Ref returned above"
            members = dict(value.members)
            if RUNTIME_KEY in members:  # a run-time loop's results: indexed once it has run
                return gathered(value, path[depth:])
            if str(key) not in members:
                self.diags.error(ref.indexes[depth].span, f"{key!r} is not a key of the family '{ref.name}'",
                                 "keys: " + ", ".join(sorted(members)[:8]))
                return ir.NONE
            value = members[str(key)]
            if type(value) is ir.Ref:
                return self.index_node_value(value, path[depth + 1:], ref)
        self.data_uses.append((value, ref.span))
        return value

    def index_constant(self, expr: n.Expr) -> Any:
        try:
            key = self.constant_or_raise(expr)
        except NotConstant as exc:
            if not exc.reported:
                self.diags.error(expr.span, "an index must be a compile-time constant",
                                 "use a literal, a `let` constant or a loop variable")
            return None
        except BadConstant as exc:
            self.diags.error(exc.span, exc.message, exc.hint)
            return None
        if type(key) not in (int, str):
            self.diags.error(expr.span, f"an index must be an integer or a string, not {type_name(key)}")
            return None
        return key

    def is_constant_name(self, name: str) -> bool:
        return name in self.lets or self.is_loop_variable(name)

    def is_loop_variable(self, name: str) -> bool:
        for frame in self.frames:
            if name in frame.bindings:
                return True
        return False

    def node_value(self, name: str, span: n.Span) -> ir.Value | None:
        """The current iteration's node, or the family over the loops not running now."""
        symbol = self.symbols[name]
        pattern = self.loop_pattern(symbol)
        if None not in pattern:
            node = symbol.members.get(cast(tuple[str, ...], pattern))  # no None in it: every loop is running
            if node is None:
                self.diags.error(span, f"'{name}' is used before it is defined",
                                 f"it is defined on line {symbol.line}")
            return ir.Ref(node) if node else None
        family = self.family(symbol, pattern)
        if not family.members:
            self.diags.error(span, f"'{name}' is used before it is defined", f"it is defined on line {symbol.line}")
            return None
        return family

    def reachable(self, branches: conditions.BranchPath, name: str, span: n.Span) -> bool:
        """Whether a name made in `branches` may be read here (compiler.conditions.reachable)."""
        return conditions.reachable(self, branches, name, span)

    def loop_pattern(self, symbol: NodeSymbol) -> tuple[str | None, ...]:
        """Per loop of the symbol, outermost first: the running iteration's key, or None."""
        if not symbol.loops:
            return ()
        active = {frame.loop: frame.key for frame in self.frames}
        return tuple([active.get(loop) for loop in symbol.loops])

    def family(self, symbol: NodeSymbol, pattern: tuple[str | None, ...]) -> ir.Family:
        value = self.family_at(symbol, symbol.member_tree(), pattern, 0)
        return value if type(value) is ir.Family else ir.Family(symbol.name, ())

    def family_at(self, symbol: NodeSymbol, branch: Any, pattern: tuple[str | None, ...], depth: int) -> ir.Value:
        """The members under `branch` of symbol.tree, from loop `depth` on: a fixed key of the
        pattern is followed, a free one spreads into a family keyed in the order of the loop."""
        if depth == len(pattern):
            return ir.Ref(branch)
        key = pattern[depth]
        if key is not None:
            if key not in branch:  # no member in this iteration yet
                return ir.Family(symbol.name, ())
            return self.family_at(symbol, branch[key], pattern, depth + 1)
        return ir.Family(symbol.name,
                         tuple((k, self.family_at(symbol, sub, pattern, depth + 1)) for k, sub in branch.items()))

    # --- constants ------------------------------------------------------------------

    def constant(self, expr: n.Expr, callables: bool = False) -> Any:
        try:
            return self.constant_or_raise(expr, callables)
        except NotConstant as exc:
            if not exc.reported:
                self.diags.error(exc.expr.span, f"expected a compile-time constant: {exc.reason}")
        except BadConstant as exc:
            self.diags.error(exc.span, exc.message, exc.hint)
        return None

    def constant_or_raise(self, expr: n.Expr, callables: bool = False) -> Any:
        """The value of a constant expression; BadConstant for a list or dict that,
        with the constants it holds, nests deeper than limits.MAX_NESTING (a constant
        alone is never deeper: its `let` was checked)."""
        value = self.evaluate(expr, callables)
        if type(expr) in (n.ListExpr, n.DictExpr):
            self.check_nesting(limits.nesting(value), expr)
        return value

    def evaluate(self, expr: n.Expr, callables: bool = False) -> Any:
        if isinstance(expr, n.Literal):
            return expr.value
        if isinstance(expr, n.ListExpr):
            return [self.evaluate(item, callables) for item in expr.items]
        if isinstance(expr, n.DictExpr):
            self.check_dict_keys(expr)
            return {key: self.evaluate(item, callables) for key, item in expr.pairs}
        if isinstance(expr, n.Call):
            if expr.callee == ("range",) and "range" not in self.declared:
                return self.range_value(expr)
            raise NotConstant(expr, "a call is not a constant")
        if expr.name in self.aliases:
            expr = self.unalias(expr)
        if expr.attrs and expr.name not in self.imports:
            self.not_an_attribute(expr)
            raise NotConstant(expr, "not an attribute", reported=True)
        value = self.named_constant(expr, callables)
        if expr.indexes and isinstance(value, CallableRef):
            dotted = ".".join((expr.name, *expr.attrs))
            raise NotConstant(expr, f"'{dotted}' is imported, its value known only when the workflow runs; "
                              "pass it as an argument")
        for index in expr.indexes:
            value = index_value(value, self.evaluate(index), index.span)
        return value

    def range_value(self, call: n.Call) -> list[int]:
        """`range(N)`, `range(A, B)`, `range(A, B, STEP)`: as Python's, of integer constants."""
        if call.kwargs or not 1 <= len(call.args) <= 3:
            raise BadConstant(call.span, "range() takes one to three integers: range(N), range(A, B), "
                              "range(A, B, STEP)")
        bounds = [self.evaluate(arg) for arg in call.args]
        for arg, bound in zip(call.args, bounds, strict=True):
            if type(bound) is not int:
                raise BadConstant(arg.span, f"range() takes integers, not {type_name(bound)}")
        if len(bounds) == 3 and bounds[2] == 0:
            raise BadConstant(call.args[2].span, "range() step must not be zero")
        numbers = range(*bounds)
        if len(numbers) > limits.MAX_EXPANSION:
            raise BadConstant(call.span, f"range() of {len(numbers):,} numbers: beyond the limit of "
                              f"{limits.MAX_EXPANSION:,} nodes or loop iterations")
        return list(numbers)

    @staticmethod
    def check_nesting(depth: int, expr: n.Expr) -> None:
        if depth > limits.MAX_NESTING:
            error = limits.too_deep(depth)
            raise BadConstant(expr.span, error.message, error.hint)

    def named_constant(self, ref: n.Ref, callables: bool) -> Any:
        for frame in reversed(self.frames):
            if ref.name in frame.bindings:
                found = frame.bindings[ref.name]
                if type(found) is RuntimeItem:  # the body's statements say what it is (compiler.fanout)
                    raise NotConstant(ref, f"'{ref.name}' is a run-time loop's item, known when the workflow runs",
                                      reported=True)
                return found
        if ref.name in self.lets:
            return self.lets[ref.name]
        if callables and ref.name in self.imports and (self.imports[ref.name].name is not None or ref.attrs):
            target = self.imported_name(ref)
            assert target is not None, "a module with attributes, or an imported name: no error"
            return CallableRef(target)
        what = self.describe(ref.name)
        if what is None:
            self.undefined(ref.name, ref.name_span)
            raise NotConstant(ref, f"'{ref.name}' is undefined", reported=True)
        raise NotConstant(ref, f"'{ref.name}' is {what}")

    # --- names ----------------------------------------------------------------------

    def declare(self, name: str, span: n.Span, kind: str) -> bool:
        """Record a new top-level name; False (and an error) when it is taken."""
        if name in self.symbols and kind == "node":
            return True
        what, line = self.describe_with_line(name)
        if what is None:
            return True
        self.diags.error(span, f"'{name}' is already defined as {what} on line {line}",
                         "names of imports, params, constants and nodes share one namespace")
        return False

    def describe(self, name: str) -> str | None:
        return self.describe_with_line(name)[0]

    def describe_with_line(self, name: str) -> tuple[str | None, int]:
        for frame in reversed(self.frames):
            if name in frame.bindings:
                return "a loop variable", frame.line
        if name in self.imports:
            return ("an imported module" if self.imports[name].name is None else "an import"), self.imports[name].line
        if name in self.params:
            return "a param", self.param_lines[name]
        if name in self.lets:
            return "a constant", self.let_lines[name]
        if name in self.symbols:
            return "a node", self.symbols[name].line
        if name in self.merged:
            return "a node", self.merged[name].line
        if name in self.partial:
            return "a node", self.partial[name].line
        if name in self.aliases:
            return "an alias", self.aliases[name].line
        if name in self.used:
            return "a used workflow", self.used[name].line
        if name in self.instances:
            return "a used workflow's call", self.instances[name].line
        return None, 0

    def undefined(self, name: str, span: n.Span, callable_only: bool = False) -> None:
        line = self.declared.get(name)
        if line is not None and line > span.line:
            self.diags.error(span, f"'{name}' is used before it is defined", f"it is defined on line {line}")
            return
        if line is not None:
            if not self.diags.errors:  # e.g. assigned only inside a loop that runs no iteration
                self.diags.error(span, f"'{name}' has no node here", f"the statement on line {line} made none")
            return  # otherwise its statement has an error already: do not cascade
        names = list(self.imports) if callable_only else self.visible_names()
        # not the node being defined by this very statement
        names = [x for x in names if x not in self.symbols or self.symbols[x].members]
        guess = suggest(name, names)
        hint = ""
        if guess:
            what, line = self.describe_with_line(guess)
            hint = f"did you mean '{guess}'" + (f" ({what} on line {line})?" if line else "?")
        self.diags.error(span, f"undefined name '{name}'", hint)

    def visible_names(self) -> list[str]:
        names = list(self.imports) + list(self.params) + list(self.lets) + list(self.symbols) + list(self.aliases) \
            + list(self.used) + list(self.instances) + list(self.merged) + list(self.partial)
        for frame in self.frames:
            names.extend(frame.bindings)
        return names


def _after_span(names: tuple[n.AfterName, ...]) -> n.Span:
    return names[0].span.to(names[-1].span)


def define_value(text: str, expected: str | None) -> Any:
    """The value a `-D` text gives a `let` of type `expected` (None: any type), read as
    a `-p` value is; the text itself when it does not read as that type (the caller
    says so). LimitError for what no target could write: NaN, too many digits, too deep
    a nesting, a lone surrogate (a byte of the command line that is not UTF-8)."""
    if expected != "str" and _INTEGER.fullmatch(text):
        limits.integer(text.strip())  # json would refuse it as a number, and take it for text
    try:
        value = parse_text(text, expected)
    except ParamError:
        return text
    except RecursionError:  # json's own limit on nesting, far beyond ours
        raise limits.too_deep(None) from None
    depth = limits.nesting(value)
    if depth > limits.MAX_NESTING:
        raise limits.too_deep(depth)
    problem = value_problem(value, "-D values")  # NaN, a lone surrogate: as a -p value
    if problem is not None:
        raise limits.LimitError(problem)
    return value


_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def generated_names(statements: tuple[n.Stmt, ...]) -> dict[int, str]:
    """Names for bare calls: `<callee>_<n>`, numbered per callee in source order,
    skipping names the file declares itself, so unrelated edits never renumber them."""
    assigned: set[str] | None = None  # worked out at the first bare call: many files have none
    counters: dict[str, int] = {}
    names: dict[int, str] = {}
    for stmt in walk(statements):
        if isinstance(stmt, n.CallStmt):
            if assigned is None:
                assigned = declared_names(statements)
            base = "_".join(stmt.call.callee)
            number = counters.get(base, 0) + 1
            while f"{base}_{number}" in assigned:
                number += 1
            counters[base] = number
            names[id(stmt)] = f"{base}_{number}"
    return names


def declared_names(statements: tuple[n.Stmt, ...]) -> set[str]:
    """Every name a statement of the file binds: nodes, params, constants, imports, loop variables."""
    names = set(declared_lines(statements))
    for stmt in walk(statements):
        if isinstance(stmt, n.ForStmt):
            names.update(stmt.names)
    return names


def declared_lines(statements: tuple[n.Stmt, ...]) -> dict[str, int]:
    """Nodes, params, constants and imports, each with the line of its first declaration."""
    lines: dict[str, int] = {}
    for stmt in walk(statements):
        if isinstance(stmt, (n.AssignStmt, n.ParamStmt, n.LetStmt)):
            lines.setdefault(stmt.name, stmt.span.line)
        elif isinstance(stmt, n.FromImport):
            for item in stmt.names:
                lines.setdefault(item.alias, stmt.span.line)
        elif isinstance(stmt, (n.ImportModule, n.UseStmt)):
            lines.setdefault(stmt.alias, stmt.span.line)
    return lines


def walk(statements: tuple[n.Stmt, ...]) -> Iterator[n.Stmt]:
    for stmt in statements:
        yield stmt
        if isinstance(stmt, (n.ForStmt, n.FinallyStmt)):
            yield from walk(stmt.body)
        elif isinstance(stmt, n.IfStmt):
            for branch in stmt.branches:
                yield from walk(branch.body)
