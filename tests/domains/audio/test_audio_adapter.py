"""The audio adapter: exact encode/decode and affine lift, fitted statistics, coordinates, WAV in and out, sources."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import xarray as xr
from sciddiff.domains.audio import AudioAdapter
from sciddiff.domains.audio.dsp import stft
from sciddiff.domains.audio.io import read_wav, write_wav
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.spectrogram import SpectrogramConfig
from sciddiff.domains.audio.synth import SynthConfig, SynthSounds

from sciddiff.train import build_adapter
from sciddiff.train.outputs import write_netcdf

F64 = torch.float64
SMALL = {"n_train": 24, "n_val": 4, "n_test": 4, "n_fft": 128, "hop_length": 64, "n_mels": 16, "frames": 16}


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIDDIFF_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def fitted() -> AudioAdapter:
    adapter = AudioAdapter(scale="linear", **SMALL)
    adapter.datasets(seed=3)
    return adapter


def _tone(freq: float, n: int, sr: int = 16000, amp: float = 0.5) -> torch.Tensor:
    return amp * torch.sin(2 * math.pi * freq * torch.arange(n, dtype=F64) / sr)


def test_statistics_are_those_of_the_training_split_and_items_are_labelled(fitted: AudioAdapter) -> None:
    rep = fitted.rep
    waves, labels = SynthSounds(32, 3, SynthConfig(16000, rep.length / 16000)).batch()
    config = SpectrogramConfig(n_fft=128, hop_length=64, scale="linear")
    db = 20 * torch.log10(stft(waves[:24], 128, 64).abs()[:, :64].float().double().clamp(min=1e-5))
    assert fitted.mean == pytest.approx(float(db.mean()), abs=1e-4)
    assert fitted.std == pytest.approx(float(db.std()), rel=1e-5)
    splits = AudioAdapter(scale="linear", **SMALL).datasets(seed=3)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [24, 4, 4]
    item = splits["test"][1]
    assert item["x"].shape == (1, 64, 16) and item["x"].dtype == torch.float32
    assert int(item["cond"]["label"]) == int(labels[24 + 4 + 1])  # test items follow train and val in the stream
    assert config.n_bins == 65 and rep.rows == 64  # the Nyquist bin is dropped
    assert fitted.conditions() == {"num_classes": 4, "p_uncond": 0.1}
    assert AudioAdapter(conditional=False, **SMALL).conditions() == {}


def test_encode_decode_are_exact_inverses_and_decoding_is_the_declared_affine_map(fitted: AudioAdapter) -> None:
    raw = -100 + 130 * torch.rand(5, 1, 64, 16, generator=torch.Generator().manual_seed(0), dtype=F64)
    state = fitted.encode(raw)
    torch.testing.assert_close(fitted.decode(state), raw, rtol=0, atol=2e-5 * 130)
    scale, offset = fitted.affine()
    torch.testing.assert_close(fitted.decode(state), scale * state.double() + offset, rtol=0, atol=1e-12)
    expected = -64 * 16 * math.log(fitted.std)
    assert torch.allclose(fitted.log_det_jacobian(state), torch.full((5,), expected, dtype=F64))
    fresh = AudioAdapter(scale="linear", **SMALL)
    with pytest.raises(ValueError, match="audio adapter is not fitted"):
        fresh.decode(state)
    fresh.load_state_dict(fitted.state_dict())
    assert torch.equal(fresh.decode(state), fitted.decode(state))
    with pytest.raises(ValueError, match=r"lacks \['classes'\]"):
        fresh.load_state_dict({"mean": 0.0, "std": 1.0})


def test_tone_lands_on_its_row_with_the_closed_form_level_and_coordinates_are_physical() -> None:
    rep = Representation(SpectrogramConfig(n_fft=512, hop_length=128, scale="linear"), frames=32)
    db = rep.analyse(_tone(1000.0, rep.length))
    assert rep.length == 128 * 31 and db.shape == (1, 1, 256, 32)
    np.testing.assert_allclose(rep.frequencies()[:3], [0.0, 31.25, 62.5])
    np.testing.assert_allclose(rep.times()[:3], [0.0, 0.008, 0.016])
    assert float(rep.frequencies()[int(db[0, 0, :, 10].argmax())]) == 1000.0
    # peak |X| = A sum(w) / 2 = 0.5 * 256 / 2 for a bin-centred tone
    assert float(db[0, 0, 32, 10]) == pytest.approx(20 * math.log10(64.0), abs=1e-6)
    mag = rep.linear_magnitude(db)
    torch.testing.assert_close(
        mag[:, :256], stft(_tone(1000.0, rep.length), 512, 128).abs()[None, :256].clamp(min=1e-5)
    )
    assert torch.all(mag[:, 256] == 1e-5)  # the dropped Nyquist row comes back at the floor
    with pytest.raises(ValueError, match=r"one context is 3968 samples"):
        rep.analyse(_tone(1000.0, 4000))
    bad = _tone(1000.0, rep.length)
    bad[7] = float("nan")
    with pytest.raises(ValueError, match="1 non-finite samples"):
        rep.analyse(bad)


def test_mel_rows_invert_through_the_filterbank() -> None:
    adapter = AudioAdapter(**SMALL)
    rep = adapter.rep
    wave = _tone(900.0, rep.length) + _tone(3100.0, rep.length, amp=0.2)
    db = rep.analyse(wave)
    mel = rep.spec.filterbank() @ rep.linear_magnitude(db)
    strong = db[0, 0] > -40
    assert float(((20 * torch.log10(mel[0]) - db[0, 0])[strong]).abs().max()) < 0.5  # NNLS reproduces W S in dB
    np.testing.assert_allclose(rep.frequencies(), rep.spec.frequencies())


def test_xarray_and_netcdf_carry_hz_and_seconds(fitted: AudioAdapter, tmp_path: Path) -> None:
    raw = fitted.decode(torch.zeros(2, 1, 64, 16))
    ds = fitted.to_xarray(raw, {"seed": 4})
    assert ds["spectrogram"].dims == ("sample", "frequency", "time") and ds["spectrogram"].attrs["units"] == "dB"
    path = write_netcdf(ds, tmp_path / "s.nc")
    back = xr.open_dataset(path)
    np.testing.assert_allclose(back["frequency"].values, np.arange(64) * 125.0)
    np.testing.assert_allclose(back["time"].values, np.arange(16) * 0.004)
    assert back["frequency"].attrs["units"] == "Hz" and back.attrs["hop_length"] == 64 and back.attrs["seed"] == 4
    np.testing.assert_allclose(back["spectrogram"].values, raw[:, 0].numpy())


def test_written_wavs_are_the_griffin_lim_waveforms_and_never_overwrite(fitted: AudioAdapter, tmp_path: Path) -> None:
    raw = fitted.rep.analyse(torch.stack([_tone(1000.0, fitted.rep.length), _tone(2500.0, fitted.rep.length, amp=0.3)]))
    paths = fitted.write(raw, tmp_path, {"seed": 0})
    assert [p.name for p in paths] == ["sample-0000.wav", "sample-0001.wav"]
    waves = fitted.to_waveform(raw, seed=0)
    for p, w in zip(paths, waves, strict=True):
        x, sr = read_wav(p, check=False)
        gain = min(1.0, 0.98 / float(w.abs().max()))
        assert sr == 16000 and float(np.abs(x - gain * w.numpy()).max()) <= 1 / 32768 + 1e-12
    with pytest.raises(ValueError, match=r"sample-0000\.wav already exists"):
        fitted.write(raw, tmp_path, {"seed": 0})


def test_reading_wavs_refuses_bad_files_and_another_sample_rate(fitted: AudioAdapter, tmp_path: Path) -> None:
    write_wav(tmp_path / "8k.wav", _tone(440.0, 8000, sr=8000), 8000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"8k.wav \(the model works at 16000 Hz\) has sample rate 8000 Hz"):
        fitted.read(tmp_path / "8k.wav")
    up = fitted.read(tmp_path / "8k.wav", resample=True)
    assert up.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(up[4000:12000]))
    assert spectrum.argmax() * 2 == 440  # 8000 samples at 16 kHz: 2 Hz bins
    nan = _tone(440.0, 1600).numpy()
    nan[3] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match="non-finite samples"):
        fitted.read(tmp_path / "nan.wav")
    clipped = np.clip(_tone(440.0, 1600, amp=2.0).numpy(), -1, 1)
    sf.write(tmp_path / "clip.wav", clipped, 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match="is clipped"):
        fitted.read(tmp_path / "clip.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty \(0 bytes\)"):
        fitted.read(tmp_path / "empty.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF but not really a wave file")
    with pytest.raises(ValueError, match=r"cannot read .* as audio"):
        fitted.read(tmp_path / "junk.wav")


def test_a_wav_folder_is_a_labelled_source_with_rate_checks(tmp_path: Path) -> None:
    for k, (label, freq) in enumerate([("low", 300.0), ("high", 3000.0)] * 3):
        write_wav(tmp_path / "data" / label / f"{k}.wav", _tone(freq, 700), 16000, subtype="FLOAT")
    adapter = build_adapter("audio", source="folder", path=str(tmp_path / "data"), scale="linear", **SMALL)
    splits = adapter.datasets(seed=0)
    assert adapter.classes == ["high", "low"] and adapter.conditions()["num_classes"] == 2
    assert sorted(len(splits[k]) for k in splits) == [1, 1, 4]
    item = splits["train"][0]
    peak_row = int(adapter.decode(item["x"][None])[0, 0, :, 5].argmax())
    assert peak_row == {"high": 3000 // 125, "low": round(300 / 125)}[adapter.classes[int(item["cond"]["label"])]]
    write_wav(tmp_path / "data" / "low" / "odd.wav", _tone(300.0, 700, sr=8000), 8000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"odd\.wav has sample rate 8000 Hz but 16000 Hz is expected"):
        AudioAdapter(source="folder", path=str(tmp_path / "data"), **SMALL).datasets(seed=0)
    assert len(AudioAdapter(source="folder", path=str(tmp_path / "data"), resample=True, **SMALL).datasets(0)["train"])
    with pytest.raises(ValueError, match="source='folder' needs path"):
        AudioAdapter(source="folder")
    with pytest.raises(ValueError, match="unknown audio source 'radio'"):
        AudioAdapter(source="radio")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="optional binary espeak-ng is not installed")
def test_spoken_digits_source_has_ten_classes(tmp_path: Path) -> None:
    adapter = AudioAdapter(source="digits", voices=["en-us"], speeds=[170], pitches=[50], **SMALL)
    splits = adapter.datasets(seed=0)
    assert adapter.conditions()["num_classes"] == 10 and sum(len(s) for s in splits.values()) == 10
    assert adapter.classes[3] == "three"
