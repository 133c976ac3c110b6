"""Small components in kfp's DSL for the tests that show what kfp's own compiler accepts (imported as
`kfp_components`, beside kfp_helpers): each does nothing, its signature is all that matters.

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytest.importorskip("kfp")

from kfp import dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, OutputPath  # noqa: E402

IMAGE = "python:3.11"  # kfp's default, as fuseflow's


@dsl.component(base_image=IMAGE)
def make(result: Output[Artifact]):
    pass


@dsl.component(base_image=IMAGE)
def decide() -> int:
    return 0


@dsl.component(base_image=IMAGE)
def items(keys: OutputPath(str)) -> list:
    return []


@dsl.component(base_image=IMAGE)
def each(x: str, result: Output[Artifact]):
    pass


@dsl.component(base_image=IMAGE)
def gather(r: Input[list[Artifact]], r_keys: str = ""):
    pass


@dsl.component(base_image=IMAGE)
def use(k: Input[Artifact], result: Output[Artifact]):
    pass
