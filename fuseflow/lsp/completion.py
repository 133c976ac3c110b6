"""Completion: what may be typed where the cursor is.

- in an options entry (`options ray { ".*": { | } }`): the option keys that
  block and entry accept (fuseflow.schemas), each with its documentation;
  after `key:`, the constants and callables in scope;
- after `options`: the targets; after `param NAME:`, the param types;
- after `ALIAS.` of an imported module, and after `from MODULE import`:
  the module's public names, when it imports;
- after `after`: the nodes in scope; after a statement's call, `after` among the keywords;
- in the test of an `if` or an `elif`: the names in scope, `not` and the
  constants' keywords where an operand goes, `and` and `or` after one; after
  the `}` of an `if` or `elif` branch, `elif` and `else` among the keywords;
- elsewhere: the names in scope at the cursor (params, constants, nodes,
  aliases, imported names, the loop variables of the loops around it) and keywords.

The names come from the latest text that parsed: while a statement is half
typed, its file does not parse, and the names a keystroke ago are as good.
"""
from __future__ import annotations

from lsprotocol import types

from .. import targets as registry
from ..compiler.constants import PARAM_TYPES
from ..schemas import known_options
from .context import Where, where
from .documents import Analysis
from .index import Definition, Index
from .positions import Lines
from .python import find

STATEMENT_KEYWORDS = ("workflow", "from", "import", "use", "param", "let", "for", "if", "finally", "options",
                      "storage", "return")
TEST_KEYWORDS = ("and", "or", "not")
VALUE_KEYWORDS = ("true", "false", "none")
KINDS = {
    "param": types.CompletionItemKind.Variable,
    "let": types.CompletionItemKind.Constant,
    "node": types.CompletionItemKind.Field,
    "alias": types.CompletionItemKind.Variable,
    "import": types.CompletionItemKind.Function,
    "module": types.CompletionItemKind.Module,
    "loop": types.CompletionItemKind.Variable,
}
DETAILS = {"param": "param", "let": "constant", "node": "node", "alias": "alias", "import": "imported",
           "module": "module", "loop": "loop variable"}


def completion(analysis: Analysis, lines: Lines, position: types.Position) -> types.CompletionList:
    line, col = lines.at(position)
    text = "\n".join([*lines.lines[:line - 1], lines.line(line)[:col - 1]])
    place = where(text)
    return types.CompletionList(is_incomplete=False, items=list(_items(analysis, place, line, col)))


def _items(analysis: Analysis, place: Where, line: int, col: int) -> list[types.CompletionItem]:
    if place.kind == "option-key":
        return _option_keys(place)
    if place.kind == "option-entry":
        return [_keyword("workflow")]
    if place.kind == "target":
        return [_item(name, types.CompletionItemKind.EnumMember, "target") for name in registry.names()]
    if place.kind == "type":
        return [_item(name, types.CompletionItemKind.TypeParameter, "param type") for name in PARAM_TYPES]
    if place.kind == "attribute":
        return _attributes(analysis, place)
    if place.kind == "import-name":
        return _module_names(analysis, place.after[0])
    names = _names(analysis, line, col, callables_and_constants=place.kind == "option-value")
    if place.kind == "after":
        return [item for item in names if item.detail == DETAILS["node"]]
    if place.kind == "test-end":  # after an operand: what joins tests (an operator is typed)
        return [_keyword(word) for word in ("and", "or")]
    words = {"statement": STATEMENT_KEYWORDS + VALUE_KEYWORDS,
             "call-end": ("after", *STATEMENT_KEYWORDS, *VALUE_KEYWORDS),
             "branch-end": ("elif", "else", *STATEMENT_KEYWORDS, *VALUE_KEYWORDS),
             "test": ("not", *VALUE_KEYWORDS)}.get(place.kind, VALUE_KEYWORDS)
    return names + [_keyword(word) for word in words]


def _option_keys(place: Where) -> list[types.CompletionItem]:
    try:
        specs = known_options(place.target, place.scope)
    except ValueError:  # `options nosuch { ... }`: reported as an error; nothing to offer
        return []
    return [
        types.CompletionItem(
            label=name, kind=types.CompletionItemKind.Property, detail=f"{spec.kind} ({place.target} {place.scope})",
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=spec.doc),
            insert_text=f"{name}: ",
        )
        for name, spec in sorted(specs.items())
    ]


def _names(analysis: Analysis, line: int, col: int, callables_and_constants: bool) -> list[types.CompletionItem]:
    parsed = analysis.parsed
    if parsed is None:
        return []
    seen: dict[str, Definition] = {}
    for definition in parsed.index.visible(line, col):
        if not callables_and_constants or _constant(parsed.index, definition):
            seen.setdefault(definition.name, definition)
    return [_item(d.name, KINDS[d.kind], DETAILS[d.kind]) for d in seen.values()]


def _constant(index: Index, definition: Definition | None) -> bool:
    """Whether a name may be an option's value: a constant, a callable, a loop variable, an alias of one."""
    if definition is not None and definition.kind == "alias":
        unaliased = index.unaliased(definition)
        definition = unaliased[1] if unaliased is not None else None
    return definition is not None and definition.kind in ("let", "import", "loop")


def _attributes(analysis: Analysis, place: Where) -> list[types.CompletionItem]:
    """The public names of `ALIAS.` when ALIAS is an imported module."""
    parsed = analysis.parsed
    definition = parsed.index.first(place.after[0]) if parsed is not None else None
    if definition is None or definition.kind != "module" or len(place.after) != 1:
        return []
    return _module_names(analysis, getattr(definition.statement, "module", ""))


def _module_names(analysis: Analysis, module: str) -> list[types.CompletionItem]:
    """A module's public names, when it imports (as `fusec check --imports` imports it)."""
    found = find(module, analysis.folder) if module else None
    names = found.names if found is not None else ()
    return [_item(name, types.CompletionItemKind.Function if callable_ else types.CompletionItemKind.Variable, module)
            for name, callable_ in names]


def _item(label: str, kind: types.CompletionItemKind, detail: str) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail)


def _keyword(word: str) -> types.CompletionItem:
    return types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword)

