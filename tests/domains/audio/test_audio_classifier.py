"""The project's sound classifier: it learns the four synthetic classes, and its cache reloads with weights_only."""

from pathlib import Path

import pytest
import torch
from sciddiff.domains.audio.metrics import ClassifierConfig, classifier_accuracy, train_sound_classifier
from sciddiff.domains.audio.synth import SynthSounds

SMALL = ClassifierConfig(n_train=160, n_val=60, epochs=8, batch_size=16)


def test_small_classifier_separates_the_classes_and_caches(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    state = torch.random.get_rng_state()
    model, report = train_sound_classifier(0, config=SMALL, cache_dir=tmp_path)
    assert torch.equal(torch.random.get_rng_state(), state)  # training does not touch the global RNG
    assert not report.from_cache and report.val_accuracy >= 0.9
    waves, labels = SynthSounds(40, seed=99).batch()  # fresh sounds from another seed
    features = model.features(waves)
    assert classifier_accuracy(model, features, labels) >= 0.85
    assert classifier_accuracy(model, features, (labels + 1) % 4) <= 0.15  # wrong labels score as wrong

    (cached_file,) = tmp_path.glob("sound_classifier_*.pt")
    assert set(torch.load(cached_file, weights_only=True)) == {"state_dict", "train_accuracy", "val_accuracy"}
    again, cached = train_sound_classifier(0, config=SMALL, cache_dir=tmp_path)
    assert cached.from_cache and cached.val_accuracy == report.val_accuracy
    assert torch.equal(again(features), model(features))
    with pytest.raises(ValueError, match="40 spectrograms but 3 labels"):
        classifier_accuracy(model, features, labels[:3])
