"""A small, real model-selection job in plain NumPy: synthetic data sets,
three kinds of regressors with their settings, held-out error, best pick."""
from __future__ import annotations

import numpy as np


def make_dataset(kind: str, n: int = 200, noise: float = 0.1, seed: int = 0):
    """(x, y) for a named shape: 'linear', 'quadratic' or 'wave'."""
    rng = np.random.default_rng([seed, sum(map(ord, kind))])  # each shape its own noise
    x = np.sort(rng.uniform(-3, 3, n))
    clean = {"linear": 1.5 * x - 0.5, "quadratic": 0.5 * x**2 - x + 1, "wave": np.sin(2 * x) + 0.3 * x}[kind]
    return x, clean + rng.normal(0, noise, n)


def split(x, y, test_fraction: float = 0.25, seed: int = 0):
    """A shuffled train/test split, as a dict so consumers pick parts by name."""
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(len(x) * (1 - test_fraction))
    train, test = order[:cut], order[cut:]
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def train(kind: str, settings: dict, x, y):
    """Fit a model; returns a plain dict so it stores and travels anywhere."""
    if kind == "poly":
        return {"kind": kind, "coef": np.polyfit(x, y, settings["degree"]).tolist()}
    if kind == "knn":
        return {"kind": kind, "k": settings["k"], "x": x.tolist(), "y": y.tolist()}
    if kind == "ridge":
        features = np.vander(x, settings["degree"] + 1)
        penalty = settings["alpha"] * np.eye(features.shape[1])
        coef = np.linalg.solve(features.T @ features + penalty, features.T @ y)
        return {"kind": kind, "coef": coef.tolist()}
    raise ValueError(f"unknown model kind {kind!r}")


def predict(model: dict, x):
    if model["kind"] in ("poly", "ridge"):
        return np.polyval(model["coef"], x)
    xs, ys = np.asarray(model["x"]), np.asarray(model["y"])
    nearest = np.argsort(np.abs(x[:, None] - xs[None, :]), axis=1)[:, : model["k"]]
    return ys[nearest].mean(axis=1)


def score(model: dict, x, y) -> float:
    """Root mean squared error on held-out data (lower is better)."""
    return round(float(np.sqrt(np.mean((predict(model, x) - y) ** 2))), 6)


def pick_best(scores: dict) -> dict:
    """For each data set, the model with the lowest error: {dataset: [model, error]}."""
    return {ds: list(min(sorted(by_model.items()), key=lambda kv: kv[1])) for ds, by_model in sorted(scores.items())}


# --- model classes, for a loop over classes (examples/tune.fuse) ---------------------------


class Poly:
    """A model class, configured then fitted: `Poly(degree=3).fit(x, y)` is `train("poly", {"degree": 3}, x, y)`."""

    kind = "poly"

    def __init__(self, **settings):
        self.settings = settings

    def fit(self, x, y) -> dict:
        return train(self.kind, self.settings, x, y)


class Knn(Poly):
    """k nearest neighbours: `Knn(k=5)`."""

    kind = "knn"


class Ridge(Poly):
    """Ridge regression on polynomial features: `Ridge(degree=5, alpha=0.1)`."""

    kind = "ridge"


def fit(model_class, settings: dict, x, y) -> dict:
    """`model_class(**settings)` fitted to (x, y): a class passed as a value."""
    return model_class(**settings).fit(x, y)


def lowest(scores: dict) -> list:
    """[name, error] of the lowest error in {name: error}."""
    return list(min(sorted(scores.items()), key=lambda kv: kv[1]))
