"""Imported names as values, run locally: indexed when the node runs (`DATA[0]`,
`dm.DATA[0]`), never dropped, and an index that fails names what it indexed."""
from __future__ import annotations


def test_an_indexed_imported_name_passes_the_item(project):
    project.write("data.py", "DATA = [1, [2, 3], {'k': 'v'}]\n")
    project.fuse("""
        from steps import pair
        from data import DATA
        import data as dm
        u = pair(DATA[0], DATA[1][1])
        v = pair(dm.DATA[2]["k"], DATA)
        return u, v
    """)
    outputs = project.outputs()
    assert outputs["u"]["both"] == [1, 3]
    assert outputs["v"]["both"] == ["v", [1, [2, 3], {"k": "v"}]]


def test_an_index_out_of_range_is_an_error_naming_the_import_before_any_node_runs(project):
    project.write("data.py", "DATA = [1, 2, 3]\n")
    project.fuse("""
        from steps import inc
        from data import DATA
        u = inc(DATA[5])
    """)
    done = project.run()
    assert done.returncode == 1, done.stderr
    assert "wf.fuse:3:9: error: cannot take [5] of DATA (list): IndexError: list index out of range" in done.stderr
    assert "Traceback" not in done.stderr and project.calls() == []
