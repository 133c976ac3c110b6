"""`embed_modules`: the sources of the user's own modules, written into the KFP YAML.

A module is named as Python imports it (`ops`, `pkg.sub`; the option schema
refuses anything else) and looked up beside the .fuse file, then in the
working directory: `ops.py`, or every `.py` file of the package `pkg/`.
Only files inside that folder are read: a module reached through a symlink
that leads elsewhere is an error, as is a module found nowhere, both at the
option's line and column.
"""
from __future__ import annotations

from pathlib import Path

from ...compiler.errors import CompileError, target_error
from ...ir import Workflow


def find_modules(wf: Workflow, base_dir: str | Path | None = None) -> dict[str, dict[str, str]]:
    """{module: {relative path: text}} for every module some `embed_modules` option
    names; `base_dir` (default: the .fuse file's folder) is searched first."""
    names = set(wf.workflow_options.get("kfp", {}).get("embed_modules", ()))
    for node in wf.nodes:
        names.update(node.options.get("kfp", {}).get("embed_modules", ()))
    folders = [Path(base_dir) if base_dir is not None else Path(wf.source).parent, Path.cwd()]
    return {name: module_files(wf, name, folders) for name in sorted(names)}


def module_files(wf: Workflow, name: str, folders: list[Path]) -> dict[str, str]:
    """The module's files in the first folder that has it, by path relative to the folder."""
    relative = Path(*name.split("."))
    for folder in folders:
        files = _candidates(folder, relative)
        if not files:
            continue
        root = folder.resolve()
        for file in files:
            if not file.resolve().is_relative_to(root):
                raise _error(wf, name, f"embed_modules names module '{name}', but {file} leads outside "
                                       f"{folder} (a symlink to {file.resolve()})")
        return {file.relative_to(folder).as_posix(): file.read_text(encoding="utf-8") for file in files}
    looked = ", ".join(str(f) for f in dict.fromkeys(folders))
    raise _error(wf, name, f"embed_modules names module '{name}', but neither {relative.with_suffix('.py')} "
                           f"nor {relative}/__init__.py is in {looked}")


def _candidates(folder: Path, relative: Path) -> list[Path]:
    """`relative`.py, or the .py files of the package `relative`/, in `folder`; [] if neither."""
    file = folder / relative.with_suffix(".py")
    if file.is_file():
        return [file]
    package = folder / relative
    if not (package / "__init__.py").is_file():
        return []
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def _error(wf: Workflow, name: str, message: str) -> CompileError:
    return target_error(wf.source, message, option_span(wf.source, name),
                        hint="embed a module beside the .fuse file or in the working directory")


def option_span(source: str, module: str) -> tuple[int, int, int, int] | None:
    """Where the file names `module` in an `embed_modules` option (the IR keeps no
    option positions): the string itself, else the option; None if the file is gone."""
    # deferred: the file is parsed again (lark) only to place an error
    from ...compiler import nodes as n
    from ...compiler.parser import parse

    try:
        statements = parse(Path(source).read_text(encoding="utf-8"), source).statements
    except (OSError, UnicodeDecodeError, CompileError):
        return None
    items = [item for stmt in statements if isinstance(stmt, n.OptionsStmt) and stmt.target == "kfp"
             for entry in stmt.entries for item in entry.items if item.key == "embed_modules"]
    for item in items:
        strings = item.value.items if isinstance(item.value, n.ListExpr) else ()
        for string in strings:
            if isinstance(string, n.Literal) and string.value == module:
                return tuple(string.span.as_list())
    return tuple(items[0].span.as_list()) if items else None
