"""Inverse problems for trained models: operators built from configs, and their lift from physical units to the
model state.

Operators act on decoded data (physical units), so y is what an instrument would record. With an affine decode
raw = d * x + offset (``Adapter.affine``), y = A(raw) + noise becomes y - A(offset) = (A D)(x) + noise, linear in
the state when A is; otherwise the state-space operator is A(decode(x)), differentiated through the adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from sciddiff.operators import (
    BlackBox,
    Blur,
    Differentiable,
    Downsample,
    Identity,
    LinearOperator,
    Mask,
    Matrix,
    Operator,
    PartialFourier,
    Radon,
    get_operator,
    scaled,
    variable_density_mask,
)
from sciddiff.train.adapter import Adapter

DENSE_SVD_LIMIT = 4096


def build_operator(cfg: Mapping[str, Any], raw_shape: Sequence[int]) -> Operator:
    """An operator from ``{"name": ..., "kwargs": {...}, "random": {...}}`` for data of ``raw_shape``.

    Shape-dependent operators are built for ``raw_shape`` from simple settings: ``mask`` (random.fraction,
    random.seed; or kwargs.observed, a list of flat indices; or kwargs.n_past to forecast along axis 0), ``matrix`` (random.rows, random.seed),
    ``blur`` (kwargs.sigma), ``downsample`` (kwargs.factor), ``partial_fourier`` (kwargs.acceleration,
    center_fraction, seed), ``radon`` (kwargs.views); other names go to ``get_operator`` with kwargs as given.
    """
    name, kwargs = cfg["name"], dict(cfg.get("kwargs") or {})
    rnd = dict(cfg.get("random") or {})
    shape = tuple(int(s) for s in raw_shape)
    if name == "identity":
        return Identity(shape)
    if name == "mask":
        if "n_past" in kwargs:
            mask = Mask.forecast(shape, int(kwargs["n_past"]), int(kwargs.get("axis", 0)))
        elif "observed" in kwargs:
            flat = torch.zeros(int(torch.tensor(shape).prod()), dtype=torch.bool)
            idx = torch.as_tensor(kwargs["observed"], dtype=torch.long).reshape(-1)
            bad = idx[(idx < 0) | (idx >= flat.numel())]
            if bad.numel():
                raise ValueError(
                    f"mask observed index {int(bad[0])} is outside the {flat.numel()} entries of data shaped {shape}"
                )
            flat[idx] = True
            mask = Mask(flat.reshape(shape))
        else:
            mask = Mask.random(shape, float(rnd.get("fraction", 0.5)), int(rnd.get("seed", 0)))
        if mask.out_dim == 0:
            raise ValueError(f"mask {cfg} observes no entry of data shaped {shape}; observe at least one")
        return mask
    if name == "matrix":
        g = torch.Generator().manual_seed(int(rnd.get("seed", 0)))
        rows, d = int(rnd.get("rows", 1)), int(torch.tensor(shape).prod())
        return Matrix(torch.randn(rows, d, generator=g, dtype=torch.float64) / d**0.5, in_shape=shape)
    if name == "blur":
        return Blur.gaussian(shape, float(kwargs.get("sigma", 1.0)), ndim=int(kwargs.get("ndim", 2)))
    if name == "downsample":
        return Downsample(int(kwargs.get("factor", 2)), shape, ndim=kwargs.get("ndim"))
    if name == "partial_fourier":
        opts = {k: kwargs[k] for k in ("acceleration", "center_fraction", "pattern", "seed") if k in kwargs}
        return PartialFourier(variable_density_mask(shape[-2:], **opts), in_shape=shape)
    if name == "radon":
        return Radon(shape[-1], int(kwargs.get("views", 30)), channels=shape[:-2])
    return get_operator(name, **kwargs)


def decoded(adapter: Adapter, op: Operator) -> Operator:
    """x -> op(decode(x)) on the model state: differentiable by autograd through the adapter's decode when
    ``op`` is (VJP-based guidance), forward-only (a :class:`BlackBox`) when ``op`` is."""
    shape = next(iter(adapter.state_spec().leaves.values())).event_shape
    f = lambda x: op.forward(adapter.decode(x).to(x.dtype))  # noqa: E731
    kind = Differentiable if op.differentiable else BlackBox
    return kind(f, shape, op.out_shape, name=f"{op!r} after {adapter.name} decode")


def state_problem(adapter: Adapter, op: Operator, y: Tensor, needs_svd: bool = False) -> tuple[Operator, Tensor]:
    """(operator on the model state, observation on its scale) for y = op(decode(x)) + noise.

    ``needs_svd`` adds an exact SVD from the dense matrix when the lifted operator lost its structured one
    (small problems only; ValueError beyond ``DENSE_SVD_LIMIT`` unknowns).
    """
    affine = adapter.affine()
    if affine is None or not isinstance(op, LinearOperator):
        return decoded(adapter, op), y
    scale, offset = affine
    lifted = scaled(op, scale)
    shift = op.forward(offset.to(y.dtype).expand(1, *op.in_shape))[0]
    if needs_svd and isinstance(lifted, LinearOperator) and not lifted.has_svd:
        if lifted.in_dim > DENSE_SVD_LIMIT:
            raise ValueError(
                f"{op!r} after the per-entry normalisation of {adapter.name!r} has no structured SVD, and "
                f"{lifted.in_dim} unknowns exceed the dense-SVD limit {DENSE_SVD_LIMIT}; use an SVD-free method"
            )
        lifted = lifted.with_dense_svd()
    return lifted, y - shift
