"""The denoiser contract for states with categorical leaves, and its checks.

For a categorical leaf the noisy input x_t holds integer states (B, *event) (the mask token is index K for a
masked process), and the denoiser returns a :class:`Prediction` whose ``logits[leaf]`` are x0-logits shaped
(B, *event, K) over the K clean classes. ``mean`` holds the continuous leaves (E[x0 | x_t]); it may omit the
categorical ones, and is None or ``{}`` when every leaf is categorical. For a plain tensor state the leaf is
called ``"x"``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from sciddiff.denoisers.prediction import Prediction
from sciddiff.state import StateSpec


def split_prediction(out: Any, spec: StateSpec, batch: int) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(continuous means, categorical x0-logits) of a denoiser output, checked against ``spec``."""
    if not isinstance(out, Prediction) or out.logits is None:
        got = type(out).__name__ if not isinstance(out, Prediction) else "a Prediction without logits"
        raise ValueError(
            f"a denoiser of a state with categorical leaves {spec.categorical} must return a Prediction with "
            f"logits for those leaves; got {got}"
        )
    logits: dict[str, Tensor] = {}
    for k in spec.categorical:
        if k not in out.logits:
            raise ValueError(f"denoiser output has logits for {sorted(out.logits)}; leaf {k!r} is missing")
        leaf = spec.leaves[k]
        want = (batch, *leaf.event_shape, leaf.num_classes)
        if tuple(out.logits[k].shape) != want:
            raise ValueError(
                f"logits of leaf {k!r} have shape {tuple(out.logits[k].shape)}; expected {want} "
                f"(batch, event, {leaf.num_classes} clean classes, no mask class)"
            )
        logits[k] = out.logits[k]
    means: dict[str, Tensor] = {}
    if spec.continuous:
        mean = out.mean
        if isinstance(mean, Tensor) and spec.is_tensor:
            mean = {"x": mean}
        if not isinstance(mean, dict) or not set(spec.continuous) <= set(mean):
            have = sorted(mean) if isinstance(mean, dict) else type(mean).__name__
            raise ValueError(f"denoiser mean must hold the continuous leaves {spec.continuous}; got {have}")
        for k in spec.continuous:
            want = (batch, *spec.leaves[k].event_shape)
            if tuple(mean[k].shape) != want:
                raise ValueError(f"denoiser output leaf {k!r} has shape {tuple(mean[k].shape)}; the input's is {want}")
            means[k] = mean[k]
    return means, logits
