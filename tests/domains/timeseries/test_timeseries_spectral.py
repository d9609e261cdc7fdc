"""Spectral states: exact round trips, per-mode whitening of the training data,
errors scaled by each mode's std on decoding, the lifted masks, and refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries.normalise import Normalizer
from sciddiff.domains.timeseries.operators import task_operator
from sciddiff.domains.timeseries.spectral import ModeSynthesis, grid_modes

from sciddiff.operators import check_operator

F64 = torch.float64


@pytest.fixture(scope="module")
def ks() -> TimeSeriesAdapter:
    adapter = TimeSeriesAdapter(
        source="ks", simulator={"n_steps": 400, "n_trajectories": 1, "n_points": 32}, window=8, spectral=True,
        conditional=True, masks={"strategies": ["forecast"], "context": 2},
    )  # fmt: skip
    adapter.datasets(0)
    return adapter


def test_round_trip_is_exact_and_training_modes_are_white(ks: TimeSeriesAdapter) -> None:
    wins = ks.splits["train"]
    raw = torch.as_tensor(wins.values[0, :64].T[None])  # (1, 32, 64)
    state = ks.norm.encode(raw)
    torch.testing.assert_close(ks.decode(state), raw, atol=1e-10, rtol=0)
    train = torch.as_tensor(wins.values[:, : int(wins.start.max()) + wins.window]).transpose(1, 2)
    std = ks.norm.encode(train).transpose(0, 1).reshape(32, -1).std(dim=1)
    live = ks.norm.modes.std > 1e-9 * ks.norm.modes.std.max()  # the mean and the dealiased modes are exactly 0
    torch.testing.assert_close(std[live], torch.ones(int(live.sum()), dtype=F64), atol=1e-9, rtol=0)
    assert int(live.sum()) >= 15 and float(ks.norm.modes.std[live].max() / ks.norm.modes.std[live].min()) > 100


def test_a_state_error_decodes_to_mode_errors_scaled_by_their_std(ks: TimeSeriesAdapter) -> None:
    x, eps = torch.randn(2, 32, 8, dtype=F64), torch.randn(2, 32, 8, dtype=F64)
    diff = (ks.decode(x + eps) - ks.decode(x)) / ks.norm.channel_scale
    torch.testing.assert_close(grid_modes(diff), ks.norm.modes.std[:, None] * eps, atol=1e-10, rtol=0)


def test_lifted_forecast_mask_observes_the_centred_decode(ks: TimeSeriesAdapter) -> None:
    op = task_operator("forecast", {"context": 3}, (32, 8))
    lifted = ks.lift(op)
    x = torch.randn(3, 32, 8, dtype=F64)
    expected = op.forward(ks.decode(x) - ks.norm.channel_mean)
    torch.testing.assert_close(lifted.forward(x), expected, atol=1e-10, rtol=0)
    assert ks.affine() is None
    synth = ModeSynthesis(ks.norm.modes, ks.norm.channel_scale[:, 0], 8)
    assert check_operator(synth).passed


def test_spectral_states_are_refused_where_they_cannot_hold() -> None:
    flat = TimeSeriesAdapter(source="lorenz63", simulator={"n_steps": 300, "n_trajectories": 1}, spectral=True)
    with pytest.raises(ValueError, match=r"spectral=true needs one variable on one spatial dimension"):
        flat.datasets(0)
    gaps = TimeSeriesAdapter(
        source="ks", simulator={"n_steps": 400, "n_trajectories": 1, "n_points": 16}, window=8, spectral=True,
        conditional=True, masks={"strategies": ["random", "forecast"]},
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"only whole-step \(forecast\) masks .* strategies \['forecast', 'random'\]"):
        gaps.datasets(0)
    default = TimeSeriesAdapter(
        source="ks", simulator={"n_steps": 400, "n_trajectories": 1, "n_points": 16}, window=8, spectral=True,
        conditional=True,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"strategies \['block', 'forecast', 'random'\]"):  # the sampler's default
        default.datasets(0)
    with pytest.raises(ValueError, match="spectral whitening needs center='global'"):
        Normalizer.fit(np.ones((1, 10, 4)), np.zeros(4, dtype=int), ["u"], "window", 4, spectral=True)
    values = np.random.default_rng(0).standard_normal((1, 10, 4))
    values[0, 3, 1] = np.nan
    with pytest.raises(ValueError, match="a series without missing values"):
        Normalizer.fit(values, np.zeros(4, dtype=int), ["u"], "global", 4, spectral=True)
