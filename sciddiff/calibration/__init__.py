"""Tools to measure how faithful samples and posteriors are, for any model."""

from sciddiff.calibration.distances import mode_weights, sliced_wasserstein, total_variation

__all__ = ["mode_weights", "sliced_wasserstein", "total_variation"]
