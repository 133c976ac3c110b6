"""The YAML emitter: what it writes reads back (with PyYAML, as kfp reads it) as the same data."""
from __future__ import annotations

import random
import string

import pytest
import yaml

from fuseflow.targets.kfp import yaml_text as kfp_yaml

pytestmark = pytest.mark.kfp

TRICKY = [
    "", " ", "a", "true", "True", "no", "Off", "y", "~", "null", "1", "1.5", "0x1f", "1:20", "2001-12-14", "1e3",
    ".inf", "-", "- x", "? x", "a: b", "a:b", "a:", "a #b", "#x", "!x", "&x", "*x", "%x", "@x", "`x", "|", ">",
    "'q'", '"q"', "a,b", "[x]", "{x}", "python:3.11", "{{$}}", "--executor_input", "é", "tab\there", "cr\r\n",
    "u\u2028x", "\x85", "\x7f", "\x00", "line1\nline2", "\nlead", "end\n", "end\n\n\n", "  indented\nx\n",
    "\n\n  deep\n", "a\n \nb", "trail \nx", "x\n\ty\n", "\ufeffbom",
]


def round_trip(data):
    text = kfp_yaml.dump(data)
    assert yaml.safe_load(text) == data, text
    return text


def test_tricky_strings_read_back():
    round_trip({f"k{i}": s for i, s in enumerate(TRICKY)})
    round_trip({"list": TRICKY, "nested": [{"k": s, "z": [s]} for s in TRICKY]})
    round_trip({s or "empty": 1 for s in TRICKY if "\n" not in s})  # strings as keys


def test_long_keys_and_blank_blocks_read_back():
    long = "k" * 1100
    text = round_trip({long: {"a": 1, "b": "x\n"}, "list": [{long: [1], "z": "\n"}, {long: "\n\n"}], "n": "\n"})
    assert f"? {long}\n" in text and f"- ? {long}\n" in text


def test_numbers_read_back_with_their_types():
    data = {"n": [0, -1, 2**62, 1.5, -0.0, 1e300, 1e-7, 123456789.0, True, False, None]}
    text = round_trip(data)
    assert "1.0e+300" in text  # PyYAML reads a float without a dot as a string


def test_random_documents_read_back():
    rng = random.Random(7)
    alphabet = string.printable + "é\u2028\x85\x00"

    def value(depth):
        kind = rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        if kind == 1:
            return rng.choice([0, 7, -3, 2**40, 0.25, -1.5e-9, True, False, None])
        if kind == 2:
            return rng.choice(["", "plain", "with space", "x\ny\n", "-ec"])
        if kind == 3:
            return rng.choice(TRICKY)
        if kind in (4, 5):
            letters = string.ascii_letters + " :#-"
            return {"".join(rng.choice(letters) for _ in range(rng.randrange(1, 6))): value(depth + 1)
                    for _ in range(rng.randrange(5))}
        return [value(depth + 1) for _ in range(rng.randrange(5))]

    for _ in range(300):
        round_trip({"root": value(0)})


def test_keys_are_sorted_and_short_collections_fit_on_one_line():
    text = kfp_yaml.dump({"b": {"q": 1, "p": [1, 2]}, "a": {"long": "v" * 120}})
    assert text == "a:\n  long: " + "v" * 120 + "\nb: {p: [1, 2], q: 1}\n"


def test_code_goes_into_literal_blocks():
    code = "import os\n\ndef f():\n    return 1\n"
    text = round_trip({"command": ["sh", code]})
    assert "  - |\n    import os\n\n    def f():\n        return 1\n" in text


# Hostile strings for every place a .fuse file puts a string into the YAML.
HOSTILE = TRICKY + [
    "\n", "\n\n", " \n", "\n ", "x\n", "\t\n", "\r", "\x1b[31mred", "\x00", "\ufffe", "\uffff", "\u2028",
    "\x85", "\x1c", "é\u0301", "{{$.pipeline_job_name}}", "/kfp-workspace", "fuseflow-json:x", "'", "\\", "# x",
    "x" * 1100, "\ud7ff\U0001f600", "\ufeff",
]


def fuse(text: str) -> str:
    """A .fuse string literal for any text."""
    import json

    return json.dumps(text, ensure_ascii=False)


def hostile_workflow(s: str) -> str:
    env = s.replace("\x00", "")  # a process environment cannot hold NUL: refused in a file (tests/invalid)
    return "\n".join([
        "workflow exact",
        "from steps import show",
        f"param p: str = {fuse(s)}",
        f"x = show({fuse(s)}, [{fuse(s)}, p], {{{fuse(s)}: p}})",
        f"for k in [{fuse(s)}] {{",
        "    y = show(k)",
        "}",
        "options kfp {",
        f"    \"x\": {{ env: {{\"E\": {fuse(env)}}}, display_name: {fuse(s)} }}",
        f"    workflow: {{ description: {fuse(s)}, display_name: {fuse(s)} }}",
        "}",
        "",
    ])


@pytest.mark.parametrize("s", HOSTILE, ids=range(len(HOSTILE)))
def test_every_string_of_the_file_reads_back_exactly_from_the_yaml(s, tmp_path):
    from kfp import components

    from fuseflow import __version__
    from fuseflow.codegen import escape
    from fuseflow.compiler.constants import loop_key
    from fuseflow.compiler.frontend import compile_source
    from fuseflow.targets.kfp.generate import generate
    from fuseflow.targets.kfp.values import decode

    name = s.replace("/", "_").replace("\x00", "_") + ".fuse"  # what a file name may hold
    workflow, _ = compile_source(hostile_workflow(s), name)
    text = generate(workflow)
    spec = yaml.safe_load(text)
    assert decode(spec["root"]["inputDefinitions"]["parameters"]["p"]["defaultValue"]) == s
    assert spec["pipelineInfo"].get("description", "") == spec["pipelineInfo"].get("displayName", "") == s
    tasks = spec["root"]["dag"]["tasks"]
    x = tasks["x"]
    constants = {k: decode(v["runtimeValue"]["constant"]) for k, v in x["inputs"]["parameters"].items()
                 if "runtimeValue" in v}
    assert constants["arg0"] == constants["arg1_0"] == s
    assert x["taskInfo"]["name"] == (s or "x")  # an empty display name is the node's name
    executor = spec["deploymentSpec"]["executors"][spec["components"][x["componentRef"]["name"]]["executorLabel"]]
    assert executor["container"]["env"] == [{"name": "E", "value": s.replace("\x00", "")}]
    program: dict = {}
    exec(compile(executor["container"]["command"][-1], "program", "exec"), program)
    assert program["_SPEC"]["args"][2]["dict"][0][0] == s  # a dict key stays in the program
    header = [line for line in text.splitlines() if not line.startswith("#")][:1]  # where the comment on top ends
    top = text[: text.index(header[0])] if header else text
    assert f"\n# Generated by fusec {__version__} from {escape.comment(name)} -- " in top
    (y,) = [t for n, t in tasks.items() if n.startswith("y")]
    assert decode(y["inputs"]["parameters"]["fuseflow_node"]["runtimeValue"]["constant"]) == "y." + loop_key(s, 0)
    assert decode(y["inputs"]["parameters"]["arg0"]["runtimeValue"]["constant"]) == s
    path = tmp_path / "exact.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = components.load_component_from_file(str(path)).pipeline_spec
    assert loaded.pipeline_info.description == s
    assert decode(loaded.root.dag.tasks["x"].inputs.parameters["arg0"].runtime_value.constant.string_value) == s
    assert decode(loaded.root.input_definitions.parameters["p"].default_value.string_value) == s
