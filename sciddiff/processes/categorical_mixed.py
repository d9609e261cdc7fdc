"""Mixed states: one Gaussian process for the continuous leaves and a categorical process per categorical leaf.

All leaves are driven by one time t per sample (B,), the time the denoiser receives. Leaves corrupt at different
rates through their own schedules alpha_leaf(t) (e.g. a cosine schedule for atom types beside a VP process for
coordinates, or :class:`LogSNRSchedule` with a shift). The time range is the continuous process' [t_min, t_max]
(or, without continuous leaves, the intersection of the categorical ranges); every categorical schedule must be
defined on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.processes.base import Process, check_time_range
from sciddiff.processes.categorical_base import CategoricalProcess
from sciddiff.state import LeafSpec, NoiseSource, State, StateSpec, free_entries, tie


def _build(record: Any, what: str) -> Any:
    """A process from an instance, a name, or a record ``{"name": ..., "kwargs": {...}}``."""
    from sciddiff.processes import get_process  # the registry lives in the package's __init__

    if isinstance(record, Process | CategoricalProcess):
        return record
    if isinstance(record, str):
        return get_process(record)
    if isinstance(record, Mapping) and "name" in record:
        try:
            return get_process(record["name"], **dict(record.get("kwargs") or {}))
        except TypeError as err:
            raise ValueError(f"bad arguments for the {what} process {dict(record)}: {err}") from None
    raise ValueError(f"the {what} process must be a process, a name or a {{'name', 'kwargs'}} record; got {record!r}")


class MixedProcess:
    """``continuous`` (a Gaussian :class:`Process`, or None) for every continuous leaf, and ``categorical``
    (leaf name -> :class:`CategoricalProcess`) for the categorical ones. Each may also be given as a registry
    record, e.g. ``MixedProcess({"name": "vp"}, {"types": {"name": "masked", "kwargs": {"num_classes": 5}}})``.
    """

    name = "mixed"

    def __init__(self, continuous: Any = None, categorical: Mapping[str, Any] | None = None) -> None:
        self.continuous: Process | None = None if continuous is None else _build(continuous, "continuous")
        if self.continuous is not None and not isinstance(self.continuous, Process):
            raise ValueError(f"the continuous process must be Gaussian (VP, EDM, ...), got {self.continuous!r}")
        self.categorical: dict[str, CategoricalProcess] = {}
        for leaf, rec in dict(categorical or {}).items():
            proc = _build(rec, f"leaf {leaf!r}")
            if not isinstance(proc, CategoricalProcess):
                raise ValueError(f"leaf {leaf!r} needs a categorical process (masked, uniform, marginal), got {proc!r}")
            self.categorical[leaf] = proc
        if self.continuous is None and not self.categorical:
            raise ValueError("a mixed process needs a continuous process or at least one categorical leaf")
        if self.continuous is not None:
            self.t_min, self.t_max = self.continuous.t_min, self.continuous.t_max
        else:
            self.t_min = max(p.t_min for p in self.categorical.values())
            self.t_max = min(p.t_max for p in self.categorical.values())
            if not self.t_min < self.t_max:
                raise ValueError(f"the categorical leaves' time ranges do not overlap: {self.categorical}")
        for leaf, proc in self.categorical.items():
            if proc.t_min > self.t_min + 1e-12 or proc.t_max < self.t_max - 1e-12:
                raise ValueError(
                    f"leaf {leaf!r}: its schedule is defined on [{proc.t_min:g}, {proc.t_max:g}], which does not cover "
                    f"the time range [{self.t_min:g}, {self.t_max:g}]; use a schedule on that range (e.g. LogSNRSchedule)"
                )

    # ------------------------------------------------------------------ construction from other forms
    @classmethod
    def of(cls, process: Any) -> MixedProcess:
        """A mixed process from a MixedProcess, a CategoricalProcess (a plain tensor state, leaf ``"x"``) or a
        mapping leaf -> process (continuous leaves must share one Gaussian process)."""
        if isinstance(process, MixedProcess):
            return process
        if isinstance(process, CategoricalProcess):
            return cls(None, {"x": process})
        if isinstance(process, Mapping):
            gauss = {k: p for k, p in process.items() if isinstance(p, Process)}
            cats = {k: p for k, p in process.items() if k not in gauss}
            shared = list({id(p): p for p in gauss.values()}.values())
            if len(shared) > 1:
                raise ValueError(
                    "continuous leaves must share one Gaussian process (the solver integrates them together); got "
                    + ", ".join(f"{k!r}: {p!r}" for k, p in gauss.items())
                )
            return cls(shared[0] if shared else None, cats)
        raise ValueError(f"expected a process, a mapping leaf -> process or a MixedProcess; got {process!r}")

    # ------------------------------------------------------------------ specs and states
    def spec_for(self, x: State) -> StateSpec:
        """The unmasked spec of ``x``: categorical leaves are those with a categorical process."""
        if isinstance(x, Tensor):
            if set(self.categorical) != {"x"}:
                raise ValueError(
                    f"a plain tensor state is one leaf 'x'; the process has leaves {sorted(self.categorical)}"
                )
            proc = self.categorical["x"]
            return StateSpec({"x": LeafSpec(tuple(x.shape[1:]), "categorical", proc.num_classes)}, is_tensor=True)
        if not isinstance(x, Mapping):
            raise ValueError(f"a state is a tensor or a mapping of tensors, got {type(x).__name__}")
        leaves = {
            k: LeafSpec(tuple(v.shape[1:]), "categorical", self.categorical[k].num_classes)
            if k in self.categorical
            else LeafSpec(tuple(v.shape[1:]))
            for k, v in x.items()
        }
        return StateSpec(leaves)

    def check_spec(self, spec: StateSpec) -> None:
        """Refuse a spec whose categorical leaves, class counts or continuous leaves do not match the processes."""
        cats = set(spec.categorical)
        if cats != set(self.categorical):
            raise ValueError(
                f"the spec's categorical leaves {sorted(cats)} do not match the process' {sorted(self.categorical)}"
            )
        for k in cats:
            k_spec, k_proc = spec.leaves[k].num_classes, self.categorical[k].num_classes
            if k_spec != k_proc:
                raise ValueError(f"leaf {k!r} has {k_spec} classes in the spec but {k_proc} in its process")
        if spec.continuous and self.continuous is None:
            raise ValueError(f"leaves {spec.continuous} are continuous but the mixed process has no continuous process")

    def check_time(self, t: Tensor, what: str = "t") -> None:
        """Raise ValueError when any t lies outside [t_min, t_max] (one host sync)."""
        check_time_range(self, t, what)

    def prior_sample(
        self,
        spec: StateSpec,
        generator: object = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        batch_size: int | None = None,
    ) -> State:
        """x at t_max: Gaussian prior noise on the continuous leaves (inside the spec's constraints), a draw from
        each categorical leaf's stationary distribution (the mask token for masked leaves) on its free entries,
        mirrored for symmetric pairs; padding and a fixed diagonal set to 0.

        The batch size is that of the spec's masks, or ``batch_size``.
        """
        self.check_spec(spec)
        b = batch_size if batch_size is not None else max((m.shape[0] for m in spec.masks.values()), default=0)
        if b < 1:
            raise ValueError("prior_sample needs batch_size when the spec carries no per-sample masks")
        noise = NoiseSource.of(generator, b, device)
        leaves: dict[str, Tensor] = {}
        for k, leaf in spec.leaves.items():
            shape = (b, *leaf.event_shape)
            leaves[k] = torch.zeros(shape, dtype=dtype if leaf.kind == "continuous" else torch.long, device=device)
        like = spec.from_leaves(leaves)
        if spec.continuous:
            assert self.continuous is not None
            flat = spec.noise_flat(noise, dtype) * self.continuous.prior_std()
            leaves.update(spec.as_leaves(spec.unflatten(flat, like=like)))
        for k in spec.categorical:
            x = self.categorical[k].prior_sample((b, *spec.leaves[k].event_shape), noise, device)
            leaves[k] = tie(torch.where(free_entries(spec.leaves[k], spec.masks.get(k), x), x, 0), spec.leaves[k])
        return spec.from_leaves(leaves)

    def __repr__(self) -> str:
        return f"MixedProcess(continuous={self.continuous!r}, categorical={self.categorical!r})"
