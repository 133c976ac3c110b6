"""The fast parser (lalr.py + parser._Builder) against lark's own LALR parser.

The reference is what fusec did before lalr.py existed: lark's standard parser
with the inline transformer below (kept verbatim from that parser.py) and the
same error recovery. On every input of a corpus (examples/, tests/golden/,
tests/invalid/, the snippets here, generated workflows and random mutations of
all of them), both must give the same tree, or the same syntax errors with the
same messages and positions. A second part holds LalrParser to lark's tree
shaping on a grammar with what fuse.lark does not use (`?rule`, filtered
tokens, aliases, templates, case-insensitive keywords).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from fuseflow import ir
from fuseflow.compiler import limits, parser, strings
from fuseflow.compiler import nodes as n
from fuseflow.compiler.errors import CompileError, Diagnostics
from fuseflow.compiler.lalr import LalrParser
from fuseflow.compiler.nodes import Span

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> Any:
    """bench/compile.py, for its generated workflows (by path: bench/ is not a package,
    and putting it on sys.path would let bench/ray.py hide the real ray)."""
    spec = importlib.util.spec_from_file_location("fuseflow_bench_compile", ROOT / "bench" / "compile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


# --- the reference: lark's parser and the transformer fusec used before lalr.py -------


def _span(children: list) -> Span:
    parts = [c for c in children if c is not None]
    return _span_of(parts[0]).to(_span_of(parts[-1]))


def _span_of(child: Any) -> Span:
    if isinstance(child, Token):
        return Span.of_token(child)
    if isinstance(child, tuple):
        return child[1]
    return child.span


def _significant(children: list) -> list:
    return [c for c in children if c is not None and not (isinstance(c, Token) and not _is_value_token(c))]


def _is_value_token(token: Token) -> bool:
    return token.type in ("NAME", "STRING", "INT", "FLOAT", "TRUE", "FALSE", "NONE", "WORKFLOW")


class ReferenceBuilder(Transformer):
    diags: Diagnostics

    def start(self, c):
        return c

    def workflow_stmt(self, c):
        return n.WorkflowStmt(str(c[1]), _span(c))

    def dotted_name(self, c):
        names = [str(t) for t in c if t.type != "DOT"]
        return (".".join(names), _span(c))

    def import_name(self, c):
        names = [str(t) for t in c if t.type != "AS"]
        return n.ImportName(names[0], names[-1], _span(c))

    def from_import(self, c):
        names = tuple(x for x in c if isinstance(x, n.ImportName))
        return n.FromImport(c[1][0], names, _span(c))

    def import_module(self, c):
        return n.ImportModule(c[1][0], str(c[3]), _span(c))

    def param_stmt(self, c):
        default = c[5] if len(c) > 5 else None
        return n.ParamStmt(str(c[1]), str(c[3]), Span.of_token(c[3]), default, _span(c))

    def let_stmt(self, c):
        return n.LetStmt(str(c[1]), c[3], _span(c))

    def assign_stmt(self, c):
        after = c[3][0] if c[3] is not None else ()
        return n.AssignStmt(str(c[0]), c[2], _span(c), Span.of_token(c[0]), after)

    def call_stmt(self, c):
        after = c[1][0] if c[1] is not None else ()
        return n.CallStmt(c[0], _span(c), after)

    def after(self, c):
        return (tuple(n.AfterName(str(t), Span.of_token(t)) for t in c if t.type == "NAME"), _span(c))

    def use_stmt(self, c):
        return n.UseStmt(self._string(c[1]), str(c[3]), _span(c), Span.of_token(c[1]))

    def finally_stmt(self, c):
        return n.FinallyStmt(c[-1][0], _span(c))

    def for_stmt(self, c):
        names = tuple(str(t) for t in c if isinstance(t, Token) and t.type == "NAME")
        iterable, block = c[-2], c[-1]
        return n.ForStmt(names, iterable, block[0], _span(c))

    def block(self, c):
        return (tuple(x for x in c if not isinstance(x, Token)), _span(c))

    def if_stmt(self, c):
        first = n.IfBranch(c[1], c[2][0], _span(c[:3]), Span.of_token(c[0]))
        branches = (first, *(x for x in c[3:] if isinstance(x, n.IfBranch)))
        return n.IfStmt(branches, first.span.to(branches[-1].span))

    def elif_part(self, c):
        return n.IfBranch(c[1], c[2][0], _span(c), Span.of_token(c[0]))

    def else_part(self, c):
        return n.IfBranch(None, c[1][0], _span(c), Span.of_token(c[0]))

    def or_test(self, c):
        items = tuple(x for x in c if not isinstance(x, Token))
        return n.BoolOp("or", items, _span(c))

    def and_test(self, c):
        items = tuple(x for x in c if not isinstance(x, Token))
        return n.BoolOp("and", items, _span(c))

    def not_test(self, c):
        return n.NotTest(c[1], _span(c))

    def comparison(self, c):
        return n.Compare(str(c[1]), c[0], c[2], _span([c[0], c[2]]), Span.of_token(c[1]))

    def operand(self, c):
        return dataclasses.replace(c[1], span=_span(c))

    def options_stmt(self, c):
        target = c[1]
        entries = tuple(x for x in c if isinstance(x, n.OptionEntry))
        target_span = Span.of_token(target) if target is not None else Span.of_token(c[0])
        return n.OptionsStmt(str(target) if target is not None else "neutral", entries, _span(c), target_span)

    def option_entry(self, c):
        key, body = c[0], c[2]
        pattern = None if key.type == "WORKFLOW" else self._string(key)
        return n.OptionEntry(pattern, body[0], _span(c), Span.of_token(key))

    def option_body(self, c):
        return (tuple(x for x in c if isinstance(x, n.OptionItem)), _span(c))

    def option_item(self, c):
        return n.OptionItem(str(c[0]), c[2], _span(c), Span.of_token(c[0]))

    def storage_stmt(self, c):
        return n.StorageStmt(self._string(c[1]), _span(c))

    def return_stmt(self, c):
        names = tuple(n.ReturnName(str(t), Span.of_token(t)) for t in c if t.type == "NAME")
        return n.ReturnStmt(names, _span(c))

    def call(self, c):
        callee = c[0]
        parts = _significant(c[1:])
        args = tuple(p for p in parts if not isinstance(p, n.Keyword))
        kwargs = tuple(p for p in parts if isinstance(p, n.Keyword))
        return n.Call(tuple(callee[0].split(".")), args, kwargs, _span(c), callee[1])

    def callee(self, c):
        return self.dotted_name(c)

    def argument(self, c):
        return c[0]

    def keyword_argument(self, c):
        return n.Keyword(str(c[0]), c[2], _span(c))

    def reference(self, c):
        attrs = []
        while len(c) > 2 * len(attrs) + 2 and isinstance(c[2 * len(attrs) + 1], Token) \
                and c[2 * len(attrs) + 1].type == "DOT":
            attrs.append(c[2 * len(attrs) + 2])
        rest = c[1 + 2 * len(attrs):]
        indexes = tuple(x for x in rest if not isinstance(x, Token) or _is_value_token(x))
        name_span = _span([c[0], *attrs]) if attrs else Span.of_token(c[0])
        return n.Ref(str(c[0]), indexes, _span(c), name_span, tuple(str(a) for a in attrs))

    def list(self, c):
        return n.ListExpr(tuple(_significant(c)), _span(c))

    def dict(self, c):
        return n.DictExpr(tuple(_significant(c)), _span(c))

    def pair(self, c):
        return (self._string(c[0]), c[2])

    def literal(self, c):
        token = c[0]
        kind = token.type
        if kind == "STRING":
            value: Any = self._string(token)
        elif kind == "INT":
            value = self._within_limits(limits.integer, token)
        elif kind == "FLOAT":
            value = self._within_limits(limits.floating, token)
        else:
            value = {"TRUE": True, "FALSE": False, "NONE": None}[kind]
        return n.Literal(value, Span.of_token(token))

    def _within_limits(self, value_of, token: Token):
        try:
            return value_of(str(token))
        except limits.LimitError as exc:
            self.diags.error(Span.of_token(token), exc.message, exc.hint)
            return 0

    def _string(self, token: Token) -> str:
        try:
            return strings.decode(str(token)[1:-1])
        except strings.BadEscape as exc:
            self.diags.error(Span.of_token(token), f"invalid escape in string: {exc}")
            return str(token)[1:-1]


@functools.lru_cache(maxsize=1)
def reference_lark() -> Lark:
    grammar = resources.files("fuseflow.grammar").joinpath("fuse.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=ReferenceBuilder(),
                keep_all_tokens=True, maybe_placeholders=True)


def reference_parse(source: str, path: str = "<string>") -> n.Module:
    """parser.parse with lark's parser and the transformer, through the same recovery."""
    diags = Diagnostics()

    def lark_parse(text: str, diags: Diagnostics) -> list:
        reference_lark().options.transformer.diags = diags
        return reference_lark().parse(text)

    parser._check_nesting(source, diags)
    statements = parser._parse_recovering(source, diags, lark_parse)
    if diags.errors:
        raise CompileError(path, source, diags.items)
    return n.Module(path=path, statements=tuple(statements))


def outcome(parse, text: str) -> str:
    """The tree, or the syntax errors, as text: repr tells 1 from 1.0 and True, == does not."""
    try:
        return repr(parse(text, "t.fuse"))
    except CompileError as exc:
        return "\n".join(repr(d) for d in exc.diagnostics)


# --- the corpus -------------------------------------------------------------------

SNIPPETS = [
    "",
    "# only a comment",
    "workflow w",
    "from a.b.c import f, g as h, k\nimport numpy.linalg as la\nimport os as o",
    "param n: int = 3\nparam s: str\nparam x: float = -1.5e3\nparam f: float = .5\nparam e: float = 2E-2",
    'let xs = [1, +2, -3, 4.0, "a", \'b\', true, false, none, [], {}, [1,], {"k": 1,}]',
    'let d = {"a": {"b": [1, {"c": none}]}, \'q\': "x\\ty\\n\\"z\\u00e9"}',
    "x = f()\ny = mod.sub.f(x, 1, k=x[0][\"a\"], j=[x, 2], m={\"k\": x})\nf(y)\nmod.g(y,)\nz = y.method()",
    "for a in [1, 2] {\n  for k, v in {\"x\": 1} {\n    n = f(a, k, v)\n  }\n}\nfor i in xs {}",
    'options {\n  "n.*": { retries: 2, timeout: "5m", },\n  workflow: { seed: 1 }\n}\noptions ray { }\noptions {}',
    'storage "file:out"\nreturn a, b, c',
    "x=f(a,b=c)y=g(x)",  # layout is free
    "x = f()\ny = g(1) after x\nh(y) after x, y\nz = x after y\nfor i in [1] {\n  w = g(i) after z\n}",
    "y = g() after\nz = g() after x,\nw = g() after x y\nafter = f()\nx = f(after)\nv = h after",
    "x = f(in)\nin = f(1)\nx = f(as, from, import, param, let, options, storage)",  # keywords are not names
    "workflow = f()\nx = f(workflow)\nreturn workflow",
    "from m import let\nfrom m import f, for as g\nlet true = 1\nparam none: int\nx = f(k=in)\nfor in in [1] {}",
    # ... except where a word names nothing of the file's
    "workflow storage\nfrom google.cloud import storage as gcs, options as o\nimport a.for.in as m\n"
    "x = m.options.param(options=1, in=true, workflow=none, storage=[1])\nx.let()",
    "x = f(truex, nonex, false_, trueish)\nlet t = true\nlet n = none",
    "x = f(1.5, 1., -.5, +1e5, 12, -0, 007)",
    "x = f('it''s')\ny = f(\"a#b\") # comment with \"quotes\"",
    "x = f(\"\\x4\")\ny = f('\\N{NOPE}')",  # malformed escapes
    "x = f(\"caf\u00e9\", '\u2603')",
    "let s = \"a\rb\"",
    "x = f(1)\r\ny = g(x)\r\n",
    "\tx\t=\tf(1)\f\n",
    # syntax errors
    "x = f(1",
    "x = f(1\ny = g(2)",
    "x = f(1))",
    "x = \"unterminated\ny = f(1)",
    "x = f(@)\ny = f($)\nz = f(%)",
    "workflow\nx = f(1)",
    "for x in [1] {\n  y = f(x)\n",
    "for x in [1] {\n  y = f(x\n}",
    "options { \"a\": { retries 1 } }",
    "param : int",
    "x = = f()",
    "x = f(a=1, 2)\nreturn",
    "from import x\nimport a\nlet = 3",
    "x = f(1)\n\n# c\n\ny = ",
    "return a,",
    "x = f[1](2)",
    "}",
    "{",
    "x = f(1) y",
    "x = [1 2]\ny = {\"a\" 1}\nz = {1: 2}",
    "storage 3\nworkflow 1\nparam p: int = ",
    "x = f(1)\n" * 3 + "y = (\n" + "z = f(2)\n" * 3 + "w = )\n",
    "".join(f"x{i} = f(\n" for i in range(25)),
    "".join(f"x{i} = f(1 2)\n" for i in range(25)),  # more errors than the recovery reports
    "x = f(\"\\x4\")\ny = g(1",  # a string error before a syntax error
    "x = f(1,\n  2))\ny = g(1 2)",  # blanking line 2 keeps the ')' that closes line 1's '('
    "x = f(k=\n  @)\ny = g(1 2)",  # ... which cannot come there: recovery stops
    "for x in [1] {\n  y = f(x) ) }\nz = g(1 2)\nw = [",
    "options {\n  \"a\": { retries: 1 }\n  x = f(1)\n}",
    # conditions
    "if a >= 1 and not (b or c == \"x\") { y = f(a) } elif a[0] { y = g() } else { y = h() }",
    "if f(x) > 1 { z = f(1) }\nif not not a { }\nif (a) { }",
    "if a == { }", "if a < b < c { }", "x = a * 2", "x = f(a == 1)", "if a { } else", "elif a { }",
    "if a and { }", "x = f(1) or g(2)",
]


def corpus_files() -> list[Path]:
    files = sorted((ROOT / "examples").glob("*.fuse"))
    files += sorted((ROOT / "tests" / "golden").glob("*/input.fuse"))
    files += sorted((ROOT / "tests" / "invalid").glob("*.fuse"))
    return files


def corpus() -> list[tuple[str, str]]:
    cases = [(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in corpus_files()]
    cases += [(f"snippet {i}", text) for i, text in enumerate(SNIPPETS)]
    cases += [("fanout 60", bench.fanout(60)), ("explicit 60", bench.explicit(60))]
    return cases


CORPUS = corpus()


def test_the_corpus_holds_the_project_files():
    assert any(name.startswith("examples/") for name, _ in CORPUS)
    assert len(CORPUS) > len(SNIPPETS) + 2


@pytest.mark.parametrize("name,text", CORPUS, ids=[name for name, _ in CORPUS])
def test_same_tree_or_same_errors_as_lark(name: str, text: str):
    assert outcome(parser.parse, text) == outcome(reference_parse, text)


def mutations(text: str, rng: random.Random, count: int) -> list[str]:
    """Small random edits: the kind of mistake a person makes, and some they do not."""
    pieces = ["(", ")", "[", "]", "{", "}", ",", "=", ":", ".", '"', "'", "#", "\n", " ", "x", "1", "-", "@",
              "for ", "in ", "options ", "workflow ", "return ", "true", "1.5", '"s"']
    out = []
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(chars) + 1)
            kind = rng.random()
            if kind < 0.4 and pos < len(chars):
                del chars[pos]
            elif kind < 0.8:
                chars.insert(pos, rng.choice(pieces))
            elif pos < len(chars):
                chars[pos] = rng.choice(pieces)
        out.append("".join(chars))
    return out


def fuzz_cases() -> list[tuple[str, str]]:
    rng = random.Random(20260525)
    seeds = [text for _, text in CORPUS if 0 < len(text) < 4000]
    return [(f"mutation {i}", m) for i, m in enumerate(m for text in seeds for m in mutations(text, rng, 6))]


def test_same_result_as_lark_on_random_edits():
    different = [(name, text) for name, text in fuzz_cases()
                 if outcome(parser.parse, text) != outcome(reference_parse, text)]
    assert not different, f"{len(different)} edits parse differently, e.g. {different[0][1]!r}"


def test_first_syntax_error_is_lark_s_own():
    """The exception itself, not only the message made from it: type, token, expected, accepts."""
    fast = parser._parser()
    compared = 0
    for _, text in CORPUS + fuzz_cases():
        try:
            reference_lark().options.transformer.diags = Diagnostics()
            reference_lark().parse(text)
            continue
        except UnexpectedInput as exc:
            expected = exc
        with pytest.raises(UnexpectedInput) as caught:
            fast.parse(text, parser._Builder(Diagnostics()))
        assert _exception_facts(caught.value) == _exception_facts(expected), text
        compared += 1
    assert compared > 50


def _exception_facts(exc: UnexpectedInput) -> tuple:
    token = getattr(exc, "token", None)
    token_facts = None if token is None else (
        token.type, str(token), token.start_pos, token.line, token.column,
        token.end_line, token.end_column, token.end_pos)
    return (type(exc).__name__, exc.line, exc.column, exc.pos_in_stream, token_facts,
            sorted(getattr(exc, "allowed", None) or ()), sorted(getattr(exc, "expected", None) or ()),
            sorted(getattr(exc, "accepts", None) or ()))


def test_every_syntax_error_of_a_file_is_reported():
    text = "x = f(1\ny = g(2)\nz = h(\nw = k(4)\nv = [1 2]\n"
    lines = [d.span.line for d in _errors(parser.parse, text)]
    assert lines == [d.span.line for d in _errors(reference_parse, text)]
    assert lines[:2] == [1, 3] and lines[-1] == 5


def _errors(parse, text: str) -> list:
    with pytest.raises(CompileError) as caught:
        parse(text, "t.fuse")
    return caught.value.diagnostics


# --- tree shaping on a grammar with everything fuse.lark does not use -------------

SHAPES_GRAMMAR = r"""
start: _item*
_item: pair | group | maybe | pick | SELECT | spaced
?expr: atom | atom "+" expr -> plus
atom: NUMBER | WORD | "(" expr ")"
pair: WORD "=" expr ";"
group: "[" _items{atom, ","} "]"
_items{x, sep}: x (sep x)*
maybe: "?" [WORD] [NUMBER "!"] ";"
pick: "pick" WORD ("," WORD)* ";"
!spaced: "<" WORD ">"
SELECT: "select"i
WORD: /[a-z_]+/
NUMBER: /\d+/
COMMENT: /#[^\n]*/
%ignore COMMENT
%ignore /\s+/
"""

SHAPES_INPUTS = [
    "a = 1; b = 1 + 2 + x; c = (1 + (2));",
    "[1, x, (2 + 3)] [y]",
    "? ; ? a ; ? 3 ! ; ? a 3 ! ;",
    "pick a, b, c; SELECT select Select",
    "<x> # comment\n<y>",
    "",
    "a = ;", "[1,];", "? 3 ;", "pick;", "<x", "a = 1 b", "%",
]


class Recorder:
    """Records each rule's children: tokens as tuples, so both parsers' outputs compare."""

    def __getattr__(self, name: str):
        if name.startswith("_") or name.isupper():
            raise AttributeError(name)  # lark's default for `_rule`s; no terminal callbacks, no dunders
        return lambda children: (name, tuple(_plain(c) for c in children))


def _plain(value: Any) -> Any:
    if isinstance(value, Token):
        return (value.type, str(value), value.start_pos, value.line, value.column, value.end_line, value.end_column,
                value.end_pos)
    return value


class RecordingTransformer(Transformer):
    def __default__(self, data, children, meta):
        if data.startswith("_"):  # lark splices the children of the Tree it gets
            return super().__default__(data, children, meta)
        return (str(data), tuple(_plain(c) for c in children))


@pytest.mark.parametrize("maybe_placeholders", [True, False])
@pytest.mark.parametrize("keep_all_tokens", [True, False])
def test_tree_shaping_matches_lark(maybe_placeholders: bool, keep_all_tokens: bool):
    options = dict(parser="lalr", lexer="contextual", maybe_placeholders=maybe_placeholders,
                   keep_all_tokens=keep_all_tokens)
    fast = LalrParser(Lark(SHAPES_GRAMMAR, **options))
    reference = Lark(SHAPES_GRAMMAR, transformer=Recorder(), **options)
    for text in SHAPES_INPUTS:
        assert _shaped(lambda t: fast.parse(t, Recorder()), text) == _shaped(reference.parse, text), text


def test_tree_shaping_matches_lark_with_a_default_handler():
    options = dict(parser="lalr", lexer="contextual", maybe_placeholders=True)
    fast = LalrParser(Lark(SHAPES_GRAMMAR, **options))
    reference = Lark(SHAPES_GRAMMAR, transformer=RecordingTransformer(), **options)
    for text in SHAPES_INPUTS:
        assert _shaped(lambda t: fast.parse(t, RecordingTransformer()), text) == _shaped(reference.parse, text), text


def _shaped(parse, text: str) -> Any:
    try:
        return parse(text)
    except UnexpectedInput as exc:
        return _exception_facts(exc)


# --- lowering's fast paths give what the general way gives ----------------------------

FAMILY_HEAD = """from ops import f, g, Obj
let A = ["a", "b", "c"]
let B = {"x": 1, "y": 2}
let N = [1, 2, 3]
"""
FAMILY_BODIES = [
    'for a in A { x = f(a) }\ny = g(x)\nz = g(x["a"])\nw = g(x["q"])',
    'for a in A { for k, v in B { x = f(a, v) }\n p = g(x)\n q = g(x["x"])\n r = g(x["zz"]) }\nt = g(x)\n'
    'u = g(x["b"])\nv = g(x["b"]["y"])\nw = g(x["b"]["y"][0]["k"])\nbad = g(x["b"]["nope"])',
    "for a in A { x = f(a) }\nfor a in A { y = g(x[a])\n z = g(x[a][0])\n w = g(x) }",
    'for i in N { x = f(i) }\nfor i in N { y = g(x[i], x[1], x["2"], x[7]) }',
    'y = g(x["a"])\nfor a in A { x = f(a) }',
    "for a in A { y = g(x)\n x = f(a) }",
    "for a in A { for b in N { x = f(a, b) } }\nfor a in A { y = g(x[a])\n z = g(x[a][2])\n zz = g(x[a][9]) }",
    "for a in A { for b in N { x = f(a, b) }\n for c in N { y = g(x[c], x) } }",
    "for a in A { x = f(a) }\nfor a in [] { y = g(x[a]) }\nz = g(x[[1]])\nzz = g(x[true])",
    'for a in A { o = Obj(a)\n o.m(1) }\ny = g(o["a"])',
    'x = f(1)\ny = g(x[0]["k"])',
    'o = Obj(1)\no.m(2)\ny = g(o, [o, 1], {"k": o})\nfor a in A { p = Obj(a)\n p.m(1)\n q = g(p) }\n'
    'z = g(p)\nw = g(p["a"])\nv = g(o)',
    'for a in A { for b in N { p = Obj(a, b)\n p.m(1) } }\nz = g(p)\nw = g(p["b"])\nu = g(p["b"][2])',
]


def _lowered(text: str) -> tuple[str, str, str]:
    from fuseflow.compiler.lower import Lowering

    lowering = Lowering(Diagnostics(), {})
    lowering.run(parser.parse(text).statements)
    return repr(list(lowering.nodes.values())), repr(lowering.diags.items), repr(lowering.data_uses)


def _family_by_scan(symbol, pattern: tuple) -> ir.Family:
    """Lowering.family as it was before symbol.tree: a scan of all members per level."""
    def build(prefix: tuple, depth: int) -> ir.Value:
        if depth == len(pattern):
            return ir.Ref(symbol.members[prefix])
        if pattern[depth] is not None:
            return build(prefix + (pattern[depth],), depth + 1)
        keys = list(dict.fromkeys(k[depth] for k in symbol.members if k[:len(prefix)] == prefix))
        return ir.Family(symbol.name, tuple((key, build(prefix + (key,), depth + 1)) for key in keys))

    value = build((), 0)
    return value if type(value) is ir.Family else ir.Family(symbol.name, ())


@pytest.mark.parametrize("body", FAMILY_BODIES)
def test_indexing_a_family_without_building_it_gives_the_same(body: str, monkeypatch: pytest.MonkeyPatch):
    from fuseflow.compiler.lower import Lowering

    fast = _lowered(FAMILY_HEAD + body)
    monkeypatch.setattr(Lowering, "pick_members", lambda self, symbol, path, ref: None)  # the general way only
    assert fast == _lowered(FAMILY_HEAD + body)


@pytest.mark.parametrize("body", FAMILY_BODIES)
def test_families_from_the_tree_are_the_scanned_ones(body: str, monkeypatch: pytest.MonkeyPatch):
    from fuseflow.compiler.lower import Lowering

    compared = []
    tree_family = Lowering.family

    def both(self, symbol, pattern):
        value = tree_family(self, symbol, pattern)
        compared.append(value == _family_by_scan(symbol, pattern))
        return value

    monkeypatch.setattr(Lowering, "family", both)
    monkeypatch.setattr(Lowering, "pick_members", lambda self, symbol, path, ref: None)  # every use builds one
    _lowered(FAMILY_HEAD + body)
    assert all(compared)
    if "for a in A { x = f(a) }\ny = g(x)" in body or "p = g(x)" in body:
        assert len(compared) >= 2
