"""Case outcomes teach the screening: a supervised model beside the indicator score.

``matrix`` reads a run's evidence per sender, ``model`` fits a regularised logistic
regression on the confirmed and cleared senders (``logistic``), ``validation`` gives its
cross-validated figures, ``explain`` puts each target's contributions in words, ``ranking``
blends the model into the order of the targets and ``stage`` runs it all for a run and stores
it (``records``). Labels come from the caller: this package does not read the case database.
"""

from filature.learning.stage import LearningReport, learn_from_outcomes

__all__ = ["LearningReport", "learn_from_outcomes"]
