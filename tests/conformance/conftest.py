"""Fixtures of the conformance suite: every target, ready to run (helpers: conformance_helpers.py).

A test that takes `target` runs once per target of conformance_helpers.TARGETS,
marked with the target's name (`-m "not ray"` leaves Ray out), with that
target's backend started: the session's Ray and Prefect API (tests/conftest.py),
kfp installed. This folder has no __init__.py, as tests/ray, tests/prefect and
tests/kfp have none.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest

pytest.register_assert_rewrite("conformance_helpers")

from conformance_helpers import HERE, TARGETS, Scenario  # noqa: E402

# target -> (the package its backend needs, the fixture that starts its session)
BACKENDS = {"ray": ("ray", "ray_session"), "prefect": ("prefect", "prefect_api"), "kfp": ("kfp", None)}


def target_param(name: str):
    marks = [getattr(pytest.mark, name)] if name in BACKENDS else []
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture
def ready(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """ready(target): start what the target runs on (skip when it is not installed); the target."""
    monkeypatch.syspath_prepend(str(HERE))  # conformance_steps, for runs in this process
    # ... and for processes a run starts (KFP's steps), after the .fuse file's folder.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p))

    def start(target: str) -> str:
        package, session = BACKENDS.get(target, (None, None))
        if package is not None:
            pytest.importorskip(package)
        if session is not None:
            request.getfixturevalue(session)
        return target

    return start


@pytest.fixture(params=[target_param(name) for name in TARGETS])
def target(request: pytest.FixtureRequest, ready: Callable[[str], str]) -> str:
    """Each target in turn, ready to run."""
    return ready(request.param)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Scenario]:
    """scenario(workflow, text): the module's Scenario of that workflow, made once and shared
    by the module's tests on every target (each keeps its results in a store of its own)."""
    made: dict[str, Scenario] = {}

    def get(workflow: str, text: str) -> Scenario:
        if workflow not in made:
            made[workflow] = Scenario(tmp_path_factory.mktemp(workflow), workflow, text)
        return made[workflow]

    return get
