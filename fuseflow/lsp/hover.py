"""Hover: what the word under the cursor is, in Markdown.

- a node (where it is named or used): its name with the loop keys, every
  node it makes in a loop (`model.linear.poly1`, ...), its callable's
  signature and docstring, and its effective options per target, as
  `fusec nodes --target T` shows them;
- a callable or a module: its signature and docstring, when it imports;
- an alias (`X = split["X_train"]`, where it is named or used): what it
  stands for, with the aliases in it followed, and what that is: a node, a
  param, a constant, a loop variable, or an imported name with its signature;
- a word of a dotted reference (`dm.DATA[0]`): as a callee's;
- a param, a constant, a loop variable: its statement;
- an option key: what the option does (fuseflow.schemas).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from lsprotocol import types

from .. import ir
from .. import targets as registry
from ..compiler import nodes as n
from ..schemas import known_options
from .callees import callee_target, node_call, target_of
from .documents import Analysis
from .index import Definition, Occurrence
from .positions import Lines
from .python import Found, find

log = logging.getLogger(__name__)

SHOWN_NODES = 6  # a family's node names listed in full up to this many
SHOWN_LINES = 12  # a statement shown up to this many lines


def hover(analysis: Analysis, lines: Lines, position: types.Position) -> types.Hover | None:
    occurrence = analysis.index.at(*lines.at(position))
    if occurrence is None:
        return None
    text = "\n\n".join(_sections(analysis, occurrence))
    if not text:
        return None
    markdown = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return types.Hover(contents=markdown, range=lines.range(occurrence.span))


def _sections(analysis: Analysis, occurrence: Occurrence) -> Iterator[str]:
    definition = occurrence.definition
    if occurrence.role == "option":
        yield from _option(occurrence)
    elif definition is not None and definition.kind == "node":  # named, used, or the object of `c.method(...)`
        yield from _node(analysis, definition)
    elif definition is not None and definition.kind in ("param", "let", "loop"):
        yield _code(_statement_text(analysis, definition))
    elif definition is not None and definition.kind == "alias":
        yield from _alias(analysis, definition)
    else:
        target = target_of(occurrence, analysis.index)
        if target is not None:
            yield from _python(analysis, target)


# --- nodes ---------------------------------------------------------------------------


def _node(analysis: Analysis, definition: Definition) -> Iterator[str]:
    loops = analysis.index.loops.get(id(definition.statement), ())
    keys = "".join(f".<{', '.join(loop.names)}>" for loop in loops)
    call = node_call(definition)
    callee = ".".join(call.callee) if call else "?"
    yield f"**{definition.name}**{keys} = `{callee}(…)`" + (" — a node in a loop, one per iteration" if loops else "")
    nodes = _nodes_of(analysis.workflow, call)
    if nodes:
        yield _names(nodes)
    joined = analysis.index.definitions_of(definition)
    if len(joined) > 1:  # a name every branch of an `if` assigns
        made = [node for d in joined for node in _nodes_of(analysis.workflow, node_call(d))]
        yield (f"assigned in each of {len(joined)} branches of an `if`: after it, the node of the branch taken"
               + (f" ({', '.join(f'`{node.name}`' for node in made)})" if made else ""))
    elif analysis.workflow is None:
        yield "_its nodes and options show once the file has no errors_"
    if call is not None:
        target = callee_target(call.callee, analysis.index, call.callee_span)
        if target is not None:
            yield from _python(analysis, target)
    if nodes and analysis.workflow is not None:
        yield _options(analysis.workflow, nodes)


def _nodes_of(workflow: ir.Workflow | None, call: n.Call | None) -> list[ir.Node]:
    """The IR's nodes made by one call of the file (one per loop iteration)."""
    if workflow is None or call is None:
        return []
    span = (call.span.line, call.span.col, call.span.end_line, call.span.end_col)
    return [node for node in workflow.nodes if node.span == span]


def _names(nodes: list[ir.Node]) -> str:
    names = [f"`{node.name}`" for node in nodes]
    if len(names) > SHOWN_NODES:
        names = [*names[:SHOWN_NODES - 2], "…", *names[-2:]]
    count = f"{len(nodes)} nodes: " if len(nodes) > 1 else "node "
    return count + ", ".join(names)


def _options(workflow: ir.Workflow, nodes: list[ir.Node]) -> str:
    """Each target's options, as `fusec nodes --target T` shows them; nodes with the same ones together."""
    rows = []
    for name in ["neutral", *registry.names()]:
        groups: dict[str, list[str]] = {}
        for node in nodes:
            shown = _applied(name, node, workflow)
            if shown:
                groups.setdefault(json.dumps(shown, sort_keys=name == "neutral", default=str), []).append(node.name)
        for text, members in groups.items():
            which = "" if len(members) == len(nodes) else f" ({_few(members)})"
            rows.append(f"- {name}{which}: `{text}`")
    return "**Options**\n\n" + ("\n".join(rows) if rows else "none")


def _applied(target: str, node: ir.Node, workflow: ir.Workflow) -> dict[str, object]:
    if target == "neutral":
        return dict(node.options.get("neutral", {}))
    try:
        return dict(registry.get(target).applied(node, workflow).as_dict())
    except Exception:  # a target of another package failing: its row is left out, the hover still shows
        log.exception("target %s: applied(%s)", target, node.name)
        return {}


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


# --- aliases ------------------------------------------------------------------------------

ROOTS = {"node": "a node", "param": "a param", "let": "a constant", "loop": "a loop variable",
         "import": "an imported name", "module": "an imported module"}


def _alias(analysis: Analysis, definition: Definition) -> Iterator[str]:
    """`X = split["X_train"]`: what X stands for, and what that is."""
    ref = definition.aliased
    assert ref is not None  # an alias's statement assigns a reference
    written = analysis.index.text(ref.span)
    loops = analysis.index.loops.get(id(definition.statement), ())
    where = ""
    if definition.scope is not None:
        made_in = "a loop" if any(loop.span == definition.scope for loop in loops) else "an `if` branch"
        where = f" made in {made_in}, used only inside it"
    yield f"**{definition.name}** = `{written}` — an alias{where}: no node, `{definition.name}` reads `{written}`"
    unaliased = analysis.index.unaliased(definition)
    if unaliased is None:
        return
    meaning, root = unaliased
    if meaning != written:
        yield f"that is `{meaning}`"
    target = target_of(Occurrence(definition.name, definition.span, "reference", definition), analysis.index)
    if target is not None:
        yield from _python(analysis, target)
    elif root is not None and root.kind in ("param", "let", "loop"):
        yield f"`{root.name}` is {ROOTS[root.kind]}:\n\n" + _code(_statement_text(analysis, root))
    elif root is not None and root.kind in ROOTS:
        call = node_call(root)
        yield f"`{root.name}` is {ROOTS[root.kind]}" + (f": `{'.'.join(call.callee)}(…)`" if call else "")


# --- Python, statements, options ----------------------------------------------------------


def _python(analysis: Analysis, target: str) -> Iterator[str]:
    found = find(target, analysis.folder)
    if found is None:
        yield f"`{target}` _(not importable from here: no signature to show)_"
        return
    if found.signature is not None:
        yield _code(_signature(found), "python")
    where = f" — {found.file}" + (f":{found.line}" if found.line else "") if found.file else ""
    yield f"`{target}`{where}"
    if found.value_type is not None:  # `dm.DATA`: no signature, no docstring of its own
        yield f"a `{found.value_type}` value"
    if found.doc:
        yield found.doc


def _signature(found: Found) -> str:
    name = found.name.rpartition(":")[2].rpartition(".")[2]
    return f"{'class' if found.is_class else 'def'} {name}{found.signature}"


def _statement_text(analysis: Analysis, definition: Definition) -> str:
    stmt = definition.statement
    if isinstance(stmt, n.ForStmt):  # the loop's head, not its body
        names = ", ".join(stmt.names)
        return f"for {names} in {analysis.index.text(stmt.iterable.span)}"
    text = analysis.index.text(stmt.span).splitlines()
    return "\n".join(text[:SHOWN_LINES] + (["…"] if len(text) > SHOWN_LINES else []))


def _option(occurrence: Occurrence) -> Iterator[str]:
    target, scope = occurrence.words
    try:
        spec = known_options(target, scope).get(occurrence.name)
    except ValueError:  # a target the schemas do not know (reported as an error already)
        return
    if spec is None:
        return
    where = f"{'' if target == 'neutral' else target + ' '}{'workflow ' if scope == 'workflow' else ''}option"
    yield f"**{spec.name}**: {where}, {spec.kind}" + (f" ({', '.join(spec.choices)})" if spec.choices else "")
    yield spec.doc
    if spec.api:
        yield "becomes " + ", ".join(f"`{api}`" for api in spec.api)


def _code(text: str, language: str = "fuse") -> str:
    return f"```{language}\n{text}\n```"
