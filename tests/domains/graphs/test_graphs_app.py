"""The graphs task app end to end on tiny trained models: the files it writes and what they hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import xarray as xr
from hydra import compose, initialize
from PIL import Image
from rdkit import Chem
from rdkit.Chem import Crippen
from sciddiff.domains.graphs import app
from sciddiff.domains.graphs.chem import graph_molecule
from sciddiff.domains.graphs.metrics import canonical_smiles
from sciddiff.domains.graphs.outputs import graphs_from_plain
from sciddiff.domains.graphs.tasks import conditional, unconditional

from sciddiff.train import TrainedModel
from sciddiff.train.build import plain


def task_config(*overrides: str) -> dict:
    with initialize(config_path=None, version_base="1.3"):
        return plain(compose("graphs_task", overrides=["checkpoint=none", "n_samples=6", "steps=4", *overrides]))


def _same_graphs(a, b) -> bool:
    return all(torch.equal(g.x, h.x) and torch.equal(g.edge_index, h.edge_index) for g, h in zip(a, b, strict=True))


def test_unconditional_2d_writes_smiles_sdf_data_figure_and_metrics(qm9_2d_model: TrainedModel, tmp_path: Path):
    out = app.run(task_config("task=unconditional"), tmp_path, model=qm9_2d_model)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(app.OUTPUTS)
    graphs, layout = out["graphs"], qm9_2d_model.adapter.layout
    lines = (tmp_path / "samples.smi").read_text().splitlines()
    assert lines == [canonical_smiles(graph_molecule(g, layout)) or "" for g in graphs]
    for s in filter(None, lines):
        assert Chem.MolFromSmiles(s) is not None and canonical_smiles(s) == s
    saved = graphs_from_plain(torch.load(tmp_path / "graphs.pt", weights_only=True))
    assert _same_graphs(saved, graphs) and all(
        torch.equal(g.edge_attr, h.edge_attr) for g, h in zip(saved, graphs, strict=True)
    )
    sdf = Chem.SDMolSupplier(str(tmp_path / "samples.sdf"), sanitize=False)
    mols = list(sdf)
    assert len(mols) == 6 and [m.GetNumAtoms() for m in mols] == [int(g.num_nodes) for g in graphs]
    metrics = json.loads((tmp_path / "metrics.json").read_text())["metrics"]
    assert metrics["n_samples"] == 6 and metrics["n_train"] == 160
    assert metrics["validity"] == pytest.approx(sum(bool(s) for s in lines) / 6)
    assert metrics["novelty"] is not None or metrics["validity"] == 0
    assert Image.open(tmp_path / "samples.png").size[0] > 200
    with pytest.raises(ValueError, match=r"already holds \['graphs.pt'"):
        app.run(task_config("task=unconditional"), tmp_path, model=qm9_2d_model)


def test_unconditional_3d_sdf_holds_the_generated_coordinates(qm9_3d_model: TrainedModel, tmp_path: Path):
    out = app.run(task_config("task=unconditional"), tmp_path, model=qm9_3d_model)
    mols = list(Chem.SDMolSupplier(str(tmp_path / "samples.sdf"), sanitize=False, removeHs=False))
    assert len(mols) == 6
    for mol, g in zip(mols, out["graphs"], strict=True):
        conf = mol.GetConformer()
        assert conf.Is3D() and mol.GetNumAtoms() == int(g.num_nodes)
        assert [a.GetSymbol() for a in mol.GetAtoms()] == [qm9_3d_model.adapter.layout.node_vocab[i] for i in g.x]
        assert torch.allclose(torch.tensor(conf.GetPositions()), g.pos, atol=1e-4)  # molfile: 4 decimals
    metrics = out["summary"]["metrics"]
    assert 0.0 <= metrics["atom_stability"] <= 1.0 and metrics["n_samples"] == 6


def test_unconditional_sbm_writes_graphs_and_mmds(sbm_model: TrainedModel, tmp_path: Path):
    out = app.run(task_config("task=unconditional", "n_samples=3"), tmp_path, model=sbm_model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graphs.pt", "metrics.json", "samples.png"]
    m = out["summary"]["metrics"]
    assert m["n_reference"] == len(app.fitted_splits(sbm_model)["test"]) == 2 and set(m) >= {
        "degree",
        "clustering",
        "spectre",
        "validity",
    }
    assert m["degree"] > 0.0  # untrained samples differ from SBM graphs


def test_conditional_guidance_at_w0_is_unconditional_and_scores_logp(logp_model: TrainedModel, tmp_path: Path):
    cfg = task_config("task=conditional", "condition.target=[0.5]", "condition.guidance_scale=3.0")
    out = app.run(cfg, tmp_path, model=logp_model)
    s = out["summary"]
    assert s["target"] == [0.5] and s["guidance_scale"] == 3.0 and "unconditional" in s
    logps = [Crippen.MolLogP(Chem.MolFromSmiles(x)) for x in (tmp_path / "samples.smi").read_text().splitlines() if x]
    if logps:
        assert s["property_mae"]["logp"] == pytest.approx(sum(abs(v - 0.5) for v in logps) / len(logps), abs=1e-9)
    assert s["n_valid"] == len(logps)
    base = unconditional(logp_model, 4, "ancestral", 4, seed=1)
    assert _same_graphs(conditional(logp_model, [0.5], 4, "ancestral", 4, 0.0, seed=1), base)
    guided = conditional(logp_model, [3.0], 4, "ancestral", 4, 4.0, seed=1)
    assert not _same_graphs(guided, base)
    with pytest.raises(ValueError, match=r"target \[1.0, 2.0\] has 2 values; the model conditions on \['logp'\]"):
        conditional(logp_model, [1.0, 2.0], 2, "ancestral", 2)


def test_conditional_needs_a_conditioned_model_and_a_target(qm9_2d_model: TrainedModel, tmp_path: Path):
    with pytest.raises(ValueError, match="trained without a condition"):
        app.run(task_config("task=conditional", "condition.target=[1.0]"), tmp_path, model=qm9_2d_model)


def test_scaffold_2d_samples_contain_the_scaffold_exactly(qm9_2d_model: TrainedModel, tmp_path: Path):
    out = app.run(task_config("task=scaffold", "scaffold.smiles=C1CCOC1", "n_samples=8"), tmp_path, model=qm9_2d_model)
    s = out["summary"]
    assert s["fixed_part_exact"] == 1.0 and s["substructure_match"] in (None, 1.0)
    query = Chem.MolFromSmiles("C1CCOC1")
    for g in out["graphs"]:
        assert int(g.num_nodes) >= 5
        mol = graph_molecule(g, qm9_2d_model.adapter.layout)
        mol.UpdatePropertyCache(strict=False)
        Chem.FastFindRings(mol)
        assert mol.HasSubstructMatch(query)


def test_scaffold_3d_holds_the_coordinates_up_to_translation(qm9_3d_model: TrainedModel, tmp_path: Path):
    cfg = task_config("task=scaffold", "scaffold.smiles='CC=O'", "scaffold.hydrogens=true", "n_samples=5")
    out = app.run(cfg, tmp_path, model=qm9_3d_model)
    s = out["summary"]
    assert s["fixed_part_exact"] == 1.0 and s["max_coordinate_error"] < 1e-4
    vocab = qm9_3d_model.adapter.layout.node_vocab
    for g in out["graphs"]:
        assert [vocab[i] for i in g.x[:3]] == ["C", "C", "O"] and int(g.num_nodes) >= 7
        assert float(g.pos.mean(0).abs().max()) < 1e-4  # the whole molecule stays centred


def test_scaffold_files_must_exist_and_hold_3d_coordinates(qm9_3d_model: TrainedModel, tmp_path: Path):
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles("CC=O"))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    Chem.MolToMolFile(mol, str(tmp_path / "3d.sdf"))
    flat = Chem.AddHs(Chem.MolFromSmiles("CC=O"))
    AllChem.Compute2DCoords(flat)
    Chem.MolToMolFile(flat, str(tmp_path / "2d.sdf"))
    common = ("task=scaffold", "scaffold.hydrogens=true", "n_samples=3")
    out = app.run(task_config(*common, f"scaffold.file={tmp_path / '3d.sdf'}"), tmp_path / "a", model=qm9_3d_model)
    assert out["summary"]["fixed_part_exact"] == 1.0 and out["summary"]["max_coordinate_error"] < 1e-4
    with pytest.raises(ValueError, match=r"holds a flat \(2-D\) drawing; a 3-D model needs 3-D coordinates"):
        app.run(task_config(*common, f"scaffold.file={tmp_path / '2d.sdf'}"), tmp_path / "b", model=qm9_3d_model)
    with pytest.raises(FileNotFoundError, match="no scaffold file at"):
        app.run(task_config(*common, f"scaffold.file={tmp_path / 'none.sdf'}"), tmp_path / "c", model=qm9_3d_model)


def test_scaffold_refuses_unknown_elements_and_graph_models(qm9_2d_model, sbm_model, tmp_path: Path):
    with pytest.raises(ValueError, match="element 'S'"):
        app.run(task_config("task=scaffold", "scaffold.smiles=CCS"), tmp_path / "a", model=qm9_2d_model)
    with pytest.raises(ValueError, match="needs a molecule model"):
        app.run(task_config("task=scaffold", "scaffold.smiles=CC"), tmp_path / "b", model=sbm_model)


def test_the_app_runs_from_the_command_line(qm9_2d_model: TrainedModel, tmp_path: Path):
    args = [f"checkpoint={qm9_2d_model.path}", "n_samples=3", "steps=2", f"hydra.run.dir={tmp_path}", "metrics=false"]
    done = subprocess.run([sys.executable, "-m", "sciddiff.domains.graphs.app", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len((tmp_path / "samples.smi").read_text().splitlines()) == 3
    assert json.loads((tmp_path / "metrics.json").read_text())["checkpoint"] == str(qm9_2d_model.path)


def test_generic_apps_point_graph_models_to_the_graphs_app(qm9_2d_model: TrainedModel, tmp_path: Path):
    from hydra import compose, initialize_config_module

    from sciddiff.train.apps import evaluate, sample, solve
    from sciddiff.train.build import plain

    def cfg(name: str, *overrides: str) -> dict:
        with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
            return plain(compose(name, overrides=["checkpoint=none", *overrides]))

    pointer = (
        r"for 'graphs' models, whose samples are not fixed-shape tensors; use python -m sciddiff.domains.graphs.app"
    )
    with pytest.raises(ValueError, match=r"sciddiff-evaluate cannot score samples " + pointer):
        evaluate.run(cfg("evaluate"), tmp_path / "e", model=qm9_2d_model)
    with pytest.raises(ValueError, match=r"sciddiff-solve cannot solve inverse problems"):
        solve.run(cfg("solve"), tmp_path / "s", model=qm9_2d_model)
    with pytest.raises(ValueError, match=r"sciddiff-sample cannot sample conditionally " + pointer):
        sample.run(cfg("sample", "guidance_scale=2.0"), tmp_path / "g", model=qm9_2d_model)
    assert not any(p.exists() for p in (tmp_path / "e", tmp_path / "s", tmp_path / "g"))


@pytest.mark.parametrize("solver", ["ancestral", "first_hitting"])
def test_sciddiff_sample_draws_graphs_with_the_categorical_solver_configs(
    qm9_2d_model: TrainedModel, tmp_path: Path, solver: str
):
    from hydra import compose, initialize_config_module

    from sciddiff.train.apps import sample
    from sciddiff.train.build import plain

    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(
            compose("sample", overrides=["checkpoint=none", f"solver={solver}", "n_samples=4", "solver.steps=5"])
        )
    out = sample.run(cfg, tmp_path, model=qm9_2d_model)
    vocab = qm9_2d_model.adapter.layout.node_vocab
    assert len(out["samples"]) == 4 and all(int(g.x.min()) >= 0 and int(g.x.max()) < len(vocab) for g in out["samples"])
    ds = xr.open_dataset(tmp_path / "samples.nc")  # every token ended unmasked, in the vocabulary
    assert ds.attrs["solver"] == solver
