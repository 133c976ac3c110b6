"""OptionSpec, one row of an option table, and CallableRef, a callable named in a file."""

from __future__ import annotations

import re
from dataclasses import dataclass

SCOPES = ("node", "workflow")
APPLIES_TO = ("task", "actor", "both")

IDENT_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class CallableRef(str):
    """A Python callable named in a ``.fuse`` file, as ``"module:qualname"``.

    The parser turns a bare identifier bound by an import into one, e.g.
    ``setup: init_worker`` after ``from pkg.init import init_worker`` gives
    ``CallableRef("pkg.init:init_worker")``. It is a ``str``, so it survives
    JSON as its text; only a ``callable`` option requires the type itself.
    """

    __slots__ = ()

    def __new__(cls, text: str) -> CallableRef:
        module, sep, qualname = str(text).partition(":")
        if not (sep and IDENT_PATH.fullmatch(module) and IDENT_PATH.fullmatch(qualname)):
            raise ValueError(f'a callable reference looks like "module:qualname", not {text!r}')
        return super().__new__(cls, text)

    @property
    def module(self) -> str:
        return self.partition(":")[0]

    @property
    def qualname(self) -> str:
        return self.partition(":")[2]

    def __repr__(self) -> str:
        return f"CallableRef({str(self)!r})"


@dataclass(frozen=True)
class OptionSpec:
    """One option a ``.fuse`` file may set.

    ``kind`` names an entry of ``kinds.KINDS``; ``scope`` is "node" (entries
    keyed by a regex) or "workflow" (the ``workflow:`` entry); ``applies_to``
    says whether a node option is meant for plain calls ("task"), object
    nodes ("actor", a Ray actor) or both; ``choices`` lists the accepted
    strings of a ``choice`` kind; ``api`` names what the option becomes in
    the target library, as ``"dotted.path"`` or ``"dotted.path(param)"``
    (empty for options fuseflow implements itself). The tests resolve every
    ``api`` against the installed library.
    """

    name: str
    kind: str
    doc: str
    scope: str = "node"
    applies_to: str = "both"
    choices: tuple[str, ...] = ()
    api: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {self.scope!r}")
        if self.applies_to not in APPLIES_TO:
            raise ValueError(f"applies_to must be one of {APPLIES_TO}, not {self.applies_to!r}")
        if (self.kind in ("choice", "choice_or_callable")) != bool(self.choices):
            raise ValueError(f"{self.name}: choices go with a choice kind, and only there")
