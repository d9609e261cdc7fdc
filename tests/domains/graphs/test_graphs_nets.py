"""EGNN and graph transformer: E(3) and permutation equivariance, padding invariance, symmetric edges, CFG."""

from __future__ import annotations

import math

import pytest
import torch
from sciddiff.domains.graphs.nets import EGNN, GraphTransformer, NoiseConditionEmbedding, SinusoidalEmbedding

F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randomise(net: torch.nn.Module, seed: int, scale: float = 0.3) -> torch.nn.Module:
    """Non-trivial weights (the default init makes coordinate updates ~1e-3), so equivariance errors show."""
    g = _gen(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * scale)
    return net.eval()


def _egnn() -> EGNN:
    return _randomise(EGNN(5, 3, hidden=16, n_layers=3, cond_dim=2, p_uncond=0.5).double(), 0)


def _inputs(b: int = 2, n: int = 7, f: int = 5, seed: int = 1) -> tuple[torch.Tensor, ...]:
    g = _gen(seed)
    pos = torch.randn(b, n, 3, generator=g, dtype=F64) * 1.5
    h = torch.randn(b, n, f, generator=g, dtype=F64)
    mask = torch.ones(b, n, dtype=torch.bool)
    mask[1, 5:] = False
    c = torch.tensor([0.3, -1.2], dtype=F64)
    cond = torch.randn(b, 2, generator=g, dtype=F64)
    return pos, h, mask, c, cond


def _orthogonal(seed: int, reflect: bool) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=_gen(seed), dtype=F64))
    q = q * torch.sign(torch.diagonal(r))
    if reflect == (torch.det(q) > 0):
        q[:, 0] = -q[:, 0]
    return q


@pytest.mark.parametrize("reflect", [False, True])
def test_egnn_is_e3_equivariant(reflect: bool) -> None:
    net = _egnn()
    pos, h, mask, c, cond = _inputs()
    dpos, hout = net(pos, h, c, mask, cond)
    q, shift = _orthogonal(3, reflect), torch.tensor([4.0, -2.0, 0.5], dtype=F64)
    dpos2, hout2 = net(pos @ q.T + shift, h, c, mask, cond)
    assert dpos.abs().max() > 0.1 and hout.abs().max() > 0.1
    assert (dpos2 - dpos @ q.T).abs().max() < 1e-8
    assert (hout2 - hout).abs().max() < 1e-8
    # translation alone: the coordinate update is unchanged
    dpos3, _ = net(pos + shift, h, c, mask, cond)
    assert (dpos3 - dpos).abs().max() < 1e-10


def test_egnn_coordinate_update_has_zero_centre_of_mass_and_zero_padding() -> None:
    pos, h, mask, c, cond = _inputs()
    dpos, hout = _egnn()(pos, h, c, mask, cond)
    w = mask[..., None].to(F64)
    assert (dpos * w).sum(1).abs().max() < 1e-12
    assert dpos[1, 5:].abs().max() == 0 and hout[1, 5:].abs().max() == 0


def test_egnn_permutation_equivariance() -> None:
    net = _egnn()
    pos, h, mask, c, cond = _inputs()
    perm = torch.tensor([3, 6, 0, 5, 1, 4, 2])  # mixes real and padded positions of graph 1
    dpos, hout = net(pos, h, c, mask, cond)
    dp, hp = net(pos[:, perm], h[:, perm], c, mask[:, perm], cond)
    assert (dp - dpos[:, perm]).abs().max() < 1e-10 and (hp - hout[:, perm]).abs().max() < 1e-10


def test_egnn_padding_does_not_touch_real_nodes() -> None:
    net = _egnn()
    pos, h, mask, c, cond = _inputs()
    small = net(pos[1:, :5], h[1:, :5], c[1:], mask[1:, :5], cond[1:])
    junk_pos = torch.cat([pos[1:, :5], torch.full((1, 4, 3), 1e6, dtype=F64)], 1)
    junk_h = torch.cat([h[1:, :5], torch.full((1, 4, 5), float("nan"), dtype=F64)], 1)
    padded_mask = torch.cat([mask[1:, :5], torch.zeros(1, 4, dtype=torch.bool)], 1)
    big = net(junk_pos, junk_h, c[1:], padded_mask, cond[1:])
    for a, b in zip(small, big, strict=True):
        assert (b[:, :5] - a).abs().max() < 1e-10 and b[:, 5:].abs().max() == 0


def test_condition_dropout_and_null_embedding() -> None:
    net = _egnn()
    pos, h, mask, c, cond = _inputs()
    uncond = net(pos, h, c, mask, None)
    conditioned = net(pos, h, c, mask, cond)
    assert (conditioned[1] - uncond[1]).abs().max() > 1e-3  # eval mode: the condition is used
    net.train()
    net.noise.p_uncond = 1.0
    dropped = net(pos, h, c, mask, cond)
    assert all(torch.equal(a, b) for a, b in zip(dropped, uncond, strict=True))
    net.noise.p_uncond = 0.5
    first = net(pos, h, c, mask, cond, generator=_gen(9))
    again = net(pos, h, c, mask, cond, generator=_gen(9))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    keep = torch.rand(2, generator=_gen(9)) >= 0.5  # the same draw decides which samples keep cond
    for i in range(2):
        ref = conditioned if keep[i] else uncond
        assert torch.allclose(first[1][i], ref[1][i], atol=1e-12)
    with pytest.raises(ValueError, match=r"cond must have shape \(2, 2\)"):
        net(pos, h, c, mask, cond[:, :1])


def test_embeddings_by_hand() -> None:
    emb = SinusoidalEmbedding(4, max_freq=100.0).double()
    out = emb(torch.tensor([0.5], dtype=F64))
    expected = torch.tensor([[math.sin(0.5), math.sin(50.0), math.cos(0.5), math.cos(50.0)]], dtype=F64)
    assert (out - expected).abs().max() < 1e-12
    plain = NoiseConditionEmbedding(8)
    with pytest.raises(ValueError, match="cond_dim=0"):
        plain(torch.zeros(2), torch.zeros(2, 1))
    with pytest.raises(ValueError, match=r"shape \(B,\)"):
        plain(torch.zeros(2, 1))


def _transformer() -> GraphTransformer:
    net = GraphTransformer(4, 3, 4, 5, hidden_x=16, hidden_e=8, hidden_y=8, n_layers=2, n_head=4, cond_dim=1)
    return _randomise(net.double(), 5, scale=0.4)


def _graph_inputs(seed: int = 2) -> tuple[torch.Tensor, ...]:
    g = _gen(seed)
    b, n = 2, 6
    x = torch.randn(b, n, 4, generator=g, dtype=F64)
    e = torch.randn(b, n, n, 3, generator=g, dtype=F64)
    e = e + e.transpose(1, 2)
    mask = torch.ones(b, n, dtype=torch.bool)
    mask[0, 4:] = False
    return x, e, mask, torch.tensor([0.1, 0.9], dtype=F64), torch.randn(b, 1, generator=g, dtype=F64)


def test_transformer_edge_logits_are_symmetric_and_masked() -> None:
    x, e, mask, c, cond = _graph_inputs()
    xl, el = _transformer()(x, e, c, mask, cond)
    assert xl.shape == (2, 6, 4) and el.shape == (2, 6, 6, 5)
    assert torch.equal(el, el.transpose(1, 2)) and el.abs().max() > 0.1
    assert el[:, range(6), range(6)].abs().max() == 0
    assert el[0, 4:].abs().max() == 0 and el[0, :, 4:].abs().max() == 0 and xl[0, 4:].abs().max() == 0


def test_transformer_permutation_equivariance() -> None:
    net = _transformer()
    x, e, mask, c, cond = _graph_inputs()
    perm = torch.tensor([5, 2, 0, 4, 1, 3])
    xl, el = net(x, e, c, mask, cond)
    xp, ep = net(x[:, perm], e[:, perm][:, :, perm], c, mask[:, perm], cond)
    assert (xp - xl[:, perm]).abs().max() < 1e-10
    assert (ep - el[:, perm][:, :, perm]).abs().max() < 1e-10


def test_transformer_padding_does_not_touch_real_nodes() -> None:
    net = _transformer()
    x, e, mask, c, cond = _graph_inputs()
    xl, el = net(x[:1, :4], e[:1, :4, :4], c[:1], mask[:1, :4], cond[:1])
    x_junk = x[:1].clone()
    x_junk[:, 4:] = float("nan")
    e_junk = e[:1].clone()
    e_junk[:, 4:] = 1e6
    e_junk[:, :, 4:] = -1e6
    xb, eb = net(x_junk, e_junk, c[:1], mask[:1], cond[:1])
    assert (xb[:, :4] - xl).abs().max() < 1e-10 and (eb[:, :4, :4] - el).abs().max() < 1e-10
    assert torch.isfinite(xb).all() and torch.isfinite(eb).all()


def test_pair_input_equals_one_linear_layer_on_the_concatenated_pair_features() -> None:
    from sciddiff.domains.graphs.nets.egnn import PairInput

    pair = _randomise(PairInput(4, out=2).double(), 5)
    g = _gen(6)
    h = torch.randn(2, 5, 4, generator=g, dtype=F64)
    d2, d0 = (torch.rand(2, 5, 5, 1, generator=g, dtype=F64) for _ in range(2))
    dense = torch.nn.Linear(10, 8).double()
    with torch.no_grad():
        dense.weight.copy_(torch.cat([pair.own.weight, pair.other.weight, pair.dist.weight], 1))
        dense.bias.copy_(pair.own.bias)
    feat = torch.cat([h[:, :, None].expand(-1, -1, 5, -1), h[:, None].expand(-1, 5, -1, -1), d2, d0], -1)
    assert (pair(h, d2, d0) - dense(feat)).abs().max() < 1e-12
