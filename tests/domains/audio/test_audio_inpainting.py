"""Guided inpainting of a time gap, with an exact Gaussian prior in dB in place of the network: the solve app (through
the adapter's gap hook and its affine lift) and the WAV restoration path reproduce the closed-form posterior."""

import math
from pathlib import Path

import pytest
import torch
import xarray as xr
from sciddiff.domains.audio import AudioAdapter
from sciddiff.domains.audio.masks import gap_frames
from sciddiff.domains.audio.restore import inpaint
from train_setup import app_config

from sciddiff.analytic import Gaussian
from sciddiff.processes import VP
from sciddiff.train import TrainedModel
from sciddiff.train.apps import solve

F64 = torch.float64
ROWS, FRAMES = 4, 8


def _prior_db() -> tuple[torch.Tensor, torch.Tensor]:
    """A Gaussian over dB spectrograms: a falling mean, covariance AR(1) in time (x) exponential in frequency."""
    mean = (-40.0 - 3.0 * torch.arange(ROWS, dtype=F64))[:, None].expand(ROWS, FRAMES).reshape(-1)
    lag_t = (torch.arange(FRAMES)[:, None] - torch.arange(FRAMES)[None]).abs().to(F64)
    lag_f = (torch.arange(ROWS)[:, None] - torch.arange(ROWS)[None]).abs().to(F64)
    cov = torch.kron(torch.exp(-lag_f / 2.0), 100.0 * 0.9**lag_t)
    return mean, cov


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """A 'trained model' whose denoiser is the exact one of the Gaussian prior, on the adapter's normalised state."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SCIDDIFF_CACHE", str(tmp_path_factory.mktemp("cache")))
    adapter = AudioAdapter(scale="linear", n_fft=8, hop_length=4, frames=FRAMES, n_train=32, n_val=4, n_test=4)
    adapter.datasets(seed=0)
    mp.undo()
    mean, cov = _prior_db()
    prior = Gaussian((mean - adapter.mean) / adapter.std, cov / adapter.std**2, event_shape=(1, ROWS, FRAMES))
    process = VP()
    record = {"plugin": {"name": "audio", "version": "1"}, "process": {"name": "vp"}, "seed": 0}
    return TrainedModel(adapter, process, prior.denoiser(process), record, Path("exact"), True)


def _closed_form(keep: torch.Tensor, y: torch.Tensor, noise_var: float) -> tuple[torch.Tensor, torch.Tensor]:
    mean, cov = _prior_db()
    a = torch.eye(ROWS * FRAMES, dtype=F64)[keep.reshape(-1)]
    post = Gaussian(mean, cov).posterior(a, y, noise_var)
    return post.mean().reshape(ROWS, FRAMES), post.covariance().diagonal().sqrt().reshape(ROWS, FRAMES)


def test_solve_app_gap_posterior_is_the_closed_form_in_db(oracle: TrainedModel, tmp_path: Path) -> None:
    n = 300
    cfg = app_config(
        "solve",
        "checkpoint=none",
        "operator.name=gap",
        "+operator.kwargs.duration=0.0005",
        "guidance=mmps",
        "guidance.steps=30",
        "+guidance.options.cg_iterations=20",
        f"n_samples={n}",
        "noise_std=0.5",
        "observation.n=1",
    )
    solve.run(cfg, tmp_path, model=oracle)
    ds = xr.open_dataset(tmp_path / "posterior.nc")
    rep = oracle.adapter.rep
    start = (rep.length - 8) // 2 / 16000
    missing = gap_frames(rep, start, 0.0005)
    assert ds["spectrogram"].dims == ("obs", "sample", "frequency", "time") and 0 < int(missing.sum()) < FRAMES
    keep = (~missing).expand(ROWS, FRAMES)
    mean, std = _closed_form(keep, torch.as_tensor(ds["observation"].values[0], dtype=F64), 0.25)
    got = torch.as_tensor(ds["spectrogram_mean"].values[0], dtype=F64)
    got_std = torch.as_tensor(ds["spectrogram_std"].values[0], dtype=F64)
    gap = missing.expand(ROWS, FRAMES)
    tol = float(4 * std[gap].max() / math.sqrt(n)) + 0.1
    assert float((mean - _prior_db()[0].reshape(ROWS, FRAMES))[gap].abs().max()) > 3 * tol  # y informs the gap
    assert torch.allclose(got[gap], mean[gap], atol=tol)
    assert torch.allclose(got_std[gap], std[gap], rtol=0.25)  # 30 ODE steps leave it about 15% narrow
    assert torch.allclose(got[~gap], mean[~gap], atol=0.1)


def test_wav_inpainting_keeps_the_input_outside_the_context_and_fills_the_gap(oracle: TrainedModel) -> None:
    rep = oracle.adapter.rep
    g = torch.Generator().manual_seed(2)
    wave = 0.1 * torch.randn(100, generator=g, dtype=F64)
    n = 300
    options = {"cg_iterations": 20}
    result = inpaint(oracle, wave, 0.0025, 0.0005, method="mmps", steps=30, n_samples=n, noise_std=0.5, options=options)
    s0, s1 = 40, 48
    w0 = result.window_start[0]
    assert w0 == (s0 + s1) // 2 - rep.length // 2
    assert torch.equal(result.waveform[:w0], wave[:w0])
    assert torch.equal(result.waveform[w0 + rep.length :], wave[w0 + rep.length :])
    assert float(result.waveform[s0:s1].abs().min()) > 0  # the zeroed gap was filled
    window = wave[w0 : w0 + rep.length].clone()
    window[s0 - w0 : s1 - w0] = 0.0
    torch.testing.assert_close(result.observed[0], rep.analyse(window))
    start, end = result.marks["gap"]
    missing = gap_frames(rep, start, end - start).expand(ROWS, FRAMES)
    mean, std = _closed_form(~missing, result.observed[0, 0, 0][~missing], 0.25)
    got = result.mean[0, 0]
    assert torch.allclose(got[missing], mean[missing], atol=float(4 * std[missing].max() / math.sqrt(n)) + 0.1)
    with pytest.raises(ValueError, match="longer than the model's context"):
        inpaint(oracle, wave, 0.0, 0.002)
