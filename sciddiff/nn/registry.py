"""Built-in backbones by name, for configs and checkpoints."""

from __future__ import annotations

from typing import Any

from torch import nn

from sciddiff.nn.mlp import MLP
from sciddiff.nn.transformer import Transformer
from sciddiff.nn.unet import UNet

BACKBONES: dict[str, type[nn.Module]] = {"mlp": MLP, "unet": UNet, "transformer": Transformer}


def get_backbone(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered backbone by name, e.g. ``get_backbone("unet", dims=2, in_channels=1, channels=32)``."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(BACKBONES)}")
    try:
        return BACKBONES[name](**kwargs)
    except TypeError as err:
        raise ValueError(f"bad arguments {sorted(kwargs)} for backbone {name!r}: {err}") from None
