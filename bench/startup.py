"""Start-up benchmark: `fusec` as a user meets it, whole process, against functionfuse's whole process.

    python bench/startup.py [--functionfuse DIR] [--repeat 10] [--small 30] [--large 10000] [--dir DIR]

Issue 13's speed goals, each a ratio of whole-process wall times:

1. `fusec run --no-cache FILE` of a 30-node workflow against a Python script
   that runs the same DAG with functionfuse's `LocalWorkflow(...).run()`:
   goal <= 1.5x. (The same run after an edit of the file is shown beside
   it, with no goal.)
2. The same for a 10,000-node workflow, twice: the file unchanged since the
   last run (a compiled-IR cache may skip the front end) goal <= 1.0x, and
   just after an edit of the file goal <= 3x.
3. `fusec --version` and `fusec check SMALL.fuse` (the 30-node file) against
   `python -c pass`: goal <= 2x.

Both workflows come from one description: node i adds the result before it
and one further back (as in bench/local.py), written once as `n5 = add(n4,
n2)` lines that are both the .fuse file's statements and the functionfuse
script's. The function lives in one small module, bench_ops.py, that both
import; the functionfuse script wraps it with functionfuse's `workflow`
decorator and is run as `python script.py`, as its user would. Every
command's output is checked against the value plain Python computes.

functionfuse (IBM/functionfuse) is plain Python that pip does not install:
give the folder that holds its `functionfuse` package (a clone of the
repository) with --functionfuse DIR or FUNCTIONFUSE_PATH. It goes on
PYTHONPATH for the functionfuse script alone. Without it the bench says how
to get it and measures fuseflow alone.

`fusec` is the one beside this Python (sys.executable's folder: .venv/bin
after `make venv`). Its commands run with XDG_CACHE_HOME in the bench's
temp folder, so they neither use nor leave anything in the user's cache;
one untimed run of every command first fills it, as a user's first run
would. Every command (fusec, the functionfuse script, `python -c pass`)
keeps its compiled bytecode in the temp folder too (PYTHONPYCACHEPREFIX,
PYTHONDONTWRITEBYTECODE unset), so each side runs from .pyc files as
after `pip install`, whatever the caller's environment says: with
PYTHONDONTWRITEBYTECODE=1 a source tree whose .pyc files are older than
its sources is compiled again on every run, and functionfuse, which pip
does not install, on every run too. An "edit" rewrites the file with a new default for its param
(untimed), so the file's content, its result and its modification time
change before every timed run.

Every command runs --repeat times; within a round the commands of a
section take turns, starting with a different one each round, so a busy
spell on the shared machine falls on all of them alike. Best and median
wall times are printed with the median CPU time (user + system) of the
child; a goal is judged on the ratio of the bests (other processes only ever
add time), the ratio of the medians beside it. The load average is printed
at the start and at the end. Figures only: nothing here fails when a goal
is missed.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GOAL_SMALL_RUN = 1.5  # x functionfuse, 30 nodes
GOAL_LARGE_UNCHANGED = 1.0  # x functionfuse, 10,000 nodes, file unchanged since the last run
GOAL_LARGE_EDITED = 3.0  # x functionfuse, 10,000 nodes, just after an edit
GOAL_STARTUP = 2.0  # x `python -c pass`

OPS = '''def add(a, b):
    return a + b
'''
GET_FUNCTIONFUSE = "git clone https://github.com/IBM/functionfuse, then --functionfuse CLONE (or FUNCTIONFUSE_PATH)"


# The DAG, described once -----------------------------------------------------

def back(i: int) -> int:
    """The second input of node i: a node further back (a DAG, not just a chain)."""
    return max(0, i - 1 - (i * 7919) % 64)


def node_lines(n: int) -> list[str]:
    """The statements of the DAG, the same text in a .fuse file and in Python."""
    return ["n0 = add(a, 0)", *(f"n{i} = add(n{i - 1}, n{back(i)})" for i in range(1, n))]


def fuse_source(n: int, a: int) -> str:
    head = ["workflow bench_startup", "from bench_ops import add", f"param a: int = {a}"]
    return "\n".join([*head, *node_lines(n), f"return n{n - 1}"]) + "\n"


def functionfuse_source(n: int, a: int) -> str:
    head = [
        "from functionfuse import workflow",
        "from functionfuse.backends.builtin.localback import LocalWorkflow",
        "import bench_ops",
        "add = workflow(bench_ops.add)",
        f"a = {a}",
    ]
    run = f'print(LocalWorkflow(n{n - 1}, workflow_name="bench_startup").run())'
    return "\n".join([*head, *node_lines(n), run]) + "\n"


def expected_output(n: int, a: int, add: Callable[[int, int], int]) -> str:
    """What both print: the DAG computed by direct calls."""
    results = [add(a, 0)]
    for i in range(1, n):
        results.append(add(results[i - 1], results[back(i)]))
    return str(results[-1])


# Timing whole processes ------------------------------------------------------

@dataclass
class Command:
    """One contender: a command line, what it must print, and an untimed step before each run."""

    label: str
    argv: list[str]
    env: dict[str, str]
    expected: Callable[[], str | None]  # None: any output
    prepare: Callable[[], None] = lambda: None
    goal: float | None = None  # at most this many times the section's baseline
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def run_once(command: Command, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole run of `command`, whose output is checked."""
    command.prepare()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command.argv, env=command.env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    check_output(command, done)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_output(command: Command, done: subprocess.CompletedProcess) -> None:
    expected = command.expected()
    if done.returncode != 0 or (expected is not None and done.stdout.strip() != expected):
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise SystemExit(f"{command.label}: exit {done.returncode}, not the expected output "
                         f"({' '.join(command.argv)}):\n{tail}")


def race(commands: list[Command], repeat: int, cwd: Path) -> None:
    """One untimed run of each, then `repeat` rounds in which they take turns,
    a different one first each round."""
    for command in commands:
        run_once(command, cwd)
    for round_ in range(repeat):
        shift = round_ % len(commands)
        for command in commands[shift:] + commands[:shift]:
            wall, cpu = run_once(command, cwd)
            command.walls.append(wall)
            command.cpus.append(cpu)


# Reporting -------------------------------------------------------------------

def report(title: str, baseline: Command | None, commands: list[Command]) -> list[str]:
    lines = [title, f"  {'':<46} {'best s':>7} {'median s':>8} {'cpu s':>6}   {'x baseline best':>17} {'median':>7}"]
    for command in ([baseline] if baseline else []) + commands:
        lines.append(f"  {command.label:<46} {min(command.walls):>7.3f} {statistics.median(command.walls):>8.3f} "
                     f"{statistics.median(command.cpus):>6.3f}   {ratios(command, baseline)}")
    return lines


def ratios(command: Command, baseline: Command | None) -> str:
    if baseline is None:
        return "(no functionfuse: no ratio)" if command.goal is not None else ""
    if command is baseline:
        return "(baseline)"
    best = min(command.walls) / min(baseline.walls)
    median = statistics.median(command.walls) / statistics.median(baseline.walls)
    goal = "no goal" if command.goal is None else \
        f"goal <= {command.goal:.1f}x: {'met' if best <= command.goal else 'MISSED'}"
    return f"{best:>16.2f}x {median:>6.2f}x   {goal}"


def load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


# The sections ----------------------------------------------------------------

class Workspace:
    """The temp folder: bench_ops.py, the .fuse files, the functionfuse scripts,
    and the environment each side runs in."""

    def __init__(self, base: Path, functionfuse: Path | None) -> None:
        self.base = base
        (base / "bench_ops.py").write_text(OPS)
        sys.path.insert(0, str(base))
        import bench_ops

        self.add = bench_ops.add
        self.fusec = str(Path(sys.executable).parent / "fusec")
        # The DAG's value has ~5% as many digits as it has nodes: past 4,300 Python refuses to print it.
        sys.set_int_max_str_digits(0)
        inherited = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        self.env = {**inherited, "XDG_CACHE_HOME": str(base / "cache"), "PYTHONPYCACHEPREFIX": str(base / "pycache"),
                    "PYTHONINTMAXSTRDIGITS": "0"}
        self.functionfuse = functionfuse
        self.edits = 1  # the param's default of the last edit; every edit takes the next one

    def fuse_file(self, n: int, name: str) -> Path:
        path = self.base / f"{name}.fuse"
        path.write_text(fuse_source(n, 1))
        return path

    def edit(self, path: Path, n: int) -> Callable[[], None]:
        def rewrite() -> None:
            self.edits += 1
            path.write_text(fuse_source(n, self.edits))
        return rewrite

    def fusec_run(self, n: int, edited: bool) -> Command:
        path = self.fuse_file(n, f"dag{n}_{'edited' if edited else 'unchanged'}")
        label = f"fusec run --no-cache, {'just after an edit' if edited else 'file unchanged'}"
        command = Command(label, [self.fusec, "run", "--no-cache", str(path)], self.env,
                          lambda: expected_output(n, self.edits if edited else 1, self.add))
        if edited:
            command.prepare = self.edit(path, n)
        return command

    def functionfuse_run(self, n: int) -> Command | None:
        if self.functionfuse is None:
            return None
        script = self.base / f"functionfuse_dag{n}.py"
        script.write_text(functionfuse_source(n, 1))
        path = os.pathsep.join(filter(None, [str(self.functionfuse), os.environ.get("PYTHONPATH")]))
        return Command("functionfuse: LocalWorkflow(...).run()", [sys.executable, str(script)],
                       {**self.env, "PYTHONPATH": path}, lambda: expected_output(n, 1, self.add))


def dag_section(space: Workspace, n: int, goals: tuple[float | None, float | None], repeat: int) -> list[str]:
    """fusec run on an unchanged and on a just-edited file of n nodes, against functionfuse."""
    unchanged, edited = space.fusec_run(n, edited=False), space.fusec_run(n, edited=True)
    unchanged.goal, edited.goal = goals
    baseline = space.functionfuse_run(n)
    race([c for c in (baseline, unchanged, edited) if c], repeat, space.base)
    return report(f"{n:,}-node DAG, whole process", baseline, [unchanged, edited])


def startup_section(space: Workspace, small: Path, repeat: int) -> list[str]:
    """fusec --version and fusec check of a small file, against `python -c pass`."""
    baseline = Command("python -c pass", [sys.executable, "-c", "pass"], space.env, lambda: "")
    version = Command("fusec --version", [space.fusec, "--version"], space.env, lambda: None, goal=GOAL_STARTUP)
    check = Command(f"fusec check {small.name}", [space.fusec, "check", str(small)], space.env, lambda: None,
                    goal=GOAL_STARTUP)
    race([baseline, version, check], repeat, space.base)
    return report("start-up, whole process", baseline, [version, check])


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    functionfuse = find_functionfuse(args.functionfuse)
    fusec = Path(sys.executable).parent / "fusec"
    if not fusec.exists():
        print(f"no fusec beside {sys.executable}: run `make venv` (or pip install -e .) first", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="fuseflow-startup-", dir=args.dir))
    try:
        space = Workspace(base, functionfuse)
        print(f"{os.cpu_count()} cores, load average {load_average()} at the start; "
              f"timed runs per command: {args.repeat}; {fusec}")
        print(f"functionfuse from {functionfuse}" if functionfuse else
              f"functionfuse not found, measuring fuseflow alone; to compare: {GET_FUNCTIONFUSE}")
        sections = [
            lambda: dag_section(space, args.small, (GOAL_SMALL_RUN, None), args.repeat),
            lambda: dag_section(space, args.large, (GOAL_LARGE_UNCHANGED, GOAL_LARGE_EDITED), args.repeat),
            lambda: startup_section(space, space.fuse_file(args.small, "small"), args.repeat),
        ]
        for section in sections:
            print()
            print("\n".join(section()), flush=True)
        print(f"\nload average {load_average()} at the end")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def find_functionfuse(given: str | None) -> Path | None:
    """The folder holding the functionfuse package: --functionfuse, else FUNCTIONFUSE_PATH."""
    folder = given or os.environ.get("FUNCTIONFUSE_PATH")
    if not folder:
        return None
    path = Path(folder).resolve()
    if not (path / "functionfuse" / "__init__.py").is_file():
        print(f"no functionfuse package in {path} (want {path}/functionfuse/__init__.py)", file=sys.stderr)
        return None
    return path


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functionfuse", metavar="DIR",
                        help="folder holding the functionfuse package (default: $FUNCTIONFUSE_PATH)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of every command (default 10)")
    parser.add_argument("--small", type=int, default=30, help="nodes of the small workflow (default 30)")
    parser.add_argument("--large", type=int, default=10_000, help="nodes of the large workflow (default 10000)")
    parser.add_argument("--dir", help="where the temp folder goes (default: the system temp folder)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
