"""deepinv's diffusion solvers (DPS, DiffPIR, DDRM) on the fields benchmark, fed the same trained prior and the
same lifted operator as sciddiff's methods.

deepinv works on images z in [0, 1]; the fields priors use the "range" normalisation, so the model state is
x = 2 z - 1 exactly and deepinv's denoiser D(z, sigma) is (D_VE(2 z - 1, 2 sigma) + 1) / 2, with D_VE the trained
network at the VP time whose noise ratio sigma_t / alpha_t is 2 sigma. For a lifted linear operator A on x,
y = A x + n becomes y_z = (y + A 1) / 2 = A z + n / 2. DDRM gets a ``DecomposablePhysics`` from the dense SVD of A
(images flattened to (B, 1, 1, d), as in ``scripts.benchmarks.posterior_anchors``). deepinv 0.5 defaults
otherwise; its DPS ignores ``steps`` beyond ``num_steps``.
"""

from __future__ import annotations

import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from sciddiff.denoisers import predict
from scripts.benchmarks.posterior_anchors import _deepinv, _vp_sigma

F64 = torch.float64


def ve_denoiser(model: Any, shape: tuple[int, ...]) -> Any:
    """D(x, s) = E[x0 | x0 + s eps] for flat or image-shaped x, from the trained VP network (float64 out)."""
    process = model.process
    s_lo = float(process.sigma(process.t_min) / process.alpha(process.t_min))
    s_hi = float(process.sigma(process.t_max) / process.alpha(process.t_max))

    def den(x: Tensor, s: Any) -> Tensor:
        b = x.shape[0]
        s = torch.as_tensor(s, dtype=F64).reshape(-1).expand(b).clamp(s_lo, s_hi)
        t = process.t_of_noise_ratio(s)
        xt = (process.alpha(t).reshape(-1, *([1] * len(shape))) * x.reshape(b, *shape).to(F64)).float()
        with torch.no_grad() if not torch.is_grad_enabled() else torch.enable_grad():
            out = predict(model.denoiser, xt, t.float()).mean
        return out.to(F64).reshape(x.shape)

    return den


def run_deepinv(
    method: str, model: Any, op: Any, y: Tensor, sigma_y: float, n: int, steps: int, seed: int
) -> tuple[Tensor, float]:
    """(n samples of the state (n, *op.in_shape), seconds) from deepinv's ``method`` for y = op(x) + N(0, sigma_y^2)."""
    dinv = _deepinv()
    shape = op.in_shape
    d = op.in_dim
    den = ve_denoiser(model, shape)

    class ImageDenoiser(dinv.models.Denoiser):
        def forward(self, z: Tensor, sigma: Any, *args: Any, **kwargs: Any) -> Tensor:
            s = 2.0 * torch.as_tensor(sigma, dtype=F64).reshape(-1).expand(z.shape[0])
            if bool((s == 0).all()):
                return z
            return ((den(2 * z.to(F64) - 1, s) + 1) / 2).to(z.dtype)

    torch.manual_seed(seed)
    start = time.perf_counter()
    ones = torch.ones(1, *shape, dtype=F64)
    y_z = ((y.to(F64) + op.forward(ones)[0]) / 2)[None].expand(n, *op.out_shape).contiguous()
    noise = dinv.physics.GaussianNoise(sigma=sigma_y / 2)
    if method in ("dps", "diffpir"):
        physics = dinv.physics.LinearPhysics(
            A=lambda z: op.forward(z.to(F64)), A_adjoint=lambda v: op.adjoint(v.to(F64)), noise_model=noise
        )
        if method == "dps":
            z = dinv.sampling.DPS(ImageDenoiser(), num_steps=steps + 1, dtype=F64)(y_z, physics, x_init=(n, *shape))
        else:
            z = dinv.sampling.DiffPIR(ImageDenoiser(), dinv.optim.data_fidelity.L2(), max_iter=steps)(y_z, physics)
    elif method == "ddrm":
        svd = op if op.has_svd else op.with_dense_svd()
        s = svd.singular_values().to(F64)
        k = s.shape[0]
        physics = dinv.physics.DecomposablePhysics(
            U=lambda c: svd.u(F.pad(c.reshape(c.shape[0], -1)[:, :k], (0, svd.out_dim - k))).reshape(c.shape[0], -1),
            U_adjoint=lambda v: F.pad(svd.u_t(v.reshape(v.shape[0], *op.out_shape))[:, :k], (0, d - k)).reshape(
                v.shape[0], 1, 1, d
            ),
            V=lambda c: svd.v(c.reshape(c.shape[0], d)).reshape(c.shape[0], 1, 1, d),
            V_adjoint=lambda x: svd.v_t(x.reshape(x.shape[0], *shape)).reshape(x.shape[0], 1, 1, d),
            mask=F.pad(s, (0, d - k)).reshape(1, 1, 1, d),
            noise_model=noise,
        )
        timesteps = torch.linspace(1.0, 0.0, steps + 1, dtype=F64)
        sigmas = (_vp_sigma(timesteps) / 2.0).numpy()

        class FlatDenoiser(ImageDenoiser):
            def forward(self, z: Tensor, sigma: Any, *args: Any, **kwargs: Any) -> Tensor:
                return super().forward(z.reshape(z.shape[0], *shape), sigma).reshape(z.shape)

        z = dinv.sampling.DDRM(FlatDenoiser(), sigmas=sigmas)(y_z.reshape(n, -1), physics)
    else:
        raise ValueError(f"unknown deepinv method {method!r}")
    x = (2 * z.to(F64) - 1).reshape(n, *shape)
    return x, time.perf_counter() - start
