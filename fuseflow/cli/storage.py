"""`fusec storage ls|show|rm|du|gc`: inspect and prune stored node results from a shell.

The shell counterpart of functionfuse's ``list_tasks``/``read_task``/
``remove_task``/``remove_workflow``; the work is done by the Store API.
Exit status: 0 fine, 1 unknown workflow, nothing matched, or a bad storage
URL (one line on stderr, never a traceback), 2 usage error, 70 internal
error (a bug in fusec).

    python -m fuseflow.cli.storage ls --storage file:results my_workflow 'model.*'
"""

from __future__ import annotations

import argparse
import math
import pprint
import shutil
import sys
import time
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from ..runtime.outputs import all_digits, safe_repr
from ..runtime.params import parse_assignments
from ..runtime.storage import Garbage, MissingResult, Store, StoredResult, open_store
from ..runtime.storage.names import hint, shown

DEFAULT_STORAGE = "file:.fuseflow"
EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
SHOW_CHARS = 20_000  # `show` output beyond this is cut (--full prints all)
SHOW_ITEMS = 100  # items shown per list/dict/set level before "... N more"


class CommandError(Exception):
    """A problem the user can fix, printed as one line (exit status 1)."""


def add_parser(subparsers: Any) -> None:
    """Register ``storage`` and its subcommands on the main CLI's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--storage", metavar="URL", default=DEFAULT_STORAGE,
                        help="where results are stored: file:PATH, a path or s3://bucket/prefix "
                             f"(default: {DEFAULT_STORAGE})")
    parser = subparsers.add_parser("storage", help="list, show and remove stored node results",
                                   description="Inspect and prune the results that workflow runs stored.",
                                   epilog="Exit status: 0 fine, 1 nothing matched or bad storage, 2 usage error, "
                                          "70 internal error (a bug in fusec).")
    parser.set_defaults(func=run)
    sub = parser.add_subparsers(dest="storage_command", metavar="COMMAND", required=True)
    _add_ls(sub, common)
    _add_show(sub, common)
    _add_rm(sub, common)
    _add_du(sub, common)
    _add_gc(sub)


def _add_ls(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ls", parents=[common], help="list workflows, or the stored results of one",
                       description="Without WORKFLOW: the workflows with their result counts and sizes. "
                                   "With WORKFLOW: one row per stored result of the nodes matching GLOB.")
    p.add_argument("workflow", nargs="?", metavar="WORKFLOW")
    p.add_argument("glob", nargs="?", default="*", metavar="GLOB", help="node names to list (fnmatch glob, default *)")


def _add_show(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("show", parents=[common], help="print a stored result",
                       description="Print the most recent stored result of NODE (or the one with --key).")
    p.add_argument("workflow", metavar="WORKFLOW")
    p.add_argument("node", metavar="NODE")
    p.add_argument("--key", metavar="K", help="the result's key, or a unique prefix of it as `ls` shows")
    p.add_argument("--full", action="store_true", help=f"do not shorten output longer than {SHOW_CHARS} characters")


def _add_rm(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("rm", parents=[common], help="remove stored results",
                       description="Remove the stored results of the nodes matching each GLOB "
                                   "(a plain node name is a glob too), or the whole workflow with --all.")
    p.add_argument("workflow", metavar="WORKFLOW")
    p.add_argument("globs", nargs="*", metavar="GLOB")
    p.add_argument("--all", action="store_true", help="remove everything stored for WORKFLOW")
    p.add_argument("--source", metavar="PATH", help="only the results the .fuse file PATH wrote, as warnings and gc "
                                                      "name it (the file need not exist any more); all nodes "
                                                      "unless GLOBs are given")


def _add_du(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("du", parents=[common], help="size of the stored results per workflow, or per node",
                       description="Without WORKFLOW: results and bytes per workflow. With WORKFLOW: per node.")
    p.add_argument("workflow", nargs="?", metavar="WORKFLOW")


def _add_gc(sub: Any) -> None:
    p = sub.add_parser("gc", help="remove leftovers, superseded copies, and results no current key refers to",
                       description="Remove temp files of interrupted writes (older than --max-age), superseded "
                                   "copies inside packs (and, on S3, abandoned multipart uploads). With FILE, also "
                                   "the results of FILE's workflow whose keys the current file and params (-p) no "
                                   "longer produce (those another .fuse file wrote are kept, and counted), and FILE's "
                                   "results under workflow names it no longer has.")
    p.add_argument("file", nargs="?", metavar="FILE", help="a .fuse file: keep only its current keys")
    p.add_argument("--storage", metavar="URL",
                   help=f"the store (default: FILE's own storage, else {DEFAULT_STORAGE})")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a param of FILE")
    p.add_argument("-D", dest="defines", action="append", metavar="NAME=VALUE", default=[],
                   help="override a `let` constant of FILE")
    p.add_argument("--dry-run", "-n", action="store_true", help="list what would be removed; remove nothing")
    p.add_argument("--max-age", type=seconds, default=3600.0, metavar="SECONDS",
                   help="temp files younger than this may be live writes and are kept (default 3600)")


def seconds(text: str) -> float:
    """--max-age: seconds >= 0 (inf keeps every temp file; a negative age would take live writes for leftovers)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run one ``fusec storage`` command; returns the exit status."""
    command = _COMMANDS[args.storage_command]
    try:
        if args.storage_command == "gc":
            return _gc(args)
        return command(open_store(args.storage), args)
    except BrokenPipeError:  # stdout's reader went away: fusec's main stops quietly
        raise
    except (CommandError, MissingResult, ValueError, NotImplementedError, OSError) as exc:
        print(f"fusec: error: {exc}", file=sys.stderr)
        return EXIT_INPUT


def _ls(store: Store, args: argparse.Namespace) -> int:
    if args.workflow is None:
        return _ls_workflows(store)
    _require_workflow(store, args.workflow)
    results = store.list(args.workflow, args.glob)
    if not results:
        raise CommandError(f"no node of workflow {args.workflow!r} matches {args.glob!r}"
                           + hint(args.glob, store.list_tasks(args.workflow), "nodes with results"))
    rows = [(r.node, r.key[:12], human_size(r.size), local_time(r.mtime), r.serializer) for r in results]
    print(table([("NODE", "KEY", "SIZE", "MODIFIED", "SERIALIZER"), *rows], right={2}))
    return EXIT_OK


def _ls_workflows(store: Store) -> int:
    rows = []
    for workflow in store.workflows():
        results = store.list(workflow)
        rows.append((workflow, str(len(results)), human_size(sum(r.size for r in results))))
    if not rows:
        print(f"fusec: no stored results in {store.url}", file=sys.stderr)
        return EXIT_OK
    print(table([("WORKFLOW", "RESULTS", "SIZE"), *rows], right={1, 2}))
    return EXIT_OK


def _show(store: Store, args: argparse.Namespace) -> int:
    _require_workflow(store, args.workflow)
    key = _resolve_key(store, args.workflow, args.node, args.key) if args.key else None
    value = store.read(args.workflow, args.node, key)
    print(value_text(value, full=args.full))
    source = _source_of(store, args.workflow, args.node, key)
    if source:
        print(f"written by {shown(source)}", file=sys.stderr)
    return EXIT_OK


def _source_of(store: Store, workflow: str, node: str, key: str | None) -> str:
    """The .fuse file that wrote the result, as its meta says ("" for a result saved before results said)."""
    if key is None:
        results = _results_of(store, workflow, node)
        key = results[-1].key if results else None
    saved = store.meta(workflow, node, key) if key is not None else None
    source = saved.get("source") if saved else None
    return source if isinstance(source, str) else ""


def _resolve_key(store: Store, workflow: str, node: str, prefix: str) -> str:
    """The full key for a key or a unique prefix of one (as `ls` prints 12 characters)."""
    keys = [r.key for r in _results_of(store, workflow, node)]
    matches = [key for key in keys if key.startswith(prefix)]
    if prefix in keys or len(matches) == 1:
        return prefix if prefix in keys else matches[0]
    if not matches:
        raise CommandError(f"node {node!r} of workflow {workflow!r} has no result with key {prefix!r}"
                           + hint(prefix, [k[:12] for k in keys], "stored keys"))
    raise CommandError(f"key prefix {prefix!r} is ambiguous: {len(matches)} results of node {node!r} start with it")


def _results_of(store: Store, workflow: str, node: str) -> list[StoredResult]:
    return [r for r in store.list(workflow, node) if r.node == node]


def _rm(store: Store, args: argparse.Namespace) -> int:
    if args.all == bool(args.globs or args.source):
        print("fusec storage rm: error: give node names or globs (or --source), or --all (not both)", file=sys.stderr)
        return EXIT_USAGE
    _require_workflow(store, args.workflow)
    if args.source:
        return _rm_source(store, args.workflow, args.source, args.globs)
    if args.all:
        count = len(store.list(args.workflow))
        store.remove_workflow(args.workflow)
        print(f"removed workflow {args.workflow} ({plural(count, 'result')})")
        return EXIT_OK
    return max(_rm_glob(store, args.workflow, glob) for glob in args.globs)


def _rm_glob(store: Store, workflow: str, glob: str) -> int:
    counts = Counter(r.node for r in store.list(workflow, glob))
    if not counts:
        print(f"fusec: error: no stored result of workflow {workflow!r} matches {glob!r}", file=sys.stderr)
        return EXIT_INPUT
    store.remove(workflow, glob)
    for node in sorted(counts):
        print(f"removed {workflow}/{node} ({plural(counts[node], 'result')})")
    return EXIT_OK


def _rm_source(store: Store, workflow: str, path: str, globs: list[str]) -> int:
    """rm --source: the results of `workflow` whose meta names `path` (runtime.shared), and
    its markers once none of them is left."""
    from ..runtime import shared  # deferred: the engine's part of the storage commands, for --source only

    items = [item for glob in globs or ["*"] for item in shared.written_by(store, workflow, path, glob)]
    items = list({(item.node, item.key): item for item in items}.values())  # globs may overlap
    if not items:
        known = sorted({source.path for source in store.sources(workflow)})
        raise CommandError(f"no stored result of workflow {workflow!r} was written by {shown(path)!r}"
                           + hint(path, [shown(k) for k in known], "files with results"))
    store.remove_garbage(items)
    if not globs:
        shared.forget(store, workflow, path)
    counts = Counter(item.node for item in items)
    for node in sorted(counts):
        print(f"removed {workflow}/{node} ({plural(counts[node], 'result')} written by {shown(path)})")
    return EXIT_OK


def _require_workflow(store: Store, workflow: str) -> None:
    workflows = store.workflows()
    if workflow not in workflows:
        raise CommandError(f"no workflow {workflow!r} in {store.url}" + hint(workflow, workflows, "stored workflows"))


def _du(store: Store, args: argparse.Namespace) -> int:
    if args.workflow is None:
        rows = []
        for workflow in store.workflows():
            results = store.list(workflow)
            rows.append((workflow, str(len({r.node for r in results})), str(len(results)),
                         human_size(sum(r.size for r in results))))
        if not rows:
            print(f"fusec: no stored results in {store.url}", file=sys.stderr)
            return EXIT_OK
        total = sum(int(r[2]) for r in rows)
        print(table([("WORKFLOW", "NODES", "RESULTS", "SIZE"), *rows], right={1, 2, 3}))
        print(f"{plural(total, 'result')} in {store.url}", file=sys.stderr)
        return EXIT_OK
    _require_workflow(store, args.workflow)
    per_node: dict[str, list[StoredResult]] = {}
    for r in store.list(args.workflow):
        per_node.setdefault(r.node, []).append(r)
    rows = [(node, str(len(rs)), human_size(sum(r.size for r in rs))) for node, rs in per_node.items()]
    rows.sort(key=lambda row: -sum(r.size for r in per_node[row[0]]))
    total = sum(r.size for rs in per_node.values() for r in rs)
    print(table([("NODE", "RESULTS", "SIZE"), *rows, ("total", str(sum(len(rs) for rs in per_node.values())),
                                                     human_size(total))], right={1, 2}))
    return EXIT_OK


def _gc(args: argparse.Namespace) -> int:
    """Garbage of the store, printed; removed unless --dry-run."""
    if args.file:
        return _gc_file(args)
    store = open_store(args.storage or DEFAULT_STORAGE)
    items = store.garbage(None, args.max_age)
    _report_garbage(store, items, args.dry_run)
    if not args.dry_run:
        store.remove_garbage(items)
    return EXIT_OK


def _gc_file(args: argparse.Namespace) -> int:
    """gc FILE: also the results of FILE's workflow whose keys FILE no longer produces,
    except those another .fuse file wrote (counted, never removed: runtime.shared)."""
    # deferred: the compiler and the engine, for `gc FILE` only (not ls, show, rm, du or `fusec --help`)
    from ..runtime import shared
    from ..runtime.bind import bind, import_path
    from ..runtime.prepare import RunSettings, prepare
    from ..runtime.stages import unknown_keys
    from .inputs import expanded_as_stored, load

    ir = load(args.file, args.defines)
    with import_path(Path(args.file).resolve().parent):  # the workflow's modules, as `fusec run` finds them
        wf = bind(ir, args.file)
        settings = RunSettings(storage=args.storage, param_texts=parse_assignments(args.param))
        wf = expanded_as_stored(wf, settings)
        plan = prepare(wf, {}, settings, warn_shared=False, part=bool(wf.fanouts or wf.decisions))
    assert plan.store is not None, "gc never runs without a store"
    store = plan.store
    pruning = shared.prune(store, wf.name, plan.keys, plan.origin, args.max_age, unknown_keys(wf))
    _report_garbage(store, pruning.garbage, args.dry_run, kept_message(wf.name, pruning.kept, args.dry_run))
    if not args.dry_run:
        store.remove_garbage(pruning.garbage)
        shared.forget_former(store, pruning, plan.origin)
    return EXIT_OK


def _report_garbage(store: Store, items: list[Garbage], dry_run: bool, kept: str = "") -> None:
    verb = "would remove" if dry_run else "removed"
    for item in items:
        where = "/".join(p for p in (item.workflow, item.node) if p) or "."
        what = item.key[:12] if item.kind != "temp" else item.key
        print(f"{verb} {item.kind} {where} {what} ({human_size(item.size)})")
    if kept:
        print(kept, file=sys.stderr)
    size = sum(item.size for item in items)
    print(f"{verb} {plural(len(items), 'item')}, {human_size(size)} in {store.url}", file=sys.stderr)


def kept_message(workflow: str, kept: dict[str, int], dry_run: bool) -> str:
    """What gc FILE leaves of the results other files wrote ("" when none)."""
    if not kept:
        return ""
    files = sorted(kept)
    names = ", ".join(shown(path) for path in files)
    that = "that file" if len(files) == 1 else "each of those files"
    return (f"{'would keep' if dry_run else 'kept'} {plural(sum(kept.values()), 'result')} of workflow {workflow!r} "
            f"written by other files: {names}; run `fusec storage gc` with {that} to prune them")


_COMMANDS = {"ls": _ls, "show": _show, "rm": _rm, "du": _du, "gc": _gc}


# Formatting: pure functions, tested directly.


def human_size(n: float) -> str:
    """``532 B``, ``1.2 KiB``, ``3.4 MiB``..."""
    if n < 1024:
        return f"{int(n)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def local_time(mtime: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def table(rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> str:
    """Rows as aligned columns, two spaces apart; columns in ``right`` right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def value_text(value: Any, *, full: bool = False) -> str:
    """``pprint`` text of a value; big containers and long text are shortened unless ``full``.
    Ints of any length are shown; a value whose repr() raises is shown by a stand-in."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 160))
    with all_digits():
        try:
            text = pprint.pformat(value if full else shorten(value), width=width, sort_dicts=False)
        except Exception:  # a repr() that raises, or nests too deeply
            text = safe_repr("", value, {})
    if full or len(text) <= SHOW_CHARS:
        return text
    cut = text.rfind("\n", 0, SHOW_CHARS) + 1 or SHOW_CHARS
    return text[:cut] + f"... ({len(text) - cut} more characters; --full shows everything)"


class _Note:
    """Stands for elided items in shortened output; its repr is its text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def shorten(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with at most SHOW_ITEMS items per list/tuple/dict/set level.

    Keeps `show` fast on results with millions of elements: only what is shown
    is formatted. Other objects (numpy arrays summarise themselves) pass through.
    """
    if depth > 6 or type(value) not in (list, tuple, dict, set, frozenset):
        return value
    if isinstance(value, dict):
        out = {k: shorten(v, depth + 1) for k, v in _first(value.items())}
        if len(value) > SHOW_ITEMS:
            out[_Note("...")] = _Note(f"<{len(value) - SHOW_ITEMS} more items>")
        return out
    items = [shorten(v, depth + 1) for v in _first(value)]
    if len(value) > SHOW_ITEMS:
        items.append(_Note(f"...<{len(value) - SHOW_ITEMS} more items>"))
    return type(value)(items)


def _first(items: Any) -> list:
    out = []
    for item in items:
        if len(out) == SHOW_ITEMS:
            break
        out.append(item)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fuseflow.cli.storage ...`` until ``fusec`` has it built in."""
    parser = argparse.ArgumentParser(prog="fusec", description="fuseflow result storage")
    add_parser(parser.add_subparsers(metavar="COMMAND", required=True))
    args = parser.parse_args(["storage", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
