"""Posterior figures: one row of panels per channel of a multi-channel field."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import torch

from sciddiff.train.figures import plot_posterior


def test_multichannel_field_gets_one_row_per_channel(tmp_path: Path) -> None:
    g = torch.Generator().manual_seed(0)
    one = mpimg.imread(plot_posterior(torch.randn(1, 8, 8, generator=g), torch.rand(1, 8, 8), tmp_path / "one.png"))
    two = mpimg.imread(
        plot_posterior(
            torch.randn(2, 8, 8, generator=g), torch.rand(2, 8, 8), tmp_path / "two.png", truth=torch.zeros(2, 8, 8)
        )
    )
    assert abs(two.shape[0] / one.shape[0] - 2.0) < 0.05  # twice as tall: two rows
    assert abs(two.shape[1] / one.shape[1] - 4 / 2) < 0.05  # truth, mean, std, |error| against mean, std
