"""Node functions for the Ray tests, imported by the driver and by Ray's workers.

They take the log file as an argument (a worker's environment is fixed when
it starts), so a test sees which nodes ran, and where and when.
"""
from __future__ import annotations

import os
import random
import time


def note(log, line):
    with open(log, "a") as f:
        f.write(f"{line}\n")


def step(log, name, x, by=1):
    note(log, name)
    return x + by


def add(log, name, a, b):
    note(log, name)
    return a + b


def pair(log, a, b):
    note(log, "pair")
    return {"a": a, "b": b, "both": [a, b]}


def gather(log, *args, **kwargs):
    note(log, "gather")
    return {"args": list(args), "kwargs": kwargs}


def fail_if(log, name, x, flag):
    note(log, name)
    if os.path.exists(flag):
        raise ValueError(f"refusing {x} while {os.path.basename(flag)} exists")
    return x


def flaky(log, name, failures):
    """Fails the first `failures` calls (counted in the log), then returns the attempt number."""
    note(log, name)
    with open(log) as f:
        attempt = sum(line.strip() == name for line in f)
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails")
    return attempt


def stamp(log, name, seconds):
    """Records `name start end` (wall-clock, same machine): the tests look for overlaps."""
    start = time.time()
    time.sleep(seconds)
    note(log, f"{name} {start!r} {time.time()!r}")
    return name


def slow(x, seconds):
    time.sleep(seconds)
    return x


def draw(tag):
    return [tag, random.random(), random.randint(0, 10**9)]


MARK = "not set up"


def set_up():
    global MARK
    MARK = "set up"


def marker(x):
    return [x, MARK]


def env_value(name):
    return os.environ.get(name)


def assigned():
    import ray

    return ray.get_runtime_context().get_assigned_resources()


class Recorder:
    def __init__(self, log, start=()):
        note(log, "Recorder")
        self.log = log
        self.seen = list(start)

    def add(self, x):
        note(self.log, f"add {x}")
        self.seen.append(x)
        return list(self.seen)

    def boom(self):
        raise KeyError("no such thing")


class Broken:
    def __init__(self):
        raise RuntimeError("cannot build")

    def use(self):
        return 1


def assigned_to(x):
    """`x` and the resources Ray gave the task that ran it."""
    import ray

    return [x, ray.get_runtime_context().get_assigned_resources()]


def listing(log, n):
    note(log, "listing")
    return list(range(n))
