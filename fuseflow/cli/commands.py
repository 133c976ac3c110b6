"""The commands of `fusec` (the package docstring has the exit statuses): the parser,
and one function per command over the compiler's and the runtime's functions.

A plain `fusec run FILE ...` (every flag spelled in full, its target with no
flags of its own) or `fusec check FILE...` is read without argparse
(runtime.flags.read_plain): the parser's import and building are some 5 ms
of their start. Every other line, help and usage errors included, goes to
the argparse parser, built from the same flags.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..compiler import errors
from ..compiler.errors import CompileError, UnreadableInput, UsageError
from ..runtime.extras import MissingExtra, optional
from ..runtime.flags import (
    APPEND,
    RUN_FLAGS,
    STORE,
    STORE_TRUE,
    Flag,
    add_flags,
    read_plain,
    settings_from,
    summary_from,
)
from ..runtime.params import ParamError
from ..targets import Target, UnknownTarget, own_names
from ..targets import get as get_target
from .inputs import check_imports, load, write

if TYPE_CHECKING:  # for annotations only: argparse loads when a line needs the parser
    import argparse

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `fusec nodes FILE | head -1`
        from ..runtime.outputs import stdout_closed  # deferred: the runtime is not on every command's path

        return stdout_closed()


def _main(argv: Sequence[str] | None) -> int:
    args = plain_line(list(sys.argv[1:] if argv is None else argv))
    if args is None:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if not hasattr(args, "func"):
            parser.print_help()
            return EXIT_USAGE
    try:
        status = _call(args)
        sys.stdout.flush()  # a closed pipe shows now, not as Python's complaint at exit
        return status
    except BrokenPipeError:
        raise
    except CompileError as exc:
        sys.stderr.write(exc.args[0])
        sys.stderr.write(errors.summary(exc.diagnostics) + "\n")
        return EXIT_INPUT
    except UsageError as exc:
        print(f"fusec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MissingExtra as exc:  # a backend or optional piece that is not installed
        print(f"fusec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UnreadableInput as exc:
        print(f"fusec: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # a bug in fusec, not a user mistake, unless the store could not be reached
        if _storage_unavailable(exc):  # no credentials, an endpoint down, a bad storage key setting
            print(f"fusec: error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        if getattr(args, "debug", False):
            raise
        print(f"fusec: internal error: {exc!r}; run again with --debug for a traceback", file=sys.stderr)
        return EXIT_INTERNAL


def _storage_unavailable(exc: Exception) -> bool:
    """Whether `exc` says a store cannot be used, from any command (imported here
    only when something failed: the storage package is not on the start-up path)."""
    from ..runtime.storage.base import StorageUnavailable  # deferred: only once something failed

    return isinstance(exc, StorageUnavailable)


def _call(args) -> int:
    """Run the command; a workflow whose modules fail to import is the user's
    mistake, reported as `fusec check --imports` reports it."""
    try:
        return args.func(args)
    except Exception as exc:
        if not _import_failed(exc):
            raise
        check_imports(args.file, getattr(args, "defines", None))  # CompileError: the file's import problems
        raise exc.__cause__ from None  # no import problem found: fusec's own bug


def _import_failed(exc: Exception) -> bool:
    """Whether binding the workflow to its modules failed (imported here, after the fact:
    the runtime is not on the start-up path of every command)."""
    from ..runtime.bind import CannotImport  # deferred: only once something failed

    return isinstance(exc, CannotImport)


# The flags several commands share, and `fusec run`'s own (runtime.flags: argparse and the plain reader read them).
DEBUG = Flag(("--debug",), "debug", STORE_TRUE, "show Python tracebacks for internal errors")
DEFINES = Flag(("-D",), "defines", APPEND, "override a `let` constant (repeatable)", "NAME=VALUE")
TARGET = Flag(("--target", "-t"), "target", STORE,
              "where to run: local (the default), ray, prefect, kfp, or a registered target's name", "TARGET", "local")
RUN_HELPS = {"param": "set a param (repeatable)", "storage": "where results are kept (default: .fuseflow beside FILE)"}
IMPORTS = Flag(("--imports",), "imports", STORE_TRUE,
               "also import the modules each FILE names (from its folder, then the working directory) and check the "
               "imported names, the callables and each call's arguments; runs the modules' code")


def plain_line(argv: list[str]) -> SimpleNamespace | None:
    """`fusec run FILE ...` or `fusec check FILE...` read as the parser would read them, when
    plainly spelled (runtime.flags.read_plain) and, for run, its target adds no flags of its
    own; else None."""
    if argv[:1] == ["check"]:
        values = read_plain(argv[1:], (IMPORTS, DEBUG, DEFINES), "files", many=True)
        return None if values is None else SimpleNamespace(**values, func=cmd_check)
    if argv[:1] != ["run"]:
        return None
    values = read_plain(argv[1:], (TARGET, *RUN_FLAGS, DEBUG, DEFINES), "file")
    if values is None or _has_run_flags(values["target"]) or _has_run_flags(_run_target(argv)):
        return None  # the parser offers a target's flags (the first --target's: _run_target), with their defaults
    return SimpleNamespace(**values, func=cmd_run)


def _has_run_flags(name: str) -> bool:
    """Whether target `name` adds flags of its own to `fusec run` (Ray's --address). An
    unknown name: cmd_run says so."""
    try:
        target = get_target(name)
    except UnknownTarget:
        return False
    return type(target).add_run_arguments is not Target.add_run_arguments


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line; `argv` says which target's own `run` flags to offer (`--target T`)."""
    from .argparser import Parser  # deferred: argparse, for a line that is not a plain `fusec run FILE`

    parser = Parser(
        prog="fusec",
        description="Compile .fuse workflows to local Python, Ray, Prefect or Kubeflow Pipelines.",
        epilog="Exit status: 0 fine, 1 the input has errors (or a node failed), 2 usage error (or a backend not "
               "installed), 70 internal error (a bug in fusec: --debug shows its traceback; please report it); "
               "run: 130 interrupted; 141 the reader of stdout went away (| head). See docs/language.md.",
    )
    parser.add_argument("--version", action="version", version=f"fusec {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    command = _command(argv)
    if command in CORE_COMMANDS:  # only its parser: the others' imports stay off its start-up path
        CORE_COMMANDS[command](sub, argv)
        return parser
    for add in CORE_COMMANDS.values():  # `fusec --help`, a mistyped command, or a target's own (KFP's `submit`)
        add(sub, argv)
    for name in own_names():
        get_target(name).add_commands(sub)
    return parser


def _command(argv: Sequence[str] | None) -> str | None:
    """The command asked for (the first word that is not a flag), read ahead of parsing:
    the targets' own commands are offered only when it is none of fusec's."""
    args = list(sys.argv[1:] if argv is None else argv)
    return next((arg for arg in args if not arg.startswith("-")), None)


def _run_target(argv: Sequence[str] | None) -> str:
    """The target `fusec run` is asked for (default local), read ahead of parsing, so that
    the parser offers that target's own flags (Ray's --address)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "run" not in args:
        return "local"
    rest = args[args.index("run") + 1:]
    for i, arg in enumerate(rest):
        if arg in ("--target", "-t") and i + 1 < len(rest):
            return rest[i + 1]
        if arg.startswith("--target="):
            return arg.partition("=")[2]
        if arg.startswith("-t") and len(arg) > 2:
            return arg[2:]
    return "local"


def _common(p: argparse.ArgumentParser, defines: bool = True) -> None:
    add_flags(p, (DEBUG, DEFINES) if defines else (DEBUG,))


def _add_check(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("check", help="check .fuse files and report every problem",
                       description="Check .fuse files; print every error and warning with its position.")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_flags(p, (IMPORTS,))
    _common(p)
    p.set_defaults(func=cmd_check)


def _add_compile(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("compile", help="compile a .fuse file to a target artifact",
                       description="Compile a .fuse file. Targets: " + ", ".join(own_names()) +
                                   ", or one an installed package registers (entry points `fuseflow.targets`).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--target", "-t", required=True, metavar="TARGET", help="one of: " + ", ".join(own_names()))
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.add_argument("--check", action="store_true",
                   help="write nothing: exit 0 when OUT holds exactly what would be written, else 1 with a diff")
    _common(p)
    p.set_defaults(func=cmd_compile)


def _add_build(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("build", help="compile every artifact pyproject.toml lists ([[tool.fuseflow.artifacts]])",
                       description="Compile every artifact the project's pyproject.toml lists in "
                                   "[[tool.fuseflow.artifacts]] tables (source, target, output, optional defines), "
                                   "paths relative to that file, as `fusec compile` does from its folder.")
    p.add_argument("--project", metavar="DIR", default=".", help="the folder of pyproject.toml (default: here)")
    p.add_argument("--check", action="store_true",
                   help="write nothing: exit 1 listing every stale or missing artifact with its diff")
    _common(p, defines=False)
    p.set_defaults(func=cmd_build)


def _add_fmt(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("fmt", help="lay out .fuse files the one canonical way, comments kept",
                       description="Rewrite .fuse files in the canonical layout (docs/language.md, 'Formatting'), "
                                   "only those that change. Exit status, as black's: 0 nothing to change (or every "
                                   "change written), 1 some file would change (--check), 123 a file could not be "
                                   "formatted (its syntax errors are printed; it is left as it is) or an internal "
                                   "error.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="a .fuse file, or a folder for every .fuse file under it (default: .); "
                        "- reads standard input and writes standard output")
    p.add_argument("--check", action="store_true", help="write nothing: exit 1 when some file would change")
    p.add_argument("--diff", action="store_true", help="write nothing: print a unified diff of each change")
    _common(p, defines=False)
    p.set_defaults(func=cmd_fmt)


def _add_graph(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("graph", help="draw the workflow's DAG (dot, mermaid or svg)",
                       description="Print the DAG as Graphviz DOT, Mermaid, or SVG (needs Graphviz `dot`).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", "-f", choices=("dot", "mermaid", "svg"), default="dot")
    p.add_argument("-o", "--output", metavar="OUT")
    _common(p)
    p.set_defaults(func=cmd_graph)


def _add_nodes(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("nodes", help="list nodes and their effective options",
                       description="List node names and effective options: see what a query selects before running.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--match", "-m", metavar="REGEX", help="only nodes whose name the regex full-matches")
    p.add_argument("--target", "-t", metavar="TARGET",
                   help="neutral, or a target (" + ", ".join(own_names()) + "): show what one target applies: "
                        "neutral options in its own names merged with its own block, "
                        "what fuseflow's runtime does on the worker, and what the target ignores")
    _common(p)
    p.set_defaults(func=cmd_nodes)


def _add_run(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("run", help="compile in memory and run (locally by default)",
                       description="Compile a .fuse file in memory and run it; print its outputs. "
                                   "`fusec run --target T --help` shows the flags of target T too.")
    p.add_argument("file", metavar="FILE")
    add_flags(p, (TARGET, *RUN_FLAGS), RUN_HELPS)
    try:
        get_target(_run_target(argv)).add_run_arguments(p)
    except UnknownTarget:
        pass  # cmd_run says so
    _common(p)
    p.set_defaults(func=cmd_run)


def _add_storage(sub, argv: Sequence[str] | None) -> None:
    from . import storage  # the storage layer: imported by its own commands, not on every start-up

    storage.add_parser(sub)


def _add_explain(sub, argv: Sequence[str] | None) -> None:
    from . import explain  # the runtime's explain: imported by its own command, not on every start-up

    explain.add_parser(sub)


def _add_lsp(sub, argv: Sequence[str] | None) -> None:
    p = sub.add_parser("lsp", help="run the language server for editors (LSP over stdin/stdout)",
                       description="Run the .fuse language server (diagnostics, hover, go to definition, completion, "
                                   "symbols, formatting), speaking LSP over stdin/stdout; an editor starts it. "
                                   "Needs the lsp extra: pip install 'fuseflow[lsp]'. See docs/editors.md.")
    p.add_argument("--stdio", action="store_true",
                   help="talk over stdin/stdout: the default and only transport, accepted for editors that pass it")
    _common(p, defines=False)
    p.set_defaults(func=cmd_lsp)


# fusec's own commands, in the order `fusec --help` lists them.
CORE_COMMANDS = {
    "check": _add_check, "compile": _add_compile, "build": _add_build, "graph": _add_graph, "nodes": _add_nodes,
    "run": _add_run, "storage": _add_storage, "explain": _add_explain, "lsp": _add_lsp, "fmt": _add_fmt,
}


# --- commands -------------------------------------------------------------------


def cmd_check(args) -> int:
    status = EXIT_OK
    for path in args.files:
        try:
            load(path, args.defines, imports=args.imports)
        except CompileError as exc:
            sys.stderr.write(exc.args[0])
            sys.stderr.write(errors.summary(exc.diagnostics) + "\n")
            status = EXIT_INPUT
        except UnreadableInput as exc:  # the other files are still checked
            print(f"fusec: error: {exc}", file=sys.stderr)
            status = EXIT_INPUT
    return status


def cmd_compile(args) -> int:
    target = _target(args.target)
    workflow = load(args.file, args.defines)
    target.supports(workflow)
    text = target.generate(workflow, os.path.dirname(os.path.abspath(args.file)))  # files beside it: embed_modules
    if args.check:
        from . import artifacts  # deferred: difflib and tomllib, for --check and build only

        return artifacts.compile_check(text, args.output)
    write_output(text, args.output)
    return EXIT_OK


def cmd_build(args) -> int:
    from . import artifacts  # deferred: difflib and tomllib, for --check and build only

    return artifacts.build(args.project, args.check)


def cmd_fmt(args) -> int:
    from . import formatting  # deferred: the formatter and difflib, for fmt only

    return formatting.run(args.files or ["."], check=args.check, diff=args.diff, debug=args.debug)


def _target(name: str):
    """The registered target `name`; UsageError naming the known ones."""
    try:
        return get_target(name)
    except UnknownTarget as exc:
        raise UsageError(str(exc)) from None


def cmd_graph(args) -> int:
    from ..compiler.graph import to_dot, to_mermaid  # deferred: the graph command's own module

    workflow = load(args.file, args.defines)
    if args.format == "mermaid":
        write_output(to_mermaid(workflow), args.output)
        return EXIT_OK
    dot = to_dot(workflow)
    if args.format == "dot":
        write_output(dot, args.output)
        return EXIT_OK
    return _render_svg(dot, args.output)


def _render_svg(dot: str, output: str | None) -> int:
    import shutil  # Graphviz's `dot` is an optional program: looked for, and run, only here
    import subprocess

    executable = shutil.which("dot")
    if executable is None:
        print("fusec: error: --format svg needs Graphviz's `dot` program, which is not installed "
              "(e.g. `apt-get install graphviz` or `brew install graphviz`); "
              "--format dot or --format mermaid need nothing", file=sys.stderr)
        return EXIT_USAGE
    svg = subprocess.run([executable, "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    write_output(svg, output)
    return EXIT_OK


def cmd_nodes(args) -> int:
    try:
        pattern = re.compile(args.match) if args.match else None
    except re.error as exc:
        raise UsageError(f"--match {args.match!r} is not a valid regex: {exc}") from None
    if args.target not in (None, "neutral"):
        _target(args.target)  # an unknown one is a usage error before the file is read
    workflow = load(args.file, args.defines)
    shown = [node for node in workflow.nodes if pattern is None or pattern.fullmatch(node.name)]
    width = max((len(node.name) for node in shown), default=0)
    ignored: dict[str, dict[str, None]] = {}  # why -> the keys ignored for that reason
    for node in shown:
        options = _options_for(node, workflow, args.target, ignored)
        text = json.dumps(options, sort_keys=args.target in (None, "neutral")) if options else ""
        print(f"{node.name:<{width}}  {text}".rstrip())
    for why, keys in ignored.items():
        print(f"fusec: note: {args.target} ignores {', '.join(map(repr, keys))}: {why}", file=sys.stderr)
    if pattern is not None and not shown:
        print(f"fusec: no node matches {args.match!r}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _options_for(node, workflow, target: str | None, ignored: dict[str, dict[str, None]]) -> dict:
    """The IR's options (no target), the neutral ones, or what a target applies
    (fuseflow.targets (each target's `applied`)); why the target ignores an option goes to `ignored`."""
    if target is None:
        return node.options
    if target == "neutral":
        return node.options.get("neutral", {})
    result = _target(target).applied(node, workflow)
    for key, why in sorted(result.reasons.items()):
        ignored.setdefault(why, {})[key] = None
    return result.as_dict()


def cmd_run(args) -> int:
    """Compile in memory and run on the chosen target; the same flags, checks and
    messages as a generated module's own command line (fuseflow.runtime.cli)."""
    from ..runtime.report import run_and_report  # deferred: the engine loads when a workflow runs, not on every start

    target = _target(args.target)
    if not target.runnable:
        raise UsageError(f"the {target.name} target does not run workflows; `fusec compile --target {target.name}`")
    workflow = load(args.file, args.defines)
    target.supports(workflow, running=True)

    summary = summary_from(args)

    def run() -> dict[str, Any]:
        try:
            return target.run(workflow, args.file, settings_from(args, summary), args)
        except ParamError as exc:
            raise UsageError(str(exc)) from None

    return run_and_report(run, as_json=args.json, stored=not args.no_cache, summary=summary)


def cmd_lsp(args) -> int:
    with optional("pygls", "fusec lsp (the language server)"):
        from ..lsp.server import serve  # deferred: pygls is an optional extra (fuseflow[lsp]), loaded for lsp only
    return serve()


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
    else:
        write(text, output)
