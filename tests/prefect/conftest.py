"""The Prefect target's tests: one Prefect API for the whole session, flows run in-process.

shared/design/testing.md: one `prefect_test_harness(server_startup_timeout=120)`
per session (about 20 s; `prefect_api` in tests/conftest.py, which also gives the
session a fresh PREFECT_HOME), generated flows imported as modules and called
(1-2 s each), never run as subprocesses. Helpers are in prefect_helpers.py (this
folder is not a package: it would be named prefect).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("prefect")

from prefect_helpers import Project  # noqa: E402


@pytest.fixture
def project(prefect_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """A fresh folder on sys.path, the working directory, with its own steps.py (forgotten
    afterwards); flow files compiled there keep their results beside them."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("steps", None)
    before = set(sys.modules)
    yield Project(tmp_path, "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name))
    for name in set(sys.modules) - before:
        if name == "steps" or str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]
