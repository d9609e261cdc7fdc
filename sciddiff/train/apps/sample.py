"""``sciddiff-sample``: draw samples from a trained checkpoint with any solver (Hydra app; ``configs/sample.yaml``).

Example: ``sciddiff-sample checkpoint=outputs/train/.../checkpoints/last.ckpt solver=unipc solver.steps=10``.
Writes ``samples.nc`` (decoded, with the domain's coordinates), the domain's native files and a figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from sciddiff.guidance import ClassifierFreeGuidance
from sciddiff.train.apps.common import (
    condition_tensors,
    provenance,
    require_generic_states,
    resolve_solver,
    run_app,
    sample_options,
)
from sciddiff.train.build import plain
from sciddiff.train.checkpoint import TrainedModel, load_trained
from sciddiff.train.inference import sample_model
from sciddiff.train.outputs import netcdf_attrs, write_netcdf
from sciddiff.train.predict import sample_distributed


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``, e.g. for an exact oracle)."""
    cfg = plain(cfg)
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg["ema"]))
    solver, n = resolve_solver(cfg["solver"], model), int(cfg["n_samples"])
    cond = condition_tensors(cfg.get("cond") or {}, n)
    if cond or cfg.get("guidance_scale") is not None:
        require_generic_states(model, "sciddiff-sample", "sample conditionally")
    denoiser = model.denoiser
    if cfg.get("guidance_scale") is not None:
        denoiser = ClassifierFreeGuidance(denoiser, float(cfg["guidance_scale"]), null_cond={})
    options = sample_options(solver)
    if cfg.get("trainer"):  # several devices or nodes through Lightning's predict loop
        if cond or cfg.get("guidance_scale") is not None:
            raise ValueError("multi-device sampling takes no conditions yet; sample conditionally on one device")
        chunk = int(cfg.get("chunk_size") or 256)
        x = sample_distributed(
            model,
            n,
            solver["name"],
            int(solver["steps"]),
            seed=int(cfg["seed"]),
            batch_size=chunk,
            trainer=cfg["trainer"],
            shard_dir=out_dir / ".shards",
            **options,
        )
        if x is None:  # not rank 0: rank 0 writes the outputs
            return {"samples": None, "files": []}
    else:
        x = sample_model(
            denoiser,
            model.process,
            model.adapter.sample_spec,
            n,
            solver["name"],
            int(solver["steps"]),
            seed=int(cfg["seed"]),
            chunk_size=cfg.get("chunk_size"),
            memory_budget_mb=cfg.get("memory_budget_mb"),
            cond=cond,
            progress=True,
            **options,
        )
    raw = model.adapter.decode(x)
    attrs = provenance(model, solver=solver["name"], steps=int(solver["steps"]), seed=int(cfg["seed"]), cond=cond)
    attrs = netcdf_attrs({**attrs, "guidance_scale": cfg.get("guidance_scale")})
    files = [write_netcdf(model.adapter.to_xarray(raw, attrs), out_dir / "samples.nc")]
    files += model.adapter.write(raw, out_dir, attrs)
    figure = model.adapter.plot(raw, out_dir / "samples.png")
    return {"samples": raw, "files": files + ([figure] if figure else [])}


@hydra.main(config_path="pkg://sciddiff.configs", config_name="sample", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = run_app("sciddiff-sample", run, cfg)
    if out["files"]:
        print("wrote " + ", ".join(str(f) for f in out["files"]))


if __name__ == "__main__":
    main()
