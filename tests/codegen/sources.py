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
all = g(x, y, z, w)
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


@functools.lru_cache(maxsize=1)
def written_sources() -> dict[str, tuple[str, str]]:
    """The sources the Python generators write: all but those with run-time loops or `finally`,
    which the generators do not write yet (`fusec compile` says so at the construct:
    Target.supports; issue 14)."""
    from fuseflow.compiler.frontend import compile_source

    def written(path: str, text: str) -> bool:
        wf = compile_source(text, path)[0]
        return not wf.fanouts and not any(node.final for node in wf.nodes)

    return {label: (path, text) for label, (path, text) in sources().items() if written(path, text)}
