"""The neutral options do the same on every target: seed, env, retries, always_read,
cache: false, and what a node that times out or runs out of retries reports.

Each test plays a scenario on one target and on the reference target (local)
and asserts identical runs (outputs, failure report, calls, stored cache keys),
then the values expected.
"""
from __future__ import annotations

OPTIONS = """
workflow options
from conformance_steps import draw, getenv, flaky, fragile, is_fresh, inc
param log: str = LOG
numbers = draw(log)
greeting = getenv(log, "CONFORMANCE_GREETING")
outside = getenv(log, "CONFORMANCE_GREETING", greeting)
attempt = flaky(log, 2)
checked = fragile(log)
fresh = is_fresh(log, checked)
always = inc(log, 0)
return numbers, greeting, outside, attempt, fresh, always
options {
    "numbers": { seed: 7 }
    "greeting": { env: {"CONFORMANCE_GREETING": "hello"} }
    "attempt": { retries: 2 }
    "checked": { always_read: true }
    "always": { cache: false }
}
"""

TIMEOUT = """
workflow timeout
from conformance_steps import nap
param log: str = LOG
slow = nap(log, 2)
options { "slow": { timeout: 1 } }     # whole seconds: KFP takes no fractions
"""

EXHAUSTED = """
workflow exhausted
from conformance_steps import always_fails
param log: str = LOG
bad = always_fails(log)
options { "bad": { retries: 1 } }
"""

UNCHANGED = ()


def test_options_have_the_same_effect_on_every_target(scenario, target):
    options = scenario("options", OPTIONS)
    runs = options.play(target, UNCHANGED, UNCHANGED)
    assert runs == options.reference(UNCHANGED, UNCHANGED)  # seeded numbers included
    first, again = runs
    outputs = dict(first.outputs)
    assert len(outputs.pop("numbers")) == 2
    assert outputs == {
        "greeting": "hello",  # env: set while the node runs ...
        "outside": None,  # ... and only then
        "attempt": 3,  # retries: 2, and the third attempt worked
        "fresh": False,  # always_read: what is passed on is the stored copy
        "always": 1,
    }
    assert again.outputs == first.outputs
    assert again.calls == ["inc 0"]  # cache: false runs every time ...
    assert "always" not in {node for node, _ in first.stored}  # ... and is never stored


def test_a_node_that_times_out_fails_with_the_same_report(scenario, target):
    timeout = scenario("timeout", TIMEOUT)
    runs = timeout.play(target, UNCHANGED)
    assert runs == timeout.reference(UNCHANGED)
    assert runs[0].failure.startswith("error: node 'slow' failed: NodeTimeout: timed out after 1 s\n")


def test_a_node_out_of_retries_fails_with_the_same_report(scenario, target):
    exhausted = scenario("exhausted", EXHAUSTED)
    runs = exhausted.play(target, UNCHANGED)
    assert runs == exhausted.reference(UNCHANGED)
    assert runs[0].failure.startswith("error: node 'bad' failed after 2 attempts: RuntimeError: never works\n")
