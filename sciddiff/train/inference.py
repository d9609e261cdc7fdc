"""Sampling and posterior sampling of trained models at scale: per-sample seeds, chunks, batches of observations.

Sample i is drawn from its own seed ``derive_seed(seed, i)`` (prior noise, solver noise, and the adapter's own
draws such as graph sizes), so results do not depend on the chunk size or on how samples are spread over devices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

import sciddiff
from sciddiff.processes import Process
from sciddiff.state import State, StateSpec, derive_seed


def prior_state(
    process: Any, spec: StateSpec, seeds: Sequence[int], device: Any = "cpu", dtype: torch.dtype = torch.float32
) -> State:
    """x at t_max, one seed per sample: Gaussian noise inside the spec's constraint subspace for Gaussian processes;
    for categorical and mixed processes their own prior (e.g. mask tokens on categorical leaves)."""
    n = len(seeds)
    if not isinstance(process, Process):
        return process.prior_sample(spec, list(seeds), dtype=dtype, device=device, batch_size=n)
    like = spec.from_leaves(
        {k: torch.zeros((n, *v.event_shape), device=device, dtype=dtype) for k, v in spec.leaves.items()}
    )
    noise = spec.flatten(spec.noise_like(like, list(seeds)))
    return spec.unflatten(float(process.prior_std()) * noise, like=like)


def chunk_size_for(spec: StateSpec, memory_budget_mb: float, dtype: torch.dtype, overhead: float = 64.0) -> int:
    """Samples per chunk for a memory budget: state bytes times ``overhead`` (solver history plus network
    activations, which for typical backbones are tens of times the state) per sample."""
    per_sample = spec.flat_dim * torch.finfo(dtype).bits / 8 * overhead
    return max(1, int(memory_budget_mb * 2**20 // per_sample))


def sample_model(
    denoiser: Any,
    process: Any,
    spec_for: Callable[[list[int]], StateSpec],
    n: int,
    solver: str = "dpmpp_2m",
    steps: int = 20,
    *,
    seed: int = 0,
    seeds: Sequence[int] | None = None,
    chunk_size: int | None = None,
    memory_budget_mb: float | None = None,
    cond: Mapping[str, Any] | None = None,
    device: Any = "cpu",
    dtype: torch.dtype = torch.float32,
    progress: bool = False,
    **options: Any,
) -> State:
    """``n`` samples in chunks; sample i uses ``seeds[i]`` (default ``derive_seed(seed, i)``).

    ``spec_for(seeds)`` gives the spec of a chunk (e.g. ``adapter.sample_spec``). ``cond`` tensors have a leading
    axis of size n (or 1, broadcast); each chunk gets its slice.
    """
    if n < 1:
        raise ValueError(f"n_samples must be >= 1, got {n}")
    seeds = [derive_seed(seed, i) for i in range(n)] if seeds is None else [int(s) for s in seeds]
    if len(seeds) != n:
        raise ValueError(f"got {len(seeds)} seeds for {n} samples")
    size = chunk_size or (chunk_size_for(spec_for(seeds[:1]), memory_budget_mb, dtype) if memory_budget_mb else n)
    if size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {size}")
    parts: list[State] = []
    starts = range(0, n, size)
    for start in tqdm(starts, desc="sampling", disable=not progress or len(starts) == 1):
        chunk = seeds[start : start + size]
        spec = spec_for(chunk)
        x = prior_state(process, spec, chunk, device, dtype)
        sub = {k: _slice(v, start, len(chunk)) for k, v in (cond or {}).items()}
        parts.append(
            sciddiff.sample(denoiser, process, x, solver, steps, generator=chunk, spec=spec, cond=sub, **options)
        )
    return concat_states(parts)


def _slice(v: Any, start: int, length: int) -> Any:
    if isinstance(v, Tensor) and v.dim() > 0 and v.shape[0] > 1:
        return v[start : start + length]
    return v


def concat_states(parts: list[State]) -> State:
    """Concatenate states along the batch axis."""
    if isinstance(parts[0], Tensor):
        return torch.cat(parts)
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
