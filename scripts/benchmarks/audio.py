"""Audio benchmark: one class-conditional mel-spectrogram prior (``configs/experiment/audio_generation.yaml``, trained
here under a wall-clock cap) for class-conditional generation, 200 ms gap inpainting, bandwidth extension and
denoising, with the classical baselines in the same run on the same held-out synthetic sounds.

Targets (issue 8): gap LSD <= 0.7x linear interpolation's; bandwidth-extension LSD <= 0.7x the best baseline's;
class-conditional accuracy >= 90% under the project's classifier.

Run: python scripts/benchmarks/audio.py [--train-minutes 28] [--n-test 48] [--write]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.benchmarks.audio_tasks import (  # noqa: E402
    bandwidth_part,
    denoising_part,
    generation_part,
    inpainting_part,
    inversion_part,
    test_sounds,
    tune_denoising_scale,
)
from scripts.benchmarks.audio_train import RUNS, train_prior  # noqa: E402
from scripts.benchmarks.markdown import replace_section, table  # noqa: E402


def fmt(s: dict[str, Any]) -> str:
    return f"{s['mean']:.2f} ± {s['sem']:.2f}"


def per_class(s: dict[str, Any]) -> str:
    return " / ".join(f"{v:.1f}" for v in s["per_class"].values())


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def render(r: dict[str, Any], stamp: str, args: argparse.Namespace) -> dict[str, tuple[str, str]]:
    t = r["train"]
    train_line = (
        f"Prior: 2-D U-Net {t['backbone']}, batch {t['batch_size']}, trained {t['steps']} steps in "
        f"{t['seconds'] / 60:.1f} min (EDM, `{' '.join(t['overrides'][:1])}`); state: 64 mel bands x 64 frames "
        f"(16 kHz, n_fft 512, hop 256, 1.008 s), dB floored at -100. Test: {args.n_test} held-out synthetic sounds "
        "(balanced over note / chirp / hit / noise). LSD in dB; ± is the standard error over sounds; per-class means "
        "in the order note / chirp / hit / noise."
    )
    inv = r["inversion"]
    head = [stamp, "", train_line, ""]
    out = {}

    inp = r["inpainting"]
    ratio = inp["posterior_mean"]["mean"] / inp["interpolation"]["mean"]
    rows = [
        ["linear interpolation across the gap", fmt(inp["interpolation"]), per_class(inp["interpolation"]), "-"],
        [
            f"sciddiff {inp['method']} ({args.steps} steps), posterior mean of {args.k}",
            fmt(inp["posterior_mean"]),
            per_class(inp["posterior_mean"]),
            f"{inp['seconds_per_sound']:.1f}",
        ],
        [
            f"sciddiff {inp['method']}, one posterior sample",
            fmt(inp["posterior_sample"]),
            per_class(inp["posterior_sample"]),
            "-",
        ],
    ]
    lines = [*head, *table(["method", "LSD in the gap", "per class", "s / sound"], rows), ""]
    lines += [
        f"Gap: 200 ms centred, {inp['gap_frames']} frames missing (every frame whose window touches the gap), "
        f"observation noise {args.noise_std} dB. Ratio to interpolation: {ratio:.2f} (target <= 0.70: {verdict(ratio <= 0.7)}).",
        f"Phase retrieval bound (whole spectrogram): Griffin-Lim of the true STFT magnitude {fmt(inv['griffin_lim_true_magnitude'])}, "
        f"of the mel representation (NNLS + Griffin-Lim) {fmt(inv['griffin_lim_representation'])}.",
    ]
    out["audio-inpainting"] = ("### Audio: 200 ms gap inpainting", "\n".join(lines))

    bw = r["bandwidth"]
    best = min(bw["zero_high_band"]["mean"], bw["spectral_band_replication"]["mean"])
    ratio = bw["posterior_mean"]["mean"] / best
    rows = [
        [name, fmt(bw[key]), fmt(bw[key + "_full"]), per_class(bw[key])]
        for name, key in (
            ("zero high band", "zero_high_band"),
            ("spectral band replication", "spectral_band_replication"),
            (f"sciddiff {bw['method']} ({args.steps} steps), posterior mean of {args.k}", "posterior_mean"),
        )
    ]
    rows.append(
        [
            f"sciddiff {bw['method']}, one posterior sample",
            fmt(bw["posterior_sample"]),
            "-",
            per_class(bw["posterior_sample"]),
        ]
    )
    lines = [*head, *table(["method", "LSD in the band", "LSD overall", "per class (band)"], rows), ""]
    lines += [
        f"Cut-off {args.cutoff:.0f} Hz: the {bw['missing_rows']} mel bands not entirely below it are missing. Ratio to "
        f"the best baseline: {ratio:.2f} (target <= 0.70: {verdict(ratio <= 0.7)}). {bw['seconds_per_sound']:.1f} s per sound.",
    ]
    out["audio-bandwidth"] = ("### Audio: bandwidth extension", "\n".join(lines))

    dn = r["denoising"]
    rows = [
        [name, fmt(dn[key]), fmt(dn[key + "_snr"]), per_class(dn[key])]
        for name, key in (
            ("noisy input", "noisy_input"),
            ("Wiener-style spectral subtraction (noise PSD known)", "spectral_subtraction"),
            (f"sciddiff {dn['method']}, {args.denoise_steps} steps, posterior mean of {args.k}", "posterior_mean"),
        )
    ]
    lines = [*head, *table(["method", "LSD vs clean", "waveform SNR (dB)", "per class (LSD)"], rows), ""]
    lines += [
        f"White Gaussian noise at {dn['snr_db']:.0f} dB SNR; the likelihood is the approximate Gaussian in dB of "
        f"`domains/audio/noisy.py`; the posterior mean sets a gain on the noisy STFT. DPS scale chosen on "
        f"{dn['tuning']['n_val']} validation sounds (LSD {', '.join(f'{k:g}: {v:.2f}' for k, v in dn['tuning']['val_lsd'].items())}). "
        f"No target in the issue. {dn['seconds_per_sound']:.1f} s per sound.",
    ]
    out["audio-denoising"] = ("### Audio: denoising", "\n".join(lines))

    gen = r["generation"]
    rows = [
        [
            f"{g['guidance_scale']:g}",
            f"{100 * g['accuracy']:.1f}%",
            " / ".join(f"{100 * v:.0f}" for v in g["per_class"].values()),
            f"{g['frechet_log_mel']:.0f}",
            f"{g['seconds']:.0f}",
        ]
        for g in gen["rows"]
    ]
    best = max(g["accuracy"] for g in gen["rows"])
    lines = [*head, *table(["CFG scale", "accuracy", "per class (%)", "Fréchet log-mel", "s"], rows), ""]
    lines += [
        f"{gen['per_class_samples']} samples per class, Heun {gen['steps']} steps, Griffin-Lim to 16 kHz waveforms, "
        f"labelled by the project's CNN (validation accuracy {100 * gen['classifier_val_accuracy']:.1f}% on its own "
        f"sounds; {100 * gen['test_sounds_accuracy']:.1f}% on the test sounds, "
        f"{100 * gen['test_sounds_through_representation_accuracy']:.1f}% on them after the mel + Griffin-Lim round trip). "
        f"Best accuracy {100 * best:.1f}% (target >= 90%: {verdict(best >= 0.9)}).",
    ]
    out["audio-generation"] = ("### Audio: class-conditional generation", "\n".join(lines))
    return out


def denoising(model: Any, sounds: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Choose the DPS scale on validation sounds, then denoise the test sounds with it."""
    val = test_sounds(model, args.n_val, split="val")
    tuned = tune_denoising_scale(model, val, args.snr, args.denoise_steps, list(args.denoise_scales))
    return {**denoising_part(model, sounds, args.snr, args.denoise_steps, args.k, tuned["scale"]), "tuning": tuned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-minutes", type=float, default=28.0)
    parser.add_argument("--n-test", type=int, default=48)
    parser.add_argument("--k", type=int, default=4, help="posterior samples per sound")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--method", default="pigdm", help="guidance for the mask tasks")
    parser.add_argument("--noise-std", type=float, default=0.5, help="observation noise (dB) of the mask tasks")
    parser.add_argument("--cutoff", type=float, default=4000.0)
    parser.add_argument("--snr", type=float, default=10.0)
    parser.add_argument("--denoise-steps", type=int, default=50)
    parser.add_argument("--denoise-scales", type=float, nargs="+", default=(0.3, 1.0, 3.0), help="DPS scales tried")
    parser.add_argument("--n-val", type=int, default=8, help="validation sounds for choosing the DPS scale")
    parser.add_argument("--per-class", type=int, default=25)
    parser.add_argument("--cfg-scales", type=float, nargs="+", default=(1.0, 2.0))
    parser.add_argument("--gen-steps", type=int, default=20)
    parser.add_argument("--classifier-seed", type=int, default=1)
    parser.add_argument("--parts", default="inversion,inpainting,bandwidth,denoising,generation")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    model, info = train_prior(args.train_minutes)
    start = time.perf_counter()
    sounds = test_sounds(model, args.n_test)
    parts = args.parts.split(",")
    results: dict[str, Any] = {"train": info}
    inv = inversion_part(model, sounds)
    inverted = inv.pop("waves_from_representation")
    results["inversion"] = inv
    jobs = {
        "inpainting": lambda: inpainting_part(model, sounds, 0.2, args.method, args.steps, args.k, args.noise_std),
        "bandwidth": lambda: bandwidth_part(
            model, sounds, args.cutoff, args.method, args.steps, args.k, args.noise_std
        ),
        "denoising": lambda: denoising(model, sounds, args),
        "generation": lambda: generation_part(
            model, sounds, inverted, args.per_class, list(args.cfg_scales), args.gen_steps, args.classifier_seed
        ),
    }
    for name in parts:
        if name == "inversion":
            continue
        t = time.perf_counter()
        results[name] = jobs[name]()
        results[name]["wall"] = time.perf_counter() - t
        print(json.dumps({name: results[name]}, default=str)[:3000], flush=True)
    end_load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    command = "python scripts/benchmarks/audio.py " + " ".join(sys.argv[1:])
    stamp = (
        f"Command: `{command}` (run {date.today()}, {time.perf_counter() - start:.0f} s of evaluation, torch "
        f"{torch.__version__}, {platform.machine()}; 2 CPU cores shared with other workers, one thread; load average "
        f"at start {load.split('load average:')[-1].strip()}, at the end {end_load.split('load average:')[-1].strip()})"
    )
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / "results.json").write_text(json.dumps(results, default=str, indent=1))
    if set(parts) >= {"inpainting", "bandwidth", "denoising", "generation"}:
        for key, (title, text) in render(results, stamp, args).items():
            print(f"\n{title}\n\n{text}")
            if args.write:
                replace_section(ROOT / "BENCHMARKS.md", key, title, text)


if __name__ == "__main__":
    main()
