"""`--set` and a .fuse file's `options` blocks have one checker (fuseflow.schemas):
for every neutral option, and every Ray option (the target whose own options
`--set` takes), a value the file accepts `--set` accepts, as the same value,
and a value the file refuses `--set` refuses."""
from __future__ import annotations

import pytest

from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime.overrides import normalize, parse_set
from fuseflow.runtime.params import ParamError
from fuseflow.schemas import known_options

# Values written the same way in a .fuse file and after `--set 'x:KEY='` (JSON spelling).
VALUES = [
    "0", "2", "-1", "1.5", "0.5", "1e999", "true", "false", "none", '"90s"', '"1h30m"', '"10 minutes"', '"2Gi"',
    '"512Mi"', '"500m"', '"x"', '"A100"', '"SPREAD"', '""', "[]", "[1]", '["a"]', '["ValueError"]', '[{"a": "b"}]',
    "{}", '{"A": "1"}', '{"A": 1}', '{"A=B": "1"}', '{"": "1"}', '{"A": "x\\u0000"}', '{"_model": 1}', '{"CPU": 1}',
    '{"pip": ["x"]}',
]
# A callable: imported and named in a file, "module:qualname" on the command line.
CALLABLES = [("prep", "steps:prep"), ('"steps:prep"', None), ("1", "1")]


def cases() -> list[tuple[str, str, str, str]]:
    """(block, key, the value in the file, the value after --set)."""
    found = []
    for block in ("neutral", "ray"):
        for key, spec in sorted(known_options(block).items()):
            if block == "ray" and key in known_options("neutral"):
                continue  # `memory`: --set means the neutral one, in a file and on the command line alike
            pairs = CALLABLES if spec.kind == "callable" else [(v, v) for v in VALUES]
            found += [(block, key, written, given) for written, given in pairs if given is not None]
    return found


def in_file(block: str, key: str, written: str):
    """The node's checked value, or None when the file has an error."""
    head = "options" if block == "neutral" else f"options {block}"
    text = f'workflow t\nfrom steps import inc, prep\nx = inc(1)\n{head} {{ "x": {{ {key}: {written} }} }}\n'
    try:
        workflow, _ = compile_source(text, "t.fuse")
    except CompileError:
        return None
    return workflow.nodes[0].options[block][key]


def on_command_line(key: str, given: str):
    """The value `--set 'x:KEY=GIVEN'` gives the runtime, or None when it is refused."""
    try:
        return normalize(key, parse_set(f"x:{key}={given}").options[key], own="ray")
    except ParamError:
        return None


@pytest.mark.parametrize(("block", "key", "written", "given"), cases())
def test_set_accepts_what_a_file_accepts_and_refuses_what_it_refuses(block, key, written, given):
    expected = in_file(block, key, written)
    found = on_command_line(key, given)
    assert (found is None) == (expected is None), (expected, found)
    if expected is not None:
        assert found == expected and type(found) is type(expected) or str(found) == str(expected)


def test_every_neutral_and_ray_option_is_covered():
    keys = {(block, key) for block, key, _, _ in cases()}
    assert {key for block, key in keys if block == "neutral"} == set(known_options("neutral"))
    assert {key for block, key in keys if block == "ray"} == set(known_options("ray")) - set(known_options("neutral"))
