"""The flat-view denoiser call used by every solver: checks, NFE counting and non-finite tracking."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.state import State, StateSpec


class FlatModel:
    """Calls ``denoiser`` on the unflattened state and returns E[x0 | x_t] on the flat view (B, D).

    - counts one NFE per batched call in ``cost``;
    - checks that the output has the input's structure and shape (ValueError otherwise);
    - projects the output onto the spec's mask and constraint subspace;
    - keeps, on the device and without synchronising, the sum of every output (one reduction per call; it is
      non-finite exactly when an entry is NaN or inf, barring overflow near float max); once sampling ends,
      :meth:`raise_if_nonfinite` reports the step and t of the first non-finite call.
    """

    def __init__(self, denoiser: Any, spec: StateSpec, like: State, cond: dict[str, Any], cost: Cost) -> None:
        self.denoiser, self.spec, self.like, self.cond, self.cost = denoiser, spec, like, cond, cost
        self._sums: list[Tensor] = []
        self._calls: list[tuple[int, Tensor]] = []

    def __call__(self, z: Tensor, t: Tensor, step: int) -> Tensor:
        b = z.shape[0]
        t_vec = t.reshape(-1).to(z.dtype).expand(b) if t.numel() == 1 else t.reshape(b).to(z.dtype)
        x = self.spec.unflatten(z, like=self.like)
        out = self.denoiser(x, t_vec, **self.cond)
        if isinstance(out, Prediction):
            out = out.mean
        self._check_structure(x, out)
        flat = self.spec.project_flat(self.spec.flatten(out).to(z.dtype))
        self.cost.nfe += 1
        self._sums.append(flat.detach().sum())
        self._calls.append((step, t_vec))
        return flat

    def _check_structure(self, x: State, out: Any) -> None:
        if isinstance(x, Tensor):
            if not isinstance(out, Tensor) or out.shape != x.shape:
                got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
                raise ValueError(f"denoiser output has shape {got}; it must match its input's shape {tuple(x.shape)}")
            return
        if not isinstance(out, dict) or set(out) != set(x):
            raise ValueError(
                f"denoiser output leaves {sorted(out) if isinstance(out, dict) else type(out).__name__}"
                f" must match the input leaves {sorted(x)}"
            )
        for k in x:
            if out[k].shape != x[k].shape:
                raise ValueError(
                    f"denoiser output leaf {k!r} has shape {tuple(out[k].shape)}; the input's is {tuple(x[k].shape)}"
                )

    def raise_if_nonfinite(self) -> None:
        """Raise ValueError naming the step and t of the first non-finite value (one host sync)."""
        if not self._sums:
            return
        bad = ~torch.isfinite(torch.stack(self._sums))
        if not bool(bad.any()):
            return
        step, t = self._calls[int(bad.nonzero()[0])]
        t_vals = t.detach().reshape(-1)
        t_str = f"{float(t_vals[0]):.6g}" if bool((t_vals == t_vals[0]).all()) else f"{t_vals.tolist()}"
        raise ValueError(
            f"sampling produced a non-finite value at step {step} (t = {t_str}): the denoiser output contains NaN "
            "or inf there"
        )
