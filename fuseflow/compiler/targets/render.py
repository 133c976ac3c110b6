"""The Jinja2 environment every target renders its templates with."""
from __future__ import annotations

import functools
from typing import Any

import jinja2


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fuseflow", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # the output is code; everything from the file is escaped by escape.py first
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
