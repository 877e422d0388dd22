"""The synthetic world: a national data set of transfers, an operator's export, and its truth.

``generate_world(out, senders=...)`` writes them (see world.py); calibration.py names every
figure and its published source.
"""

from filature.synth.world import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
