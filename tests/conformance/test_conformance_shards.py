"""examples/shards.fuse on every target: shards listed at run time, a model per shard, the best
promoted only if it beats the threshold, notify in `finally`; the same outputs and stored results."""
from __future__ import annotations

import shutil

from conformance_helpers import HERE

EXAMPLES = HERE.parents[1] / "examples"


def test_the_shards_example_gives_the_same_results_on_every_target(scenario, target):
    shards = scenario("shards", (EXAMPLES / "shards.fuse").read_text(encoding="utf-8"))
    shutil.copy(EXAMPLES / "shards.py", shards.folder / "shards.py")  # beside the file, as in examples/
    script = ((), ("-p", "threshold=0.999"), ("-p", "count=5"))
    runs = shards.play(target, *script)
    assert runs == shards.reference(*script)
    promoted, held, grown = runs
    assert promoted.outputs["best"]["shard"] == "sales-00"
    assert promoted.outputs["released"] == {"released": "sales-00", "score": promoted.outputs["best"]["score"]}
    assert held.outputs["released"]["released"] is None  # the other branch: nothing refitted
    assert grown.outputs["best"] == promoted.outputs["best"]  # a fifth shard: fitted alone, not the best
    stored = {node for node, _ in grown.stored}
    assert {"names", "model.4", "score.4", "best", "released.if", "released.else"} <= stored
    assert "notify_1" not in stored  # finally's result is never stored
