"""codegen.pretty lays statements out as `ruff format --line-length 120` does: random
statements of the forms the generators write (calls, lists, dicts, comprehensions, keyword
arguments, `for` headers, signatures with comments), rendered, then held against ruff."""
from __future__ import annotations

import keyword
import random
import subprocess

import pytest

from fuseflow.codegen import pretty
from fuseflow.codegen.pretty import COMPREHENSION, DEF, Block, Group, Piece, Seq, Text

from .test_generated_python import RUFF, WIDTH


def name(r: random.Random) -> str:
    while True:
        text = "".join(r.choice("abcdefghijklmnop_") for _ in range(r.randint(1, r.choice([4, 12, 30]))))
        if not keyword.iskeyword(text):
            return text


def atom(r: random.Random) -> Piece:
    choice = r.random()
    if choice < 0.4:
        return Text(name(r))
    if choice < 0.7:
        return Text(f'"{name(r)}"')
    if choice < 0.85:
        return Text(str(r.randint(0, 10 ** r.randint(1, 12))))
    return Text(f'f"x.{{{name(r)}}}"')


def piece(r: random.Random, depth: int) -> Piece:
    if depth <= 0 or r.random() < 0.3:
        return atom(r)
    choice, count = r.random(), r.choice([0, 1, 1, 2, 3, 4, 6])
    if choice < 0.45:
        args = [piece(r, depth - 1) for _ in range(count)]
        if r.random() < 0.4:
            start = r.randint(0, count)
            args = args[:start] + [pretty.entry(name(r) + "=", arg) for arg in args[start:]]
        return pretty.call(name(r) + ("." + name(r) if r.random() < 0.5 else ""), args)
    if choice < 0.65:
        return pretty.display("[", [piece(r, depth - 1) for _ in range(count)], "]", magic=r.random() < 0.1)
    if choice < 0.85:
        return pretty.display("{", [pretty.entry(f'"{name(r)}"', piece(r, depth - 1)) for _ in range(count)], "}")
    element = pretty.entry(name(r), piece(r, depth - 1))
    return Group("{", [element, Seq(["for ", name(r), " in ", piece(r, 1)])], "}", COMPREHENSION)


def statement(r: random.Random) -> str:
    block = Block(0)
    choice = r.random()
    if choice < 0.15:
        parameters = [Seq([name(r), ": int = ", piece(r, 2)]) for _ in range(r.choice([1, 1, 2, 3, 5]))]
        comments = ["# noqa: B006" if r.random() < 0.2 else "" for _ in parameters]
        block.nested(Seq(["def ", name(r), Group("(", parameters, ")", DEF, comments=comments), " -> dict:"])
                     ).add("pass")
        return block.text()
    body = block.nested("def f():")
    if r.random() < 0.5:
        body = body.nested("for a in b:")
    if choice < 0.3:
        body.nested(Seq(["for k, v in ", piece(r, 3), ":"])).add("pass")
    elif choice < 0.4:
        body.add(Seq(["return ", piece(r, 3)]))
    elif choice < 0.5:
        body.add(Seq([name(r), " = ", name(r), " = ", piece(r, 3)]))
    elif choice < 0.75:
        body.add(Seq(["yield ", piece(r, r.randint(1, 5))]))
    else:
        body.add(Seq([name(r), " = ", piece(r, r.randint(1, 5))]))
    return block.text()


def test_random_statements_are_laid_out_as_ruff_lays_them_out():
    if not RUFF.exists():
        pytest.skip("ruff is not installed beside this Python")
    r = random.Random(13)
    blocks = [statement(r) for _ in range(600)]
    text = "\n\n\n".join(blocks) + "\n"
    done = subprocess.run([str(RUFF), "format", "--isolated", "--line-length", str(WIDTH), "-"], input=text,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for ours, theirs in zip(text.split("\n\n\n"), done.stdout.split("\n\n\n"), strict=True):
        assert ours.rstrip("\n") == theirs.rstrip("\n")


def test_what_fits_stays_on_one_line_and_what_does_not_is_split_at_its_last_bracket():
    short = pretty.call("f", [Text("a"), pretty.display("[", [Text("1"), Text("2")], "]")])
    assert pretty.render(short) == "f(a, [1, 2])"
    long = Seq(["x = ", pretty.call("f", [Text("a" * 60), Text("b" * 60)])])
    assert pretty.render(long) == "x = f(\n    " + "a" * 60 + ",\n    " + "b" * 60 + ",\n)"
    joined = Seq(["x = ", pretty.call("f", [Text("a" * 50), Text("b" * 55)])])  # the arguments fit on a line
    assert pretty.render(joined, 8) == "        x = f(\n            " + "a" * 50 + ", " + "b" * 55 + "\n        )"
