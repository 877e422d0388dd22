"""Scoring: combining indicator and network evidence into explained, reproducible runs."""
