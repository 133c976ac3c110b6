"""What runs on the Ray workers: a remote function per callable for plain calls, one actor class for objects.

The driver (`ray_backend`) submits each node as

    call_task(add).options(name="s2", num_cpus=1, ...).remote(task, ref_s1, ...)

(or, for a call that needs nothing but its arguments, with those alone:
`call_task(add, direct=True).options(name="s2").remote(ref_s1, 1)`).

Ray resolves only ObjectRefs passed as top-level arguments, so every result
a node reads is passed that way, once, and the `Task` says where it goes:
`Slot(i, path)` stands for input i indexed by path (`data[0]`, `parts["x"]`),
and a `Nested` list or dict holds slots (a family, a list of results). The
worker rebuilds the arguments, runs the node with its runtime options
(setup, seed, timeout), saves the result to the store itself and returns it:
results move between workers as ObjectRefs, never through the driver, and no
task ever waits on another (`ray.get` is never called here).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ...runtime import node as node_run
from ...runtime.execute import index
from ...runtime.extras import require
from ...runtime.invoke import NodeFailed, as_failure, count_interrupts, user_traceback
from ...runtime.node import NodeJob

ray = require("ray", "the Ray target")



class Slot:
    """Top-level input `index` of the task (the result of node `node`), indexed by `path`."""

    __slots__ = ("index", "path", "node")

    def __init__(self, index: int, path: tuple = (), node: str = ""):
        self.index = index
        self.path = path
        self.node = node

    def __repr__(self) -> str:
        return f"Slot({self.index}, {self.path!r}, {self.node!r})"


class Nested:
    """A list or dict (a family, or a literal holding results) whose items hold slots."""

    __slots__ = ("value",)

    def __init__(self, value: list | dict):
        self.value = value

    def __repr__(self) -> str:
        return f"Nested({self.value!r})"


def build(template: Any, inputs: tuple) -> Any:
    kind = type(template)
    if kind is Slot:
        value = inputs[template.index]
        return index(value, template.path, template.node) if template.path else value
    if kind is Nested:
        inner = template.value
        if type(inner) is dict:
            return {k: build(v, inputs) for k, v in inner.items()}
        return [build(v, inputs) for v in inner]
    return template


class Task(NamedTuple):
    """One node as its worker sees it: its job (runtime.node.NodeJob: name, runtime
    options, where its result is kept), what to call (the class of an object node,
    a method's name for a method call; None for a plain call, whose remote function
    holds its callable) and its argument templates. `templated` is False when the
    arguments are the inputs themselves, in order (args is then empty): the common case.

    Sent to the worker as a plain tuple (`tuple(task)`), which pickles several
    times faster than any class instance; the worker reads it with `Task._make`."""

    job: tuple
    fn: Any
    args: tuple
    kwargs: dict
    templated: bool


def arguments(task: Task, inputs: tuple) -> tuple[list | tuple, dict]:
    if not task.templated:
        return inputs, task.kwargs
    args = [build(a, inputs) for a in task.args]
    kwargs = {k: build(v, inputs) for k, v in task.kwargs.items()}
    return args, kwargs


def mark(error: BaseException, node: str) -> BaseException:
    """The user's exception, labelled with the node and the user's traceback.

    Raised as it is (not wrapped) so that Ray's `retry_exceptions` sees the
    user's class; the labels travel with it to the driver, which turns it
    into NodeFailed. What is not an Exception (`sys.exit(3)`) goes as NodeFailed:
    raised as it is, Ray would take a SystemExit for the worker's own exit."""
    if not isinstance(error, Exception):
        return as_failure(node, error)
    try:
        error.fuseflow_node = node
        error.fuseflow_traceback = user_traceback(error)
    except AttributeError:  # an exception type that takes no attributes
        return NodeFailed(node, error)
    return error


_call_tasks: dict[tuple[int, bool], tuple[Callable, Any]] = {}  # (id(callable), direct) -> (callable, remote)


def call_task(fn: Callable, direct: bool = False) -> Any:
    """The Ray remote function that runs the nodes calling `fn`: one per callable,
    named after it, exported to the cluster once (holding `fn` keeps the tasks'
    own arguments plain data, which Ray serializes several times faster).

    direct: the task's arguments are the call's own, as a Ray user passes them
    (results as ObjectRefs, the rest as they are), for a node that needs no
    more: nothing indexed or nested, no runtime options, nothing to store.
    Otherwise the first argument is the node's `Task`, then its inputs."""
    known = _call_tasks.get((id(fn), direct))
    if known is not None and known[0] is fn:
        return known[1]

    if direct:
        def call(*args: Any, **kwargs: Any) -> Any:
            count_interrupts()
            try:
                return fn(*args, **kwargs)
            except BaseException as exc:  # the traceback from the user's frame on, as a node's elsewhere
                traceback = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
                raise mark(exc.with_traceback(traceback), ray.get_runtime_context().get_task_name()) from None
    else:
        def call(spec: tuple, *inputs: Any) -> Any:
            return run_call(fn, spec, inputs)

    call.__name__ = call.__qualname__ = getattr(fn, "__name__", "call")
    remote = ray.remote(call)
    _call_tasks[(id(fn), direct)] = (fn, remote)
    return remote


def run_call(fn: Callable, spec: tuple, inputs: tuple) -> Any:
    """A plain call on a Ray worker (Ray has resolved the ObjectRefs among `inputs`): the
    node's sequence (runtime.node.run). Ray itself retries it (max_retries,
    retry_exceptions), so a failure goes back as the user's own exception."""
    task = Task._make(spec)
    job = NodeJob._make(task.job)
    count_interrupts()
    try:
        return node_run.run(job, fn, *arguments(task, inputs))
    except NodeFailed as failure:
        raise mark(failure.error, job.name) from None
    except BaseException as exc:  # the arguments: an index that does not apply to the value
        raise mark(exc, job.name) from None


@ray.remote
class ObjectNode:
    """An object node as a Ray actor: the object lives here and its method calls
    run here, one at a time, in the order the driver submits them (source order).

    Each call takes the previous call's receipt as an argument, so when a call
    fails (or cannot run because an input failed) every later call on the object
    fails with the same error instead of running on an object that missed a step.
    A constructor that fails is reported by the first method call."""

    def __init__(self, spec: tuple, *inputs: Any):
        task = Task._make(spec)
        job = NodeJob._make(task.job)
        self.failure: NodeFailed | None = None
        self.obj = None
        try:
            self.obj = node_run.run(job, task.fn, *arguments(task, inputs))
        except NodeFailed as failure:
            self.failure = failure
        except Exception as exc:
            self.failure = NodeFailed(job.name, exc)

    def call(self, spec: tuple, receipt: Any, *inputs: Any) -> tuple[Any, bool]:
        """(result, receipt) of the method call named by the task's `fn`."""
        if self.failure is not None:
            raise self.failure
        task = Task._make(spec)
        job = NodeJob._make(task.job)
        try:
            value = node_run.run(job, getattr(self.obj, task.fn), *arguments(task, inputs))
        except NodeFailed as failure:
            self.failure = failure
            raise
        except Exception as exc:
            self.failure = NodeFailed(job.name, exc)
            raise self.failure from None
        return value, True
