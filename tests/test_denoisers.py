"""Denoiser parametrizations, preconditioning and network wrapping against exact mixture denoisers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from sciddiff.analytic import GaussianMixture
from sciddiff.denoisers import (
    TARGETS,
    Coefficients,
    Cost,
    CountingDenoiser,
    DenseCovariance,
    NetworkDenoiser,
    Prediction,
    edm_scaling,
    from_x0,
    predict,
    target_value,
    to_x0,
    x0_error_scale,
)
from sciddiff.processes import Process

F64 = torch.float64
B, D = 6, 3
# sign of d target / d x0 at fixed x_t: eps -a/s, v -(a^2 + s^2)/s, score a/s^2, velocity a' - s' a/s (< 0)
JACOBIAN_SIGN = {"x0": 1.0, "eps": -1.0, "v": -1.0, "velocity": -1.0, "score": 1.0}


def random_times(process: Process, n: int, seed: int) -> Tensor:
    """n times spread over [t_min, t_max] (including points near both ends)."""
    u = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=F64)
    u[0], u[1] = 1e-3, 1 - 1e-3
    return process.t_min + (process.t_max - process.t_min) * u


def coefficients(process: Process, t: Tensor) -> Coefficients:
    alpha, sigma = (c[:, None] for c in process.alpha_sigma(t))
    da, ds = (c[:, None] for c in process.derivatives(t))
    return Coefficients(alpha, sigma, da, ds)


def sample_xt(process: Process, t: Tensor, seed: int) -> tuple[Tensor, Tensor, Tensor, Coefficients]:
    """(x0, eps, x_t = alpha x0 + sigma eps, coefficients) for per-sample t."""
    g = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(len(t), D, generator=g, dtype=F64), torch.randn(len(t), D, generator=g, dtype=F64)
    c = coefficients(process, t)
    return x0, eps, c.alpha * x0 + c.sigma * eps, c


def assert_rel_close(a: Tensor, b: Tensor, rel: float) -> None:
    """|a - b| <= rel * max(|b|) elementwise per sample row."""
    scale = b.abs().amax(dim=-1, keepdim=True).clamp_min(1e-300)
    assert float(((a - b).abs() / scale).max()) <= rel


# ----------------------------------------------------------------------------- target conversions
@pytest.mark.parametrize("target", TARGETS)
def test_to_x0_inverts_from_x0(process: Process, target: str) -> None:
    """to_x0(from_x0(x0)) == x0 for any x0 and x_t (relative 1e-10)."""
    t = random_times(process, B, 0)
    x0, _, x_t, c = sample_xt(process, t, 1)
    other = torch.randn(B, D, generator=torch.Generator().manual_seed(2), dtype=F64)
    assert_rel_close(to_x0(from_x0(other, target, x_t, c), target, x_t, c), other, 1e-10)
    assert_rel_close(to_x0(from_x0(x0, target, x_t, c), target, x_t, c), x0, 1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_from_x0_inverts_to_x0(process: Process, target: str) -> None:
    """from_x0(to_x0(p)) == p for any prediction p (relative 1e-10)."""
    t = random_times(process, B, 3)
    x0, _, x_t, c = sample_xt(process, t, 4)
    p = from_x0(x0, target, x_t, c) + torch.randn(B, D, generator=torch.Generator().manual_seed(5), dtype=F64)
    assert_rel_close(from_x0(to_x0(p, target, x_t, c), target, x_t, c), p, 1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_target_value_matches_from_x0(process: Process, target: str) -> None:
    """The training target from (x0, eps) equals the conversion of x0 at x_t = alpha x0 + sigma eps."""
    t = random_times(process, B, 6)
    x0, eps, x_t, c = sample_xt(process, t, 7)
    assert_rel_close(target_value(target, x0, eps, c), from_x0(x0, target, x_t, c), 1e-10)


def test_target_definitions(process: Process) -> None:
    """eps, v = a eps - s x0, velocity = a' x0 + s' eps and score = -eps / s, from their definitions."""
    t = random_times(process, B, 8)
    x0, eps, x_t, c = sample_xt(process, t, 9)
    assert_rel_close(from_x0(x0, "eps", x_t, c), eps, 1e-10)
    assert_rel_close(from_x0(x0, "v", x_t, c), c.alpha * eps - c.sigma * x0, 1e-10)
    assert_rel_close(from_x0(x0, "velocity", x_t, c), c.dalpha * x0 + c.dsigma * eps, 1e-10)
    assert_rel_close(from_x0(x0, "score", x_t, c), -eps / c.sigma, 1e-10)
    assert torch.equal(from_x0(x0, "x0", x_t, c), x0)


@pytest.mark.parametrize("target", TARGETS)
def test_x0_error_scale_is_exact_linear_factor(process: Process, target: str) -> None:
    """from_x0(x0 + delta) - from_x0(x0) = J delta with J = sign * x0_error_scale, for any x0 and delta."""
    t = random_times(process, B, 10)
    x0, _, x_t, c = sample_xt(process, t, 11)
    g = torch.Generator().manual_seed(12)
    scale = torch.as_tensor(x0_error_scale(target, c), dtype=F64).expand(B, 1)
    for _ in range(2):
        delta = torch.randn(B, D, generator=g, dtype=F64)
        base = x0 + torch.randn(B, D, generator=g, dtype=F64)
        change = from_x0(base + delta, target, x_t, c) - from_x0(base, target, x_t, c)
        assert_rel_close(change, JACOBIAN_SIGN[target] * scale * delta, 1e-8)


def test_coefficients_velocity_requires_derivatives() -> None:
    """The velocity target without derivatives, and unknown targets, are refused."""
    c = Coefficients(torch.ones(1, 1), torch.ones(1, 1))
    with pytest.raises(ValueError, match="velocity"):
        to_x0(torch.ones(1, 1), "velocity", torch.ones(1, 1), c)
    with pytest.raises(ValueError, match="nope"):
        from_x0(torch.ones(1, 1), "nope", torch.ones(1, 1), c)


# ----------------------------------------------------------------------------- networks with exact outputs
class ExactTargetNet(nn.Module):
    """Outputs the exact prediction of ``target`` for a Gaussian mixture, from NetworkDenoiser's inputs.

    With EDM preconditioning it inverts c_noise = -logSNR/8 and x_in = c_in x_t to recover (x_t, t); for
    target "x0" it returns the skip-connected F = (x0_exact - c_skip x_t / alpha) / c_out. ``offset`` perturbs
    the output.
    """

    def __init__(
        self,
        mixture: GaussianMixture,
        process: Process,
        target: str,
        edm: bool,
        sigma_data: float = 0.5,
        offset: float = 0.0,
    ) -> None:
        super().__init__()
        self.mixture, self.process, self.target, self.edm, self.sd = mixture, process, target, edm, sigma_data
        self.offset = offset
        self.calls: list[tuple[Tensor, Tensor]] = []

    def forward(self, x_in: Tensor, c_noise: Tensor) -> Tensor:
        self.calls.append((x_in, c_noise))
        if self.edm:
            t = self.process.t_of_log_snr(-8.0 * c_noise)
            alpha, sigma = (c[:, None] for c in self.process.alpha_sigma(t))
            s = sigma / alpha
            x_t = x_in * alpha * torch.sqrt(s**2 + self.sd**2)
        else:
            t, x_t = c_noise, x_in
        c = coefficients(self.process, t)
        x0 = self.mixture.predict(x_t, c.alpha[:, 0], c.sigma[:, 0]).mean
        if self.edm and self.target == "x0":
            s = c.sigma / c.alpha
            c_skip = self.sd**2 / (s**2 + self.sd**2)
            c_out = s * self.sd / torch.sqrt(s**2 + self.sd**2)
            return (x0 - c_skip * x_t / c.alpha) / c_out + self.offset
        return from_x0(x0, self.target, x_t, c) + self.offset


def marginal_points(mixture: GaussianMixture, process: Process, t: Tensor, seed: int) -> Tensor:
    x0 = mixture.sample(len(t), generator=seed, dtype=F64)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed + 1), dtype=F64)
    return process.add_noise(x0, t, eps)


@pytest.mark.parametrize("target", TARGETS)
def test_network_denoiser_exact_without_preconditioning(
    process: Process, target: str, mixture_factory: Callable[..., GaussianMixture]
) -> None:
    mix = mixture_factory(D, 3, 0)
    t = random_times(process, B, 13)
    x_t = marginal_points(mix, process, t, 14)
    net = ExactTargetNet(mix, process, target, edm=False)
    den = NetworkDenoiser(net, process, target=target, preconditioning=None)
    exact = mix.denoiser(process)(x_t, t).mean
    assert_rel_close(den(x_t, t), exact, 1e-9)
    assert torch.equal(net.calls[0][0], x_t) and torch.equal(net.calls[0][1], t)


@pytest.mark.parametrize("target", TARGETS)
def test_network_denoiser_exact_with_edm_preconditioning(
    process: Process, target: str, mixture_factory: Callable[..., GaussianMixture]
) -> None:
    """EDM inputs (c_in x_t, -logSNR/8); target x0 is skip-connected, other targets are converted as is."""
    mix = mixture_factory(D, 3, 1)
    t = random_times(process, B, 15)
    x_t = marginal_points(mix, process, t, 16)
    net = ExactTargetNet(mix, process, target, edm=True)
    den = NetworkDenoiser(net, process, target=target, preconditioning="edm")
    exact = mix.denoiser(process)(x_t, t).mean
    assert_rel_close(den(x_t, t), exact, 1e-9)
    torch.testing.assert_close(net.calls[0][1], -process.log_snr(t) / 8, rtol=1e-14, atol=1e-14)


def test_edm_scaling_at_sigma_data() -> None:
    """At s = sigma/alpha = sd: c_skip = 1/2, c_out = sd/sqrt2, c_in = 1/(a sd sqrt2), c_noise = log(sd)/4."""
    sd = 0.5
    alpha = torch.tensor([1.0, 0.6, 0.1], dtype=F64)
    sc = edm_scaling(alpha, alpha * sd, sd)
    torch.testing.assert_close(sc.c_skip, torch.full((3,), 0.5, dtype=F64), rtol=1e-15, atol=0)
    torch.testing.assert_close(sc.c_out, torch.full((3,), sd / math.sqrt(2), dtype=F64), rtol=1e-15, atol=0)
    torch.testing.assert_close(sc.c_in, 1 / (alpha * sd * math.sqrt(2)), rtol=1e-15, atol=0)
    torch.testing.assert_close(sc.c_noise, torch.full((3,), math.log(sd) / 4, dtype=F64), rtol=1e-15, atol=0)


def test_edm_scaling_gives_unit_variance_input_and_target() -> None:
    """Data of std sd: Var(c_in x_t) = 1 and Var((x0 - c_skip y)/c_out) = 1 (y = x0 + s eps), exactly."""
    sd, alpha = 0.5, torch.tensor([0.9, 0.3], dtype=F64)
    s = torch.tensor([0.1, 5.0], dtype=F64)
    sc = edm_scaling(alpha, alpha * s, sd)
    torch.testing.assert_close(sc.c_in**2 * alpha**2 * (sd**2 + s**2), torch.ones(2, dtype=F64), rtol=1e-14, atol=0)
    var_target = ((1 - sc.c_skip) ** 2 * sd**2 + sc.c_skip**2 * s**2) / sc.c_out**2
    torch.testing.assert_close(var_target, torch.ones(2, dtype=F64), rtol=1e-14, atol=0)


@pytest.mark.parametrize("edm", [False, True], ids=["plain", "edm"])
@pytest.mark.parametrize("target", TARGETS)
def test_regression_relates_output_error_to_x0_error(
    process: Process, target: str, edm: bool, mixture_factory: Callable[..., GaussianMixture]
) -> None:
    """For a network perturbed by a constant: out - target = sign * scale * (x0_hat - x0) exactly, where
    sign * scale = d(network output)/d x0 at fixed x_t (``scale`` itself is documented as the magnitude)."""
    mix = mixture_factory(D, 2, 2)
    t = random_times(process, B, 17)
    x0, eps, x_t, _ = sample_xt(process, t, 18)
    den = NetworkDenoiser(
        ExactTargetNet(mix, process, target, edm=edm, offset=0.3),
        process,
        target=target,
        preconditioning="edm" if edm else None,
    )
    out, tgt, scale = den.regression(x_t, t, x0, eps)
    scale = torch.as_tensor(scale, dtype=F64).expand(B, 1)
    assert bool((scale > 0).all())
    sign = 1.0 if edm and target == "x0" else JACOBIAN_SIGN[target]
    assert_rel_close(out - tgt, sign * scale * (den(x_t, t) - x0), 1e-9)


def test_network_denoiser_rejects_bad_options() -> None:
    """Unknown targets and preconditionings are refused by name."""
    with pytest.raises(ValueError, match="nope"):
        NetworkDenoiser(nn.Identity(), None, target="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="karras"):
        NetworkDenoiser(nn.Identity(), None, preconditioning="karras")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- predictions and cost
def test_counting_denoiser_counts_calls() -> None:
    """Each call adds one NFE to the (possibly shared) Cost and passes conditioning through."""
    seen: list[dict[str, Any]] = []

    def den(x: Tensor, t: Tensor, **cond: Any) -> Tensor:
        seen.append(cond)
        return 2 * x

    cost = Cost()
    a, b = CountingDenoiser(den, cost), CountingDenoiser(den, cost)
    x = torch.ones(2, 3)
    for _ in range(3):
        assert torch.equal(a(x, torch.zeros(2), label=1), 2 * x)
    b(x, torch.zeros(2))
    assert cost.nfe == 4 and cost.as_dict() == {"nfe": 4, "vjp": 0, "jvp": 0, "operator_calls": 0}
    assert seen[0] == {"label": 1} and seen[-1] == {}
    assert CountingDenoiser(den).cost.nfe == 0


def test_predict_wraps_bare_outputs_and_dense_covariance() -> None:
    """predict wraps bare outputs; DenseCovariance matvec/diagonal are exact."""
    x = torch.randn(2, 3, dtype=F64)
    p = predict(lambda x_t, t: x_t + 1, x, torch.zeros(2))
    assert isinstance(p, Prediction) and torch.equal(p.mean, x + 1) and p.covariance is None
    cov = DenseCovariance(torch.randn(2, 3, 3, dtype=F64))
    q = Prediction(x, covariance=cov)
    assert predict(lambda x_t, t: q, x, torch.zeros(2)) is q
    v = torch.randn(2, 3, dtype=F64)
    torch.testing.assert_close(cov.matvec(v), (cov.matrix @ v[:, :, None])[:, :, 0], rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(cov.diagonal(), torch.stack([torch.diag(m) for m in cov.matrix]), rtol=0, atol=0)
