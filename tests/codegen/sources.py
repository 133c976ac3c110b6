"""The .fuse sources the generated-Python tests compile: every file of the repository
(examples/, tests/golden/*/input.fuse), every complete ```fuse block of the docs, and the
loop forms below that no golden case shows."""
from __future__ import annotations

import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^[ \t]*```[ \t]*fuse[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)

EXTRA = {
    # loops whose keys are not their items, a dict loop that reads only its keys, a method
    # of an object made outside the loop, long literals, and names the module uses itself
    "loop_forms": """
workflow loop_forms
from lib import f, g, Counter
let rt = [1.5, 2.5]
let nodes = {"a.b": 1, "c": 2}
let sys = ["x"]
c = Counter()
for x in rt {
    a = f(x, [x, 1], {"k": x})
}
for k, v in nodes {
    b = f(k)
    c.add(b)
}
for w in ["a long item to make the list long", "another long item, also long enough"] {
    d = g(w, a)
}
for s in sys {
    for t in [true, false] {
        e = g(s, t, d)
    }
    h = g(e)
}
total = c.value()
last = g(e, h)
""",
    # what the loop descriptions cannot say: the loop is written node by node
    "undescribed": """
from lib import f, g
let specs = {"a": [1, 2], "b": [3]}
for k, v in specs {
    x = f(k, specs[k])
}
for k in specs {
    for j in specs[k] {
        y = f(j)
    }
}
for o in ["p", "q"] {
    for i in [1, 2] {
        z = f(o, i)
    }
    w = g(z["1"])
}
for e in [] {
    never = f(e)
}
for ds in ["p", "q"] {
    pre = f(ds)
    for item in x["a"] {
        at = g(item, pre)
    }
    post = g(at, at[0])
}
all = g(x, y, z, w, post)
""",
    # options that differ between the members of one statement; Prefect's own; params
    "options_table": """
workflow options_table
from lib import f, hook
param items: list = [1, 2]
param table: dict = {"k": "v"}
param n: int
for i in [1, 2, 3] {
    x = f(i, items, table, n, lambda=i)
}
options {
    "x\\.1": { retries: 2, timeout: "1m" }
    "x\\.2": { seed: 3 }
}
options prefect {
    "x\\.3": { tags: ["third"], on_failure: [hook] }
}
return x
""",
    # run-time loops: over a node (indexed) and over params, a list's items unpacked, a dict's keys and
    # values, static loops inside (a `let` one and one whose keys are not its items), a family of one
    # read in the same iteration, `after`, options selecting their nodes, their results read outside
    # them, in a static loop too; names the module uses itself
    "run_time_loops": """
workflow run_time_loops
from lib import f, g, listing, Counter
let models = {"knn": 1, "tree.x": 2}
let items = [1.5, 2.5]
param rows: list = [[1, "a"], [2, "b"]]
param sizes: dict = {"small": 1, "big.one": 10}
c = Counter()
files = listing(3)
parts = g(files)
for x in files {
    a = f(x, [x, 1], {"k": x})
    for name, v in models {
        b = f(a, name, v)
    }
    s = g(b, a[0], x)
    for it in items {
        d = g(it, s)
    }
    last = f(x) after a, b
}
for n, label in rows {
    r = f(n, label, lambda=n)
}
for k, size in sizes {
    z = f(k, size, {"big": size})
}
for rt in parts[0]["x"] {
    q = f(rt)
}
for m in [1, 2] {
    late = g(a[0], m, s)
}
cv = c.value()
total = g(a, b, s, r, z["small"], late, cv, d[1])
options {
    "a\\..*": { retries: 2 }
    "b\\.1\\.knn": { seed: 3 }
}
options ray {
    "s\\..*": { num_cpus: 2 }
}
options prefect {
    "z\\..*": { tags: ["z"] }
}
return total, a, z
""",
    # loops nested as deep as generated Python writes them as loops (codegen.loops.MAX_DEPTH), and deeper
    "deep_loops": "from lib import f, g\n" + "".join(f'for v{i} in ["a"] {{\n' for i in range(8)) + "x = f(v7)\n"
                  + "}" * 8 + "\n" + "".join(f'for w{i} in ["a"] {{\n' for i in range(9)) + "y = f(w8)\n"
                  + "}" * 9 + "\nz = g(x, y)\n",
}


def sources() -> dict[str, tuple[str, str]]:
    """label -> (path the file is compiled under, its text)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(ROOT.glob("examples/*.fuse")) + sorted(ROOT.glob("tests/golden/*/input.fuse")):
        relative = path.relative_to(ROOT).as_posix()
        found[relative.replace("/input.fuse", "").replace("/", "_").replace(".fuse", "")] = (
            relative, path.read_text(encoding="utf-8"))
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, match in enumerate(FENCE.finditer(document.read_text(encoding="utf-8"))):
            # compiled as a file of examples/ (as tests/test_docs.py does): `use "prep.fuse"` finds the example
            found[f"{document.stem}_{i}"] = (f"examples/{document.stem}_{i}.fuse", match.group(1))
    for name, text in EXTRA.items():
        found[name] = (f"{name}.fuse", text)
    return found


@functools.cache
def written(target: str) -> dict[str, tuple[str, str]]:
    """The sources `fusec compile --target TARGET` writes: all but those with a construct it does
    not write yet, which it refuses at the construct (Target.supports: `finally`, run-time loops)."""
    from fuseflow.compiler.errors import CompileError
    from fuseflow.compiler.frontend import compile_source
    from fuseflow.targets import get

    found = {}
    for label, (path, text) in sources().items():
        try:
            get(target).supports(compile_source(text, path)[0])
        except CompileError:
            continue
        found[label] = (path, text)
    return found
