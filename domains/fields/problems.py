"""Forward operators of the fields domain, built from configs for fields shaped (C, H, W) in physical units.

Names (``cfg["name"]``, settings in ``cfg["kwargs"]``): ``box`` (inpainting: hide a centred box, or
``box: [r0, r1, c0, c1]``), ``mask`` with an explicit ``mask`` array, ``sensors`` (``n`` random pixels or given
``locations`` [[row, col], ...] on the ``channels`` named), ``darcy`` (``observe`` "a" or "u" at ``n`` sensors,
optionally with the PDE residual observed as zero: ``pde_weight`` > 0, or u observed through the FD solve of a:
``solver: true``), and ``navier_stokes`` (the simulator run to ``t_final`` from the field as initial vorticity,
then ``observe`` "sensors" (``n``) or "coarse" (``factor``), as a black box). Any other name returns None, so the generic builder applies (random masks, blur, downsample, radon,
partial Fourier, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from sciddiff.domains.fields.pde import darcy_residual_operator
from sciddiff.domains.fields.pde_adjoint import darcy_solution_sensors
from sciddiff.domains.fields.simulators import NavierStokes2D, kolmogorov_forcing
from torch import Tensor

from sciddiff.operators import BlackBox, Downsample, Mask, Operator, stack


def _channels(names: Sequence[Any] | None, variables: Sequence[str]) -> list[int]:
    if names is None:
        return list(range(len(variables)))
    out = []
    for c in names:
        if isinstance(c, int) and 0 <= c < len(variables):
            out.append(c)
        elif c in variables:
            out.append(list(variables).index(c))
        else:
            raise ValueError(f"channel {c!r} is not one of this field's channels {list(variables)}")
    return out


def sensor_mask(shape: tuple[int, int], n: int | None, seed: int, locations: Any = None, mask: Any = None) -> Tensor:
    """(H, W) boolean sensor map: explicit ``mask`` (shape checked), ``locations`` (in range), or ``n`` distinct
    pixels drawn uniformly (seeded)."""
    h, w = shape
    if mask is not None:
        m = torch.as_tensor(mask).bool()
        if tuple(m.shape) != (h, w):
            raise ValueError(f"the sensor mask has shape {tuple(m.shape)}; the field's grid is ({h}, {w})")
        return m
    if locations is not None:
        loc = torch.as_tensor(locations, dtype=torch.long).reshape(-1, 2)
        bad = (loc[:, 0] < 0) | (loc[:, 0] >= h) | (loc[:, 1] < 0) | (loc[:, 1] >= w)
        if bool(bad.any()):
            raise ValueError(f"sensor location {loc[bad][0].tolist()} lies outside the ({h}, {w}) grid")
        m = torch.zeros(h, w, dtype=torch.bool)
        m[loc[:, 0], loc[:, 1]] = True
        return m
    if n is None or not 1 <= int(n) <= h * w:
        raise ValueError(f"the number of sensors must be in [1, {h * w}] for a ({h}, {w}) grid, got {n}")
    pick = torch.randperm(h * w, generator=torch.Generator().manual_seed(seed))[: int(n)]
    m = torch.zeros(h * w, dtype=torch.bool)
    m[pick] = True
    return m.reshape(h, w)


def box_mask(shape: tuple[int, int], box: Sequence[int] | None = None, fraction: float = 0.25) -> Tensor:
    """(H, W) map that is False inside the box [r0, r1) x [c0, c1) (default: centred, ``fraction`` of the area)."""
    h, w = shape
    if box is None:
        if not 0 < fraction < 1:
            raise ValueError(f"the box fraction must be in (0, 1), got {fraction}")
        bh, bw = max(1, round(h * fraction**0.5)), max(1, round(w * fraction**0.5))
        box = ((h - bh) // 2, (h - bh) // 2 + bh, (w - bw) // 2, (w - bw) // 2 + bw)
    r0, r1, c0, c1 = (int(v) for v in box)
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise ValueError(f"box {[r0, r1, c0, c1]} is empty or outside the ({h}, {w}) grid")
    m = torch.ones(h, w, dtype=torch.bool)
    m[r0:r1, c0:c1] = False
    return m


def _on_channels(grid: Tensor, shape: tuple[int, ...], channels: list[int]) -> Mask:
    full = torch.zeros(shape, dtype=torch.bool)
    full[channels] = grid
    return Mask(full)


def field_operator(
    cfg: Mapping[str, Any], raw_shape: tuple[int, ...], meta: Mapping[str, Any], options: Mapping[str, Any]
) -> Operator | None:
    """The operator ``cfg`` names for fields of ``raw_shape`` (C, H, W), or None for the generic builder."""
    name, kw = cfg["name"], dict(cfg.get("kwargs") or {})
    variables = list(meta.get("variables") or [f"c{i}" for i in range(raw_shape[0])])
    grid = tuple(raw_shape[-2:])
    if name == "mask" and "mask" in kw:
        m = torch.as_tensor(kw["mask"]).bool()
        if tuple(m.shape) == grid:
            m = m.expand(raw_shape)
        if tuple(m.shape) != tuple(raw_shape):
            raise ValueError(f"the mask has shape {tuple(m.shape)}; the field is {tuple(raw_shape)} (or give {grid})")
        return Mask(m)
    if name == "box":
        return _on_channels(
            box_mask(grid, kw.get("box"), float(kw.get("fraction", 0.25))), raw_shape, list(range(raw_shape[0]))
        )
    if name == "sensors":
        m = sensor_mask(grid, kw.get("n"), int(kw.get("seed", 0)), kw.get("locations"), kw.get("mask"))
        return _on_channels(m, raw_shape, _channels(kw.get("channels"), variables))
    if name == "darcy":
        return darcy_operator(raw_shape, variables, kw)
    if name == "navier_stokes":
        return navier_stokes_operator(raw_shape, kw, float(options.get("viscosity", 1e-3)))
    return None


def darcy_operator(raw_shape: tuple[int, ...], variables: list[str], kw: Mapping[str, Any]) -> Operator:
    """Sensors of one Darcy channel; with ``pde_weight`` > 0 stacked with the weighted PDE residual (observe it
    as 0: with noise std s the PDE holds to s / pde_weight); with ``solver`` (observe "u") the sensors of the FD
    solution u(a) of the coefficient channel, differentiable by the adjoint method."""
    if variables[:2] != ["a", "u"] or raw_shape[0] != 2:
        raise ValueError(f"the darcy operator needs the stacked (a, u) Darcy fields, got channels {variables}")
    observe = kw.get("observe", "a")
    if observe not in ("a", "u"):
        raise ValueError(f"darcy observe must be 'a' (forward problem) or 'u' (inverse problem), got {observe!r}")
    m = sensor_mask(raw_shape[-2:], kw.get("n", 100), int(kw.get("seed", 0)), kw.get("locations"), kw.get("mask"))
    weight = float(kw.get("pde_weight", 0.0))
    if kw.get("solver", False):
        if observe != "u" or weight != 0:
            raise ValueError(
                f"darcy solver=true observes u at the sensors through the FD solve of a (exact physics): it needs "
                f"observe='u' and no pde_weight, got observe={observe!r}, pde_weight={weight:g}"
            )
        return darcy_solution_sensors(raw_shape[-1], m, float(kw.get("f", 1.0)), float(kw.get("a_min", 0.5)))
    sensors = _on_channels(m, raw_shape, [variables.index(observe)])
    if weight == 0:
        return sensors
    return stack(sensors, darcy_residual_operator(raw_shape[-1], weight, float(kw.get("f", 1.0))))


def navier_stokes_operator(raw_shape: tuple[int, ...], kw: Mapping[str, Any], viscosity: float) -> BlackBox:
    """w0 -> observation of w(t_final) under the Kolmogorov-forced simulator, forward-only."""
    if raw_shape[0] != 1 or raw_shape[1] != raw_shape[2]:
        raise ValueError(f"the navier_stokes operator needs one square vorticity channel, got {raw_shape}")
    size = raw_shape[-1]
    sim = NavierStokes2D(
        size, float(kw.get("viscosity", viscosity)), kolmogorov_forcing(size), float(kw.get("dt", 1e-2))
    )
    t_final = float(kw.get("t_final", 1.0))
    observe = kw.get("observe", "sensors")
    if observe == "sensors":
        grid = sensor_mask((size, size), kw.get("n", 256), int(kw.get("seed", 0)), kw.get("locations"), kw.get("mask"))
        obs: Operator = Mask(grid)
    elif observe == "coarse":
        obs = Downsample(int(kw.get("factor", 4)), (size, size))
    else:
        raise ValueError(f"navier_stokes observe must be 'sensors' or 'coarse', got {observe!r}")

    def forward(w0: Tensor) -> Tensor:
        return obs.forward(sim.simulate(w0[:, 0].to(torch.float64), t_final)).to(w0.dtype)

    return BlackBox(forward, raw_shape, obs.out_shape, name=f"{obs!r} after NS(t={t_final:g}, nu={sim.viscosity:g})")
