"""Data for training: tensor datasets, a seeded rank-aware epoch sampler, and the Lightning data module.

Exact resume: the order of epoch e is a permutation drawn from ``derive_seed(seed, e)``, so it is a pure function
of the epoch; torchdata's ``StatefulDataLoader`` records how many batches were yielded, Lightning stores that in
the checkpoint, and on resume the loader skips them. Each rank takes every ``world_size``-th index of the
permutation (padded by wrap-around to equal length), so no distributed sampler wrapper is needed.

Size-grouped batches (``size_pool`` > 0, for data of variable size such as graphs): each rank's order is cut into
pools of ``size_pool`` batches, each pool is sorted by item size and its full batches are shuffled, so every
batch holds items of similar size and the adapter's ``collate`` can drop the padding none of them needs. The
grouping is a pure function of the epoch too, so resume stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import Dataset, Sampler, default_collate
from torchdata.stateful_dataloader import StatefulDataLoader

from sciddiff.state import derive_seed


class TensorItems(Dataset):
    """A map-style dataset over nested mappings of tensors sharing their first axis.

    ``TensorItems({"x": X, "cond": {"label": y}})[i] == {"x": X[i], "cond": {"label": y[i]}}``.
    """

    def __init__(self, items: Mapping[str, Any]) -> None:
        self.items = items
        sizes = {len(v) for v in self._leaves(items)}
        if len(sizes) != 1:
            raise ValueError(f"dataset fields disagree on their length: {sorted(sizes)}")
        self.size = sizes.pop()

    def _leaves(self, tree: Any) -> list[Tensor]:
        if isinstance(tree, Mapping):
            return [leaf for v in tree.values() for leaf in self._leaves(v)]
        return [tree]

    def _take(self, tree: Any, i: int) -> Any:
        return {k: self._take(v, i) for k, v in tree.items()} if isinstance(tree, Mapping) else tree[i]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self._take(self.items, i)


def check_finite(values: Tensor, what: str) -> None:
    """Refuse NaN or inf in data that has no missing-value mask, naming the first bad sample index."""
    bad = ~torch.isfinite(values.reshape(values.shape[0], -1)).all(dim=1)
    if bool(bad.any()):
        idx = bad.nonzero().flatten()
        raise ValueError(
            f"{what} contains NaN or inf at sample index {int(idx[0])} ({int(idx.numel())} samples in all); "
            "this data allows no missing values"
        )


class EpochSampler(Sampler[int]):
    """Seeded per-epoch permutation (or identity order), sharded across ranks, and resumable mid-epoch.

    Its state is (epoch, indices yielded in that epoch); torchdata's loader stores it with the batch it belongs
    to, so a resumed run restarts exactly at the next unseen batch of the same epoch's order.
    """

    def __init__(
        self,
        size: int,
        seed: int,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        sizes: Tensor | None = None,
        batch_size: int = 1,
        size_pool: int = 0,
    ) -> None:
        if size < 1:
            raise ValueError(f"cannot sample from an empty dataset (size {size})")
        if size_pool < 0 or batch_size < 1:
            raise ValueError(f"size_pool must be >= 0 and batch_size >= 1; got {size_pool} and {batch_size}")
        if size_pool and (sizes is None or len(sizes) != size):
            got = "none" if sizes is None else len(sizes)
            raise ValueError(f"size-grouped batches need one size per item ({size}); got {got}")
        self.size, self.seed, self.shuffle = size, seed, shuffle
        self.rank, self.world_size, self.epoch = rank, world_size, 0
        self.sizes, self.batch_size, self.size_pool = sizes, batch_size, size_pool
        self.yielded, self._start = 0, 0

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch, self._start = epoch, 0

    def __len__(self) -> int:
        return math.ceil(self.size / self.world_size)

    def order(self, epoch: int) -> list[int]:
        """This rank's indices for ``epoch``."""
        if self.shuffle:
            perm = torch.randperm(self.size, generator=torch.Generator().manual_seed(derive_seed(self.seed, epoch)))
        else:
            perm = torch.arange(self.size)
        total = len(self) * self.world_size
        perm = torch.cat([perm, perm[: total - self.size]])
        mine = perm[self.rank : total : self.world_size]
        return self._grouped(mine, epoch).tolist() if self.size_pool else mine.tolist()

    def _grouped(self, order: Tensor, epoch: int) -> Tensor:
        """``order`` with each pool of ``size_pool`` batches sorted by size and its full batches shuffled; a
        short last batch stays last, so every batch boundary falls on a multiple of ``batch_size``."""
        gen = torch.Generator().manual_seed(derive_seed(derive_seed(self.seed, epoch), 1))
        pools = []
        for pool in order.split(self.batch_size * self.size_pool):
            pool = pool[torch.argsort(self.sizes[pool], stable=True)]
            batches = list(pool.split(self.batch_size))
            full = len(pool) // self.batch_size
            shuffled = [batches[i] for i in torch.randperm(full, generator=gen).tolist()]
            pools.extend([*shuffled, *batches[full:]])
        return torch.cat(pools)

    def __iter__(self) -> Iterator[int]:
        start, self._start = self._start, 0
        self.yielded = start
        for i in self.order(self.epoch)[start:]:
            self.yielded += 1
            yield i

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "yielded": self.yielded}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        self.epoch, self._start, self.yielded = int(state["epoch"]), int(state["yielded"]), int(state["yielded"])


class AdapterData(L.LightningDataModule):
    """Train/validation loaders over an adapter's datasets.

    ``size_pool`` > 0 groups training batches by item size (the train split must expose ``sizes``) and collates
    them with ``adapter.collate``, which may trim padding; validation batches keep the full padded shape.
    """

    def __init__(
        self,
        adapter: Any,
        batch_size: int,
        seed: int,
        num_workers: int = 0,
        val_batch_size: int = 0,
        size_pool: int = 0,
    ):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.adapter, self.batch_size, self.seed, self.num_workers = adapter, batch_size, seed, num_workers
        self.val_batch_size = val_batch_size or batch_size
        self.size_pool = size_pool
        self.splits: dict[str, Dataset] | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = self.adapter.datasets(self.seed)
            if "train" not in self.splits:
                raise ValueError(f"adapter {self.adapter.name!r} returned no 'train' split: {sorted(self.splits)}")

    def _rank(self) -> tuple[int, int]:
        trainer = getattr(self, "trainer", None)
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def _loader(self, split: str, shuffle: bool, batch_size: int) -> StatefulDataLoader:
        self.setup()
        data = self.splits[split]
        rank, world = self._rank()
        grouped = self.size_pool if split == "train" else 0
        sizes = getattr(data, "sizes", None) if grouped else None
        if grouped and sizes is None:
            raise ValueError(
                f"data.size_pool={grouped} groups batches by item size, but adapter {self.adapter.name!r}'s "
                "training split has no per-item sizes; set data.size_pool=0"
            )
        sampler = EpochSampler(len(data), self.seed, shuffle, rank, world, sizes, batch_size, grouped)
        return StatefulDataLoader(
            data,
            batch_size=batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            drop_last=shuffle and len(sampler) >= batch_size,
            persistent_workers=self.num_workers > 0,
            collate_fn=self.adapter.collate if grouped else default_collate,
        )

    def train_dataloader(self) -> StatefulDataLoader:
        return self._loader("train", True, self.batch_size)

    def val_dataloader(self) -> StatefulDataLoader | list:
        self.setup()
        return self._loader("val", False, self.val_batch_size) if "val" in self.splits else []
