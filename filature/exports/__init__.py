"""Exports: the run's lists as CSV/JSON, the HTML summary, partner-ready data."""
