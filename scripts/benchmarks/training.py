"""Training-step throughput: sciddiff's Lightning path against a minimal hand-written PyTorch loop.

Both train the same 2-D U-Net denoiser (EDM preconditioning, x0 target) with the same loss, AdamW, gradient
clipping at norm 1 and an EMA of the weights, on the same batches of 32x32 fields, on the same CPU threads.
Rounds alternate between the two so that machine load affects both alike; the figure per round is the median
step time over the round's steps after warm-up. Data loading is timed on its own: iterating the training loader
without a model, per batch.

Run: python scripts/benchmarks/training.py [--steps 30] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sciddiff.denoisers import NetworkDenoiser  # noqa: E402
from sciddiff.losses import DenoisingLoss  # noqa: E402
from sciddiff.nn import get_backbone  # noqa: E402
from sciddiff.processes import VP  # noqa: E402
from sciddiff.state import StateSpec  # noqa: E402
from sciddiff.train import Adapter, AdapterData, TensorItems, fit, register_adapter  # noqa: E402
from scripts.benchmarks.markdown import replace_section, table  # noqa: E402

SIZE, BATCH, N_ITEMS = 32, 32, 2048
BACKBONE = {"name": "unet", "dims": 2, "in_channels": 1, "channels": 16, "channel_mult": [1, 2]}


@register_adapter
class RandomFields(Adapter):
    """Smooth random 32x32 fields (low-pass filtered noise), already standardised."""

    name, version = "bench-fields", "1"

    def datasets(self, seed: int) -> dict[str, TensorItems]:
        g = torch.Generator().manual_seed(seed)
        noise = torch.randn(N_ITEMS, 1, SIZE, SIZE, generator=g)
        k = torch.fft.fftfreq(SIZE)
        lowpass = torch.exp(-((k[:, None] ** 2 + k[None, :] ** 2) / 0.01))
        x = torch.fft.ifft2(torch.fft.fft2(noise) * lowpass).real
        x = (x - x.mean()) / x.std()
        return {"train": TensorItems({"x": x}), "val": TensorItems({"x": x[:64]})}

    def state_spec(self) -> StateSpec:
        return StateSpec.tensor((1, SIZE, SIZE))

    def encode(self, raw: torch.Tensor) -> torch.Tensor:
        return raw

    def decode(self, state: torch.Tensor) -> torch.Tensor:
        return state


class StepTimes(L.Callback):
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_batch_start(self, *args: Any) -> None:
        self._t = time.perf_counter()

    def on_train_batch_end(self, *args: Any) -> None:
        self.times.append(time.perf_counter() - self._t)


def lightning_round(steps: int, run_dir: Path) -> list[float]:
    cfg = {
        "domain": {"name": "bench-fields", "options": {}},
        "process": {"name": "vp", "kwargs": {}},
        "model": {
            "backbone": BACKBONE["name"],
            "kwargs": {k: v for k, v in BACKBONE.items() if k != "name"},
            "target": "x0",
            "preconditioning": "edm",
            "sigma_data": 1.0,
        },
        "loss": {"weighting": "uniform", "time_sampler": "uniform", "reduction": "mean"},
        "data": {"batch_size": BATCH, "num_workers": 0},
        "trainer": {
            "accelerator": "cpu",
            "devices": 1,
            "max_steps": steps,
            "max_epochs": -1,
            "check_val_every_n_epoch": None,
            "val_check_interval": 10 * steps,
            "gradient_clip_val": 1.0,
            "precision": "32-true",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "limit_val_batches": 0,
        },
        "optim": {"lr": 2e-4, "schedule": "constant"},
        "ema": {"decay": 0.999, "warmup": True},
        "validation": {"n_samples": 0},
        "checkpoint": {"every_n_steps": 10 * steps},
        "seed": 0,
    }
    timer = StepTimes()
    fit(cfg, run_dir, extra_callbacks=[timer])
    return timer.times


def hand_round(steps: int) -> list[float]:
    torch.manual_seed(0)
    process = VP()
    net = get_backbone(**BACKBONE)
    den = NetworkDenoiser(net, process, target="x0", preconditioning="edm", sigma_data=1.0)
    ema = [p.detach().clone() for p in den.parameters()]
    loss_fn = DenoisingLoss(process)
    opt = torch.optim.AdamW(den.parameters(), lr=2e-4)
    data = AdapterData(RandomFields(), batch_size=BATCH, seed=0)
    data.setup()
    loader = torch.utils.data.DataLoader(data.splits["train"], batch_size=BATCH, shuffle=True, drop_last=True)
    times, it = [], iter(loader)
    for step in range(steps):
        try:
            batch = next(it)
        except StopIteration:
            it = iter(loader)
            batch = next(it)
        start = time.perf_counter()
        gen = torch.Generator().manual_seed(step)
        loss = loss_fn(den, batch["x"], generator=gen).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(den.parameters(), 1.0)
        opt.step()
        d = min(0.999, (1 + step) / (10 + step))
        torch._foreach_lerp_(ema, [p.detach() for p in den.parameters()], 1 - d)
        times.append(time.perf_counter() - start)
    return times


def loading_time(n_batches: int) -> float:
    data = AdapterData(RandomFields(), batch_size=BATCH, seed=0)
    loader = data.train_dataloader()
    start, seen = time.perf_counter(), 0
    while seen < n_batches:
        for _ in loader:
            seen += 1
            if seen == n_batches:
                break
    return (time.perf_counter() - start) / n_batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()
    warm = 5
    hand, light = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            hand.append(statistics.median(hand_round(args.steps + warm)[warm:]))
            light.append(statistics.median(lightning_round(args.steps + warm, Path(tmp) / f"r{r}")[warm:]))
            print(f"[training] round {r}: hand {1e3 * hand[-1]:.1f} ms, lightning {1e3 * light[-1]:.1f} ms", flush=True)
    load = loading_time(200)
    h, lt = statistics.median(hand), statistics.median(light)
    rows = [
        ["hand-written loop (EMA, clipping)", f"{1e3 * h:.1f}", f"{1 / h:.2f}", "1.00"],
        ["sciddiff Lightning path", f"{1e3 * lt:.1f}", f"{1 / lt:.2f}", f"{h / lt:.2f}"],
    ]
    lines = [
        *table(["path", "ms per step (median)", "steps/s", "throughput vs hand loop"], rows),
        "",
        f"Per-round medians (ms), hand: {[round(1e3 * v, 1) for v in hand]}; Lightning: {[round(1e3 * v, 1) for v in light]}.",
        f"Data loading alone: {1e3 * load:.2f} ms per batch of {BATCH} ({100 * load / lt:.1f}% of a Lightning step):",
        "the loader is not the bottleneck.",
        f"Model: 2-D U-Net {BACKBONE['channels']} channels, mult {BACKBONE['channel_mult']}, batch {BATCH} of 1x{SIZE}x{SIZE};"
        f" {args.threads} threads. Target: Lightning >= 0.9x the hand loop's throughput "
        f"({'met' if h / lt >= 0.9 else 'missed'}).",
    ]
    text = "\n".join(
        [
            f"Command: `python scripts/benchmarks/training.py --steps {args.steps} --rounds {args.rounds} "
            f"--threads {args.threads} --write`",
            f"(run {time.strftime('%Y-%m-%d')}, {time.time() - started:.0f} s, torch {torch.__version__})",
            "",
            *lines,
            "",
        ]
    )
    print(text)
    if args.write:
        replace_section(
            ROOT / "BENCHMARKS.md",
            "training-throughput",
            "### Training: step throughput, Lightning vs a hand loop",
            text,
        )


if __name__ == "__main__":
    main()
