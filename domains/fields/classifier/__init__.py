"""A digit classifier trained in the project, and the Frechet distance on its penultimate features."""

from sciddiff.domains.fields.classifier.frechet import frechet_distance, gaussian_frechet_distance
from sciddiff.domains.fields.classifier.model import DigitCNN
from sciddiff.domains.fields.classifier.train import (
    ClassifierReport,
    accuracy,
    load_digit_classifier,
    shift_batch,
    train_digit_classifier,
)

__all__ = [
    "ClassifierReport",
    "DigitCNN",
    "accuracy",
    "frechet_distance",
    "gaussian_frechet_distance",
    "load_digit_classifier",
    "shift_batch",
    "train_digit_classifier",
]
