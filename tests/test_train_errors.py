"""Bad input to the training stack gets a clear message, and nothing already written is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from hydra.errors import ConfigCompositionException
from sciddiff.domains.tabular import TabularAdapter
from train_setup import checkpoint_of, train_config

from sciddiff.train import TrainingDiverged, build_adapter, fit, load_trained, read_checkpoint


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit(
        train_config("trainer.max_steps=8", "trainer.val_check_interval=8"), tmp_path_factory.mktemp("e") / "r"
    ).last


def test_corrupt_truncated_or_foreign_checkpoints_are_refused(trained: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(trained.read_bytes()[:5000])
    with pytest.raises(ValueError, match="is corrupt or not a plain-data checkpoint"):
        load_trained(cut)
    pickled = tmp_path / "pickled.ckpt"
    torch.save({"sciddiff": {"format_version": 1}, "state_dict": {}, "obj": Path("x")}, pickled)
    with pytest.raises(ValueError, match="corrupt or not a plain-data checkpoint"):
        read_checkpoint(pickled)  # a pickled object does not load with weights_only=True
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(ValueError, match="is not a sciddiff checkpoint"):
        load_trained(foreign)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_trained(tmp_path / "missing.ckpt")


def _edited(trained: Path, tmp_path: Path, edit: Any) -> Path:
    ckpt = torch.load(trained, weights_only=True)
    edit(ckpt)
    path = tmp_path / "edited.ckpt"
    torch.save(ckpt, path)
    return path


def test_other_format_version_plugin_version_or_weights_are_refused(trained: Path, tmp_path: Path) -> None:
    path = _edited(trained, tmp_path, lambda c: c["sciddiff"].update(format_version=0))
    with pytest.raises(ValueError, match="has format version 0; this sciddiff reads version 1"):
        load_trained(path)
    path = _edited(trained, tmp_path, lambda c: c["sciddiff"]["plugin"].update(version="7"))
    with pytest.raises(
        ValueError, match="written by plug-in 'tabular' version '7'; this run uses 'tabular' version '1'"
    ):
        load_trained(path)
    path = _edited(trained, tmp_path, lambda c: c["sciddiff"]["backbone"].update(hidden=48))
    with pytest.raises(ValueError, match="does not match the model its record describes"):
        load_trained(path)


class RenamedTabular(TabularAdapter):
    """The tabular adapter under another plug-in name, registered from outside by its import path."""

    name = "renamed-tabular"


def test_resuming_with_another_plugin_is_refused(trained: Path) -> None:
    run_dir = trained.parent.parent
    with pytest.raises(ValueError, match="written by plug-in 'tabular' version '1'; this run uses 'renamed-tabular'"):
        fit(train_config("resume=true", "domain.name=test_train_errors:RenamedTabular"), run_dir)


class PoisonAt(L.Callback):
    """Sets every weight to NaN after training step ``step``, so the next loss is NaN."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, module: Any, *args: Any) -> None:
        if trainer.global_step == self.step:
            with torch.no_grad():
                for p in module.denoiser.parameters():
                    p.fill_(float("nan"))


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(TrainingDiverged, match=r"training loss is nan at step 6 .*last good checkpoint is kept"):
        fit(train_config("trainer.max_steps=20"), tmp_path / "r", extra_callbacks=[PoisonAt(6)])
    ckpt = torch.load(checkpoint_of(tmp_path / "r"), weights_only=True)
    assert ckpt["global_step"] == 4  # written before the weights went bad, never replaced
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values() if v.is_floating_point())
    assert "status: diverged" in (tmp_path / "r" / "run.yaml").read_text()


def test_nan_in_data_without_a_mask_names_the_row(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    rows = [f"{i},{2 * i}" for i in range(20)]
    rows[7] = "7,"
    csv.write_text("a,b\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match="table row contains NaN or inf at sample index 7"):
        build_adapter("tabular", path=str(csv)).datasets(seed=0)


def test_unknown_config_keys_group_options_and_adapters(tmp_path: Path) -> None:
    with pytest.raises(ConfigCompositionException, match=r"Could not override 'trainer\.max_stepz'"):
        train_config("trainer.max_stepz=3")
    with pytest.raises(ConfigCompositionException, match="Could not find 'model/resnet'"):
        train_config("model=resnet")
    with pytest.raises(ValueError, match=r"unknown domain adapter 'tabularr'; available: \[.*'tabular'"):
        fit(train_config("domain.name=tabularr"), tmp_path / "a")
    with pytest.raises(ValueError, match=r"for adapter 'tabular': .*unexpected keyword argument 'colour'"):
        fit(train_config("+domain.options.colour=red"), tmp_path / "b")
    with pytest.raises(ValueError, match=r"cannot import adapter 'nowhere\.module:Thing'"):
        fit(train_config("domain.name=nowhere.module:Thing"), tmp_path / "c")
    with pytest.raises(ValueError, match="unknown builtin table 'spiral'"):
        fit(train_config("domain.options.builtin=spiral"), tmp_path / "d")


def test_console_apps_report_bad_input_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    args = [
        sys.executable,
        "-m",
        "sciddiff.train.apps.sample",
        f"checkpoint={tmp_path}/none.ckpt",
        f"hydra.run.dir={tmp_path}",
    ]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"sciddiff-sample: no checkpoint at {tmp_path}/none.ckpt"
    assert "Traceback" not in done.stderr
