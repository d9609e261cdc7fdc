"""The time-series adapter: windows of an xarray series as (channels, time) states, NaN as missing data.

State of a window: x = (raw - offset) / scale per variable, a tensor (C, L) with C = variables x spatial points,
so 1-D backbones over time apply. Missing entries (NaN) are 0 in x and False in the item's loss mask. A
conditional model (``conditional=True``) gets ``cond["context"]`` = [observed values, observation mask] with
random masks at training time (CSDI, Tashiro et al. 2021, arXiv:2107.03502); an unconditional one is steered at
sampling time by masking operators (:meth:`TimeSeriesAdapter.operator`; TSDiff, Kollovieh et al. 2023,
arXiv:2307.11494; SDA, Rozet & Louppe 2023, arXiv:2306.10574).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.timeseries.calendar import calendar_features
from sciddiff.domains.timeseries.datasets.sources import SOURCES, Source, load_source
from sciddiff.domains.timeseries.figures import plot_fan_chart
from sciddiff.domains.timeseries.items import WindowItems, Windows
from sciddiff.domains.timeseries.layout import SeriesLayout, check_compatible, from_xarray
from sciddiff.domains.timeseries.masks import MaskSampler
from sciddiff.domains.timeseries.normalise import Normalizer
from sciddiff.domains.timeseries.operators import task_operator
from sciddiff.domains.timeseries.sample_metrics import sample_metrics
from sciddiff.domains.timeseries.spectral import ModeSynthesis
from sciddiff.domains.timeseries.windowing import split_ranges, split_windows
from torch import Tensor

from sciddiff.operators import LinearOperator, Mask, compose, scaled
from sciddiff.state import StateSpec
from sciddiff.train import Adapter

NET = "sciddiff.domains.timeseries.nets:SeriesNet"
GRID_NET = "sciddiff.domains.timeseries.nets:GridUNet"


class TimeSeriesAdapter(Adapter):
    """Windows of a series from ``source`` (a simulator: lorenz63, stochastic_lorenz63, lorenz96, ks; real data:
    co2, sunspots, basic_motions, japanese_vowels; or a netCDF file path) or ``data`` (a DataArray/Dataset given
    in Python). Splits are contiguous in time (``split``), windows have ``window`` steps every ``stride`` steps.

    Options: ``variables`` (data variables to use), ``time_dim``/``series_dim``/``variable_dim`` (dimension roles,
    detected when None), ``center`` (global | window: see :mod:`normalise`), ``center_jitter`` (std of a random
    level shift of unconditional training windows under window centring, in units of the scale),
    ``conditional`` and ``masks`` (the :class:`MaskSampler` options), ``context_noise`` (observation noise std of
    the context values in physical units, one number or one per variable), ``replicas`` (training items per
    window), ``calendar`` (datetime features as per-time conditions) and ``static`` (coordinates along the series
    dimension used as conditions: strings as a class label, numbers as a vector). ``spectral`` whitens one field
    on a periodic 1-D grid in Fourier space (:mod:`.spectral`; the state then holds modes, not grid points).
    """

    name = "timeseries"
    version = "2"  # 2: spectral states in real_fourier mode order (checkpoints of version 1 decode differently)

    def __init__(
        self,
        source: str = "lorenz63",
        simulator: Mapping[str, Any] | None = None,
        variables: Sequence[str] | None = None,
        time_dim: str = "time",
        series_dim: str | None = None,
        variable_dim: str | None = None,
        window: int = 32,
        stride: int = 1,
        split: Mapping[str, Any] | None = None,
        center: str = "global",
        center_jitter: float = 0.25,
        conditional: bool = False,
        masks: Mapping[str, Any] | None = None,
        context_noise: float | Sequence[float] = 0.0,
        replicas: int = 1,
        calendar: Sequence[str] = (),
        static: Sequence[str] = (),
        data: xr.DataArray | xr.Dataset | None = None,
        spectral: bool = False,
    ) -> None:
        if data is not None:
            source = "python"
        super().__init__(
            source=source,
            simulator=dict(simulator or {}),
            variables=None if variables is None else list(variables),
            time_dim=time_dim,
            series_dim=series_dim,
            variable_dim=variable_dim,
            window=int(window),
            stride=int(stride),
            split=dict(split or {}),
            center=center,
            center_jitter=float(center_jitter),
            conditional=bool(conditional),
            masks=dict(masks or {}),
            context_noise=context_noise if isinstance(context_noise, int | float) else list(context_noise),
            replicas=int(replicas),
            calendar=list(calendar),
            static=list(static),
            spectral=bool(spectral),
        )
        if window < 2:
            raise ValueError(f"window must be at least 2 steps, got {window}")
        self.data = data
        self.sampler = MaskSampler.from_options(masks) if conditional else None
        self.layout: SeriesLayout | None = None
        self.norm: Normalizer | None = None
        self.static_maps: dict[str, Any] = {}
        self.splits: dict[str, Windows] = {}
        self.source_info: Source | None = SOURCES.get(source)

    # ------------------------------------------------------------------ data
    def load(self) -> xr.DataArray | xr.Dataset:
        """The raw series (in Python, from a file, a simulator or a package)."""
        if self.data is not None:
            return self.data
        if self.options["source"] == "python":
            raise ValueError("this adapter was built from in-Python data (data=...); pass the same data again")
        data, self.source_info = load_source(self.options["source"], self.options["simulator"])
        return data

    def read(self, data: xr.DataArray | xr.Dataset, what: str = "the data") -> tuple[np.ndarray, np.ndarray]:
        """(values (S, T, C), time (T,)) of a series with this adapter's dimension roles; once the adapter is
        fitted, the series must have the model's variables and coordinates (a single series may leave out the
        series dimension)."""
        o, info = self.options, self.source_info
        series_dim = o["series_dim"] or (info.series_dim if info else None)
        if self.layout is not None and series_dim is not None and series_dim not in data.dims:
            data = data.expand_dims(series_dim)  # one series, given without the model's series dimension
        values, time, layout = from_xarray(
            data,
            o["time_dim"],
            series_dim,
            o["variable_dim"] or (info.variable_dim if info else None),
            o["variables"],
        )
        if self.layout is None:
            self.layout = layout
        else:
            check_compatible(self.layout, layout, what)
        return values, time

    def datasets(self, seed: int) -> dict[str, WindowItems]:
        data = self.load()
        values, time = self.read(data)
        o, layout = self.options, self.layout
        ranges = split_ranges(time, values.shape[0], o["split"])
        self.splits = split_windows(values, time, ranges, o["window"], o["stride"])
        if self.norm is None:
            by, lo, hi = ranges["train"]
            train = values[:, lo:hi] if by == "time" else values[lo:hi]
            if o["spectral"]:
                self._check_spectral()
            self.norm = Normalizer.fit(
                train, layout.channel_variable(), layout.variables, o["center"], o["window"], o["spectral"]
            )
        if not self.static_maps:
            self.static_maps = self._fit_static(data, ranges["train"])
        has_missing = bool(np.isnan(values).any())
        out = {}
        for name, wins in self.splits.items():
            out[name] = WindowItems(
                wins,
                self.norm,
                seed if name == "train" else seed + 1 + list(self.splits).index(name),
                has_missing=has_missing,
                sampler=self.sampler,
                context_noise=self.context_noise(),
                covariates=self.covariates(np.stack([wins.times(j) for j in range(len(wins))])),
                static=self._static_tensors(data),
                jitter=o["center_jitter"],
                replicas=o["replicas"] if name == "train" else 1,
            )
        return out

    def _check_spectral(self) -> None:
        """Spectral states need one variable on one spatial axis, whole-step masks and noise-free contexts."""
        layout, o = self.layout, self.options
        if len(layout.variables) != 1 or len(layout.spatial_dims) != 1:
            raise ValueError(
                f"spectral=true needs one variable on one spatial dimension; this series has variables "
                f"{layout.variables} and spatial dimensions {layout.spatial_dims}"
            )
        strategies = {k for k, w in self.sampler.strategies.items() if w > 0} if self.sampler else set()
        if strategies - {"forecast"} or any(float(v) > 0 for v in np.ravel(o["context_noise"])):
            raise ValueError(
                "spectral=true mixes the grid points of a time step, so only whole-step (forecast) masks and "
                f"noise-free contexts are supported; got strategies {sorted(strategies)} and context_noise "
                f"{o['context_noise']}"
            )

    def context_noise(self) -> Tensor:
        """The context noise std per channel (C,), physical units."""
        noise = torch.as_tensor(self.options["context_noise"], dtype=torch.float64).reshape(-1)
        v = len(self.layout.variables)
        if noise.numel() not in (1, v) or bool((noise < 0).any()):
            raise ValueError(f"context_noise must be one std >= 0 or one per variable ({v}), got {noise.tolist()}")
        return noise.expand(v)[self.layout.channel_variable()]

    def covariates(self, times: np.ndarray) -> Tensor | None:
        """Calendar features (N, F, L) of window times (N, L), or None without calendar features."""
        if not self.options["calendar"]:
            return None
        return torch.as_tensor(calendar_features(times, self.options["calendar"]))

    def _fit_static(self, data: xr.DataArray | xr.Dataset, train: tuple[str, int, int]) -> dict[str, Any]:
        maps: dict[str, Any] = {}
        dim = self.layout.series_dim
        for name in self.options["static"]:
            if dim is None or name not in data.coords or data[name].dims != (dim,):
                raise ValueError(f"static covariate {name!r} must be a coordinate along the series dimension {dim!r}")
            values = data[name].values
            if values.dtype.kind in "OUS":
                maps[name] = {"kind": "label", "classes": sorted({str(v) for v in values})}
            else:
                fit = values[train[1] : train[2]] if train[0] == "series" else values
                maps[name] = {"kind": "vector", "mean": float(np.mean(fit)), "std": float(np.std(fit) or 1.0)}
        if sum(m["kind"] == "label" for m in maps.values()) > 1:
            raise ValueError(f"at most one categorical static covariate is supported, got {self.options['static']}")
        return maps

    def _static_tensors(self, data: xr.DataArray | xr.Dataset) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        vectors = []
        for name, spec in self.static_maps.items():
            values = data[name].values
            if spec["kind"] == "label":
                index = {c: i for i, c in enumerate(spec["classes"])}
                unknown = sorted({str(v) for v in values} - set(index))
                if unknown:
                    raise ValueError(f"static covariate {name!r} has classes {unknown} the model never saw")
                out["label"] = torch.tensor([index[str(v)] for v in values], dtype=torch.long)
            else:
                bad = ~np.isfinite(np.asarray(values, dtype=np.float64))
                if bad.any():
                    raise ValueError(
                        f"static covariate {name!r} has {int(bad.sum())} non-finite values (first at series "
                        f"{int(np.argmax(bad))}); a static covariate cannot be missing"
                    )
                vectors.append(torch.as_tensor((values - spec["mean"]) / spec["std"], dtype=torch.float32))
        if vectors:
            out["vector"] = torch.stack(vectors, dim=1)
        return out

    # ------------------------------------------------------------------ structure
    @property
    def channels(self) -> int:
        self._require_fitted()
        return self.layout.channels

    def state_spec(self) -> StateSpec:
        return StateSpec.tensor((self.channels, self.options["window"]))

    def conditions(self) -> dict[str, int]:
        self._require_fitted()
        out: dict[str, int] = {}
        features = 2 * len(self.options["calendar"])
        context = (2 * self.channels if self.options["conditional"] else 0) + features
        if context:
            out["context_channels"] = context
        for spec in self.static_maps.values():
            if spec["kind"] == "label":
                out["num_classes"] = len(spec["classes"])
        vectors = sum(spec["kind"] == "vector" for spec in self.static_maps.values())
        if vectors:
            out["vector_dim"] = vectors
        return out

    def default_backbone(self) -> dict[str, Any]:
        """SeriesNet: circular feature mixing for one variable on a periodic grid (Lorenz-96, KS), attention
        across features otherwise, none for a single channel."""
        periodic = bool(self.source_info and self.source_info.periodic) and len(self.layout.variables) == 1
        mixing = "circular" if periodic else "attention" if self.channels > 1 else "none"
        return {"name": NET, "in_channels": self.channels, "feature_mixing": mixing, **self._time_features()}

    def backbone_shape(self, backbone: str) -> dict[str, Any]:
        if backbone == NET:
            return {"in_channels": self.channels, **self._time_features()}
        if backbone == GRID_NET:
            if not self.layout.spatial_dims:
                raise ValueError(f"backbone {GRID_NET!r} needs a series with spatial dimensions; this one has none")
            variables = len(self.layout.variables)
            return {"in_channels": self.channels, "variables": variables, **self._time_features()}
        return super().backbone_shape(backbone)

    def _time_features(self) -> dict[str, int]:
        features = 2 * len(self.options["calendar"])
        return {"time_features": features} if features else {}

    # ------------------------------------------------------------------ units
    def encode(self, raw: Tensor, offset: Tensor | None = None) -> Tensor:
        """(B, C, L) physical values -> states; ``offset`` (B, C, 1) replaces the training mean (window centring)."""
        self._require_fitted()
        return self.norm.encode(raw, offset).float()

    def decode(self, state: Tensor, offset: Tensor | None = None) -> Tensor:
        """States -> physical values (float64, differentiable); ``offset`` as in :meth:`encode`."""
        self._require_fitted()
        return self.norm.decode(state, offset)

    def affine(self) -> tuple[Tensor, Tensor] | None:
        """(scale, offset) of the per-entry decode, or None for spectral states (decode mixes entries)."""
        self._require_fitted()
        return None if self.norm.modes is not None else (self.norm.channel_scale, self.norm.channel_mean)

    def lift(self, op: Mask) -> LinearOperator:
        """A mask on centred physical windows as an operator on the state: Mask o decode (without the offset)."""
        self._require_fitted()
        if self.norm.modes is None:
            return scaled(op, self.norm.channel_scale)
        return compose(op, ModeSynthesis(self.norm.modes, self.norm.channel_scale[:, 0], self.options["window"]))

    def log_det_jacobian(self, state: Tensor) -> Tensor:
        log_scale = self.norm.channel_scale.log().sum()
        if self.norm.modes is not None:  # decode = diag(scale) Q^T diag(s), Q orthonormal
            log_scale = log_scale + self.norm.modes.std.log().sum()
        return -(log_scale * self.options["window"]).expand(state.shape[0])

    def operator(self, cfg: Mapping[str, Any], raw_shape: tuple[int, ...]) -> Any:
        """forecast (kwargs.context), impute (kwargs.missing, kwargs.seed), block (kwargs.start, length,
        channels) and sparse (kwargs.every, phase, channels) masks on raw windows; None for other names."""
        if cfg["name"] not in ("forecast", "impute", "block", "sparse"):
            return None
        if self.norm.center == "window":
            raise ValueError(
                "center='window' normalises each window by its own observed level, which sciddiff-solve cannot "
                "pass; use the time-series task app (python -m sciddiff.domains.timeseries.app)"
            )
        return task_operator(cfg["name"], dict(cfg.get("kwargs") or {}), raw_shape)

    # ------------------------------------------------------------------ outputs
    def metrics(self, samples: Tensor, reference: Tensor) -> dict[str, float]:
        return sample_metrics(samples, reference, self.norm.channel_scale[:, 0])

    def to_xarray(self, raw: Tensor, attrs: Mapping[str, Any], time: np.ndarray | None = None) -> xr.Dataset:
        """Samples (N, C, L) as the original variables with dims (sample, time, ...); ``time`` (L,) real times,
        else offsets from the window start."""
        self._require_fitted()
        return self.layout.dataset(raw.detach().cpu().double().numpy(), ["sample"], time, attrs)

    def plot(self, raw: Tensor, path: Path, reference: Tensor | None = None) -> Path:
        self._require_fitted()
        labels = [self.layout.channel_label(c) for c in range(self.channels)]
        return plot_fan_chart(raw, path, labels, truth=None if reference is None else reference[0])

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        self._require_fitted()
        return {"layout": self.layout.to_dict(), "norm": self.norm.state_dict(), "static": self.static_maps}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.layout = SeriesLayout.from_dict(state["layout"])
        self.norm = Normalizer.from_state(state["norm"])
        self.static_maps = dict(state["static"])

    def _require_fitted(self) -> None:
        if self.layout is None or self.norm is None:
            raise ValueError("the time-series adapter is not fitted yet: call datasets(seed) or load_state_dict first")
