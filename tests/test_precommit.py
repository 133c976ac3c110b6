"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit tool (`pre-commit try-repo`)
on a scratch git repository, as a project that adds them to its .pre-commit-config.yaml runs them.

pre-commit installs fuseflow from the hook repository into an environment of its own (pip, from
the package index), once per session: the repository is this checkout's working tree, committed
to a scratch clone so that its revision, and so the environment, stays the same for every test.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is in the dev extra: make test installs it")

UNFORMATTED = "workflow small\nfrom ops import add\nparam a:int=1\ns=add( a,2 )\nreturn s\n"
FORMATTED = "workflow small\n\nfrom ops import add\n\nparam a: int = 1\ns = add(a, 2)\nreturn s\n"  # fusec fmt's
PYPROJECT = """[[tool.fuseflow.artifacts]]
source = "small.fuse"
target = "local"
output = "small_local.py"
"""


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> Path:
    """This working tree's files (tracked or new, not ignored: as they are now), committed once
    in a scratch repository."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "fuseflow as it is now", cwd=repo)
    return repo


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "small.fuse").write_text(FORMATTED)
    (tmp_path / "ops.py").write_text("def add(a, b):\n    return a + b\n")
    git("init", "-q", cwd=tmp_path)
    return tmp_path


def hook(hook_id: str, project: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess:
    """`pre-commit try-repo HOOK_REPO HOOK --all-files` in the project, as its user runs it."""
    git("add", "-A", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "XDG_CACHE_HOME": str(home / "xdg")}
    env.pop("PYTHONPATH", None)  # the hook runs the fuseflow pre-commit installed, not this checkout
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(hook_repo), hook_id, "--all-files", "--color", "never"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


def test_fusec_check_passes_a_good_file_and_reports_a_bad_one_at_its_position(project, hook_repo, pre_commit_home):
    good = hook("fusec-check", project, hook_repo, pre_commit_home)
    assert good.returncode == 0, good.stdout + good.stderr
    (project / "bad.fuse").write_text("workflow bad\nx = \n")
    bad = hook("fusec-check", project, hook_repo, pre_commit_home)
    assert bad.returncode == 1
    assert "bad.fuse:2:" in bad.stdout


def test_fusec_fmt_rewrites_an_unformatted_file_and_then_passes(project, hook_repo, pre_commit_home):
    (project / "small.fuse").write_text(UNFORMATTED)
    first = hook("fusec-fmt", project, hook_repo, pre_commit_home)
    assert first.returncode == 1  # pre-commit fails a hook that changed a file
    assert "files were modified by this hook" in first.stdout
    assert (project / "small.fuse").read_text() == FORMATTED
    again = hook("fusec-fmt", project, hook_repo, pre_commit_home)
    assert again.returncode == 0, again.stdout


def test_fusec_build_check_fails_on_a_stale_artifact_with_its_diff(project, hook_repo, pre_commit_home):
    (project / "pyproject.toml").write_text(PYPROJECT)
    missing = hook("fusec-build-check", project, hook_repo, pre_commit_home)
    assert missing.returncode == 1
    assert "--- small_local.py (missing)" in missing.stdout
    subprocess.run([sys.executable, "-m", "fuseflow.cli", "build"], cwd=project, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    current = hook("fusec-build-check", project, hook_repo, pre_commit_home)
    assert current.returncode == 0, current.stdout
    (project / "small.fuse").write_text(FORMATTED.replace("add(a, 2)", "add(a, 3)"))
    stale = hook("fusec-build-check", project, hook_repo, pre_commit_home)
    assert stale.returncode == 1
    assert "--- small_local.py (as it is)" in stale.stdout and "+" in stale.stdout
