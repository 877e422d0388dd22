"""Validation figures of a supervised model: cross-validated AUC, precision, Brier, reliability.

Every figure is computed on out-of-fold probabilities: each labelled sender is scored by a
model that never saw his label, so the figures say how the model does on people it has not
been taught, not how well it remembers its lessons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# Reliability bins of predicted probability.
RELIABILITY_EDGES = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number for each label, positives and negatives each spread evenly."""
    rng = np.random.default_rng(seed)
    folds = np.empty(len(y), dtype=int)
    for value in (0, 1):
        where = np.flatnonzero(y == value)
        rng.shuffle(where)
        folds[where] = np.arange(len(where)) % k
    return folds


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties count half)."""
    pos, neg = score[y == 1], score[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def precision_at_labelled_top(y: np.ndarray, score: np.ndarray) -> float:
    """Share of positives among the k best-scored labelled senders, k = number of positives."""
    k = int(y.sum())
    if k == 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    return float(y[order[:k]].mean())


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared gap between probability and outcome (0 is perfect, 0.25 a coin)."""
    return float(np.mean((p - y) ** 2))


@dataclass
class ReliabilityBin:
    low: float
    high: float
    senders: int
    mean_probability: float
    observed_rate: float


def reliability(y: np.ndarray, p: np.ndarray) -> list[ReliabilityBin]:
    """Predicted against observed, by probability band (empty bands left out)."""
    bins = []
    edges = RELIABILITY_EDGES
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.any():
            bins.append(ReliabilityBin(low, high, int(inside.sum()), float(p[inside].mean()),
                                       float(y[inside].mean())))
    return bins


@dataclass
class Validation:
    """Out-of-fold figures of the model next to the indicator score on the same labels."""

    folds: int
    repeats: int
    auc: float
    precision_at_labelled_top: float
    brier: float
    indicator_auc: float
    indicator_precision_at_labelled_top: float
    reliability: list[ReliabilityBin] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Fitter = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def out_of_fold(x: np.ndarray, y: np.ndarray, fit: Fitter, *, folds: int,
                seed: int) -> np.ndarray:
    """Each label's probability from a model fitted on the other folds."""
    fold = stratified_folds(y, folds, seed)
    p = np.empty(len(y))
    for f in range(folds):
        test = fold == f
        predict = fit(x[~test], y[~test])
        p[test] = predict(x[test])
    return p


def cross_validate(x: np.ndarray, y: np.ndarray, indicator_score: np.ndarray, fit: Fitter, *,
                   folds: int = 5, repeats: int = 3, seed: int = 0) -> Validation:
    """Figures averaged over ``repeats`` shuffles of ``folds``-fold cross-validation."""
    runs = [out_of_fold(x, y, fit, folds=folds, seed=seed + r) for r in range(repeats)]
    pooled_y = np.concatenate([y] * repeats)
    pooled_p = np.concatenate(runs)
    return Validation(
        folds=folds, repeats=repeats,
        auc=float(np.mean([auc(y, p) for p in runs])),
        precision_at_labelled_top=float(np.mean([precision_at_labelled_top(y, p)
                                                 for p in runs])),
        brier=float(np.mean([brier(y, p) for p in runs])),
        indicator_auc=auc(y, indicator_score),
        indicator_precision_at_labelled_top=precision_at_labelled_top(y, indicator_score),
        reliability=reliability(pooled_y, pooled_p))
