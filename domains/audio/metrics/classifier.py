"""A small CNN that labels the synthetic sound classes from normalised log-mel spectrograms.

It scores class-conditional samples: accuracy = fraction of samples whose predicted class is the one asked for.
Trained in the project on :class:`~sciddiff.domains.audio.synth.SynthSounds` (train items 0..n_train-1 of the seed's
stream, validation items after them) with Adam (Kingma & Ba, 2014, arXiv:1412.6980) and cached as a state_dict
file that loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from sciddiff.domains.audio.spectrogram import SpectrogramConfig, encode_magnitude, magnitude
from sciddiff.domains.audio.synth import CLASSES, SynthConfig, SynthSounds
from torch import Tensor, nn

FORMAT_VERSION = 1
MEL_CONFIG = SpectrogramConfig(scale="mel", n_mels=64)


@dataclass(frozen=True)
class ClassifierConfig:
    """Training set-up; every field enters the cache key."""

    n_train: int = 600
    n_val: int = 400
    epochs: int = 8
    batch_size: int = 32
    lr: float = 3e-3
    width: int = 16


@dataclass(frozen=True)
class ClassifierReport:
    """Accuracies on the training and validation sounds, and the training time (0 when loaded from the cache)."""

    train_accuracy: float
    val_accuracy: float
    seconds: float
    from_cache: bool


class SoundClassifier(nn.Module):
    """Three stride-2 conv blocks, mean and max pooling over time-frequency, one linear layer -> class logits."""

    def __init__(self, width: int = 16, n_classes: int = len(CLASSES), config: SpectrogramConfig = MEL_CONFIG) -> None:
        super().__init__()
        if config.scale != "mel":
            raise ValueError(f"the classifier reads mel spectrograms; got scale={config.scale!r}")
        self.config = config
        layers: list[nn.Module] = []
        channels = [1, width // 2, width, 2 * width]
        for c_in, c_out in itertools.pairwise(channels):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(4 * width, n_classes)

    def features(self, waveforms: Tensor) -> Tensor:
        """Waveforms (B, T) at the config's sample rate -> normalised log-mel spectrograms (B, n_mels, frames), float32."""
        return encode_magnitude(magnitude(waveforms.to(torch.float32), self.config), self.config, "normalised")

    def forward(self, log_mel: Tensor) -> Tensor:
        """Normalised log-mel (B, n_mels, frames) -> logits (B, n_classes)."""
        h = self.body(log_mel.to(self.head.weight.dtype).unsqueeze(1))
        return self.head(torch.cat([h.mean(dim=(-2, -1)), h.amax(dim=(-2, -1))], dim=1))

    @torch.no_grad()
    def predict(self, log_mel: Tensor) -> Tensor:
        """Predicted class indices (B,)."""
        self.eval()
        return self(log_mel).argmax(dim=1)


def classifier_accuracy(model: SoundClassifier, log_mel: Tensor, labels: Tensor) -> float:
    """Fraction of spectrograms whose predicted class equals ``labels``."""
    if log_mel.shape[0] != labels.shape[0]:
        raise ValueError(f"{log_mel.shape[0]} spectrograms but {labels.shape[0]} labels")
    return float((model.predict(log_mel) == labels).to(torch.float64).mean())


def _cache_path(cache_dir: Path, seed: int, config: ClassifierConfig) -> Path:
    key = json.dumps({"v": FORMAT_VERSION, "seed": seed, **asdict(config), **asdict(MEL_CONFIG)}, sort_keys=True)
    return cache_dir / f"sound_classifier_{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def _dataset(start: int, n: int, seed: int, model: SoundClassifier) -> tuple[Tensor, Tensor]:
    synth = SynthSounds(start + n, seed, SynthConfig(sample_rate=MEL_CONFIG.sample_rate))
    items = [synth[i] for i in range(start, start + n)]
    waves = torch.stack([w for w, _ in items])
    return model.features(waves), torch.tensor([lab for _, lab in items])


def train_sound_classifier(
    seed: int = 0, *, config: ClassifierConfig = ClassifierConfig(), cache_dir: Path | None = None
) -> tuple[SoundClassifier, ClassifierReport]:
    """Train (or load from ``cache_dir``) the classifier on seeded synthetic sounds; report its accuracies."""
    cache = None if cache_dir is None else _cache_path(Path(cache_dir), seed, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SoundClassifier(config.width)
        if cache is not None and cache.is_file():
            saved = torch.load(cache, weights_only=True)
            model.load_state_dict(saved["state_dict"])
            model.eval()
            return model, ClassifierReport(saved["train_accuracy"], saved["val_accuracy"], 0.0, True)
        start = time.perf_counter()
        x_train, y_train = _dataset(0, config.n_train, seed, model)
        x_val, y_val = _dataset(config.n_train, config.n_val, seed, model)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, config.epochs)
        order_gen = torch.Generator().manual_seed(seed)
        for _ in range(config.epochs):
            model.train()
            for batch in torch.randperm(config.n_train, generator=order_gen).split(config.batch_size):
                loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            schedule.step()
        seconds = time.perf_counter() - start
    report = ClassifierReport(
        classifier_accuracy(model, x_train, y_train), classifier_accuracy(model, x_val, y_val), seconds, False
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "state_dict": model.state_dict(),
            "train_accuracy": report.train_accuracy,
            "val_accuracy": report.val_accuracy,
        }
        torch.save(payload, cache)
    return model, report
