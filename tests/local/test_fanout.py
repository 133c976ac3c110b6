"""Run-time loops, run locally: `for x in <node or param>` expanded when the value is known."""
from __future__ import annotations

LISTED = """
    workflow listed
    from steps import inc, add, pair
    param n: int = 3
    param start: int = 10
    items = pair(n, start)                  # {"a": n, "b": start, "both": [n, start]}
    numbers = inc(items["both"][0])         # n + 1
    xs = pair(numbers, 0)
    for x in xs["both"] {
        sq = inc(x, by=100)                 # sq.0, sq.1: one per item
        for k in [1, 2] {
            cell = add(sq, k)               # cell.0.1, cell.0.2, ...: a static loop inside
        }
    }
    total = pair(sq, cell)                  # every item's, in item order
    first = inc(sq[0])
    return total, first, sq
"""


def test_a_loop_over_a_node_runs_once_per_item_and_gathers_in_order(project):
    project.fuse(LISTED)
    outputs = project.outputs()
    assert outputs["sq"] == [104, 100]  # xs["both"] is [n + 1, 0] = [4, 0]
    assert outputs["total"]["a"] == [104, 100]
    assert outputs["total"]["b"] == [{"1": 105, "2": 106}, {"1": 101, "2": 102}]
    assert outputs["first"] == 105
    calls = project.calls()
    assert sorted(c for c in calls if c.startswith("inc")) == ["inc 0", "inc 104", "inc 3", "inc 4"]


def test_a_growing_list_runs_the_new_items_only(project):
    project.fuse("""
        workflow grow
        from steps import inc, pair
        param xs: list = [1, 2]
        for x in xs {
            sq = inc(x, by=10)
        }
        return sq
    """)
    assert project.outputs() == {"sq": [11, 12]}
    assert project.calls() == ["inc 1", "inc 2"]
    assert project.outputs("-p", "xs=[1, 2, 3]") == {"sq": [11, 12, 13]}
    assert project.calls() == ["inc 3"]  # the item's content is its key: items 1 and 2 are loaded
    project.calls()
    assert project.outputs("-p", "xs=[1, 2, 3]", "--rerun", r"sq\.2") == {"sq": [11, 12, 13]}
    assert project.calls() == ["inc 3"]


def test_a_loop_over_a_dict_is_keyed_by_its_keys_and_gathers_a_dict(project):
    project.fuse("""
        workflow keyed
        from steps import add
        param sizes: dict = {"small": 1, "big": 10}
        for name, size in sizes {
            grown = add(size, 5)
        }
        return grown
    """)
    assert project.outputs() == {"grown": {"small": 6, "big": 15}}
    assert project.calls() == ["add 1 5", "add 10 5"]


def test_nothing_runs_twice_when_nothing_is_stored(project):
    project.fuse(LISTED)
    project.outputs("--no-cache")
    calls = project.calls()
    assert sorted(calls) == sorted(set(calls))  # each call once: what the loop needed is handed on
    assert calls.count("pair 3 10") == 1 and calls.count("inc 3") == 1


def test_a_loop_over_a_value_that_is_no_list_or_dict_fails_naming_it(project):
    project.fuse("""
        workflow wrong
        from steps import inc
        x = inc(1)
        for item in x {
            y = inc(item)
        }
    """)
    done = project.run()
    assert done.returncode == 1
    assert "the run-time loop over x needs a list or a dict; x is int" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_node_after_a_run_time_loop_s_nodes_is_an_error_at_the_name(project):
    project.fuse("""
        workflow ordered
        from steps import inc
        param xs: list = [1, 2]
        for x in xs {
            a = inc(x)
        }
        b = inc(0) after a
    """)
    done = project.run()
    assert done.returncode == 1
    assert "wf.fuse:7:18: error: `after` names 'a', a run-time loop's nodes, outside it" in done.stderr


def test_an_object_made_before_a_loop_is_made_once_and_its_calls_run_once(project):
    project.fuse("""
        workflow actor
        from steps import Counter, inc
        c = Counter(1)
        first = c.add(1)                    # 2
        parts = pair(first, 0)
        for x in parts["both"] {
            sq = inc(x, by=10)
        }
        c.add(5)                            # on the object the loop's part made
        total = c.add(sq[0])
        return total
    """.replace("from steps import Counter, inc", "from steps import Counter, inc, pair"))
    assert project.outputs("--no-cache") == {"total": 19}
    assert project.calls() == ["Counter 1", "Counter.add 1", "pair 2 0", "Counter.add 5", "inc 2", "Counter.add 12"]


def test_an_item_without_the_index_the_file_takes_stops_the_run_naming_the_loop(project):
    project.fuse("""
        workflow wrong
        from steps import inc
        param xs: list = [1, 2]
        for x in xs {
            y = inc(x["a"])
        }
    """)
    done = project.run()
    assert done.returncode == 1
    assert "the run-time loop over param xs: cannot take ['a'] of x (int)" in done.stderr
    assert "Traceback" not in done.stderr
