"""Fan charts: the drawn median, bands, truth and observed dots are the ensemble's exact quantiles and the given
series; per-method charts refuse samples that do not line up with the truth."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sciddiff.domains.timeseries.figures import draw_fan, plot_method_fans


def test_draw_fan_draws_the_exact_quantiles() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 12)) * np.linspace(0.5, 2.0, 12)
    t = np.arange(12.0)
    truth = np.sin(t)
    observed = t % 4 == 0
    fig, ax = plt.subplots()
    draw_fan(ax, t, x, truth, observed)
    median, truth_line, dots = ax.lines
    assert np.allclose(median.get_ydata(), np.quantile(x, 0.5, axis=0))
    assert np.allclose(truth_line.get_ydata(), truth)
    assert np.allclose(dots.get_xdata(), [0.0, 4.0, 8.0]) and np.allclose(dots.get_ydata(), truth[[0, 4, 8]])
    outer, inner = ax.collections
    for band, (lo, hi) in ((outer, (0.05, 0.95)), (inner, (0.25, 0.75))):
        v = band.get_paths()[0].vertices
        for i in range(12):
            ys = v[np.isclose(v[:, 0], t[i]), 1]
            assert np.isclose(ys.min(), np.quantile(x[:, i], lo)) and np.isclose(ys.max(), np.quantile(x[:, i], hi))
    plt.close(fig)


def test_method_fans_write_one_figure_and_refuse_misaligned_samples(tmp_path: Path) -> None:
    truth = np.arange(8.0)
    samples = {"model": np.random.default_rng(1).standard_normal((50, 8)), "baseline": np.zeros((50, 1, 8))}
    path = plot_method_fans(samples, tmp_path / "fan.png", truth, truth > 3, ylabel="u", title="window 0")
    assert path.stat().st_size > 1000 and plt.imread(path).shape[0] > 300  # two stacked panels
    with pytest.raises(ValueError, match="method 'short' has samples of length 5; the truth has 8"):
        plot_method_fans({"short": np.zeros((4, 5))}, tmp_path / "bad.png", truth)
    with pytest.raises(ValueError, match="at least one method"):
        plot_method_fans({}, tmp_path / "none.png", truth)
    assert not (tmp_path / "bad.png").exists()
