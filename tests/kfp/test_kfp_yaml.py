"""The YAML emitter: what it writes reads back (with PyYAML, as kfp reads it) as the same data."""
from __future__ import annotations

import random
import string

import pytest

from fuseflow.compiler.targets import kfp_yaml

import yaml

pytestmark = pytest.mark.kfp

TRICKY = [
    "", " ", "a", "true", "True", "no", "Off", "y", "~", "null", "1", "1.5", "0x1f", "1:20", "2001-12-14", "1e3",
    ".inf", "-", "- x", "? x", "a: b", "a:b", "a:", "a #b", "#x", "!x", "&x", "*x", "%x", "@x", "`x", "|", ">",
    "'q'", '"q"', "a,b", "[x]", "{x}", "python:3.11", "{{$}}", "--executor_input", "é", "tab\there", "cr\r\n",
    "u\u2028x", "\x85", "\x7f", "\x00", "line1\nline2", "\nlead", "end\n", "end\n\n\n", "  indented\nx\n",
    "\n\n  deep\n", "a\n \nb", "trail \nx", "x\n\ty\n", "\ufeffbom",
]


def round_trip(data):
    text = kfp_yaml.dump(data)
    assert yaml.safe_load(text) == data, text
    return text


def test_tricky_strings_read_back():
    round_trip({f"k{i}": s for i, s in enumerate(TRICKY)})
    round_trip({"list": TRICKY, "nested": [{"k": s, "z": [s]} for s in TRICKY]})
    round_trip({s or "empty": 1 for s in TRICKY if "\n" not in s})  # strings as keys


def test_numbers_read_back_with_their_types():
    data = {"n": [0, -1, 2**62, 1.5, -0.0, 1e300, 1e-7, 123456789.0, True, False, None]}
    text = round_trip(data)
    assert "1.0e+300" in text  # PyYAML reads a float without a dot as a string


def test_random_documents_read_back():
    rng = random.Random(7)
    alphabet = string.printable + "é\u2028\x85\x00"

    def value(depth):
        kind = rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        if kind == 1:
            return rng.choice([0, 7, -3, 2**40, 0.25, -1.5e-9, True, False, None])
        if kind == 2:
            return rng.choice(["", "plain", "with space", "x\ny\n", "-ec"])
        if kind == 3:
            return rng.choice(TRICKY)
        if kind in (4, 5):
            return {"".join(rng.choice(string.ascii_letters + " :#-") for _ in range(rng.randrange(1, 6))): value(depth + 1)
                    for _ in range(rng.randrange(5))}
        return [value(depth + 1) for _ in range(rng.randrange(5))]

    for _ in range(300):
        round_trip({"root": value(0)})


def test_keys_are_sorted_and_short_collections_fit_on_one_line():
    text = kfp_yaml.dump({"b": {"q": 1, "p": [1, 2]}, "a": {"long": "v" * 120}})
    assert text == "a:\n  long: " + "v" * 120 + "\nb: {p: [1, 2], q: 1}\n"


def test_code_goes_into_literal_blocks():
    code = "import os\n\ndef f():\n    return 1\n"
    text = round_trip({"command": ["sh", code]})
    assert "  - |\n    import os\n\n    def f():\n        return 1\n" in text
