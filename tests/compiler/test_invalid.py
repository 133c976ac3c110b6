"""Invalid inputs: tests/invalid/<name>.fuse must make `fusec check` print
exactly tests/invalid/<name>.err on stderr (positions, source lines, carets,
hints and the summary line) and nothing on stdout.

An optional <name>.args holds extra command-line arguments, one per line
(e.g. `-D` and `n=abc`). The exit status follows from the expected text: 1
when it reports errors, 0 when only warnings. `pytest --update-golden`
rewrites the .err files from the current output.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow import cli

INVALID = Path(__file__).resolve().parent.parent / "invalid"
CASES = sorted(p.stem for p in INVALID.glob("*.fuse"))

# One file per check of issue 2; a lost file must fail, not shrink the suite.
REQUIRED = {
    "syntax_missing_paren", "syntax_unterminated_string", "syntax_bad_character",
    "syntax_unexpected_keyword", "syntax_unfinished_at_eof", "syntax_several", "undefined_name",
    "duplicate_node", "loop_name_collision", "nested_call", "method_on_non_node", "run_time_loop_mistakes",
    "param_default_type", "param_unknown_type", "define_wrong_type", "invalid_regex",
    "option_unknown_key", "option_value_type", "query_matches_nothing", "return_unknown",
    "top_level_in_loop", "two_workflows", "options_unknown_target", "object_as_argument",
    "method_on_family", "many_errors", "syntax_bad_character_after_statement",
    "syntax_stray_token", "syntax_unclosed_block",
    "keyword_as_name",
}


def extra_args(case: str) -> list[str]:
    path = INVALID / f"{case}.args"
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


def expected_status(err: str) -> int:
    summary = err.rstrip("\n").rsplit("\n", 1)[-1]
    assert summary.startswith("fusec: "), f"the last line of a .err is the summary, got {summary!r}"
    return 1 if re.search(r"\b\d+ errors?\b", summary) else 0


def check(case: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = cli.main(["check", f"tests/invalid/{case}.fuse", *extra_args(case)])
    out, err = capsys.readouterr()
    return status, out, err


def test_every_required_case_exists():
    assert REQUIRED <= set(CASES), f"missing invalid cases: {sorted(REQUIRED - set(CASES))}"


@pytest.mark.parametrize("case", CASES)
def test_error_text_is_exact(case: str, in_root: Path, update_golden: bool, capsys: pytest.CaptureFixture):
    status, out, err = check(case, capsys)
    expected_path = INVALID / f"{case}.err"
    if update_golden:
        expected_path.write_text(err, encoding="utf-8")
        return
    assert expected_path.is_file(), f"{expected_path} is missing: run pytest --update-golden and review it"
    expected = expected_path.read_text(encoding="utf-8")
    assert err == expected
    assert out == ""
    assert status == expected_status(expected)
    assert "Traceback" not in err


@pytest.mark.parametrize("case", CASES)
def test_problems_are_in_position_order(case: str):
    """Every `path:line:col:` head comes after the one before it."""
    err_path = INVALID / f"{case}.err"
    if not err_path.is_file():
        pytest.skip("no .err yet")
    heads = re.findall(rf"^tests/invalid/{case}\.fuse:(\d+):(\d+): ", err_path.read_text(), re.M)
    positions = [(int(line), int(col)) for line, col in heads]
    assert positions == sorted(positions)


def test_many_errors_reports_each_kind_once():
    err = (INVALID / "many_errors.err").read_text()
    assert err.endswith("fusec: 11 errors, 1 warning\n")
    for fragment in ("unknown param type", "declared int but its default is str", "undefined name 'ad'",
                     "duplicate node name", "a call inside an argument", "cannot appear inside a `for` loop",
                     "a run-time loop over param 'm', which is int", "unknown ray option",
                     "matches no node", "invalid regex", "appears more than once", "return of unknown name"):
        assert fragment in err, fragment


def test_no_traceback_through_the_real_command(in_root: Path):
    """All invalid files in one real `fusec check` process: exit 1, every file
    reported, never a Python traceback."""
    plain = [case for case in CASES if not extra_args(case)]
    result = subprocess.run(
        [sys.executable, "-m", "fuseflow.cli", "check", *[f"tests/invalid/{c}.fuse" for c in plain]],
        capture_output=True, text=True, cwd=in_root, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    expected = "".join((INVALID / f"{case}.err").read_text() for case in plain)
    assert result.stderr == expected
