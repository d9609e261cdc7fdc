"""Backbones by name, for configs and checkpoints: the built-ins, or any ``nn.Module`` class given by its import
path ``package.module:Class`` (how domain plug-ins supply their own networks)."""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

from sciddiff.nn.mlp import MLP
from sciddiff.nn.transformer import Transformer
from sciddiff.nn.unet import UNet

BACKBONES: dict[str, type[nn.Module]] = {"mlp": MLP, "unet": UNet, "transformer": Transformer}


def backbone_class(name: str) -> type[nn.Module]:
    """The class of a built-in backbone name or of an import path ``package.module:Class``."""
    if name in BACKBONES:
        return BACKBONES[name]
    if ":" not in name:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(BACKBONES)} or give 'package.module:Class'")
    module, _, attr = name.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import backbone {name!r}: {err}") from None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"backbone {name!r} is {cls!r}, not an nn.Module subclass")
    return cls


def get_backbone(name: str, **kwargs: Any) -> nn.Module:
    """Build a backbone by name, e.g. ``get_backbone("unet", dims=2, in_channels=1, channels=32)``."""
    cls = backbone_class(name)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"bad arguments {sorted(kwargs)} for backbone {name!r}: {err}") from None
