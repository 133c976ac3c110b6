"""Random workflows with loops (nested, over `let` lists and dicts, literals, keys that are
not their items, families and members read inside and outside their loops): the local and
Prefect modules build the graph runtime.bind builds, and are ruff-clean. A fixed seed: the
same programs every run."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fuseflow.codegen.loader import load_generated
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime.bind import bind
from fuseflow.targets.local import generate as local
from fuseflow.targets.prefect import generate as prefect

from .test_generated_python import assert_ruff_clean
from .test_loop_graphs import graph_facts, stand_ins

PROGRAMS = 80


def constant(r: random.Random, depth: int = 0) -> str:
    choice = r.random()
    if choice < 0.3:
        return json.dumps(r.choice(["a", "b.c", "d e", "", "x1", "é"]))
    if choice < 0.5:
        return str(r.randint(-3, 30))
    if choice < 0.6:
        return r.choice(["true", "false", "none", "1.5"])
    if choice < 0.8 and depth < 2:
        return "[" + ", ".join(constant(r, depth + 1) for _ in range(r.randint(0, 3))) + "]"
    if depth < 2:
        return "{" + ", ".join(f'"k{i}": {constant(r, depth + 1)}' for i in range(r.randint(0, 3))) + "}"
    return "7"


def program(r: random.Random) -> str:
    lines = ["from lib import f, g", "param p: int = 1"]
    lets = []
    for i in range(r.randint(0, 3)):
        if r.random() < 0.5:
            keys = dict.fromkeys(r.choice(["a", "b", "c", "x.y", "z z", "3"]) for _ in range(r.randint(1, 3)))
            value = "{" + ", ".join(f'"{k}": {constant(r)}' for k in keys) + "}"
        else:
            value = "[" + ", ".join(dict.fromkeys(constant(r, 2) for _ in range(r.randint(1, 3)))) + "]"
        lets.append(f"L{i}")
        lines.append(f"let L{i} = {value}")
    defined: list[str] = []
    count = [0]

    def body(indent: int, names: list[str], depth: int) -> list[str]:
        out = []
        for _ in range(r.randint(1, 3)):
            count[0] += 1
            if r.random() < 0.3 and depth < 3:
                variables = [f"v{count[0]}"] + ([f"w{count[0]}"] if r.random() < 0.4 else [])
                iterable = r.choice([*lets, '["u", "v"]', "[1, 2]", '{"m": 1, "n": 2}'])
                out.append(" " * indent + f"for {', '.join(variables)} in {iterable} {{")
                out += body(indent + 4, names + variables, depth + 1)
                out.append(" " * indent + "}")
                continue
            args = []
            for _ in range(r.randint(0, 3)):
                choice = r.random()
                if choice < 0.3 and names:
                    args.append(r.choice(names))
                elif choice < 0.6 and defined:
                    args.append(r.choice(defined) + (r.choice(["[0]", '["k"]']) if r.random() < 0.3 else ""))
                elif choice < 0.7:
                    args.append("p")
                elif choice < 0.8 and names and defined:
                    args.append(f"[{r.choice(names)}, {r.choice(defined)}]")
                else:
                    args.append(constant(r))
            if args and r.random() < 0.3:
                args[-1] = "kw=" + args[-1]
            out.append(" " * indent + f"n{count[0]} = {r.choice('fg')}({', '.join(args)})")
            defined.append(f"n{count[0]}")
        return out

    return "\n".join(lines + body(0, [], 0)) + "\n"


def test_random_loop_programs(tmp_path: Path):
    pytest.importorskip("prefect")
    r = random.Random(2026)
    compiled = 0
    for i in range(PROGRAMS):
        text = program(r)
        try:
            wf, _ = compile_source(text, f"p{i}.fuse")
        except CompileError:  # a name used before it is defined, a wrong index, ...
            continue
        compiled += 1
        home = tmp_path / f"p{i}.fuse"
        with stand_ins(wf):
            expected = graph_facts(bind(wf, str(home)))
            for name, generator in (("local", local), ("prefect", prefect)):
                module = generator.generate(wf)
                (tmp_path / f"p{i}_{name}.py").write_text(module, encoding="utf-8")
                assert graph_facts(load_generated(module, home).WORKFLOW) == expected, text
    assert compiled > PROGRAMS // 2
    assert_ruff_clean(tmp_path)
