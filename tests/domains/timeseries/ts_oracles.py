"""AR(1) test series with their exact Gaussian window law, exact (conditional) denoisers of Gaussian priors, and
the task app's config for tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import xarray as xr
from hydra import compose, initialize_config_module
from sciddiff.domains.timeseries import app  # noqa: F401 - registers the task app's config

from sciddiff.train.build import plain

AR_PARAMS = {"a": (5.0, 2.0, 0.8), "b": (-3.0, 0.5, 0.5)}  # variable: (mean, std, lag-1 correlation)
RECORD = {"plugin": {"name": "timeseries", "version": "2"}, "process": {"name": "vp"}, "seed": 0}


def task_config(*overrides: str) -> dict[str, Any]:
    """The task app's config (``timeseries_task``) with ``overrides``, as plain data."""
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose("timeseries_task", overrides=["checkpoint=none", *overrides]))


def ar1_series(n_time: int = 3000, seed: int = 0) -> xr.DataArray:
    """A stationary AR(1) per variable as a DataArray (time, variable) with coordinates and units."""
    rng = np.random.default_rng(seed)
    out = np.empty((n_time, len(AR_PARAMS)))
    for j, (mean, std, phi) in enumerate(AR_PARAMS.values()):
        z = np.empty(n_time)
        z[0] = rng.standard_normal()
        for t in range(1, n_time):
            z[t] = phi * z[t - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
        out[:, j] = mean + std * z
    return xr.DataArray(
        out,
        dims=("time", "variable"),
        coords={"time": ("time", 0.5 * np.arange(n_time), {"units": "s"}), "variable": list(AR_PARAMS)},
        attrs={"units": "m", "long_name": "AR(1) test series"},
        name="level",
    )


def ar1_prior(window: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean (C L,) and covariance of a (C, L) window of :func:`ar1_series`, channel-major, physical units."""
    lags = np.abs(np.arange(window)[:, None] - np.arange(window)[None, :])
    c = len(AR_PARAMS)
    mean, cov = np.empty(c * window), np.zeros((c * window, c * window))
    for j, (mu, std, phi) in enumerate(AR_PARAMS.values()):
        block = slice(j * window, (j + 1) * window)
        mean[block] = mu
        cov[block, block] = std**2 * phi**lags
    return mean, cov


def state_prior(adapter, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact window law in the adapter's state: ((mean - m) / s, cov / (s s^T)) with its fitted m, s."""
    mean, cov = ar1_prior(window)
    m = np.repeat(adapter.norm.channel_mean[:, 0].numpy(), window)
    s = np.repeat(adapter.norm.channel_scale[:, 0].numpy(), window)
    return (mean - m) / s, cov / np.outer(s, s)


def gaussian_posterior(
    mean: np.ndarray, cov: np.ndarray, observed: np.ndarray, y: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of x ~ N(mean, cov) given y = x[observed] + N(0, diag noise^2) (flat indices)."""
    s = cov[np.ix_(observed, observed)] + np.diag(noise**2)
    gain = np.linalg.solve(s, cov[observed]).T
    return mean + gain @ (y - mean[observed]), cov - gain @ cov[observed]


class ExactDenoiser:
    """E[x0 | x_t] for x0 ~ N(m_b, S) with one mean per batch row: m_b + S a (a^2 S + s^2 I)^-1 (x_t - a m_b)."""

    def __init__(self, process, cov: np.ndarray) -> None:
        self.process = process
        self.eigvals, self.eigvecs = torch.linalg.eigh(torch.as_tensor(cov, dtype=torch.float64))

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
        a, s = self.process.alpha_sigma(torch.as_tensor(t, dtype=torch.float64).reshape(-1).expand(x_t.shape[0]))
        flat = x_t.reshape(x_t.shape[0], -1).double()
        resid = (flat - a[:, None] * means) @ self.eigvecs
        gain = a[:, None] * self.eigvals / (a[:, None] ** 2 * self.eigvals + s[:, None] ** 2)
        return (means + (gain * resid) @ self.eigvecs.T).to(x_t.dtype).reshape(x_t.shape)


class ConditionalOracle:
    """The exact conditional denoiser of a Gaussian prior over states given a CSDI context [values, mask, ...]:
    the posterior given the observed entries (noise std per channel in state units), then its denoiser."""

    def __init__(self, process, mean: np.ndarray, cov: np.ndarray, channels: int, noise_state: np.ndarray) -> None:
        self.process, self.mean, self.cov, self.c = process, mean, cov, channels
        self.noise = np.asarray(noise_state, dtype=float)
        self.calls: list[torch.Tensor] = []
        self._cache: dict[bytes, tuple[np.ndarray, ExactDenoiser]] = {}

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        self.calls.append(context)
        c, length, b = self.c, x_t.shape[-1], x_t.shape[0]
        values = context[:, :c].double().reshape(b, -1).numpy()
        masks = context[:, c : 2 * c].reshape(b, -1).numpy() > 0.5
        if not (masks == masks[:1]).all():
            raise ValueError("this oracle expects one observation mask per call")
        observed = np.flatnonzero(masks[0])
        key = observed.tobytes()
        if key not in self._cache:
            noise = np.maximum(np.repeat(self.noise, length)[observed], 1e-4)
            s = self.cov[np.ix_(observed, observed)] + np.diag(noise**2)
            gain = np.linalg.solve(s, self.cov[observed]).T
            post = self.cov - gain @ self.cov[observed]
            self._cache[key] = (gain, ExactDenoiser(self.process, 0.5 * (post + post.T) + 1e-10 * np.eye(len(post))))
        gain, den = self._cache[key]
        means = self.mean + (values[:, observed] - self.mean[observed]) @ gain.T
        return den(x_t, t, torch.as_tensor(means))
