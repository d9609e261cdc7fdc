"""Build the process, the denoiser and the loss from plain-data records (configs and checkpoints)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from sciddiff.denoisers import NetworkDenoiser
from sciddiff.losses import DenoisingLoss
from sciddiff.nn import get_backbone
from sciddiff.processes import Process, get_process
from sciddiff.train.adapter import Adapter


def plain(value: Any) -> Any:
    """A config value as plain Python data (OmegaConf containers resolved), for records and checkpoints."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - hydra-core is a dependency
        return value
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def process_from(record: Mapping[str, Any]) -> Any:
    """``{"name": "vp", "kwargs": {...}}`` -> a process."""
    try:
        return get_process(record["name"], **dict(record.get("kwargs") or {}))
    except TypeError as err:
        raise ValueError(f"bad process arguments {dict(record.get('kwargs') or {})}: {err}") from None


def backbone_record(model: Mapping[str, Any], adapter: Adapter) -> dict[str, Any]:
    """The backbone's complete record: the adapter's default for ``backbone: auto``, else the named backbone with
    the adapter's shape arguments; then ``model.kwargs`` and the adapter's conditioning inputs."""
    name = plain(model.get("backbone", "auto"))
    rec = dict(adapter.default_backbone()) if name in ("auto", None) else {"name": name, **adapter.backbone_shape(name)}
    rec.update(plain(model.get("kwargs") or {}))
    for k, v in adapter.conditions().items():
        rec.setdefault(k, v)
    return rec


def model_record(model: Mapping[str, Any], adapter: Adapter) -> dict[str, Any]:
    """The model config as plain data, with ``sigma_data: auto`` resolved to the adapter's data scale."""
    rec = plain(dict(model))
    if rec.get("sigma_data", "auto") == "auto":
        rec["sigma_data"] = float(adapter.sigma_data)
    return rec


def denoiser_from(model: Mapping[str, Any], backbone: Mapping[str, Any], process: Any) -> nn.Module:
    """A denoiser from the model record and a complete backbone record.

    ``model.parametrization: direct`` builds the backbone with ``process=`` and uses it as the denoiser itself:
    a module ``(x_t, t, **cond) -> E[x0 | x_t]`` or a ``Prediction`` with logits, as categorical and mixed states
    need; otherwise the backbone predicts ``model.target`` and is wrapped in a :class:`NetworkDenoiser`.
    """
    kwargs = {k: v for k, v in backbone.items() if k != "name"}
    if model.get("parametrization", "network") == "direct":
        return get_backbone(backbone["name"], process=process, **kwargs)
    if not isinstance(process, Process):
        raise ValueError(
            f"process {process!r} is not Gaussian: its states need a direct denoiser (model.parametrization=direct)"
        )
    net = get_backbone(backbone["name"], **kwargs)
    return NetworkDenoiser(
        net,
        process,
        target=model.get("target", "x0"),
        preconditioning=model.get("preconditioning", "edm"),
        sigma_data=float(model.get("sigma_data", 0.5)),
    )


def loss_from(record: Mapping[str, Any], process: Any) -> DenoisingLoss:
    """``{"weighting", "time_sampler", "reduction", "categorical", "leaf_weights"}`` -> the training loss."""
    return DenoisingLoss(
        process,
        weighting=record.get("weighting", "uniform"),
        time_sampler=record.get("time_sampler", "uniform"),
        reduction=record.get("reduction", "mean"),
        categorical=record.get("categorical", "elbo"),
        leaf_weights=record.get("leaf_weights"),
    )
