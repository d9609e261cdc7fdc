"""Size-grouped training batches: each pool of batches is a sorted run of sizes cut at batch boundaries, the
epoch order stays a pure, resumable function of the epoch, and bad settings are refused by name."""

from __future__ import annotations

import pytest
import torch

from sciddiff.train import EpochSampler

SIZES = torch.randint(1, 30, (103,), generator=torch.Generator().manual_seed(0))


def _sampler(**kw) -> EpochSampler:
    return EpochSampler(103, seed=5, sizes=SIZES, batch_size=8, size_pool=4, **kw)


def test_each_pool_holds_the_same_items_cut_into_sorted_runs_and_the_short_batch_is_last() -> None:
    grouped, plain = _sampler().order(2), EpochSampler(103, seed=5).order(2)
    assert sorted(grouped) == list(range(103))
    for start in range(0, 103, 32):
        pool, same = grouped[start : start + 32], plain[start : start + 32]
        assert sorted(pool) == sorted(same)  # grouping never moves an item to another pool
        runs = sorted(SIZES[same].tolist())
        batches = [sorted(SIZES[pool[i : i + 8]].tolist()) for i in range(0, len(pool), 8)]
        # every full batch is a contiguous run of the pool's sorted sizes (ties may swap between neighbours)
        full = [b for b in batches if len(b) == 8]
        cuts = {tuple(runs[i : i + 8]) for i in range(0, len(runs) - len(runs) % 8, 8)}
        assert {tuple(b) for b in full} == cuts
    # 103 = 3 pools of 32 and one of 7: the last, short batch ends the epoch
    assert sorted(SIZES[grouped[96:]].tolist()) == sorted(SIZES[plain[96:]].tolist())


def test_grouped_order_is_a_function_of_the_epoch_and_resumes_mid_epoch() -> None:
    a = _sampler()
    assert a.order(1) == _sampler().order(1) and a.order(1) != a.order(2)
    a.set_epoch(3)
    it = iter(a)
    head = [next(it) for _ in range(40)]
    b = _sampler()
    b.load_state_dict(a.state_dict())
    assert head + list(b) == a.order(3)


def test_grouped_shards_cover_the_data_once_per_rank_order() -> None:
    shards = [_sampler(rank=r, world_size=2) for r in range(2)]
    flat = [i for s in shards for i in s.order(0)]
    assert len(flat) == 104 and sorted(set(flat)) == list(range(103))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"sizes": None, "batch_size": 8, "size_pool": 4}, "need one size per item"),
        ({"sizes": SIZES[:10], "batch_size": 8, "size_pool": 4}, r"\(103\); got 10"),
        ({"sizes": SIZES, "batch_size": 8, "size_pool": -1}, "size_pool must be >= 0"),
    ],
)
def test_bad_grouping_settings_are_refused(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EpochSampler(103, seed=5, **kw)
