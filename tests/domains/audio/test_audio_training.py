"""A tiny class-conditional audio model trained end to end through the stack, then sampled with classifier-free
guidance and used by the WAV-in/WAV-out restoration app; checked against exact records, files and refusals."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from hydra import compose, initialize_config_module
from sciddiff.domains.audio.app import run as run_app
from sciddiff.domains.audio.io import read_wav, write_wav
from sciddiff.domains.audio.synth import CLASSES, SynthConfig, SynthSounds
from train_setup import app_config

from sciddiff.train import TrainedModel, fit, load_trained, read_checkpoint
from sciddiff.train.apps import sample
from sciddiff.train.build import plain

F64 = torch.float64
OPTIONS = {
    "n_train": 16,
    "n_val": 4,
    "n_test": 4,
    "n_fft": 64,
    "hop_length": 32,
    "n_mels": 8,
    "frames": 8,
    "griffin_lim_iters": 10,
}


def _train_config(*overrides: str) -> dict:
    tiny = [
        "domain=audio",
        *(f"domain.options.{k}={v}" for k, v in OPTIONS.items()),
        "process=edm",
        "loss=edm",
        "+model.kwargs.channels=8",
        "+model.kwargs.channel_mult=[1,2]",
        "+model.kwargs.groups=4",
        "data.batch_size=8",
        "trainer.max_steps=6",
        "trainer.val_check_interval=6",
        "trainer.enable_progress_bar=false",
        "checkpoint.every_n_steps=3",
        "validation.n_samples=4",
        "validation.steps=3",
    ]
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose("train", overrides=[*tiny, *overrides]))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainedModel]:
    mp = pytest.MonkeyPatch()
    mp.setenv("SCIDDIFF_CACHE", str(tmp_path_factory.mktemp("cache")))
    result = fit(_train_config(), tmp_path_factory.mktemp("run") / "train")
    mp.undo()
    assert result.steps == 6
    return result.last, load_trained(result.last)


def test_checkpoint_records_the_fitted_statistics_and_the_conditional_backbone(trained: tuple) -> None:
    ckpt, model = trained
    rec = read_checkpoint(ckpt)["sciddiff"]
    rep = model.adapter.rep
    waves, _ = SynthSounds(24, 0, SynthConfig(16000, rep.length / 16000)).batch()
    train_db = rep.analyse(waves[:16]).float().double()
    assert rec["adapter"]["state"]["mean"] == pytest.approx(float(train_db.mean()), abs=1e-5)
    assert rec["adapter"]["state"]["std"] == pytest.approx(float(train_db.std()), rel=1e-6)
    assert rec["adapter"]["state"]["classes"] == list(CLASSES)
    assert rec["backbone"]["num_classes"] == 4 and rec["backbone"]["p_uncond"] == 0.1
    assert rec["backbone"]["name"] == "unet" and rec["backbone"]["dims"] == 2
    assert rec["plugin"]["name"] == "audio" and rec["adapter"]["options"]["frames"] == 8


def test_guided_class_samples_are_written_as_netcdf_and_the_griffin_lim_wavs(trained: tuple, tmp_path: Path) -> None:
    ckpt, model = trained
    cfg = app_config(
        "sample", f"checkpoint={ckpt}", "n_samples=3", "solver.steps=3", "+cond={label: 2}", "guidance_scale=2.0"
    )
    out = sample.run(cfg, tmp_path)
    ds = xr.open_dataset(tmp_path / "samples.nc")
    rep = model.adapter.rep
    np.testing.assert_allclose(ds["frequency"].values, rep.frequencies())
    np.testing.assert_allclose(ds["time"].values, np.arange(8) * 0.002)
    assert ds.attrs["guidance_scale"] == 2.0 and "label" in ds.attrs["cond"]
    raw = torch.as_tensor(ds["spectrogram"].values, dtype=F64)[:, None]
    torch.testing.assert_close(raw, out["samples"])
    waves = model.adapter.to_waveform(raw, seed=0)
    wavs = sorted(tmp_path.glob("sample-*.wav"))
    assert len(wavs) == 3
    for path, w in zip(wavs, waves, strict=True):
        x, sr = read_wav(path, check=False)
        gain = min(1.0, 0.98 / float(w.abs().max()))
        assert sr == 16000 and float(np.abs(x - gain * w.numpy()).max()) <= 1 / 32768 + 1e-12


def _wav(tmp_path: Path, rate: int = 16000, n: int = 600) -> Path:
    t = np.arange(n) / rate
    x = 0.4 * np.sin(2 * math.pi * 700 * t) * np.exp(-3 * t)
    return write_wav(tmp_path / f"in-{rate}.wav", x, rate, subtype="FLOAT")


def test_restoration_app_writes_wav_netcdf_figure_and_keeps_the_input_outside_the_context(
    trained: tuple, tmp_path: Path
) -> None:
    _, model = trained
    path = _wav(tmp_path)
    common = ["checkpoint=none", f"input={path}", "steps=4", "n_samples=2"]
    cfg = _app(*common, "task=inpaint", "simulate=true", "gap.start=0.01", "gap.duration=0.003")
    out = run_app(cfg, tmp_path / "inpaint", model=model)
    given, _ = read_wav(path)
    seen, _ = read_wav(tmp_path / "inpaint" / "input.wav")
    restored, _ = read_wav(tmp_path / "inpaint" / "restored.wav")
    assert np.all(seen[160:208] == 0) and np.abs(seen[:160] - given[:160]).max() <= 1 / 32768
    w0 = out["result"].window_start[0]
    length = model.adapter.rep.length
    assert w0 == 184 - length // 2
    outside = np.r_[0:w0, w0 + length : 600]
    assert np.abs(restored[outside] - given[outside]).max() <= 1 / 32768
    ds = xr.open_dataset(tmp_path / "inpaint" / "spectrograms.nc")
    assert ds["posterior_mean"].dims == ("context", "frequency", "time") and ds["samples"].shape[:2] == (1, 2)
    assert ds["time"].attrs["units"] == "s" and ds.attrs["gap_start_s"] == pytest.approx((160 - w0) / 16000)
    summary = json.loads((tmp_path / "inpaint" / "summary.json").read_text())
    assert set(summary["scores"]) == {"lsd_db", "lsd_gap_db", "snr_db", "si_snr_db"}
    assert (tmp_path / "inpaint" / "spectrograms.png").is_file()
    with pytest.raises(ValueError, match="already exists"):
        run_app(cfg, tmp_path / "inpaint", model=model)
    for task, extra in (("bandwidth", "cutoff_hz=3000"), ("denoise", "snr_db=10")):
        cfg = _app(*common, f"task={task}", "simulate=true", "figure=false", extra)
        out = run_app(cfg, tmp_path / task, model=model)
        contexts = math.ceil(600 / length)
        assert out["summary"]["contexts"] == contexts and out["result"].samples.shape[:2] == (contexts, 2)
        assert out["result"].waveform.shape == (600,) and torch.isfinite(out["result"].waveform).all()


def test_restoration_app_refusals(trained: tuple, tmp_path: Path) -> None:
    _, model = trained
    slow = _wav(tmp_path, rate=8000)
    with pytest.raises(ValueError, match=r"\(the model works at 16000 Hz\) has sample rate 8000 Hz"):
        run_app(
            _app("task=denoise", f"input={slow}", "snr_db=5", "steps=2", "n_samples=1"), tmp_path / "a", model=model
        )
    assert model.adapter.read(slow, resample=True).shape == (1200,)
    fast = _wav(tmp_path)
    with pytest.raises(ValueError, match=r"gap of 0\.030 s is longer than the model's context of 0\.014 s"):
        run_app(
            _app("task=inpaint", f"input={fast}", "gap.start=0.0", "gap.duration=0.03"), tmp_path / "c", model=model
        )
    with pytest.raises(ValueError, match="unknown audio task 'reverse'"):
        run_app(_app("task=reverse", f"input={fast}"), tmp_path / "d", model=model)
    with pytest.raises(ValueError, match="exactly one of snr_db and noise_sigma"):
        run_app(_app("task=denoise", f"input={fast}"), tmp_path / "e", model=model)


def _app(*overrides: str) -> dict:
    from hydra import initialize

    with initialize(version_base="1.3", config_path=None):
        return plain(compose("audio_app", overrides=["checkpoint=none", *overrides]))
