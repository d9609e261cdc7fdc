"""The fields adapter: images and physical fields on a grid, shaped (C, H, W), normalised per channel."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.fields.evaluation import generation_metrics, point_metrics
from sciddiff.domains.fields.grid import fields_to_xarray, resample_dataset, resample_tensor, xarray_to_fields
from sciddiff.domains.fields.problems import field_operator
from sciddiff.domains.fields.simulators import project_darcy
from sciddiff.domains.fields.solve import drop_missing, observation_image, plot_reconstruction
from sciddiff.domains.fields.sources import SOURCES, FieldData, load_source
from torch import Tensor

from sciddiff.state import StateSpec
from sciddiff.train import Adapter, TensorItems, check_finite, plot_image_grid

NORMALIZATIONS = ("standard", "range")
NODE_GRIDS = ("darcy",)  # grids that include both boundary nodes


class FieldsAdapter(Adapter):
    """Gridded data (C, H, W) from ``source`` (one of ``SOURCES``), raw = scale * state + offset per channel.

    ``normalization``: "standard" (train mean and std) or "range" (train min and max mapped to -1 and 1), per
    channel or, with ``per_channel=False``, one scale for all channels (a scalar scale keeps structured SVDs of
    lifted operators exact; single-channel data always has one). ``periodic`` (default: from the source) picks a
    circularly padded U-Net. ``conditional`` (default: true for digits) trains class-conditional models with
    condition dropout ``p_uncond`` (for classifier-free guidance). Other options select the data: ``size``,
    ``n``, ``data_seed`` (simulated data; the split follows the run seed), ``path`` and ``variables`` (netcdf),
    ``phantom_kind``, ``viscosity`` and ``time`` (Navier-Stokes snapshot), ``downscale`` (patches).
    """

    name = "fields"
    version = "1"

    def __init__(
        self,
        source: str = "digits",
        size: int | None = None,
        n: int | None = None,
        data_seed: int = 0,
        path: str | None = None,
        variables: list[str] | None = None,
        periodic: bool | None = None,
        normalization: str = "standard",
        per_channel: bool = True,
        conditional: bool | None = None,
        p_uncond: float = 0.1,
        phantom_kind: str = "ellipses",
        viscosity: float = 1e-3,
        time: float = 0.0,
        downscale: int = 1,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown fields source {source!r}; choose one of {list(SOURCES)}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {list(NORMALIZATIONS)}, got {normalization!r}")
        if conditional and source != "digits":
            raise ValueError(f"class-conditional training needs labels; source {source!r} has none (use digits)")
        super().__init__(
            source=source, size=size, n=n, data_seed=data_seed, path=path, variables=variables, periodic=periodic,
            normalization=normalization, per_channel=per_channel, conditional=conditional, p_uncond=p_uncond,
            phantom_kind=phantom_kind, viscosity=viscosity, time=time, downscale=downscale,
        )  # fmt: skip
        self.conditional = source == "digits" if conditional is None else bool(conditional)
        self.dequantization = 1.0 / 16 if source == "digits" else None  # digits are counts 0..16, scaled by 1/16
        self.sigma_data = 1.0 if normalization == "standard" else 0.5
        self.meta: dict[str, Any] = {}
        self.scale = self.offset = None

    # ------------------------------------------------------------------ data
    def datasets(self, seed: int) -> dict[str, TensorItems]:
        data = load_source(self.options["source"], self.options, seed)
        check_finite(data.fields, f"{self.options['source']} fields")
        self._fit(data)
        out = {}
        for split, idx in data.splits.items():
            items: dict[str, Any] = {"x": self.encode(data.fields[idx])}
            if self.conditional:
                items["cond"] = {"label": data.labels[idx]}
            out[split] = TensorItems(items)
        return out

    def _fit(self, data: FieldData) -> None:
        train = data.fields[data.splits["train"]]
        dims = (0, 2, 3) if self.options["per_channel"] else (0, 1, 2, 3)
        if self.options["normalization"] == "standard":
            offset, scale = train.mean(dims, keepdim=True), train.std(dims, keepdim=True)
        else:
            lo, hi = train.amin(dims, keepdim=True), train.amax(dims, keepdim=True)
            offset, scale = (hi + lo) / 2, (hi - lo) / 2
        c = train.shape[1]
        self.offset = offset.expand(1, c, 1, 1)[0].clone()
        self.scale = scale.clamp_min(1e-12).expand(1, c, 1, 1)[0].clone()
        if not self.options["per_channel"]:
            self.offset, self.scale = self.offset[:1], self.scale[:1]
        periodic = data.periodic if self.options["periodic"] is None else bool(self.options["periodic"])
        self.meta = {
            "variables": data.variables,
            "units": data.units,
            "long_names": data.long_names,
            "y": data.y.tolist(),
            "x": data.x.tolist(),
            "coord_units": data.coord_units,
            "periodic": periodic,
            "shape": list(data.fields.shape[1:]),
            "range": [float(train.amin()), float(train.amax())],
        }

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one field."""
        if not self.meta:
            raise ValueError("the fields adapter is not fitted: call datasets(seed) or load_state_dict first")
        return tuple(self.meta["shape"])  # type: ignore[return-value]

    @property
    def variables(self) -> list[str]:
        return list(self.meta["variables"])

    def state_spec(self) -> StateSpec:
        return StateSpec.tensor(self.shape)

    def conditions(self) -> dict[str, Any]:
        return {"num_classes": 10, "p_uncond": float(self.options["p_uncond"])} if self.conditional else {}

    # ------------------------------------------------------------------ units
    def check_fields(self, raw: Tensor, what: str = "fields") -> Tensor:
        """``raw`` as (B, C, H, W) float64, refusing another channel count or resolution (naming both)."""
        raw = torch.as_tensor(raw)
        c, h, w = self.shape
        if raw.dim() == 3:
            raw = raw[None]
        if raw.dim() != 4:
            raise ValueError(f"{what} must be (B, C, H, W) or (C, H, W) tensors, got shape {tuple(raw.shape)}")
        if raw.shape[1] != c:
            raise ValueError(
                f"{what} have {raw.shape[1]} channels; this model was trained on {c} ({', '.join(self.variables)})"
            )
        if tuple(raw.shape[-2:]) != (h, w):
            raise ValueError(
                f"{what} are {raw.shape[-2]}x{raw.shape[-1]}; this model was trained on {h}x{w} grids, and its "
                "network and normalisation are tied to that grid. Resample explicitly with "
                "adapter.resample(...) or encode(..., resample=True)"
            )
        return raw.to(torch.float64)

    def resample(self, raw: Tensor | xr.Dataset | xr.DataArray) -> Tensor:
        """Fields on another grid interpolated onto the model's grid: xarray input by its coordinates (linear),
        tensors bilinearly (Fourier interpolation for periodic fields); returns (B, C, H, W) raw fields."""
        periodic = bool(self.meta["periodic"])
        if isinstance(raw, xr.Dataset | xr.DataArray):
            ds = xarray_to_fields(raw, self.variables, self.meta["units"])
            ds = resample_dataset(ds, np.asarray(self.meta["y"]), np.asarray(self.meta["x"]), periodic)
            return torch.as_tensor(np.stack([ds[v].values for v in self.variables], 1), dtype=torch.float64)
        raw = torch.as_tensor(raw, dtype=torch.float64)
        raw = raw[None] if raw.dim() == 3 else raw
        nodes = self.options["source"] in NODE_GRIDS
        return resample_tensor(raw, self.shape[1:], periodic, nodes)

    def from_xarray(self, data: xr.Dataset | xr.DataArray) -> Tensor:
        """(B, C, H, W) raw fields from a Dataset holding the model's variables (units checked, and the y / x
        coordinates, where the data carries them, checked against the model's grid)."""
        ds = xarray_to_fields(data, self.variables, self.meta["units"])
        for axis in ("y", "x"):
            grid = np.asarray(self.meta[axis], dtype=np.float64)
            if axis in ds.coords:
                given = np.asarray(ds[axis].values, dtype=np.float64)
                if given.shape != grid.shape or not np.allclose(given, grid, rtol=1e-6, atol=1e-9 * np.ptp(grid)):
                    raise ValueError(
                        f"the data's {axis} coordinates ({len(given)} points in [{given.min():g}, {given.max():g}]) "
                        f"differ from the model's grid ({len(grid)} points in [{grid.min():g}, {grid.max():g}]); "
                        "interpolate explicitly with adapter.resample(...) or encode(..., resample=True)"
                    )
        return torch.as_tensor(np.stack([ds[v].values for v in self.variables], 1), dtype=torch.float64)

    def encode(self, raw: Tensor | xr.Dataset | xr.DataArray, resample: bool = False) -> Tensor:
        if resample:
            raw = self.resample(raw)
        elif isinstance(raw, xr.Dataset | xr.DataArray):
            raw = self.from_xarray(raw)
        raw = self.check_fields(raw)
        return ((raw - self.offset) / self.scale).float()

    def decode(self, state: Tensor) -> Tensor:
        return state.double().cpu() * self.scale + self.offset

    def affine(self) -> tuple[Tensor, Tensor]:
        return self.scale, self.offset

    def log_det_jacobian(self, state: Tensor) -> Tensor:
        c, h, w = self.shape
        per_channel = self.scale.log().reshape(-1).expand(c).sum()
        return -(per_channel * h * w).expand(state.shape[0])

    # ------------------------------------------------------------------ model
    def default_backbone(self) -> dict[str, Any]:
        """A U-Net sized for the grid: 2 levels at 8x8, 3 at 32x32; at 64x64 and above a U-Net on 2x2
        space-to-depth patches (four times cheaper per layer); circular padding for periodic data."""
        c, h, _ = self.shape
        common = {"dims": 2, "periodic": bool(self.meta["periodic"]), "num_res_blocks": 1, "attention_levels": []}
        if h <= 16:
            return {"name": "unet", "in_channels": c, "channels": 32, "channel_mult": [1, 2], **common}
        if h < 64:
            return {"name": "unet", "in_channels": c, "channels": 32, "channel_mult": [1, 2, 2], **common}
        name = "sciddiff.domains.fields.nets:PatchUNet"
        return {"name": name, "in_channels": c, "patch": 2, "channels": 32, "channel_mult": [1, 2, 2], **common}

    def operator(self, cfg: Mapping[str, Any], raw_shape: tuple[int, ...]) -> Any:
        return field_operator(cfg, tuple(raw_shape), self.meta, dict(self.options))

    def observation(self, op: Any, y: Tensor) -> tuple[Any, Tensor]:
        """Sensors that recorded NaN are left out of a sensor mask; NaN for any other operator is refused."""
        return drop_missing(op, y)

    def project(self, raw: Tensor) -> Tensor:
        """Darcy fields (..., 2, H, W) with a thresholded to its two values and u re-solved from it (see
        :func:`sciddiff.domains.fields.simulators.project_darcy`); other sources have no exact constraint."""
        if self.options["source"] != "darcy":
            raise ValueError(
                f"only Darcy fields have an exact constraint to project onto, not {self.options['source']!r}"
            )
        return torch.as_tensor(project_darcy(raw.detach().cpu().numpy())).to(raw)

    # ------------------------------------------------------------------ outputs
    def metrics(self, samples: Tensor, reference: Tensor) -> dict[str, float]:
        return generation_metrics(samples, reference, self.options["source"], self.variables)

    def posterior_metrics(self, means: Tensor, truths: Tensor) -> dict[str, float]:
        """PSNR, relative L2 and SSIM of the posterior means (B, C, H, W); for Darcy, the coefficient error rate."""
        darcy = 0 if self.options["source"] == "darcy" else None
        return point_metrics(torch.as_tensor(truths), torch.as_tensor(means), darcy_channel=darcy)

    def to_xarray(self, raw: Tensor, attrs: Mapping[str, Any]) -> xr.Dataset:
        m = self.meta
        coords = {"y": np.asarray(m["y"]), "x": np.asarray(m["x"])}
        periodic = "periodic" if m["periodic"] else "bounded"
        attrs = {"source": self.options["source"], "domain": periodic, **attrs}
        return fields_to_xarray(raw, m["variables"], m["units"], m["long_names"], coords, m["coord_units"], attrs)

    def plot(self, raw: Tensor, path: Path, reference: Tensor | None = None) -> Path:
        images = raw[:32].detach()
        return plot_image_grid(images.reshape(-1, *images.shape[-2:])[:64], path, cols=8, cmap="viridis")

    def plot_posterior(
        self, samples: Tensor, path: Path, truth: Tensor | None = None, op: Any = None, y: Tensor | None = None
    ) -> Path:
        """Truth, observation (on the field's grid where it has one), posterior mean, std and |error| per channel."""
        shown = None if op is None or y is None else observation_image(op, y)
        if shown is not None and tuple(shown.shape) != tuple(self.shape):
            shown = None  # an observation off the field's grid (e.g. a sinogram) is not drawn
        return plot_reconstruction(samples.mean(0), samples.std(0), path, truth, shown, self.variables)

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "offset": self.offset, **self.meta}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        state = dict(state)
        self.scale, self.offset = state.pop("scale"), state.pop("offset")
        self.meta = state
