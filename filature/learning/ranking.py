"""The blended ranking: the model re-orders the review pool the indicator score selects.

Why not rank everyone by the model's probability? Its labels come from cases, and cases are
opened from the top of the indicator list (and from referrals): the cleared senders are the
false positives investigators reviewed there. The model has learnt what separates buyers
from those reviewed false positives; it has seen nothing like the tens of thousands of
senders with one weak flag far down the list, and a probability extrapolated to them is a
guess (a coefficient can even turn negative on the score itself when the reviewed negatives
all scored high). So:

- the **pool** is the top ``pool`` senders of the indicator score (score > 0), by default
  three times the capacity: the senders such a list puts before investigators over the
  next cycles, where the labels come from;
- inside the pool, senders are ordered by the model's probability (ties: indicator rank);
- below the pool, the indicator order is kept unchanged.

With no model, or a model that learnt nothing beyond the score, the order is the indicator
order: the blend can move people within the pool, never bring in someone the pack does not
flag at all.
"""

from __future__ import annotations

import numpy as np

# The pool, in multiples of the capacity.
POOL_FACTOR = 3


def blended_rank(indicator_rank: np.ndarray, score: np.ndarray, logit: np.ndarray,
                 pool: int) -> np.ndarray:
    """The blended rank (1 = first) of each sender, given their indicator rank and score.

    Ordered by the model's log-odds, not its probability: the same order, without the ties
    of probabilities that round to 1."""
    in_pool = (indicator_rank <= pool) & (score > 0)
    pooled = np.flatnonzero(in_pool)
    rest = np.flatnonzero(~in_pool)
    # lexsort sorts by the last key first: log-odds (descending), then indicator rank.
    pooled = pooled[np.lexsort((indicator_rank[pooled], -logit[pooled]))]
    rest = rest[np.argsort(indicator_rank[rest], kind="stable")]
    rank = np.empty(len(indicator_rank), dtype=np.int64)
    rank[np.concatenate([pooled, rest])] = np.arange(1, len(indicator_rank) + 1)
    return rank
