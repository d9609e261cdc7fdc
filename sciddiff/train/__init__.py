"""The training and experiment stack: data adapters, the Lightning module, checkpoints, inference and outputs."""

from sciddiff.train.adapter import Adapter, Batch
from sciddiff.train.checkpoint import FORMAT_VERSION, TrainedModel, load_trained, read_checkpoint
from sciddiff.train.data import AdapterData, EpochSampler, TensorItems, check_finite
from sciddiff.train.ema import EMA
from sciddiff.train.figures import plot_image_grid, plot_loss_curve, plot_posterior, plot_scatter
from sciddiff.train.fit import FitResult, build_data, build_module, fit
from sciddiff.train.inference import prior_state, sample_model
from sciddiff.train.module import DiffusionModule, TrainingDiverged
from sciddiff.train.registry import adapter_class, available_adapters, build_adapter, register_adapter

__all__ = [
    "EMA",
    "FORMAT_VERSION",
    "Adapter",
    "AdapterData",
    "Batch",
    "DiffusionModule",
    "EpochSampler",
    "FitResult",
    "TensorItems",
    "TrainedModel",
    "TrainingDiverged",
    "adapter_class",
    "available_adapters",
    "build_adapter",
    "build_data",
    "build_module",
    "check_finite",
    "fit",
    "load_trained",
    "plot_image_grid",
    "plot_loss_curve",
    "plot_posterior",
    "plot_scatter",
    "prior_state",
    "read_checkpoint",
    "register_adapter",
    "sample_model",
]
