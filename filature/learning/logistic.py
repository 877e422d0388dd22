"""L2-regularised logistic regression fitted by iteratively reweighted least squares (numpy).

A few hundred labels and a few dozen columns: Newton's method converges in a handful of
steps, and every number of the fit can be read and re-derived by a technical officer. The
penalty is per column, so some columns (the intercept, the indicator score) can be left
nearly free while the others are pulled towards zero.
"""

from __future__ import annotations

import numpy as np

from filature.errors import FilatureError

MAX_ITERATIONS = 100
TOLERANCE = 1e-8


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large |z|."""
    out = np.empty_like(z, dtype=float)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Weights ``w`` (first one the intercept) minimising log-loss + ½ Σ penalty_j w_j².

    ``x`` has no intercept column: one is added. ``penalty`` has one entry per column of
    ``x`` plus one, first, for the intercept.
    """
    design = np.column_stack([np.ones(len(x)), x])
    if penalty.shape != (design.shape[1],):
        raise FilatureError(f"penalty needs {design.shape[1]} entries, got {penalty.shape}")
    ridge = np.diag(penalty)
    w = np.zeros(design.shape[1])
    for _ in range(MAX_ITERATIONS):
        p = sigmoid(design @ w)
        gradient = design.T @ (p - y) + penalty * w
        weights = np.maximum(p * (1 - p), 1e-10)
        hessian = design.T @ (design * weights[:, None]) + ridge
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if np.max(np.abs(step)) < TOLERANCE:
            break
    return w


def predict_logit(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The log-odds of each row of ``x`` under weights ``w`` (intercept first)."""
    return w[0] + x @ w[1:]
