"""A real S3-compatible server on 127.0.0.1 for the session (moto), and small projects to run.

Tests reach it exactly as users do: s3fs/boto3 with the standard AWS
environment variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), or with
options in the storage URL. Nothing is patched.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUSEC = str(Path(sys.executable).with_name("fusec"))
_buckets = itertools.count()


@dataclass
class S3:
    endpoint: str
    env: dict[str, str] = field(default_factory=dict)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def bucket(self) -> str:
        """A new, empty bucket."""
        name = f"fuseflow-test-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str) -> list[str]:
        reply = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in reply.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> S3:
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    try:
        yield S3(endpoint, env)
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: S3, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The server, with this process's environment pointing at it (as a user's shell would)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server


class Project:
    """A folder with a .fuse file and a steps module that logs each call, run with fusec."""

    STEPS = '''
import os, time

def _log(text):
    with open(os.environ["STEPS_LOG"], "a") as f:
        f.write(text + "\\n")

def inc(a, by=1, pause=0.0):
    _log(f"inc {a}")
    time.sleep(pause)
    return a + by

def add(a, b):
    _log(f"add {a} {b}")
    return a + b

def array(n, fill):
    import numpy as np
    _log(f"array {n}")
    return np.full(n, fill, dtype=np.float64)

def total(x):
    _log("total")
    return float(x.sum())
'''

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.log = root / "calls.log"
        (root / "steps.py").write_text(self.STEPS)

    def fuse(self, text: str, name: str = "wf.fuse") -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def fusec(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.env, "STEPS_LOG": str(self.log),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        return subprocess.run([FUSEC, *args], cwd=cwd or self.root, env=env, capture_output=True, text=True,
                              timeout=300)

    def run(self, *args: str, fuse: str = "wf.fuse") -> dict:
        done = self.fusec("run", fuse, "--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def calls(self) -> list[str]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        self.log.unlink()
        return lines


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path, {})
