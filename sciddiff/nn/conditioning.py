"""Shared condition handling for every backbone: labels, vectors, context tensors and condition dropout.

Classifier-free guidance needs one network that is both conditional and unconditional; training replaces each
sample's conditions by learned nulls with probability ``p_uncond``. Ho & Salimans, "Classifier-Free Diffusion
Guidance" (2022, arXiv:2207.12598); context channels with a given/null indicator follow CSDI (Tashiro et al.,
2021, arXiv:2107.03502).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

CONDITIONS = ("label", "vector", "context")


def noise_levels(c_noise: Tensor, x: Tensor) -> Tensor:
    """c_noise as a (B,) tensor in x's dtype and device; a scalar is broadcast over the batch."""
    c_noise = torch.as_tensor(c_noise, dtype=x.dtype, device=x.device)
    if c_noise.dim() == 0:
        return c_noise.expand(x.shape[0])
    if c_noise.shape != (x.shape[0],):
        raise ValueError(
            f"c_noise has shape {tuple(c_noise.shape)}; expected ({x.shape[0]},) for a batch of {x.shape[0]}"
        )
    return c_noise


class Conditioning(nn.Module):
    """Embeds the optional conditions into an additive embedding (B, emb_dim) and extra input channels.

    - ``label`` (B,) long in [0, num_classes): a learned table with a null class at index num_classes, used when
      the label is absent or an entry is -1.
    - ``vector`` (B, vector_dim): Linear, SiLU, Linear; a learned null embedding when absent.
    - ``context`` (B, context_channels, *x.shape[2:]): returned with one indicator channel appended
      (1 if given, 0 if null); zeros and indicator 0 when absent.

    In training mode each sample's conditions are all replaced by null with probability ``p_uncond``, drawn
    with ``torch.rand`` (global RNG) on x's device; never in eval mode.
    """

    def __init__(
        self,
        emb_dim: int,
        num_classes: int | None = None,
        vector_dim: int | None = None,
        context_channels: int | None = None,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (
            ("num_classes", num_classes),
            ("vector_dim", vector_dim),
            ("context_channels", context_channels),
        ):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive int or None, got {value!r}")
        if not 0.0 <= p_uncond <= 1.0:
            raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
        if p_uncond > 0 and num_classes is None and vector_dim is None and context_channels is None:
            raise ValueError(f"p_uncond={p_uncond} needs a condition (num_classes, vector_dim or context_channels)")
        self.num_classes, self.vector_dim, self.context_channels = num_classes, vector_dim, context_channels
        self.p_uncond = p_uncond
        self.label_embedding = None if num_classes is None else nn.Embedding(num_classes + 1, emb_dim)
        self.vector_mlp = None
        if vector_dim is not None:
            self.vector_mlp = nn.Sequential(nn.Linear(vector_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
            self.null_vector = nn.Parameter(torch.zeros(emb_dim))

    @property
    def extra_channels(self) -> int:
        """Number of channels the context adds to the network input (context plus indicator, or 0)."""
        return 0 if self.context_channels is None else self.context_channels + 1

    def forward(self, x: Tensor, cond: Mapping[str, Tensor | None]) -> tuple[Tensor | None, Tensor | None]:
        """(embedding to add to the noise embedding or None, context channels to concatenate to x or None)."""
        self._check_names(cond)
        batch = x.shape[0]
        keep = torch.ones(batch, dtype=torch.bool, device=x.device)
        if self.training and self.p_uncond > 0:
            keep = torch.rand(batch, device=x.device) >= self.p_uncond
        emb = None
        if self.label_embedding is not None:
            emb = self.label_embedding(self._labels(cond.get("label"), keep))
        if self.vector_mlp is not None:
            vec = self._vector(cond.get("vector"), keep, x)
            emb = vec if emb is None else emb + vec
        return emb, self._context(cond.get("context"), keep, x)

    def _check_names(self, cond: Mapping[str, Tensor | None]) -> None:
        configured = {"label": self.num_classes, "vector": self.vector_dim, "context": self.context_channels}
        for name, value in cond.items():
            if name not in configured:
                raise ValueError(f"unknown condition {name!r}; backbones accept {list(CONDITIONS)}")
            if value is not None and configured[name] is None:
                option = {"label": "num_classes", "vector": "vector_dim", "context": "context_channels"}[name]
                raise ValueError(f"condition {name!r} given, but the backbone was built without {option}")

    def _labels(self, label: Tensor | None, keep: Tensor) -> Tensor:
        null = self.num_classes
        if label is None:
            return torch.full_like(keep, null, dtype=torch.long)
        label = torch.as_tensor(label, device=keep.device)
        if label.shape != keep.shape or label.is_floating_point() or label.is_complex():
            raise ValueError(
                f"label must be an integer tensor of shape ({keep.shape[0]},), got {label.dtype} {tuple(label.shape)}"
            )
        label = label.long()
        bad = (label < -1) | (label >= null)
        if bool(bad.any()):
            raise ValueError(f"labels {label[bad].tolist()} outside [0, {null}) (or -1 for null)")
        return torch.where(keep & (label >= 0), label, null)

    def _vector(self, vector: Tensor | None, keep: Tensor, x: Tensor) -> Tensor:
        null = self.null_vector.expand(x.shape[0], -1)
        if vector is None:
            return null
        if vector.shape != (x.shape[0], self.vector_dim):
            raise ValueError(f"vector has shape {tuple(vector.shape)}; expected ({x.shape[0]}, {self.vector_dim})")
        return torch.where(keep[:, None], self.vector_mlp(vector.to(null.dtype)), null)

    def _context(self, context: Tensor | None, keep: Tensor, x: Tensor) -> Tensor | None:
        if self.context_channels is None:
            return None
        shape = (x.shape[0], self.context_channels, *x.shape[2:])
        if context is None:
            return x.new_zeros((shape[0], shape[1] + 1, *shape[2:]))
        if tuple(context.shape) != shape:
            raise ValueError(
                f"context has shape {tuple(context.shape)}; expected {shape} for x of shape {tuple(x.shape)}"
            )
        given = keep.reshape(-1, *(1,) * (x.dim() - 1))
        context = torch.where(given, context.to(x.dtype), 0.0)
        indicator = given.to(x.dtype).expand(shape[0], 1, *shape[2:])
        return torch.cat([context, indicator], dim=1)
