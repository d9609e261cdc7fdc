"""Replacement conditioning on a known part of the state (scaffold, substructure, known letters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Prediction
from sciddiff.processes import MaskedProcess, MixedProcess

_F64 = torch.float64


class Replacement:
    """A denoiser wrapper that imposes x0 = ``known`` on the entries where ``where`` is True, at every step.

    - Categorical leaves: the x0-logits there become log delta(known), so each ancestral or first-hitting step
      keeps (or reveals) exactly the known value, and the sampler's state there follows the bridge
      q(x_s | x_t, x0 = known). For a masked leaf the denoiser also sees the known tokens revealed from the start:
      masked diffusion is time-agnostic, so p(x0 | x_t, known revealed) is the exact conditional and sampling the
      rest is exact for the exact denoiser. For uniform and marginal leaves the denoiser sees the sampler's own
      state, which at known entries is a draw from q(x_t | known): RePaint's replacement, approximate where the
      known and unknown parts are dependent.
    - Continuous leaves: E[x0 | x_t] is set to the known value there, so the state follows the bridge to it.
    The result keeps the known part exactly; a covariance in the wrapped output is dropped. Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion
    Probabilistic Models" (2022), arXiv:2201.09865; Zheng et al. (2024), arXiv:2409.02908.

    ``known`` and ``where`` are states (a tensor for a plain tensor state, else mappings over the conditioned
    leaves), each leaf shaped (B or 1, *event); ``process`` is the sampling process (to find masked leaves).
    """

    def __init__(self, denoiser: Any, process: Any, known: Tensor | Mapping[str, Tensor], where: Any) -> None:
        self.denoiser, self.process = denoiser, MixedProcess.of(process)
        self.is_tensor = isinstance(known, Tensor)
        self.known = {"x": known} if isinstance(known, Tensor) else dict(known)
        self.where = {"x": where} if isinstance(where, Tensor) else {k: v.bool() for k, v in dict(where).items()}
        if set(self.known) != set(self.where):
            raise ValueError(f"known values for leaves {sorted(self.known)} but masks for {sorted(self.where)}")
        for k in self.known:
            if self.known[k].shape[1:] != self.where[k].shape[1:]:
                raise ValueError(
                    f"leaf {k!r}: known values have shape {tuple(self.known[k].shape)}, the mask "
                    f"{tuple(self.where[k].shape)}; they must agree after the batch axis"
                )
        self.where = {k: v.bool() for k, v in self.where.items()}
        self.revealed = [k for k in self.known if isinstance(self.process.categorical.get(k), MaskedProcess)]

    def __call__(self, x_t: Any, t: Tensor, **cond: Any) -> Prediction:
        leaves = {"x": x_t} if isinstance(x_t, Tensor) else dict(x_t)
        unknown = set(self.known) - set(leaves)
        if unknown:
            raise ValueError(f"known values for leaves {sorted(unknown)} that the state does not have")
        for k in self.revealed:
            leaves[k] = torch.where(self.where[k], self.known[k].to(leaves[k].dtype), leaves[k])
        out = self.denoiser(leaves["x"] if isinstance(x_t, Tensor) else leaves, t, **cond)
        out = out if isinstance(out, Prediction) else Prediction(out)
        logits = dict(out.logits) if out.logits is not None else None
        mean = out.mean
        for k, value in self.known.items():
            fix = self.where[k]
            if k in self.process.categorical:
                if logits is None or k not in logits:
                    raise ValueError(f"the denoiser returned no logits for the categorical leaf {k!r}")
                n = logits[k].shape[-1]
                delta = torch.log(torch.nn.functional.one_hot(value.long().clamp(0, n - 1), n).to(_F64))
                logits[k] = torch.where(fix.unsqueeze(-1), delta, logits[k].to(_F64))
            elif isinstance(mean, Tensor):
                mean = torch.where(fix, value.to(mean.dtype), mean)
            else:
                mean = {**mean, k: torch.where(fix, value.to(mean[k].dtype), mean[k])}
        return Prediction(mean, None, logits)
