"""The progress display: counts of nodes done, loaded, running and failed on a
terminal (or with --progress); nothing at all when stderr is not a terminal."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from .conftest import FUSEC

pytest.importorskip("rich")

WORKFLOW = """
    workflow shown
    from steps import inc, fail_on
    param bad: int = -1
    x = inc(1)
    y = inc(x)
    z = fail_on(y, bad)
    return z
"""
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(project, *args: str) -> tuple[int, str, str]:
    """Run `fusec run` with stderr on a pseudo-terminal; (status, stdout, terminal text)."""
    command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
    leader, follower = pty.openpty()
    env = project.env(TERM="xterm-256color", COLUMNS="160")
    process = subprocess.Popen([*command, "run", str(project.root / "wf.fuse"), "--storage", str(project.store), *args],
                               stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower side closed: the process is done with the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.communicate(timeout=60)[0].decode()
    os.close(leader)
    return process.returncode, stdout, ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def test_quiet_when_stderr_is_not_a_terminal(project):
    project.fuse(WORKFLOW)
    done = project.run()
    assert done.returncode == 0
    assert done.stdout == "3\n"
    assert done.stderr == ""


def test_counts_on_a_terminal(project):
    project.fuse(WORKFLOW)
    status, stdout, shown = on_terminal(project)
    assert status == 0
    assert stdout == "3\n"  # the outputs stay on stdout, undisturbed
    assert "3/3" in shown
    assert "done 3  loaded 0  running 0  failed 0" in shown
    status, stdout, shown = on_terminal(project)
    assert "1/1" in shown and "done 0  loaded 1  running 0  failed 0" in shown  # only the output is loaded


def test_failed_count_on_a_terminal(project):
    project.fuse(WORKFLOW)
    status, stdout, shown = on_terminal(project, "-p", "bad=3")
    assert status == 1
    assert "done 2  loaded 0  running 0  failed 1" in shown
    assert "error: node 'z' failed: ValueError: refusing 3" in shown


def test_forced_on_and_off(project):
    project.fuse(WORKFLOW)
    done = project.run("--progress")
    assert "done 3  loaded 0  running 0  failed 0" in done.stderr
    status, stdout, shown = on_terminal(project, "--no-progress", "--rerun", "z")
    assert status == 0 and "done" not in shown
