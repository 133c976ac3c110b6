"""A node calling sys.exit(3) on a Ray worker is that node's failure, as locally:
not a crashed worker that Ray restarts and retries (tests/local/test_node_exits.py)."""
from __future__ import annotations

import pytest

from fuseflow.runtime.invoke import NodeFailed

pytestmark = pytest.mark.ray


@pytest.mark.parametrize("options", ["", 'options { "b": { seed: 1 } }'], ids=["direct", "with-options"])
def test_a_node_calling_sys_exit_fails_the_node_on_ray(workflow, options):
    wf = workflow(f'''
from sys import exit
b = exit(3)
{options}
return b
''')
    with pytest.raises(NodeFailed, match=r"^node 'b' failed: SystemExit: 3$") as failed:
        wf.run(no_cache=True)
    assert failed.value.node == "b" and failed.value.attempts == 1


def test_an_object_whose_constructor_exits_fails_its_node_on_ray(workflow):
    wf = workflow('''
from sys import exit
o = exit(4)
r = o.bit_length()
return r
''')
    with pytest.raises(NodeFailed, match=r"^node 'o' failed: SystemExit: 4$"):
        wf.run(no_cache=True)
