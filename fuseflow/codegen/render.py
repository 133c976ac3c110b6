"""The Jinja2 environment a target renders its templates with: `render(package, template, ...)`.

Each target keeps its templates in its own package (`fuseflow/targets/ray/templates/`).
"""
from __future__ import annotations

import functools
from typing import Any


@functools.cache
def environment(package: str):
    # Imported here, when a template is first rendered: `fusec run`, `check` and
    # `--version` never render one, and Jinja2 costs some 12 ms to import.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # the output is code; everything from the file is escaped by escape.py first
    )


def render(package: str, template: str, **context: Any) -> str:
    """The template `template` of `package` (a target's package) with `context`."""
    return environment(package).get_template(template).render(**context)
