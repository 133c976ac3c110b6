"""The VS Code grammar (editors/vscode/syntaxes/fuse.tmLanguage.json) run by VS Code's own
TextMate engine, vscode-textmate with vscode-oniguruma, under node (tests/highlight/node.py says
why not a Python engine, and how the engine is installed): every .fuse file and documented
block tokenizes with an `invalid` scope only where the compiler's lexer rejects a character;
each kind of word gets its scope; the grammar's keywords are those of fuseflow.highlight.words;
in Markdown (VS Code's own grammar), a ```fuse block is highlighted as a .fuse file is; and the
grammar and the Pygments lexer agree on what each character of the corpus is."""
from __future__ import annotations

import json
import re
from functools import cache

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from fuseflow.highlight import words
from fuseflow.highlight.pygments_lexer import FuseLexer

from .corpus import DOCUMENTS, GRAMMAR, ROOT, Text, corpus, doc_blocks, lexical_errors, random_texts
from .grammar_words import with_words
from .node import TEXTMATE, run_node, textmate_modules

TM_GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "fuse.tmLanguage.json"
# Injected into VS Code's Markdown grammar: ```fuse blocks highlighted in .md files.
MARKDOWN_INJECTION = ROOT / "editors" / "vscode" / "syntaxes" / "fuse.markdown.tmLanguage.json"

# A line's tokens: (start, end, scopes), the scopes outermost first, as VS Code gives them.
Line = list[tuple[int, int, list[str]]]

# Lines and the scope (the innermost) of each of their tokens but blanks, in order.
TABLE = [
    ("workflow storage  # the name is any word",
     [("workflow", "storage.type.workflow.fuse"), ("storage", "entity.name.type.workflow.fuse"),
      ("#", "punctuation.definition.comment.fuse"), (" the name is any word", "comment.line.number-sign.fuse")]),
    ("from google.cloud import storage as gcs, b",
     [("from", "keyword.control.import.fuse"), ("google.cloud", "entity.name.namespace.fuse"),
      ("import", "keyword.control.import.fuse"), ("storage", "variable.other.fuse"),
      ("as", "keyword.control.import.fuse"), ("gcs", "variable.other.fuse"),
      (",", "punctuation.separator.comma.fuse"), ("b", "variable.other.fuse")]),
    ("import examples.ops as ops",
     [("import", "keyword.control.import.fuse"), ("examples.ops", "entity.name.namespace.fuse"),
      ("as", "keyword.control.import.fuse"), ("ops", "variable.other.fuse")]),
    ('param name: str = "moons"',
     [("param", "storage.type.param.fuse"), ("name", "variable.parameter.fuse"),
      (":", "punctuation.separator.colon.fuse"), ("str", "support.type.fuse"),
      ("=", "keyword.operator.assignment.fuse"), ('"', "punctuation.definition.string.begin.fuse"),
      ("moons", "string.quoted.double.fuse"), ('"', "punctuation.definition.string.end.fuse")]),
    ("param n: integer = 3",
     [("param", "storage.type.param.fuse"), ("n", "variable.parameter.fuse"),
      (":", "punctuation.separator.colon.fuse"), ("integer", "variable.other.fuse"),
      ("=", "keyword.operator.assignment.fuse"), ("3", "constant.numeric.integer.fuse")]),
    ("let xs = [1, -2.5e3, .25, true, none]",
     [("let", "storage.type.let.fuse"), ("xs", "variable.other.constant.fuse"),
      ("=", "keyword.operator.assignment.fuse"), ("[", "punctuation.section.brackets.fuse"),
      ("1", "constant.numeric.integer.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("-2.5e3", "constant.numeric.float.fuse"), (",", "punctuation.separator.comma.fuse"),
      (".25", "constant.numeric.float.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("true", "constant.language.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("none", "constant.language.fuse"), ("]", "punctuation.section.brackets.fuse")]),
    (r"s = f('a\tb\.c', options=1)",
     [("s", "variable.other.definition.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("f", "entity.name.function.fuse"), ("(", "punctuation.section.arguments.begin.fuse"),
      ("'", "punctuation.definition.string.begin.fuse"), ("a", "string.quoted.single.fuse"),
      (r"\t", "constant.character.escape.fuse"), (r"b\.c", "string.quoted.single.fuse"),
      ("'", "punctuation.definition.string.end.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("options", "variable.parameter.argument.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("1", "constant.numeric.integer.fuse"), (")", "punctuation.section.arguments.end.fuse")]),
    ("six = counter.add(one)",
     [("six", "variable.other.definition.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("counter", "variable.other.fuse"), (".", "punctuation.accessor.fuse"), ("add", "entity.name.function.fuse"),
      ("(", "punctuation.section.arguments.begin.fuse"), ("one", "variable.other.fuse"),
      (")", "punctuation.section.arguments.end.fuse")]),
    # a dotted reference into an import, passed as a value: a name and its property, any word after the dot
    ("s = f(dm.DATA[0], ops . add, gcs.storage, key=m.KNN)",
     [("s", "variable.other.definition.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("f", "entity.name.function.fuse"), ("(", "punctuation.section.arguments.begin.fuse"),
      ("dm", "variable.other.fuse"), (".", "punctuation.accessor.fuse"), ("DATA", "variable.other.property.fuse"),
      ("[", "punctuation.section.brackets.fuse"), ("0", "constant.numeric.integer.fuse"),
      ("]", "punctuation.section.brackets.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("ops", "variable.other.fuse"), (".", "punctuation.accessor.fuse"), ("add", "variable.other.property.fuse"),
      (",", "punctuation.separator.comma.fuse"), ("gcs", "variable.other.fuse"), (".", "punctuation.accessor.fuse"),
      ("storage", "variable.other.property.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("key", "variable.parameter.argument.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("m", "variable.other.fuse"), (".", "punctuation.accessor.fuse"), ("KNN", "variable.other.property.fuse"),
      (")", "punctuation.section.arguments.end.fuse")]),
    # an alias is named as a node is
    ('X = split["X_train"]',
     [("X", "variable.other.definition.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("split", "variable.other.fuse"), ("[", "punctuation.section.brackets.fuse"),
      ('"', "punctuation.definition.string.begin.fuse"), ("X_train", "string.quoted.double.fuse"),
      ('"', "punctuation.definition.string.end.fuse"), ("]", "punctuation.section.brackets.fuse")]),
    ("for name, cls, pars in models.ROWS {",
     [("for", "keyword.control.fuse"), ("name", "variable.other.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("cls", "variable.other.fuse"), (",", "punctuation.separator.comma.fuse"), ("pars", "variable.other.fuse"),
      ("in", "keyword.control.fuse"), ("models", "variable.other.fuse"), (".", "punctuation.accessor.fuse"),
      ("ROWS", "variable.other.property.fuse"), ("{", "punctuation.section.braces.fuse")]),
    ("for ds in datasets {",
     [("for", "keyword.control.fuse"), ("ds", "variable.other.fuse"), ("in", "keyword.control.fuse"),
      ("datasets", "variable.other.fuse"), ("{", "punctuation.section.braces.fuse")]),
    ('options ray { "model\\..*": { resources: {"_m": 1}, cpus: 2 } workflow: { max_pending: 8 } }',
     [("options", "storage.type.options.fuse"), ("ray", "entity.name.tag.target.fuse"),
      ("{", "punctuation.section.block.begin.fuse"), ('"', "punctuation.definition.string.begin.fuse"),
      ("model", "string.regexp.quoted.double.fuse"), ("\\.", "constant.character.escape.regexp.fuse"),
      (".*", "string.regexp.quoted.double.fuse"), ('"', "punctuation.definition.string.end.fuse"),
      (":", "punctuation.separator.colon.fuse"), ("{", "punctuation.section.braces.begin.fuse"),
      ("resources", "support.type.property-name.option.fuse"), (":", "punctuation.separator.colon.fuse"),
      ("{", "punctuation.section.braces.begin.fuse"), ('"', "punctuation.definition.string.begin.fuse"),
      ("_m", "string.quoted.double.fuse"), ('"', "punctuation.definition.string.end.fuse"),
      (":", "punctuation.separator.colon.fuse"), ("1", "constant.numeric.integer.fuse"),
      ("}", "punctuation.section.braces.end.fuse"), (",", "punctuation.separator.comma.fuse"),
      ("cpus", "support.type.property-name.option.fuse"), (":", "punctuation.separator.colon.fuse"),
      ("2", "constant.numeric.integer.fuse"), ("}", "punctuation.section.braces.end.fuse"),
      ("workflow", "storage.type.workflow.fuse"), (":", "punctuation.separator.colon.fuse"),
      ("{", "punctuation.section.braces.begin.fuse"), ("max_pending", "support.type.property-name.option.fuse"),
      (":", "punctuation.separator.colon.fuse"), ("8", "constant.numeric.integer.fuse"),
      ("}", "punctuation.section.braces.end.fuse"), ("}", "punctuation.section.block.end.fuse")]),
    ("options = f()",
     [("options", "storage.type.fuse"), ("=", "keyword.operator.assignment.fuse"), ("f", "entity.name.function.fuse"),
      ("(", "punctuation.section.arguments.begin.fuse"), (")", "punctuation.section.arguments.end.fuse")]),
    # the control flow of part 2 of the design
    ('if acc["f1"] >= 0.5 and not dry {',
     [("if", "keyword.control.fuse"), ("acc", "variable.other.fuse"), ("[", "punctuation.section.brackets.fuse"),
      ('"', "punctuation.definition.string.begin.fuse"), ("f1", "string.quoted.double.fuse"),
      ('"', "punctuation.definition.string.end.fuse"), ("]", "punctuation.section.brackets.fuse"),
      (">=", "keyword.operator.comparison.fuse"), ("0.5", "constant.numeric.float.fuse"),
      ("and", "keyword.operator.logical.fuse"), ("not", "keyword.operator.logical.fuse"),
      ("dry", "variable.other.fuse"), ("{", "punctuation.section.braces.fuse")]),
    ('} elif a != b or c { } else { } finally { use "p.fuse" as p }',
     [("}", "punctuation.section.braces.fuse"), ("elif", "keyword.control.fuse"), ("a", "variable.other.fuse"),
      ("!=", "keyword.operator.comparison.fuse"), ("b", "variable.other.fuse"), ("or", "keyword.operator.logical.fuse"),
      ("c", "variable.other.fuse"), ("{", "punctuation.section.braces.fuse"), ("}", "punctuation.section.braces.fuse"),
      ("else", "keyword.control.fuse"), ("{", "punctuation.section.braces.fuse"),
      ("}", "punctuation.section.braces.fuse"), ("finally", "keyword.control.fuse"),
      ("{", "punctuation.section.braces.fuse"), ("use", "keyword.control.import.fuse"),
      ('"', "punctuation.definition.string.begin.fuse"), ("p.fuse", "string.quoted.double.fuse"),
      ('"', "punctuation.definition.string.end.fuse"), ("as", "keyword.control.import.fuse"),
      ("p", "variable.other.fuse"), ("}", "punctuation.section.braces.fuse")]),
    # parentheses in a test group it (a word before them is no call), every comparison is an operator
    ("elif not(n < 2) and (m > 1 or k <= 3) == true {",
     [("elif", "keyword.control.fuse"), ("not", "keyword.operator.logical.fuse"),
      ("(", "punctuation.section.parens.begin.fuse"), ("n", "variable.other.fuse"),
      ("<", "keyword.operator.comparison.fuse"), ("2", "constant.numeric.integer.fuse"),
      (")", "punctuation.section.parens.end.fuse"), ("and", "keyword.operator.logical.fuse"),
      ("(", "punctuation.section.parens.begin.fuse"), ("m", "variable.other.fuse"),
      (">", "keyword.operator.comparison.fuse"), ("1", "constant.numeric.integer.fuse"),
      ("or", "keyword.operator.logical.fuse"), ("k", "variable.other.fuse"),
      ("<=", "keyword.operator.comparison.fuse"), ("3", "constant.numeric.integer.fuse"),
      (")", "punctuation.section.parens.end.fuse"), ("==", "keyword.operator.comparison.fuse"),
      ("true", "constant.language.fuse"), ("{", "punctuation.section.braces.fuse")]),
    ("rows = load(db) after done  return rows",
     [("rows", "variable.other.definition.fuse"), ("=", "keyword.operator.assignment.fuse"),
      ("load", "entity.name.function.fuse"), ("(", "punctuation.section.arguments.begin.fuse"),
      ("db", "variable.other.fuse"), (")", "punctuation.section.arguments.end.fuse"),
      ("after", "keyword.control.fuse"), ("done", "variable.other.fuse"), ("return", "keyword.control.fuse"),
      ("rows", "variable.other.fuse")]),
]
RANDOM = random_texts(500)
# A block over several lines keeps its scopes from line to line.
# Characters no token starts with: a quote never closed, `$`, a sign without a digit.
BAD = 's1 = add("abc, 2)\ns2 = $add(s1, 3)\nx = 1 + 2'
MULTILINE = """options kfp
{
    ".*": {
        image: "python:3.11-slim",   # a comment
        env: {"A": "1"}
    }
}
s = add(1,
        b=2)
"""


@cache
def tokenized() -> dict[str, list[Line]]:
    """Every text of the corpus and of this file, tokenized by one run of the engine."""
    modules = textmate_modules()
    texts = [source.text for source in corpus()] + [line for line, _ in TABLE] + [MULTILINE, BAD]
    texts += list(words.KEYWORDS) + RANDOM
    found = run_node(TEXTMATE / "tokenize.js", str(modules), request={"grammar": str(TM_GRAMMAR), "texts": texts})
    return dict(zip(texts, found, strict=True))


def tokens(text: str) -> list[Line]:
    return tokenized()[text]


def invalid(text: str) -> list[tuple[int, int]]:
    return [(number, start + 1) for number, line in enumerate(tokens(text), 1)
            for start, _, scopes in line if any(scope.startswith("invalid") for scope in scopes)]


@pytest.mark.parametrize("source", corpus(), ids=str)
def test_invalid_only_where_the_compiler_rejects_a_character(source: Text) -> None:
    lines = tokens(source.text)
    assert len(lines) == source.text.count("\n") + 1
    for text, line in zip(source.text.split("\n"), lines, strict=True):
        covered = [index for start, end, _ in line for index in range(start, end)]
        assert covered == list(range(len(text))), text  # every character has its token
    assert invalid(source.text) == lexical_errors(source.text)


def test_invalid_only_where_the_compiler_rejects_a_character_in_any_text() -> None:
    differ = [text for text in RANDOM if invalid(text) != lexical_errors(text)]
    assert differ == []


def test_a_bad_character_is_invalid() -> None:
    assert invalid(BAD) == lexical_errors(BAD) == [(1, 10), (2, 6), (3, 7)]


def scoped(text: str) -> list[tuple[str, str]]:
    """(text, innermost scope) of each token of a one-line text but blanks."""
    [line] = tokens(text)
    return [(text[start:end], scopes[-1]) for start, end, scopes in line if text[start:end].strip()]


@pytest.mark.parametrize(("line", "expected"), TABLE, ids=[line for line, _ in TABLE])
def test_each_kind_of_word_gets_its_scope(line: str, expected: list) -> None:
    assert scoped(line) == expected


def test_blocks_keep_their_scopes_across_lines() -> None:
    lines = tokens(MULTILINE)
    text = MULTILINE.split("\n")

    def scope_of(number: int, word: str) -> list[str]:
        column = text[number].index(word)
        return next(scopes for start, end, scopes in lines[number] if start <= column < end)

    assert scope_of(1, "{")[-1] == "punctuation.section.block.begin.fuse"
    assert scope_of(2, '".*"')[-1] == "punctuation.definition.string.begin.fuse"
    assert "string.regexp.quoted.double.fuse" in scope_of(2, ".*")
    assert scope_of(3, "image")[-1] == "support.type.property-name.option.fuse"
    assert scope_of(3, "#")[-1] == "punctuation.definition.comment.fuse"
    assert scope_of(4, "env")[-1] == "support.type.property-name.option.fuse"
    assert scope_of(6, "}")[-1] == "punctuation.section.block.end.fuse"
    assert "meta.options.fuse" not in scope_of(7, "s")
    assert scope_of(8, "b")[-1] == "variable.parameter.argument.fuse"


def test_every_keyword_is_a_keyword() -> None:
    quoted = set(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8")))
    assert quoted <= set(words.KEYWORDS)
    kinds = ("keyword.", "storage.type.", "constant.language.")
    for word in words.KEYWORDS:
        [(text, scope)] = scoped(word)
        assert text == word and scope.startswith(kinds), (word, scope)


def test_the_grammar_lists_the_words_of_fuseflow_highlight() -> None:
    grammar = json.loads(TM_GRAMMAR.read_text(encoding="utf-8"))
    listed = [word for rule in grammar["repository"]["keyword"]["patterns"]
              for group in re.findall(r"\(\?:([a-z|]+)\)", rule["match"]) for word in group.split("|")]
    assert sorted(listed) == sorted(words.KEYWORDS)
    assert grammar["scopeName"] == "source.fuse"


def test_the_grammar_s_word_lists_are_those_of_fuseflow_highlight(update_golden: bool) -> None:
    text = TM_GRAMMAR.read_text(encoding="utf-8")
    synced = with_words(text)
    if update_golden:
        TM_GRAMMAR.write_text(synced, encoding="utf-8")
    assert synced == text, ("the grammar's keywords or types differ from fuseflow/highlight/words.py: "
                            "`pytest tests/highlight --update-golden` writes them in")
    assert text.count(f"(?!{words.alternatives(words.KEYWORDS)})") >= 7  # every rule that reads a NAME


def test_a_keyword_added_to_words_is_written_into_every_list(monkeypatch: pytest.MonkeyPatch) -> None:
    text = TM_GRAMMAR.read_text(encoding="utf-8")
    monkeypatch.setattr(words, "CONTROL", (*words.CONTROL, "while"))
    monkeypatch.setattr(words, "KEYWORDS", (*words.KEYWORDS, "while"))
    monkeypatch.setattr(words, "TYPES", (*words.TYPES, "path"))
    synced = with_words(text)
    assert synced.count("|while|") == text.count("|after|") == 8  # every NAME's list, and the keyword rule's
    assert synced.count("|path|") == 1  # the param rule's types
    assert with_words(synced.replace("|while|", "|").replace("|path|", "|")) == synced


@cache
def markdown_tokenized() -> dict[str, list[Line]]:
    """README.md and docs/*.md tokenized by VS Code's Markdown grammar with the ```fuse injection."""
    modules = textmate_modules()
    documents = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in DOCUMENTS}
    found = run_node(TEXTMATE / "tokenize.js", str(modules), request={
        "grammar": str(TM_GRAMMAR),
        "grammars": {"text.html.markdown": str(modules / "tm-grammars" / "grammars" / "markdown.json"),
                     "markdown.fuse.codeblock": str(MARKDOWN_INJECTION)},
        "injections": {"text.html.markdown": ["markdown.fuse.codeblock"]},
        "scopeName": "text.html.markdown",
        "texts": list(documents.values())})
    return dict(zip(documents, found, strict=True))


def after(scope: str, line: Line) -> list[tuple[str, ...]]:
    """Each character's scopes inside `scope` (the grammar's own, or the embedded block's)."""
    return [tuple(scopes[scopes.index(scope) + 1:]) if scope in scopes else ()
            for start, end, scopes in line for _ in range(start, end)]


@pytest.mark.parametrize("block", doc_blocks(), ids=str)
def test_a_block_in_markdown_is_highlighted_as_a_file(block: Text) -> None:
    document, fence = block.name.rsplit(":", 1)
    lines = markdown_tokenized()[document]
    inside = lines[int(fence):int(fence) + block.text.count("\n")]
    alone = tokens(block.text)[:len(inside)]
    assert [after("meta.embedded.block.fuse", line) for line in inside] == [after("source.fuse", line)
                                                                            for line in alone]


def test_only_fuse_blocks_are_embedded() -> None:
    embedded = {(document, number) for document, lines in markdown_tokenized().items()
                for number, line in enumerate(lines, 1)
                if any("meta.embedded.block.fuse" in scopes for _, _, scopes in line)}
    blocks = {(block.name.rsplit(":", 1)[0], int(block.name.rsplit(":", 1)[1]) + offset)
              for block in doc_blocks() for offset in range(1, block.text.count("\n") + 1)}
    assert embedded == blocks


# What a character is, for the Pygments lexer's tokens and the grammar's scopes (first match).
KINDS = [("error", Error, "invalid."), ("comment", Comment, "comment."), ("string", String, "string."),
         ("string", String, "constant.character.escape."), ("number", Number, "constant.numeric."),
         ("type", Keyword.Type, "support.type.fuse"), ("keyword", Keyword, "keyword.control."),
         ("keyword", Keyword, "storage.type."), ("keyword", Keyword, "constant.language."),
         ("keyword", Operator.Word, "keyword.operator.logical."), ("function", Name.Function, "entity.name.function."),
         ("option", Name.Attribute, "support.type.property-name.option.")]


def pygments_kinds(text: str) -> list[str]:
    kinds = []
    for _, token, value in FuseLexer().get_tokens_unprocessed(text):
        kind = next((kind for kind, parent, _ in KINDS if token in parent), "other")
        kinds += [kind] * len(value)
    return kinds


def textmate_kinds(text: str) -> list[str]:
    kinds = []
    for line, tokenized_line in zip(text.split("\n"), tokens(text), strict=True):
        for start, end, scopes in tokenized_line:
            kind = next((kind for kind, _, prefix in KINDS if any(scope.startswith(prefix) for scope in scopes)),
                        "other")
            kinds += [kind] * (end - start)
        kinds += ["other"] * (len(line) + 1 - sum(end - start for start, end, _ in tokenized_line))
    return kinds[:len(text)]


def disagreements(text: str) -> list[tuple[int, str, str, str]]:
    """(line, character, Pygments' kind, the grammar's kind) wherever they differ, blanks aside."""
    return [(text.count("\n", 0, offset) + 1, text[offset], ours, theirs)
            for offset, (ours, theirs) in enumerate(zip(pygments_kinds(text), textmate_kinds(text), strict=True))
            if ours != theirs and not text[offset].isspace()]


@pytest.mark.parametrize("source", corpus(), ids=str)
def test_the_grammar_and_the_pygments_lexer_agree(source: Text) -> None:
    assert disagreements(source.text) == []


def test_the_grammar_and_the_pygments_lexer_agree_on_any_text() -> None:
    assert [text for text in RANDOM if disagreements(text)] == []
