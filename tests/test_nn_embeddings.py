"""Noise and position embeddings against closed forms, and the backbone registry."""

from __future__ import annotations

import math

import pytest
import torch

from sciddiff.nn import (
    BACKBONES,
    MLP,
    FourierEmbedding,
    NoiseEmbedding,
    SinusoidalEmbedding,
    Transformer,
    UNet,
    get_backbone,
    sinusoidal,
    sinusoidal_positions,
)

F64 = torch.float64


def test_sinusoidal_values_by_hand() -> None:
    # dim 4, max_period 100: frequencies 100^0 = 1 and 100^(-1/2) = 0.1.
    c = torch.tensor([0.5, -2.0], dtype=F64)
    expected = torch.tensor(
        [[math.cos(0.5 * f) for f in (1, 0.1)] + [math.sin(0.5 * f) for f in (1, 0.1)],
         [math.cos(-2.0 * f) for f in (1, 0.1)] + [math.sin(-2.0 * f) for f in (1, 0.1)]],
        dtype=F64,
    )  # fmt: skip
    out = SinusoidalEmbedding(4, max_period=100.0)(c)
    assert out.dtype == F64
    torch.testing.assert_close(out, expected, atol=1e-15, rtol=0)


def test_sinusoidal_scale_multiplies_the_input() -> None:
    t = torch.linspace(0, 1, 7, dtype=F64)
    torch.testing.assert_close(SinusoidalEmbedding(16, scale=1000.0)(t), sinusoidal(1000.0 * t, 16), atol=0, rtol=0)


@pytest.mark.parametrize("embed", [SinusoidalEmbedding(32), FourierEmbedding(32, scale=3.0)], ids=["sin", "fourier"])
def test_inner_products_depend_only_on_the_difference(embed: torch.nn.Module) -> None:
    """<e(a), e(b)> = sum_i cos(w_i (a - b)) for features [cos(w c), sin(w c)]; hence |e(c)|^2 = dim / 2."""
    embed = embed.double()
    a, b = torch.tensor([0.3, -1.7, 2.2], dtype=F64), torch.tensor([1.1, 0.4, 2.2], dtype=F64)
    if isinstance(embed, FourierEmbedding):
        w = 2 * math.pi * embed.freqs
    else:
        w = 10000.0 ** (-torch.arange(16, dtype=F64) / 16)
    inner = (embed(a) * embed(b)).sum(1)
    torch.testing.assert_close(inner, torch.cos(w[None] * (a - b)[:, None]).sum(1), atol=1e-12, rtol=0)
    torch.testing.assert_close(inner[2], torch.tensor(16.0, dtype=F64), atol=1e-12, rtol=0)


def test_fourier_frequencies_are_seeded_gaussians() -> None:
    first, again, other = (
        FourierEmbedding(4000, scale=16.0, seed=3),
        FourierEmbedding(4000, seed=3),
        FourierEmbedding(4000, seed=4),
    )
    assert torch.equal(first.freqs, again.freqs) and not torch.equal(first.freqs, other.freqs)
    assert abs(first.freqs.std().item() / 16.0 - 1) < 0.05  # 2000 draws: std error of the std is ~1.6 %
    assert "freqs" in first.state_dict()


def test_positions_2d_rows_then_columns() -> None:
    pos = sinusoidal_positions((3, 5), 8)
    rows, cols = torch.arange(3.0).repeat_interleave(5), torch.arange(5.0).repeat(3)
    torch.testing.assert_close(pos[:, :4], sinusoidal(rows, 4))
    torch.testing.assert_close(pos[:, 4:], sinusoidal(cols, 4))
    torch.testing.assert_close(sinusoidal_positions((6,), 8), sinusoidal(torch.arange(6.0), 8))


def test_embedding_errors() -> None:
    with pytest.raises(ValueError, match="even dimension >= 2, got 7"):
        SinusoidalEmbedding(7)
    with pytest.raises(ValueError, match="unknown noise embedding 'gauss'"):
        NoiseEmbedding(8, "gauss")
    with pytest.raises(ValueError, match="width 6 must be divisible by 4"):
        sinusoidal_positions((2, 2), 6)


def test_get_backbone_builds_each_registered_class() -> None:
    built = {
        "mlp": get_backbone("mlp", dim=3, hidden=8, depth=1, emb_dim=8),
        "unet": get_backbone("unet", dims=1, in_channels=2, channels=8, channel_mult=[1, 2], num_res_blocks=1),
        "transformer": get_backbone("transformer", in_shape=[2, 8], patch_size=2, width=16, depth=1),
    }
    assert {name: type(net) for name, net in built.items()} == {"mlp": MLP, "unet": UNet, "transformer": Transformer}
    assert set(BACKBONES) == set(built)


def test_get_backbone_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"unknown backbone 'resnet'; choose one of \['mlp', 'transformer', 'unet'\]"):
        get_backbone("resnet")
    with pytest.raises(ValueError, match=r"bad arguments .*'widht'.* for backbone 'mlp'"):
        get_backbone("mlp", dim=3, widht=8)
