"""Every example gives on Ray exactly what it gives locally, through `fusec run`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(("example", "args"), [
    ("arith", []),
    ("arith", ["-p", "a=5", "-p", "b=3"]),
    ("counter", []),
    ("models", ["-p", "n=120"]),
    ("tune", []),
    ("compare", []),
])
def test_example_matches_the_local_target(fusec, tmp_path, example, args):
    fuse = str(EXAMPLES / f"{example}.fuse")
    status, out, err = fusec("run", fuse, "--target", "local", "--json", "--no-cache", *args)
    assert status == 0, err
    local = json.loads(out)
    status, out, err = fusec("run", fuse, "--target", "ray", "--json", "--storage", str(tmp_path / "store"), *args)
    assert status == 0, err
    assert json.loads(out) == local
    # and again, every result loaded from the store the Ray workers wrote
    status, out, err = fusec("run", fuse, "--target", "ray", "--json", "--storage", str(tmp_path / "store"), *args)
    assert status == 0, err
    assert json.loads(out) == local


def test_indexing_families_and_structures_match_the_local_target(fusec, tmp_path, log):
    """Results indexed, inside lists and dicts, as families and as keyword arguments reach
    the task as on one machine; also when some of them come from the store (--rerun)."""
    fuse = tmp_path / "shapes.fuse"
    fuse.write_text(f'''
from ff_ray_helpers import pair, step, gather
param p: dict = {{"k": [10, 20]}}
param log: str = "{log.path}"
x = pair(log, 1, 2)
for i in [1, 2, 3] {{
    sq = step(log, "sq", i, by=x["b"])
}}
u = gather(log, x["both"][1], [x, {{"k": x["a"]}}], p["k"][0], sq, key=sq["2"], rows={{"r": [sq["1"], 7]}})
return u, sq
''')
    status, out, err = fusec("run", str(fuse), "--target", "local", "--json", "--no-cache")
    assert status == 0, err
    local = json.loads(out)
    store = str(tmp_path / "store")
    for extra in ([], ["--rerun", "u"], []):
        status, out, err = fusec("run", str(fuse), "--target", "ray", "--json", "--storage", store, *extra)
        assert status == 0, err
        assert json.loads(out) == local, extra
    log.take()


def test_seed_and_setup_run_on_the_worker_as_locally(fusec, tmp_path):
    fuse = tmp_path / "seeded.fuse"
    fuse.write_text('''
from ff_ray_helpers import draw, marker, set_up
for t in ["a", "b"] {
    d = draw(t)
}
m = marker(1)
options {
    "d\\..*": { seed: 42 }
    "m": { setup: set_up }
}
return d, m
''')
    status, out, err = fusec("run", str(fuse), "--target", "local", "--json", "--no-cache")
    assert status == 0, err
    local = json.loads(out)
    assert local["m"] == [1, "set up"]
    status, out, err = fusec("run", str(fuse), "--target", "ray", "--json", "--no-cache")
    assert status == 0, err
    assert json.loads(out) == local


def test_without_storage_calls_take_their_arguments_directly(fusec, tmp_path):
    """No store, no runtime options: each call gets its own arguments as a Ray user
    passes them (results as ObjectRefs, params and literals as values, keywords too)."""
    from fuseflow.codegen.loader import load_generated
    from fuseflow.compiler.frontend import compile_file
    from fuseflow.targets.ray import backend as ray_backend
    from fuseflow.targets.ray.generate import generate

    fuse = EXAMPLES / "models.fuse"
    module = load_generated(generate(compile_file(fuse)[0]), fuse)
    plan = ray_backend.prepare(module.WORKFLOW, {"n": 120, "noise": 0.2}, ray_backend.RunSettings(no_cache=True))
    driver = ray_backend.Driver(plan, ray_backend.Progress(), None)
    direct = {node.name for node, plain in zip(module.WORKFLOW.nodes, driver.direct, strict=True) if plain}
    assert "data.linear" in direct and "best" not in direct  # data[0] and families go through a task template
    status, out, err = fusec("run", str(fuse), "--target", "local", "--json", "--no-cache", "-p", "n=120")
    assert status == 0, err
    status, ray_out, err = fusec("run", str(fuse), "--target", "ray", "--json", "--no-cache", "-p", "n=120")
    assert status == 0, err
    assert json.loads(ray_out) == json.loads(out)
