"""The user's code of the conformance scenarios: node functions that log each call.

Imported by this process (local and Prefect runs), by the session Ray's workers
(RAY_WORKER_PATH in tests/conftest.py) and by KFP's step processes (PYTHONPATH).
Each function takes the log's path first: a Ray worker's environment is fixed
when it starts, so an argument is the one way in that every target shares, and
since a scenario gives every target the same path, cache keys stay comparable.
"""
from __future__ import annotations

import os
import random
import time


def note(log: str, line: str) -> None:
    with open(log, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def inc(log, x):
    note(log, f"inc {x}")
    return x + 1


def double(log, x):
    note(log, f"double {x}")
    return 2 * x


def add(log, a, b):
    note(log, f"add {a} {b}")
    return a + b


def collect(log, *parts):
    """A fan-in: its arguments as they arrived (a family is a dict, loop key to value)."""
    note(log, f"collect {len(parts)}")
    return list(parts)


def at_most(log, x, limit):
    note(log, f"at_most {x}")
    if x > limit:
        raise ValueError(f"{x} is more than {limit}")
    return x


def draw(log):
    """Random numbers: the same on every target only if the node's seed is."""
    note(log, "draw")
    return [random.random(), random.randint(0, 10**9)]


def getenv(log, name, *after):
    """The variable as the node sees it; `after`: results it waits for, unused."""
    note(log, f"getenv {name} {len(after)}")
    return os.environ.get(name)


def nap(log, seconds):
    note(log, f"nap {seconds}")
    time.sleep(seconds)
    return seconds


def always_fails(log):
    note(log, "always_fails")
    raise RuntimeError("never works")


def flaky(log, failures):
    """Fails its first `failures` attempts, counted in a file beside the log (every
    target's attempts may run in other processes); returns the attempt that worked."""
    counter = log + ".attempts"
    attempt = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
    with open(counter, "w") as f:
        f.write(str(attempt))
    note(log, f"flaky attempt {attempt}")
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails")
    return attempt


class Fragile:
    """A value that changes on its way through storage (pickled without `fresh`)."""

    def __init__(self):
        self.fresh = True

    def __getstate__(self):
        return {"fresh": False}


def fragile(log):
    note(log, "fragile")
    return Fragile()


def is_fresh(log, value):
    note(log, "is_fresh")
    return value.fresh


class Tally:
    """An object node: its methods must run on one object, in source order."""

    def __init__(self, log, start):
        note(log, f"Tally {start}")
        self.log = log
        self.seen = [start]

    def add(self, x):
        note(self.log, f"Tally.add {x}")
        self.seen.append(x)
        return sum(self.seen)

    def history(self):
        note(self.log, "Tally.history")
        return list(self.seen)


TABLE = [10, 20, 30]  # a module-level value the scenarios index: `TABLE[1]`


def apply(log, fn, x):
    """Calls `fn`, an imported function passed as a value."""
    note(log, f"apply {fn.__name__} {x}")
    return fn(log, x)


def stamp(log, name, seconds):
    """Counts a run in a marker file beside the log, `seconds` after it starts: a node that
    runs after it (`after`) and reads the marker sees the count only if it waited."""
    time.sleep(seconds)
    marker = f"{log}.{name}"
    count = int(open(marker).read()) + 1 if os.path.exists(marker) else 1
    with open(marker, "w") as f:
        f.write(str(count))
    note(log, f"stamp {name} {count}")
    return count


def peek(log, *names):
    """The counts of stamp's markers as they are now (0: none yet), read without a data edge."""
    counts = [int(open(f"{log}.{name}").read()) if os.path.exists(f"{log}.{name}") else 0 for name in names]
    note(log, "peek " + " ".join(f"{name}={count}" for name, count in zip(names, counts, strict=True)))
    return counts


def upto(log, n):
    """[1, ..., n]: a list whose length is known when the workflow runs."""
    note(log, f"upto {n}")
    return list(range(1, n + 1))
