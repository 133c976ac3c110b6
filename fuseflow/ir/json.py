"""The IR's values as JSON, and the JSON layout: where typed records meet plain data.

`fusec compile --target ir` prints it and tools read it; docs/ir.md
describes the format. A value is a small tagged object:

    {"literal": 3}   {"param": "a", "path": [0]}   {"ref": "s1", "path": []}
    {"list": [...]}  {"dict": [["k", value], ...]}  {"family": "acc", "members": [["moons", value], ...]}
    {"callable": "module:qualname"}

and, in the statements of loop descriptions only (fuseflow.ir.loops):

    {"loop_var": "spec", "path": ["kind"]}  {"loop_ref": "parts", "path": [0]}  {"loop_family": "x", "fixed": 1}

and, with conditions (fuseflow.ir.conditions):

    {"one_of": "if-1", "members": [value, ...]}
    {"compare": ">=", "left": value, "right": value}  {"and": [value, ...]}  {"or": [value, ...]}  {"not": value}

`from_data(to_data(wf)) == wf`, and the text is deterministic: it depends
only on the workflow.
"""
from __future__ import annotations

import json
from typing import Any

from .values import (
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
    Ref,
    RunStatus,
    Value,
)

IR_VERSION = 1
JSON_WIDTH = 100


def value_to_data(value: Value) -> Any:
    if type(value) is Literal:
        return {"literal": value.value}
    if type(value) is ParamRef:
        return {"param": value.name, "path": list(value.path)}
    if type(value) is Ref:
        return {"ref": value.node, "path": list(value.path)}
    if type(value) is ListOf:
        return {"list": [value_to_data(item) for item in value.items]}
    if type(value) is DictOf:
        return {"dict": [[key, value_to_data(item)] for key, item in value.items]}
    if type(value) is Family:
        return {"family": value.name, "members": [[key, value_to_data(m)] for key, m in value.members]}
    if type(value) is Imported:
        return {"callable": value.target, "path": list(value.path)} if value.path else {"callable": value.target}
    if type(value) is LoopVar:
        return {"loop_var": value.name, "path": list(value.path)}
    if type(value) is LoopRef:
        return {"loop_ref": value.statement, "path": list(value.path)}
    if type(value) is LoopFamily:
        return {"loop_family": value.statement, "fixed": value.fixed}
    if type(value) is Gathered:
        return {"gathered": value.statement, "keys": list(value.keys), "path": list(value.path)}
    if type(value) is RunStatus:
        return {"run_status": list(value.path)}
    if type(value) is OneOf:
        return {"one_of": value.decision, "members": [value_to_data(m) for m in value.members]}
    if type(value) is Compare:
        return {"compare": value.op, "left": value_to_data(value.left), "right": value_to_data(value.right)}
    if type(value) is And:
        return {"and": [value_to_data(item) for item in value.items]}
    if type(value) is Or:
        return {"or": [value_to_data(item) for item in value.items]}
    if type(value) is Not:
        return {"not": value_to_data(value.item)}
    raise TypeError(f"not an IR value: {value!r}")


def value_from_data(data: dict[str, Any]) -> Value:
    if "literal" in data:
        return Literal(data["literal"])
    if "param" in data:
        return ParamRef(data["param"], tuple(data["path"]))
    if "ref" in data:
        return Ref(data["ref"], tuple(data["path"]))
    if "list" in data:
        return ListOf(tuple(value_from_data(item) for item in data["list"]))
    if "dict" in data:
        return DictOf(tuple((key, value_from_data(item)) for key, item in data["dict"]))
    if "family" in data:
        return Family(data["family"], tuple((key, value_from_data(m)) for key, m in data["members"]))
    if "callable" in data:
        return Imported(data["callable"], tuple(data.get("path", ())))
    if "loop_var" in data:
        return LoopVar(data["loop_var"], tuple(data["path"]))
    if "loop_ref" in data:
        return LoopRef(data["loop_ref"], tuple(data["path"]))
    if "gathered" in data:
        return Gathered(data["gathered"], tuple(data["keys"]), tuple(data["path"]))
    if "run_status" in data:
        return RunStatus(tuple(data["run_status"]))
    if "loop_family" in data:
        return LoopFamily(data["loop_family"], data["fixed"])
    if "one_of" in data:
        return OneOf(data["one_of"], tuple(value_from_data(m) for m in data["members"]))
    if "compare" in data:
        return Compare(data["compare"], value_from_data(data["left"]), value_from_data(data["right"]))
    if "and" in data:
        return And(tuple(value_from_data(item) for item in data["and"]))
    if "or" in data:
        return Or(tuple(value_from_data(item) for item in data["or"]))
    if "not" in data:
        return Not(value_from_data(data["not"]))
    raise ValueError(f"not an IR value: {data!r}")


def dumps(value: Any, indent: int = 0, lead: int = 0) -> str:
    """JSON with short lists and dicts on one line, so golden diffs stay readable.

    A list or dict goes on one line when that line (with its indentation and
    key, `lead`) fits in JSON_WIDTH columns; otherwise one item per line. The
    outermost value is always spread out. Deterministic: it depends only on
    the value.
    """
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (list, tuple, dict)) or not value or (indent and indent + lead + len(flat) < JSON_WIDTH):
        return flat
    pad = " " * (indent + 2)
    if not isinstance(value, dict):
        items = [pad + dumps(item, indent + 2) for item in value]
    else:
        items = []
        for key, item in value.items():
            head = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + head + dumps(item, indent + 2, len(head)))
    open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return open_ + "\n" + ",\n".join(items) + "\n" + " " * indent + close
