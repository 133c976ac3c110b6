"""A generated module's imports, sorted and grouped as ruff's isort rule (I001) wants them.

    block([Import("sys"), Import("fuseflow.targets.local", "runtime", "rt"), Import("m", "add")])

gives the standard library's imports, then every other module's (fuseflow's and
the workflow's own, which ruff cannot tell apart in a folder of their own), a
blank line between the two; in each, `import m` lines first, then `from m import
...` lines, by module, case aside and numbers by value; names in a `from` line
constants first, then classes, then the rest; a name imported `as` another on
a line of its own. `from __future__ import annotations` is the template's.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from ..ir import Workflow
from .pretty import WIDTH


@dataclass(frozen=True, slots=True)
class Import:
    """`import module [as alias]` (name None), or `from module import name [as alias]`."""

    module: str
    name: str | None = None
    alias: str | None = None  # None: the module's or the name's own

    def bound(self) -> str:
        """The name the statement binds in the module."""
        return self.alias or self.name or self.module.partition(".")[0]


def workflow_imports(wf: Workflow, used: set[str]) -> list[Import]:
    """The file's imports the module uses (`used`: their aliases); an import that only options
    name is looked up by name when the node runs, and an unused one is not imported."""
    return [Import(item.module, item.name, item.alias) for item in wf.imports if item.alias in used]


def block(imports: list[Import]) -> str:
    """The import statements, grouped and sorted (no blank line before or after)."""
    sections: list[list[Import]] = [[], []]
    for item in dict.fromkeys(imports):
        sections[item.module.partition(".")[0] not in sys.stdlib_module_names].append(item)
    return "\n\n".join("\n".join(_section(section)) for section in sections if section)


def _section(items: list[Import]) -> list[str]:
    items = [_from_form(i) for i in items]
    straight = sorted((i for i in items if i.name is None), key=lambda i: (_natural(i.module), _natural(i.alias or "")))
    lines = [f"import {i.module}" + (f" as {i.alias}" if i.alias and i.alias != i.module else "") for i in straight]
    statements: dict[tuple[str, str | None], list[Import]] = {}
    for item in items:
        if item.name is not None:
            aliased = item.alias is not None and item.alias != item.name
            statements.setdefault((item.module, f"{item.name} as {item.alias}" if aliased else None), []).append(item)
    ordered = sorted(statements.items(), key=lambda pair: (_natural(pair[0][0]), _member(pair[1][0].name or "")))
    for (module, aliased), members in ordered:
        names = [aliased] if aliased else [m.name for m in sorted(members, key=lambda m: _member(m.name or ""))]
        lines.append(_from_line(module, names))  # type: ignore[arg-type]
    return lines


def _from_form(item: Import) -> Import:
    """`import a.b as b` is `from a import b` (as ruff's PLR0402 would have it)."""
    if item.name is None and item.alias and "." in item.module and item.module.rpartition(".")[2] == item.alias:
        parent, _, last = item.module.rpartition(".")
        return Import(parent, last, last)
    return item


def _from_line(module: str, names: list[str]) -> str:
    flat = f"from {module} import {', '.join(names)}"
    if len(flat) <= WIDTH:
        return flat
    return f"from {module} import (\n" + "".join(f"    {name},\n" for name in names) + ")"


def _member(name: str) -> tuple:
    """isort's order of imported names: CONSTANTS, then Classes, then the rest."""
    if len(name) > 1 and name.isupper():
        rank = 0
    elif name[:1].isupper():
        rank = 1
    else:
        rank = 2
    return (rank, _natural(name))


def _natural(text: str) -> tuple:
    """Case aside, then as written; runs of digits by value (step9 before step10)."""
    return (_chunks(text.lower()), _chunks(text))


def _chunks(text: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)
