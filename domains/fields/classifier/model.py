"""A small convolutional classifier for the 8x8 digits; its penultimate activations are the Frechet features."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DigitCNN(nn.Module):
    """conv3x3(1->w) - ReLU - conv3x3(w->w) - ReLU - maxpool2 - conv3x3(w->2w) - ReLU - maxpool2 - linear(8w ->
    ``features``) - ReLU - linear(features -> 10), on (B, 1, 8, 8) images in [0, 1]."""

    def __init__(self, width: int = 32, features: int = 64, classes: int = 10) -> None:
        super().__init__()
        if width < 1 or features < 1 or classes < 2:
            raise ValueError(f"need width >= 1, features >= 1, classes >= 2; got {width}, {features}, {classes}")
        self.config = {"width": width, "features": features, "classes": classes}
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * width, features),
            nn.ReLU(),
        )
        self.head = nn.Linear(features, classes)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Kaiming-uniform weights and zero biases, drawn from ``generator`` (no global RNG state)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu", generator=generator)
                nn.init.zeros_(m.bias)

    def _check(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"the digit classifier takes (B, 1, 8, 8) images, got shape {tuple(x.shape)}")
        return 2 * x.to(self.head.weight.dtype) - 1

    def features(self, x: Tensor) -> Tensor:
        """The (B, features) penultimate activations."""
        return self.body(self._check(x))

    def forward(self, x: Tensor) -> Tensor:
        """(B, classes) logits."""
        return self.head(self.features(x))
