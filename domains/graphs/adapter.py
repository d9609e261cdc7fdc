"""The graph and molecule adapter: torch-geometric ``Data`` in and out, dense padded states with node masks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import xarray as xr
from sciddiff.domains.graphs.conditions import property_table
from sciddiff.domains.graphs.encoding import decode_state, dense_from_packed, encode_graphs
from sciddiff.domains.graphs.evaluation import graph_metrics
from sciddiff.domains.graphs.items import GraphItems, NodeCounts
from sciddiff.domains.graphs.layout import GraphLayout, node_mask_of_counts
from sciddiff.domains.graphs.metrics import TrainingSet, training_set
from sciddiff.domains.graphs.nets.structure import edge_weights
from sciddiff.domains.graphs.outputs import graphs_dataset, plot_graphs, write_graphs
from sciddiff.domains.graphs.sources import SOURCES, SYNTHETIC, load_source
from torch import Tensor
from torch.utils.data import default_collate
from torch_geometric.data import Data

from sciddiff.state import StateSpec
from sciddiff.train import Adapter

LOG = logging.getLogger(__name__)
MAX_KEPT_SKIPS = 100  # skipped records (number, reason) kept in a checkpoint

NETS = "sciddiff.domains.graphs.nets"


class GraphAdapter(Adapter):
    """Graphs and molecules from ``source`` (qm9_2d, qm9_3d, moses, smiles, sbm, planar, grid; see
    :mod:`sciddiff.domains.graphs.sources`) as states with the leaves of :mod:`sciddiff.domains.graphs.layout`.

    Options: ``split_seed`` and ``fractions`` of the split; ``limit`` keeps at most that many graphs per split;
    ``kekulize`` bond classes; ``charges`` adds formal charges (2-D) or atomic-number features (3-D);
    ``condition`` lists properties (``qed``, ``logp``, ``sa``, or QM9's such as ``gap_Ha``) whose standardised
    values go to the network as ``vector``, dropped with probability ``p_uncond`` in training; ``n_graphs`` sizes
    the synthetic and MOSES sources; ``smiles`` / ``atom_vocab`` feed the smiles source; ``files`` replaces
    qm9pack's CSV files; ``moses_source`` the molsets wheel; ``cache`` the cache directory; ``max_nodes`` the
    padded size (default: the largest graph of the source). New samples draw their node count from the training
    split's node-count distribution, each from its own seed.

    The experiment configs diffuse node and edge types with masked (absorbing) categorical diffusion, trained on
    its ELBO, -alpha'(t) / (1 - alpha(t)) times the cross-entropy on masked entries (Sahoo et al., "Simple and
    Effective Masked Diffusion Language Models", 2024, arXiv:2406.07524; Shi et al., "Simplified and Generalized
    Masked Diffusion for Discrete Data", 2024, arXiv:2406.04329), with a DiGress-style graph transformer for 2-D
    graphs (Vignac et al., "DiGress: Discrete Denoising Diffusion for Graph Generation", 2023, arXiv:2209.14734),
    and for 3-D molecules VP diffusion of zero-centre-of-mass coordinates with an EGNN (Hoogeboom et al.,
    "Equivariant Diffusion for Molecule Generation in 3D", 2022, arXiv:2203.17003).
    """

    name = "graphs"
    version = "1"
    domain_app = "sciddiff.domains.graphs.app"

    def __init__(
        self,
        source: str = "qm9_2d",
        split_seed: int = 0,
        fractions: Sequence[float] | None = None,
        limit: int | None = None,
        kekulize: bool = True,
        charges: bool = False,
        condition: Sequence[str] | None = None,
        p_uncond: float = 0.1,
        n_graphs: int | None = None,
        smiles: Sequence[str] | None = None,
        atom_vocab: Sequence[str] | None = None,
        files: Sequence[str] | None = None,
        moses_source: str | None = None,
        cache: str | None = None,
        max_nodes: int | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown graph source {source!r}; choose one of {SOURCES}")
        if source in SYNTHETIC and (charges or condition):
            raise ValueError(f"source {source!r} holds unattributed graphs: it has no charges and no properties")
        if not 0.0 <= p_uncond <= 1.0:
            raise ValueError(f"p_uncond must lie in [0, 1]; got {p_uncond}")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 graphs per split; got {limit}")
        super().__init__(
            source=source, split_seed=split_seed, fractions=None if fractions is None else [float(f) for f in fractions],
            limit=limit, kekulize=kekulize, charges=charges, condition=None if not condition else list(condition),
            p_uncond=p_uncond, n_graphs=n_graphs, smiles=None if smiles is None else list(smiles),
            atom_vocab=None if atom_vocab is None else list(atom_vocab),
            files=None if files is None else [str(f) for f in files], moses_source=moses_source, cache=cache,
            max_nodes=max_nodes,
        )  # fmt: skip
        self.layout: GraphLayout | None = None
        self.pos_scale = 1.0
        self.node_counts: NodeCounts | None = None
        self.cond_mean = self.cond_std = None
        self.report: dict[str, Any] | None = None
        self.train_smiles: list[str] | None = None
        self._train_set: TrainingSet | None = None

    # ------------------------------------------------------------------ data
    def datasets(self, seed: int) -> dict[str, GraphItems]:
        o = self.options
        data = load_source(
            o["source"], o["split_seed"], o["fractions"], o["kekulize"], o["n_graphs"], o["smiles"],
            o["atom_vocab"], o["files"], o["moses_source"], o["cache"],
        )  # fmt: skip
        splits = {k: v for k, v in data.splits.items() if len(v)}
        if "train" not in splits:
            raise ValueError(
                f"source {o['source']!r} left no training graphs (split sizes {[len(v) for v in data.splits.values()]})"
            )
        if o["limit"] is not None:
            splits = {k: v.subset(torch.arange(min(o["limit"], len(v)))) for k, v in splits.items()}
        largest = max(int(v.num_nodes.max()) for v in splits.values())
        n = o["max_nodes"] or largest
        if n < largest:
            raise ValueError(f"max_nodes={n} is smaller than the largest graph of {o['source']!r} ({largest} nodes)")
        charges = ("atomic_number" if data.positions else "formal") if o["charges"] else None
        self.layout = GraphLayout(data.node_vocab, data.edge_vocab, n, data.positions, charges, data.molecule)
        self.report = data.report
        skipped = (self.report or {}).get("skipped", [])
        if skipped:
            shown = "; ".join(f"record {i}: {why}" for i, why in skipped[:5])
            LOG.warning(
                "%s: skipped %d of %d input records (%s%s)", o["source"], len(skipped),
                int(self.report.get("n_records", 0)), shown, "; ..." if len(skipped) > 5 else "",
            )  # fmt: skip
        dense = {k: dense_from_packed(v, self.layout) for k, v in splits.items()}
        if data.positions:
            train = dense["train"]
            self.pos_scale = float((train["pos"].double() ** 2).sum() / (3 * train["counts"].sum())) ** 0.5
            for d in dense.values():
                d["pos"] = d["pos"] / self.pos_scale
        self.node_counts = NodeCounts.of(splits["train"].num_nodes, n)
        self.train_smiles, self._train_set = splits["train"].strings.get("smiles"), None
        vectors: dict[str, Tensor | None] = dict.fromkeys(splits)
        if o["condition"]:
            tables = {k: property_table(v, o["condition"], o["cache"]) for k, v in splits.items()}
            self.cond_mean = tables["train"].mean(0)
            self.cond_std = tables["train"].std(0).clamp_min(1e-12)
            vectors = {k: self.normalise(v) for k, v in tables.items()}
        return {k: GraphItems(self.layout, dense[k], vectors[k]) for k in splits}

    def _fitted(self) -> GraphLayout:
        if self.layout is None:
            raise ValueError("the graph adapter is not fitted: call datasets() or load_state_dict() first")
        return self.layout

    def state_spec(self) -> StateSpec:
        return self._fitted().spec()

    def batch_spec(self, batch: dict[str, Any]) -> StateSpec:
        """The spec of a batch, at its own node count (a batch from :meth:`collate` is trimmed)."""
        return self._fitted().bound_spec(batch["mask"]["nodes"])

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack training items and cut the node slots past the batch's largest graph (pure padding)."""
        batch = default_collate(items)
        layout = self._fitted()
        n = int(batch["mask"]["nodes"].sum(1).max())
        return {**batch, "x": layout.trim(batch["x"], n), "mask": layout.trim(batch["mask"], n)}

    def sample_spec(self, seeds: Sequence[int], at_least: int = 1) -> StateSpec:
        """Masks for new samples: sample i has ``node_counts.draw`` nodes from its own seed."""
        layout = self._fitted()
        counts = self.node_counts.draw(seeds, at_least)
        return layout.bound_spec(node_mask_of_counts(counts, layout.max_nodes))

    def normalise(self, values: Tensor) -> Tensor:
        """Condition vectors (B, k) in physical units -> the network's standardised ``vector``."""
        if self.cond_mean is None:
            raise ValueError("this model was trained without a condition; there is nothing to normalise")
        v = torch.as_tensor(values, dtype=torch.float64)
        if v.dim() != 2 or v.shape[1] != len(self.cond_mean):
            raise ValueError(
                f"condition values have shape {tuple(v.shape)}; need (B, {len(self.cond_mean)}) for {self.options['condition']}"
            )
        return ((v - self.cond_mean) / self.cond_std).float()

    def conditions(self) -> dict[str, Any]:
        cond = self.options["condition"]
        return {"cond_dim": len(cond), "p_uncond": float(self.options["p_uncond"])} if cond else {}

    # ------------------------------------------------------------------ units
    def encode(self, raw: Sequence[Data]) -> dict[str, Tensor]:
        return encode_graphs(list(raw), self._fitted(), self.pos_scale)[0]

    def decode(self, state: dict[str, Tensor]) -> list[Data]:
        return decode_state(state, self._fitted(), self.pos_scale)

    # ------------------------------------------------------------------ model
    def default_process(self) -> dict[str, Any]:
        """The process record the experiment configs use: masked (absorbing) categorical leaves with a cosine
        keep-schedule, and VP coordinates for 3-D molecules."""
        spec = self.state_spec()
        cats = {
            k: {"name": "masked", "kwargs": {"num_classes": spec.leaves[k].num_classes, "schedule": "cosine"}}
            for k in spec.categorical
        }
        return {
            "name": "mixed",
            "kwargs": {"continuous": {"name": "vp"} if spec.continuous else None, "categorical": cats},
        }

    def default_backbone(self) -> dict[str, Any]:
        layout = self._fitted()
        name = f"{NETS}:MoleculeDenoiser" if layout.positions else f"{NETS}:GraphDenoiser"
        sizes = {"hidden": 128, "n_layers": 6} if layout.positions else {"n_layers": 4}
        return {"name": name, **self.backbone_shape(name), **sizes}

    def backbone_shape(self, backbone: str) -> dict[str, Any]:
        layout = self._fitted()
        if backbone.endswith(":MoleculeDenoiser"):
            if not layout.positions:
                raise ValueError(f"MoleculeDenoiser needs 3-D molecules; source {self.options['source']!r} is 2-D")
            return {"node_classes": layout.node_classes, "charges": layout.charges == "atomic_number"}
        if backbone.endswith(":GraphDenoiser"):
            if layout.positions:
                raise ValueError(f"GraphDenoiser is for 2-D graphs; source {self.options['source']!r} is 3-D")
            return {
                "node_classes": layout.node_classes,
                "edge_classes": len(layout.edge_vocab),
                "charge_classes": 3 if layout.charges == "formal" else 0,
                "edge_weights": edge_weights(layout.edge_vocab),
            }
        raise ValueError(f"the graph adapter shapes {NETS}:GraphDenoiser and :MoleculeDenoiser, not {backbone!r}")

    # ------------------------------------------------------------------ outputs
    def metrics(self, samples: list[Data], reference: list[Data]) -> dict[str, float]:
        if self._train_set is None and self.train_smiles:
            self._train_set = training_set(self.train_smiles)
        return graph_metrics(samples, reference, self._fitted(), self.options["source"], self._train_set)

    def to_xarray(self, raw: list[Data], attrs: Any) -> xr.Dataset:
        return graphs_dataset(raw, self._fitted(), attrs)

    def write(self, raw: list[Data], directory: Path, attrs: Any) -> list[Path]:
        return write_graphs(raw, self._fitted(), Path(directory))

    def plot(self, raw: list[Data], path: Path, reference: Any = None) -> Path | None:
        return plot_graphs(raw, self._fitted(), Path(path))

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        layout = self._fitted()
        report = self.report or {}
        return {
            "layout": layout.to_dict(),
            "pos_scale": self.pos_scale,
            "node_count_probs": self.node_counts.probs,
            "cond_mean": self.cond_mean,
            "cond_std": self.cond_std,
            "report": {
                "n_records": int(report.get("n_records", 0)),
                "n_skipped": len(report.get("skipped", [])),
                "skipped": [list(r) for r in report.get("skipped", [])[:MAX_KEPT_SKIPS]],  # the first, with reasons
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.layout = GraphLayout.from_dict(state["layout"])
        self.pos_scale = float(state["pos_scale"])
        self.node_counts = NodeCounts(state["node_count_probs"])
        self.cond_mean, self.cond_std = state["cond_mean"], state["cond_std"]
        self.report = dict(state["report"])
