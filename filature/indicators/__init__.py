"""Indicators: the typology pack (red flags as YAML data) and the engine that evaluates it."""

from filature.indicators.pack import Indicator, Pack, load_pack

__all__ = ["Indicator", "Pack", "load_pack"]
