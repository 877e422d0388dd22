"""The supervised model: case outcomes correct the pack's weights, by logistic regression.

Columns are the indicator score and the points of each evidence (``learning.matrix``),
standardised on the labelled senders. The intercept and the indicator score are nearly free;
every evidence column is pulled towards zero by an L2 penalty chosen by cross-validation.
So with few or noisy labels the model is the indicator score turned into a probability
(a Platt calibration of the pack), and each evidence gets a weight of its own only as far as
the outcomes back it: what the investigators' findings teach is a *correction* to the
published red flags, never a replacement learnt from a handful of cases.

A logistic model's output is a probability; the validation figures (``learning.validation``)
say how well calibrated it is, on senders it was not fitted on. Its base rate is that of the
labels (reviewed senders), not of the whole population: the probability reads "among senders
like those the unit has reviewed, the chance this one is a confirmed buyer".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from filature.errors import InputError
from filature.learning.logistic import fit_logistic, predict_logit, sigmoid
from filature.learning.matrix import EvidenceMatrix, label_vector
from filature.learning.validation import Validation, cross_validate, out_of_fold

# Below these counts a model would learn the noise of a few cases: screening goes on with
# the indicator score alone and says why.
MIN_POSITIVES = 20
MIN_NEGATIVES = 20
# L2 penalties tried for the evidence columns (on standardised columns).
PENALTIES = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
# The intercept and the indicator score: a token penalty, only so that a perfect separation
# of a few labels cannot send them to infinity.
FREE_PENALTY = 1e-3
FOLDS = 5


@dataclass
class SupervisedModel:
    """A fitted model: what each column weighs, on what scale, and how well it validated."""

    columns: list[str]
    labels_en: list[str]
    labels_fr: list[str]
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray        # per standardised column
    intercept: float
    penalty: float
    positives: int
    negatives: int
    validation: Validation

    def standardised(self, values: np.ndarray) -> np.ndarray:
        return (values - self.means) / self.scales

    @property
    def baseline(self) -> float:
        """The log-odds of a sender with no evidence at all (every column at zero)."""
        return float(self.intercept - (self.means / self.scales * self.coefficients).sum())

    def contributions(self, values: np.ndarray) -> np.ndarray:
        """Each column's share of the log-odds: coefficient x value / standard deviation.

        ``baseline`` plus a sender's contributions is his log-odds: a contribution is how
        far that evidence moves him from a sender with none, so evidence a sender did not
        meet contributes nothing, as in the indicator breakdown."""
        return values / self.scales * self.coefficients

    def logit(self, values: np.ndarray) -> np.ndarray:
        return self.baseline + self.contributions(values).sum(axis=1)

    def probability(self, values: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(values))

    def description(self) -> dict[str, Any]:
        """The model as data, to store and to print: columns, scale, weights, validation."""
        return {
            "intercept": self.intercept, "baseline": self.baseline, "penalty": self.penalty,
            "columns": [{"id": c, "label_en": le, "label_fr": lf, "mean": float(m),
                         "scale": float(s), "coefficient": float(w)}
                        for c, le, lf, m, s, w in zip(self.columns, self.labels_en,
                                                       self.labels_fr, self.means, self.scales,
                                                       self.coefficients, strict=True)],
        }


@dataclass
class Training:
    """The outcome of an attempt to fit: a model, or why there is none."""

    positives: int
    negatives: int
    labels_outside_run: int
    model: SupervisedModel | None = None
    skipped: str | None = None


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    # A column constant over the labels carries no lesson: scale 1 keeps it at zero.
    return means, np.where(scales > 1e-9, scales, 1.0)


def _fit(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """(means, scales, weights with the intercept first) on standardised columns."""
    means, scales = _standardise(x)
    per_column = np.full(x.shape[1] + 1, penalty)
    per_column[:2] = FREE_PENALTY     # intercept, indicator score
    return means, scales, fit_logistic((x - means) / scales, y, per_column)


def _fitter(penalty: float) -> Callable[[np.ndarray, np.ndarray],
                                        Callable[[np.ndarray], np.ndarray]]:
    def fit(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        means, scales, w = _fit(x, y, penalty)
        return lambda new: sigmoid(predict_logit((new - means) / scales, w))
    return fit


def choose_penalty(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """The penalty with the lowest cross-validated log-loss on these labels."""
    def loss(penalty: float) -> float:
        p = np.clip(out_of_fold(x, y, _fitter(penalty), folds=FOLDS, seed=seed), 1e-9,
                    1 - 1e-9)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return min(PENALTIES, key=loss)


def _tuned(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Fit with the penalty chosen on these labels only (nested inside validation folds)."""
    return _fitter(choose_penalty(x, y))(x, y)


def as_pairs(labels: Iterable[Any]) -> list[tuple[str, int]]:
    """(sender_id, label) pairs from ``OutcomeLabel``-like objects or from pairs."""
    pairs: dict[str, int] = {}
    for item in labels:
        sender_id, label = ((item.sender_id, item.label) if hasattr(item, "sender_id")
                            else (item[0], item[1]))
        if int(label) not in (0, 1):
            raise InputError(f"label of {sender_id} is {label}: 1 confirmed or 0 cleared")
        pairs[str(sender_id)] = int(label)
    return sorted(pairs.items())


def train(matrix: EvidenceMatrix, labels: Sequence[tuple[str, int]], *,
          min_positives: int = MIN_POSITIVES, min_negatives: int = MIN_NEGATIVES,
          seed: int = 0) -> Training:
    """Fit and validate a model on the labelled senders of the run, or say why not."""
    rows, y = label_vector(matrix, labels)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    training = Training(positives, negatives, labels_outside_run=len(labels) - len(rows))
    if positives < min_positives or negatives < min_negatives:
        training.skipped = (
            f"not enough outcomes to learn from: {positives} confirmed and {negatives} "
            f"cleared sender(s) in this run, at least {min_positives} and {min_negatives} "
            "needed; the ranking is the indicator score's")
        return training
    x = matrix.values[rows]
    validation = cross_validate(x, y, x[:, 0], _tuned, folds=FOLDS, seed=seed)
    penalty = choose_penalty(x, y, seed)
    means, scales, w = _fit(x, y, penalty)
    training.model = SupervisedModel(
        columns=list(matrix.columns), labels_en=list(matrix.labels_en),
        labels_fr=list(matrix.labels_fr), means=means, scales=scales, coefficients=w[1:],
        intercept=float(w[0]), penalty=penalty, positives=positives, negatives=negatives,
        validation=validation)
    return training
