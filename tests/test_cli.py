"""`fusec` through a real subprocess, as a user or a CI job runs it.

Exit status: 0 fine (warnings allowed), 1 the input has errors, 2 usage error.
No output ever holds a Python traceback.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARITH = "tests/golden/arith/input.fuse"
FANOUT = "tests/golden/fanout/input.fuse"
OPTIONS = "tests/golden/options/input.fuse"


def fusec(*args: str, path: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if path is not None:
        env["PATH"] = path
    result = subprocess.run([sys.executable, "-m", "fuseflow.cli", *args],
                            capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def subcommands() -> list[str]:
    """The commands `fusec --help` lists (others may register more: run, storage, ...)."""
    text = fusec("--help").stdout
    return re.findall(r"^    (\w+)(?: |$)", text, re.M)


# --- help ---------------------------------------------------------------------------


def test_help_lists_commands_and_exit_codes():
    result = fusec("--help")
    assert result.returncode == 0
    for word in ("check", "compile", "graph", "nodes", "Exit status"):
        assert word in result.stdout


def test_no_command_is_a_usage_error():
    result = fusec()
    assert result.returncode == 2
    assert "usage: fusec" in result.stdout + result.stderr


def test_every_subcommand_has_help():
    commands = subcommands()
    assert {"check", "compile", "graph", "nodes"} <= set(commands)
    for command in commands:
        result = fusec(command, "--help")
        assert result.returncode == 0, command
        assert f"usage: fusec {command}" in result.stdout


@pytest.mark.parametrize("command, options", [
    ("check", ["FILE", "--imports", "-D NAME=VALUE", "--debug"]),
    ("compile", ["--target", "-o", "-D NAME=VALUE", "--debug", "ir"]),
    ("graph", ["--format", "dot", "mermaid", "svg", "-o", "--debug"]),
    ("nodes", ["--match", "REGEX", "--target", "ray", "--debug"]),
])
def test_subcommand_help_mentions_its_options(command: str, options: list[str]):
    text = fusec(command, "--help").stdout
    for option in options:
        assert option in text, f"`fusec {command} --help` does not mention {option}"


def test_version():
    result = fusec("--version")
    assert result.returncode == 0 and result.stdout.startswith("fusec ")


# --- check ----------------------------------------------------------------------------


def test_check_several_valid_files():
    result = fusec("check", ARITH, FANOUT, "examples/counter.fuse")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_check_reports_every_bad_file_and_goes_on():
    result = fusec("check", "tests/invalid/duplicate_node.fuse", ARITH, "tests/invalid/nested_call.fuse",
                   "no/such/file.fuse", "tests/invalid/undefined_name.fuse")
    assert result.returncode == 1
    heads = re.findall(r"^(tests/invalid/\w+\.fuse):\d+:\d+: error", result.stderr, re.M)
    assert list(dict.fromkeys(heads)) == ["tests/invalid/duplicate_node.fuse", "tests/invalid/nested_call.fuse",
                                          "tests/invalid/undefined_name.fuse"]
    assert "fusec: error: cannot read no/such/file.fuse" in result.stderr
    assert ARITH not in result.stderr


def test_warnings_alone_exit_zero():
    result = fusec("check", "tests/invalid/query_matches_nothing.fuse")
    assert result.returncode == 0
    assert "warning: query" in result.stderr and result.stderr.endswith("fusec: 2 warnings\n")


def test_missing_file_is_one_line():
    result = fusec("check", "no/such/file.fuse")
    assert result.returncode == 1
    assert result.stderr == "fusec: error: cannot read no/such/file.fuse: No such file or directory\n"
    assert fusec("compile", "no/such/file.fuse", "--target", "ir").returncode == 1


def test_a_directory_or_binary_file_is_not_a_traceback(tmp_path: Path):
    binary = tmp_path / "bad.fuse"
    binary.write_bytes(b"\xff\xfe\x00 not utf-8")
    for path in (str(tmp_path), str(binary)):
        result = fusec("check", path)
        assert result.returncode == 1
        assert result.stderr.startswith(f"fusec: error: cannot read {path}")
        assert result.stderr.count("\n") == 1


def test_bad_define_syntax_is_a_usage_error():
    result = fusec("check", ARITH, "-D", "novalue")
    assert result.returncode == 2
    assert "NAME=VALUE" in result.stderr


def test_debug_flag_is_accepted():
    assert fusec("check", "--debug", ARITH).returncode == 0
    result = fusec("check", "--debug", "tests/invalid/duplicate_node.fuse")
    assert result.returncode == 1  # a mistake in the input is never a traceback, even with --debug


# --- check --imports -------------------------------------------------------------------


def _project(tmp_path: Path, fuse: str, **modules: str) -> Path:
    """A .fuse file (returned) beside its modules, in tmp_path/wf."""
    folder = tmp_path / "wf"
    folder.mkdir(exist_ok=True)
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    (folder / "pipe.fuse").write_text(fuse, encoding="utf-8")
    return folder / "pipe.fuse"


def test_check_imports_reports_names_and_calls(tmp_path: Path):
    file = _project(tmp_path, "from ops import add, ad\nx = add(1, 2, 3)\n",
                    ops="def add(a, b):\n    return a + b\n")
    result = fusec("check", str(file), "--imports")
    assert result.returncode == 1
    assert result.stderr == (
        "pipe.fuse:1:22: error: module 'ops' has no name 'ad'\n"
        "  1 | from ops import add, ad\n"
        "    |                      ^^ did you mean 'add'?\n"
        "pipe.fuse:2:5: error: wrong arguments for add(): too many positional arguments\n"
        "  2 | x = add(1, 2, 3)\n"
        "    |     ^^^^^^^^^^^^ it takes add(a, b)\n"
        "fusec: 2 errors\n"
    )
    assert fusec("check", str(file)).returncode == 0  # without --imports nothing is imported


def test_check_imports_of_a_good_file_and_the_examples(tmp_path: Path):
    file = _project(tmp_path, "from ops import add\nx = add(1, b=2)\n", ops="def add(a, b):\n    return a + b\n")
    result = fusec("check", str(file), "--imports")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    result = fusec("check", "--imports", "examples/arith.fuse",
                   "examples/counter.fuse", "examples/models.fuse")
    assert (result.returncode, result.stderr) == (0, "")


def test_check_imports_a_module_that_raises_is_an_error_not_a_traceback(tmp_path: Path):
    file = _project(tmp_path, "from ops import add\nx = add(1, 2)\n", ops="import sys\n1 / 0\n")
    result = fusec("check", str(file), "--imports")  # fusec() asserts there is no traceback
    assert result.returncode == 1
    assert result.stderr.startswith(
        "pipe.fuse:1:6: error: importing 'ops' raised ZeroDivisionError: division by zero\n")
    assert result.stderr.splitlines()[2].endswith(f"^^^ at {(tmp_path / 'wf' / 'ops.py').resolve()}:2")


def test_only_check_imports_runs_the_modules_code(tmp_path: Path):
    marker = tmp_path / "imported"
    file = _project(tmp_path, "from ops import add\nx = add(1, 2)\n",
                    ops=f"open({str(marker)!r}, 'w').close()\ndef add(a, b):\n    return a + b\n")
    for command in (["check", str(file)], ["compile", str(file), "--target", "ray"], ["nodes", str(file)],
                    ["graph", str(file)]):
        assert fusec(*command).returncode == 0
        assert not marker.exists(), command
    assert fusec("check", str(file), "--imports").returncode == 0
    assert marker.exists()


def _project_and_working_directory(tmp_path: Path) -> tuple[Path, Path]:
    """(pipe.fuse using ops.add and helpers.twice, a working directory): ops.py is beside
    the file, and a different ops.py, shadowed by it, and helpers.py are in the working directory."""
    file = _project(tmp_path, "from ops import add\nfrom helpers import twice\ns = add(1, 2)\nx = twice(s)\n"
                    "return x\n", ops="def add(a, b):\n    return a + b\n")
    here = tmp_path / "cwd"
    here.mkdir()
    (here / "helpers.py").write_text("def twice(a):\n    return 2 * a\n")
    (here / "ops.py").write_text("def add(a):\n    return a\n")
    return file, here


def test_check_imports_finds_modules_beside_the_file_then_in_the_working_directory(tmp_path: Path):
    file, here = _project_and_working_directory(tmp_path)
    result = fusec("check", str(file), "--imports", cwd=here)
    assert (result.returncode, result.stderr) == (0, "")
    result = fusec("check", str(file), "--imports")  # from elsewhere, helpers.py is not found
    assert result.returncode == 1 and "cannot import 'helpers': No module named 'helpers'" in result.stderr


def test_check_imports_goes_on_with_the_other_files(tmp_path: Path):
    bad = _project(tmp_path, "from ops import nope\nx = nope()\n", ops="def add(a, b):\n    return a + b\n")
    result = fusec("check", "--imports", str(bad), "examples/arith.fuse",
                   "tests/invalid/undefined_name.fuse")
    assert result.returncode == 1
    assert "pipe.fuse:1:17: error: module 'ops' has no name 'nope'" in result.stderr
    assert "tests/invalid/undefined_name.fuse:" in result.stderr and "examples/arith.fuse" not in result.stderr


# --- run: where the workflow's modules are found ------------------------------------------

INSTALLED = Path(sys.executable).with_name("fusec")  # not `python -m`, which puts the working directory on sys.path


def run_installed(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(INSTALLED), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_run_finds_modules_beside_the_file_then_in_the_working_directory(tmp_path: Path):
    file, here = _project_and_working_directory(tmp_path)
    result = run_installed("run", str(file), "--no-cache", "--json", cwd=here)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"x": 6}  # add from beside the file, twice from the working directory
    result = run_installed("explain", str(file), "--storage", str(tmp_path / "s"), cwd=here)
    assert result.returncode == 0, result.stderr


def test_run_a_module_that_is_missing_or_raises_is_an_input_error_at_the_import(tmp_path: Path):
    file = _project(tmp_path, "from ops import add\nfrom helpers import twice\ns = add(1, 2)\nx = twice(s)\n",
                    ops="def add(a, b):\n    return a + b\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (["run", str(file), "--no-cache"], ["run", str(file), "--target", "prefect", "--no-cache"],
                    ["explain", str(file)], ["storage", "gc", str(file), "--dry-run"]):
        result = run_installed(*command, cwd=elsewhere)
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.endswith(
            "pipe.fuse:2:6: error: cannot import 'helpers': No module named 'helpers'\n"
            "  2 | from helpers import twice\n"
            "    |      ^^^^^^^ modules are looked for beside the .fuse file, in the working directory and among "
            "the installed packages\n"
            "fusec: 1 error\n"), command
    (elsewhere / "helpers.py").write_text("raise RuntimeError('not configured')\n")
    result = run_installed("run", str(file), "--no-cache", cwd=elsewhere)
    assert result.returncode == 1
    assert "pipe.fuse:2:6: error: importing 'helpers' raised RuntimeError: not configured" in result.stderr


def test_a_workflow_that_fails_to_bind_for_no_import_reason_is_an_internal_error(tmp_path: Path):
    file = _project(tmp_path, "from ops import add\nx = add(1, 2)\n", ops="def add(a, b):\n    return a + b\n")
    code = ("import sys\nfrom fuseflow import cli\nfrom fuseflow.runtime import bind\n"
            "def broken(target):\n    raise KeyError(1)\n"
            "bind.resolve_callable = broken\nsys.exit(cli.main(sys.argv[1:]))\n")
    result = subprocess.run([sys.executable, "-c", code, "run", str(file), "--no-cache"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 70
    assert result.stderr == "fusec: internal error: KeyError(1); run again with --debug for a traceback\n"


# --- compile ---------------------------------------------------------------------------


def test_compile_ir_to_stdout_and_to_a_file(tmp_path: Path):
    to_stdout = fusec("compile", ARITH, "--target", "ir")
    assert to_stdout.returncode == 0 and to_stdout.stderr == ""
    assert to_stdout.stdout == (ROOT / "tests/golden/arith/ir.json").read_text()
    out = tmp_path / "deeper" / "arith.json"
    to_file = fusec("compile", ARITH, "-t", "ir", "-o", str(out))
    assert (to_file.returncode, to_file.stdout) == (0, "")
    assert out.read_text() == to_stdout.stdout


def test_compile_to_an_unwritable_place_is_a_usage_error(tmp_path: Path):
    result = fusec("compile", ARITH, "--target", "ir", "-o", str(tmp_path))  # a directory
    assert result.returncode == 2
    assert result.stderr == f"fusec: error: cannot write {tmp_path}: Is a directory\n"


def test_a_byte_order_mark_is_not_a_syntax_error(tmp_path: Path):
    source = tmp_path / "bom.fuse"
    source.write_bytes(b"\xef\xbb\xbf" + (ROOT / ARITH).read_bytes())
    assert fusec("check", str(source)).returncode == 0


def test_compile_with_errors_writes_nothing(tmp_path: Path):
    out = tmp_path / "x.json"
    result = fusec("compile", "tests/invalid/duplicate_node.fuse", "--target", "ir", "-o", str(out))
    assert result.returncode == 1 and not out.exists()
    assert result.stderr == (ROOT / "tests/invalid/duplicate_node.err").read_text()


def test_unknown_target_lists_the_known_ones():
    result = fusec("compile", ARITH, "--target", "nope")
    assert result.returncode == 2
    assert result.stderr.startswith("fusec: error: unknown target 'nope'; known targets: ")
    known = result.stderr.split("known targets: ", 1)[1].strip().split(", ")
    assert "ir" in known and known == sorted(known)


def test_compile_needs_a_target():
    assert fusec("compile", ARITH).returncode == 2


def test_define_changes_the_loop_expansion():
    base = json.loads(fusec("compile", FANOUT, "--target", "ir").stdout)
    result = fusec("compile", FANOUT, "--target", "ir", "-D", 'datasets=["blobs"]')
    assert result.returncode == 0, result.stderr
    changed = json.loads(result.stdout)
    names = [node["name"] for node in changed["nodes"]]
    assert names == ["data.blobs", "parts.blobs", "model.blobs.knn", "acc.blobs.knn", "model.blobs.tree",
                     "acc.blobs.tree", "best"]
    assert [n["name"] for n in base["nodes"]] != names


def test_define_of_the_wrong_type_is_an_input_error():
    result = fusec("compile", FANOUT, "--target", "ir", "-D", "datasets=3")
    assert result.returncode == 1
    assert "-D datasets=3: expected list like the `let` on line 6, got int" in result.stderr


# --- graph -----------------------------------------------------------------------------


def test_graph_dot():
    result = fusec("graph", "tests/golden/counter/input.fuse")
    assert result.returncode == 0
    assert result.stdout.startswith('digraph "counter" {')
    assert '"counter" [label="counter\\nexamples.counter.IncrementalSum", shape=box3d];' in result.stdout
    assert '"counter_add_1" -> "counter_add_2" [style=dashed];' in result.stdout
    assert fusec("graph", "tests/golden/counter/input.fuse", "--format", "dot").stdout == result.stdout


def test_graph_mermaid(tmp_path: Path):
    out = tmp_path / "g.mmd"
    result = fusec("graph", FANOUT, "--format", "mermaid", "-o", str(out))
    assert result.returncode == 0
    text = out.read_text()
    assert text.startswith("flowchart TD\n")
    assert '["best<br/>examples.models.pick_best"]' in text
    # per data set: data -> parts, parts -> model x2, model -> acc x2, parts -> acc x2; then acc x4 -> best
    assert text.count(" --> ") == 2 * (1 + 2 + 2 + 2) + 4


def test_graph_groups_the_nodes_of_each_used_workflow_nested_as_the_calls_are():
    dot = fusec("graph", "tests/golden/use/input.fuse").stdout
    assert '  subgraph "cluster_nested" {\n    label="nested: steps (lib/steps.fuse)";\n' \
           '    subgraph "cluster_nested.inner" {\n      label="nested.inner: prep (lib/prep.fuse)";\n' \
           '      "nested.inner.x" [label="nested.inner.x\\nlib.produce"];\n' in dot
    assert '  "out" [label="out\\nlib.consume"];' in dot  # outside every group
    mermaid = fusec("graph", "tests/golden/use/input.fuse", "--format", "mermaid").stdout
    assert '  subgraph u2["nested: steps (lib/steps.fuse)"]\n    subgraph u3["nested.inner: prep (lib/prep.fuse)"]' \
           in mermaid
    assert mermaid.count("subgraph ") == mermaid.count("  end\n") == 4


def test_graph_svg_without_graphviz_is_a_clear_usage_error(tmp_path: Path):
    result = fusec("graph", ARITH, "--format", "svg", path=str(tmp_path))  # no `dot` on this PATH
    assert result.returncode == 2
    assert "Graphviz" in result.stderr and "--format dot" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_graph_svg_with_graphviz(tmp_path: Path):
    out = tmp_path / "g.svg"
    result = fusec("graph", ARITH, "--format", "svg", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "<svg" in out.read_text()


def test_graph_format_is_checked():
    result = fusec("graph", ARITH, "--format", "png")
    assert result.returncode == 2 and "invalid choice" in result.stderr


# --- nodes -----------------------------------------------------------------------------


def test_nodes_lists_every_node():
    result = fusec("nodes", ARITH)
    assert (result.returncode, result.stdout) == (0, "s1\ns2\nm\n")


def _listed(result: subprocess.CompletedProcess) -> dict[str, dict]:
    return {name: json.loads(rest) if rest else {} for name, _, rest in
            (line.partition("  ") for line in result.stdout.splitlines())}


def test_nodes_match_and_target_show_effective_options():
    result = fusec("nodes", OPTIONS, "--match", r"model\..*", "--target", "ray")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["model.moons", "model.circles"]
    moons = json.loads(lines[0].split(None, 1)[1])
    assert list(moons) == ["ray", "runtime"]
    assert moons["ray"]["num_cpus"] == 4  # ray's own num_cpus wins over the neutral cpus: 2
    assert moons["ray"]["resources"] == {"_model": 1} and moons["ray"]["memory"] == 2 * 2**30
    assert moons["ray"]["max_retries"] == 5  # neutral retries, in Ray's name; the later, more specific entry wins
    assert moons["runtime"] == {"cache": True, "seed": 7, "setup": "lib:init_worker", "timeout": 600.0}
    assert '"cpus"' not in json.dumps(moons) and "image" not in json.dumps(moons)  # nor kfp's options
    assert result.stderr == ""  # ray ignores none of these


def test_nodes_target_marks_what_the_target_ignores():
    result = fusec("nodes", OPTIONS, "--match", r"model\.moons", "--target", "prefect")
    moons = _listed(result)["model.moons"]
    assert moons["prefect"] == {"retries": 5, "tags": ["ml"], "timeout_seconds": 600.0}
    assert moons["ignored"] == {"cpus": 2, "memory": 2 * 2**30}
    assert result.stderr == ("fusec: note: prefect ignores 'cpus', 'memory': "
                             "a Prefect task reserves no CPUs, GPUs or memory per node\n")


def test_nodes_target_kfp_with_the_workflow_defaults_and_what_the_step_does():
    shown = _listed(fusec("nodes", OPTIONS, "--target", "kfp"))
    assert shown["data.circles"]["kfp"]["image"] == "python:3.12-slim"  # the later entry wins
    assert shown["model.moons"]["kfp"]["cpu_request"] == "2" and shown["model.moons"]["kfp"]["caching"] is True
    assert shown["model.moons"]["runtime"] == {"seed": 7, "setup": "lib:init_worker", "timeout": 600.0}


def test_nodes_target_local_is_what_the_runtime_does_in_process():
    result = fusec("nodes", OPTIONS, "--match", r"model\.moons", "--target", "local")
    assert _listed(result)["model.moons"] == {
        "runtime": {"cache": True, "env": {"OMP_NUM_THREADS": "1"}, "retries": 5, "seed": 7,
                    "setup": "lib:init_worker", "timeout": 600.0},
        "ignored": {"cpus": 2, "memory": 2 * 2**30}}
    assert result.stderr == ("fusec: note: local ignores 'cpus', 'memory': "
                             "a local run reserves no CPUs, GPUs or memory per node\n")


def test_nodes_target_neutral_and_no_target():
    assert _listed(fusec("nodes", OPTIONS, "--target", "neutral"))["data.moons"] == {"cache": False, "retries": 1}
    assert set(_listed(fusec("nodes", OPTIONS))["model.moons"]) == {"neutral", "ray", "prefect", "kfp"}


def test_nodes_target_stops_where_the_target_compiler_stops(tmp_path: Path):
    file = tmp_path / "gpu.fuse"
    file.write_text('from ops import add\na = add(1, 2)\noptions { "a": { gpus: 0.5 } }\n')
    result = fusec("nodes", str(file), "--target", "kfp")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == fusec("compile", str(file), "--target", "kfp").stderr
    assert "gpu.fuse:2:5: error: node 'a' cannot run on kfp: option 'gpus' cannot be used on kfp" in result.stderr


def test_nodes_match_is_a_full_match():
    assert fusec("nodes", OPTIONS, "--match", "model").returncode == 1  # `model` is not `model.moons`
    assert fusec("nodes", OPTIONS, "--match", "model.*").stdout.split()[0] == "model.moons"


def test_nodes_bad_regex_is_a_usage_error():
    result = fusec("nodes", ARITH, "--match", "(")
    assert result.returncode == 2 and "not a valid regex" in result.stderr


def test_nodes_unknown_target_is_a_usage_error():
    assert fusec("nodes", ARITH, "--target", "dask").returncode == 2


# --- without any backend library ---------------------------------------------------------

WITHOUT_EXTRAS = (
    "import sys\n"
    "for name in ('ray', 'prefect', 'kfp', 's3fs', 'rich'):\n"
    "    sys.modules[name] = None  # import fails as if not installed\n"
)


def test_every_compile_target_and_local_run_work_without_ray_prefect_or_kfp(tmp_path):
    """The compiler needs only lark and Jinja2: every artifact is produced, and a local
    run works, on a machine where none of the backends is installed."""
    code = (
        WITHOUT_EXTRAS +
        "from fuseflow.cli import main\n"
        "for target in ('ir', 'local', 'ray', 'prefect', 'kfp'):\n"
        f"    assert main(['compile', {ARITH!r}, '--target', target, '-o', {str(tmp_path)!r} + '/wf_' + target]) == 0\n"
        f"sys.exit(main(['run', {ARITH!r}, '--storage', {str(tmp_path / 'store')!r}, '--json']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": -1}
    expected = [f"wf_{t}" for t in ("ir", "kfp", "local", "prefect", "ray")]
    assert sorted(p.name for p in tmp_path.glob("wf_*")) == expected


def fusec_without_extras(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`fusec ARGS` where ray, prefect, kfp, s3fs and rich cannot be imported (`pip install -e .` alone)."""
    code = WITHOUT_EXTRAS + "from fuseflow.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.mark.parametrize(("args", "needed"), [
    (["run", ARITH, "--target", "ray"], "the Ray target needs ray"),
    (["run", ARITH, "--target", "prefect"], "the Prefect target needs prefect"),
    (["run", ARITH, "--target", "kfp"], "fusec run --target kfp (kfp.local) needs kfp"),
    (["submit", ARITH, "--host", "http://127.0.0.1:9"], "fusec submit needs kfp"),
    (["run", ARITH, "--storage", "s3://bucket/runs"], "S3 storage needs s3fs"),
    (["storage", "ls", "--storage", "s3://bucket/runs"], "S3 storage needs s3fs"),
], ids=["ray", "prefect", "kfp", "submit", "s3-run", "s3-storage"])
def test_a_backend_that_is_not_installed_is_named_with_the_extra_to_install(tmp_path, args, needed):
    done = fusec_without_extras(*args)
    extra = {"ray": "ray", "prefect": "prefect", "kfp": "kfp", "s3fs": "s3"}[needed.rpartition(" ")[2]]
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"fusec: error: {needed}, which is not installed: pip install 'fuseflow[{extra}]'\n"


def test_progress_asked_for_without_rich_says_so_and_runs_without_it(tmp_path):
    done = fusec_without_extras("run", ARITH, "--no-cache", "--progress")
    assert (done.returncode, done.stdout) == (0, "-1\n")
    assert done.stderr == ("warning: the progress display needs rich, which is not installed: "
                           "pip install 'fuseflow[progress]'; the run goes on without it\n")


# --- a reader that goes away (`fusec ... | head -1`) ----------------------------------------


def fusec_into_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`fusec ARGS` whose stdout is a pipe nobody reads any more, as after `| head -1` has its line."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "fuseflow.cli", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("command", [
    "nodes wf.fuse", "compile wf.fuse --target ir", "compile wf.fuse --target kfp", "graph wf.fuse",
    "graph wf.fuse --format mermaid", "run wf.fuse", "run wf.fuse --json", "explain wf.fuse", "explain wf.fuse --json",
    "storage ls", "storage ls arith", "storage du", "storage show arith m",
])
def test_a_closed_stdout_ends_every_command_quietly(tmp_path, command):
    shutil.copy(ROOT / ARITH, tmp_path / "wf.fuse")
    assert fusec("run", "wf.fuse", "--storage", ".fuseflow", cwd=tmp_path).returncode == 0
    done = fusec_into_closed_pipe(*command.split(), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (141, "")


def test_a_closed_stdout_ends_a_generated_module_quietly(tmp_path):
    module = tmp_path / "wf.py"
    assert fusec("compile", ARITH, "--target", "local", "-o", str(module)).returncode == 0
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, str(module), "--no-cache"], stdout=write, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


# --- hostile run-time inputs: a clear error, never exit 70 -----------------------------------

LONG = "a" * 5000
HOSTILE_INPUTS = [
    ["run", "wf.fuse", "-p", "a=NaN"],
    ["run", "wf.fuse", "-p", "a=" + "[" * 100_000],
    ["run", "wf.fuse", "-p", "a=" + "9" * 5000],
    ["run", "wf.fuse", "--set", 's1:env={"K": 1}'],
    ["run", "wf.fuse", "--set", "s1:setup=nonexist:fn"],
    ["run", "wf.fuse", "--set", "s1:cpus=Infinity"],
    ["run", "wf.fuse", "--set", LONG + ":seed=1"],
    ["run", "wf.fuse", "--set", "s1:env=" + "[" * 100_000],
    ["run", "wf.fuse", "--rerun", "("],
    ["run", "wf.fuse", "--storage", LONG],
    ["run", "wf.fuse", "--storage", "loop/x"],
    ["run", "wf.fuse", "--storage", "s3://"],
    ["run", "wf.fuse", "--target", "kfp", "--storage", LONG],
    ["run", "wf.fuse", "--target", "kfp", "--set", 's1:env={"K": "\udcff"}'],
    ["run", "wf.fuse", "--target", "kfp", "--storage", "ftp://x"],
    ["explain", "wf.fuse", "--storage", LONG],
    ["explain", "wf.fuse", "--set", "s1:seed=abc"],
    ["explain", "wf.fuse", "-p", "b=-Infinity"],
    ["storage", "gc", "wf.fuse", "--storage", LONG],
    ["storage", "ls", "--storage", LONG],
    ["storage", "gc", "--max-age", "-1"],
    ["storage", "gc", "--max-age", "nan"],
    ["storage", "show", "arith", "../x"],
    ["storage", "ls", "arith", "["],
]


@pytest.mark.parametrize("args", HOSTILE_INPUTS, ids=lambda args: " ".join(a[:20] for a in args))
def test_a_hostile_run_time_input_is_a_one_line_error(tmp_path, args):
    shutil.copy(ROOT / "examples" / "arith.fuse", tmp_path / "wf.fuse")
    shutil.copy(ROOT / "examples" / "ops.py", tmp_path / "ops.py")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert fusec("run", "wf.fuse", cwd=tmp_path).returncode == 0  # a store to look at
    done = fusec(*args, cwd=tmp_path)
    assert done.returncode in (1, 2), done.stderr
    *usage, message = done.stderr.splitlines()
    assert "error: " in message and "internal error" not in message, done.stderr
    assert not usage or usage[0].startswith("usage: "), done.stderr  # argparse shows the usage above its error
