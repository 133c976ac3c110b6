"""The word lists of fuseflow/highlight/words.py written into the VS Code grammar, which, being
JSON, cannot import them: the keywords a NAME may not be (in every rule that names something),
each group of keywords under its scope, and the param types.

    with_words(TM_GRAMMAR.read_text())     # the grammar's text with today's lists in it

So a new keyword is one line of words.py; `pytest tests/highlight --update-golden` writes it
into the grammar (test_textmate.py fails, saying so, until then), and the Pygments lexer reads
words.py itself.
"""
from __future__ import annotations

import re

from fuseflow.highlight import words

# Where a rule reads a NAME: `(?!(?:workflow|...|or)(?![A-Za-z0-9_]))` before the word.
NOT_A_KEYWORD = re.compile(r"\(\?!\(\?:[a-z|]+\)\(\?!\[A-Za-z0-9_\]\)\)")
# The `keyword` rule: one pattern per scope, `(?<![A-Za-z_])(?:WORDS)(?![A-Za-z0-9_])`; the list of words.py of each.
KEYWORD_SCOPES = {
    "constant.language.fuse": "CONSTANTS",
    "keyword.operator.logical.fuse": "LOGICAL",
    "keyword.control.import.fuse": "NAMESPACE",
    "storage.type.fuse": "DECLARATIONS",
    "keyword.control.fuse": "CONTROL",
}
GROUP = r'("name": "{scope}",\s*"match": "\(\?<!\[A-Za-z_\]\))\(\?:[a-z|]+\)\(\?!\[A-Za-z0-9_\]\)'
# The `param` rule: `((?:float|...|str))(?![A-Za-z0-9_])` after the colon.
PARAM_TYPES = re.compile(r"\(\(\?:[a-z|]+\)\)(\(\?!\[A-Za-z0-9_\]\)\|)")


def with_words(grammar: str) -> str:
    """The grammar's JSON text with the lists of words.py (the patterns hold no backslash)."""
    grammar = NOT_A_KEYWORD.sub(lambda _: f"(?!{words.alternatives(words.KEYWORDS)})", grammar)
    for scope, listed in KEYWORD_SCOPES.items():
        group = words.alternatives(getattr(words, listed))
        grammar = re.sub(GROUP.format(scope=re.escape(scope)), lambda found, group=group: found.group(1) + group,
                         grammar)
    types = words.alternatives(words.TYPES).removesuffix("(?![A-Za-z0-9_])")
    return PARAM_TYPES.sub(lambda found: f"({types}){found.group(1)}", grammar)
