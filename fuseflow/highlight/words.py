"""The words of `.fuse` that highlighting tells apart, in one place for the Pygments lexer and
the tests that hold the VS Code grammar to the same lists.

The keywords are those of fuseflow/grammar/fuse.lark (a keyword is never a name) and those of
the control flow and composition to come (docs/language.md, part 2 of the design): a file
written today cannot use them as names either without being highlighted as a keyword, which
is what it will be told once they land.

A new keyword is one line here: the Pygments lexer reads these lists, and
`pytest tests/highlight --update-golden` writes them into the VS Code grammar, which, being
JSON, cannot read them (tests/highlight/grammar_words.py; the test fails until it is run).
"""
from __future__ import annotations

#: Statements that declare something: the workflow, a param, a constant, options, storage.
DECLARATIONS = ("workflow", "param", "let", "options", "storage")
#: Imports of Python callables and, to come, of other workflows (`use "prep.fuse" as prep`).
NAMESPACE = ("from", "import", "as", "use")
#: Loops, conditions, ordering, clean-up and outputs.
CONTROL = ("for", "in", "if", "elif", "else", "after", "finally", "return")
#: The operators that are words, in conditions.
LOGICAL = ("and", "or", "not")
#: The literals that are words.
CONSTANTS = ("true", "false", "none")
#: Every word that is never a name.
KEYWORDS = DECLARATIONS + NAMESPACE + CONTROL + LOGICAL + CONSTANTS

#: The types of a param (`param n: int = 3`): highlighted where a type is written.
TYPES = ("int", "float", "str", "bool", "list", "dict")


def alternatives(words: tuple[str, ...]) -> str:
    """A regex alternation of whole words, longest first: `alternatives(("in", "int"))` is
    `(?:int|in)(?![A-Za-z0-9_])`."""
    return "(?:" + "|".join(sorted(words, key=lambda word: (-len(word), word))) + ")(?![A-Za-z0-9_])"
