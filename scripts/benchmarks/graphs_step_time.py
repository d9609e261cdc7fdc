"""Training-step time of the QM9 3-D config (``graphs_qm9_3d``) with and without size-grouped batches: median
seconds per optimiser step (forward, backward, Adam) over 10 batches after 2 warm-up batches.

    python scripts/benchmarks/graphs_step_time.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_module

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sciddiff.train.build import plain  # noqa: E402
from sciddiff.train.data import AdapterData  # noqa: E402
from sciddiff.train.fit import build_data, build_module  # noqa: E402


def step_seconds(module: torch.nn.Module, data: AdapterData, steps: int = 12, warmup: int = 2) -> float:
    opt = torch.optim.Adam(module.parameters(), 1e-4)
    batches, times = iter(data.train_dataloader()), []
    for i in range(steps):
        batch = next(batches)
        start = time.perf_counter()
        loss = module.training_step(batch, i)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[warmup:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(compose("train", overrides=["experiment=graphs_qm9_3d"]))
    data = build_data(cfg)
    module = build_module(cfg, data)
    print(f"| size_pool | s per batch of {data.batch_size} ({args.threads} threads) |\n|---|---|")
    for pool in (0, int(cfg["data"]["size_pool"])):
        variant = AdapterData(data.adapter, data.batch_size, data.seed, size_pool=pool)
        variant.splits = data.splits
        print(f"| {pool} | {step_seconds(module, variant):.3f} |")


if __name__ == "__main__":
    main()
