"""Samplers of categorical-only states: ancestral steps on a grid, and first-hitting sampling of masked leaves."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor
from tqdm.auto import tqdm

from sciddiff.processes import MaskedProcess, MixedProcess
from sciddiff.processes.categorical_sampling import gumbel, sample_logits
from sciddiff.solvers.categorical_model import CategoricalCaller
from sciddiff.solvers.categorical_step import ancestral_step, clean_draw
from sciddiff.state import NoiseSource, StateSpec, free_entries, tie

_F64 = torch.float64


@dataclass
class CategoricalContext:
    """What a categorical sampler sees: the denoiser caller, the processes, the spec, the grid and the noise."""

    call: CategoricalCaller
    process: MixedProcess
    spec: StateSpec
    grid: Tensor  # (1 or B, N + 1) float64, from t_max down to t_min
    noise: NoiseSource
    progress: bool = False

    def mask(self, leaf: str) -> Tensor | None:
        return self.spec.masks.get(leaf)

    def step(self, leaf: str, x: Tensor, logits: Tensor, t: Tensor, s: Tensor) -> Tensor:
        """One ancestral step of a leaf from t to s."""
        proc = self.process.categorical[leaf]
        return ancestral_step(proc, x, logits, t, s, self.noise, self.mask(leaf), self.spec.leaves[leaf])

    def clean(self, leaf: str, x: Tensor, logits: Tensor, t: Tensor) -> Tensor:
        """The final draw of a leaf from p(x0 | x_t)."""
        proc = self.process.categorical[leaf]
        return clean_draw(proc, x, logits, t, self.noise, self.mask(leaf), self.spec.leaves[leaf])


class CategoricalSolver(ABC):
    """A sampling rule for categorical-only states. ``run`` returns the clean leaves and the times it visited."""

    name: ClassVar[str]
    stochastic: ClassVar[bool] = True

    @abstractmethod
    def nfe(self, steps: int) -> int | None:
        """Denoiser evaluations for ``steps`` grid intervals (None when it depends on the state)."""

    @abstractmethod
    def run(self, ctx: CategoricalContext, leaves: dict[str, Tensor], denoise_final: bool) -> tuple[dict, Tensor]:
        """Sample from the leaves at the first grid time; return (leaves, visited times (B or 1, n + 1))."""


class Ancestral(CategoricalSolver):
    """x_{t_{i+1}} ~ p(x_{t_{i+1}} | x_{t_i}) = sum_x0 q(x_{t_{i+1}} | x_{t_i}, x0) p(x0 | x_{t_i}) per entry.

    One evaluation per step. When some leaf's alpha(t_min) < 1 and ``denoise_final`` is set, a last evaluation
    at t_min draws x0 from p(x0 | x_{t_min}); with alpha(t_min) = 1 the last step already lands on clean data.
    Exact as the grid is refined (entries that change in the same step are drawn independently). Austin et al.,
    "Structured Denoising Diffusion Models in Discrete State-Spaces" (2021), arXiv:2107.03006.
    """

    name = "ancestral"

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: CategoricalContext, leaves: dict[str, Tensor], denoise_final: bool) -> tuple[dict, Tensor]:
        g = ctx.grid
        steps = range(g.shape[1] - 1)
        for i in tqdm(steps, desc=self.name, leave=False) if ctx.progress else steps:
            logits = ctx.call(leaves, g[:, i])
            leaves = {k: ctx.step(k, x, logits[k], g[:, i], g[:, i + 1]) for k, x in leaves.items()}
        unfinished = any(bool((p.alpha(g[:, -1]) < 1).any()) for p in ctx.process.categorical.values())
        if denoise_final and unfinished:
            logits = ctx.call(leaves, g[:, -1])
            leaves = {k: ctx.clean(k, x, logits[k], g[:, -1]) for k, x in leaves.items()}
        return leaves, g


class FirstHitting(CategoricalSolver):
    """Exact simulation of the reverse masked process, one unmasking event per evaluation.

    With n masked entries at time tau, the next unmasking time s solves 1 - alpha(s) = (1 - alpha(tau)) u^(1/n),
    u ~ U(0, 1); the entry is uniform among the masked ones and its token is drawn from p(x0 | x_tau) (the
    denoiser evaluated at s). Exact for the exact denoiser, with as many evaluations as masked entries (the
    batch runs until its most-masked sample is done); ``steps`` and ``grid`` are ignored, x is taken at t_max.
    Every leaf must be masked, and all leaves must share one schedule with alpha(t_min) = 1. Zheng et al.,
    "Masked Diffusion Models are Secretly Time-Agnostic Masked Models and Exploit Inaccurate Categorical
    Sampling" (2024), arXiv:2409.02908, Sec. 4.
    """

    name = "first_hitting"

    def nfe(self, steps: int) -> None:
        return None

    def _schedule(self, process: MixedProcess) -> Any:
        procs = list(process.categorical.values())
        bad = [k for k, p in process.categorical.items() if not isinstance(p, MaskedProcess)]
        if bad:
            raise ValueError(f"first_hitting samples masked processes only; leaves {bad} are not masked")
        probe = torch.linspace(process.t_min, process.t_max, 17, dtype=_F64)
        ref = procs[0].alpha(probe)
        if any(not torch.allclose(p.alpha(probe), ref, rtol=0, atol=1e-12) for p in procs[1:]):
            raise ValueError("first_hitting needs every masked leaf to share one schedule alpha(t)")
        if float(procs[0].alpha(torch.tensor(process.t_min, dtype=_F64))) != 1.0:
            raise ValueError(f"first_hitting needs alpha(t_min) = 1 (clean data at the end); {procs[0]!r} has less")
        return procs[0].schedule

    def run(self, ctx: CategoricalContext, leaves: dict[str, Tensor], denoise_final: bool) -> tuple[dict, Tensor]:
        sched = self._schedule(ctx.process)
        leaves = dict(leaves)
        ref = next(iter(leaves.values()))
        b, device = ref.shape[0], ref.device
        tau = torch.full((b,), ctx.process.t_max, dtype=_F64, device=device)
        times = [tau]
        while True:
            masked = {
                k: (x == ctx.process.categorical[k].num_classes) & free_entries(ctx.spec.leaves[k], ctx.mask(k), x)
                for k, x in leaves.items()
            }
            n = sum(m.reshape(b, -1).sum(1) for m in masked.values())
            if not bool((n > 0).any()):
                break
            u = ctx.noise.rand((), _F64)
            left = (1.0 - sched.alpha(tau)) * u ** (1.0 / n.clamp_min(1).to(_F64))
            s = torch.where(n > 0, sched.t_of_alpha(1.0 - left).clamp(ctx.process.t_min), tau)
            s = torch.minimum(s, tau)
            logits = ctx.call(leaves, s)
            scores = torch.cat(
                [
                    torch.where(m, gumbel(ctx.noise.rand(m.shape[1:], _F64)), -torch.inf).reshape(b, -1)
                    for m in masked.values()
                ],
                dim=1,
            )
            pick = scores.argmax(1)
            start = 0
            for k, x in leaves.items():
                size = x[0].numel()
                mine = (pick >= start) & (pick < start + size) & (n > 0)
                where = (pick - start).clamp(0, size - 1)
                row = logits[k].reshape(b, size, -1)[torch.arange(b, device=device), where]
                token = sample_logits(row, ctx.noise)
                flat = x.reshape(b, size).clone()
                flat[mine, where[mine]] = token[mine]
                leaves[k] = tie(flat.reshape(x.shape), ctx.spec.leaves[k])
                start += size
            tau = s
            times.append(tau)
        return leaves, torch.stack(times, dim=1)


CATEGORICAL_SOLVERS: dict[str, type[CategoricalSolver]] = {cls.name: cls for cls in (Ancestral, FirstHitting)}


def get_categorical_solver(name: str | CategoricalSolver, **options: Any) -> CategoricalSolver:
    """A categorical sampler from its name ("ancestral", "first_hitting") or an instance."""
    if isinstance(name, CategoricalSolver):
        if options:
            raise ValueError(f"options {sorted(options)} given together with a solver instance; set them on it")
        return name
    if name not in CATEGORICAL_SOLVERS:
        raise ValueError(
            f"categorical-only states are sampled with one of {sorted(CATEGORICAL_SOLVERS)}; got solver {name!r}"
        )
    try:
        return CATEGORICAL_SOLVERS[name](**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for solver {name!r}: {err}") from None
