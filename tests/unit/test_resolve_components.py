"""The vectorised connected components agree with igraph's on random and chained graphs."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pytest

from filature.resolve.components import components


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize(("n", "m", "seed"), [(1, 0, 0), (50, 20, 1), (2000, 1500, 2),
                                               (2000, 4000, 3)])
def test_components_match_igraph_on_random_graphs(n, m, seed):
    edges = np.random.default_rng(seed).integers(0, n, size=(m, 2))
    ours = components(n, edges[:, 0], edges[:, 1])
    theirs = np.asarray(ig.Graph(n=n, edges=edges.tolist()).connected_components().membership)
    assert _same_partition(ours, theirs)


def test_a_long_chain_written_backwards_is_one_component_and_labels_are_dense():
    n = 1000
    labels = components(n + 2, np.arange(n - 1, 0, -1), np.arange(n - 2, -1, -1))
    assert set(labels[:n].tolist()) == {0}
    assert sorted(set(labels.tolist())) == [0, 1, 2]     # the two loners keep their own
