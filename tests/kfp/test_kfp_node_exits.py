"""A node calling sys.exit(3) in a KFP step is that node's failure, as locally
(tests/local/test_node_exits.py)."""
from __future__ import annotations

import pytest

from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.execute import RunSettings
from fuseflow.runtime.invoke import NodeFailed
from fuseflow.targets.kfp import generate as kfp_target

pytestmark = [pytest.mark.kfp, pytest.mark.slow]


def test_a_node_calling_sys_exit_fails_the_node_in_its_kfp_step(project):
    path = project("""
        workflow quitting
        from sys import exit
        from steps import inc
        a = inc(1)
        b = exit(3)
        return b
        """)
    with pytest.raises(NodeFailed) as caught:
        workflow, _ = compile_file(path)
        kfp_target.run(workflow, str(path), RunSettings(progress=False, no_cache=True), None)
    assert str(caught.value) == "node 'b' failed: SystemExit: 3"


def test_an_error_whose_str_raises_fails_the_node_with_its_class_named(project):
    path = project("""
        workflow nasty
        from nasty import boom
        b = boom(1)
        return b
        """)
    (path.parent / "nasty.py").write_text(
        "class Nasty(Exception):\n"
        "    def __str__(self):\n"
        "        raise RuntimeError('no str')\n\n\n"
        "def boom(x):\n"
        "    raise Nasty()\n", encoding="utf-8")
    with pytest.raises(NodeFailed) as caught:
        workflow, _ = compile_file(path)
        kfp_target.run(workflow, str(path), RunSettings(progress=False, no_cache=True), None)
    assert str(caught.value) == "node 'b' failed: Nasty: <str() of the exception failed>"
