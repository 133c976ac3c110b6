"""Where the cursor stands, read from the text before it, which need not parse.

Completion is asked for while a statement is half typed (`{ num_` has no
value yet), so the syntax tree cannot say where the cursor is. The tokens
before it can: the brackets still open, and what opened each one.

    >>> where('options ray {\\n  "model.*": { num_')
    Where(kind='option-key', target='ray', scope='node', prefix='num_', after=())
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<skip>\#[^\n]*|\s+)
  | (?P<string>"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9][0-9A-Za-z_.]*)
  | (?P<punct>.)
""", re.VERBOSE)
_OPENING = {"(": ")", "[": "]", "{": "}"}
_BLOCKS = ("block", "branch", "else")  # what holds statements
# Words that start a statement other than `NAME = ...` and a call: where a test cannot go on.
_STATEMENT_WORDS = frozenset({"workflow", "from", "import", "use", "param", "let", "for", "finally", "options",
                              "storage", "return", "after"})


@dataclass(frozen=True)
class Where:
    # "option-key" (a key of an options entry), "option-value", "option-entry" (an options
    # block's entries), "target" (after `options`), "type" (a param's), "attribute" (after `NAME.`),
    # "import-name" (after `from MODULE import`),
    # "expression" (inside brackets), "after" (the nodes after `after`), "statement" (where a statement
    # starts or goes on), "call-end" (after a call's `)` outside brackets: `after`, or the next statement),
    # "test" (where an operand of an `if`'s or `elif`'s test goes), "test-end" (after one: `and`, `or`),
    # "branch-end" (after the `}` of an `if` or `elif` branch: `elif`, `else`, or the next statement)
    kind: str
    target: str = "neutral"  # options: the block's target
    scope: str = "node"  # options: "node" or "workflow"
    prefix: str = ""  # the part of a word typed so far
    after: tuple[str, ...] = ()  # attribute: the dotted words before the dot; import-name: (MODULE,)


@dataclass
class _Open:
    bracket: str
    kind: str  # "options", "entry-node", "entry-workflow", "block", "branch" (of `if` or `elif`), "else", "value"
    target: str = "neutral"


def where(text: str) -> Where:
    """The place of a cursor that stands at the end of `text`."""
    tokens = [(kind, value) for kind, value in _tokens(text)]
    prefix = tokens.pop()[1] if tokens and tokens[-1][0] == "word" and not text[-1:].isspace() else ""
    stack: list[_Open] = []
    closed = ""  # what the last bracket closed, when it is the last token
    for i, (kind, value) in enumerate(tokens):
        closed = ""
        if kind == "punct" and value in _OPENING:
            stack.append(_Open(value, *_opened(tokens[:i], stack, value)))
        elif kind == "punct" and stack and value == _OPENING[stack[-1].bracket]:
            closed = stack.pop().kind
    return _place(tokens, stack, prefix, closed)


def _tokens(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind != "skip":
            found.append((kind, match.group()))
    return found


def _opened(before: list[tuple[str, str]], stack: list[_Open], bracket: str = "{") -> tuple[str, str]:
    """What a `{` (or another bracket) opens, from the tokens before it: (kind, target)."""
    values = [value for _, value in before[-2:]]
    outer = stack[-1] if stack else None
    if values[-1:] == ["options"] or values[-2:-1] == ["options"]:
        return "options", values[-1] if values[-1] != "options" else "neutral"
    if outer is not None and outer.kind == "options" and values[-1:] == [":"]:
        scope = "entry-workflow" if values[0] == "workflow" else "entry-node"
        return scope, outer.target
    if bracket == "{" and (outer is None or outer.kind in _BLOCKS):  # a block: its statements
        if values[-1:] == ["else"]:
            return "else", "neutral"
        if _test_head(before):
            return "branch", "neutral"
        if _loop_head(before) or values[-1:] == ["finally"]:
            return "block", "neutral"
    return "value", "neutral"


def _test_head(before: list[tuple[str, str]]) -> bool:
    """Whether the tokens end inside the head of an `if` or an `elif`, its block not yet opened:
    an `if` or `elif` since the last brace, no statement's word or assignment in between."""
    for i in range(len(before) - 1, -1, -1):
        kind, value = before[i]
        if kind == "word" and value in ("if", "elif"):
            return True
        if value in ("{", "}") or (kind == "word" and value in _STATEMENT_WORDS) or _assigning(before, i):
            return False
    return False


def _assigning(tokens: list[tuple[str, str]], i: int) -> bool:
    """Whether tokens[i] is an assignment's `=`, not a part of `==`, `!=`, `<=`, `>=`."""
    if tokens[i][1] != "=":
        return False
    before = tokens[i - 1][1] if i > 0 else ""
    after = tokens[i + 1][1] if i + 1 < len(tokens) else ""
    return before not in ("=", "!", "<", ">") and after != "="


def _loop_head(before: list[tuple[str, str]]) -> bool:
    """Whether a `{` ends a `for X in VALUE` head: a `for` since the last statement, no `=` in between."""
    for kind, value in reversed(before):
        if kind == "word" and value == "for":
            return True
        if value in ("=", "}") or (kind == "word" and value in ("let", "param", "options", "return")):
            return False
    return False


def _place(tokens: list[tuple[str, str]], stack: list[_Open], prefix: str, closed: str = "") -> Where:
    last = [value for _, value in tokens[-3:]]
    top = stack[-1] if stack else None
    in_block = top is None or top.kind in _BLOCKS
    if top is not None and top.kind in ("entry-node", "entry-workflow"):
        kind = "option-value" if last[-1:] == [":"] else "option-key"
        return Where(kind, top.target, "workflow" if top.kind == "entry-workflow" else "node", prefix)
    if top is not None and top.kind == "options":
        return Where("option-entry", top.target, prefix=prefix)
    module = _importing_from(tokens)
    if module:
        return Where("import-name", prefix=prefix, after=(module,))
    if last[-1:] == ["."] and len(tokens) >= 2 and tokens[-2][0] == "word":
        return Where("attribute", prefix=prefix, after=_dotted(tokens[:-1]))
    if in_block and closed == "branch":
        return Where("branch-end", prefix=prefix)
    if _test_head(tokens) and (in_block or (top is not None and top.bracket == "(")):
        operand_next = last[-1:] in (["if"], ["elif"], ["and"], ["or"], ["not"], ["("], ["<"], [">"], ["="])
        return Where("test" if operand_next else "test-end", prefix=prefix)
    if last[-1:] == ["options"] and in_block:
        return Where("target", prefix=prefix)
    if last[-1:] == [":"] and len(last) == 3 and last[0] == "param":
        return Where("type", prefix=prefix)
    if (last[-1:] == ["after"] or (last[-1:] == [","] and _in_after(tokens))) and in_block:
        return Where("after", prefix=prefix)
    if (top is not None and top.kind == "value") or last[-1:] in (["="], [","], ["in"], ["return"]):
        return Where("expression", prefix=prefix)
    return Where("call-end" if last[-1:] == [")"] else "statement", prefix=prefix)


def _in_after(tokens: list[tuple[str, str]]) -> bool:
    """Whether the tokens end in `after NAME, NAME,`: the names of an `after`."""
    i = len(tokens) - 1
    while i >= 1 and tokens[i][1] == "," and tokens[i - 1][0] == "word":
        i -= 2
    return i >= 0 and tokens[i][1] == "after" and i < len(tokens) - 1


def _importing_from(tokens: list[tuple[str, str]]) -> str:
    """MODULE when the cursor is where `from MODULE import ...` names what it imports, else ""."""
    if not tokens or tokens[-1][1] not in ("import", ","):
        return ""
    i = len(tokens)
    while i > 0 and tokens[i - 1][1] != "import":
        if tokens[i - 1][0] != "word" and tokens[i - 1][1] != ",":
            return ""
        i -= 1
    names = [value not in (",", "as") for _, value in tokens[i:]]  # a name, or what joins names
    if i == 0 or any(a and b for a, b in itertools.pairwise(names)):
        return ""  # two names in a row: a statement after the import
    words = _dotted(tokens[:i - 1])
    first = i - 1 - (2 * len(words) - 1)
    return ".".join(words) if words and first > 0 and tokens[first - 1][1] == "from" else ""


def _dotted(tokens: list[tuple[str, str]]) -> tuple[str, ...]:
    """The dotted name ending the tokens: `ops.nested` of `x = ops.nested`."""
    words: list[str] = []
    while tokens and tokens[-1][0] == "word":
        words.insert(0, tokens[-1][1])
        if len(tokens) >= 2 and tokens[-2][1] == ".":
            tokens = tokens[:-2]
        else:
            break
    return tuple(words)
