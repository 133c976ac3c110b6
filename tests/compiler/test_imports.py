"""`fusec check --imports` (fuseflow.compiler.imports): the file's modules imported,
names, callables and each call's arguments checked, problems at the statement's span.

Each test writes its modules and its .fuse file into tmp_path; the check forgets
the modules it found there, so tests may reuse module names.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from fuseflow.compiler import errors
from fuseflow.compiler.frontend import compile_module
from fuseflow.compiler.imports import check_imports
from fuseflow.compiler.parser import parse

OPS = """
RATE = 0.1

def add(a, b):
    return a + b

def train(data, rate=0.1, *, epochs=1):
    return data

def anything(*args, **kwargs):
    return args

class Counter:
    limit = 3

    def __init__(self, start=0):
        self.total = start

    def add(self, n):
        self.total += n
        return self.total

    @staticmethod
    def double(x):
        return 2 * x

    @classmethod
    def named(cls, name):
        return name

    @property
    def value(self):
        return self.total

def make_counter():
    return Counter()
"""


@pytest.fixture(autouse=True)
def no_module_of_another_test(monkeypatch):
    """Out of sys.modules while a test runs: a module another test imported under a
    name written here (the examples' ops, imported by in-process runs of other targets)."""
    for name in [name for name in sys.modules if name.partition(".")[0] in {"ops", "broken", "lazy", "pkg"}]:
        monkeypatch.delitem(sys.modules, name)


def check(tmp_path: Path, fuse: str, **modules: str) -> str:
    """The rendered diagnostics of `fuse` beside `modules` (name -> source; a/b for a package)."""
    for name, text in {"ops": OPS, **modules}.items():
        path = tmp_path / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    source = textwrap.dedent(fuse).lstrip()
    module = parse(source, "wf.fuse")
    workflow, warnings = compile_module(module, source)
    found = check_imports(module, workflow, source, tmp_path)
    return errors.render("wf.fuse", source, sorted(warnings + found, key=lambda d: d.sort_key))


def test_a_file_that_matches_its_modules_has_nothing_to_report(tmp_path: Path):
    assert check(tmp_path, """
        from ops import add, train, Counter
        import ops as o

        a = add(1, b=2)
        for i in [1, 2] {
            t = train(a, rate=0.5, epochs=i)
        }
        c = Counter(start=a)
        c.add(1)
        d = c.double(2)
        e = c.named(name="x")
        f = o.Counter.double(3)
    """) == ""


def test_a_module_that_is_not_there(tmp_path: Path):
    text = check(tmp_path, """
        from nosuch.mod import f
        import also_missing as m
        x = f(1)
        y = m.g(x)
    """)
    assert text == (
        "wf.fuse:1:6: error: cannot import 'nosuch.mod': No module named 'nosuch'\n"
        "  1 | from nosuch.mod import f\n"
        "    |      ^^^^^^^^^^ modules are looked for beside the .fuse file, in the working directory"
        " and among the installed packages\n"
        "wf.fuse:2:8: error: cannot import 'also_missing': No module named 'also_missing'\n"
        "  2 | import also_missing as m\n"
        "    |        ^^^^^^^^^^^^ modules are looked for beside the .fuse file, in the working directory"
        " and among the installed packages\n"
    )  # and nothing about the calls of what could not be imported


def test_a_module_that_raises_is_named_with_the_exception_and_where(tmp_path: Path):
    text = check(tmp_path, """
        from broken import g
        x = g(1)
    """, broken="x = 1\nraise ValueError('bad config')\n")
    assert text.startswith("wf.fuse:1:6: error: importing 'broken' raised ValueError: bad config\n")
    assert text.splitlines()[2].endswith("^^^^^^ at " + _shown(tmp_path / "broken.py") + ":2")
    assert "Traceback" not in text


@pytest.mark.parametrize("source, message", [
    ("import sys\nsys.exit(3)\n", "importing 'mod' raised SystemExit: 3"),
    ("def f(:\n", "importing 'mod' raised SyntaxError: invalid syntax"),
    ("import dependency_not_installed\n", "cannot import 'mod': No module named 'dependency_not_installed'"),
    ("from ops import nothing_like_it\n", "cannot import 'mod': cannot import name 'nothing_like_it' from 'ops'"),
])
def test_every_way_an_import_fails_is_one_error(tmp_path: Path, source: str, message: str):
    text = check(tmp_path, "from mod import f\nx = f(1)\n", mod=source)
    assert text.count("error:") == 1 and message in text
    assert f"at {_shown(tmp_path / 'mod.py')}:" in text  # where the module failed, not where fusec looked


def test_a_name_the_module_lacks_with_a_suggestion(tmp_path: Path):
    text = check(tmp_path, """
        from ops import ad, Counter as C, zzz
        x = ad(1, 2)
    """)
    assert text == (
        "wf.fuse:1:17: error: module 'ops' has no name 'ad'\n"
        "  1 | from ops import ad, Counter as C, zzz\n"
        "    |                 ^^ did you mean 'add'?\n"
        "wf.fuse:1:35: error: module 'ops' has no name 'zzz'\n"
        "  1 | from ops import ad, Counter as C, zzz\n"
        "    |                                   ^^^\n"
    )


def test_names_through_a_module_alias(tmp_path: Path):
    text = check(tmp_path, """
        import ops as o
        x = o.ad(1, 2)
        y = o.Counter.tripple(3)
        z = o.add(1)
    """)
    assert "wf.fuse:2:5: error: module 'ops' has no name 'ad'\n" in text
    assert "    |     ^^^^ did you mean 'add'?\n" in text
    assert "wf.fuse:3:5: error: 'o.Counter' has no attribute 'tripple'\n" in text
    assert "wf.fuse:4:5: error: wrong arguments for o.add(): missing a required argument: 'b'\n" in text


def test_a_submodule_imported_with_from(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    text = check(tmp_path, """
        from pkg import sub, nope
        x = sub.f(1)
        y = sub.g(1)
    """, **{"pkg/sub": "def f(a):\n    return a\n"})
    assert "module 'pkg' has no name 'nope'" in text
    assert "wf.fuse:3:5: error: 'sub' has no attribute 'g'" in text
    assert text.count("error:") == 2


def test_calling_what_is_not_callable(tmp_path: Path):
    text = check(tmp_path, """
        from ops import RATE
        x = RATE(1)
    """)
    assert text == (
        "wf.fuse:2:5: error: 'RATE' is not callable: it is a float, 0.1\n"
        "  2 | x = RATE(1)\n"
        "    |     ^^^^ only functions, classes and other callables can make nodes\n"
    )


@pytest.mark.parametrize("call, message, hint", [
    ("add(1, 2, 3)", "wrong arguments for add(): too many positional arguments", "it takes add(a, b)"),
    ("add(1)", "wrong arguments for add(): missing a required argument: 'b'", "it takes add(a, b)"),
    ("add(1, a=2)", "wrong arguments for add(): multiple values for argument 'a'", "it takes add(a, b)"),
    ("train(1, rat=2)", "wrong arguments for train(): got an unexpected keyword argument 'rat'",
     "did you mean 'rate'? it takes train(data, rate=0.1, *, epochs=1)"),
    ("train(1, 2, 3)", "wrong arguments for train(): too many positional arguments",
     "it takes train(data, rate=0.1, *, epochs=1)"),
])
def test_arguments_that_do_not_bind(tmp_path: Path, call: str, message: str, hint: str):
    text = check(tmp_path, f"from ops import add, train\nx = {call}\n")
    assert text == (
        f"wf.fuse:2:5: error: {message}\n"
        f"  2 | x = {call}\n"
        f"    |     {'^' * len(call)} {hint}\n"
    )


def test_any_arguments_bind_to_args_and_kwargs(tmp_path: Path):
    assert check(tmp_path, "from ops import anything\nx = anything(1, 2, a=3, b=4)\n") == ""


def test_a_wrong_call_in_a_big_loop_is_one_error(tmp_path: Path):
    text = check(tmp_path, """
        from ops import train
        let items = [ITEMS]
        for i in items {
            for j in [1, 2] {
                t = train(i, lr=j)
            }
        }
    """.replace("ITEMS", ", ".join(str(i) for i in range(1000))))
    assert text.count("error:") == 1
    assert "wf.fuse:5:13: error: wrong arguments for train(): got an unexpected keyword argument 'lr'" in text


def test_methods_of_an_object_node(tmp_path: Path):
    text = check(tmp_path, """
        from ops import Counter
        c = Counter(begin=1)
        c.add(1, 2)
        c.ad(1)
        c.limit()
        c.double()
        v = c.value()
    """)
    assert "wf.fuse:2:5: error: wrong arguments for Counter(): got an unexpected keyword argument 'begin'" in text
    assert "it takes Counter(start=0)" in text
    assert "wf.fuse:3:1: error: wrong arguments for Counter.add(): too many positional arguments" in text
    assert "it takes Counter.add(n)" in text  # the instance is not among the arguments
    assert "wf.fuse:4:1: error: 'Counter' has no method 'ad'\n  4 | c.ad(1)\n    | ^^^^ did you mean 'add'?\n" in text
    assert "wf.fuse:5:1: error: 'Counter.limit' is not callable: it is an int, 3" in text
    assert "wf.fuse:6:1: error: wrong arguments for Counter.double(): missing a required argument: 'x'" in text
    assert text.count("error:") == 5  # a property's value cannot be known without an object: not checked


def test_methods_in_a_loop_are_checked_once(tmp_path: Path):
    text = check(tmp_path, """
        from ops import Counter
        for name in ["a", "b", "c"] {
            c = Counter()
            c.ad(1)
            s = c.add(1, 2)
        }
    """)
    assert text.count("error:") == 2


def test_what_cannot_be_known_is_not_reported(tmp_path: Path):
    text = check(tmp_path, """
        from ops import make_counter
        from lazy import Lazy
        from builtins import max
        c = make_counter()
        c.anything(1, 2, 3)
        l = Lazy()
        l.whatever(1)
        m = max(1, 2, 3, key=4)
    """, lazy="class Lazy:\n    def __getattr__(self, name):\n        return print\n")
    assert text == ""  # a factory's result, attributes made by __getattr__, builtins without a signature


def test_import_errors_and_compile_warnings_sorted_together(tmp_path: Path):
    text = check(tmp_path, """
        from ops import add, ad
        x = add(1, 2, 3)
        options { "nothing": { retries: 1 } }
    """)
    lines = [line for line in text.splitlines() if line.startswith("wf.fuse")]
    assert [line.split(": ")[1] for line in lines] == ["error", "error", "warning"]
    assert [line.split(":")[1] for line in lines] == ["1", "2", "3"]


def test_the_working_directory_is_searched_after_the_file_folder(tmp_path: Path, monkeypatch):
    beside, elsewhere = tmp_path / "wf", tmp_path / "cwd"
    beside.mkdir()
    elsewhere.mkdir()
    (elsewhere / "helpers.py").write_text("def f(a):\n    return a\n")
    (elsewhere / "ops.py").write_text("def add(a):\n    return a\n")  # the one beside the file wins
    monkeypatch.chdir(elsewhere)
    text = check(beside, "from helpers import f\nfrom ops import add\nx = f(1)\ny = add(1, 2)\n")
    assert text == ""


def test_modules_found_for_one_file_are_forgotten_for_the_next(tmp_path: Path):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    assert check(first, "from ops import add\nx = add(1, 2)\n") == ""
    assert "has no name 'add'" in check(second, "from ops import add\nx = add(1, 2)\n", ops="def other():\n    pass\n")
    assert "ops" not in sys.modules and str(first) not in sys.path


def _shown(path: Path) -> str:
    """A path as the hint shows it: relative to the working directory when under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
