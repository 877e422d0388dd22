"""Connected components of a large edge list, vectorised: the records a chain of links joins.

Building an igraph graph from a million links costs seconds of Python per call (each edge
becomes a tuple); hooking each root under the smaller root across all edges at once and
then jumping pointers until every node points at its root takes a few numpy passes.
"""

from __future__ import annotations

import numpy as np


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label per node ``0..n-1`` (dense, 0-based, in order of each component's
    smallest node) for the undirected edges ``left[i] -- right[i]``."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:
        a, b = parent[left], parent[right]        # roots: every node points at its root
        differ = a != b
        if not differ.any():
            break
        low, high = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
        np.minimum.at(parent, high, low)          # hook each root under the smaller one
        while True:                               # jump until each node points at a root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        left, right = left[differ], right[differ]
    _, labels = np.unique(parent, return_inverse=True)
    return labels.astype(np.int64).ravel()
