"""A flow whose keyword arguments are named like Python keywords (`f(lambda=1)`
in a .fuse file): Prefect's flow body passes them through `**{...}`, in order."""
from __future__ import annotations


def test_keyword_named_arguments_reach_the_function_in_order(project):
    project.write("kwsteps.py", "def kwargs(**named):\n    return named\n")
    flow = project.flow("""
        workflow kw
        from kwsteps import kwargs
        a = kwargs(lambda=1, kw=2, None=3)
        return a
    """)
    outputs = flow.kw()
    assert list(outputs["a"].items()) == [("lambda", 1), ("kw", 2), ("None", 3)]
