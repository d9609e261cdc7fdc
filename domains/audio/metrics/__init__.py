"""Audio metrics: log-spectral distance, spectral convergence, SNR / SI-SNR, log-mel Fréchet distance, and a
classifier trained in the project for the accuracy of class-conditional samples."""

from sciddiff.domains.audio.metrics.classifier import (
    ClassifierConfig,
    ClassifierReport,
    SoundClassifier,
    classifier_accuracy,
    train_sound_classifier,
)
from sciddiff.domains.audio.metrics.frechet import frame_statistics, frechet_log_mel_distance, gaussian_frechet_distance
from sciddiff.domains.audio.metrics.snr import si_snr, snr
from sciddiff.domains.audio.metrics.spectral import log_spectral_distance, spectral_convergence, waveform_lsd

__all__ = [
    "ClassifierConfig",
    "ClassifierReport",
    "SoundClassifier",
    "classifier_accuracy",
    "frame_statistics",
    "frechet_log_mel_distance",
    "gaussian_frechet_distance",
    "log_spectral_distance",
    "si_snr",
    "snr",
    "spectral_convergence",
    "train_sound_classifier",
    "waveform_lsd",
]
