"""The graph adapter: Data <-> dense states round trips, padding, zero centre of mass, input checks, configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import graphs_config
from sciddiff.domains.graphs import GraphAdapter
from sciddiff.domains.graphs.chem import graph_molecule
from sciddiff.domains.graphs.datasets import (
    MOSES_HEAVY,
    QM9_ATOMS,
    QM9_HEAVY,
    data_to_graph,
    graph_to_data,
    grid_graphs,
    load_qm9,
    sbm_graphs,
)
from sciddiff.domains.graphs.metrics import canonical_smiles
from torch import Tensor
from torch_geometric.data import Data

from sciddiff.processes import MixedProcess
from sciddiff.train import TrainedModel
from sciddiff.train.build import loss_from, process_from


def _edges(g: Data) -> set[tuple[int, int, int]]:
    return {(int(i), int(j), int(a)) for i, j, a in zip(*g.edge_index, g.edge_attr, strict=True)}


def _stack(items: list[dict]) -> dict[str, Tensor]:
    return {k: torch.stack([it["x"][k] for it in items]) for k in items[0]["x"]}


def test_qm9_2d_items_decode_to_the_training_smiles_and_data_round_trips(qm9_csv: Path, tmp_path: Path) -> None:
    adapter = GraphAdapter(source="qm9_2d", files=[str(qm9_csv)], cache=str(tmp_path), charges=True)
    train = adapter.datasets(0)["train"]
    assert adapter.layout.node_vocab == QM9_HEAVY and adapter.layout.max_nodes == 7
    assert len(train) == 160 and len(adapter.train_smiles) == 160
    decoded = adapter.decode(_stack([train[i] for i in range(len(train))]))
    got = [canonical_smiles(graph_molecule(g, adapter.layout)) for g in decoded]
    assert got == [canonical_smiles(s) for s in adapter.train_smiles]
    packed = load_qm9("2d", "train", files=[qm9_csv], cache=tmp_path)
    graphs = [packed[i] for i in range(len(packed))]
    again = adapter.decode(adapter.encode(graphs))
    for g, h in zip(graphs, again, strict=True):
        assert torch.equal(g.x, h.x) and torch.equal(g.charge, h.charge) and _edges(g) == _edges(h)


def test_qm9_3d_round_trip_centres_the_coordinates_and_keeps_the_atoms(qm9_csv: Path, tmp_path: Path) -> None:
    adapter = GraphAdapter(source="qm9_3d", files=[str(qm9_csv)], cache=str(tmp_path))
    items = adapter.datasets(0)["train"]
    assert adapter.layout.node_vocab == QM9_ATOMS and adapter.layout.max_nodes == 21
    packed = load_qm9("3d", "train", files=[qm9_csv], cache=tmp_path)
    graphs = [packed[i] for i in range(len(packed))]
    state = adapter.encode(graphs)
    x = _stack([items[i] for i in range(len(items))])
    assert torch.equal(state["nodes"], x["nodes"]) and torch.allclose(state["pos"], x["pos"], atol=1e-6)
    centred = [(g.pos - g.pos.mean(0)).double() for g in graphs]
    rms = torch.cat(centred).pow(2).mean().sqrt()  # the fitted scale: unit RMS per coordinate on the train split
    assert adapter.pos_scale == pytest.approx(float(rms), rel=1e-6)
    real = state["nodes"] != 0
    com = (state["pos"] * real[..., None]).sum(1) / real.sum(1, keepdim=True)
    assert com.abs().max() < 1e-5 and float(state["pos"][~real].abs().max()) == 0.0
    for g, h, c in zip(graphs, adapter.decode(state), centred, strict=True):
        assert torch.equal(g.x, h.x) and torch.allclose(h.pos, c, atol=1e-5)


@pytest.mark.parametrize("make", [sbm_graphs, grid_graphs], ids=["sbm", "grid"])
def test_synthetic_graphs_round_trip_exactly(make) -> None:
    source = "sbm" if make is sbm_graphs else "grid"
    adapter = GraphAdapter(source=source, n_graphs=6, max_nodes=400)
    adapter.datasets(0)
    graphs = [graph_to_data(g) for g in make(4, seed=1)]
    for g, h in zip(graphs, adapter.decode(adapter.encode(graphs)), strict=True):
        assert g.num_nodes == h.num_nodes and _edges(g) == _edges(h)
        assert sorted(data_to_graph(h).edges()) == sorted(data_to_graph(g).edges())


def test_invalid_smiles_are_skipped_and_counted_and_unknown_elements_stop_up_front(caplog) -> None:
    smiles = ["CCO", "C1CC", "c1ccccc1", "C((C)", "CC(=O)N", "C(C)(C)(C)(C)C"]
    adapter = GraphAdapter(source="smiles", smiles=smiles, atom_vocab=["C", "N", "O"], fractions=[0.5, 0.25, 0.25])
    with caplog.at_level("WARNING"):
        splits = adapter.datasets(0)
    assert sum(len(v) for v in splits.values()) == 3
    assert adapter.report["n_records"] == 6 and [i for i, _ in adapter.report["skipped"]] == [1, 3, 5]
    assert "'C1CC'" in adapter.report["skipped"][0][1]
    assert "smiles: skipped 3 of 6 input records (record 1: " in caplog.text and "record 5: " in caplog.text
    kept = adapter.state_dict()["report"]
    assert kept["n_skipped"] == 3 and [r[0] for r in kept["skipped"]] == [1, 3, 5]
    bad = GraphAdapter(source="smiles", smiles=["CCO", "CCS", "CCCl"], atom_vocab=["C", "N", "O"])
    with pytest.raises(ValueError, match=r"record 1 .* element 'S'.* not in the vocabulary \('C', 'N', 'O'\)"):
        bad.datasets(0)


def test_encode_refuses_graphs_the_layout_cannot_hold(qm9_csv: Path, tmp_path: Path) -> None:
    adapter = GraphAdapter(source="qm9_2d", files=[str(qm9_csv)], cache=str(tmp_path))
    with pytest.raises(ValueError, match="not fitted"):
        adapter.encode([Data(x=torch.zeros(2, dtype=torch.long))])
    adapter.datasets(0)
    ring = Data(x=torch.tensor([0, 7]), edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.tensor([1, 1]))
    with pytest.raises(ValueError, match=r"graph 0 has node types in \[0, 7\]"):
        adapter.encode([ring])
    big = Data(x=torch.zeros(9, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="9 nodes"):
        adapter.encode([big])
    with pytest.raises(ValueError, match="unknown graph source 'qm10'"):
        GraphAdapter(source="qm10")


def _padded(adapter: GraphAdapter, split: str = "train", n: int = 8) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    items = adapter.datasets(0)[split]
    chosen = [items[i] for i in range(n)]
    return _stack(chosen), {k: torch.stack([it["mask"][k] for it in chosen]) for k in chosen[0]["mask"]}


class Spy:
    """A denoiser wrapper that records the noisy states it is called with."""

    def __init__(self, denoiser) -> None:
        self.denoiser, self.seen = denoiser, []

    def __call__(self, x_t, t, **cond):
        self.seen.append({k: v.clone() for k, v in x_t.items()})
        return self.denoiser(x_t, t, **cond)


def _garbage_in_padding(x: dict[str, Tensor], masks: dict[str, Tensor], leaves: tuple[str, ...]) -> dict:
    out = dict(x)
    g = torch.Generator().manual_seed(5)
    for k in leaves:
        pad = ~masks[k].expand_as(x[k])
        if x[k].is_floating_point():
            noise = 50.0 * torch.randn(x[k].shape, generator=g)
        else:
            noise = torch.randint(1, 3, x[k].shape, generator=g)
            if k == "edges":
                noise = torch.triu(noise, 1)
                noise = noise + noise.transpose(1, 2)
        out[k] = torch.where(pad, noise.to(x[k].dtype), x[k])
    return out


@pytest.mark.parametrize("form", ["2d", "3d"])
def test_noise_and_loss_ignore_padding_and_coordinates_stay_centred(
    form: str, qm9_2d_model: TrainedModel, qm9_3d_model: TrainedModel
) -> None:
    model = qm9_2d_model if form == "2d" else qm9_3d_model
    adapter = model.adapter
    x, masks = _padded(adapter)
    spec = adapter.state_spec().with_masks(masks)
    loss = loss_from(model.record["loss"], model.process)
    t = torch.linspace(0.2, 0.9, 8, dtype=torch.float64)
    spy = Spy(model.denoiser)
    base = loss(spy, x, spec=spec, generator=7, t=t)
    assert bool(torch.isfinite(base).all()) and float(base.min()) > 0
    # every leaf but the nodes leaf (whose class 0 is what marks a node as padding) may hold anything in padding
    leaves = ("edges",) if form == "2d" else ("pos",)
    changed = loss(spy, _garbage_in_padding(x, masks, leaves), spec=spec, generator=7, t=t)
    assert torch.equal(changed, base)
    for seen in spy.seen[:1]:
        assert bool((seen["nodes"][~masks["nodes"]] == 0).all())  # padding stays absent
        real = seen["nodes"] != 0
        assert torch.equal(real, masks["nodes"])  # noisy real nodes are masked or revealed, never absent
        if form == "2d":
            e = seen["edges"]
            assert torch.equal(e, e.transpose(1, 2)) and bool((e[~masks["edges"]] == 0).all())
            assert bool((e.diagonal(dim1=1, dim2=2) == 0).all())
        else:
            pos = seen["pos"].double()
            com = (pos * real[..., None]).sum(1) / real.sum(1, keepdim=True)
            assert float(com.abs().max()) < 1e-5 and float(pos[~real].abs().max()) == 0.0
            assert float(pos[real].std()) > 0.5  # it is noised (t >= 0.2)


def test_sample_spec_draws_node_counts_from_the_training_split_per_seed(qm9_3d_model: TrainedModel) -> None:
    adapter = qm9_3d_model.adapter
    p = adapter.node_counts.probs
    counts = adapter.sample_spec(list(range(4000))).masks["nodes"].sum(1)
    freq = torch.bincount(counts, minlength=len(p)).double() / 4000
    assert float((freq - p).abs().max()) < 0.03 and set(counts.tolist()) <= set(p.nonzero().reshape(-1).tolist())
    assert torch.equal(adapter.sample_spec([5, 6]).masks["nodes"], adapter.sample_spec([9, 5, 6]).masks["nodes"][1:])
    assert int(adapter.sample_spec(list(range(200)), at_least=18).masks["nodes"].sum(1).min()) >= 18


EXPERIMENTS = {
    "graphs_qm9_2d": (len(QM9_HEAVY) + 1, 4),
    "graphs_qm9_2d_logp": (len(QM9_HEAVY) + 1, 4),
    "graphs_qm9_3d": (len(QM9_ATOMS) + 1, None),
    "graphs_qm9_3d_gap": (len(QM9_ATOMS) + 1, None),
    "graphs_moses": (len(MOSES_HEAVY) + 1, 4),
    "graphs_sbm": (2, 2),
    "graphs_planar": (2, 2),
    "graphs_grid": (2, 2),
}


@pytest.mark.parametrize("experiment", sorted(EXPERIMENTS))
def test_experiment_configs_compose_with_the_adapters_classes(experiment: str) -> None:
    cfg = graphs_config(experiment)
    assert cfg["domain"]["name"] == "graphs" and cfg["model"]["parametrization"] == "direct"
    cats = cfg["process"]["kwargs"]["categorical"]
    nodes, edges = EXPERIMENTS[experiment]
    assert cats["nodes"]["kwargs"]["num_classes"] == nodes
    assert (cats["edges"]["kwargs"]["num_classes"] if "edges" in cats else None) == edges
    assert (cfg["process"]["kwargs"]["continuous"] is not None) == ("3d" in experiment)
    assert isinstance(process_from(cfg["process"]), MixedProcess)
    if experiment.endswith(("_logp", "_gap")):
        assert cfg["domain"]["options"]["condition"] == (["logp"] if "logp" in experiment else ["gap_Ha"])


@pytest.mark.parametrize("source", ["sbm", "planar", "grid"])
def test_synthetic_experiments_match_the_adapters_default_process(source: str) -> None:
    cfg = graphs_config(f"graphs_{source}")
    adapter = GraphAdapter(**{**cfg["domain"]["options"], "n_graphs": 5})
    adapter.datasets(0)
    assert cfg["process"] == adapter.default_process()


def test_size_grouped_batches_are_trimmed_to_their_largest_graph_and_lose_only_padding(
    qm9_csv: Path, tmp_path: Path
) -> None:
    from sciddiff.train.data import AdapterData, EpochSampler

    adapter = GraphAdapter(source="qm9_3d", files=[str(qm9_csv)], cache=str(tmp_path))
    data = AdapterData(adapter, batch_size=16, seed=0, size_pool=4)
    data.setup()
    train, loader = data.splits["train"], data.train_dataloader()
    order = loader.sampler.order(0)
    spans = []
    for k, batch in enumerate(loader):
        items = [train[i] for i in order[16 * k : 16 * (k + 1)]]
        full = torch.utils.data.default_collate(items)
        counts = full["mask"]["nodes"].sum(1)
        n = int(counts.max())
        spans.append(int(counts.max() - counts.min()))
        assert batch["x"]["pos"].shape[1] == n
        assert bool((full["mask"]["nodes"][:, n:] == 0).all())  # what was cut was padding
        for part in ("x", "mask"):
            for leaf, v in full[part].items():
                assert torch.equal(batch[part][leaf], v[:, :n])
        spec = adapter.batch_spec(batch)
        assert spec.leaves["pos"].event_shape == (n, 3) and spec.leaves["nodes"].event_shape == (n,)
    # grouped by size: batches span far fewer node counts than the same epoch's ungrouped batches
    plain = EpochSampler(len(train), 0).order(0)
    random = [train.sizes[plain[i : i + 16]] for i in range(0, len(plain) - 15, 16)]
    assert sum(spans) / len(spans) < 0.5 * sum(int(c.max() - c.min()) for c in random) / len(random)


def test_size_grouping_is_refused_for_data_without_item_sizes() -> None:
    from sciddiff.train import build_adapter
    from sciddiff.train.data import AdapterData

    data = AdapterData(build_adapter("tabular"), batch_size=16, seed=0, size_pool=4)
    with pytest.raises(ValueError, match=r"data\.size_pool=4 .* has no per-item sizes"):
        data.train_dataloader()
