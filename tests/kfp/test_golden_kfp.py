"""Golden files: tests/golden/<case>/kfp.yaml is what `fusec compile input.fuse
--target kfp` writes, byte for byte. `pytest --update-golden` rewrites them from
the current output; a reviewer reads the diff.

The kfp SDK version a spec names (sdkVersion, and the kfp pip spec a step with
a runtime_package installs) is fusec's constant KFP_SDK_VERSION, not the
installed kfp's, so the files do not change when kfp is upgraded.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from fuseflow.compiler.frontend import compile_file
from fuseflow.compiler.targets import kfp_check, kfp_target
from fuseflow.compiler.targets.kfp_spec import KFP_SDK_VERSION

from kfp_helpers import ROOT, parse

pytestmark = pytest.mark.kfp

GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.parent.name for p in GOLDEN.glob("*/input.fuse"))


def generate(case: str) -> str:
    """Compiled from the repository root, so the recorded source path is relative."""
    workflow, _ = compile_file(Path("tests") / "golden" / case / "input.fuse")
    return kfp_target.generate(workflow)


@pytest.mark.parametrize("case", CASES)
def test_golden_kfp_yaml(case, in_root, update_golden):
    expected = GOLDEN / case / "kfp.yaml"
    text = generate(case)
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert expected.exists(), f"no golden file for {case}: run pytest --update-golden"
    assert text == expected.read_text(encoding="utf-8"), (
        f"{case}: the KFP YAML differs from {expected.relative_to(ROOT)}; "
        "if the change is intended, run pytest --update-golden and review the diff")


@pytest.mark.parametrize("case", CASES)
def test_golden_yaml_loads_back_with_kfp(case, in_root):
    from kfp import components

    path = GOLDEN / case / "kfp.yaml"
    if not path.exists():
        pytest.skip("no kfp.yaml yet (see test_golden_kfp_yaml)")
    component = components.load_component_from_file(str(path))
    spec, platform = parse(path.read_text(encoding="utf-8"))
    assert component.name == spec["pipelineInfo"]["name"]
    assert spec["sdkVersion"] == f"kfp-{KFP_SDK_VERSION}"
    assert kfp_check.references(spec, platform) == []


@pytest.mark.parametrize("case", CASES)
def test_compiles_the_same_twice(case, in_root):
    assert generate(case) == generate(case)


def test_there_are_cases():
    assert len(CASES) >= 10
