"""A Pygments lexer for `.fuse` files, registered as `fuse` (entry point `pygments.lexers` in
pyproject.toml), so Sphinx and MkDocs highlight ```fuse blocks once fuseflow is installed:

    >>> from pygments.lexers import get_lexer_by_name
    >>> get_lexer_by_name("fuse").name
    'Fuse'

It follows fuseflow/grammar/fuse.lark: a character no token of the grammar starts with (`$`,
`@`, a `+` without a digit, a quote never closed on its line) is an Error token, at the column
`fusec check` reports ("unexpected character '$'", "an unterminated string"); anything else is
highlighted, including files whose statements are wrong. The `fuse-error` alias serves the documentation's
blocks that show a file for its error messages.
"""
from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from .words import CONSTANTS, CONTROL, DECLARATIONS, KEYWORDS, LOGICAL, NAMESPACE, TYPES, alternatives

__all__ = ["FuseLexer"]

WORD = r"[A-Za-z_][A-Za-z0-9_]*"  # any word: a workflow's name, a keyword argument, after a dot
NAME = rf"(?!{alternatives(KEYWORDS)}){WORD}"  # a word that is not a keyword
DOTTED = rf"{NAME}(?:[ \t]*\.[ \t]*{WORD})*"  # a module path
NOT_CALLED = r"(?![A-Za-z0-9_])(?![ \t]*\()"  # a word in a statement's head, unless a call starts there instead
# A string is one line; it opens only where its closing quote is on the same line, as in
# the grammar's STRING, so a quote never closed is the one Error token of its line.
DOUBLE = r'"(?=(?:[^"\\\n]|\\.)*")'
SINGLE = r"'(?=(?:[^'\\\n]|\\.)*')"
ESCAPE = r"""\\(?:[\\'"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|N\{[^}\n]*\})"""
FLOAT = r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+"
INT = r"[+-]?\d+"

_SKIP = [(r"\s+", Whitespace), (r"#[^\n]*", Comment.Single)]
# A statement's head (`param NAME: TYPE`, `from MODULE import NAME as ALIAS`, ...) is read on
# its line, as a TextMate grammar can: the VS Code grammar and this lexer agree.
_INLINE = [(r"[ \t]+", Whitespace)]


def _string_state(quote: str, token: type[String]) -> list:
    """The inside of a string opened by `quote`: escapes apart, up to the closing quote."""
    return [(ESCAPE, String.Escape),
            (rf"[^{quote}\\\n]+", token),
            (r"\\.", token),  # an unknown escape is kept as written, backslash included
            (quote, token, "#pop")]


class FuseLexer(RegexLexer):
    """The `.fuse` workflow language of fuseflow."""

    name = "Fuse"
    aliases: ClassVar[list[str]] = ["fuse", "fuse-error"]
    filenames: ClassVar[list[str]] = ["*.fuse"]
    mimetypes: ClassVar[list[str]] = ["text/x-fuse"]

    tokens: ClassVar[dict] = {
        "root": [
            include("statements"),
            include("expression"),
        ],
        # Statements whose words mean something more than their token: what they declare.
        "statements": [
            (rf"(workflow)([ \t]+)({WORD})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (r"from(?![A-Za-z0-9_])", Keyword.Namespace, "from-module"),
            (r"import(?![A-Za-z0-9_])", Keyword.Namespace, "import-module"),
            (r"param(?![A-Za-z0-9_])", Keyword.Declaration, "param-name"),
            (r"let(?![A-Za-z0-9_])", Keyword.Declaration, "let-name"),
            (r"options(?![A-Za-z0-9_])", Keyword.Declaration, "options-head"),
            (rf"({NAME})([ \t]*)(=)(?!=)", bygroups(Name.Variable, Whitespace, Operator)),  # a node, an alias
        ],
        "expression": [
            *_SKIP,
            (DOUBLE, String.Double, "double"),
            (SINGLE, String.Single, "single"),
            (FLOAT, Number.Float),
            (INT, Number.Integer),
            (alternatives(CONSTANTS), Keyword.Constant),
            (alternatives(LOGICAL), Operator.Word),
            (alternatives(NAMESPACE), Keyword.Namespace),
            (alternatives(DECLARATIONS), Keyword.Declaration),
            (alternatives(CONTROL), Keyword),
            (rf"({WORD})([ \t]*)(\()", bygroups(Name.Function, Whitespace, Punctuation), "arguments"),
            (r"\(", Punctuation, "arguments"),
            (r"\.", Punctuation, "attribute"),
            (r"==|!=|<=|>=|<|>|=", Operator),
            (r"[)\[\]{},:]", Punctuation),
            (WORD, Name),
        ],
        "double": _string_state('"', String.Double),
        "single": _string_state("'", String.Single),
        # Inside a call's parentheses (or a condition's): `NAME=` is a keyword argument, any word.
        "arguments": [
            (r"\)", Punctuation, "#pop"),
            (rf"({WORD})([ \t]*)(=)(?!=)", bygroups(Name, Whitespace, Operator)),
            include("expression"),
        ],
        # After a dot, any word: a module's function or an object node's method, called, or a name an
        # import defines, passed as a value (`dm.DATA[0]`, `ops.add`).
        "attribute": [
            (rf"({WORD})([ \t]*)(\()", bygroups(Name.Function, Whitespace, Punctuation), ("#pop", "arguments")),
            (WORD, Name, "#pop"),
            (r"[ \t]+", Whitespace),
            default("#pop"),
        ],
        # from MODULE import NAME [as ALIAS], ...
        "from-module": [
            *_INLINE,
            (r"import(?![A-Za-z0-9_])", Keyword.Namespace, ("#pop", "import-name")),
            (DOTTED + NOT_CALLED, Name.Namespace, ("#pop", "from-import")),
            default("#pop"),
        ],
        "from-import": [
            *_INLINE,
            (r"import(?![A-Za-z0-9_])", Keyword.Namespace, ("#pop", "import-name")),
            default("#pop"),
        ],
        "import-name": [
            *_INLINE,
            (WORD, Name, ("#pop", "import-next")),
            default("#pop"),
        ],
        "import-next": [
            *_INLINE,
            (r"as(?![A-Za-z0-9_])", Keyword.Namespace, ("#pop", "import-alias")),
            (r",", Punctuation, ("#pop", "import-name")),
            default("#pop"),
        ],
        "import-alias": [
            *_INLINE,
            (WORD, Name, ("#pop", "import-after-alias")),
            default("#pop"),
        ],
        "import-after-alias": [
            *_INLINE,
            (r",", Punctuation, ("#pop", "import-name")),
            default("#pop"),
        ],
        # import MODULE as ALIAS
        "import-module": [
            *_INLINE,
            (r"as(?![A-Za-z0-9_])", Keyword.Namespace, ("#pop", "import-alias")),
            (DOTTED + NOT_CALLED, Name.Namespace, ("#pop", "import-as")),
            default("#pop"),
        ],
        "import-as": [
            *_INLINE,
            (r"as(?![A-Za-z0-9_])", Keyword.Namespace, ("#pop", "import-alias")),
            default("#pop"),
        ],
        # param NAME: TYPE [= DEFAULT]
        "param-name": [
            *_INLINE,
            (NAME + NOT_CALLED, Name.Variable, ("#pop", "param-colon")),
            default("#pop"),
        ],
        "param-colon": [
            *_INLINE,
            (r":", Punctuation, ("#pop", "param-type")),
            default("#pop"),
        ],
        "param-type": [
            *_INLINE,
            (alternatives(TYPES), Keyword.Type, "#pop"),
            (NAME, Name, "#pop"),  # an unknown type, which the compiler reports
            default("#pop"),
        ],
        # let NAME = VALUE
        "let-name": [
            *_INLINE,
            (NAME + NOT_CALLED, Name.Variable, "#pop"),
            default("#pop"),
        ],
        # options [TARGET] { "REGEX": { key: value, ... } workflow: { ... } }
        "options-head": [
            *_INLINE,
            (r"\{", Punctuation, ("#pop", "options-block")),
            (NAME + NOT_CALLED, Name.Label, ("#pop", "options-brace")),
            (r"(?=[\n#])", Whitespace, ("#pop", "options-brace")),  # the block on a later line
            default("#pop"),
        ],
        "options-brace": [
            *_SKIP,
            (r"\{", Punctuation, ("#pop", "options-block")),
            default("#pop"),
        ],
        "options-block": [
            *_SKIP,
            (r"\}", Punctuation, "#pop"),
            (r'"(?:[^"\\\n]|\\.)*"', String.Regex),  # a query: the regex of the nodes it selects
            (r"'(?:[^'\\\n]|\\.)*'", String.Regex),
            (r"\{", Punctuation, "option-body"),
            include("expression"),
        ],
        "option-body": [
            *_SKIP,
            (r"\}", Punctuation, "#pop"),
            (rf"({NAME})(\s*)(:)", bygroups(Name.Attribute, Whitespace, Punctuation)),  # an option's key
            (r"\{", Punctuation, "braces"),
            include("expression"),
        ],
        # A dict inside an option's value: its braces are counted so the body ends at its own.
        "braces": [
            (r"\}", Punctuation, "#pop"),
            (r"\{", Punctuation, "#push"),
            include("expression"),
        ],
    }
