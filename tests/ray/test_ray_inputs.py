"""Ray's run-time inputs: an address or `init` keywords Ray refuses are a one-line
usage error (exit status 2), not an internal error (exit 70)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.ray


@pytest.mark.parametrize(("options", "args", "message"), [
    ("", ["--address", "garbage"],
     "fusec: error: cannot join the Ray cluster at 'garbage': ValueError: Invalid address format: garbage\n"),
    ('options ray { workflow: { init: {"bogus": 1} } }', [],
     "fusec: error: cannot start a local Ray with init {'bogus': 1}: "
     "RuntimeError: Unknown keyword argument(s): bogus\n"),
])
def test_an_address_or_init_that_ray_refuses_is_a_usage_error(tmp_path, options, args, message):
    (tmp_path / "wf.fuse").write_text(f"workflow w\nfrom examples.ops import add\nx = add(1, 2)\n{options}\nreturn x\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_ADDRESS": ""}
    command = [sys.executable, "-m", "fuseflow.cli", "run", "wf.fuse", "--target", "ray", "--no-cache", *args]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(message)
