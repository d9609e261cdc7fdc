"""Observation masks of the tasks, the random training masks, the CSDI context, and the task operators."""

from __future__ import annotations

import pytest
import torch
from sciddiff.domains.timeseries.masks import (
    MaskSampler,
    block_mask,
    csdi_context,
    forecast_mask,
    history_mask,
    random_mask,
    sparse_mask,
)
from sciddiff.domains.timeseries.operators import task_mask, task_operator


def test_task_masks_observe_exactly_the_intended_entries() -> None:
    f = forecast_mask((3, 10), 4)
    assert f[:, :4].all() and not f[:, 4:].any()
    b = block_mask((3, 10), 2, 5, channels=[1])
    assert (~b).nonzero().tolist() == [[1, t] for t in range(2, 7)]
    s = sparse_mask((3, 17), every=8, phase=1, channels=[0])
    assert s.nonzero().tolist() == [[0, 1], [0, 9]]
    r = random_mask((50, 200), 0.3, torch.Generator().manual_seed(0))
    assert abs(float((~r).double().mean()) - 0.3) < 0.01
    assert torch.equal(r, random_mask((50, 200), 0.3, torch.Generator().manual_seed(0)))
    h = history_mask((50, 200), 120, 0.9, torch.Generator().manual_seed(0))
    assert h[:, :120].all() and torch.equal(
        h[:, 120:], random_mask((50, 200), 0.9, torch.Generator().manual_seed(0))[:, 120:]
    )
    assert torch.equal(task_mask("impute", {"missing": 0.9, "history": 120}, (50, 200)), h)
    assert torch.equal(task_mask("impute", {"missing": 0.3}, (50, 200)), r)
    with pytest.raises(ValueError, match="history of 200 steps"):
        history_mask((1, 200), 200, 0.5, torch.Generator())
    op = task_operator("sparse", {"every": 8, "channels": [0]}, (3, 64))
    x = torch.arange(3 * 64, dtype=torch.float64).reshape(1, 3, 64)
    assert op(x).tolist() == [list(range(0, 64, 8))]
    torch.testing.assert_close(op.adjoint(op(x))[0, 0, ::8], x[0, 0, ::8])


def test_sampler_strategies_draw_masks_of_their_kind() -> None:
    g = torch.Generator().manual_seed(1)
    forecast = MaskSampler({"forecast": 1.0})
    for _ in range(20):
        m = forecast.draw((2, 16), g)
        k = int(m[0].sum())
        assert 1 <= k <= 15 and torch.equal(m, forecast_mask((2, 16), k))
    fixed = MaskSampler.from_options({"strategies": "forecast", "context": 6})
    assert torch.equal(fixed.draw((2, 16), g), forecast_mask((2, 16), 6))
    sparse = MaskSampler.from_options({"strategies": ["sparse"], "every": [4], "channels": [1]})
    for _ in range(10):
        m = sparse.draw((3, 16), g)
        (phase,) = m[1].nonzero()[0].tolist()
        assert torch.equal(m, sparse_mask((3, 16), 4, phase, [1]))
    block = MaskSampler({"block": 1.0}, max_block=0.25)
    for _ in range(20):
        hidden = ~block.draw((4, 16), g)
        steps = hidden.any(0).nonzero().flatten()
        assert 1 <= len(steps) <= 4 and torch.equal(steps, torch.arange(int(steps[0]), int(steps[-1]) + 1))
    history = MaskSampler({"history": 1.0}, context=10)
    drawn = torch.stack([history.draw((30, 40), g) for _ in range(200)])
    assert drawn[:, :, :10].all()
    assert abs(float((~drawn[:, :, 10:]).double().mean()) - 0.5) < 0.05  # the rest: missing ratio ~ U(0, 1)
    ratios = [float((~MaskSampler({"random": 1.0}).draw((40, 50), g)).double().mean()) for _ in range(200)]
    assert abs(sum(ratios) / 200 - 0.5) < 0.05  # CSDI: missing ratio ~ U(0, 1)


def test_csdi_context_is_masked_values_then_mask_then_covariates() -> None:
    x = torch.randn(2, 3, 8)
    mask = torch.rand(2, 3, 8) < 0.5
    noise = 0.1 * torch.randn(2, 3, 8)
    cov = torch.randn(2, 4, 8)
    ctx = csdi_context(x, mask, noise, cov)
    assert ctx.shape == (2, 10, 8)
    torch.testing.assert_close(ctx[:, :3], torch.where(mask, x + noise, 0.0), rtol=0, atol=0)
    torch.testing.assert_close(ctx[:, 3:6], mask.float(), rtol=0, atol=0)
    torch.testing.assert_close(ctx[:, 6:], cov, rtol=0, atol=0)


def test_bad_masks_are_refused() -> None:
    with pytest.raises(ValueError, match="a context of 40 steps does not fit a window of 32 steps"):
        forecast_mask((2, 32), 40)
    with pytest.raises(ValueError, match="a gap of 10 steps from step 30 does not fit a window of 32 steps"):
        block_mask((2, 32), 30, 10)
    with pytest.raises(ValueError, match=r"channels \[5\] are outside the window's 2 channels"):
        sparse_mask((2, 32), 4, channels=[5])
    with pytest.raises(ValueError, match="the forecast task needs context"):
        task_mask("forecast", {}, (2, 32))
    with pytest.raises(ValueError, match="observes no entry"):
        task_operator("impute", {"missing": 1.0}, (2, 32))
    with pytest.raises(ValueError, match="unknown masks options"):
        MaskSampler.from_options({"ratio": 0.5})
