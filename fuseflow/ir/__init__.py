"""The IR: the typed, immutable workflow every target is generated from and the runtime runs.

Below the compiler and the runtime alike (it imports nothing else of
fuseflow): the compiler builds it (fuseflow.compiler.frontend), generators
fold over it, `fusec compile --target ir` writes it as JSON (ir.json), and
docs/ir.md describes it.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .conditions import Branch, Decision
from .json import IR_VERSION, JSON_WIDTH, dumps, value_from_data, value_to_data
from .loops import FanOut, Loop, Statement, keyed, loop_key
from .values import (
    NONE,
    And,
    Compare,
    DictOf,
    Family,
    Gathered,
    Imported,
    ListOf,
    Literal,
    LoopFamily,
    LoopRef,
    LoopVar,
    Not,
    OneOf,
    Or,
    ParamRef,
    Path,
    Ref,
    RunStatus,
    Value,
    constant,
    data_of,
    holds_imported,
)
from .walk import Transformer, Visitor, children, loop_statements, referenced_nodes, referenced_params, walk
from .workflow import Import, Node, Output, Param, Use, Workflow, from_data, ordering, to_data

if TYPE_CHECKING:
    from .fanout import NotIterable, expand_fanout, fanout_decisions, fanout_inputs, gathering
    from .needed import needed_nodes

# Loaded when first asked for (PEP 562): a run of a workflow without run-time loops, which
# reads the IR, never needs their expansion, and each module is part of every start's cost.
_LAZY = {"NotIterable": "fanout", "expand_fanout": "fanout", "fanout_decisions": "fanout", "fanout_inputs": "fanout",
         "gathering": "fanout", "needed_nodes": "needed"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "And", "Branch", "Compare", "Decision", "Not", "OneOf", "Or", "DictOf", "Family", "FanOut", "Gathered",
    "IR_VERSION", "Import", "Imported", "JSON_WIDTH", "ListOf", "Literal", "Loop", "LoopFamily", "LoopRef", "LoopVar",
    "NONE", "Node", "NotIterable", "Output", "Param", "ParamRef", "Path", "Ref", "RunStatus", "Statement",
    "Transformer", "Use", "Value", "Visitor", "Workflow", "children", "constant", "data_of", "dumps", "expand_fanout",
    "fanout_decisions", "fanout_inputs", "from_data", "gathering", "holds_imported", "keyed", "loop_key",
    "loop_statements", "needed_nodes", "ordering", "referenced_nodes", "referenced_params", "to_data",
    "value_from_data", "value_to_data", "walk",
]
