"""Hostile input through the front end and every generator (hypothesis, fixed seed).

Two properties, each over a few hundred examples per run, the same examples
every run (`derandomize`), so a failure is repeatable and prints its input:

1. Valid files with hostile values in every position: file names, the
   workflow's name, param defaults, literals nested in lists and dicts, dict
   keys, loop items, keyword-argument names, the callable's name, option
   strings; values from a table of known troublemakers (quotes, every kind of
   line break, KFP placeholders, YAML indicators, control characters) and
   arbitrary text and numbers. Each file compiles on every target; every
   Python artifact parses, the local one runs and returns exactly the values
   the file wrote, and Ray's and Prefect's modules declare the same graph; the
   KFP YAML loads with yaml.safe_load and with kfp, gives back every string
   and param default exactly, and its commands hold no KFP placeholder; the
   IR survives its JSON round trip.
2. Token soup: any sequence of the language's tokens, hostile literals and
   stray characters is compiled or refused with positioned errors, never an
   internal error, and whatever compiles is written by every generator as an
   artifact that parses.
"""
from __future__ import annotations

import ast
import json
import math
import sys
import types
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.targets import generator
from fuseflow.targets.kfp import values as kfp_values

FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

HOSTILE = [
    "", " ", "\t", "\n", "\r", "\r\n", "\n\n", " \n ", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029",
    "\x00", "\x1b[31mred\x1b[0m", "\x7f", "\ufeff", "\ufffe", "\uffff",
    '"', "'", '"""', "'''", "\\", "\\n", "# not a comment", "a # b", "a: b", "- x", "---", "...", "? k", "!tag",
    "&a *a", "|", ">", "%YAML", "@x", "`x`", "[1, 2]", "{a: 1}", "yes", "No", "null", "~", "true", "1e3", "0x10",
    "0o7", ".inf", "NaN", "{{$}}", "{{$.pipeline_job_name}}", "{{$.inputs.parameters['arg0_1']}}",
    "{{$.outputs.artifacts['result'].path}}", "/kfp-workspace/x", "fuseflow-json:1", "{{ x }}", "{%", "{#", "}}",
    "${HOME}", "$(id)", "%s", "%(x)s", "os.system('id')", "__import__('os').system('id')",
    "\"); import os; os.system('id') #", "é", "日本語", "🙂", "a" * 1100, "x\u0301",
]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=("Cs",)), max_size=12))
NUMBER = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**53, 2**53 + 1, -(2**63), 2**64]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, -0.0, 1e308, 5e-324, 1e16, 123456789.123456789]),
)
SCALAR = st.one_of(TEXT, NUMBER, st.booleans(), st.none())
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
PARAM_TYPES = {"int": st.integers(-(2**60), 2**60), "float": st.floats(allow_nan=False, allow_infinity=False),
               "str": TEXT, "bool": st.booleans(), "list": st.lists(SCALAR, max_size=3),
               "dict": st.dictionaries(TEXT, SCALAR, max_size=3)}
# Names the generated code, Prefect's tasks and KFP's step program use themselves.
OWN_NAMES = ["dict", "locals", "values", "run_step", "kfp", "dsl", "node", "args", "kwargs", "rt", "WORKFLOW", "sys",
             "task", "flow", "Any", "NO_CACHE", "json", "os", "print", "_fuseflow_run", "_SPEC", "_MODULES"]
WORKFLOW_NAMES = ["wf", "ident", "pair", "storage", "x" * 200, *OWN_NAMES]
CALLABLE_NAMES = ["ident", *OWN_NAMES]
KEYWORD_NAMES = ["kw", "lambda", "None", "class", "in", "self", *OWN_NAMES]  # Python parameters: any word
FILE_NAMES = ["plain", "x\n", 'x\n"""\'\'\'', "k\rimport os;os.system(\"id\")\r#", "{{$.pipeline_job_name}}",
              "a b", "#x", "é", "\u2028x", "x\x1b[0m", "-dash", "..x", "x" * 150]
MODULE = '''
def ident(*args, **kwargs):
    """The arguments back, as data."""
    return [list(args), dict(kwargs)]


def pair(a, b=None):
    return [a, b]
'''


def fuse_literal(value) -> str:
    """A .fuse literal for a Python value (strings with Python's escapes, which .fuse reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (int, float, str)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(fuse_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k!r}: {fuse_literal(v)}" for k, v in value.items()) + "}"


@st.composite
def workflows(draw):
    """(file name, .fuse text, the outputs a run must return, strings that must reach the KFP YAML)."""
    fn, kw_name = draw(st.sampled_from(CALLABLE_NAMES)), draw(st.sampled_from(KEYWORD_NAMES))
    lines = [f"workflow {draw(st.sampled_from(WORKFLOW_NAMES))}", f"from fuzzops import ident as {fn}, pair"]
    params = {}
    for i in range(draw(st.integers(0, 3))):
        type_ = draw(st.sampled_from(sorted(PARAM_TYPES)))
        params[f"p{i}"] = draw(PARAM_TYPES[type_])
        lines.append(f"param p{i}: {type_} = {fuse_literal(params[f'p{i}'])}")
    items = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
    literal, key, kw = draw(VALUE), draw(TEXT), draw(VALUE)
    first_param = next(iter(params), None)
    args = [fuse_literal(literal), "[" + ", ".join([fuse_literal(literal), *params]) + "]",
            "{" + f"{key!r}: {first_param or fuse_literal(literal)}" + "}"]
    env, *texts = draw(TEXT.filter(lambda t: "\x00" not in t)), draw(TEXT), draw(TEXT), draw(TEXT)
    lines += [
        f"let items = {fuse_literal(items)}",
        f"a = {fn}({', '.join(args)}, {kw_name}={fuse_literal(kw)})",
        "for k in items {\n    b = pair(k, a[0][0])\n}",
        f"c = pair(b, a[1][{kw_name!r}])",
        "options {\n    \"a\": { env: {\"FUZZ\": " + repr(env) + "}, retries: 1 }\n}",
        "options kfp {\n    workflow: { display_name: " + repr(texts[0]) + ", description: " + repr(texts[1])
        + " }\n    \"a\": { display_name: " + repr(texts[2]) + " }\n}",
        "return a, c",
    ]
    first = [literal, [literal, *params.values()], {key: params[first_param] if first_param else literal}]
    expected = {"a": [first, {kw_name: kw}], "c": [[[item, literal] for item in items], kw]}
    file_name = draw(st.sampled_from(FILE_NAMES)) + ".fuse"
    return file_name, "\n".join(lines) + "\n", expected, [env, *texts, *items, key]


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "fuzzops.py").write_text(MODULE)
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    sys.modules.pop("fuzzops", None)


@pytest.mark.slow
@FUZZ
@given(case=workflows())
def test_hostile_values_in_every_position_compile_run_and_load_exactly(fuzz_dir, case):
    file_name, text, expected, strings = case
    try:
        wf, _ = compile_source(text, file_name)
    except CompileError as exc:
        if "give the same node name key" in exc.args[0]:
            return  # two loop items that name their nodes alike ("a b", "a_b"): refused by design
        pytest.fail(f"a valid file was refused:\n{exc.args[0]}\n{text}")
    assert ir.Workflow.from_json(wf.to_json()) == wf
    graphs = {target: _graph(_load(generator(target)(wf), fuzz_dir / file_name))
              for target in ("local", "ray", "prefect")}
    assert graphs["ray"] == graphs["local"] == graphs["prefect"]
    local = _load(generator("local")(wf), fuzz_dir / file_name)
    outputs = _workflow(local).run({}, storage=None, no_cache=True, progress=False)
    outputs["c"][0] = list(outputs["c"][0].values())  # a family: keyed by names made from the items
    assert _exact(outputs) == _exact(expected), text
    _check_kfp(generator("kfp")(wf), wf, strings, text)


def _load(source: str, path: Path) -> types.ModuleType:
    module = types.ModuleType("fuzz_generated")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def _workflow(module: types.ModuleType):
    from fuseflow.runtime.graph import Workflow

    (found,) = [value for value in vars(module).values() if isinstance(value, Workflow)]
    return found


def _graph(module: types.ModuleType) -> list[tuple]:
    """What the module declares to fuseflow's runtime: names, kinds and arguments of the nodes."""
    return [(n.name, n.kind, repr(n.args), repr(n.kwargs)) for n in _workflow(module).nodes]


def _exact(value):
    """Values as the file wrote them: a float is kept apart from an equal int, -0.0 from 0.0."""
    if isinstance(value, float):
        return ("float", math.copysign(1, value), abs(value))
    if isinstance(value, (list, tuple)):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return value


def _check_kfp(text: str, wf: ir.Workflow, strings: list[str], source: str) -> None:
    from kfp.components import load_component_from_text

    spec = next(yaml.safe_load_all(text))
    load_component_from_text(text)
    found = set(_strings(spec))
    for value in strings:
        assert value in found, f"{value!r} is not in the YAML\n{source}"
    for param in wf.params:
        default = spec["root"]["inputDefinitions"]["parameters"][param.name]["defaultValue"]
        assert _exact(kfp_values.decode(default)) == _exact(param.default), source
    for executor in spec["deploymentSpec"]["executors"].values():
        assert not any(kfp_values.has_mark(part) for part in executor["container"]["command"]), source


def _strings(value):
    """Every string of the loaded YAML, decoded as the steps decode them, and the
    strings of the step programs' Python literals."""
    if isinstance(value, str):
        yield value
        decoded = kfp_values.decode(value)
        if decoded != value:
            yield from _strings(decoded)
        elif value[:1] in "[{":
            try:
                yield from _strings(json.loads(value))
            except ValueError:
                pass
        if "_SPEC = " in value:
            yield from (node.value for node in ast.walk(ast.parse(value))
                        if isinstance(node, ast.Constant) and isinstance(node.value, str))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# --- token soup ---------------------------------------------------------------------

TOKENS = [
    "workflow", "from", "import", "as", "param", "let", "for", "in", "options", "storage", "return", "true", "false",
    "none", "ray", "kfp", "prefect", "(", ")", "[", "]", "{", "}", ",", ":", "=", ".", "#", "\n", " ",
    "a", "b", "f", "m", "x", "ops", "int", "str", "list", "dict", "float", "bool", "retries", "env", "cache",
    "seed", "timeout", "memory", '"a"', '".*"', '"1Gi"', '"10m"', "0", "-1", "1.5", "1e999", "9" * 5000, "'x'",
    '"\\ud800"', '"\\N{BULLET}"', '"\\x"', "\\", "\t", "\r", "\x00", "\ufeff", "é", "@", "$", "*", "+", ";", "'",
]
SOUP = st.lists(st.one_of(st.sampled_from(TOKENS), st.sampled_from(HOSTILE).map(repr), st.characters()),
                max_size=60).map("".join)
SEED = "from ops import f\nparam n: int = 1\nlet xs = [1, 2]\na = f(n)\nfor x in xs { b = f(a, x) }\nreturn b\n"


@pytest.mark.slow
@FUZZ
@given(text=st.one_of(SOUP, st.tuples(st.integers(0, len(SEED)), SOUP).map(lambda p: SEED[:p[0]] + p[1] + SEED[p[0]:])))
def test_any_token_soup_compiles_or_gives_positioned_errors(text):
    try:
        wf, _ = compile_source(text, "soup.fuse")
    except CompileError as exc:
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        assert exc.diagnostics and all(d.span is not None for d in errors), exc.args[0]
        return
    for target in ("local", "ray", "prefect", "kfp", "ir"):
        try:
            artifact = generator(target)(wf)
        except CompileError:
            continue  # what the target cannot express, at its position
        if target == "kfp":
            list(yaml.safe_load_all(artifact))
        elif target == "ir":
            assert ir.Workflow.from_json(artifact) == wf
        else:
            ast.parse(artifact)
