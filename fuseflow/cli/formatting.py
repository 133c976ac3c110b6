"""`fusec fmt [FILE|DIR ...] [--check] [--diff]`: the canonical layout, written back (fuseflow.fmt).

As black does it: a folder stands for every .fuse file under it (hidden
folders skipped), `-` reads standard input and writes standard output; a file
is rewritten only when its layout changes, through a temporary file renamed
over it, so a reader never sees half of one. `--check` and `--diff` write
nothing. Exit status, black's: 0 nothing to change (or every change written),
1 some file would change (with `--check`), 123 a file could not be formatted
(its syntax errors are printed as `fusec check` prints them, and it is left
as it is) or the formatter failed; 2 a path that does not exist.
"""
from __future__ import annotations

import difflib
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..compiler import errors
from ..compiler.errors import CompileError, UsageError
from ..compiler.source import display_path
from ..fmt import format_source

EXIT_OK, EXIT_WOULD_CHANGE, EXIT_CANNOT_FORMAT = 0, 1, 123
STDIN = "-"


@dataclass
class Report:
    """What happened to each file, as black counts it."""

    changed: int = 0
    unchanged: int = 0
    failed: int = 0

    def status(self, check: bool) -> int:
        if self.failed:
            return EXIT_CANNOT_FORMAT
        return EXIT_WOULD_CHANGE if check and self.changed else EXIT_OK

    def summary(self, dry: bool) -> str:
        would = "would be " if dry else ""
        parts = [_count(self.changed, f"{would}reformatted"), _count(self.unchanged, f"{would}left unchanged")]
        if self.failed:
            parts.append(_count(self.failed, "would fail to reformat" if dry else "failed to reformat"))
        return "fusec: " + ", ".join(part for part in parts if part)


def _count(n: int, what: str) -> str:
    return f"{n} file{'' if n == 1 else 's'} {what}" if n else ""


def run(paths: list[str], check: bool = False, diff: bool = False, debug: bool = False) -> int:
    report = Report()
    for path in sources(paths):
        format_one(path, report, check=check, diff=diff, debug=debug)
    found = report.changed or report.unchanged or report.failed
    print(report.summary(check or diff) if found else "fusec: no .fuse file found", file=sys.stderr)
    return report.status(check)


def sources(paths: list[str]) -> list[str]:
    """The files to format: each path given, a folder as its .fuse files (sorted, hidden
    folders skipped); UsageError, before anything is formatted, for a path that does not exist."""
    missing = [path for path in paths if path != STDIN and not os.path.lexists(path)]
    if missing:
        raise UsageError(f"fmt: no such file or folder: {', '.join(missing)}")
    found: list[str] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            found += _fuse_files(path)
        else:
            found.append(path)
    return list(dict.fromkeys(found))  # a file named twice (itself and its folder) is formatted once


def _fuse_files(folder: str) -> list[str]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found += [os.path.normpath(os.path.join(root, name)) for name in sorted(files) if name.endswith(".fuse")]
    return found


def format_one(path: str, report: Report, check: bool, diff: bool, debug: bool) -> None:
    """Format one file (or standard input) and count it in `report`."""
    shown = "<stdin>" if path == STDIN else display_path(path)
    try:
        text = _read(path)
        formatted = format_source(text, shown)
    except CompileError as exc:  # the file's own syntax errors, as `fusec check` prints them
        sys.stderr.write(exc.args[0])
        sys.stderr.write(errors.summary(exc.diagnostics) + "\n")
        print(f"fusec: error: cannot format {path}: it has syntax errors", file=sys.stderr)
        report.failed += 1
        return
    except (OSError, UnicodeDecodeError) as exc:
        print(f"fusec: error: cannot read {path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        report.failed += 1
        return
    except Exception as exc:  # the formatter's own bug (fuseflow.fmt.FormatError, or worse)
        if debug:
            raise
        print(f"fusec: error: cannot format {path}: internal error: {exc}; run again with --debug for a traceback",
              file=sys.stderr)
        report.failed += 1
        return
    _done(path, text, formatted, report, check=check, diff=diff)


def _done(path: str, text: str, formatted: str, report: Report, check: bool, diff: bool) -> None:
    if formatted == text:
        report.unchanged += 1
        if path == STDIN and not (check or diff):
            _stdout(formatted)
        return
    report.changed += 1
    if diff:
        _stdout(unified_diff(text, formatted, path))
    if check or diff:
        print(f"would reformat {path}", file=sys.stderr)
    elif path == STDIN:
        _stdout(formatted)
    else:
        try:
            write_atomically(path, formatted)
        except OSError as exc:
            print(f"fusec: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            report.changed -= 1
            report.failed += 1
            return
        print(f"reformatted {path}", file=sys.stderr)


def _read(path: str) -> str:
    """The text as it is, a byte-order mark included (the formatter drops it, so it shows as a change)."""
    data = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
    return data.decode("utf-8")


def _stdout(text: str) -> None:
    """Bytes as they are: a CRLF file's line endings are not translated again."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def write_atomically(path: str, text: str) -> None:
    """Write `text` to a temporary file beside the real one (through a symlink), then
    rename it over the file: its permissions kept, no reader ever sees half of it."""
    target = os.path.realpath(path)
    mode = stat.S_IMODE(os.stat(target).st_mode)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.",
                                         suffix=".fmt")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff from the file to its formatted text; names tab-separated, as patch reads them."""
    lines = difflib.unified_diff(_lines(before), _lines(after), fromfile=f"{path}\t(original)",
                                 tofile=f"{path}\t(formatted)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    """Lines ended by '\\n' only: a form feed or a U+2028 in a string does not end one."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
