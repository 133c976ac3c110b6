"""Result storage seen from a run: what a rerun computes, what it loads, and
what survives damaged files, failing nodes and a killed process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fuseflow.runtime.storage import open_store

from .conftest import FUSEC

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


def test_unchanged_rerun_computes_nothing(project):
    project.fuse(DIAMOND)
    assert project.outputs() == {"z": 13, "w": 111}
    assert sorted(project.calls()) == ["add 2 11", "inc 1", "inc 10", "inc 11"]
    assert project.stored_nodes("diamond") == ["w", "x", "y", "z"]
    assert project.outputs() == {"z": 13, "w": 111}
    assert project.calls() == []


def test_changed_param_recomputes_exactly_its_dependents(project):
    project.fuse(DIAMOND)
    project.outputs()
    project.calls()
    assert project.outputs("-p", "a=5") == {"z": 17, "w": 111}
    assert project.calls() == ["inc 5", "add 6 11"]  # y is loaded for z; w is loaded as it is
    assert project.outputs("-p", "b=20", "-p", "a=5") == {"z": 27, "w": 121}
    assert project.calls() == ["inc 20", "add 6 21", "inc 21"]
    assert project.outputs() == {"z": 13, "w": 111}  # the first results are still there
    assert project.calls() == []


def test_changed_literal_or_function_source_recomputes(project):
    project.fuse(DIAMOND)
    project.outputs()
    project.calls()
    project.fuse(DIAMOND.replace("by=100", "by=200"))
    assert project.outputs() == {"z": 13, "w": 211}
    assert project.calls() == ["inc 11"]
    project.write("steps.py", (project.root / "steps.py").read_text().replace("return a + b", "return a + b + 0.5"))
    assert project.outputs() == {"z": 13.5, "w": 211}
    assert project.calls() == ["add 2 11"]  # only the node whose function changed


def test_rerun_forces_matching_nodes_and_their_dependents(project):
    project.fuse(DIAMOND)
    project.outputs()
    project.calls()
    project.outputs("--rerun", "x")
    assert project.calls() == ["inc 1", "add 2 11"]
    project.outputs("--rerun", "[xy]")
    assert project.calls() == ["inc 1", "inc 10", "add 2 11", "inc 11"]
    project.outputs("--rerun", "w")
    assert project.calls() == ["inc 11"]


def test_no_cache_neither_loads_nor_stores(project):
    project.fuse(DIAMOND)
    assert project.outputs("--no-cache") == {"z": 13, "w": 111}
    assert len(project.calls()) == 4
    assert not project.store.exists()
    project.outputs()
    project.calls()
    project.outputs("--no-cache")
    assert len(project.calls()) == 4  # stored results are not used either


def test_cache_false_nodes_are_never_stored(project):
    project.fuse(DIAMOND + """
    options {
        "y": { cache: false }
        "w": { cache: false }
    }
    """)
    assert project.outputs() == {"z": 13, "w": 111}
    assert project.stored_nodes("diamond") == ["x", "z"]
    project.calls()
    assert project.outputs() == {"z": 13, "w": 111}
    # z is loaded, so y is not needed for it; w (an output) runs, and needs y
    assert project.calls() == ["inc 10", "inc 11"]
    assert project.stored_nodes("diamond") == ["x", "z"]


BIG = """
    workflow damaged
    from steps import inc, big, size

    x = inc(1)
    b1 = big(x)
    b2 = big(x, size=400000)
    n1 = size(b1)
    n2 = size(b2)
    return n1, n2
"""


def test_damaged_records_warn_and_recompute(project):
    project.fuse(BIG)
    assert project.outputs() == {"n1": 300000, "n2": 400000}
    project.calls()
    [b1] = project.records("damaged", "b1")
    b1.write_bytes(b1.read_bytes()[:-3])  # truncated
    [b2] = project.records("damaged", "b2")
    data = bytearray(b2.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit in the payload
    b2.write_bytes(bytes(data))
    done = project.run("--json", "--rerun", "n.")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"n1": 300000, "n2": 400000}\n'
    warnings = done.stderr.splitlines()
    assert len(warnings) == 2, done.stderr
    assert warnings[0].startswith("warning: discarded the stored result of node 'b1' in workflow 'damaged'")
    assert warnings[1].startswith("warning: discarded the stored result of node 'b2' in workflow 'damaged'")
    assert all(line.endswith("it will be recomputed") for line in warnings)
    assert project.calls() == ["big 2", "big 2", "size 300000", "size 400000"]  # x was loaded for them
    done = project.run("--json", "--rerun", "n.")
    assert done.stderr == ""  # rewritten whole
    assert project.calls() == ["size 300000", "size 400000"]


def test_empty_record_file_is_recomputed(project):
    project.fuse(BIG)
    project.outputs()
    project.calls()
    [b1] = project.records("damaged", "b1")
    b1.write_bytes(b"")
    done = project.run("--json", "--rerun", "n1")
    assert done.returncode == 0
    assert done.stderr.startswith("warning: discarded the stored result of node 'b1'")
    assert project.calls() == ["big 2", "size 300000"]


def test_every_stored_file_damaged_still_gives_the_right_outputs(project):
    """Whatever the layout (small results may share files): damage every byte
    range the store holds and the run still completes, warns and recomputes."""
    project.fuse(DIAMOND)
    project.outputs()
    project.calls()
    for path in project.files("diamond"):
        data = bytearray(path.read_bytes())
        for at in range(len(data) // 2, len(data), 7):
            data[at] ^= 0x55
        path.write_bytes(bytes(data))
    done = project.run("--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"z": 13, "w": 111}\n'
    assert all(line.startswith("warning: ") for line in done.stderr.splitlines())  # a torn pack tail may be silent
    assert project.calls() != []  # what was damaged was computed again
    done = project.run("--json")
    assert done.stderr == "" and project.calls() == []


FAILING = """
    workflow failing
    from steps import inc, fail_on

    param bad: int = 2

    x = inc(1)
    y = fail_on(x, bad)
    z = inc(y)
    return z
"""


def test_failing_node_names_itself_with_the_users_traceback_and_keeps_earlier_results(project):
    project.fuse(FAILING)
    done = project.run()
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: node 'y' failed: ValueError: refusing 2\n")
    assert f'File "{project.root / "steps.py"}", line' in done.stderr
    assert "in fail_on" in done.stderr
    assert 'raise ValueError(f"refusing {x}")' in done.stderr
    assert "fuseflow" not in done.stderr.split("Traceback of node 'y':")[1].split("Results finished")[0]
    assert "Results finished before the failure are stored" in done.stderr
    assert project.calls() == ["inc 1", "fail_on 2"]
    assert project.stored_nodes("failing") == ["x"]
    # fixed (here: another param value), the next run reuses x
    assert project.outputs("-p", "bad=0") == {"z": 3}
    assert project.calls() == ["fail_on 2", "inc 2"]


def test_failure_without_storage_says_nothing_is_kept(project):
    project.fuse(FAILING)
    done = project.run("--no-cache")
    assert done.returncode == 1
    assert "stored" not in done.stderr


def test_killed_run_then_rerun_completes_and_reuses_what_was_stored(project):
    project.fuse("""
        workflow killed
        from steps import inc, nap

        a = inc(1)
        b = inc(a)
        c = nap(b)
        d = inc(c)
        return d
    """)
    nap = project.root / "nap"
    nap.write_text("60")
    command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
    process = subprocess.Popen([*command, "run", str(project.root / "wf.fuse"), "--storage", str(project.store)],
                               env=project.env(FUSE_NAP=str(nap)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while "nap 3" not in (project.log_path.read_text() if project.log_path.exists() else ""):
            assert time.monotonic() < deadline, "the slow node never started"
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert project.calls() == ["inc 1", "inc 2", "nap 3"]
    assert project.stored_nodes("killed") == ["a", "b"]
    nap.write_text("0")
    assert project.outputs(FUSE_NAP=str(nap)) == {"d": 4}
    assert project.calls() == ["nap 3", "inc 3"]
    assert project.outputs() == {"d": 4}
    assert project.calls() == []


def test_storage_url_forms(project):
    project.fuse(DIAMOND)
    done = project.fusec("run", "wf.fuse", "--json", "--storage", "file:results")
    assert done.returncode == 0, done.stderr
    assert open_store(str(project.root / "results")).list_tasks("diamond") == ["w", "x", "y", "z"]
    project.fuse(DIAMOND.replace("workflow diamond", 'workflow diamond\nstorage "kept"'))
    done = project.fusec("run", str(project.root / "wf.fuse"), "--json", cwd=project.root.parent)
    assert done.returncode == 0, done.stderr
    assert open_store(str(project.root / "kept")).list_tasks("diamond") == ["w", "x", "y", "z"]  # beside the .fuse file


def test_ctrl_c_stops_the_run_and_keeps_what_was_stored(project):
    project.fuse("""
        workflow interrupted
        from steps import inc, nap
        a = inc(1)
        b = nap(a)
        c = inc(b)
        return c
    """)
    nap = project.root / "nap"
    nap.write_text("60")
    command = [FUSEC] if FUSEC else [sys.executable, "-m", "fuseflow.cli"]
    process = subprocess.Popen([*command, "run", str(project.root / "wf.fuse"), "--storage", str(project.store)],
                               env=project.env(FUSE_NAP=str(nap)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        while "nap 2" not in (project.log_path.read_text() if project.log_path.exists() else ""):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert stdout == ""
    assert stderr.strip() == "interrupted. Results finished so far are stored; the next run reuses them."
    assert project.stored_nodes("interrupted") == ["a"]
