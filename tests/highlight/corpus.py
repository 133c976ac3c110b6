"""What the highlighters are held to: every `.fuse` file of the repository and every ```fuse
block of README.md and docs/ (```fuse-error ones included: they are shown highlighted too),
and, for each text, where the compiler's own lexer rejects a character.

A highlighter may flag a character (Pygments' Error token, TextMate's `invalid` scope) exactly
there, and nowhere else: so a file that `fusec check` lexes highlights with no error at all,
and the few files of tests/invalid/ that exist to show a bad character (`$`, `@`, a quote never
closed) are flagged at that character only.
"""
from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lark

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "fuseflow" / "grammar" / "fuse.lark"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# As tests/test_docs.py reads them: a fence, its info string, its text.
FENCE = re.compile(r"^[ \t]*```[ \t]*([^\n`]*)\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
SKIPPED_FOLDERS = {"node_modules", "build", "dist", "__pycache__"}


@dataclass(frozen=True)
class Text:
    name: str  # a path relative to the repository, and `:LINE` for a document's block
    text: str

    def __str__(self) -> str:
        return self.name


@cache
def fuse_files() -> list[Text]:
    """Every .fuse file under the repository, hidden folders (.venv, .git) and build output aside."""
    paths = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in SKIPPED_FOLDERS]
        paths += [Path(folder) / name for name in files if name.endswith(".fuse")]
    return [Text(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in sorted(paths)]


@cache
def doc_blocks() -> list[Text]:
    """Every fenced block of README.md and docs/ whose info string starts with `fuse`."""
    found = []
    for path in DOCUMENTS:
        document = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(document):
            if (match.group(1).split() or [""])[0].lower().startswith("fuse"):
                line = document.count("\n", 0, match.start()) + 1
                found.append(Text(f"{path.relative_to(ROOT).as_posix()}:{line}", match.group(2)))
    return found


def corpus() -> list[Text]:
    return fuse_files() + doc_blocks()


@cache
def _lexer() -> lark.Lark:
    # the grammar's terminals alone, as a lexer that does not depend on where the parser is
    return lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser=None, lexer="basic")


def lexical_errors(text: str) -> list[tuple[int, int]]:
    """(line, column), both from 1, of each character the compiler's lexer cannot start a token
    with; lexing goes on after it, as a highlighter's does."""
    offsets, start = [], 0
    while True:
        try:
            for _ in _lexer().lex(text[start:]):
                pass
            break
        except lark.exceptions.UnexpectedCharacters as error:
            offsets.append(start + error.pos_in_stream)
            start += error.pos_in_stream + 1
    return [position(text, offset) for offset in offsets]


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of an offset into text; lines end at \\n only."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# Pieces of text the random texts below are made of: words, numbers and their parts, quotes,
# escapes, comments, brackets, and characters no token starts with. Part 2's comparison
# operators (`<`, `!=`, ...) join once fuse.lark has them.
PIECES = ("workflow", "from", "import", "as", "param", "let", "options", "storage", "for", "in", "return",
          "true", "none", "x", "ab_1", "int", "1", "-2", "+", "-", ".", "5", "e", "E", "3.", ".5", '"', "'",
          "\\", "#", "\n", " ", "\t", "(", ")", "{", "}", "[", "]", ",", ":", "=", "$", "@", "*", "é", "x4", "u")


def random_texts(count: int, seed: int = 16) -> list[str]:
    """Texts of up to 25 pieces, the same ones every run."""
    generator = random.Random(seed)
    return ["".join(generator.choices(PIECES, k=generator.randint(0, 25))) for _ in range(count)]
