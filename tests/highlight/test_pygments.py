"""The `fuse` Pygments lexer (fuseflow/highlight/pygments_lexer.py): found by name once fuseflow
is installed, as Sphinx and MkDocs look it up; no Error token anywhere in the repository's .fuse
files and documented blocks but at a character the compiler's lexer rejects; the token each
kind of word gets."""
from __future__ import annotations

import re
from importlib.metadata import entry_points

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Name, Number, Operator, Punctuation, String, Token

from fuseflow.highlight import words
from fuseflow.highlight.pygments_lexer import FuseLexer

from .corpus import GRAMMAR, PIECES, Text, corpus, doc_blocks, fuse_files, lexical_errors, position

REINSTALL = "the entry point is missing: reinstall fuseflow (`.venv/bin/pip install -e . --no-deps`)"


def test_the_lexer_is_registered_under_its_name() -> None:
    found = [point for point in entry_points(group="pygments.lexers") if point.name == "fuse"]
    assert [point.value for point in found] == ["fuseflow.highlight.pygments_lexer:FuseLexer"], REINSTALL
    assert type(get_lexer_by_name("fuse")) is FuseLexer
    assert type(get_lexer_by_name("fuse-error")) is FuseLexer
    assert type(get_lexer_for_filename("pipeline.fuse")) is FuseLexer


def errors_of(text: str) -> list[tuple[int, int, str]]:
    return [(*position(text, offset), value)
            for offset, token, value in FuseLexer().get_tokens_unprocessed(text) if token in Error]


@pytest.mark.parametrize("source", corpus(), ids=str)
def test_error_tokens_only_where_the_compiler_rejects_a_character(source: Text) -> None:
    assert [(line, column) for line, column, _ in errors_of(source.text)] == lexical_errors(source.text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_error_tokens_only_where_the_compiler_rejects_a_character_in_any_text(text: str) -> None:
    assert [(line, column) for line, column, _ in errors_of(text)] == lexical_errors(text)


@pytest.mark.parametrize("block", doc_blocks(), ids=str)
def test_documented_blocks_highlight_as_sphinx_does(block: Text) -> None:
    # Sphinx lexes with the raiseonerror filter and, at an Error token, warns and shows the
    # block without colours; MkDocs (pymdownx.highlight, codehilite) looks the lexer up by name
    lexer = get_lexer_by_name("fuse")
    lexer.add_filter("raiseonerror")
    html = highlight(block.text, lexer, HtmlFormatter())
    assert 'class="err"' not in html


def test_the_corpus_is_the_whole_repository() -> None:
    names = {text.name for text in fuse_files()}
    assert {"examples/arith.fuse", "tests/golden/options/input.fuse", "tests/invalid/many_errors.fuse"} <= names
    assert not any(name.startswith((".venv/", "editors/vscode/node_modules/")) for name in names)
    assert len(doc_blocks()) > 20
    assert any(block.name.startswith("docs/language.md:") for block in doc_blocks())


@pytest.mark.parametrize(("name", "flagged"), [
    ("tests/invalid/syntax_bad_character.fuse", [(4, 6, "$")]),
    ("tests/invalid/syntax_bad_character_after_statement.fuse", [(5, 16, "+"), (7, 20, "*")]),
    ("tests/invalid/syntax_unterminated_string.fuse", [(3, 10, '"')]),
])
def test_a_character_no_token_starts_with_is_an_error(name: str, flagged: list) -> None:
    text = next(source.text for source in fuse_files() if source.name == name)
    assert errors_of(text) == flagged


def kinds(source: str) -> list[tuple[str, object]]:
    """The tokens of source but whitespace, as (text, token type)."""
    return [(value, token) for token, value in FuseLexer().get_tokens(source)
            if value.strip() and token not in Token.Text.Whitespace]


TABLE = [
    ("workflow storage", [("workflow", Keyword.Declaration), ("storage", Name.Class)]),
    ("from google.cloud import storage as gcs, b",
     [("from", Keyword.Namespace), ("google.cloud", Name.Namespace), ("import", Keyword.Namespace),
      ("storage", Name), ("as", Keyword.Namespace), ("gcs", Name), (",", Punctuation), ("b", Name)]),
    ("import examples.ops as ops",
     [("import", Keyword.Namespace), ("examples.ops", Name.Namespace), ("as", Keyword.Namespace), ("ops", Name)]),
    ('param name: str = "moons"  # a comment',
     [("param", Keyword.Declaration), ("name", Name.Variable), (":", Punctuation), ("str", Keyword.Type),
      ("=", Operator), ('"', String.Double), ("moons", String.Double), ('"', String.Double),
      ("# a comment", Token.Comment.Single)]),
    ("param n: integer = 3", [("param", Keyword.Declaration), ("n", Name.Variable), (":", Punctuation),
                              ("integer", Name), ("=", Operator), ("3", Number.Integer)]),
    ("let xs = [1, -2.5e3, .25, +4, true, none]",
     [("let", Keyword.Declaration), ("xs", Name.Variable), ("=", Operator), ("[", Punctuation),
      ("1", Number.Integer), (",", Punctuation), ("-2.5e3", Number.Float), (",", Punctuation),
      (".25", Number.Float), (",", Punctuation), ("+4", Number.Integer), (",", Punctuation),
      ("true", Keyword.Constant), (",", Punctuation), ("none", Keyword.Constant), ("]", Punctuation)]),
    (r's = f("a\tb\u00e9\.c", options=1)',
     [("s", Name.Variable), ("=", Operator), ("f", Name.Function), ("(", Punctuation),
      ('"', String.Double), ("a", String.Double), (r"\t", String.Escape), ("b", String.Double),
      (r"\u00e9", String.Escape), (r"\.", String.Double), ("c", String.Double), ('"', String.Double),
      (",", Punctuation), ("options", Name), ("=", Operator), ("1", Number.Integer), (")", Punctuation)]),
    ("counter.add(two)", [("counter", Name), (".", Punctuation), ("add", Name.Function), ("(", Punctuation),
                          ("two", Name), (")", Punctuation)]),
    # a dotted reference into an import, passed as a value, is a name and its attribute, any word after the dot
    ("s = f(dm.DATA[0], ops . add, gcs.storage, key=m.KNN)",
     [("s", Name.Variable), ("=", Operator), ("f", Name.Function), ("(", Punctuation), ("dm", Name),
      (".", Punctuation), ("DATA", Name), ("[", Punctuation), ("0", Number.Integer), ("]", Punctuation),
      (",", Punctuation), ("ops", Name), (".", Punctuation), ("add", Name), (",", Punctuation), ("gcs", Name),
      (".", Punctuation), ("storage", Name), (",", Punctuation), ("key", Name), ("=", Operator), ("m", Name),
      (".", Punctuation), ("KNN", Name), (")", Punctuation)]),
    # an alias is named as a node is
    ('X = split["X_train"]', [("X", Name.Variable), ("=", Operator), ("split", Name), ("[", Punctuation),
                              ('"', String.Double), ("X_train", String.Double), ('"', String.Double),
                              ("]", Punctuation)]),
    ("for name, cls, pars in models.ROWS {",
     [("for", Keyword), ("name", Name), (",", Punctuation), ("cls", Name), (",", Punctuation), ("pars", Name),
      ("in", Keyword), ("models", Name), (".", Punctuation), ("ROWS", Name), ("{", Punctuation)]),
    ("for k, v in d { t = g(k) }",
     [("for", Keyword), ("k", Name), (",", Punctuation), ("v", Name), ("in", Keyword), ("d", Name),
      ("{", Punctuation), ("t", Name.Variable), ("=", Operator), ("g", Name.Function), ("(", Punctuation),
      ("k", Name), (")", Punctuation), ("}", Punctuation)]),
    ('options ray { "model\\..*": { resources: {"_m": 1}, cpus: n } workflow: { max_pending: 8 } }',
     [("options", Keyword.Declaration), ("ray", Name.Label), ("{", Punctuation), ('"model\\..*"', String.Regex),
      (":", Punctuation), ("{", Punctuation), ("resources", Name.Attribute), (":", Punctuation),
      ("{", Punctuation), ('"', String.Double), ("_m", String.Double), ('"', String.Double), (":", Punctuation),
      ("1", Number.Integer), ("}", Punctuation), (",", Punctuation), ("cpus", Name.Attribute), (":", Punctuation),
      ("n", Name), ("}", Punctuation), ("workflow", Keyword.Declaration), (":", Punctuation), ("{", Punctuation),
      ("max_pending", Name.Attribute), (":", Punctuation), ("8", Number.Integer), ("}", Punctuation),
      ("}", Punctuation)]),
    ("options = f()", [("options", Keyword.Declaration), ("=", Operator), ("f", Name.Function),
                       ("(", Punctuation), (")", Punctuation)]),
    # the control flow of part 2 of the design
    ('if acc["f1"] >= 0.5 and not dry { x = f() } elif a != b or c { } else { }',
     [("if", Keyword), ("acc", Name), ("[", Punctuation), ('"', String.Double), ("f1", String.Double),
      ('"', String.Double), ("]", Punctuation), (">=", Operator), ("0.5", Number.Float), ("and", Operator.Word),
      ("not", Operator.Word), ("dry", Name), ("{", Punctuation), ("x", Name.Variable), ("=", Operator),
      ("f", Name.Function), ("(", Punctuation), (")", Punctuation), ("}", Punctuation), ("elif", Keyword),
      ("a", Name), ("!=", Operator), ("b", Name), ("or", Operator.Word), ("c", Name), ("{", Punctuation),
      ("}", Punctuation), ("else", Keyword), ("{", Punctuation), ("}", Punctuation)]),
    # parentheses in a test group it (a word before them is no call), every comparison is an operator
    ("elif not(n < 2) and (m > 1 or k <= 3) == true {",
     [("elif", Keyword), ("not", Operator.Word), ("(", Punctuation), ("n", Name), ("<", Operator),
      ("2", Number.Integer), (")", Punctuation), ("and", Operator.Word), ("(", Punctuation), ("m", Name),
      (">", Operator), ("1", Number.Integer), ("or", Operator.Word), ("k", Name), ("<=", Operator),
      ("3", Number.Integer), (")", Punctuation), ("==", Operator), ("true", Keyword.Constant), ("{", Punctuation)]),
    ('rows = load(db) after done  use "prep.fuse" as prep  finally { return rows }',
     [("rows", Name.Variable), ("=", Operator), ("load", Name.Function), ("(", Punctuation), ("db", Name),
      (")", Punctuation), ("after", Keyword), ("done", Name), ("use", Keyword.Namespace), ('"', String.Double),
      ("prep.fuse", String.Double), ('"', String.Double), ("as", Keyword.Namespace), ("prep", Name),
      ("finally", Keyword), ("{", Punctuation), ("return", Keyword), ("rows", Name), ("}", Punctuation)]),
]


@pytest.mark.parametrize(("source", "expected"), TABLE, ids=[source for source, _ in TABLE])
def test_each_kind_of_word_gets_its_token(source: str, expected: list) -> None:
    assert kinds(source) == expected


def test_every_keyword_of_the_grammar_is_highlighted_as_one() -> None:
    quoted = set(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8")))
    assert quoted <= set(words.KEYWORDS)
    for word in words.KEYWORDS:
        [(text, token)] = kinds(word)
        assert token in Keyword or token in Operator.Word, word
