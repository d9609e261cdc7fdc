"""``python -m sciddiff.domains.audio.app``: restore a WAV file with a trained spectrogram prior, WAV in, WAV out.

    python -m sciddiff.domains.audio.app task=inpaint checkpoint=<ckpt> input=in.wav gap.start=0.40 gap.duration=0.2
    python -m sciddiff.domains.audio.app task=bandwidth checkpoint=<ckpt> input=narrow.wav cutoff_hz=4000
    python -m sciddiff.domains.audio.app task=denoise checkpoint=<ckpt> input=noisy.wav snr_db=10

``simulate=true`` first degrades the input (zeroes the gap, low-passes, or adds white noise at ``snr_db``) and
scores the result against the clean input; ``reference=clean.wav`` scores a given degraded input. A file at another
sample rate than the checkpoint's is refused unless ``resample=true``. Writes ``input.wav`` (what the model saw),
``restored.wav``, ``spectrograms.nc`` (observation, posterior mean, std and samples per context, with frequency in
Hz and time in s), ``spectrograms.png`` (the gap or band marked; ``figure=false`` skips it) and ``summary.json``;
nothing is overwritten.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import hydra
import torch
import xarray as xr
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from sciddiff.domains.audio.figures import plot_spectrograms
from sciddiff.domains.audio.io import write_new_wav
from sciddiff.domains.audio.masks import band_rows, gap_frames
from sciddiff.domains.audio.metrics import log_spectral_distance, si_snr, snr
from sciddiff.domains.audio.noisy import add_white_noise
from sciddiff.domains.audio.restore import (
    TASKS,
    Restoration,
    butterworth,
    contexts,
    denoise,
    extend_bandwidth,
    inpaint,
)
from torch import Tensor

from sciddiff.train.build import plain
from sciddiff.train.checkpoint import TrainedModel, load_trained
from sciddiff.train.outputs import netcdf_attrs, write_netcdf

DEFAULTS: dict[str, Any] = {
    "task": "???",
    "checkpoint": "???",
    "input": "???",
    "reference": None,
    "simulate": False,
    "resample": False,
    "ema": True,
    "gap": {"start": 0.4, "duration": 0.2},
    "cutoff_hz": 4000.0,
    "snr_db": None,
    "noise_sigma": None,
    "method": None,
    "options": {},
    "steps": 50,
    "n_samples": 8,
    "noise_std": 0.5,
    "seed": 0,
    "figure": True,
    "hydra": {
        "run": {"dir": "outputs/audio/${task}/${now:%Y-%m-%d_%H-%M-%S}"},
        "job": {"chdir": False},
        "output_subdir": None,
    },
}
DEFAULT_METHOD = {"inpaint": "pigdm", "bandwidth": "pigdm", "denoise": "dps"}
ConfigStore.instance().store(name="audio_app", node=DEFAULTS)


def degrade(cfg: dict[str, Any], clean: Tensor, sample_rate: int) -> Tensor:
    """The degraded input ``simulate=true`` makes from a clean waveform."""
    if cfg["task"] == "inpaint":
        out = clean.clone()
        s0 = round(cfg["gap"]["start"] * sample_rate)
        out[s0 : s0 + round(cfg["gap"]["duration"] * sample_rate)] = 0.0
        return out
    if cfg["task"] == "bandwidth":
        return butterworth(clean, float(cfg["cutoff_hz"]), sample_rate, "lowpass")
    if cfg["snr_db"] is None:
        raise ValueError("simulate=true for denoising needs snr_db")
    noisy, _ = add_white_noise(clean, float(cfg["snr_db"]), int(cfg["seed"]))
    return noisy


def restore(cfg: dict[str, Any], model: TrainedModel, wave: Tensor) -> Restoration:
    """Run the configured task on a waveform."""
    kw = {
        "method": cfg["method"] or DEFAULT_METHOD[cfg["task"]],
        "steps": int(cfg["steps"]),
        "n_samples": int(cfg["n_samples"]),
        "seed": int(cfg["seed"]),
        "options": dict(cfg["options"] or {}),
    }
    if cfg["task"] == "inpaint":
        gap = cfg["gap"]
        return inpaint(model, wave, float(gap["start"]), float(gap["duration"]), noise_std=cfg["noise_std"], **kw)
    if cfg["task"] == "bandwidth":
        return extend_bandwidth(model, wave, float(cfg["cutoff_hz"]), noise_std=cfg["noise_std"], **kw)
    return denoise(model, wave, snr_db=cfg["snr_db"], noise_sigma=cfg["noise_sigma"], **kw)


def scores(model: TrainedModel, result: Restoration, clean: Tensor) -> dict[str, float]:
    """LSD (dB) of the posterior mean against the clean spectrogram (inside the gap or band, and overall) and the
    waveform SNR / SI-SNR of the restored audio."""
    rep = model.adapter.rep
    if result.task == "inpaint":
        w0 = result.window_start[0]
        windows = torch.zeros(1, rep.length, dtype=torch.float64)
        windows[0, : min(rep.length, clean.shape[-1] - w0)] = clean[w0 : w0 + rep.length]
    else:
        windows = contexts(clean, rep.length)[0]
    true_db = rep.analyse(windows)
    power = lambda db: 10.0 ** (db.double() / 10.0)  # noqa: E731
    floor = 10.0 ** (rep.spec.db_min / 10.0)
    est, ref = power(result.mean[:, 0]), power(true_db[:, 0])
    out = {"lsd_db": float(log_spectral_distance(ref, est, floor=floor).mean())}
    if result.task == "inpaint":
        start, end = result.marks["gap"]
        gap = gap_frames(rep, start, end - start)
        out["lsd_gap_db"] = float(log_spectral_distance(ref, est, time_mask=gap, floor=floor).mean())
    if result.task == "bandwidth":
        band = band_rows(rep, result.marks["cutoff_hz"])
        out["lsd_band_db"] = float(log_spectral_distance(ref, est, freq_mask=band, floor=floor).mean())
    out["snr_db"] = float(snr(clean, result.waveform))
    out["si_snr_db"] = float(si_snr(clean, result.waveform))
    return out


def spectrogram_dataset(model: TrainedModel, result: Restoration, attrs: dict[str, Any]) -> xr.Dataset:
    """Observation, posterior mean, std and samples per context, with frequency (Hz) and time (s) coordinates."""
    rep = model.adapter.rep
    dims = ("context", "frequency", "time")
    data = {
        "observed": (dims, result.observed[:, 0, 0].numpy(), {"units": "dB"}),
        "posterior_mean": (dims, result.mean[:, 0].numpy(), {"units": "dB"}),
        "posterior_std": (dims, result.samples[:, :, 0].std(1).numpy(), {"units": "dB"}),
        "samples": (("context", "sample", "frequency", "time"), result.samples[:, :, 0].numpy(), {"units": "dB"}),
    }
    coords = {
        "frequency": ("frequency", rep.frequencies(), {"units": "Hz"}),
        "time": ("time", rep.times(), {"units": "s"}),
        "context_start": ("context", [s / rep.sample_rate for s in result.window_start], {"units": "s"}),
    }
    return xr.Dataset(data, coords=coords, attrs=netcdf_attrs({**rep.attrs(), **attrs}))


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``)."""
    cfg = plain(cfg)
    if cfg["task"] not in TASKS:
        raise ValueError(f"unknown audio task {cfg['task']!r}; choose one of {TASKS}")
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg["ema"]))
    adapter, out_dir = model.adapter, Path(out_dir)
    rate = adapter.rep.sample_rate
    given = torch.from_numpy(adapter.read(cfg["input"], resample=bool(cfg["resample"])))
    clean = given if cfg["simulate"] else None
    if cfg["reference"] is not None:
        clean = torch.from_numpy(adapter.read(cfg["reference"], resample=bool(cfg["resample"])))
    wave = degrade(cfg, given, rate) if cfg["simulate"] else given
    result = restore(cfg, model, wave)
    attrs = {"task": cfg["task"], "method": cfg["method"] or DEFAULT_METHOD[cfg["task"]], "input": str(cfg["input"])}
    attrs.update({k: v for k, v in result.marks.items() if k != "gap"})
    if "gap" in result.marks:
        attrs["gap_start_s"], attrs["gap_end_s"] = result.marks["gap"]
    files = [
        write_new_wav(out_dir / "input.wav", wave, rate),
        write_new_wav(out_dir / "restored.wav", result.waveform, rate),
        write_netcdf(spectrogram_dataset(model, result, attrs), out_dir / "spectrograms.nc"),
    ]
    if cfg["figure"]:
        panels = torch.stack([result.observed[0, 0, 0], result.mean[0, 0]])
        figure = plot_spectrograms(
            panels,
            adapter.rep.frequencies(),
            adapter.rep.times(),
            out_dir / "spectrograms.png",
            titles=["input (first context)", "posterior mean"],
            gap=result.marks.get("gap"),
            cutoff_hz=result.marks.get("cutoff_hz"),
        )
        files.append(figure)
    summary: dict[str, Any] = {**attrs, "contexts": len(result.window_start), "cost_per_context": result.cost}
    if clean is not None:
        if clean.shape != wave.shape:
            raise ValueError(f"reference has {clean.shape[-1]} samples; the input has {wave.shape[-1]}")
        summary["scores"] = scores(model, result, clean)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return {"summary": summary, "files": [*files, out_dir / "summary.json"], "result": result}


@hydra.main(config_path=None, config_name="audio_app", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        out = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (ValueError, FileNotFoundError) as err:
        print(f"sciddiff audio app: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out["summary"], indent=2))
    print("wrote " + ", ".join(str(f) for f in out["files"]))


if __name__ == "__main__":
    main()
