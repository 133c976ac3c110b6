"""Every ```fuse block of README.md and docs/ is checked, so a documented example cannot be wrong.

The rule (README.md, "Tests and benchmarks"), by the block's info string:

- ```fuse                    a complete .fuse file: it compiles as `fusec check` compiles
                             it (without --imports, so its modules need not exist), with
                             no error; warnings are allowed, as `fusec check` allows them.
- ```fuse fragment NAME ...  statements shown out of their file, using NAMEs that the
                             file defines elsewhere. It is compiled whole, the same way,
                             and the only errors allowed are "undefined name" for exactly
                             the NAMEs listed. So a fragment is checked as far as a file
                             is (syntax, options, types), the marker names what it leans
                             on, and it cannot hide a complete file: a block that
                             compiles on its own must drop the marker, and a typo is an
                             undefined name nobody listed.
- ```fuse-error              a file shown for its error messages: it must fail to compile
                             and, when a ```text block of `FILE.fuse:` lines follows it,
                             give exactly that text.

Any other info string that starts with "fuse" fails, so a misspelt marker cannot take a
block out of the checks. Blocks are compiled with blank lines before them, so an error
points at its line in the document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fuseflow.compiler import errors
from fuseflow.compiler.errors import CompileError, Diagnostic
from fuseflow.compiler.frontend import compile_source

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^[ \t]*```[ \t]*([^\n`]*)\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
UNDEFINED = re.compile(r"undefined name '([^']*)'")


@dataclass(frozen=True)
class Block:
    document: str  # relative to the repository, e.g. "docs/ray.md"
    line: int  # of the opening fence
    info: str  # the words after ```, e.g. "fuse fragment init_worker"
    text: str

    @property
    def kind(self) -> str:
        return (self.info.split() or [""])[0]

    def __str__(self) -> str:
        return f"{self.document}:{self.line} ```{self.info}"


def blocks_of(document: str, text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, in order."""
    return [Block(document, text.count("\n", 0, m.start()) + 1, m.group(1).strip(), m.group(2))
            for m in FENCE.finditer(text)]


def all_blocks() -> list[Block]:
    return [block for path in DOCUMENTS
            for block in blocks_of(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))]


def checked(block: Block) -> bool:
    """Whether the block is held to the rule: its info string starts with "fuse" (any case), and
    it is not an error example."""
    return block.kind.lower().startswith("fuse") and block.kind != "fuse-error"


def fuse_blocks() -> list[Block]:
    return [block for block in all_blocks() if checked(block)]


def compiled(block: Block) -> list[Diagnostic]:
    """The errors `fusec check` gives for the block; lines count from the top of its document.
    A block is compiled as a file of examples/ would be, so `use "prep.fuse"` finds the example."""
    try:
        compile_source("\n" * block.line + block.text, block.document, file=ROOT / "examples" / "doc-block.fuse")
    except CompileError as exc:
        return [d for d in exc.diagnostics if d.severity == "error"]
    return []


def rendered(block: Block, diagnostics: list[Diagnostic]) -> str:
    return errors.render(block.document, "\n" * block.line + block.text, diagnostics)


def problems(block: Block) -> str:
    """What is wrong with a ```fuse or ```fuse fragment block by the rule above; "" if nothing."""
    words = block.info.split()
    if words[:1] != ["fuse"] or words[1:2] not in ([], ["fragment"]):
        return "unknown info string (```fuse, ```fuse fragment NAME ... or ```fuse-error)\n"
    if words[1:] == ["fragment"]:
        return "a fragment lists the names it takes from elsewhere: ```fuse fragment NAME ...\n"
    found = compiled(block)
    if len(words) == 1:
        return rendered(block, found)
    return fragment_problems(block, found, set(words[2:]))


def fragment_problems(block: Block, found: list[Diagnostic], listed: set[str]) -> str:
    """A fragment may leave undefined the names it lists, and only those; every listed name must be undefined."""
    undefined = {d: UNDEFINED.fullmatch(d.message) for d in found}
    other = [d for d in found if not undefined[d] or undefined[d].group(1) not in listed]
    missing = sorted(listed - {m.group(1) for m in undefined.values() if m})
    text = rendered(block, other)
    if missing:
        text += (f"`fragment` lists {', '.join(missing)}, which the block defines or never uses; "
                 f"a block that compiles on its own is a complete file (```fuse)\n")
    return text


@pytest.mark.parametrize("block", fuse_blocks(), ids=str)
def test_every_fuse_block_of_the_docs_compiles(block: Block) -> None:
    found = problems(block)
    assert found == "", f"{block} is wrong:\n{found}"


def error_examples() -> list[tuple[Block, Block | None]]:
    """Each ```fuse-error block with the ```text block of messages after it (None if there is none)."""
    blocks = all_blocks()
    return [(block, after if shows_messages(block, after) else None)
            for block, after in zip(blocks, [*blocks[1:], None], strict=True) if block.kind == "fuse-error"]


def shows_messages(block: Block, after: Block | None) -> bool:
    """Whether `after` is a ```text block of `FILE.fuse:LINE:COL: ` messages right after `block`."""
    return (after is not None and after.kind == "text" and after.document == block.document
            and re.match(r"\S+\.fuse:\d+:\d+: ", after.text) is not None)


def test_the_docs_show_an_error_report() -> None:
    assert any(block.document == "docs/language.md" and shown for block, shown in error_examples())


@pytest.mark.parametrize("block, shown", error_examples(), ids=[str(b) for b, _ in error_examples()])
def test_error_examples_give_the_errors_shown(block: Block, shown: Block | None) -> None:
    path = shown.text.split(":", 1)[0] if shown else "example.fuse"
    with pytest.raises(CompileError) as info:
        compile_source(block.text, path)
    if shown:
        assert str(info.value) + errors.summary(info.value.diagnostics) + "\n" == shown.text


# --- the rule itself: each way of getting an example wrong is caught ---------------------------------

DOC = "Text.\n\n```{info}\n{text}\n```\n"
RAY_INIT = 'options ray { workflow: { init: {num_cpus: 8, include_dashboard: false} } }'  # docs/ray.md, before


def problems_of(text: str, info: str = "fuse") -> str:
    (block,) = blocks_of("doc.md", DOC.format(info=info, text=text))
    return problems(block)


def test_an_option_dict_with_unquoted_keys_is_caught_in_a_file_and_in_a_fragment() -> None:
    for info in ("fuse", "fuse fragment init_worker"):
        found = problems_of(RAY_INIT, info)
        assert found.startswith("doc.md:4:34: error: syntax error: unexpected name 'num_cpus'"), found
    quoted = RAY_INIT.replace("num_cpus", '"num_cpus"').replace("include_dashboard", '"include_dashboard"')
    assert problems_of(quoted) == ""


def test_errors_point_at_the_line_in_the_document() -> None:
    assert problems_of("from ops import add\n\ns = ad(1, 2)").startswith("doc.md:6:5: error: undefined name 'ad'")


def test_a_fragment_may_leave_undefined_only_the_names_it_lists() -> None:
    fragment = "counter = IncrementalSum(start=one)\ncounter.add(two)"
    assert problems_of(fragment, "fuse fragment IncrementalSum one two") == ""
    assert "undefined name 'two'" in problems_of(fragment, "fuse fragment IncrementalSum one")
    assert "unknown ray option 'num_cpuz'" in problems_of('s = f(1)\noptions ray { "s": { num_cpuz: 1 } }',
                                                         "fuse fragment f")


def test_a_fragment_cannot_hide_a_complete_file() -> None:
    whole = "from ops import add\ns = add(1, 2)"
    assert "`fragment` lists add, which the block defines or never uses" in problems_of(whole, "fuse fragment add")
    assert "a fragment lists the names it takes from elsewhere" in problems_of(whole, "fuse fragment")
    assert "undefined name 'ad'" in problems_of("from ops import add\ns = ad(1, 2)", "fuse fragment add")


@pytest.mark.parametrize("info", ["fuse-fragment f", "fuse fragmnt f", "fuse fragment-f", "Fuse", "fuse-frag"])
def test_a_misspelt_marker_is_not_a_way_out(info: str) -> None:
    (block,) = blocks_of("doc.md", DOC.format(info=info, text="s = f(1)"))
    assert checked(block) and problems(block).startswith("unknown info string")
