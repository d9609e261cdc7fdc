"""PatchUNet: pixel (un)shuffle around a U-Net; periodic fields keep the circular-shift symmetry at the patch
scale, and each output patch is the U-Net's channels of that patch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from sciddiff.domains.fields.nets import PatchUNet

F64 = torch.float64
KW = {"channels": 8, "channel_mult": (1, 2), "num_res_blocks": 1, "attention_levels": (1,), "heads": 2}


def network(periodic: bool) -> PatchUNet:
    torch.manual_seed(0)
    net = PatchUNet(2, 2, patch=2, context_channels=1, periodic=periodic, **KW).double()
    with torch.no_grad():  # away from the zero-initialised output layer, so the map is not trivial
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return net.eval()


def test_periodic_patch_unet_commutes_with_shifts_by_whole_patches_of_the_coarse_grid() -> None:
    g = torch.Generator().manual_seed(1)
    x, ctx = torch.randn(2, 2, 16, 16, generator=g, dtype=F64), torch.randn(2, 1, 16, 16, generator=g, dtype=F64)
    c = torch.tensor([-1.0, 0.5], dtype=F64)
    errors = {}
    for periodic in (True, False):
        net = network(periodic)
        out = net(x, c, context=ctx)
        shift = (4, 8)  # multiples of patch (2) x the U-Net's downsampling (2): a symmetry of the periodic net
        rolled = net(x.roll(shift, (2, 3)), c, context=ctx.roll(shift, (2, 3)))
        errors[periodic] = float((rolled - out.roll(shift, (2, 3))).abs().max()), float(out.abs().max())
    assert errors[True][1] > 0.1 and errors[True][0] < 1e-10
    assert errors[False][0] > 1e-3  # zero padding breaks it at the borders


def test_output_is_the_inner_unet_on_unshuffled_patches() -> None:
    net = network(periodic=True)
    x, c = torch.randn(1, 2, 8, 8, dtype=F64), torch.tensor([0.3], dtype=F64)
    inner = net.net(F.pixel_unshuffle(x, 2), c)
    assert torch.equal(net(x, c), F.pixel_shuffle(inner, 2))
    with pytest.raises(ValueError, match=r"x has shape \(1, 2, 9, 8\); PatchUNet expects .* divisible by patch=2"):
        net(torch.zeros(1, 2, 9, 8, dtype=F64), c)
    with pytest.raises(ValueError, match="PatchUNet works on 2-D fields with patch >= 1, got dims=1, patch=2"):
        PatchUNet(1, 2)
