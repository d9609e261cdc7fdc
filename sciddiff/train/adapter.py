"""The data-adapter protocol: what a domain plug-in provides to the domain-agnostic training stack.

An adapter maps between raw data in physical units and the model's state. Items of its datasets are dicts:
``{"x": state}`` (a tensor or a mapping of leaves, already encoded), plus optionally ``"mask"`` (boolean padding
masks, one per leaf, shaped to broadcast against it) and ``"cond"`` (a mapping of conditioning tensors that goes to
the network as keyword arguments). Everything an adapter needs to decode again (normalisation statistics) is in
:meth:`Adapter.state_dict`, which the checkpoint stores as plain data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
import xarray as xr
from torch import Tensor
from torch.utils.data import Dataset, default_collate

from sciddiff.state import State, StateSpec

Batch = Mapping[str, Any]


class Adapter(ABC):
    """Base class of every data adapter (see the module docstring for the batch format).

    Subclasses set ``name`` (the registry name used by ``domain=<name>``) and ``version``, keep their constructor
    arguments plain data (they are stored in checkpoints and configs), and implement :meth:`datasets`,
    :meth:`state_spec`, :meth:`encode` and :meth:`decode`. Everything else has a working default.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    sigma_data: ClassVar[float] = 1.0
    """Typical standard deviation of the encoded state (EDM preconditioning's sigma_data)."""
    dequantization: ClassVar[float | None] = None
    """Bin width of integer-valued raw data (e.g. 1.0 for counts); None for continuous data."""
    domain_app: ClassVar[str | None] = None
    """The module of the domain's own app, for domains whose states the generic apps cannot score, condition or
    solve (e.g. graphs of varying size); those apps then refuse and point to it."""

    def __init__(self, **options: Any) -> None:
        self.options = dict(options)

    # ------------------------------------------------------------------ data
    @abstractmethod
    def datasets(self, seed: int) -> dict[str, Dataset]:
        """Encoded datasets for the splits ``"train"`` and ``"val"`` (and ``"test"`` when there is one).

        Fits the normalisation on the training split first, so that :meth:`state_dict` is complete afterwards.
        """

    @abstractmethod
    def state_spec(self) -> StateSpec:
        """The per-sample structure of the state: leaves, kinds, event shapes and constraints (masks unbound)."""

    def collate(self, items: list[Any]) -> Batch:
        """Training items -> a batch, for size-grouped batches (``data.size_pool`` > 0); adapters of padded,
        variable-size items override this to drop the padding that no item of the batch uses."""
        return default_collate(items)

    def batch_spec(self, batch: Batch) -> StateSpec:
        """The spec bound to this batch's padding masks (when the batch carries ``"mask"``)."""
        spec = self.state_spec()
        mask = batch.get("mask")
        return spec if mask is None else spec.with_masks(mask)

    def sample_spec(self, seeds: Sequence[int]) -> StateSpec:
        """The spec for new samples, one per seed; adapters of variable-size data draw each sample's size from its
        seed here and bind the masks, so that sample i does not depend on the others."""
        return self.state_spec()

    def conditions(self) -> dict[str, int]:
        """Conditioning inputs the network must accept, e.g. ``{"num_classes": 10}``; passed to the backbone."""
        return {}

    # ------------------------------------------------------------------ units
    @abstractmethod
    def encode(self, raw: Any) -> State:
        """Raw data in physical units -> model state (normalised)."""

    @abstractmethod
    def decode(self, state: State) -> Any:
        """Model state -> raw data in physical units (the space in which operators act)."""

    def affine(self) -> tuple[Tensor, Tensor] | None:
        """(scale, offset) when decoding is raw = scale * state + offset (tensors broadcastable to one raw
        sample), else None. Linear operators in physical units then stay linear on the state."""
        return None

    def log_det_jacobian(self, state: State) -> Tensor:
        """log |det d encode / d raw| per sample, shape (B,): turns state densities into densities of raw data.

        The default assumes an identity encoding.
        """
        return torch.zeros(StateSpec.of(state).batch_size(state), dtype=torch.float64)

    # ------------------------------------------------------------------ model
    def default_backbone(self) -> dict[str, Any]:
        """The backbone used when the config says ``model.backbone=auto``: ``{"name": ..., **kwargs}``."""
        return {"name": "mlp", **self.backbone_shape("mlp")}

    def backbone_shape(self, backbone: str) -> dict[str, Any]:
        """Shape arguments the named backbone needs for this data. The default covers a single tensor leaf:
        ``mlp`` gets ``dim`` (the flat size); ``unet`` and ``transformer`` read the event shape as (C, *spatial)."""
        spec = self.state_spec()
        if backbone == "mlp":
            return {"dim": spec.flat_dim}
        shape = next(iter(spec.leaves.values())).event_shape
        if len(spec.leaves) != 1 or len(shape) < 2:
            raise ValueError(
                f"adapter {self.name!r} does not say how to shape backbone {backbone!r} for leaves "
                f"{ {k: v.event_shape for k, v in spec.leaves.items()} }; override backbone_shape"
            )
        if backbone == "unet":
            return {"dims": len(shape) - 1, "in_channels": shape[0]}
        if backbone == "transformer":
            return {"in_shape": tuple(shape)}
        return {}

    def operator(self, cfg: Mapping[str, Any], raw_shape: tuple[int, ...]) -> Any:
        """A domain-specific forward operator for ``cfg`` (e.g. a box mask for images), or None to use the generic
        builder ``sciddiff.train.problems.build_operator``."""
        return None

    def observation(self, op: Any, y: Tensor) -> tuple[Any, Tensor]:
        """The operator and observation to condition on for one observed y, e.g. without the sensors that recorded
        NaN (the default keeps both; NaN left in y is then refused by posterior sampling)."""
        return op, y

    def project(self, raw: Any) -> Any:
        """Decoded samples mapped onto constraints the data satisfies exactly (e.g. a PDE linking two channels),
        as ``sciddiff-solve project=true`` asks; adapters that know of none refuse."""
        raise ValueError(f"the {self.name} adapter knows no exact constraint to project its samples onto")

    # ------------------------------------------------------------------ outputs
    def metrics(self, samples: Any, reference: Any) -> dict[str, float]:
        """Domain metrics of decoded samples against decoded reference data (e.g. held-out data)."""
        return {}

    def posterior_metrics(self, means: Any, truths: Any) -> dict[str, float]:
        """Domain scores of decoded posterior means against the known truths, one per observation (e.g. PSNR for
        images); ``sciddiff-solve`` adds them to its summary."""
        return {}

    def to_xarray(self, raw: Any, attrs: Mapping[str, Any]) -> xr.Dataset:
        """Decoded samples as an xarray Dataset with a ``sample`` dimension and the domain's coordinates."""
        leaves = {"x": raw} if isinstance(raw, Tensor) else dict(raw)
        data = {}
        for k, v in leaves.items():
            v = v.detach().cpu()
            dims = ("sample", *(f"{k}_dim{i}" for i in range(v.dim() - 1)))
            data[k] = (dims, v.numpy())
        return xr.Dataset(data, attrs=dict(attrs))

    def write(self, raw: Any, directory: Path, attrs: Mapping[str, Any]) -> list[Path]:
        """Write decoded samples in the domain's native format (besides netCDF); returns the files written."""
        return []

    def plot(self, raw: Any, path: Path, reference: Any = None) -> Path | None:
        """Save a figure of decoded samples (and reference data when given); returns its path, or None."""
        return None

    def plot_posterior(self, samples: Any, path: Path, truth: Any = None, op: Any = None, y: Any = None) -> Path | None:
        """Save a figure of one observation's decoded posterior samples (with the truth, and the observation y of
        operator ``op``, where the domain can draw them); returns its path, or None for the generic figure."""
        return None

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Fitted statistics as plain data (tensors, numbers, strings), stored in checkpoints."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if state:
            raise ValueError(f"adapter {self.name!r} keeps no state, but got keys {sorted(state)}")
