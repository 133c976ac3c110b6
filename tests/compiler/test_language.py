"""The language's rules that golden files show only by example, the reference
doc kept in step with the grammar, and what syntax errors say and where."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler import errors
from fuseflow.compiler.constants import PARAM_TYPES, loop_key
from fuseflow.compiler.errors import CompileError, Diagnostic
from fuseflow.compiler.frontend import compile_source
from fuseflow.compiler.nodes import Span
from fuseflow.targets import known_targets

ROOT = Path(__file__).resolve().parent.parent.parent
GRAMMAR = ROOT / "fuseflow/grammar/fuse.lark"
LANGUAGE_DOC = ROOT / "docs/language.md"
IR_DOC = ROOT / "docs/ir.md"


def compile_ok(text: str, **defines: str):
    workflow, warnings_ = compile_source(text, "t.fuse", defines)
    return workflow


def compile_errors(text: str, **defines: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as info:
        compile_source(text, "t.fuse", defines)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def names(workflow) -> list[str]:
    return [node.name for node in workflow.nodes]


# --- docs/language.md in step with the grammar ------------------------------------------


def grammar_keywords() -> set[str]:
    """Every word the grammar spells out: statement keywords, `as`, `in`, literal words."""
    text = GRAMMAR.read_text()
    quoted = set(re.findall(r'"([a-z]+)"', text))
    return quoted


def doc_code() -> str:
    """The text of every code span and code block of docs/language.md."""
    doc = LANGUAGE_DOC.read_text()
    blocks = re.findall(r"```[a-z-]*\n(.*?)```", doc, re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", doc, flags=re.S))
    return "\n".join(blocks + spans)


def test_grammar_keywords_are_found():
    assert {"workflow", "from", "import", "as", "param", "let", "for", "in", "options", "storage",
            "return", "true", "false", "none"} <= grammar_keywords()


@pytest.mark.parametrize("keyword", sorted(grammar_keywords()))
def test_every_grammar_keyword_is_documented(keyword: str):
    assert re.search(rf"\b{keyword}\b", doc_code()), f"docs/language.md never shows `{keyword}` in code"


def statement_rules() -> list[str]:
    """The alternatives of the grammar's `_statement` rule."""
    body = re.search(r"^_statement:(.*?)\n\s*\n", GRAMMAR.read_text(), re.S | re.M).group(1)
    return re.findall(r"\w+", body)


def test_statement_rules_are_found():
    assert {"workflow_stmt", "from_import", "for_stmt", "return_stmt"} <= set(statement_rules())


@pytest.mark.parametrize("rule", statement_rules())
def test_every_statement_rule_has_a_section(rule: str):
    """Each statement of `_statement` has a `### ` section whose heading shows its keyword."""
    keyword = {"from_import": "from", "import_module": "import", "assign_stmt": "=", "call_stmt": "bare call"}.get(
        rule, rule.removesuffix("_stmt"))
    headings = re.findall(r"^### (.*)$", LANGUAGE_DOC.read_text(), re.M)
    assert any(keyword in heading for heading in headings), f"no `### ` heading for {rule} ({keyword!r})"


def test_param_types_and_targets_are_documented():
    code = doc_code()
    for word in PARAM_TYPES + ("ray", "prefect", "kfp", "neutral"):
        assert re.search(rf"\b{word}\b", code), word
    assert "docs/options.md" in LANGUAGE_DOC.read_text() or "options.md" in LANGUAGE_DOC.read_text()


def test_ir_doc_example_is_current(in_root: Path):
    """docs/ir.md shows the IR of tests/golden/arith verbatim."""
    golden = (ROOT / "tests/golden/arith/ir.json").read_text()
    assert golden in IR_DOC.read_text()


# --- names --------------------------------------------------------------------------------


def test_loop_keys():
    assert loop_key("moons", 0) == "moons"
    assert loop_key(12, 3) == "12"
    assert loop_key(-1, 3) == "-1"
    assert loop_key(True, 0) == "true" and loop_key(None, 0) == "none"
    assert loop_key("a.b c/d", 0) == "a_b_c_d"
    assert loop_key("ok-1_x", 0) == "ok-1_x"
    assert loop_key(2.5, 4) == "4"
    assert loop_key([1], 5) == "5" and loop_key({"k": 1}, 6) == "6" and loop_key("", 7) == "7"


def test_generated_names_skip_every_declared_name():
    workflow = compile_ok(
        "from m import log, log_1\nparam step_1: int = 1\nlet log_3 = 0\n"
        "log()\nstep = log_1()\nstep.go()\nlog()\nlog()\nfor log_4 in [1] { x = log_1() }\n"
    )
    assert names(workflow) == ["log_2", "step", "step_go_1", "log_5", "log_6", "x.1"]


def test_generated_names_do_not_move_when_unrelated_lines_change():
    before = compile_ok("from m import f, g\nf()\ng()\nf()\n")
    after = compile_ok("from m import f, g\nf()\nx = g()\ng()\ng()\nf()\n")
    assert names(before) == ["f_1", "g_1", "f_2"]
    assert [n for n in names(after) if n.startswith("f_")] == ["f_1", "f_2"]


def test_node_names_are_stable_under_reordering_of_unrelated_statements():
    a = compile_ok("from m import f, g\nfor d in ['x', 'y'] {\n a = f(d)\n}\nb = g()\n")
    b = compile_ok("from m import f, g\nb = g()\nfor d in ['x', 'y'] {\n a = f(d)\n}\n")
    assert sorted(names(a)) == sorted(names(b)) == ["a.x", "a.y", "b"]


# --- loops and families ---------------------------------------------------------------------


def test_a_name_inside_its_loop_is_the_current_iteration():
    workflow = compile_ok("from m import f, g\nfor d in ['x', 'y'] {\n a = f(d)\n b = g(a)\n}\n")
    assert workflow.node("b.y").args == (ir.Ref("a.y"),)


def test_separate_loops_over_the_same_items_do_not_pair_up():
    """A second loop sees the first loop's node as a family, whatever it iterates over."""
    workflow = compile_ok("from m import f, g\nlet ds = ['x', 'y']\nfor d in ds {\n a = f(d)\n}\n"
                          "for d in ds {\n b = g(a, d)\n}\n")
    assert workflow.node("b.x").args[0].name == "a" and type(workflow.node("b.x").args[0]) is ir.Family


def test_a_family_indexed_by_key_is_one_member():
    workflow = compile_ok("from m import f, g\nfor i in [1, 2] {\n a = f(i)\n}\nb = g(a[2], a['1'])\n")
    assert workflow.node("b").args == (ir.Ref("a.2"), ir.Ref("a.1"))


def test_loop_over_a_dict_with_one_variable_takes_its_keys():
    workflow = compile_ok("from m import f\nfor k in {'p': 1, 'q': 2} {\n a = f(k)\n}\n")
    assert [node.args for node in workflow.nodes] == [(ir.Literal("p"),), (ir.Literal("q"),)]


def test_an_error_inside_a_loop_is_reported_once():
    items = ", ".join(str(i) for i in range(50))
    problems = compile_errors(f"from m import f\nfor i in [{items}] {{\n for j in [1, 2] {{\n"
                              "  x = f(nope)\n }\n}\n")
    assert [d.message for d in problems] == ["undefined name 'nope'"]


# --- constants and -D -----------------------------------------------------------------------


@pytest.mark.parametrize("let, define, expected", [
    ("3", "5", 5),
    ("2.5", "3", 3.0),
    ('"a"', "plain text", "plain text"),
    ('"a"', '"quoted"', '"quoted"'),
    ("[1]", "[1, 2]", [1, 2]),
    ('{"k": 1}', '{"k": 2}', {"k": 2}),
    ("true", "false", False),
    ("none", "7", 7),
])
def test_define_values_take_the_type_of_the_let(let: str, define: str, expected):
    workflow = compile_ok(f"from m import f\nlet c = {let}\nx = f(c)\n", c=define)
    assert workflow.node("x").args == (ir.Literal(expected),)
    assert type(workflow.node("x").args[0].value) is type(expected)


def test_define_of_an_unknown_constant_is_an_error_without_position():
    (problem,) = compile_errors("from m import f\nlet c = 1\nx = f(c)\n", d="2")
    assert problem.span is None and problem.message == "-D d: there is no `let d` in this file"


# --- options --------------------------------------------------------------------------------


def test_options_regex_is_a_full_match_and_later_entries_win_key_by_key():
    # `[.]` rather than `\\.`: see test_unknown_escape_keeps_its_backslash_whatever_the_warning_filters
    text = ("from m import f\nfor d in ['a', 'b'] {\n model = f(d)\n}\nmodel_x = f(1)\n"
            'options {\n "model": { retries: 9 }\n "model[.].*": { retries: 1, cpus: 2 }\n'
            ' "model[.]b": { retries: 3 }\n ".*x": { cache: false }\n}\n'
            'options ray { "model[.]a": { num_cpus: 4 } }\n')
    workflow, diagnostics = compile_source(text, "t.fuse")
    assert [d.message for d in diagnostics] == ['query "model" matches no node']
    assert workflow.node("model.a").options == {"neutral": {"cpus": 2, "retries": 1}, "ray": {"num_cpus": 4}}
    assert workflow.node("model.b").options == {"neutral": {"cpus": 2, "retries": 3}}
    assert workflow.node("model_x").options == {"neutral": {"cache": False}}


def test_workflow_entries_merge_per_target_later_wins():
    workflow = compile_ok("from m import f\nx = f()\noptions ray { workflow: { max_pending: 1 } }\n"
                          'options prefect { workflow: { log_prints: true } }\n'
                          "options ray { workflow: { max_pending: 2, address: \"auto\" } }\n")
    assert workflow.workflow_options == {"prefect": {"log_prints": True},
                                         "ray": {"address": "auto", "max_pending": 2}}


# --- outputs --------------------------------------------------------------------------------


def test_without_return_outputs_are_unconsumed_nodes_in_order():
    workflow = compile_ok("from m import f, g, C\na = f()\nb = g(a)\nc = C()\nc.run(b)\nd = g(a)\n")
    assert [o.name for o in workflow.outputs] == ["c_run_1", "d"]


def test_return_keeps_its_order():
    workflow = compile_ok("from m import f\na = f()\nb = f()\nreturn b, a\n")
    assert [o.name for o in workflow.outputs] == ["b", "a"]


def test_workflow_name_defaults_to_the_file_stem():
    workflow, _ = compile_source("from m import f\nx = f()\n", "some/dir/my-flow.v2.fuse")
    assert workflow.name == "my_flow_v2"


# --- diagnostics ------------------------------------------------------------------------------


def test_compile_error_lists_problems_in_position_order():
    problems = compile_errors("from m import f\nb = f(zz)\na = g()\nb = f()\n")
    assert [(d.span.line, d.span.col) for d in problems] == [(2, 7), (3, 5), (4, 1)]


def test_render_caret_tabs_long_spans_and_no_span():
    source = "x = 1\n\ty = f(a,\n  b)\n"
    diags = [
        Diagnostic("error", "tab", Span(2, 2, 2, 3), "hint"),
        Diagnostic("warning", "two lines", Span(2, 6, 3, 4)),
        Diagnostic("error", "somewhere", None),
        Diagnostic("error", "past the end", Span(9, 1, 9, 2), "a hint"),
    ]
    assert errors.render("p.fuse", source, diags) == (
        "p.fuse:2:2: error: tab\n"
        "  2 |  y = f(a,\n"
        "    |  ^ hint\n"
        "p.fuse:2:6: warning: two lines\n"
        "  2 |  y = f(a,\n"
        "    |      ^^^^\n"
        "p.fuse: error: somewhere\n"
        "p.fuse:9:1: error: past the end\n"
        "    a hint\n"
    )


def test_summary():
    error = Diagnostic("error", "e", None)
    warning = Diagnostic("warning", "w", None)
    assert errors.summary([error]) == "fusec: 1 error"
    assert errors.summary([error, error, warning]) == "fusec: 2 errors, 1 warning"
    assert errors.summary([warning, warning]) == "fusec: 2 warnings"


def test_suggest():
    assert errors.suggest("trian", ["train", "score"]) == "train"
    assert errors.suggest("zzz", ["train", "score"]) is None


def test_known_targets_include_ir():
    assert "ir" in known_targets()


# --- known parser bugs (fuseflow/compiler/parser.py is owned by another engineer) ----------------


def test_unknown_escape_keeps_its_backslash_whatever_the_warning_filters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        workflow = compile_ok('from m import f\nx = f("model\\..*")\n')
    assert workflow.node("x").args == (ir.Literal("model\\..*"),)


@pytest.mark.parametrize("source, value", [
    (r'"a\nb"', "a\nb"), (r'"tab\there"', "tab\there"), (r'"q\"q"', 'q"q'), (r"'s\'s'", "s's"),
    (r'"\x41\u00e9\U0001F600"', "A\u00e9\U0001F600"), (r'"\N{GREEK SMALL LETTER ALPHA}"', "\u03b1"),
    (r'"back\\slash"', "back\\slash"), (r'"\d+\.\w"', "\\d+\\.\\w"),
])
def test_string_escapes(source, value):
    workflow = compile_ok(f"from m import f\nx = f({source})\n")
    assert workflow.node("x").args == (ir.Literal(value),)


@pytest.mark.parametrize("source, message", [
    (r'"\x4"', "\\x needs 2 hex digits"), (r'"\u12"', "\\u needs 4 hex digits"),
    (r'"\N{NO SUCH CHAR}"', "unknown Unicode character name"),
])
def test_malformed_escapes_are_errors(source, message):
    with pytest.raises(CompileError) as info:
        compile_source(f"from m import f\nx = f({source})\n", "t.fuse")
    assert message in info.value.diagnostics[0].message


def test_missing_closing_brace_is_one_error_that_names_it():
    """Recovery blanked the last line and parsed again, which gave a second error."""
    with pytest.raises(CompileError) as info:
        compile_source("from m import f\nfor x in [1] {\n    s = f(x)\n\nt = f(1)\n", "t.fuse")
    (problem,) = info.value.diagnostics
    assert "'}'" in problem.hint
    assert problem.message == "syntax error: '{' is never closed"
    assert (problem.span.line, problem.span.col) == (2, 14)  # the block's '{'


@pytest.mark.parametrize("source, where, message, hint", [
    ("x = f(1, 2\n", (2, 6), "syntax error: '(' is never closed", "expected ')' before the end of the file"),
    ("let xs = [1, [2]\n", (2, 10), "syntax error: '[' is never closed", "expected ']' before the end of the file"),
    ("for x in [1] {\n  y = f(x, \"{\")  # }\n", (2, 14), "syntax error: '{' is never closed",
     "expected '}' before the end of the file"),
    ("x = f(k=\n", (2, 9), "syntax error: unexpected end of file", "expected a value"),
    ("return\n", (2, 7), "syntax error: unexpected end of file", "expected a name"),
])
def test_end_of_file_names_the_bracket_left_open(source, where, message, hint):
    """Only a bracket that could be closed where the file ends is blamed; brackets in
    strings and comments do not count."""
    (problem,) = compile_errors("from m import f\n" + source)
    assert (problem.message, problem.hint) == (message, hint)
    assert (problem.span.line, problem.span.col) == where


@pytest.mark.parametrize("source, found", [
    # the statement that cannot end on line 3 is the same mistake once line 3 is blanked
    ('options {\n    "a": { retries: 1 }\n  x = f(1)\n}\n', [(2, "unfinished statement")]),
    # blanking line 2 keeps the ')' that closes f's '(', so nothing says it is never closed
    ("x = f(1,\n  2))\ny = f(1 2)\n", [(2, "unexpected ')'"), (3, "unexpected integer '2'")]),
    ("x = f(1,\n  2 @)\ny = f(1 2)\n", [(2, "unexpected character '@'"), (3, "unexpected integer '2'")]),
    # ... and when that ')' cannot come there, the whole call goes, unreported
    ("x = f(k=\n  @)\ny = f(1 2)\n", [(2, "unexpected character '@'"), (3, "unexpected integer '2'")]),
    # a mistake on the first line of a call over several lines takes the call's other lines with it
    ("x = f(1 2,\n  3)\ny = f(, 1)\n", [(1, "unexpected integer '2'"), (3, "unexpected ','")]),
    ("for x in [1] {\n  y = f(x) ) }\nz = f(1 2)\n", [(2, "unexpected ')'"), (3, "unexpected integer '2'")]),
    # a line that opens a block is not blanked: its body and '}' would be errors of their own
    ("for x in [1] ] {\n  y = f(x)\n}\nz = f(1 2)\n", [(1, "unexpected ']'")]),
])
def test_recovery_reports_each_mistake_once_and_no_false_ones(source, found):
    problems = compile_errors("from m import f\n" + source)
    assert [(p.span.line - 1, p.message.removeprefix("syntax error: ")) for p in problems] == found


def test_recovery_stops_after_the_first_twenty_syntax_errors():
    problems = compile_errors("".join(f"x{i} = f(1 2)\n" for i in range(30)))
    assert [p.span.line for p in problems] == list(range(1, 21))


# --- keywords are not names -------------------------------------------------------------


def test_the_name_pattern_leaves_out_exactly_the_grammar_keywords():
    pattern = re.search(r"^NAME: /(.*)/$", GRAMMAR.read_text(), re.M).group(1)
    listed = re.search(r"\(\?:([a-z|]+)\)", pattern).group(1).split("|")
    assert sorted(listed) == sorted(grammar_keywords())
    name = re.compile(pattern)
    for keyword in grammar_keywords():
        assert not name.fullmatch(keyword)
        assert all(name.fullmatch(word) for word in (keyword + "x", "_" + keyword, keyword + "_1", keyword.upper()))


@pytest.mark.parametrize("source, where, word", [
    ("s = for(1)", (2, 5), "for"),  # a call
    ("s = f(1, in)", (2, 10), "in"),  # an argument
    ("s = f(k=none[0])", (2, 9), "none"),  # only a name can be indexed
    ("s = f(k=true 1)", (2, 14), "1"),  # the keyword is right: the mistake is after it
    ("let in = [1]", (2, 5), "in"),
    ("param true: int", (2, 7), "true"),
    ("param p: int\nlet xs = [p]\nfor none in xs {}", (4, 5), "none"),
    ("from m import let", (2, 15), "let"),  # a name imported without an alias
    ("import m as from", (2, 13), "from"),
    ("options = f(1)", (2, 1), "options"),  # taken for the keyword: the parse stops at '='
    ("workflow = f(1)", (2, 1), "workflow"),
    ("s = f(1)\nreturn storage", (3, 8), "storage"),
    ("s = f(options)", (2, 7), "options"),
    ("s = f(k=[import])", (2, 10), "import"),
])
def test_a_keyword_used_as_a_name_is_an_error(source: str, where: tuple, word: str):
    (problem,) = compile_errors("from m import f\n" + source)
    assert (problem.span.line, problem.span.col) == where
    if word == "1":
        assert problem.message == "syntax error: unexpected integer '1'"
        return
    assert problem.message == f"'{word}' is a keyword and cannot be used as a name"
    assert problem.hint == "choose another name"


def test_a_keyword_as_a_name_is_reported_once_and_the_line_after_it_is_read_on():
    problems = compile_errors("from m import f\nlet = 1\nx = g(1)\nfor = f(in)\n")
    assert [(p.span.line, p.message) for p in problems] == [
        (2, "'let' is a keyword and cannot be used as a name"),
        (4, "'for' is a keyword and cannot be used as a name"),
    ]


def test_any_word_where_a_word_names_nothing_of_the_file():
    """The workflow's name, a name imported under an alias, keyword arguments and what
    follows a dot are Python's or the outside world's, not names of the file."""
    workflow = compile_ok(
        "workflow storage\n"
        "from google.cloud import storage as gcs, options as gcs_options\n"
        "import google.cloud.storage as store\n"
        "client = gcs.Client(options=1, in=true, storage=[none], workflow=false)\n"
        "blob = store.for.import(client)\n"
        "opts = gcs_options(return=1)\n"
        'options ray { ".*": { num_cpus: 1 }  workflow: { max_pending: 2 } }\n')
    assert workflow.name == "storage"
    client, blob, opts = workflow.nodes
    assert client.target == "google.cloud:storage.Client"
    assert [key for key, _ in client.kwargs] == ["options", "in", "storage", "workflow"]
    assert blob.target == "google.cloud.storage:for.import"
    assert opts.target == "google.cloud:options" and [key for key, _ in opts.kwargs] == ["return"]


def test_bad_character_after_a_statement_expects_a_statement():
    """The expected tokens are the parser's, not those of the contextual lexer's state
    (which said "expected ')', ',', ']', '{', '}' or a name" here)."""
    with pytest.raises(CompileError) as info:
        compile_source("from m import f\nx = f(1) + 2\n", "t.fuse")
    (problem,) = info.value.diagnostics
    assert "')'" not in problem.hint and "']'" not in problem.hint
    assert problem.hint.startswith("expected 'after', a statement or end of file (")  # `x = f(1) after y` goes on
    assert "operators exist only in the tests of `if`" in problem.hint


@pytest.mark.parametrize("source, hint", [
    ("for x in [1] {\n    y = f(x) ?\n}\n", "expected 'after', '}' or a statement"),
    ("x = f(1, ?)\n", "expected ')' or a value"),
    ("x = f(k=?)\n", "expected a value"),
    ("let xs = [1 ?]\n", "expected ',' or ']'"),
    ("x = f(1) ?\n", "expected 'after', a statement or end of file"),
    ("x = f(1) after y ?\n", "expected ',', a statement or end of file"),
])
def test_expected_tokens_of_a_bad_character_come_from_the_parser(source: str, hint: str):
    """Keywords the lexer folds into NAME are there too: 'true' is a value."""
    with pytest.raises(CompileError) as info:
        compile_source("from m import f\n" + source, "t.fuse")
    (problem,) = info.value.diagnostics
    assert problem.message == "syntax error: unexpected character '?'"
    assert problem.hint == hint


def test_stray_token_at_the_start_of_a_line_is_reported_where_it_is():
    """The line before is complete, so it is not blamed (nor blanked, which made a false error above it)."""
    with pytest.raises(CompileError) as info:
        compile_source("from m import add\ns1 = add(1, 2)\n)\ns2 = add(1, 2)\n", "t.fuse")
    (problem,) = info.value.diagnostics
    assert (problem.span.line, problem.span.col) == (3, 1)
    assert problem.message == "syntax error: unexpected ')'"


@pytest.mark.parametrize("source, where, hint", [
    ("x = f(1, 2\ny = f(3)\n", (2, 11), "expected ')' or ','"),
    ("let xs = [1, 2\ny = f(3)\n", (2, 15), "expected ',' or ']'"),
    ("x = f(1, 2\n)\n", None, None),
])
def test_a_statement_that_cannot_end_is_unfinished_at_the_end_of_its_line(source, where, hint):
    """The next line starts where the statement before it cannot end: that statement is blamed."""
    text = "from m import f\n" + source
    if where is None:
        compile_ok(text)  # a line may start with what ends the statement before it
        return
    (problem,) = compile_errors(text)
    assert problem.message == "syntax error: unfinished statement"
    assert (problem.span.line, problem.span.col) == where
    assert problem.hint == hint
