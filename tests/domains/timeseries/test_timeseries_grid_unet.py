"""GridUNet: the (variables x points, time) -> (variables, points, time) mapping, its symmetry in space, where the
context enters, and how the adapter shapes it."""

from __future__ import annotations

import pytest
import torch
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries.nets import GridUNet

from sciddiff.nn import get_backbone

F64 = torch.float64
KW = {"channels": 8, "channel_mult": (1, 2), "num_res_blocks": 1, "heads": 2}


def _randomise(net: GridUNet) -> GridUNet:
    torch.manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return net.double().eval()


def test_same_numbers_as_the_2d_unet_on_the_image_view() -> None:
    """Channel c = v * P + p of the series is pixel (v, p) of the image; per-time covariates fill every point."""
    net = _randomise(GridUNet(2 * 6, variables=2, time_features=1, context_channels=2 * 12 + 1, **KW))
    x, ctx, c = torch.randn(3, 12, 8, dtype=F64), torch.randn(3, 25, 8, dtype=F64), torch.rand(3, dtype=F64)
    image_ctx = torch.cat([ctx[:, :24].reshape(3, 4, 6, 8), ctx[:, 24:, None].expand(3, 1, 6, 8)], dim=1)
    expected = net.unet(x.reshape(3, 2, 6, 8), c, context=image_ctx).reshape(3, 12, 8)
    torch.testing.assert_close(net(x, c, context=ctx), expected, rtol=0, atol=0)


def test_commutes_with_rotations_of_a_periodic_grid_but_not_with_shifts_in_time() -> None:
    net = _randomise(GridUNet(8, context_channels=16, **KW))
    x, ctx, c = torch.randn(2, 8, 10, dtype=F64), torch.randn(2, 16, 10, dtype=F64), torch.rand(2, dtype=F64)
    out = net(x, c, context=ctx)
    rolled = torch.cat([ctx[:, :8].roll(2, 1), ctx[:, 8:].roll(2, 1)], dim=1)  # shift by the factor 2
    torch.testing.assert_close(net(x.roll(2, 1), c, context=rolled), out.roll(2, 1), rtol=1e-10, atol=1e-10)
    assert (net(x.roll(2, 2), c, context=ctx.roll(2, 2)) - out.roll(2, 2)).abs().max() > 1e-3
    bounded = _randomise(GridUNet(8, periodic_space=False, context_channels=16, **KW))
    out = bounded(x, c, context=ctx)
    assert (bounded(x.roll(2, 1), c, context=rolled) - out.roll(2, 1)).abs().max() > 1e-3


def test_fresh_network_outputs_zero_and_bad_shapes_are_refused() -> None:
    net = get_backbone("sciddiff.domains.timeseries.nets:GridUNet", in_channels=8, **KW)
    assert bool((net(torch.randn(2, 8, 4), torch.zeros(2)) == 0).all())
    with pytest.raises(ValueError, match=r"x has shape \(2, 6, 4\); GridUNet expects \(B, 8, L\)"):
        net(torch.randn(2, 6, 4), torch.zeros(2))
    with pytest.raises(ValueError, match="in_channels=9 is not a multiple of variables=2"):
        GridUNet(9, variables=2)
    with pytest.raises(ValueError, match=r"context_channels=7 must be m \* in_channels \(8\) \+ time_features \(0\)"):
        GridUNet(8, context_channels=7)


def test_adapter_shapes_it_for_a_gridded_series_and_refuses_a_series_without_space() -> None:
    grid = TimeSeriesAdapter(
        source="lorenz96", simulator={"n_steps": 300, "n_trajectories": 1, "n_variables": 8}, window=16
    )
    grid.datasets(0)
    assert grid.backbone_shape("sciddiff.domains.timeseries.nets:GridUNet") == {"in_channels": 8, "variables": 1}
    flat = TimeSeriesAdapter(source="lorenz63", simulator={"n_steps": 300, "n_trajectories": 1}, window=16)
    flat.datasets(0)
    with pytest.raises(ValueError, match="needs a series with spatial dimensions; this one has none"):
        flat.backbone_shape("sciddiff.domains.timeseries.nets:GridUNet")
