"""A generated module needs only fuseflow.runtime and the user's own modules:
it runs with the compiler's libraries (lark, Jinja2) and fuseflow.compiler
itself made unimportable."""
from __future__ import annotations

import json

from .conftest import EXAMPLES, ROOT, compile_module, run_module

POISON = """
import sys
for name in ("lark", "jinja2", "fuseflow.compiler", "fuseflow.cli"):
    sys.modules[name] = None  # `import name` now raises ImportError
"""
CHECK = """
import atexit, sys
@atexit.register
def report():
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] in ("lark", "jinja2") or m.startswith("fuseflow.compiler"))
    sys.stderr.write("loaded: " + ",".join(m for m in loaded if sys.modules[m] is not None) + "\\n")
"""


def test_generated_module_runs_without_the_compiler(tmp_path):
    module = compile_module(EXAMPLES / "models.fuse", tmp_path / "wf.py")
    done = run_module(module, "--json", "--storage", str(tmp_path / "store"), cwd=tmp_path, pythonpath=EXAMPLES,
                      prelude=POISON + CHECK)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"best", "err"}
    assert done.stderr == "loaded: \n"


def test_golden_modules_run_as_scripts_without_the_compiler(tmp_path):
    """The checked-in golden modules of the examples run as they are (they import examples.*)."""
    for case, expected in (("arith", {"m": -1}), ("counter", {"result": 4})):
        module = ROOT / "tests" / "golden" / case / "wf_local.py"
        done = run_module(module, "--json", "--no-cache", cwd=tmp_path, pythonpath=ROOT, prelude=POISON)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected


def test_importing_the_runtime_imports_no_backend_or_compiler(tmp_path):
    import subprocess
    import sys

    code = ("import sys; import fuseflow.targets.local.runtime, fuseflow.runtime.execute; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('lark', 'jinja2', 'rich', 'numpy', 'ray', 'prefect', 'kfp') or m.startswith('fuseflow.compiler')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == "[]\n", done.stderr


def test_set_is_checked_without_the_compiler(tmp_path):
    """--set is checked by fuseflow.schemas, the checker of a file's options, which is no part of the compiler."""
    module = compile_module(EXAMPLES / "arith.fuse", tmp_path / "wf.py")
    done = run_module(module, "--json", "--no-cache", "--set", "s.*:retries=1", cwd=tmp_path, pythonpath=EXAMPLES,
                      prelude=POISON + CHECK)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": -1} and done.stderr == "loaded: \n"
    refused = run_module(module, "--no-cache", "--set", 's.*:env={"K": 1}', cwd=tmp_path, pythonpath=EXAMPLES,
                         prelude=POISON)
    assert refused.returncode == 2
    assert "option 'env' expects a dict of strings to strings" in refused.stderr
