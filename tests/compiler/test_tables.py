"""The analysed grammar kept in the user's cache folder (fuseflow.compiler.tables)."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest
from lark import Lark

from fuseflow.compiler import tables
from fuseflow.compiler.lalr import LalrParser

GRAMMAR = resources.files("fuseflow.grammar").joinpath("fuse.lark").read_text()
OPTIONS = dict(parser="lalr", lexer="contextual", keep_all_tokens=True, maybe_placeholders=True)
SOURCE = "workflow w\nfrom ops import add\nparam n: int = 2\nfor i in [1, 2] {\n  x = add(i, n)\n}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "fuseflow"


def tokens(parser: Lark) -> list[tuple[str, str]]:
    return [(t.type, str(t)) for t in parser.lex(SOURCE)]


class LoadOnly:
    """Stands for lark.Lark where the grammar must come from the cache: analysing it fails."""

    load = staticmethod(Lark.load)

    def __init__(self, *args, **kwargs):
        raise AssertionError("the grammar was analysed again")


def test_the_first_run_saves_the_grammar_and_the_next_loads_it(cache: Path, monkeypatch):
    built = tables.load_or_build(GRAMMAR, **OPTIONS)
    [saved] = cache.iterdir()
    assert saved.name.startswith("grammar-") and (cache.stat().st_mode & 0o777) == 0o700
    monkeypatch.setattr(tables, "Lark", LoadOnly)
    assert tokens(tables.load_or_build(GRAMMAR, **OPTIONS)) == tokens(built)


def test_another_grammar_or_lark_version_is_another_file(cache: Path, monkeypatch):
    tables.load_or_build(GRAMMAR, **OPTIONS)
    tables.load_or_build(GRAMMAR + "\n// a comment\n", **OPTIONS)
    monkeypatch.setattr(tables.lark, "__version__", "0.0.1")
    tables.load_or_build(GRAMMAR, **OPTIONS)
    assert len(list(cache.iterdir())) == 3


def test_a_damaged_file_is_analysed_again_and_replaced(cache: Path, monkeypatch):
    tables.load_or_build(GRAMMAR, **OPTIONS)
    [saved] = cache.iterdir()
    whole = saved.read_bytes()
    saved.write_bytes(whole[: len(whole) // 2])  # as if the disk filled up under an older fuseflow
    assert tokens(tables.load_or_build(GRAMMAR, **OPTIONS))
    assert [p.name for p in cache.iterdir()] == [saved.name]  # replaced, no temp file left
    monkeypatch.setattr(tables, "Lark", LoadOnly)
    assert tokens(tables.load_or_build(GRAMMAR, **OPTIONS))  # whole again


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_to_is_not_used(cache: Path, monkeypatch):
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    planted = cache / f"grammar-{tables.cache_key(GRAMMAR, OPTIONS)}.lark"
    planted.write_bytes(b"not a pickle anyone should load")
    monkeypatch.setattr(Lark, "load", classmethod(lambda cls, f: pytest.fail("read a file others could write")))
    assert tokens(tables.load_or_build(GRAMMAR, **OPTIONS))
    assert planted.read_bytes() == b"not a pickle anyone should load"


def test_no_cache_folder_is_only_slower(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file, not a folder: nothing can be made in it
    assert tokens(tables.load_or_build(GRAMMAR, **OPTIONS))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert tables.cache_folder() is None


def test_a_loaded_grammar_parses_as_the_analysed_one(cache: Path):
    built = tables.load_or_build(GRAMMAR, **OPTIONS)
    loaded = tables.load_or_build(GRAMMAR, **OPTIONS)
    assert tokens(loaded) == tokens(built)
    assert [r.origin.name for r in loaded.rules] == [r.origin.name for r in built.rules]
    assert sorted(t.name for t in loaded.terminals) == sorted(t.name for t in built.terminals)
    LalrParser(loaded)  # the lean driver takes a loaded one too
