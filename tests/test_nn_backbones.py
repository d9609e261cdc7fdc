"""Backbones against exact identities: zero init, null conditions, condition dropout, per-sample independence,
circular-shift equivariance of periodic U-Nets, patch-permutation equivariance of the transformer, and learning."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from sciddiff.nn import MLP, Transformer, UNet

F64 = torch.float64
KINDS = ["mlp", "unet1d", "unet2d", "transformer"]
COND = {"num_classes": 3, "vector_dim": 2, "context_channels": 2}


def make(kind: str, seed: int = 0, **options: Any) -> tuple[nn.Module, tuple[int, ...]]:
    """A small float64 backbone of the given kind and the shape of one input sample."""
    torch.manual_seed(seed)
    if kind == "mlp":
        net, shape = MLP(6, hidden=16, depth=2, emb_dim=16, **options), (6,)
    elif kind == "unet1d":
        net, shape = UNet(1, 2, channels=8, channel_mult=(1, 2), num_res_blocks=1, heads=2, **options), (2, 8)
    elif kind == "unet2d":
        net, shape = UNet(2, 2, channels=8, channel_mult=(1, 2), num_res_blocks=1, heads=2, **options), (2, 4, 4)
    else:
        net, shape = Transformer((2, 4, 4), 2, width=16, depth=2, heads=2, **options), (2, 4, 4)
    return net.double(), shape


def perturb(net: nn.Module, seed: int = 1) -> nn.Module:
    """Add seeded noise to every parameter, so that zero-initialised output and modulation layers act."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return net


def inputs(shape: tuple[int, ...], batch: int, seed: int = 2) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """x, c_noise and a full set of conditions (label, vector, context) for a batch."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, *shape, generator=gen, dtype=F64)
    c = 6 * torch.rand(batch, generator=gen, dtype=F64) - 3
    cond = {
        "label": torch.randint(0, 3, (batch,), generator=gen),
        "vector": torch.randn(batch, 2, generator=gen, dtype=F64),
        "context": torch.randn(batch, 2, *shape[1:], generator=gen, dtype=F64),
    }
    return x, c, cond


@pytest.mark.parametrize("kind", KINDS)
def test_fresh_network_outputs_exactly_zero_and_can_learn(kind: str) -> None:
    net, shape = make(kind, **COND)
    x, c, cond = inputs(shape, 3)
    out = net(x, c, **cond)
    assert out.shape == x.shape and out.dtype == F64
    assert torch.equal(out, torch.zeros_like(x))
    out.mul(x).sum().backward()
    assert net.out.weight.grad.abs().max() > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_full_dropout_in_training_equals_no_condition(kind: str) -> None:
    net, shape = make(kind, p_uncond=1.0, **COND)
    perturb(net)
    x, c, cond = inputs(shape, 3)
    net.train()
    assert torch.equal(net(x, c, **cond), net(x, c))
    net.eval()
    assert (net(x, c, **cond) - net(x, c)).abs().amax() > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_partial_dropout_draws_one_torch_rand_per_sample(kind: str) -> None:
    net, shape = make(kind, p_uncond=0.5, **COND)
    perturb(net)
    x, c, cond = inputs(shape, 8)
    torch.manual_seed(5)
    out = net.train()(x, c, **cond)
    torch.manual_seed(5)
    keep = torch.rand(8) >= 0.5
    assert keep.any() and (~keep).any()
    state = torch.get_rng_state()
    net.eval()
    conditional, null = net(x, c, **cond), net(x, c)
    assert torch.equal(torch.get_rng_state(), state)  # eval mode never draws
    torch.testing.assert_close(out[keep], conditional[keep], atol=1e-12, rtol=0)
    torch.testing.assert_close(out[~keep], null[~keep], atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_label_minus_one_is_the_null_class_and_labels_matter(kind: str) -> None:
    net, shape = make(kind, num_classes=3)
    perturb(net).eval()
    x, c, _ = inputs(shape, 1)
    x, c = x.expand(4, *shape), c.expand(4)
    out, null = net(x, c, label=torch.tensor([-1, 0, 2, -1])), net(x, c)
    torch.testing.assert_close(out[[0, 3]], null[[0, 3]], atol=1e-12, rtol=0)
    assert (out[1] - null[1]).abs().amax() > 1e-3 and (out[1] - out[2]).abs().amax() > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_vector_and_context_act_and_absent_context_is_zeros_with_indicator_zero(kind: str) -> None:
    net, shape = make(kind, **COND)
    perturb(net).eval()
    x, c, cond = inputs(shape, 2)
    null = net(x, c)
    assert (net(x, c, vector=cond["vector"]) - null).abs().amax() > 1e-3
    assert (net(x, c, context=cond["context"]) - null).abs().amax() > 1e-3
    # a given all-zero context differs from an absent one only through the indicator channel
    zero_given = net(x, c, context=torch.zeros_like(cond["context"]))
    assert (zero_given - null).abs().amax() > 1e-3
    if kind != "mlp":
        first = net.patch if kind == "transformer" else net.inp
        with torch.no_grad():
            first.weight[:, -1].zero_()  # remove the indicator's input weights: given zeros == absent
        torch.testing.assert_close(net(x, c, context=torch.zeros_like(cond["context"])), net(x, c), atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_each_sample_is_independent_of_the_rest_of_the_batch(kind: str) -> None:
    net, shape = make(kind, **COND)
    perturb(net).eval()
    x, c, cond = inputs(shape, 4)
    batched = net(x, c, **cond)
    for i in range(4):
        alone = net(x[i : i + 1], c[i : i + 1], **{k: v[i : i + 1] for k, v in cond.items()})
        torch.testing.assert_close(batched[i : i + 1], alone, atol=1e-10, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_dtype_follows_x_and_a_float32_network_accepts_float64(kind: str) -> None:
    net, shape = make(kind)
    perturb(net).eval()
    x, c, _ = inputs(shape, 2)
    out64 = net(x, c)
    assert out64.dtype == F64
    net32 = net.float()
    out32 = net32(x.float(), c.float())
    assert out32.dtype == torch.float32
    mixed = net32(x, c)  # float64 state into a float32 network: computed in float32, returned in float64
    assert mixed.dtype == F64
    torch.testing.assert_close(mixed, out32.double(), atol=0, rtol=0)
    torch.testing.assert_close(out32.double(), out64, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    ("dims", "size", "shifts"),
    [(1, (16,), [(4,), (-8,), (12,)]), (2, (8, 12), [(4, 0), (0, -4), (8, 4)])],
)
def test_periodic_unet_commutes_with_circular_shifts(dims: int, size: tuple[int, ...], shifts: list) -> None:
    """shift by multiples of 2**(levels - 1) = 4: F(roll(x), roll(context)) = roll(F(x, context))."""
    axes = tuple(range(2, 2 + dims))
    results = {}
    for periodic in (True, False):
        torch.manual_seed(0)
        net = UNet(dims, 2, channels=8, channel_mult=(1, 2, 2), num_res_blocks=1, attention_levels=(1, 2), heads=2,
                   periodic=periodic, num_classes=3, context_channels=1).double()  # fmt: skip
        perturb(net).eval()
        gen = torch.Generator().manual_seed(3)
        x = torch.randn(2, 2, *size, generator=gen, dtype=F64)
        ctx = torch.randn(2, 1, *size, generator=gen, dtype=F64)
        c, label = torch.tensor([-1.0, 2.0], dtype=F64), torch.tensor([0, 2])
        out = net(x, c, label=label, context=ctx)
        errors = []
        for shift in shifts:
            rolled = net(x.roll(shift, axes), c, label=label, context=ctx.roll(shift, axes))
            errors.append((rolled - out.roll(shift, axes)).abs().max().item())
        results[periodic] = (max(errors), out.abs().max().item())
    assert results[True][1] > 0.1 and results[True][0] < 1e-10
    assert results[False][0] > 1e-3  # zero padding breaks the symmetry at the borders


def test_unet_periodic_along_one_axis_only() -> None:
    """periodic=(True, False): F commutes with circular shifts along H (by multiples of 4) but not along W, and an
    input constant along H gives an output constant along H (zero padding would make the H borders differ)."""
    torch.manual_seed(0)
    net = UNet(2, 1, channels=8, channel_mult=(1, 2, 2), num_res_blocks=1, heads=2, periodic=(True, False))
    net = perturb(net.double()).eval()
    x, c = torch.randn(2, 1, 8, 12, dtype=F64), torch.tensor([0.3, -0.5], dtype=F64)
    out = net(x, c)
    torch.testing.assert_close(net(x.roll(4, 2), c), out.roll(4, 2), atol=1e-10, rtol=0)
    assert (net(x.roll(4, 3), c) - out.roll(4, 3)).abs().max() > 1e-3
    flat = torch.randn(2, 1, 1, 12, dtype=F64).expand(2, 1, 8, 12)
    circular_rows = net(flat, c)
    torch.testing.assert_close(circular_rows, circular_rows[:, :, :1].expand_as(circular_rows), atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match=r"periodic \[True\] needs one flag per spatial axis \(2\), got 1"):
        UNet(2, 1, channels=8, periodic=[True])


def test_unet_size_and_configuration_errors() -> None:
    net = UNet(2, 2, channels=8, channel_mult=(1, 2, 2), num_res_blocks=1, heads=2)
    c = torch.zeros(1)
    with pytest.raises(ValueError, match=r"input size 30 \(axis 2\) is not divisible by 4"):
        net(torch.zeros(1, 2, 30, 32), c)
    with pytest.raises(ValueError, match=r"x has shape \(1, 3, 8, 8\); this 2-D UNet expects \(B, 2, H, W\)"):
        net(torch.zeros(1, 3, 8, 8), c)
    with pytest.raises(ValueError, match=r"c_noise has shape \(2,\); expected \(1,\)"):
        net(torch.zeros(1, 2, 8, 8), torch.zeros(2))
    with pytest.raises(ValueError, match=r"input size 10 \(axis 2\) is not divisible by 4"):
        UNet(1, 1, channels=8, channel_mult=(1, 1, 1), heads=2)(torch.zeros(1, 1, 10), c)
    with pytest.raises(ValueError, match="not divisible by heads=3"):
        UNet(1, 1, channels=8, heads=3)
    with pytest.raises(ValueError, match=r"attention_levels \(3,\) must lie in \[0, 3\)"):
        UNet(1, 1, channels=8, heads=2, attention_levels=(3,))
    with pytest.raises(ValueError, match="dims must be 1 or 2, got 3"):
        UNet(3, 1)


def patch_permutation(grid: tuple[int, ...], p: int, gen: torch.Generator) -> Tensor:
    """Flat pixel indices that move whole p-sized patches of a 1-D or 2-D grid to a random new order."""
    order = torch.randperm(math.prod(grid), generator=gen)
    index = torch.arange(math.prod(grid) * p ** len(grid))
    if len(grid) == 1:
        return index.reshape(grid[0], p)[order].reshape(-1)
    blocks = index.reshape(grid[0], p, grid[1], p).permute(0, 2, 1, 3).reshape(-1, p, p)
    return blocks[order].reshape(grid[0], grid[1], p, p).permute(0, 2, 1, 3).reshape(-1)


@pytest.mark.parametrize("in_shape", [(2, 12), (2, 4, 6)], ids=["1d", "2d"])
def test_transformer_without_positions_is_patch_permutation_equivariant(in_shape: tuple[int, ...]) -> None:
    p = 2
    grid = tuple(n // p for n in in_shape[1:])
    gen = torch.Generator().manual_seed(4)
    moved = patch_permutation(grid, p, gen)
    x = torch.randn(3, *in_shape, generator=gen, dtype=F64)
    ctx = torch.randn(3, 1, *in_shape[1:], generator=gen, dtype=F64)
    c, label = torch.tensor([-2.0, 0.5, 1.0], dtype=F64), torch.tensor([1, -1, 0])

    def permute(v: Tensor) -> Tensor:
        return v.flatten(2)[..., moved].reshape(v.shape)

    errors = {}
    for positions in ("none", "sinusoidal"):
        torch.manual_seed(0)
        net = Transformer(in_shape, p, width=16, depth=2, heads=2, positions=positions, num_classes=2,
                          context_channels=1).double()  # fmt: skip
        perturb(net).eval()
        out = net(x, c, label=label, context=ctx)
        assert out.abs().max() > 0.1
        errors[positions] = (net(permute(x), c, label=label, context=permute(ctx)) - permute(out)).abs().max()
    assert errors["none"] < 1e-10 and errors["sinusoidal"] > 1e-3


@pytest.mark.parametrize("in_shape", [(2, 12), (2, 4, 6)], ids=["1d", "2d"])
def test_transformer_patches_map_back_to_their_own_place(in_shape: tuple[int, ...]) -> None:
    """With no blocks, output patch n depends on input patch n only: unpatchify inverts the patch layout."""
    p = 2
    torch.manual_seed(0)
    net = perturb(Transformer(in_shape, p, width=16, depth=0, heads=2).double()).eval()
    gen = torch.Generator().manual_seed(5)
    x, c = torch.randn(1, *in_shape, generator=gen, dtype=F64), torch.zeros(1, dtype=F64)
    base = net(x, c)
    changed = x.clone()
    if len(in_shape) == 2:
        changed[..., 6:8] += 1.0  # patch 3
        region = torch.zeros(in_shape[1:], dtype=torch.bool)
        region[6:8] = True
    else:
        changed[..., 2:4, 4:6] += 1.0  # patch (1, 2)
        region = torch.zeros(in_shape[1:], dtype=torch.bool)
        region[2:4, 4:6] = True
    diff = (net(changed, c) - base).abs().amax(dim=(0, 1))
    assert diff[region].min() > 1e-3 and diff[~region].max() == 0


def test_transformer_shape_errors() -> None:
    with pytest.raises(ValueError, match=r"spatial sizes \(4, 6\) are not divisible by patch_size=4"):
        Transformer((1, 4, 6), 4)
    with pytest.raises(ValueError, match=r"in_shape must be \(C, L\) or \(C, H, W\), got \(8,\)"):
        Transformer((8,), 2)
    with pytest.raises(ValueError, match="unknown positions 'rope'"):
        Transformer((1, 8), 2, positions="rope")
    with pytest.raises(ValueError, match=r"x has shape \(2, 1, 6\); this Transformer expects \(B, 1, 8\)"):
        Transformer((1, 8), 2, width=16, depth=1)(torch.zeros(2, 1, 6), torch.zeros(2))


def test_condition_errors_name_the_offending_value() -> None:
    net, shape = make("mlp", num_classes=3, vector_dim=2)
    x, c = torch.zeros(2, *shape, dtype=F64), torch.zeros(2, dtype=F64)
    with pytest.raises(ValueError, match=r"labels \[5\] outside \[0, 3\) \(or -1 for null\)"):
        net(x, c, label=torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"label must be an integer tensor of shape \(2,\)"):
        net(x, c, label=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"vector has shape \(2, 3\); expected \(2, 2\)"):
        net(x, c, vector=torch.zeros(2, 3, dtype=F64))
    with pytest.raises(ValueError, match="unknown condition 'mask'"):
        net(x, c, mask=torch.ones(2))
    with pytest.raises(
        ValueError, match="condition 'context' given, but the backbone was built without context_channels"
    ):
        net(x, c, context=torch.zeros(2, 1))
    ctx_net, shape = make("unet1d", context_channels=2)
    with pytest.raises(ValueError, match=r"context has shape \(2, 2, 4\); expected \(2, 2, 8\)"):
        ctx_net(torch.zeros(2, *shape, dtype=F64), c, context=torch.zeros(2, 2, 4, dtype=F64))
    with pytest.raises(ValueError, match=r"p_uncond must be in \[0, 1\], got 1.5"):
        MLP(2, p_uncond=1.5, num_classes=2)
    with pytest.raises(ValueError, match=r"p_uncond=0\.1 needs a condition"):
        MLP(2, p_uncond=0.1)


def test_mlp_learns_a_smooth_function_of_x_and_the_noise_level() -> None:
    """200 Adam steps fit y = sin(x) c_noise; a model ignoring c_noise cannot beat relative error 1 (E[c] = 0)."""
    torch.manual_seed(0)
    net = MLP(1, hidden=64, depth=2, emb_dim=32)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(1)

    def draw(n: int) -> tuple[Tensor, Tensor, Tensor]:
        x, c = 6 * torch.rand(n, 1, generator=gen) - 3, 6 * torch.rand(n, generator=gen) - 3
        return x, c, torch.sin(x) * c[:, None]

    for _ in range(200):
        x, c, y = draw(256)
        loss = (net(x, c) - y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, c, y = draw(2000)
    with torch.no_grad():
        relative = (net(x, c) - y).square().mean() / y.square().mean()
    assert relative < 0.02
