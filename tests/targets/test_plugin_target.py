"""A target from another package, registered through the entry-point group `fuseflow.targets`
alone: `fusec compile`, `run` and `nodes` pick it up, with no file of fuseflow changed.

The package is a module and its distribution metadata (a .dist-info folder with an
entry_points.txt, as `pip install` writes it) in a folder put on PYTHONPATH.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = '''
from fuseflow.targets import get
from fuseflow.targets.base import Applied, Target


class EchoTarget(Target):
    name = "echo"
    summary = "the node names, one a line"
    runnable = True

    def generate(self, wf, base_dir=None):
        return "".join(f"{node.name} <- {node.target}\\n" for node in wf.nodes)

    def run(self, wf, fuse_path, settings, args):
        outputs = get("local").run(wf, fuse_path, settings, args)  # fuseflow's engine, here
        prefix = "ECHO_" if args.shout else "echo_"
        return {prefix + name: value for name, value in outputs.items()}

    def add_run_arguments(self, parser):
        parser.add_argument("--shout", action="store_true", help="echo: upper-case output names")

    def applied(self, node, wf):
        return Applied("echo", {"label": node.name.upper()})
'''
ENTRY_POINTS = "[fuseflow.targets]\necho = echo_target:EchoTarget\n"
WORKFLOW = "workflow arith\nfrom ops import add\nparam a: int = 1\ns = add(a, 2)\nt = add(s, s)\nreturn t\n"
OPS = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "echo_target.py").write_text(PLUGIN, encoding="utf-8")
    meta = site / "echo_target-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-target\nVersion: 0.1\n", encoding="utf-8")
    (meta / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (tmp_path / "wf.fuse").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "ops.py").write_text(OPS, encoding="utf-8")
    return tmp_path


def fusec(folder: Path, *args: str, plugin_on_path: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder / "site")] * plugin_on_path)}
    return subprocess.run([sys.executable, "-m", "fuseflow.cli", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)


def test_compile_run_and_nodes_pick_up_a_target_registered_by_entry_point(plugin: Path):
    compiled = fusec(plugin, "compile", "wf.fuse", "--target", "echo")
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout == "s <- ops:add\nt <- ops:add\n"

    ran = fusec(plugin, "run", "wf.fuse", "--target", "echo", "--shout", "--json", "--no-cache", "-p", "a=4")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {"ECHO_t": 12}  # (4 + 2) * 2 by the engine; --shout is the target's flag

    nodes = fusec(plugin, "nodes", "wf.fuse", "--target", "echo")
    assert nodes.returncode == 0, nodes.stderr
    assert nodes.stdout.split() == ["s", '{"echo":', '{"label":', '"S"}}', "t", '{"echo":', '{"label":', '"T"}}']


def test_an_unknown_target_lists_the_registered_ones_and_the_plugin_is_gone_without_its_package(plugin: Path):
    unknown = fusec(plugin, "compile", "wf.fuse", "--target", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr == "fusec: error: unknown target 'nope'; known targets: echo, ir, kfp, local, prefect, ray\n"
    gone = fusec(plugin, "compile", "wf.fuse", "--target", "echo", plugin_on_path=False)
    assert gone.returncode == 2 and "unknown target 'echo'" in gone.stderr
