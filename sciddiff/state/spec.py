"""StateSpec: the static structure of a state, and the only state API solvers use.

A state is a tensor shaped (B, *event) or a mapping of named leaves, each shaped (B, *event_leaf). Solvers
work on the flat view (B, D) of the continuous leaves; the spec maps between the two, draws noise inside the
constraint subspace, and computes per-sample masked inner products, norms and dimensions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import torch
from torch import Tensor

from sciddiff.state.constraints import Constraint
from sciddiff.state.noise import NoiseSource

State = Tensor | Mapping[str, Tensor]
_TENSOR_KEY = "x"


@dataclass(frozen=True)
class LeafSpec:
    """One leaf: its kind, event shape (without the batch axis) and linear constraints.

    ``kind="categorical"`` leaves hold integer class indices in ``range(num_classes)`` (noisy states of a masked
    process also hold the mask token ``num_classes``); they are carried by the spec so that mixed
    continuous/categorical states have one description, and are diffused by categorical processes rather than
    by the continuous solvers.
    """

    event_shape: tuple[int, ...]
    kind: Literal["continuous", "categorical"] = "continuous"
    num_classes: int | None = None
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("continuous", "categorical"):
            raise ValueError(f"leaf kind must be 'continuous' or 'categorical', got {self.kind!r}")
        if self.kind == "categorical" and (self.num_classes is None or self.num_classes < 2):
            raise ValueError(f"a categorical leaf needs num_classes >= 2, got {self.num_classes!r}")

    @property
    def numel(self) -> int:
        return math.prod(self.event_shape)


@dataclass(frozen=True)
class StateSpec:
    """Named leaves plus optional per-batch boolean masks (True = real entry, False = padding).

    ``is_tensor`` marks a spec for a plain tensor state (a single leaf called ``"x"``).
    """

    leaves: Mapping[str, LeafSpec]
    is_tensor: bool = False
    masks: Mapping[str, Tensor] = field(default_factory=dict)

    # ----------------------------------------------------------------- construction
    @classmethod
    def of(cls, x: State) -> StateSpec:
        """The unconstrained, unmasked, all-continuous spec of ``x``."""
        if isinstance(x, Tensor):
            if x.dim() < 1:
                raise ValueError(f"a state needs a batch axis; got a tensor of shape {tuple(x.shape)}")
            return cls({_TENSOR_KEY: LeafSpec(tuple(x.shape[1:]))}, is_tensor=True)
        if isinstance(x, Mapping):
            return cls({k: LeafSpec(tuple(v.shape[1:])) for k, v in x.items()})
        raise ValueError(f"a state is a tensor or a mapping of tensors, got {type(x).__name__}")

    @classmethod
    def tensor(cls, event_shape: Sequence[int], constraints: Sequence[Constraint] = ()) -> StateSpec:
        """Spec for a plain tensor state with the given event shape and constraints."""
        return cls({_TENSOR_KEY: LeafSpec(tuple(event_shape), constraints=tuple(constraints))}, is_tensor=True)

    def with_masks(self, masks: Tensor | Mapping[str, Tensor]) -> StateSpec:
        """The same spec bound to boolean masks, each shaped (B or 1, *event-broadcastable): one axis per event
        axis after the batch axis, e.g. (B, N, 1) for a node mask on (B, N, 3) coordinates."""
        if isinstance(masks, Tensor):
            if not self.is_tensor:
                raise ValueError("a single mask tensor needs a tensor spec; give a mapping of masks per leaf")
            masks = {_TENSOR_KEY: masks}
        unknown = set(masks) - set(self.leaves)
        if unknown:
            raise ValueError(f"masks given for unknown leaves {sorted(unknown)}; leaves are {sorted(self.leaves)}")
        for k, m in masks.items():
            ndim = len(self.leaves[k].event_shape) + 1
            if m.dim() != ndim:
                raise ValueError(
                    f"mask for leaf {k!r} has shape {tuple(m.shape)}; it needs {ndim} axes (a batch axis "
                    f"of size B or 1, then one per event axis of {self.leaves[k].event_shape})"
                )
        return replace(self, masks={k: m.bool() for k, m in masks.items()})

    # ----------------------------------------------------------------- leaves
    def as_leaves(self, x: State) -> dict[str, Tensor]:
        """The state as a dict of leaves, after checking it against the spec."""
        leaves = {_TENSOR_KEY: x} if isinstance(x, Tensor) else dict(x)
        if isinstance(x, Tensor) != self.is_tensor or set(leaves) != set(self.leaves):
            raise ValueError(f"state with leaves {sorted(leaves)} does not match spec leaves {sorted(self.leaves)}")
        batch = None
        for k, v in leaves.items():
            spec = self.leaves[k]
            if tuple(v.shape[1:]) != spec.event_shape:
                raise ValueError(
                    f"leaf {k!r} has shape {tuple(v.shape)}; spec expects (B, {', '.join(map(str, spec.event_shape))})"
                )
            if batch is not None and v.shape[0] != batch:
                raise ValueError(f"leaves disagree on the batch size: {batch} and {v.shape[0]} (leaf {k!r})")
            batch = v.shape[0]
        return leaves

    def from_leaves(self, leaves: Mapping[str, Tensor]) -> State:
        return leaves[_TENSOR_KEY] if self.is_tensor else dict(leaves)

    def batch_size(self, x: State) -> int:
        return next(iter(self.as_leaves(x).values())).shape[0]

    @property
    def continuous(self) -> list[str]:
        return [k for k, s in self.leaves.items() if s.kind == "continuous"]

    @property
    def categorical(self) -> list[str]:
        return [k for k, s in self.leaves.items() if s.kind == "categorical"]

    def require_continuous(self, who: str) -> None:
        """Refuse categorical leaves in code that only handles continuous ones."""
        bad = [k for k, s in self.leaves.items() if s.kind != "continuous"]
        if bad:
            raise ValueError(f"{who} supports only continuous leaves; leaves {bad} are categorical")

    # ----------------------------------------------------------------- flat view
    @property
    def flat_dim(self) -> int:
        """D: total number of elements of the continuous leaves per sample."""
        return sum(self.leaves[k].numel for k in self.continuous)

    def flatten(self, x: State) -> Tensor:
        """(B, D) view of the continuous leaves (a reshape, not a copy, for a single contiguous leaf)."""
        leaves = self.as_leaves(x)
        parts = [leaves[k].reshape(leaves[k].shape[0], -1) for k in self.continuous]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def unflatten(self, flat: Tensor, like: State | None = None) -> State:
        """Inverse of :meth:`flatten`; categorical leaves are taken from ``like``."""
        out: dict[str, Tensor] = {}
        start = 0
        for k in self.continuous:
            spec = self.leaves[k]
            out[k] = flat[:, start : start + spec.numel].reshape(flat.shape[0], *spec.event_shape)
            start += spec.numel
        if len(out) != len(self.leaves):
            if like is None:
                raise ValueError("unflattening a state with categorical leaves needs `like` for those leaves")
            src = self.as_leaves(like)
            out.update({k: src[k] for k in self.leaves if k not in out})
        return self.from_leaves(out)

    def flat_mask(self, batch: int, dtype: torch.dtype, device: torch.device) -> Tensor | None:
        """(B, D) float mask of the continuous leaves, or None when nothing is masked."""
        if not any(k in self.masks for k in self.continuous):
            return None
        parts = []
        for k in self.continuous:
            shape = (batch, *self.leaves[k].event_shape)
            m = self.masks.get(k)
            m = torch.ones(shape, dtype=dtype, device=device) if m is None else m.expand(shape).to(dtype)
            parts.append(m.reshape(batch, -1))
        return torch.cat(parts, dim=1)

    @property
    def has_structure(self) -> bool:
        """True when projection is more than the identity (masks or constraints present)."""
        return bool(self.masks) or any(s.constraints for s in self.leaves.values())

    # ----------------------------------------------------------------- projections and noise
    def project(self, x: State) -> State:
        """Apply masks and constraint projections to every continuous leaf."""
        leaves = self.as_leaves(x)
        out = dict(leaves)
        for k in self.continuous:
            v, m = leaves[k], self.masks.get(k)
            if m is not None:
                v = v * m.expand_as(v).to(v.dtype)
            for c in self.leaves[k].constraints:
                v = c.project(v, m)
            out[k] = v
        return self.from_leaves(out)

    def project_flat(self, flat: Tensor) -> Tensor:
        """:meth:`project` on the flat view; the identity when there is no structure."""
        if not self.has_structure:
            return flat
        return self.flatten(self.project(self.unflatten(flat, like=self._dummy(flat))))

    def noise_flat(self, noise: NoiseSource, dtype: torch.dtype) -> Tensor:
        """(B, D) standard Gaussian noise inside the masked constraint subspace."""
        return self.project_flat(noise.randn((self.flat_dim,), dtype))

    def noise_like(self, x: State, generator: object = None) -> State:
        """Standard Gaussian noise shaped like ``x``, masked and inside the constraint subspace."""
        leaves = self.as_leaves(x)
        ref = leaves[self.continuous[0]]
        src = NoiseSource.of(generator, ref.shape[0], ref.device)
        return self.unflatten(self.noise_flat(src, ref.dtype), like=x)

    def _dummy(self, flat: Tensor) -> State | None:
        cats = [k for k in self.leaves if k not in self.continuous]
        if not cats:
            return None
        b = flat.shape[0]
        return self.from_leaves(
            {
                k: torch.zeros((b, *self.leaves[k].event_shape), dtype=flat.dtype, device=flat.device)
                for k in self.leaves
            }
        )

    # ----------------------------------------------------------------- per-sample reductions
    def inner(self, a: State, b: State) -> Tensor:
        """Per-sample masked inner product <a, b>, shape (B,)."""
        return self.inner_flat(self.flatten(a), self.flatten(b))

    def inner_flat(self, a: Tensor, b: Tensor) -> Tensor:
        m = self.flat_mask(a.shape[0], a.dtype, a.device)
        prod = a * b if m is None else a * b * m
        return prod.sum(dim=1)

    def norm(self, a: State) -> Tensor:
        """Per-sample masked Euclidean norm, shape (B,)."""
        return self.inner(a, a).sqrt()

    def norm_flat(self, a: Tensor) -> Tensor:
        return self.inner_flat(a, a).sqrt()

    def dim(self, x: State) -> Tensor:
        """Per-sample dimension of the continuous subspace (masked entries and constraints removed), (B,)."""
        leaves = self.as_leaves(x)
        ref = leaves[self.continuous[0]]
        total = torch.zeros(ref.shape[0], dtype=torch.float64, device=ref.device)
        for k in self.continuous:
            v, m = leaves[k].to(torch.float64), self.masks.get(k)
            total = total + (v[0].numel() if m is None else m.expand_as(v).reshape(v.shape[0], -1).sum(1))
            for c in self.leaves[k].constraints:
                total = total - c.removed_dims(v, m)
        return total

    def index(self, x: State, idx: Tensor) -> tuple[State, StateSpec]:
        """Select samples ``idx`` (e.g. resampled particles), returning the state and its re-indexed spec."""
        leaves = self.as_leaves(x)
        picked = {k: v[idx] for k, v in leaves.items()}
        masks = {k: (m[idx] if m.shape[0] != 1 else m) for k, m in self.masks.items()}
        return self.from_leaves(picked), replace(self, masks=masks)
