"""`fusec image FILE [-o Dockerfile]`: the Dockerfile of an image holding everything a
workflow's KFP steps import, the recommended way to run them (docs/kfp.md, "Images").

    fusec image pipelines/train.fuse -o Dockerfile
    docker build -f Dockerfile -t registry.example.com/team/train:1 .
    # in train.fuse: options kfp { workflow: { image: "registry.example.com/team/train:1" } }

The image is python:3.11-slim with `fuseflow[kfp]` at the compiler's version (the
step protocol the YAML speaks), the project's requirements.txt, the project's
package when its pyproject.toml has a [project] table, and the modules the
workflow imports from beside the .fuse file (with the sibling modules those
import in turn), on the steps' import path as in a local run. The build context
is the project's folder: the nearest folder holding pyproject.toml, from the
.fuse file's folder up to a repository's root; else the .fuse file's folder.

Every path and name from the user's disk lands in a comment (escape.comment)
or in a JSON-form COPY (copy_source, copy_target): never a line of its own.
Exit status: 0 written, 1 the file has errors, 2 usage error.
"""
from __future__ import annotations

import ast
import os
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from ...codegen import escape
from ...codegen.render import render
from ...compiler.errors import UsageError
from ...ir import Workflow

PACKAGE = __package__  # where this target's templates are
BASE_IMAGE = "python:3.11-slim"
HOME = "/opt/fuseflow"  # where the image keeps what it copies
MODULES = HOME + "/modules"  # the steps' PYTHONPATH: the .fuse file's folder, as a local run sees it
PROJECT = HOME + "/project"


def add_parser(sub) -> None:
    p = sub.add_parser("image", help="write a Dockerfile for the image a workflow's KFP steps need",
                       description="Write a Dockerfile for an image holding fuseflow (at this compiler's version, "
                                   "with kfp), the project's requirements and package, and the modules the workflow "
                                   "imports; name the image in `options kfp { workflow: { image: ... } }`. "
                                   "See docs/kfp.md.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", metavar="PATH", help="write the Dockerfile there (default: stdout)")
    p.add_argument("-D", dest="defines", action="append", metavar="NAME=VALUE", default=[],
                   help="override a `let` constant (repeatable)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    p.set_defaults(func=cmd_image)


def cmd_image(args) -> int:
    # deferred: the compiler loads when the command runs, not to build the parser
    from ...compiler import files

    workflow, warnings = files.load(args.file, files.define_values(args.defines))
    sys.stderr.write(warnings)
    text = dockerfile(workflow, Path(args.file))
    if args.output is None or args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


@dataclass(frozen=True)
class Project:
    """What the image copies, as paths relative to the build context (POSIX)."""

    context: Path                     # the build context
    package: bool                     # context/pyproject.toml has a [project] table: pip install it
    requirements: tuple[str, ...]     # requirements files
    modules: tuple[tuple[str, str], ...]  # (path in the context, path under MODULES): files and package folders
    elsewhere: tuple[str, ...]        # imported top-level modules neither beside the file nor in the stdlib


def dockerfile(wf: Workflow, fuse_path: Path) -> str:
    """The Dockerfile's text: the same workflow and folder always give the same bytes."""
    project = find_project(wf, fuse_path.resolve().parent)
    context = os.path.relpath(project.context, Path.cwd())
    return render(
        PACKAGE, "Dockerfile.j2",
        source=escape.comment(wf.source), workflow=escape.comment(wf.name), version=__version__,
        context=escape.comment(Path(context).as_posix()), image=escape.comment(image_name(wf.name)),
        base=BASE_IMAGE, fuseflow=shlex.quote(f"fuseflow[kfp]=={__version__}"),
        requirements=[(copy_source(path), copy_target(f"{HOME}/requirements-{i}.txt"), f"{HOME}/requirements-{i}.txt")
                      for i, path in enumerate(project.requirements, 1)],
        install_project=project.package, project_source=copy_source("."), project_target=copy_target(PROJECT + "/"),
        project_dir=PROJECT,
        modules=[(copy_source(path), copy_target(f"{MODULES}/{target}")) for path, target in project.modules],
        modules_dir=MODULES,
        elsewhere=escape.comment(", ".join(project.elsewhere)),
    )


def image_name(workflow: str) -> str:
    """`REGISTRY/<workflow, as an image name>:TAG`, for the comment that says what to set."""
    return f"REGISTRY/{re.sub(r'[^a-z0-9]+', '-', workflow.lower()).strip('-') or 'fuseflow'}:TAG"


# --- what the image holds --------------------------------------------------------


def find_project(wf: Workflow, folder: Path) -> Project:
    root = project_root(folder)
    context = root or folder
    requirements = dict.fromkeys(p for p in (folder / "requirements.txt", context / "requirements.txt") if p.is_file())
    found, elsewhere = local_modules(wf, folder)
    return Project(
        context=context,
        package=root is not None and has_project_table(root / "pyproject.toml"),
        requirements=tuple(sorted(_relative(p, context) for p in requirements)),
        modules=tuple((_relative(folder / name, context), name + ("/" if (folder / name).is_dir() else ""))
                      for name in found),
        elsewhere=elsewhere,
    )


def project_root(folder: Path) -> Path | None:
    """The nearest folder holding pyproject.toml, from `folder` up to a repository's root."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
        if (candidate / ".git").exists():
            return None
    return None


def has_project_table(pyproject: Path) -> bool:
    """Whether pip can install the project: a [project] table (not only [tool] settings)."""
    try:
        return "project" in tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read it as TOML: {exc}") from None


def imported_modules(wf: Workflow) -> set[str]:
    """The top-level modules the steps import: the file's imports and its `setup` callables."""
    names = {i.module for i in wf.imports}
    names.update(str(node.options.get("neutral", {}).get("setup", "")).partition(":")[0] for node in wf.nodes)
    return {name.split(".")[0] for name in names if name and all(part.isidentifier() for part in name.split("."))}


def local_modules(wf: Workflow, folder: Path) -> tuple[list[str], tuple[str, ...]]:
    """(the modules beside the .fuse file the steps import, with the sibling modules those
    import in turn, as file or folder names; the other imported modules, not in the stdlib)."""
    seen: set[str] = set()
    found: list[str] = []
    wanted = sorted(imported_modules(wf))
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_path(folder, name)
        if path is not None:
            found.append(path.name)
            wanted.extend(sorted(imports_of(path)))
    beside = {Path(name).stem for name in found}
    elsewhere = sorted(imported_modules(wf) - beside - set(sys.stdlib_module_names))
    return sorted(found), tuple(elsewhere)


def module_path(folder: Path, name: str) -> Path | None:
    """`name`.py or the package folder `name`/ beside the .fuse file; None if neither."""
    if (folder / f"{name}.py").is_file():
        return folder / f"{name}.py"
    package = folder / name
    return package if package.is_dir() and any(package.glob("**/*.py")) else None


def imports_of(path: Path) -> set[str]:
    """The top-level modules a module (or every .py file of a package) imports absolutely."""
    names: set[str] = set()
    for file in sorted(path.glob("**/*.py")) if path.is_dir() else [path]:
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue  # a module Python cannot read: the step will say so; nothing to follow here
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _relative(path: Path, context: Path) -> str:
    return path.relative_to(context).as_posix()


# --- Dockerfile text --------------------------------------------------------------

# Docker reads a COPY argument, JSON form included, as a shell word: \ escapes the next
# character, quotes group, $ expands a variable (buildkit frontend/dockerfile/shell/lex.go).
_WORD_SPECIAL = re.compile(r"[\\$'\"]")
# A source holding an unescaped * ? or [ is a pattern (Go's filepath.Match, where \ escapes);
# one without is taken literally, backslashes included. So a wildcard character is written
# as a class of itself (`[*]`), which matches it alone and keeps the path a pattern.
_WILDCARD = re.compile(r"[*?\[\\]")


def copy_word(text: str) -> str:
    """`text` as one argument of a JSON-form instruction that Docker reads back exactly:
    its word escapes, then a JSON string on one line (escape.yaml_quoted is JSON's)."""
    return escape.yaml_quoted(_WORD_SPECIAL.sub(lambda m: "\\" + m.group(), text))


def copy_source(path: str) -> str:
    """A path of the build context as a COPY source that names that path alone."""
    return copy_word(_WILDCARD.sub(lambda m: "[\\\\]" if m.group() == "\\" else f"[{m.group()}]", path))


def copy_target(path: str) -> str:
    """A path in the image as a COPY destination (no wildcards there)."""
    return copy_word(path)
