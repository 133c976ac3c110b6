"""A real Ctrl-C (SIGINT) stops a run; a KeyboardInterrupt or SystemExit that a
node's code raises itself is that node's failure (fuseflow.runtime.invoke)."""
from __future__ import annotations

import signal
import sys
import threading

import pytest

from fuseflow.runtime import invoke as invoking
from fuseflow.runtime.invoke import NodeFailed, invoke


@pytest.fixture(autouse=True)
def own_sigint_handler(monkeypatch):
    """The test's counting handler goes away with the test. It counts from the start, as a run
    does before it calls a node (execute's run, node.run): invoke does not, once per node."""
    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(invoking, "_counter", None)
    invoking.count_interrupts()
    yield
    signal.signal(signal.SIGINT, previous)


def ctrl_c():
    signal.raise_signal(signal.SIGINT)  # as the terminal sends it


def raises_itself():
    raise KeyboardInterrupt


@pytest.mark.parametrize("options", [{}, {"seed": 1}, {"retries": 2}])
def test_a_real_ctrl_c_stops_the_node_and_is_not_retried(options):
    calls = []

    def node():
        calls.append(1)
        ctrl_c()

    with pytest.raises(KeyboardInterrupt):
        invoke("n", node, [], {}, options)
    assert calls == [1]


@pytest.mark.parametrize("options", [{}, {"seed": 1}])
def test_a_keyboard_interrupt_the_code_raises_is_a_failure(options):
    with pytest.raises(NodeFailed, match=r"^node 'n' failed: KeyboardInterrupt$"):
        invoke("n", raises_itself, [], {}, options)


def test_sys_exit_is_a_failure_with_its_status():
    with pytest.raises(NodeFailed, match=r"^node 'n' failed: SystemExit: 3$") as failed:
        invoke("n", sys.exit, [3], {}, {})
    assert failed.value.error.code == 3


def test_a_keyboard_interrupt_in_another_thread_is_never_a_ctrl_c():
    """Signals reach the main thread only (a Prefect task runs in a worker thread)."""
    caught = []

    def task():
        try:
            invoke("n", raises_itself, [], {}, {})
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=task)
    thread.start()
    thread.join()
    assert isinstance(caught[0], NodeFailed)


def test_counting_keeps_the_handler_it_replaced():
    seen = []
    signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    invoking.count_interrupts()
    invoking.count_interrupts()  # once is enough
    ctrl_c()
    assert seen == [signal.SIGINT]
    assert invoking._counter.seen == 1


def test_a_str_that_raises_still_names_the_exception_class():
    class Hostile(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def node():
        raise Hostile()

    with pytest.raises(NodeFailed, match=r"^node 'n' failed: Hostile: <str\(\) of the exception failed>$"):
        invoke("n", node, [], {}, {})
