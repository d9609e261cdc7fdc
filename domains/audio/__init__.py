"""Audio domain: spectrograms with physical coordinates, synthetic sounds, spoken digits, metrics, baselines, and
the adapter that plugs them into the training stack."""

from sciddiff.domains.audio.adapter import AudioAdapter

__all__ = ["AudioAdapter"]
