"""Clusters of records: links above the threshold, joined transitively, judgements obeyed.

Most clusters are plain connected components (vectorised, see ``components``). Only a component that
holds both sides of a "not the same" judgement is rebuilt link by link, strongest link
first, refusing any join that would put the two sides together: the weakest chain between
them is the one cut, as an analyst would expect. "Same person" judgements are joins made
before any link; a "not the same" wins over a contradicting "same".
"""

from __future__ import annotations

import numpy as np

from filature.resolve.components import components
from filature.resolve.judgements import Constraints


class _Partition:
    """Union-find whose sets remember which side of each "not the same" they contain."""

    def __init__(self, tags: dict[int, dict[str, str]]) -> None:
        self.parent: dict[int, int] = {}
        self.tags: dict[int, dict[str, set[str]]] = {
            node: {jid: {part} for jid, part in t.items()} for node, t in tags.items()}

    def find(self, x: int) -> int:
        root = self.parent.get(x, x)
        if root == x:
            return x
        root = self.find(root)
        self.parent[x] = root
        return root

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ta, tb = self.tags.get(ra, {}), self.tags.get(rb, {})
        if any(ta[j] | tb[j] == {"a", "b"} for j in ta.keys() & tb.keys()):
            return False
        self.parent[rb] = ra
        if tb:
            merged = self.tags.setdefault(ra, {})
            for j, parts in tb.items():
                merged[j] = merged.get(j, set()) | parts
        return True


def cluster(record_ids: list[str], left: np.ndarray, right: np.ndarray, weight: np.ndarray,
            judged: Constraints) -> np.ndarray:
    """Cluster label (an int) per record of ``record_ids``; links given as index arrays."""
    n = len(record_ids)
    judged_any = bool(judged.must_link or judged.cannot_link)
    index = {r: i for i, r in enumerate(record_ids)} if judged_any else {}
    must = np.array([(index[a], index[b]) for a, b in judged.must_link
                     if a in index and b in index], dtype=np.int64).reshape(-1, 2)
    edges = np.concatenate([must, np.column_stack([left, right]).astype(np.int64)])
    membership = components(n, edges[:, 0], edges[:, 1])
    tags: dict[int, dict[str, str]] = {}
    for jid, (a_side, b_side) in judged.cannot_link.items():
        for part, records in (("a", a_side), ("b", b_side)):
            for r in records:
                if r in index:
                    tags.setdefault(index[r], {})[jid] = part
    conflicted = _conflicted_components(membership, tags)
    if not conflicted:
        return membership
    # Rebuild the conflicted components: must-links first, then links by falling weight.
    all_weights = np.concatenate([np.full(len(must), np.inf), weight])
    in_conflict = np.isin(membership[edges[:, 0]], list(conflicted))
    # ties in weight broken by the records' numbers: the same links, in whatever order
    # they were read, give the same clusters
    conflict_edges = edges[in_conflict]
    order = np.lexsort((conflict_edges[:, 1], conflict_edges[:, 0], -all_weights[in_conflict]))
    partition = _Partition(tags)
    for a, b in conflict_edges[order]:
        partition.join(int(a), int(b))
    next_label = int(membership.max()) + 1
    relabel: dict[int, int] = {}
    for node in np.flatnonzero(np.isin(membership, list(conflicted))):
        root = partition.find(int(node))
        if root not in relabel:
            relabel[root] = next_label
            next_label += 1
        membership[node] = relabel[root]
    return membership


def _conflicted_components(membership: np.ndarray, tags: dict[int, dict[str, str]]) -> set[int]:
    seen: dict[tuple[int, str], set[str]] = {}
    for node, t in tags.items():
        for jid, part in t.items():
            seen.setdefault((int(membership[node]), jid), set()).add(part)
    return {comp for (comp, _), parts in seen.items() if parts == {"a", "b"}}
