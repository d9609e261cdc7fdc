"""The fields domain's solve path: lift an operator in physical units to the state, handle missing sensor values,
sample the posterior with any guidance method, decode, and write netCDF and figures.

Lifting (``sciddiff.train.problems.state_problem``): with raw = d * x + offset, a linear A becomes (A D) x with
y - A(offset); a nonlinear or forward-only A is composed with the decode, x -> A(d * x + offset), keeping its kind
(differentiable or black box).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import sciddiff
from sciddiff.guidance import get_method
from sciddiff.operators import LinearOperator, Mask, Operator
from sciddiff.train.adapter import Adapter
from sciddiff.train.outputs import posterior_dataset, write_netcdf
from sciddiff.train.problems import state_problem


def drop_missing(op: Operator, y: Tensor) -> tuple[Operator, Tensor]:
    """A sensor :class:`Mask` without the entries whose value in ``y`` is NaN (sensors that recorded nothing), and
    y without them; any other operator with NaN in y is refused."""
    y = torch.as_tensor(y)
    bad = ~torch.isfinite(y)
    if not bool(bad.any()):
        return op, y
    if not isinstance(op, Mask) or bool(torch.isinf(y).any()):
        raise ValueError(
            f"the observation has {int(bad.sum())} NaN or inf values; only a sensor Mask can leave missing "
            f"values out (operator {op!r})"
        )
    keep = op.mask.clone().reshape(-1)
    keep[op.observed[bad.reshape(-1)]] = False
    if not bool(keep.any()):
        raise ValueError("every observed value is NaN; nothing is left to condition on")
    return Mask(keep.reshape(op.mask.shape)), y[~bad]


@dataclass
class Reconstruction:
    """Decoded posterior samples (L, C, H, W), their mean and std, and the method's cost record."""

    samples: Tensor
    info: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mean(self) -> Tensor:
        return self.samples.mean(0)

    @property
    def std(self) -> Tensor:
        return self.samples.std(0)


def reconstruct(
    adapter: Adapter,
    denoiser: Any,
    process: Any,
    op: Operator,
    y: Tensor,
    noise_std: float,
    method: str = "mmps",
    steps: int = 100,
    n_samples: int = 16,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> Reconstruction:
    """Posterior samples of the raw field given one observation ``y`` = op(field) + N(0, noise_std^2)."""
    m = get_method(method, **dict(options or {}))
    op, y = drop_missing(op, torch.as_tensor(y, dtype=torch.float64))
    a_state, y_state = state_problem(adapter, op, y, needs_svd=m.requirements.operator == "svd")
    xs, info = sciddiff.posterior_sample(
        denoiser,
        process,
        a_state,
        y_state.to(torch.float32),
        float(noise_std),
        m,
        steps=steps,
        n_samples=n_samples,
        generator=seed,
        return_info=True,
    )
    return Reconstruction(adapter.decode(xs), info)


def observation_image(op: Operator, y: Tensor) -> Tensor | None:
    """The observation shown on the field's grid where it has one: masks scattered with NaN where unobserved,
    same-grid operators (blur) as they are, downsampled images as blocks; else the adjoint for linear ops."""
    y = torch.as_tensor(y, dtype=torch.float64)
    if isinstance(op, Mask):
        out = torch.full((op.in_dim,), float("nan"), dtype=torch.float64)
        out[op.observed] = y.reshape(-1)
        return out.reshape(op.in_shape)
    if tuple(y.shape) == op.in_shape:
        return y
    if isinstance(op, LinearOperator) and hasattr(op, "factor"):
        f = int(op.factor)
        return y.repeat_interleave(f, -2).repeat_interleave(f, -1)
    if isinstance(op, LinearOperator):
        return op.adjoint(y[None])[0]
    return None


def plot_reconstruction(
    mean: Tensor, std: Tensor, path: Path, truth: Tensor | None = None, observation: Tensor | None = None,
    names: Sequence[str] | None = None,
) -> Path:  # fmt: skip
    """One row per channel: truth, observation, posterior mean, posterior std and |error| side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean, std = mean.detach().double().cpu(), std.detach().double().cpu()
    rows = mean.shape[0]
    panels: list[tuple[str, Tensor | None]] = [("truth", truth), ("observation", observation)]
    panels += [("posterior mean", mean), ("posterior std", std)]
    panels.append(("|error|", None if truth is None else (mean - truth.double()).abs()))
    panels = [(n, p) for n, p in panels if p is not None]
    fig, axes = plt.subplots(rows, len(panels), figsize=(2.8 * len(panels), 2.6 * rows), squeeze=False)
    for c in range(rows):
        lo, hi = (truth if truth is not None else mean)[c].min(), (truth if truth is not None else mean)[c].max()
        for ax, (name, img) in zip(axes[c], panels, strict=True):
            same = name in ("truth", "observation", "posterior mean")
            shown = img[c] if img.dim() == 3 else img
            im = ax.imshow(shown, cmap="viridis", vmin=float(lo) if same else None, vmax=float(hi) if same else None)
            ax.set_title(f"{names[c] if names else f'channel {c}'}: {name}", fontsize=8)
            ax.axis("off")
            fig.colorbar(im, ax=ax, shrink=0.75)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_reconstructions(
    adapter: Adapter, recs: Sequence[Reconstruction], path: Path, attrs: Mapping[str, Any], truth: Tensor | None = None
) -> Path:
    """Samples, mean, std and quantiles of each observation's posterior (and the truths) as one netCDF file with
    the field's coordinates (never overwriting)."""
    return write_netcdf(posterior_dataset(adapter, [r.samples for r in recs], attrs, truth=truth), Path(path))
