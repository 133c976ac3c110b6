"""`fusec explain`: every node as stored or to run, and why, without running anything."""

from __future__ import annotations

import json

from .conftest import Project

DIAMOND = """
    workflow diamond
    from steps import inc, add

    param a: int = 1
    param b: int = 10

    x = inc(a)
    y = inc(b)
    z = add(x, y)
    w = inc(y, by=100)
    return z, w
"""


def explain(project: Project, *args: str) -> dict[str, tuple[str, list[str]]]:
    done = project.fusec("explain", "wf.fuse", "--json", *args)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return {row["node"]: (row["status"], row["reasons"]) for row in rows}


def test_before_and_after_a_run(project: Project) -> None:
    project.fuse(DIAMOND)
    assert explain(project) == {n: ("run", ["never stored"]) for n in "xyzw"}
    assert project.calls() == [] and not (project.root / ".fuseflow").exists()  # explain runs and writes nothing
    project.run()
    project.calls()
    assert explain(project) == {n: ("stored", []) for n in "xyzw"}


def test_a_changed_param_and_what_depends_on_it(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    assert explain(project, "-p", "a=5") == {
        "x": ("run", ["param a changed: 1 -> 5"]),
        "y": ("stored", []),
        "z": ("run", ["upstream x changed (it runs)"]),
        "w": ("stored", []),
    }


def test_the_closest_stored_key_is_the_one_compared(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    project.run("-p", "a=5")
    assert explain(project, "-p", "a=6")["x"] == ("run", ["param a changed: 5 -> 6"])  # the newest of two


def test_changed_source_and_changed_literal(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    project.fuse(DIAMOND.replace("by=100", "by=200"))
    (project.root / "steps.py").write_text(project.STEPS.replace("return a + b\n", "return b + a\n"))
    rows = explain(project)
    assert rows["x"] == ("stored", []) and rows["y"] == ("stored", [])
    assert rows["z"] == ("run", ["the source of steps.add changed"])
    assert rows["w"] == ("run", ["argument by= changed: 100 -> 200"])


def test_rerun_and_the_nodes_it_drags_along(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    rows = explain(project, "--rerun", "y")
    assert rows == {"x": ("stored", []), "y": ("run", ["forced by --rerun"]),
                    "z": ("run", ["forced by --rerun (it reads y)"]), "w": ("run", ["forced by --rerun (it reads y)"])}


def test_a_node_not_needed_because_what_reads_it_is_stored(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    project.run("-p", "a=5")
    project.fuse(DIAMOND.replace("return z, w", "return w"))
    rows = explain(project, "-p", "a=7")
    assert rows["w"] == ("stored", []) and rows["x"] == ("not needed", ["nothing that runs reads it"])


def test_the_table_and_its_summary(project: Project) -> None:
    project.fuse(DIAMOND)
    project.run()
    done = project.fusec("explain", "wf.fuse", "-p", "b=3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NODE", "STATUS", "WHY"]
    assert lines[2].split(None, 2) == ["y", "run", "param b changed: 10 -> 3"]
    assert done.stderr.startswith("3 to run, 1 stored, 0 not needed (file:")


def test_usage_errors(project: Project) -> None:
    project.fuse(DIAMOND)
    done = project.fusec("explain", "wf.fuse", "-p", "nosuch=1")
    assert done.returncode == 2 and "unknown param 'nosuch'" in done.stderr


def test_objects_and_their_calls(project: Project) -> None:
    import shutil

    from .conftest import ROOT

    for name in ("counter.fuse", "counter.py"):
        shutil.copy(ROOT / "examples" / name, project.root / name)
    project.run(fuse="counter.fuse")
    done = project.fusec("explain", "counter.fuse", "--json", "--rerun", "counter_add_2")
    assert done.returncode == 0, done.stderr
    rows = {row["node"]: (row["status"], row["reasons"]) for row in map(json.loads, done.stdout.splitlines())}
    assert rows["counter"] == ("run", ["an object: built in every run that calls its methods"])
    assert rows["counter_add_1"] == ("run", ["stored, but the later call 'counter_add_2' on the same object runs, "
                                             "so this one is replayed"])
    assert rows["counter_add_2"] == ("run", ["forced by --rerun"])
    assert rows["six"] == ("run", ["forced by --rerun (it follows counter_add_2 on the same object)"])
    assert rows["two"] == ("stored", [])
    done = project.fusec("explain", "counter.fuse", "--json")
    rows = {row["node"]: (row["status"], row["reasons"]) for row in map(json.loads, done.stdout.splitlines())}
    assert rows["counter"] == ("not needed", ["an object: built only when one of its calls runs"])
