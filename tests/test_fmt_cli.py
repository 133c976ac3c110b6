"""`fusec fmt [FILE|DIR ...] [--check] [--diff]`: black's exit statuses and behaviour.

0 nothing to change or every change written; 1 with --check when a file would
change; 123 a file that cannot be formatted (its syntax errors printed as
`fusec check` prints them, the file left as it is) or an internal error; 2 a
path that does not exist. Files are rewritten only when they change, through
a temporary file renamed over them; `-` is standard input to standard output.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow.cli.commands import main
from fuseflow.fmt import FormatError, format_source

MESSY = "workflow  w\nfrom lib import f\nx = f( 1 ,2 )   # keep me\n"
TIDY = "workflow w\n\nfrom lib import f\n\nx = f(1, 2)  # keep me\n"
BROKEN = "from lib import f\nx = f(1,\n"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "messy.fuse").write_text(MESSY)
    (tmp_path / "tidy.fuse").write_text(TIDY)
    return tmp_path


def fmt(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["fmt", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_rewrites_a_file_that_changes_and_only_that_one(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = os.stat("tidy.fuse")
    status, out, err = fmt(capsys, "messy.fuse", "tidy.fuse")
    assert (status, out) == (0, "")
    assert Path("messy.fuse").read_text() == TIDY == format_source(MESSY)
    assert err == "reformatted messy.fuse\nfusec: 1 file reformatted, 1 file left unchanged\n"
    after = os.stat("tidy.fuse")
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not touched at all
    assert fmt(capsys, "messy.fuse")[0] == 0


def test_check_writes_nothing_and_exits_1_when_a_file_would_change(files: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = fmt(capsys, "--check", "messy.fuse", "tidy.fuse")
    assert (status, out) == (1, "")
    assert err == "would reformat messy.fuse\nfusec: 1 file would be reformatted, 1 file would be left unchanged\n"
    assert Path("messy.fuse").read_text() == MESSY
    assert fmt(capsys, "--check", "tidy.fuse")[:2] == (0, "")


def test_diff_prints_a_unified_diff_and_writes_nothing(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = fmt(capsys, "--diff", "messy.fuse", "tidy.fuse")
    assert status == 0  # as black: --diff alone does not fail; --check --diff does
    assert out.startswith("--- messy.fuse\t(original)\n+++ messy.fuse\t(formatted)\n@@ ")
    assert out.endswith(" from lib import f\n-x = f( 1 ,2 )   # keep me\n+\n+x = f(1, 2)  # keep me\n")
    assert "tidy.fuse" not in out
    assert Path("messy.fuse").read_text() == MESSY
    assert fmt(capsys, "--check", "--diff", "messy.fuse")[0] == 1


def test_a_file_with_syntax_errors_is_reported_as_check_does_and_left_alone(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("broken.fuse").write_text(BROKEN)
    assert main(["check", "broken.fuse"]) == 1
    checked = capsys.readouterr().err
    status, out, err = fmt(capsys, "broken.fuse", "messy.fuse")
    assert status == 123  # black's "cannot format"
    assert err.startswith(checked) and "broken.fuse:2:6: error: syntax error" in err
    assert "fusec: error: cannot format broken.fuse: it has syntax errors\n" in err
    assert err.endswith("fusec: 1 file reformatted, 1 file failed to reformat\n")
    assert Path("broken.fuse").read_text() == BROKEN
    assert Path("messy.fuse").read_text() == TIDY  # the other files are still formatted


def test_an_internal_error_exits_123_and_writes_nothing(files: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(text: str, path: str = "<stdin>") -> str:
        raise FormatError("the formatted text does not mean what the source means")

    monkeypatch.setattr("fuseflow.cli.formatting.format_source", failing)
    status, _, err = fmt(capsys, "messy.fuse")
    assert status == 123 and "cannot format messy.fuse: internal error:" in err
    assert Path("messy.fuse").read_text() == MESSY
    with pytest.raises(FormatError):
        main(["fmt", "--debug", "messy.fuse"])


def test_a_missing_path_is_a_usage_error(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = fmt(capsys, "messy.fuse", "missing.fuse")
    assert status == 2 and "no such file or folder: missing.fuse" in err
    assert Path("messy.fuse").read_text() == MESSY  # nothing is done


def test_unreadable_text_cannot_be_formatted(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("latin1.fuse").write_bytes(b"let s = \"\xe9t\xe9\"\n")
    status, _, err = fmt(capsys, "latin1.fuse")
    assert status == 123 and "cannot read latin1.fuse" in err


def test_folders_stand_for_their_fuse_files(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("sub/deeper/a.fuse", "sub/b.fuse", ".hidden/c.fuse", "sub/notes.txt"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(MESSY)
    status, _, err = fmt(capsys, "sub", "sub/b.fuse")
    assert status == 0
    assert err == ("reformatted sub/b.fuse\nreformatted sub/deeper/a.fuse\n"
                   "fusec: 2 files reformatted\n")  # each file once
    assert Path(".hidden/c.fuse").read_text() == Path("sub/notes.txt").read_text() == MESSY
    status, _, err = fmt(capsys, "--check")  # no path: the working directory
    assert status == 1 and err.endswith("fusec: 1 file would be reformatted, 3 files would be left unchanged\n")


def test_rewriting_is_atomic_keeps_permissions_symlinks_and_crlf(files: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod("messy.fuse", 0o640)
    inode = os.stat("messy.fuse").st_ino
    Path("link.fuse").symlink_to("messy.fuse")
    Path("windows.fuse").write_bytes(b"\xef\xbb\xbflet  a = 1\r\nlet b=2\r\n")
    assert fmt(capsys, "link.fuse", "windows.fuse")[0] == 0
    assert Path("link.fuse").is_symlink() and Path("messy.fuse").read_text() == TIDY
    assert os.stat("messy.fuse").st_ino != inode  # a new file renamed over the old one
    assert os.stat("messy.fuse").st_mode & 0o777 == 0o640
    assert Path("windows.fuse").read_bytes() == b"let a = 1\r\nlet b = 2\r\n"  # the BOM goes, CRLF stays
    assert sorted(os.listdir(".")) == ["link.fuse", "messy.fuse", "tidy.fuse", "windows.fuse"]  # no temporary left


def test_fmt_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "fmt" in capsys.readouterr().out


def _fusec(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    script = "import sys; from fuseflow.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", script, "fmt", *args], input=stdin, capture_output=True,
                          timeout=60)


def test_dash_reads_stdin_and_writes_stdout() -> None:
    done = _fusec("-", stdin=MESSY.encode())
    assert (done.returncode, done.stdout) == (0, TIDY.encode())
    assert done.stderr.decode() == "fusec: 1 file reformatted\n"
    done = _fusec("-", stdin=b"x = f(1)\r\n")
    assert (done.returncode, done.stdout) == (0, b"x = f(1)\r\n")  # unchanged: written back as it came
    done = _fusec("--check", "-", stdin=MESSY.encode())
    assert (done.returncode, done.stdout) == (1, b"")
    done = _fusec("-", stdin=BROKEN.encode())
    assert (done.returncode, done.stdout) == (123, b"")
    assert done.stderr.decode().startswith("<stdin>:2:6: error: syntax error")
