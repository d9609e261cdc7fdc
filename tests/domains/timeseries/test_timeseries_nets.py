"""SeriesNet: zero output when fresh, exact symmetries of its feature mixing, and where the context enters."""

from __future__ import annotations

import pytest
import torch
from sciddiff.domains.timeseries.nets import SeriesNet

from sciddiff.nn import get_backbone


def _randomise(net: SeriesNet) -> SeriesNet:
    torch.manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return net.double().eval()


def test_fresh_network_outputs_zero_and_is_found_by_import_path() -> None:
    net = get_backbone("sciddiff.domains.timeseries.nets:SeriesNet", in_channels=3, channels=8, depth=2, heads=2)
    out = net(torch.randn(4, 3, 16), torch.zeros(4))
    assert out.shape == (4, 3, 16) and bool((out == 0).all())


def test_circular_mixing_commutes_with_rotations_of_the_ring() -> None:
    net = _randomise(SeriesNet(12, channels=8, depth=3, feature_mixing="circular", context_channels=24))
    x, ctx, c = torch.randn(2, 12, 10, dtype=torch.float64), torch.randn(2, 24, 10, dtype=torch.float64), torch.rand(2)
    out = net(x, c, context=ctx)
    rolled = torch.cat([ctx[:, :12].roll(3, 1), ctx[:, 12:].roll(3, 1)], dim=1)
    torch.testing.assert_close(net(x.roll(3, 1), c, context=rolled), out.roll(3, 1), rtol=1e-10, atol=1e-10)
    assert not torch.allclose(net(x.roll(3, 2), c, context=ctx), out.roll(3, 2))  # not periodic in time


def test_without_feature_mixing_features_do_not_interact() -> None:
    net = _randomise(SeriesNet(5, channels=8, depth=3, feature_mixing="none", context_channels=10))
    x, ctx = torch.randn(1, 5, 12, dtype=torch.float64), torch.randn(1, 10, 12, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: net(v, torch.tensor([0.3]), context=ctx), x)[0, :, :, 0]
    across = jac.clone()
    for k in range(5):
        across[k, :, k] = 0
    assert float(across.abs().max()) == 0.0 and float(jac.abs().max()) > 0
    # a feature's value context (group 0) and its mask (group 1) reach only that feature
    cjac = torch.autograd.functional.jacobian(lambda v: net(x, torch.tensor([0.3]), context=v), ctx)[0, :, :, 0]
    assert float(cjac[0, :, 3].abs().max()) == 0.0 and float(cjac[0, :, 5].abs().max()) > 0


def test_attention_mixing_connects_every_feature_and_time_receptive_field_is_bounded() -> None:
    net = _randomise(SeriesNet(4, channels=8, depth=2, dilations=(1, 2), feature_mixing="attention", heads=2))
    x = torch.randn(1, 4, 20, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: net(v, torch.tensor([0.1])), x)[0, :, :, 0]
    assert float(jac[0, 10, 3].abs().max()) > 0  # feature 3 reaches feature 0 at the same time step
    # kernel 3 with dilations 1 and 2: output step 10 sees input steps 7..13 only
    reach = jac[:, 10].abs().sum((0, 1)) > 0
    assert reach.nonzero().flatten().tolist() == list(range(7, 14))


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match=r"context_channels=7 must be m \* in_channels \(3\) \+ time_features \(0\)"):
        SeriesNet(3, context_channels=7)
    with pytest.raises(ValueError, match="feature_mixing must be one of"):
        SeriesNet(3, feature_mixing="conv")
    with pytest.raises(ValueError, match=r"x has shape \(2, 4, 8\); SeriesNet expects \(B, 3, L\)"):
        SeriesNet(3)(torch.zeros(2, 4, 8), torch.zeros(2))
