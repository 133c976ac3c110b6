"""A lean LALR(1) driver over the tables lark builds from a grammar.

lark stays the parser generator: the grammar file defines the language, and
lark computes the parse table, the terminals and the contextual lexer's
terminal set for every parser state. This module only runs them, with a loop
that does less per token than lark's own (no Token objects, no callback
wrapper chain, no generator between lexer and parser):

    parser = LalrParser(Lark(grammar, parser="lalr", lexer="contextual",
                             keep_all_tokens=True, maybe_placeholders=True))
    result = parser.parse(text, builder)

The result is what lark gives with `transformer=builder`, with two differences
the builder sees: a terminal arrives as a plain tuple of the fields of a lark
Token, in the order of its constructor,

    (type, value, start_pos, line, column, end_line, end_column, end_pos)

and the children of a `_rule` stay a plain list until they are spliced into
their parent.
Tree shaping follows lark's: `_rule`s inlined, `?rule`s with one child
replaced by it, `[x]` placeholders as None, `-> alias` naming the method.

A syntax error raises the lark exception lark would raise at the same point
(UnexpectedCharacters or UnexpectedToken, same token, position, expected set
and `accepts`), so messages built from them do not change.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.grammar import Terminal
from lark.lexer import LexerThread, UnlessCallback
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState

if TYPE_CHECKING:
    from typing import Protocol, TypeAlias

    from lark.grammar import Rule
    from lark.lexer import BasicLexer

    class TerminalMatch(Protocol):
        """A match of lark's master regex: each terminal is a named group of it, so
        `lastgroup` is the terminal matched (for re.Match in general it may be None)."""

        @property
        def lastgroup(self) -> str: ...
        def group(self) -> str: ...
        def end(self) -> int: ...

    # A terminal as the builder gets it: (type, value, start_pos, line, column, end_line, end_column, end_pos).
    RawToken: TypeAlias = tuple[str, str, int, int, int, int, int, int]
    # (text, position) -> the terminal at that position, or None.
    Matcher: TypeAlias = Callable[[str, int], TerminalMatch | None]
    # A NAME-like terminal's text -> the keyword's terminal when it is one, else None (lark's "unless").
    Keyword: TypeAlias = Callable[[str], str | None]
    # The values a reduction pops -> the rule's value.
    Reduce: TypeAlias = Callable[[list[Any]], Any]
    # Per rule: (values popped, goto: state below -> next state, what makes the value; None: the values themselves).
    Reduction: TypeAlias = tuple[int, dict[int, int], Reduce | None]

END = "$END"


class _StateLexer:
    """The terminals one parser state accepts: lark's compiled master regex for
    them, and the keywords a NAME-like match turns into (lark's "unless")."""

    __slots__ = ("match", "keywords", "lark_lexer")

    def __init__(self, lark_lexer: BasicLexer):
        scanner = lark_lexer.scanner  # builds lark's regexes and its callbacks
        self.lark_lexer = lark_lexer
        self.match = _first_match([mre.match for mre in scanner._mres])
        self.keywords: dict[str, Keyword] = {}
        for type_, callback in lark_lexer.callback.items():
            assert isinstance(callback, UnlessCallback)  # the only kind, without lexer_callbacks (see LalrParser)
            strings = callback.scanner.terminals
            if any(t.pattern.flags for t in strings):
                self.keywords[str(type_)] = callback.scanner.fullmatch  # e.g. "select"i
            else:
                self.keywords[str(type_)] = {t.pattern.value: str(t.name) for t in strings}.get


class LalrParser:
    """lark's LALR table and contextual lexer for one grammar, run by `parse`."""

    def __init__(self, lark: Lark):
        if lark.options.parser != "lalr" or lark.options.lexer != "contextual":
            raise ValueError("LalrParser needs a Lark(parser='lalr', lexer='contextual')")
        if lark.options.postlex is not None or lark.options.lexer_callbacks or lark.options.transformer:
            raise ValueError("LalrParser does not run postlexers, lexer callbacks or a transformer")
        self.lark = lark
        frontend = lark.parser
        self._lark_parser = frontend.parser.parser
        table = self._lark_parser.parse_table
        self.start: str = lark.options.start[0]
        self.start_state: int = table.start_states[self.start]
        self.end_state: int = table.end_states[self.start]
        # Plain str everywhere: lark's names are often Tokens, whose __eq__ is Python code.
        self.ignore = frozenset(str(name) for name in lark.lexer_conf.ignore)
        # Terminals lark checks for newlines when it counts lines (the others cannot hold one).
        root = frontend.lexer.root_lexer
        self.multiline = frozenset(str(name) for name in root.newline_types)
        # actions[state][terminal]: n >= 0 shifts and goes to state n, ~i reduces by rules[i];
        # goto[rule name][state below]: the state after a reduction.
        self.rules: list[Rule] = []
        rule_index: dict[Rule, int] = {}
        self.actions: list[dict[str, int]] = [{} for _ in range(max(table.states) + 1)]
        self.goto: dict[str, dict[int, int]] = {}
        for state, row in table.states.items():
            for symbol, (action, arg) in row.items():
                symbol = str(symbol)
                if action is not Shift:
                    if arg not in rule_index:
                        rule_index[arg] = len(self.rules)
                        self.rules.append(arg)
                    self.actions[state][symbol] = ~rule_index[arg]
                elif symbol.isupper():
                    self.actions[state][symbol] = arg
                else:
                    self.goto.setdefault(symbol, {})[state] = arg
        # lark's contextual lexer has one for each state of the table (states 0 to n - 1), many shared.
        shared: dict[int, _StateLexer] = {}
        by_state: dict[int, _StateLexer] = {}
        for state, lark_lexer in frontend.lexer.lexers.items():
            if id(lark_lexer) not in shared:
                shared[id(lark_lexer)] = _StateLexer(lark_lexer)
            by_state[state] = shared[id(lark_lexer)]
        self.lexers = [by_state[state] for state in range(len(self.actions))]
        self.scanners = [(lexer.match, lexer.keywords) for lexer in self.lexers]
        self._plans = [_plan(rule, lark.options.maybe_placeholders) for rule in self.rules]
        sources = [_reducer_source(i, plan) for i, plan in enumerate(self._plans)]
        self._generated = {i for i, source in enumerate(sources) if source}
        self._code = compile("".join(source for source in sources if source), "<lalr reductions>", "exec")

    # --- the loop ---------------------------------------------------------------

    def parse(self, text: str, builder: object, comments: list[tuple[int, int]] | None = None) -> Any:
        """Parse `text`, calling `builder.<rule name>(children)` at each reduction.

        One function, with all it uses in locals: it runs some 30 times a line.
        The grammar ignores comments; `comments`, when given (the formatter's),
        receives the (start, end) offsets of each one lexed. The compiler gives
        none, and its loop lexes exactly as before: the recording is in the scanners."""
        reductions = self._reductions(builder)
        actions, ignore, multiline = self.actions, self.ignore, self.multiline
        scanners = self.scanners if comments is None else self._recording(comments)
        states = [self.start_state]
        values: list[Any] = []  # tokens, and what the builder made of rules
        state = self.start_state
        pos, size, last = 0, len(text), None
        line, line_start = 1, 0  # lines and columns counted as lark's LineCounter does
        while pos < size:
            # Lex one token with the terminals the current state accepts.
            match, keywords = scanners[state]
            m = match(text, pos)
            if m is None:
                self._lex_error(text, pos, line, pos - line_start + 1, states, last)
            type_ = m.lastgroup
            end = m.end()
            if type_ in multiline and "\n" in m.group():
                start_line, start_col = line, pos - line_start + 1
                line += text.count("\n", pos, end)
                line_start = text.rfind("\n", pos, end) + 1
                if type_ in ignore:
                    pos = end
                    continue
                column = start_col
                end_col = end - line_start + 1
            else:
                if type_ in ignore:
                    pos = end
                    continue
                start_line = line
                column = pos - line_start + 1
                end_col = column + end - pos
            value = m.group()
            if type_ in keywords:
                type_ = keywords[type_](value) or type_
            token = last = (type_, value, pos, start_line, column, line, end_col, end)
            pos = end
            # Reduce as far as the token allows, then shift it.
            row = actions[state]
            while True:
                act = row.get(type_)
                if act is None:
                    self._token_error(type_, token, states, last, text)
                if act >= 0:
                    states.append(act)
                    values.append(token)
                    state = act
                    break
                count, goto, reduce = reductions[~act]
                if count == 1:  # the most common case: replace the top in place
                    children = [values[-1]]
                    state = goto[states[-2]]
                    states[-1] = state
                    values[-1] = children if reduce is None else reduce(children)
                else:
                    if count:
                        children = values[-count:]
                        del values[-count:]
                        del states[-count:]
                    else:
                        children = []
                    state = goto[states[-1]]
                    states.append(state)
                    values.append(children if reduce is None else reduce(children))
                row = actions[state]
        return self._end(states, values, reductions, last, text)

    def _recording(self, found: list[tuple[int, int]]) -> list[tuple[Matcher, dict[str, Keyword]]]:
        """The scanners, each noting in `found` where it lexes a COMMENT (one the grammar ignores)."""
        def recording(match: Matcher) -> Matcher:
            def scan(text: str, pos: int) -> TerminalMatch | None:
                m = match(text, pos)
                if m is not None and m.lastgroup == "COMMENT":
                    found.append((pos, m.end()))
                return m

            return scan

        wrapped = {id(match): recording(match) for match, _ in self.scanners}  # states share their lexers
        return [(wrapped[id(match)], keywords) for match, keywords in self.scanners]

    def _end(self, states: list[int], values: list[Any], reductions: list[Reduction], last: RawToken | None,
             text: str) -> Any:
        """The end of the text: reduce until the start rule is complete."""
        while True:
            act = self.actions[states[-1]].get(END)
            if act is None:
                self._token_error(END, None, states, last, text)
            count, goto, reduce = reductions[~act]  # lark's tables never shift the end
            children = values[len(values) - count:]
            del values[len(values) - count:]
            del states[len(states) - count:]
            state = goto[states[-1]]
            states.append(state)
            values.append(children if reduce is None else reduce(children))
            if state == self.end_state:
                return values[-1]

    def _reductions(self, builder: object) -> list[Reduction]:
        """(values popped, goto: state below -> next state, function making the rule's value)
        per rule, for this builder."""
        namespace: dict[str, Any] = {}
        default = getattr(builder, "__default__", None)  # as lark: a Transformer's, else a Tree
        for i, plan in enumerate(self._plans):
            if not plan.inline:
                method = getattr(builder, plan.name, None)
                if method is None and default:
                    method = functools.partial(_default, default, plan.name)
                elif method is None:
                    method = functools.partial(Tree, plan.name)
                namespace[f"m{i}"] = method
        exec(self._code, namespace)  # noqa: S102 - our own generated reductions, compiled once
        return [
            (len(rule.expansion), self.goto[str(rule.origin.name)],
             namespace[f"r{i}"] if i in self._generated else namespace.get(f"m{i}"))
            for i, rule in enumerate(self.rules)
        ]

    # --- errors, as lark raises them ----------------------------------------------

    def _lex_error(self, text: str, pos: int, line: int, column: int, states: list[int],
                   last: RawToken | None) -> NoReturn:
        """No terminal of this state matches: lark's contextual lexer then tries every
        terminal, to report the token as unexpected rather than the character."""
        lexer = self.lexers[states[-1]]
        allowed = lexer.lark_lexer.scanner.allowed_types - lexer.lark_lexer.ignore_types or {"<END-OF-FILE>"}
        history = [Token(*last)] if last else None
        parser_state = self._parser_state(states, text)
        root = self.lark.parser.lexer.root_lexer
        m = _first_match([mre.match for mre in root.scanner._mres])(text, pos)
        exc: UnexpectedCharacters | UnexpectedToken
        if m is None:
            exc = UnexpectedCharacters(  # type: ignore[no-untyped-call]  # lark's __init__ has no annotations
                text, pos, line, column, allowed=allowed, token_history=history, state=parser_state,
                terminals_by_name=root.terminals_by_name)
        else:
            value = m.group()
            end_line = line + (value.count("\n") if m.lastgroup in self.multiline else 0)
            end_col = column + len(value) if end_line == line else len(value) - value.rindex("\n")
            token = Token(m.lastgroup, value, pos, line, column, end_line, end_col, m.end())
            callback = root.callback.get(token.type)
            token = callback(token) if callback else token
            exc = UnexpectedToken(  # type: ignore[no-untyped-call]  # lark's __init__ has no annotations
                token, allowed, state=parser_state, token_history=[history[0] if history else None],
                terminals_by_name=root.terminals_by_name)
        exc.interactive_parser = InteractiveParser(self._lark_parser, parser_state, parser_state.lexer)
        raise exc

    def _token_error(self, type_: str, token: RawToken | None, states: list[int], last: RawToken | None,
                     text: str) -> NoReturn:
        if token is None:
            lark_token = Token.new_borrow_pos(END, "", Token(*last)) if last else Token(END, "", 0, 1, 1)
        else:
            lark_token = Token(*token)
        table = self._lark_parser.parse_table.states
        expected = {s for s in table[states[-1]] if s.isupper()}
        parser_state = self._parser_state(states, text)
        exc = UnexpectedToken(  # type: ignore[no-untyped-call]  # lark's __init__ has no annotations
            lark_token, expected, state=parser_state, interactive_parser=None)
        exc.interactive_parser = InteractiveParser(self._lark_parser, parser_state, parser_state.lexer)
        raise exc

    def _parser_state(self, states: list[int], text: str) -> ParserState[int]:
        """A lark parser state at our stack, for `accepts()`; values are not needed there."""
        conf = ParseConf(self._lark_parser.parse_table, {}, self.start)
        thread = LexerThread.from_text(self.lark.parser.lexer, text)
        return ParserState(conf, thread, list(states), [None] * (len(states) - 1))


def _default(handler: Callable[[str, list[Any], None], Any], name: str, children: list[Any]) -> Any:
    return handler(name, children, None)


def _first_match(matchers: list[Matcher]) -> Matcher:
    """lark splits a master regex past Python's 100 groups: try the parts in order."""
    if len(matchers) == 1:
        return matchers[0]

    def match(text: str, pos: int) -> TerminalMatch | None:
        for part in matchers:
            m = part(text, pos)
            if m is not None:
                return m
        return None

    return match


# --- tree shaping, as lark's parse_tree_builder does it -----------------------------


class _Plan(NamedTuple):
    """How one rule's value is made from the values its reduction pops."""

    to_include: tuple[tuple[int, bool, int], ...]  # (child index, splice it, Nones before it)
    trailing: int  # Nones after the last child
    inline: bool  # a `_rule`: its children, to be spliced into the parent
    expand1: bool  # a `?rule`: a single child stands for it
    name: str  # the builder method: the alias, the template or the rule's name
    size: int  # values popped


def _plan(rule: Rule, maybe_placeholders: bool) -> _Plan:
    """lark's ParseTreeBuilder for one rule: to_include as maybe_create_child_filter computes it."""
    expansion = rule.expansion
    empty = rule.options.empty_indices if maybe_placeholders else ()
    if empty:
        bits = "".join(str(int(b)) for b in empty)
        nones = [len(ones) for ones in bits.split("0")]
    else:
        nones = [0] * (len(expansion) + 1)
    keep_all = rule.options.keep_all_tokens
    to_include, pending = [], 0
    for i, sym in enumerate(expansion):
        pending += nones[i]
        if keep_all or not (isinstance(sym, Terminal) and sym.filter_out):
            to_include.append((i, not sym.is_term and sym.name.startswith("_"), pending))
            pending = 0
    pending += nones[len(expansion)]
    expand1 = bool(rule.options.expand1 and not rule.alias)
    name = rule.alias or rule.options.template_source or rule.origin.name
    return _Plan(tuple(to_include), pending, rule.origin.name.startswith("_"), expand1, name, len(expansion))


def _reducer_source(index: int, plan: _Plan) -> str | None:
    """Python source of `def r<index>(c)`, the reduction of one rule, shaping the
    popped values `c` as lark's ChildFilterLALR would and passing them to the
    builder method `m<index>`; None when the values are the result as they are.

        call: callee "(" [argument ...] ")"     def r52(c):
                                                    return m52([c[0], c[1], None, None, c[2]])
    """
    to_include, trailing, inline, expand1, _name, size = plan
    parts: list[str] = []
    for i, expand, nones in to_include:
        parts += ["None"] * nones
        parts.append(f"*c[{i}]" if expand else f"c[{i}]")
    parts += ["None"] * trailing
    identity = parts == [f"c[{i}]" for i in range(size)]
    if identity and not expand1:
        return None  # the values themselves (inline), or the method called with them
    body = []
    if identity:
        shaped = "c"
    elif parts and parts[0].startswith("*"):  # splice into the first child's list, as lark does (left recursion)
        body.append(f"f = {parts[0][1:]}")
        if len(parts) > 1:
            body.append(f"f += [{', '.join(parts[1:])}]")
        shaped = "f"
    else:
        shaped = f"[{', '.join(parts)}]"
    if expand1:  # `?rule`: a single child stands for the rule
        if shaped not in ("c", "f"):
            body.append(f"f = {shaped}")
            shaped = "f"
        result = f"{shaped}[0] if len({shaped}) == 1 else " + (shaped if inline else f"m{index}({shaped})")
    else:
        result = shaped if inline else f"m{index}({shaped})"
    body.append(f"return {result}")
    return f"def r{index}(c):\n" + "".join(f"    {line}\n" for line in body)
