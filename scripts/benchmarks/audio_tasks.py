"""The audio benchmark's tasks, each with its classical baselines on the same held-out sounds.

Spectrograms are scored in the model's representation (dB, floored at the adapter's ``db_min``): log-spectral
distance (LSD, dB) on powers 10^(dB / 10) inside the gap's frames, inside the missing band, or overall. Posterior
estimates are the mean in dB of ``k`` posterior samples (the estimate that minimises the expected squared dB error,
which LSD measures); the LSD of a single sample is reported beside it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from sciddiff.domains.audio.baselines import (
    griffin_lim_round_trip,
    interpolate_gap,
    spectral_band_replication,
    spectral_subtraction,
    zero_high_band,
)
from sciddiff.domains.audio.dsp import hann
from sciddiff.domains.audio.masks import band_rows, centred_gap, gap_frames
from sciddiff.domains.audio.metrics import log_spectral_distance, snr, train_sound_classifier
from sciddiff.domains.audio.restore import denoise, posterior_db
from sciddiff.domains.audio.sources import synth_splits
from sciddiff.domains.audio.synth import CLASSES
from torch import Tensor

from sciddiff.guidance import ClassifierFreeGuidance
from sciddiff.train import TrainedModel, sample_model
from sciddiff.train.cache import cache_dir


@dataclass
class TestSounds:
    """Held-out synthetic sounds: waveforms (n, length), dB spectrograms (n, 1, rows, frames), labels (n,)."""

    waves: Tensor
    db: Tensor
    labels: Tensor


def test_sounds(model: TrainedModel, n: int, split: str = "test") -> TestSounds:
    """The first ``n`` items of the model's ``split``, regenerated as waveforms (classes cycle, so balanced)."""
    o, rep = model.adapter.options, model.adapter.rep
    sizes = {"train": o["n_train"], "val": o["n_val"], "test": o["n_test"]}
    part = synth_splits(sizes, int(model.record["seed"]), rep.sample_rate, rep.length)[split]
    waves, labels = part.values[:n], part.labels[:n]
    return TestSounds(waves, rep.analyse(waves), labels)


def lsd(model: TrainedModel, ref_db: Tensor, est_db: Tensor, **masks: Any) -> Tensor:
    """Per-item LSD (dB) between dB spectrograms (n, 1, rows, frames), floored at the representation's floor."""
    floor_db = model.adapter.rep.spec.db_min
    power = lambda db: 10.0 ** (db[:, 0].double().clamp(min=floor_db) / 10.0)  # noqa: E731
    return log_spectral_distance(power(ref_db), power(est_db), floor=10.0 ** (floor_db / 10.0), **masks)


def summary(values: Tensor, labels: Tensor) -> dict[str, Any]:
    """Mean, its standard error and the per-class means."""
    v = values.double()
    per_class = {CLASSES[c]: float(v[labels == c].mean()) for c in range(len(CLASSES)) if bool((labels == c).any())}
    return {"mean": float(v.mean()), "sem": float(v.std() / math.sqrt(len(v))), "per_class": per_class}


def _posterior_means(
    model: TrainedModel, op: Any, sounds: TestSounds, noise_std: float, method: str, steps: int, k: int
) -> tuple[Tensor, Tensor, float]:
    """Posterior-mean and first-sample dB spectrograms for every sound, and seconds per sound."""
    means, firsts = [], []
    start = time.perf_counter()
    for i in range(len(sounds.labels)):
        y = op.forward(sounds.db[i : i + 1])[0]
        samples, _ = posterior_db(model, op, y, noise_std, method=method, steps=steps, n_samples=k, seed=i)
        means.append(samples.mean(0))
        firsts.append(samples[0])
    return torch.stack(means), torch.stack(firsts), (time.perf_counter() - start) / len(sounds.labels)


def inversion_part(model: TrainedModel, sounds: TestSounds) -> dict[str, Any]:
    """What phase retrieval allows: Griffin-Lim of the true STFT magnitude, and of the model's representation."""
    rep = model.adapter.rep
    round_trip = griffin_lim_round_trip(sounds.waves, rep.spec.n_fft, rep.spec.hop_length)
    from_rep = model.adapter.to_waveform(sounds.db)
    peak = lambda w: w * torch.clamp(0.98 / w.abs().amax(-1, keepdim=True), max=1.0)  # noqa: E731
    return {
        "griffin_lim_true_magnitude": summary(lsd(model, sounds.db, rep.analyse(peak(round_trip))), sounds.labels),
        "griffin_lim_representation": summary(lsd(model, sounds.db, rep.analyse(peak(from_rep))), sounds.labels),
        "waves_from_representation": from_rep,
    }


def inpainting_part(
    model: TrainedModel, sounds: TestSounds, duration: float, method: str, steps: int, k: int, noise_std: float
) -> dict[str, Any]:
    rep = model.adapter.rep
    op = model.adapter.operator({"name": "gap", "kwargs": {"duration": duration}}, rep.shape)
    gap = gap_frames(rep, centred_gap(rep, duration), duration)
    interp = interpolate_gap(sounds.db, gap)
    mean, first, seconds = _posterior_means(model, op, sounds, noise_std, method, steps, k)
    return {
        "gap_frames": int(gap.sum()),
        "interpolation": summary(lsd(model, sounds.db, interp, time_mask=gap), sounds.labels),
        "posterior_mean": summary(lsd(model, sounds.db, mean, time_mask=gap), sounds.labels),
        "posterior_sample": summary(lsd(model, sounds.db, first, time_mask=gap), sounds.labels),
        "seconds_per_sound": seconds,
        "method": method,
    }


def bandwidth_part(
    model: TrainedModel, sounds: TestSounds, cutoff_hz: float, method: str, steps: int, k: int, noise_std: float
) -> dict[str, Any]:
    rep = model.adapter.rep
    op = model.adapter.operator({"name": "band", "kwargs": {"cutoff_hz": cutoff_hz}}, rep.shape)
    band = band_rows(rep, cutoff_hz)
    first_missing = int(band.nonzero()[0])
    floor = 10.0 ** (rep.spec.db_min / 20.0)
    mag = 10.0 ** (sounds.db / 20.0)
    to_db = lambda m: 20.0 * torch.log10(m.clamp(min=floor))  # noqa: E731
    zero = to_db(zero_high_band(mag, first_missing))
    sbr = to_db(spectral_band_replication(mag, first_missing, floor=floor))
    mean, first, seconds = _posterior_means(model, op, sounds, noise_std, method, steps, k)
    out: dict[str, Any] = {"missing_rows": int(band.sum()), "method": method, "seconds_per_sound": seconds}
    for name, est in (("zero_high_band", zero), ("spectral_band_replication", sbr), ("posterior_mean", mean)):
        out[name] = summary(lsd(model, sounds.db, est, freq_mask=band), sounds.labels)
        out[name + "_full"] = summary(lsd(model, sounds.db, est), sounds.labels)
    out["posterior_sample"] = summary(lsd(model, sounds.db, first, freq_mask=band), sounds.labels)
    return out


def denoising_part(
    model: TrainedModel, sounds: TestSounds, snr_db: float, steps: int, k: int, scale: float = 1.0
) -> dict[str, Any]:
    """White noise at ``snr_db``; both methods know the noise level (spectral subtraction as its PSD sigma^2 sum w^2)."""
    rep = model.adapter.rep
    g = torch.Generator().manual_seed(11)
    clean, noisy, sigmas = [], [], []
    for w in sounds.waves:
        sigma = math.sqrt(float(w.pow(2).mean()) / 10 ** (snr_db / 10))
        y = w + sigma * torch.randn(w.shape, generator=g, dtype=torch.float64)
        gain = min(1.0, 0.95 / float(y.abs().max()))  # keep the noisy file within full scale; the SNR is unchanged
        clean.append(gain * w)
        noisy.append(gain * y)
        sigmas.append(gain * sigma)
    clean_w, noisy_w = torch.stack(clean), torch.stack(noisy)
    clean_db = rep.analyse(clean_w)
    sum_w2 = float(hann(rep.spec.n_fft).pow(2).sum())
    ss = torch.stack(
        [
            spectral_subtraction(
                y, rep.spec.n_fft, rep.spec.hop_length, noise_psd=torch.full((rep.spec.n_fft // 2 + 1,), s**2 * sum_w2)
            )
            for y, s in zip(noisy_w, sigmas, strict=True)
        ]
    )
    start = time.perf_counter()
    results = [
        denoise(model, y, noise_sigma=s, steps=steps, n_samples=k, seed=i, options={"scale": scale})
        for i, (y, s) in enumerate(zip(noisy_w, sigmas, strict=True))
    ]
    seconds = (time.perf_counter() - start) / len(results)
    post_db = torch.stack([r.mean[0] for r in results])
    post_w = torch.stack([r.waveform for r in results])
    ss_w = ss * torch.clamp(0.98 / ss.abs().amax(-1, keepdim=True), max=1.0)
    out: dict[str, Any] = {"snr_db": snr_db, "seconds_per_sound": seconds, "method": f"dps (scale {scale:g})"}
    for name, est_db, wave in (
        ("noisy_input", rep.analyse(noisy_w), noisy_w),
        ("spectral_subtraction", rep.analyse(ss_w), ss),
        ("posterior_mean", post_db, post_w),
    ):
        out[name] = summary(lsd(model, clean_db, est_db), sounds.labels)
        out[name + "_snr"] = summary(snr(clean_w, wave), sounds.labels)
    return out


def tune_denoising_scale(
    model: TrainedModel, val: TestSounds, snr_db: float, steps: int, scales: list[float]
) -> dict[str, Any]:
    """The DPS scale with the lowest LSD on validation sounds (two posterior samples each), and every score."""
    scores = {w: denoising_part(model, val, snr_db, steps, 2, w)["posterior_mean"]["mean"] for w in scales}
    return {"scale": min(scores, key=scores.get), "val_lsd": scores, "n_val": len(val.labels)}


def generation_part(
    model: TrainedModel,
    sounds: TestSounds,
    inverted: Tensor,
    per_class: int,
    scales: list[float],
    steps: int,
    classifier_seed: int,
) -> dict[str, Any]:
    """Class-conditional samples (Heun, ``steps`` steps) with classifier-free guidance at each scale, through
    Griffin-Lim to waveforms, labelled by the project's sound classifier (trained on its own seeded sounds)."""
    classifier, report = train_sound_classifier(classifier_seed, cache_dir=cache_dir() / "audio")
    features = lambda w: classifier.features(w.float())  # noqa: E731
    real = {
        "classifier_val_accuracy": report.val_accuracy,
        "test_sounds_accuracy": float((classifier.predict(features(sounds.waves)) == sounds.labels).double().mean()),
        "test_sounds_through_representation_accuracy": float(
            (classifier.predict(features(inverted)) == sounds.labels).double().mean()
        ),
    }
    labels = torch.arange(len(CLASSES)).repeat_interleave(per_class)
    rows = []
    for w in scales:
        start = time.perf_counter()
        den = model.denoiser if w == 1.0 else ClassifierFreeGuidance(model.denoiser, w, null_cond={})
        x = sample_model(
            den,
            model.process,
            model.adapter.sample_spec,
            len(labels),
            "heun",
            steps,
            seed=7,
            cond={"label": labels},
            chunk_size=64,
        )
        raw = model.adapter.decode(x)
        waves = model.adapter.to_waveform(raw)
        predicted = classifier.predict(features(waves))
        per = {CLASSES[c]: float((predicted[labels == c] == c).double().mean()) for c in range(len(CLASSES))}
        rows.append(
            {
                "guidance_scale": w,
                "accuracy": float((predicted == labels).double().mean()),
                "per_class": per,
                "frechet_log_mel": model.adapter.metrics(raw, sounds.db)["frechet_log_mel"],
                "seconds": time.perf_counter() - start,
            }
        )
    return {**real, "rows": rows, "per_class_samples": per_class, "steps": steps}
