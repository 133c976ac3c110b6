"""The IR: the typed, immutable workflow every target is generated from and the runtime runs.

Below the compiler and the runtime alike (it imports nothing else of
fuseflow): the compiler builds it (fuseflow.compiler.frontend), generators
fold over it, `fusec compile --target ir` writes it as JSON (ir.json), and
docs/ir.md describes it.
"""
from __future__ import annotations

from .json import IR_VERSION, JSON_WIDTH, dumps, value_from_data, value_to_data
from .loops import Loop, Statement, keyed, loop_key
from .needed import needed_nodes
from .values import (
    NONE,
    DictOf,
    Family,
    Imported,
    ListOf,
    Literal,
    LoopFamily,
    LoopRef,
    LoopVar,
    ParamRef,
    Path,
    Ref,
    Value,
    constant,
    data_of,
    holds_imported,
)
from .walk import Transformer, Visitor, children, loop_statements, referenced_nodes, referenced_params, walk
from .workflow import Import, Node, Output, Param, Use, Workflow, from_data, ordering, to_data

__all__ = [
    "IR_VERSION", "JSON_WIDTH", "NONE", "DictOf", "Family", "Import", "Imported", "ListOf", "Literal", "Loop",
    "LoopFamily", "LoopRef", "LoopVar", "Node", "Output", "Param", "ParamRef", "Path", "Ref", "Statement",
    "Transformer", "Use", "Value", "Visitor", "Workflow", "children", "constant", "data_of", "dumps", "from_data",
    "holds_imported", "keyed", "loop_key", "needed_nodes", "ordering",
    "loop_statements", "referenced_nodes", "referenced_params", "to_data", "value_from_data", "value_to_data", "walk",
]
