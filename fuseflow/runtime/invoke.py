"""Calling one node with its neutral options: retries, timeout, seed, setup, env.

Every target runs node code through `invoke` (locally, in a Ray worker, in a
Prefect task or a KFP step), so the options mean the same thing everywhere,
and so does a failure: whatever a node's code raises, `sys.exit(3)` and
other BaseExceptions included, fails the node (`as_failure`). Only a real
Ctrl-C of the run is not the node's failure: it stops the run.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ..digest import sha256

# What signal.signal takes and signal.getsignal gives for a handler written in Python.
SignalHandler = Callable[[int, FrameType | None], Any]

RUNTIME_DIR = str(Path(__file__).resolve().parent)
# The options invoke acts on; others (cache, always_read, cpus, ...) are the caller's.
ACTIVE_OPTIONS = frozenset({"retries", "retry_delay", "timeout", "seed", "setup", "env"})


class RunFailed(Exception):
    """The run stopped for a reason that is no node's own exception (a run-time loop's items
    are no list or dict, ...): the message says what and where."""


class NodeFailed(Exception):
    """A node raised: carries the node name and the user's own traceback."""

    def __init__(self, node: str, error: BaseException, attempts: int = 1):
        self.node = node
        self.error = error
        self.attempts = attempts
        self.user_traceback = user_traceback(error)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"node '{node}' failed{tries}: {describe(error)}")

    def __reduce__(self) -> tuple[Callable[..., NodeFailed], tuple[str, BaseException, int, str]]:
        """Keep it picklable across process boundaries (Ray, KFP)."""
        return (_rebuild_failure, (self.node, self.error, self.attempts, self.user_traceback))


def _rebuild_failure(node: str, error: BaseException, attempts: int, text: str) -> NodeFailed:
    failure = NodeFailed.__new__(NodeFailed)
    Exception.__init__(failure, f"node '{node}' failed: {describe(error)}")
    failure.node, failure.error, failure.attempts, failure.user_traceback = node, error, attempts, text
    return failure


def describe(error: BaseException) -> str:
    """`ValueError: bad value`, or `SystemExit` alone when there is no message, as a traceback
    ends; an exception whose str() raises still gets its class named."""
    text = message(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def message(error: BaseException) -> str:
    """str(error), which is the user's code and may raise."""
    try:
        return str(error)
    except Exception:
        return "<str() of the exception failed>"


def as_failure(name: str, error: BaseException, attempts: int = 1) -> NodeFailed:
    """NodeFailed for whatever a node's code raised: `sys.exit(3)`, a KeyboardInterrupt
    raised by the code itself or any other BaseException fails the node like an
    Exception does. A real Ctrl-C (`is_interrupt`) is not the node's failure: it is
    raised again, as it is, to stop the run."""
    if is_interrupt(error):
        raise error
    return NodeFailed(name, error, attempts)


class _SigintCounter:
    """A SIGINT handler that counts the signals, then hands each to the handler it replaced."""

    def __init__(self, previous: SignalHandler):
        self.previous = previous
        self.seen = 0

    def __call__(self, signum: int, frame: FrameType | None) -> Any:
        self.seen += 1
        return self.previous(signum, frame)


_counter: _SigintCounter | None = None


def count_interrupts() -> None:
    """Count the SIGINTs (Ctrl-C) this process receives from now on, so `is_interrupt` can
    tell a real Ctrl-C from a KeyboardInterrupt a node raises itself. Python runs signal
    handlers in the main thread only, so elsewhere there is nothing to do (signal.signal
    refuses, which tells without importing threading, 1-2 ms of every run's start); SIGINT
    ignored or left to the OS raises nothing to tell apart."""
    global _counter
    current = signal.getsignal(signal.SIGINT)
    if current is _counter or not callable(current):
        return
    counter = _SigintCounter(current)
    try:
        signal.signal(signal.SIGINT, counter)
    except ValueError:  # not the main thread
        return
    _counter = counter


def is_interrupt(error: BaseException) -> bool:
    """Whether `error` is a real Ctrl-C: a KeyboardInterrupt in the main thread after a
    SIGINT was counted, or while nobody counts (then the two cannot be told apart, and
    stopping is the safe choice). In any other thread it is always the code's own."""
    if not isinstance(error, KeyboardInterrupt) or not _in_main_thread():
        return False
    counter = _counter
    if counter is None or signal.getsignal(signal.SIGINT) is not counter:
        return True
    return counter.seen > 0


def _in_main_thread() -> bool:
    """Whether this is the main thread. threading knows it even when first imported here:
    a process with other threads started them through threading, which it imported then."""
    import threading  # deferred: asked after a KeyboardInterrupt or for a timeout only, not on every run's start

    return threading.current_thread() is threading.main_thread()


class NodeTimeout(Exception):
    """The node ran longer than its `timeout` option."""

    @classmethod
    def after(cls, seconds: float) -> NodeTimeout:
        """The error of an attempt stopped after `seconds`, with the same text wherever it stopped."""
        return cls(f"timed out after {seconds:g} s")


def user_traceback(error: BaseException) -> str:
    """The traceback without fuseflow's own frames: what the user's code did."""
    import traceback  # deferred: only a failed node needs it (it loads linecache, tokenize, textwrap)

    tb = traceback.TracebackException.from_exception(error)
    tb.stack = traceback.StackSummary.from_list(
        [frame for frame in tb.stack if not frame.filename.startswith(RUNTIME_DIR)]
    )
    return "".join(tb.format())


def invoke(name: str, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
           options: dict[str, Any]) -> Any:
    """fn(*args, **kwargs) under the node's options; NodeFailed when every attempt failed. The
    caller counts interrupts first (count_interrupts: once per run, not per node, whose
    signal.getsignal is a microsecond of every node's call)."""
    if not options or ACTIVE_OPTIONS.isdisjoint(options):
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            raise as_failure(name, exc) from exc
    attempts = 1 + int(options.get("retries") or 0)
    delay = float(options.get("retry_delay") or 0)
    for attempt in range(1, attempts + 1):
        try:
            return attempt_call(name, fn, args, kwargs, options)
        except BaseException as exc:
            if attempt == attempts or is_interrupt(exc):
                raise as_failure(name, exc, attempts) from exc
            time.sleep(delay)
    raise AssertionError("unreachable")


def attempt_call(name: str, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
                 options: dict[str, Any]) -> Any:
    """One attempt: environment, setup and seed before the call, the timeout
    around it. (No context-manager frames between this and the user's code,
    so the user's traceback shows only the user's frames.)"""
    with environment(options.get("env")):
        if options.get("setup"):
            resolve_callable(options["setup"])()
        if options.get("seed") is not None:
            seed_everything(node_seed(options["seed"], name))
        with time_limit(options.get("timeout")):
            return fn(*args, **kwargs)


def node_seed(base: int, name: str) -> int:
    """A per-node seed: the same base seed gives every node its own, reproducible one."""
    digest = sha256(f"{base}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def seed_everything(seed: int) -> None:
    import random  # deferred: only nodes with a seed need it, and it is not free to import

    random.seed(seed)
    numpy = sys.modules.get("numpy")  # seeded only when the user's code uses it
    if numpy is not None:
        numpy.random.seed(seed)


def resolve_callable(path: str | Callable[..., Any]) -> Any:
    """'package.module:qualname' -> the object (a callable is returned as it is); Any:
    whatever the module holds under that name."""
    if callable(path):
        return path
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def resolve_imported(target: str, path: tuple[int | str, ...] = ()) -> Any:
    """An imported name passed as a value (`train(KNN)`), indexed as the file writes it (`DATA[0]`)."""
    found = resolve_callable(target)
    return index(found, path, target.partition(":")[2]) if path else found


class IndexingError(LookupError):
    """An argument like `data[0]` or `parts["x"]` could not be taken from the value."""


def index(found: Any, path: tuple[int | str, ...], what: str) -> Any:
    for depth, key in enumerate(path):
        try:
            found = found[key]
        except (LookupError, TypeError) as exc:
            where = what + "".join(f"[{k!r}]" for k in path[:depth])
            raise IndexingError(f"cannot take [{key!r}] of {where} ({type(found).__name__}): "
                                f"{type(exc).__name__}: {exc}") from None
    return found


@contextlib.contextmanager
def environment(env: dict[str, Any] | None) -> Iterator[None]:
    if not env:
        yield
        return
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update({key: str(value) for key, value in env.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the call after `seconds` (SIGALRM: main thread of a POSIX process)."""
    if not (seconds and hasattr(signal, "setitimer") and _in_main_thread()):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise NodeTimeout.after(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
