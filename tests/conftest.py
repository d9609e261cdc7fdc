"""Shared fixtures: every continuous process, and small seeded Gaussian mixtures."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from sciddiff.analytic import GaussianMixture
from sciddiff.processes import EDM, VE, VP, Flow, Interpolant, Process, VPCosine

F64 = torch.float64


def cos_sin_interpolant() -> Interpolant:
    """alpha = cos(pi t / 2), sigma = sin(pi t / 2) on [1e-3, 1 - 1e-3] (generic code paths)."""
    return Interpolant(lambda t: torch.cos(0.5 * math.pi * t), lambda t: torch.sin(0.5 * math.pi * t), 1e-3, 1 - 1e-3)


def all_processes() -> list[Process]:
    """Fresh instances of VP, VPCosine, VE, EDM, Flow and the cos/sin Interpolant, with default settings."""
    return [VP(), VPCosine(), VE(), EDM(), Flow(), cos_sin_interpolant()]


PROCESS_IDS: list[str] = ["VP", "VPCosine", "VE", "EDM", "Flow", "Interpolant"]


@pytest.fixture(params=range(len(PROCESS_IDS)), ids=PROCESS_IDS)
def process(request: pytest.FixtureRequest) -> Process:
    """Each continuous process in turn."""
    return all_processes()[request.param]


def random_mixture(d: int, k: int, seed: int) -> GaussianMixture:
    """A seeded K-component mixture in R^d with full, well-conditioned covariances and unequal weights."""
    g = torch.Generator().manual_seed(seed)
    weights = 0.5 + torch.rand(k, generator=g, dtype=F64)
    means = 1.5 * torch.randn(k, d, generator=g, dtype=F64)
    root = 0.5 * torch.randn(k, d, d, generator=g, dtype=F64)
    covs = root @ root.transpose(1, 2) + 0.2 * torch.eye(d, dtype=F64)
    return GaussianMixture(weights, means, covs)


@pytest.fixture
def mixture_factory() -> Callable[[int, int, int], GaussianMixture]:
    """``mixture_factory(d, k, seed)`` -> a seeded random :class:`GaussianMixture`."""
    return random_mixture
