"""Model selection over data shards known only when the workflow runs (examples/shards.fuse):
one least-squares model per shard, scored on held-out rows, the best promoted only if it
beats a threshold. Plain NumPy; each shard's data is synthetic and seeded by its name."""
from __future__ import annotations

import numpy as np


def list_shards(prefix: str, count: int) -> list[str]:
    """The shards to fit, as a data catalog would list them: decided when the workflow runs."""
    return [f"{prefix}-{i:02d}" for i in range(count)]


def _rows(shard: str, n: int, part: int):
    """(x, y) of a shard: y = x . w + noise, the noise growing with the shard's number."""
    number = int(shard.rsplit("-", 1)[-1])
    rng = np.random.default_rng([part, sum(map(ord, shard))])
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + rng.normal(0, 0.3 + 0.6 * number, n)
    return x, y


def fit(shard: str) -> dict:
    """Least squares on the shard's training rows; a plain dict, so it stores and travels anywhere."""
    x, y = _rows(shard, 200, part=0)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return {"shard": shard, "coef": [round(c, 6) for c in coef.tolist()]}


def evaluate(model: dict, shard: str) -> float:
    """R² of the model on the shard's held-out rows."""
    x, y = _rows(shard, 100, part=1)
    residual = y - x @ np.array(model["coef"])
    return round(float(1 - residual.var() / y.var()), 4)


def pick_best(models: list, scores: list) -> dict:
    """The model with the highest score, with its score."""
    best = max(range(len(scores)), key=scores.__getitem__)
    return {"shard": models[best]["shard"], "score": scores[best], "model": models[best]}


def promote(best: dict) -> dict:
    """Release the best model (here: say so; a registry call in real life)."""
    return {"released": best["shard"], "score": best["score"]}


def hold_back(best: dict, threshold: float) -> dict:
    """Release nothing: the best model does not beat the threshold."""
    return {"released": None, "reason": f"best score {best['score']} is below {threshold}"}


def notify(status: dict) -> str:
    """Tell whoever watches how the run went (here: print it)."""
    failed = ", ".join(item["node"] for item in status.get("failed", []))
    message = f"shards run {status['state']}" + (f" (failed: {failed})" if failed else "")
    print(message)
    return message
