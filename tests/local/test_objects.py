"""Object nodes: one object per object node, its method calls in source order,
and a rerun that needs a later call replays the object (constructor and the
earlier calls) before it."""
from __future__ import annotations

COUNTER = """
    workflow counting
    from steps import inc, Counter

    param last: int = 100

    one = inc(0)
    c = Counter(start=one)
    c.add(10)
    mid = c.add(20)
    two = inc(one)
    end = c.add(last)
    then = inc(end)
    return mid, then
"""


def test_one_object_and_method_calls_in_source_order(project):
    project.fuse(COUNTER)
    assert project.outputs() == {"mid": 31, "then": 132}
    assert project.calls() == ["inc 0", "Counter 1", "Counter.add 10", "Counter.add 20", "Counter.add 100", "inc 131"]
    # `two` is nobody's input and not returned: it does not run
    assert project.stored_nodes("counting") == ["c_add_1", "end", "mid", "one", "then"]  # objects are not stored


def test_unchanged_rerun_does_not_build_the_object(project):
    project.fuse(COUNTER)
    project.outputs()
    project.calls()
    assert project.outputs() == {"mid": 31, "then": 132}
    assert project.calls() == []


def test_changed_input_of_a_later_call_replays_the_object(project):
    project.fuse(COUNTER)
    project.outputs()
    project.calls()
    assert project.outputs("-p", "last=1000") == {"mid": 31, "then": 1032}
    # `one` is loaded; the object is built again and the earlier calls replayed in order
    assert project.calls() == ["Counter 1", "Counter.add 10", "Counter.add 20", "Counter.add 1000", "inc 1031"]
    assert project.outputs("-p", "last=1000") == {"mid": 31, "then": 1032}
    assert project.calls() == []


def test_rerun_of_an_earlier_call_replays_the_later_ones(project):
    project.fuse(COUNTER)
    project.outputs()
    project.calls()
    project.outputs("--rerun", "mid")
    assert project.calls() == ["Counter 1", "Counter.add 10", "Counter.add 20", "Counter.add 100", "inc 131"]


def test_damaged_record_of_a_method_call_replays_the_object(project):
    project.fuse("""
        workflow damaged
        from steps import Counter, size
        c = Counter(start=1)
        c.add(10)
        text = c.big(300000)
        n = size(text)
        return n
    """)
    assert project.outputs() == {"n": 600000}
    project.calls()
    for record in project.records("damaged", "text"):  # large: a file of its own
        record.write_bytes(b"garbage")
    done = project.run("--json", "--rerun", "n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"n": 600000}\n'
    assert done.stderr.startswith("warning: discarded the stored result of node 'text'")
    assert project.calls() == ["Counter 1", "Counter.add 10", "Counter.big", "size 600000"]


def test_two_objects_of_one_class_in_a_loop(project):
    project.fuse("""
        workflow looped
        from steps import Counter

        for start in [1, 2] {
            c = Counter(start=start)
            c.add(10)
            total = c.add(100)
        }
        return total
    """)
    assert project.outputs() == {"total": {"1": 111, "2": 112}}
    assert project.calls() == ["Counter 1", "Counter.add 10", "Counter.add 100",
                               "Counter 2", "Counter.add 10", "Counter.add 100"]


def test_a_missing_method_names_the_node(project):
    project.fuse("""
        workflow missing
        from steps import Counter
        c = Counter(start=1)
        x = c.subtract(1)
        return x
    """)
    done = project.run()
    assert done.returncode == 1
    assert done.stderr.startswith(
        "error: node 'x' failed: AttributeError: 'Counter' object has no attribute 'subtract'")
