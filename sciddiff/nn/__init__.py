"""Generic backbones F(x, c_noise, **cond) -> tensor shaped like x: MLP, 1-D/2-D U-Net, transformer (DiT).

Every backbone embeds the noise level c_noise (B,) and takes optional ``label``, ``vector`` and ``context``
conditions with condition dropout (``p_uncond``) for classifier-free guidance; see :mod:`sciddiff.nn.conditioning`.
"""

from sciddiff.nn.attention import SelfAttention
from sciddiff.nn.conditioning import CONDITIONS, Conditioning, noise_levels
from sciddiff.nn.embeddings import (
    EMBEDDINGS,
    FourierEmbedding,
    NoiseEmbedding,
    SinusoidalEmbedding,
    sinusoidal,
    sinusoidal_positions,
)
from sciddiff.nn.mlp import MLP
from sciddiff.nn.registry import BACKBONES, get_backbone
from sciddiff.nn.transformer import Transformer
from sciddiff.nn.unet import UNet

__all__ = [
    "BACKBONES",
    "CONDITIONS",
    "EMBEDDINGS",
    "MLP",
    "Conditioning",
    "FourierEmbedding",
    "NoiseEmbedding",
    "SelfAttention",
    "SinusoidalEmbedding",
    "Transformer",
    "UNet",
    "get_backbone",
    "noise_levels",
    "sinusoidal",
    "sinusoidal_positions",
]
