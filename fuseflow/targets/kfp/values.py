"""Strings through Kubeflow Pipelines without KFP reading them as placeholders.

KFP substitutes placeholders in a step's command and in its string
parameters: kfp.local replaces `{{$.pipeline_job_name}}`, `{{$}}`,
`{{$.inputs.parameters['x']}}`, ... anywhere in a parameter value and in
every command element, and rewrites `/kfp-workspace`; a KFP backend's driver
resolves a constant that *is* a placeholder (`{{$.pipeline_task_name}}`, a
`{{channel:...}}` reference) or holds `{{$.workspace_path}}`, and its
launcher substitutes inside the executor input it hands the step. A user's
string that held such text would come back changed, or put another value
into the step.

So every string fuseflow sends as a KFP parameter (literals, param values,
node names, the store's URL) goes through `encode`, and the step reads it
back with `decode`. A string KFP could read as a placeholder, or that
starts with PREFIX, travels as PREFIX followed by its JSON text with `{`,
`}` and `/` escaped (`\\u007b`, `\\u007d`, `\\u002f`), so that neither it
nor any JSON text holding it has a mark left; every other string travels as
it is::

    >>> encode("{{$.pipeline_job_name}}")
    'fuseflow-json:"\\\\u007b\\\\u007b$.pipeline_job_name\\\\u007d\\\\u007d"'
    >>> decode(encode(["{{$}}", {"/kfp-workspace": "plain"}]))
    ['{{$}}', {'/kfp-workspace': 'plain'}]

Text that must stay in the command (the step's program) breaks the marks
instead, in that text's own escapes (`break_marks`).

This module is part of the runtime: the compiler encodes with it and the
step decodes with it, so both sides agree by construction.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

PREFIX = "fuseflow-json:"
# What KFP may take for a placeholder: `{{` starts every one; kfp.local rewrites the workspace path.
_MARK = re.compile(r"\{\{|/kfp-workspace")
# The first character of each mark, so that escaping it breaks the mark (`{{{` has two).
_MARK_START = re.compile(r"\{(?=\{)|/(?=kfp-workspace)")
_JSON_ESCAPES = str.maketrans({"{": "\\u007b", "}": "\\u007d", "/": "\\u002f"})


def has_mark(text: str) -> bool:
    """Whether KFP could read something in `text` as a placeholder."""
    return _MARK.search(text) is not None


def break_marks(text: str, escape: Callable[[str], str]) -> str:
    """`text` with the first character of every mark written by `escape`
    (e.g. `\\x7b` inside a Python string): the marks are gone from the text."""
    return _MARK_START.sub(lambda match: escape(match.group()), text)


def encode(value: Any) -> Any:
    """`value` with every string (dict keys too) safe to send as a KFP parameter."""
    if isinstance(value, str):
        if not has_mark(value) and not value.startswith(PREFIX):
            return value
        return PREFIX + json.dumps(value, ensure_ascii=False).translate(_JSON_ESCAPES)
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {encode(key): encode(item) for key, item in value.items()}
    return value


def decode(value: Any) -> Any:
    """The value `encode` was given."""
    if isinstance(value, str):
        return json.loads(value[len(PREFIX):]) if value.startswith(PREFIX) else value
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        return {decode(key): decode(item) for key, item in value.items()}
    return value
