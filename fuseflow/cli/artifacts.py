"""Generated artifacts kept in git: `fusec compile --check` and `fusec build`.

A project lists what it generates in its pyproject.toml, paths relative to that file:

    [[tool.fuseflow.artifacts]]
    source = "flows/models.fuse"
    target = "kfp"
    output = "pipelines/models.yaml"
    defines = { n = "100" }          # optional: -D n=100

`fusec build` writes every artifact whose text changed; `fusec build --check`
writes nothing and fails, with a unified diff, when one is stale or missing
(the check a CI job runs). A file is compiled as `fusec compile` compiles it
from the project's folder, so both give the same bytes.
"""
from __future__ import annotations

import difflib
import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compiler import errors
from ..compiler.errors import CompileError, UnreadableInput, UsageError
from ..targets import UnknownTarget
from ..targets import get as get_target
from .inputs import load, write

PYPROJECT = "pyproject.toml"
_KEYS = {"source", "target", "output", "defines"}


@dataclass(frozen=True)
class Artifact:
    """One `[[tool.fuseflow.artifacts]]` table: paths relative to the project's folder."""

    source: str
    target: str
    output: str
    defines: tuple[str, ...] = ()  # as -D takes them: "NAME=VALUE"


def differences(text: str, output: str) -> str | None:
    """None when `output` holds exactly `text`; else a unified diff from the file
    as it is (empty when missing) to what fusec writes."""
    try:
        current = Path(output).read_bytes().decode("utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError):
        current = ""  # unreadable or not text: stale, and the diff shows all of it as new
    if current == text:
        return None
    before = f"{output} (missing)" if current is None else f"{output} (as it is)"
    diff = difflib.unified_diff((current or "").splitlines(keepends=True), text.splitlines(keepends=True),
                                fromfile=before, tofile=f"{output} (as fusec writes it)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)


# --- the project file ------------------------------------------------------------


def read_project(folder: str) -> list[Artifact]:
    """The artifacts `folder`/pyproject.toml lists; UsageError naming what is wrong."""
    path = Path(folder) / PYPROJECT
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no {PYPROJECT} in {folder} (give the project's folder with --project DIR)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: {exc}") from None
    tables = data.get("tool", {}).get("fuseflow", {}).get("artifacts")
    if not tables:
        raise UsageError(f"{path} lists no artifacts: add [[tool.fuseflow.artifacts]] tables "
                         "with source, target and output")
    if not isinstance(tables, list):
        raise UsageError(f"{path}: tool.fuseflow.artifacts must be an array of tables ([[tool.fuseflow.artifacts]])")
    return [_artifact(table, f"{path}: artifact {i}") for i, table in enumerate(tables, 1)]


def _artifact(table: Any, where: str) -> Artifact:
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table with source, target and output")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(_KEYS))}")
    for key in ("source", "target", "output"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise UsageError(f"{where}: `{key}` must be a non-empty string")
    defines = table.get("defines", {})
    if not isinstance(defines, dict):
        raise UsageError(f"{where}: `defines` must be a table such as {{ n = \"100\" }}")
    return Artifact(table["source"], table["target"], table["output"],
                    tuple(f"{name}={_define_text(value)}" for name, value in defines.items()))


def _define_text(value: Any) -> str:
    """A string is the text after `-D NAME=`; any other value is written as JSON, as
    one would type it there (`sizes = [1, 2]` is -D sizes=[1, 2])."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --- the commands --------------------------------------------------------------------


def compile_check(text: str, output: str | None) -> int:
    """`fusec compile ... -o OUT --check`: 0 when OUT is current, else 1 with the diff."""
    if output is None or output == "-":
        raise UsageError("--check compares with the file -o names: give -o OUT")
    diff = differences(text, output)
    if diff is None:
        return 0
    sys.stdout.write(diff)
    print(f"fusec: {output} is stale: `fusec compile` would write what is shown above", file=sys.stderr)
    return 1


def build(folder: str, check: bool) -> int:
    """`fusec build [--check]`: every artifact of the project, every error reported."""
    artifacts = read_project(folder)
    os.chdir(folder)  # as `cd DIR && fusec compile ...`: the same recorded paths and module search
    failed = stale = 0
    for artifact in artifacts:
        try:
            workflow = load(artifact.source, list(artifact.defines))
            target = get_target(artifact.target)
            target.supports(workflow)
            text = target.generate(workflow, os.path.dirname(os.path.abspath(artifact.source)))
        except CompileError as exc:
            sys.stderr.write(exc.args[0] + errors.summary(exc.diagnostics) + "\n")
            failed += 1
            continue
        except (UnreadableInput, UsageError, UnknownTarget) as exc:
            print(f"fusec: error: {artifact.source} ({artifact.target}): {exc}", file=sys.stderr)
            failed += 1
            continue
        diff = differences(text, artifact.output)
        if diff is None:
            continue
        if check:
            sys.stdout.write(diff)
            stale += 1
        else:
            write(text, artifact.output)
            print(f"wrote {artifact.output}", file=sys.stderr)
    return _summary(len(artifacts), failed, stale, check)


def _summary(total: int, failed: int, stale: int, check: bool) -> int:
    problems = []
    if failed:
        problems.append(f"{failed} could not be compiled")
    if stale:
        problems.append(f"{stale} stale or missing (diffs above; `fusec build` rewrites them)")
    if problems:
        print(f"fusec build: {total} artifact{'s' if total != 1 else ''}: {'; '.join(problems)}", file=sys.stderr)
        return 1
    if check:
        print(f"fusec build: {total} artifact{'s' if total != 1 else ''} up to date", file=sys.stderr)
    return 0
