"""Code generators, one module per target, registered by name.

A target turns an IR Workflow into one artifact (text). `fusec compile
--target NAME` looks the name up here; backends' own libraries are imported
only by the code a target generates, never by the generator.
"""
from __future__ import annotations

import importlib
from typing import Callable

from ...ir import Workflow

# name -> module under fuseflow.compiler.targets that defines generate(workflow) -> str
REGISTRY = {
    "ir": "ir_json",
    "local": "local",
    "ray": "ray",
    "prefect": "prefect_target",
    "kfp": "kfp_target",
}


def known_targets() -> list[str]:
    return sorted(REGISTRY)


def generator(name: str) -> Callable[[Workflow], str]:
    module = importlib.import_module(f"{__name__}.{REGISTRY[name]}")
    return module.generate
