"""`fusec fmt` never changes what a file means, and a second pass changes nothing.

Over every .fuse file of the repository and every ```fuse block of the docs,
and over fuzzed files (hypothesis, fixed seed): the valid files of
tests/test_fuzz.py (hostile values in every position), its token soup, and
the repository's valid files with their tokens joined again by random
layout: spaces, tabs, line breaks, blank lines, and comments after any token.
For each: the IR before and after is the same but for positions (the
warnings too, or the same errors for a file that has some), formatting the
result again gives it back, and every comment is still there. A file the
parser refuses is refused with exactly the errors `fusec check` prints.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_docs import DOCUMENTS, blocks_of
from test_fmt import comments_in, meaning
from test_fuzz import SEED, SOUP, workflows

from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.compiler.parser import parse, parse_concrete
from fuseflow.fmt import format_source
from fuseflow.fmt.tree import Tree, TreeBuilder

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(path for path in ROOT.rglob("*.fuse")  # .venv, .git and node_modules hold none of ours
               if not any(part.startswith(".") or part == "node_modules" for part in path.relative_to(ROOT).parts))
BLOCKS = [block for document in DOCUMENTS for block in blocks_of(str(document.relative_to(ROOT)), document.read_text())
          if block.kind.startswith("fuse")]
CORPUS = {str(path.relative_to(ROOT)): path.read_bytes().decode("utf-8-sig") for path in FILES}
CORPUS.update({str(block): block.text for block in BLOCKS})
FUZZ = settings(max_examples=150, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_formats_faithfully(text: str, path: str = "t.fuse") -> str | None:
    """Format `text`; None when the parser refuses it (with the errors check gives)."""
    try:
        formatted = format_source(text, path)
    except CompileError as refused:
        with pytest.raises(CompileError) as compiling:
            compile_source(text, path)
        assert refused.args[0] == compiling.value.args[0]
        return None
    assert format_source(formatted, path) == formatted, "a second pass changed the file"
    assert meaning(formatted, path) == meaning(text, path), formatted
    assert comments_in(formatted) == comments_in(text), formatted
    return formatted


def test_the_corpus_is_the_whole_repository() -> None:
    assert len(FILES) >= 70 and any(name.startswith("examples/") for name in CORPUS)
    assert any(name.startswith("tests/invalid/") for name in CORPUS) and len(BLOCKS) >= 20


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_fuse_file_of_the_repository(name: str) -> None:
    assert_formats_faithfully(CORPUS[name])


# --- fuzzed inputs ---------------------------------------------------------------------


@FUZZ
@given(case=workflows())
def test_fuzzed_valid_files(case) -> None:
    file_name, text, _expected, _strings = case
    assert assert_formats_faithfully(text, file_name) is not None


@FUZZ
@given(text=st.one_of(SOUP, st.tuples(st.integers(0, len(SEED)), SOUP).map(lambda p: SEED[:p[0]] + p[1] + SEED[p[0]:])))
def test_fuzzed_token_soup(text: str) -> None:
    try:
        formatted = format_source(text, "soup.fuse")
    except CompileError:
        return  # refused as check refuses it (test_every_fuse_file_of_the_repository checks the text)
    assert format_source(formatted, "soup.fuse") == formatted
    before = meaning(text, "soup.fuse")
    if before[0] == "ir":  # a file with errors may name them by line: two statements on one line differ there
        assert meaning(formatted, "soup.fuse") == before
    assert comments_in(formatted) == comments_in(text)


def _tokens(text: str) -> list[str]:
    leaves: list[str] = []
    stack = [parse_concrete(text, TreeBuilder(), [])]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            stack.extend(reversed([child for child in node.children if child is not None]))
        else:
            leaves.append(node[1])
    return leaves


def _parses(text: str) -> bool:
    try:
        parse(text)
    except CompileError:
        return False
    return True


VALID = {name: _tokens(text) for name, text in sorted(CORPUS.items()) if _parses(text)}
LAYOUT = st.sampled_from([" ", " ", " ", "\t", "\n", "\n\n\n", "\n    ", "  # c{}\n", "\n# own line {}\n",
                          "\n\n  # after a blank line {}\n\n", "#{}\n", " # first {0}\n# second {0}\n"])


@st.composite
def relaid(draw) -> str:
    """A valid file of the repository, its tokens joined by random layout and comments."""
    tokens = VALID[draw(st.sampled_from(sorted(VALID)))]
    gaps = draw(st.lists(LAYOUT, min_size=len(tokens), max_size=len(tokens)))
    return draw(LAYOUT).format(0).lstrip() + "".join(token + gap.format(i) for i, (token, gap)
                                                      in enumerate(zip(tokens, gaps, strict=True)))


@settings(FUZZ, max_examples=300)
@given(text=relaid())
def test_fuzzed_layout_and_comments_anywhere(text: str) -> None:
    before = meaning(text)
    formatted = format_source(text)
    assert format_source(formatted) == formatted, "a second pass changed the file"
    assert comments_in(formatted) == comments_in(text)
    if before[0] == "ir":  # tests/invalid's files: their errors may name lines, which the layout moves
        assert meaning(formatted) == before
