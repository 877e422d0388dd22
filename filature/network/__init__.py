"""Network evidence: the sender <-> receiver graph, facilitator scores, following the money."""
