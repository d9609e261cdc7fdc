"""StateSpec, LeafSpec, constraints and NoiseSource against hand computations and exact covariances."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from sciddiff.state import LeafSpec, NoiseSource, StateSpec, SymmetricPairs, ZeroCenterOfMass, derive_seed

F64 = torch.float64
NODE_MASK = torch.tensor(
    [[True, True, True, True, True], [True, True, False, True, False], [False, True, True, False, False]]
)


def com_projection_matrix(active: Tensor, coords: int) -> Tensor:
    """P for zero centre of mass on the active nodes: (delta_ij - 1/n) delta_cc' on active pairs, else 0."""
    a = active.to(F64)
    n = a.sum()
    node_part = torch.diag(a) - a[:, None] * a[None, :] / n
    return torch.kron(node_part, torch.eye(coords, dtype=F64))


def assert_second_moment(samples: Tensor, expected: Tensor, n_se: float = 5.0) -> None:
    """Empirical E[x x^T] of zero-mean Gaussian samples (n, D) is within n_se SE of ``expected`` entrywise,
    with SE^2 = (P_ii P_jj + P_ij^2) / n, and exactly zero where the expected variance is zero."""
    n = samples.shape[0]
    emp = samples.T @ samples / n
    var = torch.diagonal(expected)[:, None] * torch.diagonal(expected)[None, :] + expected**2
    se = (var / n).sqrt()
    live = se > 0
    assert bool(((emp - expected).abs()[live] < n_se * se[live]).all())
    assert bool((emp[~live] == 0).all())


# ----------------------------------------------------------------------------- ZeroCenterOfMass
def test_zero_com_noise_unmasked() -> None:
    """Noise has zero centre of mass per sample and dim (N - 1) * 3."""
    spec = StateSpec.tensor((5, 3), [ZeroCenterOfMass()])
    x = torch.zeros(4, 5, 3, dtype=F64)
    eps = spec.noise_like(x, generator=3)
    assert eps.abs().max() > 0.1
    torch.testing.assert_close(eps.mean(dim=1), torch.zeros(4, 3, dtype=F64), atol=1e-12, rtol=0)
    torch.testing.assert_close(spec.dim(x), torch.full((4,), 12.0, dtype=F64), atol=0, rtol=0)


def test_zero_com_noise_masked() -> None:
    """Masked COM is zero over active nodes, padding is exactly zero, and dim = (n_active - 1) * 3."""
    spec = StateSpec.tensor((5, 3), [ZeroCenterOfMass()]).with_masks(NODE_MASK[:, :, None])
    x = torch.zeros(3, 5, 3, dtype=F64)
    eps = spec.noise_like(x, generator=11)
    m = NODE_MASK[:, :, None].to(F64)
    centre = (eps * m).sum(1) / m.sum(1)
    torch.testing.assert_close(centre, torch.zeros(3, 3, dtype=F64), atol=1e-12, rtol=0)
    assert torch.all(eps[~NODE_MASK] == 0)
    assert torch.all(eps[NODE_MASK].abs() > 0)
    n_active = NODE_MASK.sum(1).to(F64)
    torch.testing.assert_close(spec.dim(x), (n_active - 1) * 3, atol=0, rtol=0)


@pytest.mark.parametrize("active", [[True] * 4, [True, False, True, True]], ids=["unmasked", "masked"])
def test_zero_com_noise_covariance_is_projection(active: list[bool]) -> None:
    """Cov of projected noise equals P entrywise within 5 MC SE (Var(x_i x_j) = P_ii P_jj + P_ij^2)."""
    act = torch.tensor(active)
    spec = StateSpec.tensor((4, 3), [ZeroCenterOfMass()])
    if not all(active):
        spec = spec.with_masks(act[None, :, None])
    n = 20000
    eps = spec.noise_like(torch.zeros(n, 4, 3, dtype=F64), generator=torch.Generator().manual_seed(0))
    assert_second_moment(eps.reshape(n, -1), com_projection_matrix(act, 3))


# ----------------------------------------------------------------------------- SymmetricPairs
@pytest.mark.parametrize("zero_diagonal", [True, False])
def test_symmetric_pairs_noise_and_dim(zero_diagonal: bool) -> None:
    """Noise is symmetric (zero diagonal if asked), variance 1/2 off the diagonal; dim counts pairs."""
    n_nodes, feat = 4, 2
    spec = StateSpec.tensor((n_nodes, n_nodes, feat), [SymmetricPairs(zero_diagonal=zero_diagonal)])
    x = torch.zeros(6000, n_nodes, n_nodes, feat, dtype=F64)
    eps = spec.noise_like(x, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(eps, eps.transpose(1, 2), atol=0, rtol=0)
    diag = torch.diagonal(eps, dim1=1, dim2=2)
    if zero_diagonal:
        assert torch.all(diag == 0)
    else:
        assert float((diag.var() - 1.0).abs()) < 5 * (2.0 / diag.numel()) ** 0.5
    off = eps[:, 0, 1]
    assert float((off.var() - 0.5).abs()) < 5 * 0.5 * (2.0 / off.numel()) ** 0.5
    pairs = n_nodes * (n_nodes - 1) / 2 + (0 if zero_diagonal else n_nodes)
    torch.testing.assert_close(spec.dim(x[:2]), torch.full((2,), pairs * feat, dtype=F64), atol=0, rtol=0)


def test_symmetric_pairs_masked_dim_and_padding() -> None:
    """With a node mask m_i m_j, only active pairs carry noise and dim = n_a (n_a - 1) / 2 per feature."""
    node = NODE_MASK[:, :4]
    pair_mask = node[:, :, None] & node[:, None, :]
    spec = StateSpec.tensor((4, 4), [SymmetricPairs()]).with_masks(pair_mask)
    x = torch.zeros(3, 4, 4, dtype=F64)
    eps = spec.noise_like(x, generator=2)
    assert torch.all(eps[~pair_mask] == 0)
    n_a = node.sum(1).to(F64)
    torch.testing.assert_close(spec.dim(x), n_a * (n_a - 1) / 2, atol=0, rtol=0)


def test_symmetric_pairs_idempotent_and_self_adjoint() -> None:
    """P P a = P a and <P a, b> = <a, P b> for the symmetrise-and-zero-diagonal projection."""
    spec = StateSpec.tensor((5, 5, 2), [SymmetricPairs()])
    g = torch.Generator().manual_seed(4)
    a, b = (torch.randn(3, 5, 5, 2, generator=g, dtype=F64) for _ in range(2))
    pa = spec.project(a)
    torch.testing.assert_close(spec.project(pa), pa, atol=1e-15, rtol=0)
    torch.testing.assert_close(spec.inner(pa, b), spec.inner(a, spec.project(b)), atol=1e-12, rtol=0)
    expected = 0.5 * (a + a.transpose(1, 2)) * (1 - torch.eye(5, dtype=F64))[None, :, :, None]
    torch.testing.assert_close(pa, expected, atol=1e-15, rtol=0)


@pytest.mark.parametrize(
    "spec",
    [
        StateSpec.tensor((5, 3), [ZeroCenterOfMass()]),
        StateSpec.tensor((5, 3), [ZeroCenterOfMass()]).with_masks(NODE_MASK[:, :, None]),
        StateSpec.tensor((5, 5), [SymmetricPairs()]),
        StateSpec.tensor((5, 5), [SymmetricPairs(zero_diagonal=False)]).with_masks(
            NODE_MASK[:, :, None] & NODE_MASK[:, None, :]
        ),
        StateSpec.tensor((3, 5), [ZeroCenterOfMass(node_axis=1)]),
    ],
    ids=["com", "com-masked", "pairs", "pairs-diag-masked", "com-axis1"],
)
def test_project_idempotent_and_self_adjoint(spec: StateSpec) -> None:
    """Every constraint (with or without masks) is an orthogonal projection: P^2 = P and P^T = P."""
    shape = (3, *spec.leaves["x"].event_shape)
    g = torch.Generator().manual_seed(5)
    a, b = (torch.randn(shape, generator=g, dtype=F64) for _ in range(2))
    pa = spec.project(a)
    assert float((pa - a).abs().max()) > 0.1
    torch.testing.assert_close(spec.project(pa), pa, atol=1e-14, rtol=0)
    torch.testing.assert_close(spec.inner(pa, b), spec.inner(a, spec.project(b)), atol=1e-12, rtol=0)


def test_com_on_second_axis_centres_that_axis() -> None:
    """ZeroCenterOfMass(node_axis=1) on (3, N) subtracts the mean over N."""
    spec = StateSpec.tensor((3, 5), [ZeroCenterOfMass(node_axis=1)])
    a = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(6), dtype=F64)
    torch.testing.assert_close(spec.project(a), a - a.mean(2, keepdim=True), atol=1e-15, rtol=0)
    torch.testing.assert_close(spec.dim(a), torch.full((2,), 12.0, dtype=F64), atol=0, rtol=0)


def test_inner_and_norm_are_masked_per_sample() -> None:
    """inner = sum over real entries of a * b, norm = sqrt(inner(a, a)), one value per sample."""
    spec = StateSpec.tensor((5, 3)).with_masks(NODE_MASK[:, :, None])
    g = torch.Generator().manual_seed(7)
    a, b = (torch.randn(3, 5, 3, generator=g, dtype=F64) for _ in range(2))
    by_hand = torch.tensor(
        [sum(float(a[i, j, c] * b[i, j, c]) for j in range(5) for c in range(3) if NODE_MASK[i, j]) for i in range(3)],
        dtype=F64,
    )
    torch.testing.assert_close(spec.inner(a, b), by_hand, atol=1e-12, rtol=0)
    norm_by_hand = torch.tensor(
        [sum(float(a[i, j, c]) ** 2 for j in range(5) for c in range(3) if NODE_MASK[i, j]) ** 0.5 for i in range(3)],
        dtype=F64,
    )
    torch.testing.assert_close(spec.norm(a), norm_by_hand, atol=1e-12, rtol=0)


def test_inner_over_dict_state_sums_leaves() -> None:
    """For a two-leaf dict state the inner product sums both leaves, masking only the masked leaf."""
    spec = StateSpec({"pos": LeafSpec((5, 3)), "feat": LeafSpec((2,))}).with_masks({"pos": NODE_MASK[:, :, None]})
    g = torch.Generator().manual_seed(8)
    a = {
        "pos": torch.randn(3, 5, 3, generator=g, dtype=F64),
        "feat": torch.randn(3, 2, generator=g, dtype=F64),
    }
    b = {
        "pos": torch.randn(3, 5, 3, generator=g, dtype=F64),
        "feat": torch.randn(3, 2, generator=g, dtype=F64),
    }
    m = NODE_MASK[:, :, None].to(F64)
    expected = (a["pos"] * b["pos"] * m).sum((1, 2)) + (a["feat"] * b["feat"]).sum(1)
    torch.testing.assert_close(spec.inner(a, b), expected, atol=1e-12, rtol=0)
    torch.testing.assert_close(spec.dim(a), NODE_MASK.sum(1).to(F64) * 3 + 2, atol=0, rtol=0)


# ----------------------------------------------------------------------------- flatten / unflatten
def test_flatten_roundtrip_tensor() -> None:
    """A tensor state flattens to (B, D) in row-major order and unflattens back exactly."""
    spec = StateSpec.tensor((4, 3))
    x = torch.randn(2, 4, 3, dtype=F64)
    flat = spec.flatten(x)
    torch.testing.assert_close(flat, x.reshape(2, 12), atol=0, rtol=0)
    torch.testing.assert_close(spec.unflatten(flat), x, atol=0, rtol=0)
    assert spec.flat_dim == 12


def test_flatten_roundtrip_dict() -> None:
    """A two-leaf dict flattens to the leaves concatenated in spec order and unflattens back exactly."""
    spec = StateSpec({"pos": LeafSpec((4, 3)), "feat": LeafSpec((5,))})
    x = {"pos": torch.randn(2, 4, 3, dtype=F64), "feat": torch.randn(2, 5, dtype=F64)}
    flat = spec.flatten(x)
    torch.testing.assert_close(flat, torch.cat([x["pos"].reshape(2, 12), x["feat"]], 1), atol=0, rtol=0)
    back = spec.unflatten(flat)
    assert set(back) == {"pos", "feat"}
    for k in x:
        torch.testing.assert_close(back[k], x[k], atol=0, rtol=0)


def test_unflatten_categorical_needs_like() -> None:
    """Categorical leaves are not in the flat view; unflatten takes them from ``like``, refusing without."""
    spec = StateSpec({"pos": LeafSpec((4, 3)), "atom": LeafSpec((4,), kind="categorical", num_classes=5)})
    x = {"pos": torch.randn(2, 4, 3, dtype=F64), "atom": torch.randint(0, 5, (2, 4))}
    flat = spec.flatten(x)
    assert flat.shape == (2, 12) and spec.flat_dim == 12
    torch.testing.assert_close(flat, x["pos"].reshape(2, 12), atol=0, rtol=0)
    with pytest.raises(ValueError, match="like"):
        spec.unflatten(flat)
    back = spec.unflatten(2 * flat, like=x)
    torch.testing.assert_close(back["pos"], 2 * x["pos"], atol=0, rtol=0)
    assert torch.equal(back["atom"], x["atom"])


def test_require_continuous_names_categorical_leaf() -> None:
    """Code that handles only continuous leaves refuses a categorical one by name."""
    spec = StateSpec({"pos": LeafSpec((4, 3)), "atom_type": LeafSpec((4,), kind="categorical", num_classes=5)})
    with pytest.raises(ValueError, match="atom_type"):
        spec.require_continuous("my_solver")
    StateSpec({"pos": LeafSpec((4, 3))}).require_continuous("my_solver")


def test_leafspec_validation() -> None:
    """Categorical leaves need num_classes >= 2; unknown kinds are refused."""
    with pytest.raises(ValueError, match="num_classes"):
        LeafSpec((4,), kind="categorical")
    with pytest.raises(ValueError, match="kind"):
        LeafSpec((4,), kind="discrete")  # type: ignore[arg-type]


def test_spec_state_mismatch_errors_name_shapes() -> None:
    """Shape, leaf-set and batch-size mismatches raise ValueErrors that name the offending values."""
    spec = StateSpec.tensor((4, 3))
    with pytest.raises(ValueError, match=r"\(2, 4, 2\).*\(B, 4, 3\)"):
        spec.flatten(torch.zeros(2, 4, 2))
    dict_spec = StateSpec({"pos": LeafSpec((4, 3)), "feat": LeafSpec((5,))})
    with pytest.raises(ValueError, match="feat"):
        dict_spec.flatten({"pos": torch.zeros(2, 4, 3)})
    with pytest.raises(ValueError, match=r"2.*3"):
        dict_spec.flatten({"pos": torch.zeros(2, 4, 3), "feat": torch.zeros(3, 5)})
    with pytest.raises(ValueError, match="unknown leaves"):
        dict_spec.with_masks({"nope": torch.ones(1, 5, dtype=torch.bool)})


# ----------------------------------------------------------------------------- NoiseSource
def test_int_seed_gives_per_sample_streams() -> None:
    """A batch of 8 from an int seed == each sample drawn alone with manual_seed(derive_seed(seed, i))."""
    seed, shape = 123, (2, 3)
    batch = NoiseSource(seed, 8).randn(shape, F64)
    singles = torch.cat(
        [NoiseSource([torch.Generator().manual_seed(derive_seed(seed, i))], 1).randn(shape, F64) for i in range(8)]
    )
    torch.testing.assert_close(batch, singles, atol=0, rtol=0)
    direct = torch.stack(
        [torch.randn(shape, generator=torch.Generator().manual_seed(derive_seed(seed, i)), dtype=F64) for i in range(8)]
    )
    torch.testing.assert_close(batch, direct, atol=0, rtol=0)
    assert len({derive_seed(seed, i) for i in range(1000)}) == 1000
    assert all(0 <= derive_seed(s, i) < 2**63 for s in (0, 1, 2**62) for i in (0, 7))


def test_int_seed_noise_like_is_batch_size_invariant() -> None:
    """noise_like with an int seed: sample i is equal in batches of 3 and 7, and from a sliced seed list."""
    spec = StateSpec.tensor((5, 3), [ZeroCenterOfMass()])
    big = spec.noise_like(torch.zeros(7, 5, 3, dtype=F64), generator=9)
    small = spec.noise_like(torch.zeros(3, 5, 3, dtype=F64), generator=9)
    torch.testing.assert_close(big[:3], small, atol=0, rtol=0)
    tail = spec.noise_like(torch.zeros(2, 5, 3, dtype=F64), generator=[derive_seed(9, 5), derive_seed(9, 6)])
    torch.testing.assert_close(big[5:], tail, atol=0, rtol=0)


def test_shared_generator_matches_torch_randn() -> None:
    """A torch.Generator is one stream for the whole batch."""
    out = NoiseSource(torch.Generator().manual_seed(5), 4).randn((3,), F64)
    torch.testing.assert_close(out, torch.randn(4, 3, generator=torch.Generator().manual_seed(5), dtype=F64))


def test_rademacher_signs() -> None:
    """Rademacher noise is +-1 with mean 0 (5 standard errors, SE = 1/sqrt(n))."""
    r = NoiseSource(torch.Generator().manual_seed(0), 10000).rademacher((4,), F64)
    assert torch.all(r.abs() == 1)
    assert float(r.mean().abs()) < 5 / r.numel() ** 0.5


def test_noise_source_errors() -> None:
    """Wrong-length seed lists, unsupported generators and mismatched noise sources are refused."""
    with pytest.raises(ValueError, match=r"3 per-sample generators for a batch of 4"):
        NoiseSource([1, 2, 3], 4)
    with pytest.raises(ValueError, match="generator"):
        NoiseSource("seed", 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="4"):
        NoiseSource.of(NoiseSource(0, 4), 5, "cpu")


def test_index_selects_samples_and_masks() -> None:
    """index(x, idx) picks rows of the state and of its batched masks together."""
    spec = StateSpec.tensor((5, 3), [ZeroCenterOfMass()]).with_masks(NODE_MASK[:, :, None])
    x = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(3), dtype=F64)
    idx = torch.tensor([2, 0, 2, 1])
    y, spec_y = spec.index(x, idx)
    torch.testing.assert_close(y, x[idx], atol=0, rtol=0)
    assert torch.equal(spec_y.masks["x"], NODE_MASK[idx][:, :, None])
    torch.testing.assert_close(spec_y.dim(y), (NODE_MASK[idx].sum(1).to(F64) - 1) * 3, atol=0, rtol=0)
    torch.testing.assert_close(spec_y.project(y), spec.project(x)[idx], atol=1e-15, rtol=0)


def test_index_with_shared_mask_keeps_it() -> None:
    """A mask with batch size 1 is shared by every selected sample."""
    mask = NODE_MASK[1:2, :, None]
    spec = StateSpec.tensor((5, 3), [ZeroCenterOfMass()]).with_masks(mask)
    x = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(3), dtype=F64)
    y, spec_y = spec.index(x, torch.tensor([1, 1]))
    torch.testing.assert_close(spec_y.project(y), spec.project(x)[[1, 1]], atol=1e-15, rtol=0)


def test_mask_without_batch_axis_is_refused_and_shared_mask_indexes() -> None:
    """Masks carry a batch axis (size B or 1); an (N, 1) mask is refused, a shared (1, N, 1) mask survives index."""
    spec = StateSpec.tensor((3, 2), [ZeroCenterOfMass()])
    with pytest.raises(ValueError, match=r"needs 3 axes"):
        spec.with_masks(torch.tensor([[True], [True], [False]]))
    spec = spec.with_masks(torch.tensor([[[True], [True], [False]]]))
    x = torch.randn(3, 3, 2, generator=torch.Generator().manual_seed(3), dtype=F64)
    y, spec_y = spec.index(x, torch.tensor([0, 2]))
    torch.testing.assert_close(spec_y.project(y), spec.project(x)[[0, 2]], atol=1e-15, rtol=0)
