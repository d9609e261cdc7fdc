"""QM9 (qm9pack layout) and MOSES (molsets wheel layout) readers on small files, plus the real packages."""

from __future__ import annotations

import gzip
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
import torch
from sciddiff.domains.graphs.datasets import (
    QM9_ATOMS,
    load_moses,
    load_qm9,
    molsets_source,
    qm9_files,
    read_moses_smiles,
    split_indices,
)

from sciddiff.train.cache import load_plain

_HEADER = (
    "XYZ_file,Index,SMILES,InChi,N_atoms,Stoichiometry,Elements,XYZ_Ang,Mulliken_pop,Harmonic_Freq_cmi,RotA_GHz,"
    "RotB_GHz,RotC_GHz,Dipole_debye,Polarizability_bohr3,HOMO_au,LUMO_au,HOMO_LUMO_gap_au,R2_bohr2,ZPVE_au,"
    "InternalEnergy_0K_au,InternalEnergy_298K_au,Enthalphy_298K_au,GibbsFreeEnergy_298K_au,Heatcapacity_Cv_cal_mol_K"
)
_METHANE_XYZ = "[[-0.0127,1.0858,0.0080],[0.0022,-0.0060,0.0020],[1.0117,1.4638,0.0003],[-0.5408,1.4475,-0.8766],[-0.5238,1.4379,0.9064]]"
_HCN_XYZ = "[[-0.0133,1.1325,0.0083],[0.0023,-0.0192,0.0019],[-0.0278,2.1989,0.0142]]"


def _row(index: int, smiles: str, elements: list[str], xyz: str, gap: float) -> str:
    els = "[" + ",".join(f"'{e}'" for e in elements) + "]"
    props = f"1.0,2.0,-0.3,0.1,{gap},30.0,0.04,-40.0,-40.0,-40.0,-40.0,6.5"
    return f'"dsgdb9nsd_{index:06d}.xyz",{index},"{smiles}","InChI",{len(elements)},"[]","{els}","{xyz}","[]","[]",1,1,1,{props}'


def _qm9_file(tmp_path: Path, extra: list[str] = ()) -> Path:
    rows = []
    for k in range(8):  # records 0..7: methane and HCN alternately, gap = record number
        if k % 2 == 0:
            rows.append(_row(k + 1, "C", ["C", "H", "H", "H", "H"], _METHANE_XYZ, float(k)))
        else:
            rows.append(_row(k + 1, "C#N", ["C", "N", "H"], _HCN_XYZ, float(k)))
    rows.append(_row(9, "C1CC", ["C", "H", "H", "H", "H"], _METHANE_XYZ, 8.0))  # bad SMILES, good geometry
    rows.append(_row(10, "C#N", ["C", "N", "H"], "[[0.0,0.0,0.0],[1.0,0.0]]", 9.0))  # bad geometry
    path = tmp_path / "qm9_small.csv"
    path.write_text("\n".join([_HEADER, *rows, *extra]) + "\n")
    return path


def test_qm9_forms_skips_and_cache(tmp_path: Path) -> None:
    src = _qm9_file(tmp_path)
    d3 = load_qm9("3d", split=None, files=[src], cache=tmp_path)
    d2 = load_qm9("2d", split=None, files=[src], cache=tmp_path)
    assert d3.report.skipped == [(9, "QM9 index 10: 5 coordinates for 3 atoms")]
    assert [i for i, _ in d2.report.skipped] == [8]
    assert len(d3) == len(d2) == 9
    methane, hcn = d3[0], d3[1]
    assert [QM9_ATOMS[t] for t in methane.x.tolist()] == ["C", "H", "H", "H", "H"]
    assert methane.pos.shape == (5, 3) and abs(float(methane.pos[0, 1]) - 1.0858) < 1e-6
    assert hcn.y[0, 4].item() == 1.0 and hcn.record.item() == 1 and hcn.qm9_index.item() == 2
    g = d2[1]  # heavy-atom HCN: C#N, a triple bond in both directions
    assert g.x.tolist() == [0, 1] and g.edge_attr.tolist() == [3, 3] and g.edge_index.dtype == torch.long
    cached = sorted(p.name for p in tmp_path.glob("qm9_*.pt"))
    assert len(cached) == 2
    raw = load_plain(tmp_path / cached[1])  # readable with weights_only=True
    assert torch.equal(raw["node_ptr"], d3.node_ptr)
    again = load_qm9("3d", split=None, files=[src], cache=tmp_path)
    assert torch.equal(again.node["pos"], d3.node["pos"])


def test_qm9_splits_are_seeded_and_shared_by_both_forms(tmp_path: Path) -> None:
    src = _qm9_file(tmp_path)
    fr = (0.6, 0.2, 0.2)
    parts = split_indices(10, fr, seed=3)
    assert [len(parts[s]) for s in ("train", "val", "test")] == [6, 2, 2]
    assert torch.equal(torch.cat(list(parts.values())).sort().values, torch.arange(10))
    for split in ("train", "val", "test"):
        d3 = load_qm9("3d", split, seed=3, fractions=fr, files=[src], cache=tmp_path)
        d2 = load_qm9("2d", split, seed=3, fractions=fr, files=[src], cache=tmp_path)
        expected = parts[split].tolist()
        assert d3.graph["record"].tolist() == [r for r in expected if r != 9]
        assert d2.graph["record"].tolist() == [r for r in expected if r != 8]
        # the record's property (gap = record number) travels with it
        assert d3.graph["y"][:, 4].tolist() == [float(r) for r in d3.graph["record"].tolist()]
    assert not torch.equal(split_indices(10, fr, seed=4)["train"], parts["train"])


def test_qm9_unsupported_element_stops_before_processing(tmp_path: Path) -> None:
    sulfur = _row(11, "S", ["S", "H", "H"], "[[0,0,0],[1.3,0,0],[0,1.3,0]]", 1.0)
    src = _qm9_file(tmp_path, [sulfur])
    with pytest.raises(ValueError, match=r"record 10 of QM9 \(qm9_small.csv\) contains element 'S'"):
        load_qm9("3d", split=None, files=[src], cache=tmp_path)
    with pytest.raises(ValueError, match=r"record 10 of QM9 \(qm9_small.csv\) contains element 'S'"):
        load_qm9("2d", split=None, files=[src], cache=tmp_path)
    assert not list(tmp_path.glob("qm9_*.pt"))


@pytest.mark.skipif(importlib.util.find_spec("qm9pack") is None, reason="qm9pack not installed")
def test_qm9pack_files_hold_130831_records() -> None:
    files = qm9_files()
    rows = sum(sum(1 for _ in f.open()) - 1 for f in files)
    assert rows == 130_831
    first = files[0].open().readlines()[1]
    assert first.startswith('"dsgdb9nsd_000001.xyz",1,"C"')


def _fake_wheel(tmp_path: Path, splits: dict[str, list[str]]) -> Path:
    path = tmp_path / "molsets-0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for split, smiles in splits.items():
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
                gz.write(("SMILES\n" + "\n".join(smiles) + "\n").encode())
            wheel.writestr(f"moses/dataset/data/{split}.csv.gz", buf.getvalue())
    return path


def test_moses_reader_subset_and_skips(tmp_path: Path) -> None:
    train = ["CCO", "c1ccccc1Cl", "C1CC", "CC(=O)Nc1ccc(Br)cc1", "CSC", "O=C1CCCN1"]
    wheel = _fake_wheel(tmp_path, {"train": train, "test": ["CCN"]})
    assert read_moses_smiles("train", wheel) == train
    full = load_moses("train", n=None, source=wheel, cache=tmp_path)
    assert full.graph["record"].tolist() == [0, 1, 3, 4, 5]
    assert full.report.skipped == [(2, "invalid SMILES 'C1CC'")]
    assert [full.meta["atom_vocab"][t] for t in full[1].x.tolist()] == ["C"] * 6 + ["Cl"]
    sub = load_moses("train", n=4, seed=1, source=wheel, cache=tmp_path)
    chosen = torch.randperm(6, generator=torch.Generator().manual_seed(1))[:4].sort().values.tolist()
    assert sub.graph["record"].tolist() == [r for r in chosen if r != 2]
    assert sub.strings["smiles"] == [full.strings["smiles"][[0, 1, 3, 4, 5].index(r)] for r in chosen if r != 2]
    with pytest.raises(ValueError, match=r"split must be one of"):
        read_moses_smiles("valid", wheel)


def test_moses_unsupported_element_names_file_row(tmp_path: Path) -> None:
    wheel = _fake_wheel(tmp_path, {"train": ["CCO", "C1CC", "CCC", "C[Si](C)(C)C"]})
    with pytest.raises(ValueError, match=r"record 3 of MOSES train contains element 'Si'"):
        load_moses("train", n=None, source=wheel, cache=tmp_path)


def test_real_molsets_test_split() -> None:
    try:
        source = molsets_source()
    except FileNotFoundError:
        pytest.skip("molsets files not available (pip download molsets==0.3.1 --no-deps -d $SCIDDIFF_CACHE/packages)")
    smiles = read_moses_smiles("test", source)
    assert len(smiles) == 176_074
    assert smiles[0] == "CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1"
