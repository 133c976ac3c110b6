"""Progress of a run: nodes done, loaded from storage, running, failed.

A live display (rich) on a terminal; nothing at all when output is not a
terminal, so logs and pipes stay clean.
"""
from __future__ import annotations

import sys
from typing import Any


class Progress:
    """The silent observer; the executor calls these as nodes move."""

    def __init__(self, total: int = 0):
        self.total = total
        self.counts = {"done": 0, "loaded": 0, "running": 0, "failed": 0}

    def started(self, name: str) -> None:
        self.counts["running"] += 1
        self.show(name)

    def finished(self, name: str) -> None:
        self.counts["running"] -= 1
        self.counts["done"] += 1
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

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RichProgress(Progress):
    def __init__(self, total: int):
        super().__init__(total)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as Bar

        # stderr: stdout carries the outputs (and --json)
        self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[detail]}"), console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("fuseflow", total=total, detail="")

    def show(self, name: str) -> None:
        c = self.counts
        detail = f"done {c['done']}  loaded {c['loaded']}  running {c['running']}  failed {c['failed']}  {name}"
        self.bar.update(self.task, completed=c["done"] + c["loaded"] + c["failed"], detail=detail)

    def __enter__(self) -> "RichProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.stop()


def make_progress(enabled: bool | None, total: int) -> Progress:
    """rich on a terminal (when installed), silent otherwise; `enabled` forces either way."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return Progress(total)
    try:
        return RichProgress(total)
    except ImportError:
        return Progress(total)
