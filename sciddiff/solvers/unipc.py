"""UniPC-style multistep predictor-corrector with exact exponential quadrature, for any process."""

from __future__ import annotations

from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.exponential import adams_weights
from sciddiff.solvers.schedule import cast


class UniPC(Solver):
    """Predictor: exponential Adams-Bashforth of order p through the last p values of D. Corrector: exponential
    Adams-Moulton of order p + 1, adding D at the predicted point. As in UniPC, that evaluation is reused as the
    next step's history, so the corrector is free: ``steps`` evaluations, global order p + 1 (3 by default).
    The last step is predictor-only (its D would only serve the final denoise). Orders ramp up over the first
    steps (a higher predictor order would gain nothing: the ramp's first step caps the global order at 3).
    Weights integrate the Lagrange interpolant exactly (see ``exponential``), the exact counterpart of
    UniPC's B(h) choices. Zhao et al., "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
    Diffusion Models" (2023), arXiv:2302.04867.
    """

    name = "unipc"

    def __init__(self, order: int = 2) -> None:
        if order not in (1, 2):
            raise ValueError(f"unipc predictor order must be 1 or 2, got {order}")
        self.p = order

    @property
    def order(self) -> int:  # type: ignore[override]
        return self.p + 1

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        n = sc.steps
        c_x = cast(sc.sigma[1:] / sc.sigma[:-1], ctx.dtype)
        pred, corr = (
            [
                cast(sc.alpha[i + 1].unsqueeze(-1) * w, ctx.dtype)
                for i, w in enumerate(adams_weights(sc.lam, self.p, imp))
            ]
            for imp in (False, True)
        )
        history = [ctx.denoise(z, 0)]
        for i in ctx.steps(self.name):
            base = c_x[i] * z
            wp = pred[i]
            z_pred = base + sum(wp[:, j] * history[j] for j in range(wp.shape[1]))
            if i == n - 1:
                return z_pred
            d_new = ctx.denoise(z_pred, i + 1)
            wc = corr[i]
            z = base + wc[:, 0] * d_new + sum(wc[:, j + 1] * history[j] for j in range(wc.shape[1] - 1))
            history = [d_new, *history[: self.p - 1]]
        return z
