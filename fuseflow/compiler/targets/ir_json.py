"""`--target ir`: the intermediate DAG as JSON, for tools and debugging."""
from __future__ import annotations

from ...ir import Workflow


def generate(workflow: Workflow) -> str:
    return workflow.to_json()
