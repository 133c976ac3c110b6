"""docs/from-functionfuse.md is true: its example compiles, runs as shown, and its notebook session works.

Every ```fuse block of the guide is also held to tests/test_docs.py's rule, by
that file's own mechanism (it reads every document under docs/); here the same
functions check that the guide keeps a complete example, and the example is
then run for real: steps.py and regression.fuse as the guide shows them,
`fusec check --imports`, `fusec run` (its output as shown), and the notebook
session (a doctest: functionfuse's storage calls against the stored results).
"""
from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pytest
from test_docs import Block, blocks_of, problems

ROOT = Path(__file__).resolve().parent.parent
GUIDE = "docs/from-functionfuse.md"
FUSEC = str(Path(sys.executable).with_name("fusec"))


def guide_blocks() -> list[Block]:
    return blocks_of(GUIDE, (ROOT / GUIDE).read_text(encoding="utf-8"))


def block_starting(kind: str, first_line: str) -> Block:
    """The one block of the guide of that kind whose text starts with that line."""
    found = [b for b in guide_blocks() if b.kind == kind and b.text.startswith(first_line + "\n")]
    assert len(found) == 1, f"{GUIDE} should have one ```{kind} block starting with {first_line!r}"
    return found[0]


def fusec(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FUSEC, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The guide's steps.py and regression.fuse, written to a folder of their own."""
    (tmp_path / "steps.py").write_text(block_starting("python", "# steps.py").text)
    (tmp_path / "regression.fuse").write_text(block_starting("fuse", "# regression.fuse").text)
    return tmp_path


def test_the_guide_s_fuse_blocks_are_complete_files_that_compile() -> None:
    fuse = [b for b in guide_blocks() if b.kind.lower().startswith("fuse") and b.kind != "fuse-error"]
    assert fuse and all(b.info == "fuse" for b in fuse), "the guide shows whole .fuse files, not fragments"
    for block in fuse:
        assert problems(block) == "", f"{block} is wrong:\n{problems(block)}"


def test_the_example_checks_with_its_module_and_runs_as_the_guide_shows(example: Path) -> None:
    checked = fusec("check", "--imports", "regression.fuse", cwd=example)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    shown = block_starting("text", "$ fusec run regression.fuse").text.split("\n", 1)[1]
    ran = fusec("run", "--no-progress", "regression.fuse", cwd=example)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == shown
    stored = fusec("storage", "ls", "--storage", "storage", "regression", cwd=example).stdout
    nodes = [line.split()[0] for line in stored.splitlines()[1:]]
    looped = [f"{name}.{ridge}" for name in ("entry", "err", "model") for ridge in ("plain", "ridge", "strong")]
    assert nodes == ["best", "data", *looped, "parts"]  # as the guide says: method results too, not the object


def test_the_notebook_session_runs_as_the_guide_shows(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert fusec("run", "--no-progress", "regression.fuse", cwd=example).returncode == 0
    session = block_starting("python", ">>> from fuseflow.runtime.storage import open_store")
    test = doctest.DocTestParser().get_doctest(session.text, {}, "the notebook session", GUIDE, session.line)
    monkeypatch.chdir(example)
    runner = doctest.DocTestRunner(optionflags=doctest.DONT_ACCEPT_TRUE_FOR_1)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0 and runner.tries >= 8, "".join(report)
