"""Filature: find the buyers of live-streamed child sexual abuse from money-transfer records."""

__version__ = "0.1.0"
