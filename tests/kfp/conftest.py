"""Fixtures of the KFP target's tests; the helpers are in kfp_helpers.py."""
from __future__ import annotations

import pytest

pytest.importorskip("kfp")

from kfp_helpers import _project, build_wheel  # noqa: E402


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with steps.py (steps log their calls to $FUSE_LOG); returns a
    function writing a .fuse file there."""
    return _project(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def fuseflow_wheel(tmp_path_factory):
    """A wheel of this checkout's fuseflow (for the runtime_package option), built once a session."""
    return build_wheel(tmp_path_factory.mktemp("fuseflow-wheel"))
