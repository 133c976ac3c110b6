"""`fusec submit FILE --target T`: one command, each target its own way of sending a workflow off.

    fusec submit pipeline.fuse --host https://kfp.example.com -p n=500          # KFP (the default target)
    fusec submit wf.fuse --target ray --address http://head:8265 -p n=500       # a Ray job

The command belongs to no target: the first target whose `add_commands` asks
for it (`command(subparsers)`) makes it with the flags every target shares
(FILE, --target, -p, --storage, --rerun, -D, --debug), and each target adds
its own flags in a group of their own (`add_target`) and the function that
submits. `--target` defaults to kfp, the first target `fusec submit` had; a
flag of another target than the one asked for is a usage error naming its
target, so a forgotten `--target ray` is said, not guessed.
"""
from __future__ import annotations

import argparse
import re
import weakref
from collections.abc import Callable
from typing import Any

from ..compiler.errors import UsageError

DEFAULT_TARGET = "kfp"

_COMMANDS: weakref.WeakKeyDictionary[Any, SubmitCommand] = weakref.WeakKeyDictionary()


class SubmitCommand:
    """The `submit` parser of one command line, and who submits for each target."""

    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser
        self.runners: dict[str, Callable[[argparse.Namespace], int]] = {}
        self.flags: dict[str, dict[str, str]] = {}  # target -> {dest: the flag's name}

    def add_target(self, name: str, title: str, add_arguments: Callable[[Any], None],
                   run: Callable[[argparse.Namespace], int]) -> None:
        """Target `name` submits with `run(args)`; `add_arguments(group)` adds its own flags."""
        group = self.parser.add_argument_group(f"--target {name}", title)
        known = {id(action) for action in self.parser._actions}
        add_arguments(group)
        flags = self.flags[name] = {}
        for action in self.parser._actions:
            if id(action) not in known:
                flags.setdefault(action.dest, action.option_strings[0])
        self.runners[name] = run

    def dispatch(self, args: argparse.Namespace) -> int:
        run = self.runners.get(args.target)
        if run is None:
            raise UsageError(f"fusec submit cannot submit to the {args.target} target; "
                             f"--target is one of: {', '.join(sorted(self.runners))}")
        for other, flags in sorted(self.flags.items()):
            for dest, flag in flags.items():
                if other != args.target and getattr(args, dest) != self.parser.get_default(dest):
                    default = " (the default)" if args.target == DEFAULT_TARGET else ""
                    raise UsageError(f"{flag} is a flag of fusec submit --target {other}, "
                                     f"not of --target {args.target}{default}")
        return run(args)


def command(subparsers: Any) -> SubmitCommand:
    """The `fusec submit` command of this command line, made on the first call."""
    found = _COMMANDS.get(subparsers)
    if found is None:
        found = _COMMANDS[subparsers] = SubmitCommand(_parser(subparsers))
        found.parser.set_defaults(func=found.dispatch)
    return found


def _parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "submit", help="compile and send a workflow to a cluster: a KFP run or a Ray job",
        description="Compile a .fuse file and send it off: a run on a Kubeflow Pipelines endpoint "
                    "(--target kfp, the default; needs kfp) or a Ray job through Ray's Jobs API "
                    "(--target ray; needs ray[default]). See docs/kfp.md and docs/ray.md.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--target", "-t", default=DEFAULT_TARGET, metavar="TARGET",
                   help="where to: kfp (the default) or ray")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="set a param (repeatable)")
    p.add_argument("--storage", metavar="URL",
                   help="the store the cluster keeps results in: s3://bucket/prefix, or an absolute path every "
                        "node sees")
    p.add_argument("--rerun", metavar="REGEX", help="recompute matching nodes and everything downstream")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    p.add_argument("-D", dest="defines", action="append", metavar="NAME=VALUE", default=[],
                   help="override a `let` constant (repeatable)")
    return p


def reason(exc: BaseException) -> str:
    """The gist of a client error: "[Errno 111] Connection refused" (from the error or one it
    was raised from) rather than a page of urllib3."""
    seen: BaseException | None = exc
    while seen is not None:
        errno = re.search(r"\[Errno -?\d+\][^'\")]*", str(seen))
        if errno:
            return errno.group(0).strip()
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
