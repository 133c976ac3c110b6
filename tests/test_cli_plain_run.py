"""`fusec run FILE ...` and `fusec check FILE...` read without argparse
(fuseflow.runtime.flags.read_plain) mean what argparse reads: for every line the plain
reader takes, the same values; every other line (help, abbreviations, errors) is
argparse's alone. And a plain --no-cache run starts without argparse and without the
store's side of the engine.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuseflow.cli.commands import build_parser, cmd_check, cmd_run, plain_line

ROOT = Path(__file__).resolve().parent
ARITH = "tests/golden/arith/input.fuse"

# Words a `fusec run` line may hold: every spelling of its flags (full, short, `=`, abbreviated,
# negated), values that look like flags, and files.
WORDS = [
    "wf.fuse", "other.fuse", "-", "--", "-h", "--help",
    "-p", "--param", "--param=a=1", "-pa=1", "-p=a=1", "--par", "a=1", "b=[1, 2]", "n=-5", "-5", "",
    "--storage", "--storage=s3://b/x", "--storage=", "--stor", "file:runs",
    "--json", "--json=1", "--js", "--rerun", "--rerun=t.*", "t.*",
    "--no-cache", "--no-cache=yes", "--no-c", "--set", "--set=.*:retries=2", ".*:cache=false",
    "--progress", "--no-progress", "--progress=1", "--prog", "--summary", "--summary=1", "--sum", "--no-summary",
    "--target", "-t", "--target=local", "-tlocal", "local", "prefect", "kfp", "ray", "nowhere", "--tar",
    "--debug", "--deb", "-D", "-Dn=1", "n=2", "--bare", "--imports", "--imports=1", "--imp",
]


def parsed(argv: list[str]) -> dict | None:
    """argparse's values for `argv`, or None when it refuses the line (or prints help)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return vars(build_parser(argv).parse_args(argv))
        except SystemExit:
            return None


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["run", "check"]), st.lists(st.sampled_from(WORDS), max_size=7))
def test_a_plain_reading_is_argparses_reading(command: str, words: list[str]) -> None:
    argv = [command, *words]
    plain = plain_line(argv)
    if plain is not None:
        assert vars(plain) == parsed(argv), argv


@pytest.mark.parametrize("words", [
    ["wf.fuse"],
    ["--no-cache", "wf.fuse"],
    ["wf.fuse", "--no-cache", "--json", "-p", "a=1", "--param", "b=2", "--set", ".*:retries=2"],
    ["wf.fuse", "--json", "--summary"],
    ["--storage=file:runs", "--rerun", "t.*", "wf.fuse", "--no-progress", "-D", "n=3", "--debug"],
    ["wf.fuse", "--target", "local"],
    ["-t", "prefect", "wf.fuse"],
    ["wf.fuse", "--target", "nowhere"],  # cmd_run says it is unknown, as after argparse
])
def test_common_lines_are_read_plainly(words: list[str]) -> None:
    argv = ["run", *words]
    plain = plain_line(argv)
    assert plain is not None and plain.func is cmd_run
    assert vars(plain) == parsed(argv)


@pytest.mark.parametrize("words", [
    ["wf.fuse"],
    ["a.fuse", "b.fuse", "--imports"],
    ["--imports", "-D", "n=3", "a.fuse", "b.fuse", "--debug"],
])
def test_common_check_lines_are_read_plainly(words: list[str]) -> None:
    argv = ["check", *words]
    plain = plain_line(argv)
    assert plain is not None and plain.func is cmd_check
    assert vars(plain) == parsed(argv)


@pytest.mark.parametrize("words", [
    ["wf.fuse", "--target", "kfp"],  # a target with flags of its own (--bare): argparse, with their defaults
    ["wf.fuse", "--help"],
    ["--no-c", "wf.fuse"],  # an abbreviation
    ["wf.fuse", "-p"],  # a flag without its value: argparse's error
    [],
])
def test_other_lines_go_to_argparse(words: list[str]) -> None:
    assert plain_line(["run", *words]) is None


def test_check_files_after_a_flag_go_to_argparse() -> None:
    """argparse takes FILE... in one stretch: `check a.fuse --imports b.fuse` is its error."""
    assert plain_line(["check", "a.fuse", "--imports", "b.fuse"]) is None
    assert parsed(["check", "a.fuse", "--imports", "b.fuse"]) is None


# What a plain `fusec run --no-cache FILE` does without: argparse (and the gettext it asks), the
# generated module's command line, and the storage side (keys, loading and saving, the store).
NOT_LOADED = ("argparse", "gettext", "fuseflow.runtime.cli", "fuseflow.runtime.keys", "fuseflow.runtime.explain",
              "fuseflow.runtime.node", "fuseflow.runtime.shared", "fuseflow.runtime.storage")


def test_a_plain_run_that_keeps_nothing_loads_only_what_it_uses() -> None:
    code = ("import sys\nfrom fuseflow.cli import main\n"
            f"status = main(['run', '--no-cache', {ARITH!r}])\n"
            f"print(sorted(name for name in {NOT_LOADED!r} if name in sys.modules))\n"
            "sys.exit(status)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent,
                          env={**os.environ, "PYTHONPATH": str(ROOT.parent)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
