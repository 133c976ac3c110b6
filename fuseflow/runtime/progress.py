"""Progress of a run: nodes done, loaded from storage, running, failed.

A live display (rich) on a terminal; nothing at all when output is not a
terminal, so logs and pipes stay clean. The executor tells it how many nodes
a run will touch (`expect`, after planning: skipped nodes do not count) and
each node's moves; the silent one only keeps the counts.

A run whose display is drawn by another process (a Ray job that `fusec
submit` follows) writes each move as a line of its log instead
(`EventProgress`, when $FUSEFLOW_PROGRESS_EVENTS names the lines' prefix);
the watching process plays the lines back into its own display (`replay`).
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings
from typing import Any

from .extras import MissingExtra, optional


class Progress:
    """The silent observer; the executor calls these as nodes move (only when
    `live`: a silent run skips the calls altogether)."""

    live = False

    def __init__(self, total: int = 0):
        self.total = total
        self.counts = {"done": 0, "loaded": 0, "running": 0, "failed": 0}  # and "skipped", once there are any

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

    def skipped(self, names: list[str]) -> None:
        """These nodes never run: they are in branches of `if`s not taken (runtime.conditions)."""
        self.counts["skipped"] = self.counts.get("skipped", 0) + len(names)
        self.show("")

    def show(self, name: str) -> None:
        pass

    def summary(self) -> str:
        c = self.counts
        skipped = f"  skipped {c['skipped']}" if c.get("skipped") else ""
        return f"done {c['done']}  loaded {c['loaded']}  running {c['running']}  failed {c['failed']}{skipped}"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RichProgress(Progress):
    """A live line on stderr (stdout carries the outputs and --json): a bar of
    nodes finished out of nodes planned, the elapsed time and the counts.

    The display reads the counts when it redraws (ten times a second, in
    rich's own thread), so a node event costs what it costs silently: a
    counter or two, whatever the number of nodes. Ends with the final counts."""

    live = True

    def __init__(self, total: int = 0, label: str = "fuseflow"):
        super().__init__(total)
        with optional("rich", "the progress display"):
            # optional: rich, from the progress extra, only for a live display
            from rich.console import Console
            from rich.live import Live

        self.label = label
        self.current = ""
        self.began = time.monotonic()
        self.display = Live(self, console=Console(stderr=True), refresh_per_second=10, transient=False)

    def show(self, name: str) -> None:
        self.current = name

    def __rich_console__(self, console: Any, options: Any) -> Any:
        """One line: the bar takes what the label, the figures and the counts leave."""
        # rich is loaded by now (it calls this method); kept here with the display's other rich imports
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        c = self.counts
        finished = c["done"] + c["loaded"] + c["failed"]
        elapsed = int(time.monotonic() - self.began)
        running = f"  [{self.current}]" if c["running"] and self.current else ""
        figures = f"{finished}/{self.total} {elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
        counts = self.summary() + running
        width = max(10, min(40, options.max_width - len(self.label) - len(figures) - len(self.summary()) - 3))
        line = Table.grid(padding=(0, 1))
        line.add_column(no_wrap=True)
        line.add_column(no_wrap=True)
        line.add_column(no_wrap=True)
        line.add_column(no_wrap=True, overflow="ellipsis")
        bar = ProgressBar(total=max(self.total, 1), completed=finished, width=width)
        line.add_row(self.label, bar, figures, counts)
        yield line

    def __enter__(self) -> RichProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.current = ""
        self.display.stop()
        if not self.display.console.is_terminal:  # a forced display on a pipe: end its line
            self.display.console.line()


EVENTS_VARIABLE = "FUSEFLOW_PROGRESS_EVENTS"
EVENTS = ("expect", "started", "finished", "loaded", "failed", "skipped")


class EventProgress(Progress):
    """Each move as one line on stderr, `PREFIX progress ["started", "train"]`, for a
    display drawn by the process that reads this one's output (`replay`)."""

    live = True

    def __init__(self, prefix: str, total: int = 0):
        super().__init__(total)
        self.prefix = prefix

    def expect(self, nodes: int) -> None:
        super().expect(nodes)
        self._send("expect", nodes)

    def started(self, name: str) -> None:
        super().started(name)
        self._send("started", name)

    def finished(self, name: str) -> None:
        super().finished(name)
        self._send("finished", name)

    def loaded(self, name: str) -> None:
        super().loaded(name)
        self._send("loaded", name)

    def failed(self, name: str) -> None:
        super().failed(name)
        self._send("failed", name)

    def skipped(self, names: list[str]) -> None:
        super().skipped(names)
        for name in names:
            self._send("skipped", name)

    def _send(self, event: str, value: int | str) -> None:
        sys.stderr.write(f"{self.prefix} progress {json.dumps([event, value])}\n")
        sys.stderr.flush()


def replay(progress: Progress, payload: str) -> bool:
    """Play one EventProgress line's payload (what follows `PREFIX progress `) into
    `progress`; False for a payload that is not one (then it is plain text)."""
    try:
        event, value = json.loads(payload)
    except (ValueError, TypeError):
        return False
    if event not in EVENTS or not isinstance(value, int if event == "expect" else str):
        return False
    if progress.live:
        if event == "skipped":  # one line a node: skipped takes them together
            progress.skipped([str(value)])
        else:
            getattr(progress, event)(value)
    return True


def make_progress(enabled: bool | None, total: int = 0, label: str = "fuseflow") -> Progress:
    """rich on a terminal (when installed), silent otherwise; `enabled` forces either way.
    `label` heads the bar (the workflow's name). With $FUSEFLOW_PROGRESS_EVENTS set (and
    `enabled` not False), the moves go to stderr as lines for another process to draw."""
    prefix = os.environ.get(EVENTS_VARIABLE)
    if prefix and enabled is not False:
        return EventProgress(prefix, total)
    asked = enabled
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return Progress(total)
    try:
        return RichProgress(total, label)
    except MissingExtra as exc:
        if asked:  # --progress: say why there is none; on a terminal by default, quietly without
            warnings.warn(f"{exc}; the run goes on without it", stacklevel=2)
        return Progress(total)
