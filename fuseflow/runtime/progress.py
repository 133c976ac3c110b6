"""Progress of a run: nodes done, loaded from storage, running, failed.

A live display (rich) on a terminal; nothing at all when output is not a
terminal, so logs and pipes stay clean. The executor tells it how many nodes
a run will touch (`expect`, after planning: skipped nodes do not count) and
each node's moves; the silent one only keeps the counts.
"""
from __future__ import annotations

import sys
from typing import Any


class Progress:
    """The silent observer; the executor calls these as nodes move (only when
    `live`: a silent run skips the calls altogether)."""

    live = False

    def __init__(self, total: int = 0):
        self.total = total
        self.counts = {"done": 0, "loaded": 0, "running": 0, "failed": 0}

    def expect(self, nodes: int) -> None:
        """`nodes` more nodes will be run or loaded."""
        self.total += nodes
        self.show("")

    def started(self, name: str) -> None:
        self.counts["running"] += 1
        self.show(name)

    def finished(self, name: str) -> None:
        counts = self.counts
        counts["running"] -= 1
        counts["done"] += 1
        self.show(name)

    def loaded(self, name: str) -> None:
        self.counts["loaded"] += 1
        self.show(name)

    def failed(self, name: str) -> None:
        self.counts["running"] -= 1
        self.counts["failed"] += 1
        self.show(name)

    def show(self, name: str) -> None:
        pass

    def summary(self) -> str:
        c = self.counts
        return f"done {c['done']}  loaded {c['loaded']}  running {c['running']}  failed {c['failed']}"

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RichProgress(Progress):
    """A bar on stderr (stdout carries the outputs and --json): nodes finished of
    nodes planned, and the counts; ends with the final counts on one line."""

    live = True

    def __init__(self, total: int = 0, label: str = "fuseflow"):
        super().__init__(total)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("{task.fields[detail]}"), console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task(label, total=total, detail="")

    def show(self, name: str) -> None:
        c = self.counts
        running = f"  [{name}]" if c["running"] and name else ""
        self.bar.update(self.task, total=self.total, completed=c["done"] + c["loaded"] + c["failed"],
                        detail=self.summary() + running)

    def __enter__(self) -> "RichProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.show("")
        self.bar.stop()


def make_progress(enabled: bool | None, total: int = 0, label: str = "fuseflow") -> Progress:
    """rich on a terminal (when installed), silent otherwise; `enabled` forces either way.
    `label` heads the bar (the workflow's name)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return Progress(total)
    try:
        return RichProgress(total, label)
    except ImportError:
        return Progress(total)
