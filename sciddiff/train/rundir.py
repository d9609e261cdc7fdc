"""Run directories: refuse to reuse one that holds a run unless resuming, and snapshot each run's config.

Nothing already written is overwritten: the first config snapshot is ``config.yaml``; each resume adds
``config.resume-<k>.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

RUN_MARKER = "run.yaml"
CHECKPOINTS = "checkpoints"


def is_main_process() -> bool:
    """True outside distributed launches and on global rank 0 (Lightning or torchrun environment variables)."""
    return all(int(os.environ.get(k, "0")) == 0 for k in ("RANK", "LOCAL_RANK", "NODE_RANK"))


def holds_run(run_dir: Path) -> bool:
    return (run_dir / RUN_MARKER).exists() or (run_dir / CHECKPOINTS).exists()


def prepare_run_dir(run_dir: Path, config: dict[str, Any], resume: bool) -> Path | None:
    """Check ``run_dir`` against ``resume`` and write the config snapshot; returns the checkpoint to resume from.

    Only the main process checks and writes; other ranks just get the checkpoint path.
    """
    run_dir = Path(run_dir)
    last = run_dir / CHECKPOINTS / "last.ckpt"
    if not is_main_process():
        return last if resume else None
    if resume:
        if not last.exists():
            raise ValueError(f"resume=true, but {run_dir} holds no checkpoint to resume from (no {last})")
    elif holds_run(run_dir):
        raise ValueError(
            f"output directory {run_dir} already holds a run; pass resume=true to continue it, or choose another "
            "directory (e.g. hydra.run.dir=...): nothing there is overwritten"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    name, k = "config.yaml", 0
    while (run_dir / name).exists():
        k += 1
        name = f"config.resume-{k}.yaml"
    (run_dir / name).write_text(yaml.safe_dump(config, sort_keys=False))
    if not (run_dir / RUN_MARKER).exists():
        (run_dir / RUN_MARKER).write_text(yaml.safe_dump({"status": "started", "config": name}))
    return last if resume else None


def mark_run(run_dir: Path, **fields: Any) -> None:
    """Update the run marker with status fields (main process only)."""
    if not is_main_process():
        return
    path = Path(run_dir) / RUN_MARKER
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
