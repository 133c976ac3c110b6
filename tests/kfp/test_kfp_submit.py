"""`fusec submit`: compiles, then sends the pipeline with kfp.Client; tested up to a
clear error, since no KFP endpoint runs here (only loopback addresses in tests)."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from kfp_helpers import EXAMPLES

pytestmark = pytest.mark.kfp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def submit(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fuseflow.cli", "submit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_nothing_listening_is_a_clear_error(tmp_path):
    host = f"http://127.0.0.1:{free_port()}"
    done = submit(str(EXAMPLES / "arith.fuse"), "--host", host, "-p", "a=2", "--experiment", "tests", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"fusec: error: could not start a run at {host}: [Errno 111] Connection refused" in done.stderr
    assert "Traceback" not in done.stderr


def test_params_are_checked_before_anything_is_sent(tmp_path):
    done = submit(str(EXAMPLES / "arith.fuse"), "--host", "http://127.0.0.1:9", "-p", "a=x", cwd=tmp_path)
    assert done.returncode == 2
    assert "param 'a'" in done.stderr and "Connection refused" not in done.stderr


def test_errors_in_the_file_are_reported_as_for_compile(tmp_path):
    bad = tmp_path / "bad.fuse"
    bad.write_text("from steps import f\nx = g(1)\n")
    done = submit(str(bad), "--host", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.fuse:2:5: error:" in done.stderr


def test_submitted_values_are_encoded_as_the_steps_read_them():
    import argparse

    from kfp_helpers import compile_text

    from fuseflow.targets.kfp.spec import build
    from fuseflow.targets.kfp.submit import submit_arguments
    from fuseflow.targets.kfp.values import decode

    workflow = compile_text("""
        from steps import show
        param s: str
        param l: list = []
        x = show(s, l)
        """)
    _, _, names = build(workflow)
    args = argparse.Namespace(param=['s={{$.pipeline_job_name}}', 'l=["/kfp-workspace", 1]'],
                              storage="/mnt/{{x}}", rerun="x{{2}}")
    arguments = submit_arguments(workflow, names, args)
    assert "{{" not in repr(arguments) and "/kfp-workspace" not in repr(arguments)
    assert decode(arguments) == {"s": "{{$.pipeline_job_name}}", "l": ["/kfp-workspace", 1],
                                 "fuseflow_storage": "/mnt/{{x}}", "fuseflow_rerun": "x{{2}}"}
