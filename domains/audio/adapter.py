"""The audio adapter: waveforms as normalised dB spectrograms, a (1, rows, frames) tensor state for a 2-D U-Net.

Raw data (what ``decode`` returns and operators act on) is the dB spectrogram 20 log10 max(|X|, floor) of one
context (see :mod:`~sciddiff.domains.audio.representation`), shaped (B, 1, rows, frames). The state is
(dB - mean) / std with one mean and one standard deviation fitted on the training split, so decoding is affine with
a scalar scale: masks in dB (gaps, bands) stay linear with an exact SVD on the state, and observation noise is in
dB. Waveforms come from the synthetic sound generator (four labelled classes), spoken digits (eSpeak NG) or a WAV
folder; with labels, the network is class-conditional with condition dropout ``p_uncond`` for classifier-free
guidance (Ho & Salimans, 2022, arXiv:2207.12598).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.audio.figures import plot_spectrograms
from sciddiff.domains.audio.io import check_sample_rate, read_wav, resample_waveform, write_new_wav
from sciddiff.domains.audio.masks import band_operator, centred_gap, gap_operator
from sciddiff.domains.audio.metrics import frechet_log_mel_distance
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.sources import Labelled, class_names, digit_splits, folder_splits, synth_splits
from sciddiff.domains.audio.spectrogram import SpectrogramConfig
from torch import Tensor

from sciddiff.operators import Mask
from sciddiff.state import StateSpec
from sciddiff.train import Adapter, TensorItems
from sciddiff.train.cache import cached
from sciddiff.train.outputs import netcdf_attrs

CACHE_VERSION = 1


class AudioAdapter(Adapter):
    """Spectrograms of one context of audio (see the module docstring); every option is plain data."""

    name = "audio"
    version = "1"

    def __init__(
        self,
        source: str = "synth",
        path: str | None = None,
        n_train: int = 4000,
        n_val: int = 200,
        n_test: int = 200,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 256,
        scale: str = "mel",
        n_mels: int = 64,
        f_min: float = 0.0,
        f_max: float = 0.0,
        mel_scale: str = "slaney",
        db_min: float = -100.0,
        frames: int = 64,
        conditional: bool = True,
        p_uncond: float = 0.1,
        resample: bool = False,
        griffin_lim_iters: int = 100,
        voices: list[str] | None = None,
        speeds: list[int] | None = None,
        pitches: list[int] | None = None,
    ) -> None:
        super().__init__(
            source=source,
            path=path,
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            scale=scale,
            n_mels=n_mels,
            f_min=f_min,
            f_max=f_max,
            mel_scale=mel_scale,
            db_min=db_min,
            frames=frames,
            conditional=conditional,
            p_uncond=p_uncond,
            resample=resample,
            griffin_lim_iters=griffin_lim_iters,
            voices=voices,
            speeds=speeds,
            pitches=pitches,
        )
        if source == "folder" and not path:
            raise ValueError("source='folder' needs path=<folder of .wav files>")
        spec = SpectrogramConfig(
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            scale=scale,
            n_mels=n_mels,
            f_min=f_min,
            f_max=f_max,
            mel_scale=mel_scale,
            db_min=db_min,
            db_max=max(20.0, db_min + 1.0),
        )
        self.rep = Representation(spec, frames)
        self.classes = class_names(source)
        self.mean: float | None = None
        self.std: float | None = None

    # ------------------------------------------------------------------ data
    def _raw_splits(self, seed: int) -> dict[str, Labelled]:
        o, rep = self.options, self.rep
        if o["source"] == "synth":
            sizes = {"train": o["n_train"], "val": o["n_val"], "test": o["n_test"]}
            return synth_splits(sizes, seed, rep.sample_rate, rep.length)
        if o["source"] == "digits":
            chosen = {k: o[k] for k in ("voices", "speeds", "pitches") if o[k] is not None}
            return digit_splits(seed, rep.sample_rate, rep.length, **chosen)
        splits, self.classes = folder_splits(o["path"], seed, rep.sample_rate, rep.length, bool(o["resample"]))
        return splits

    def _spectrograms(self, seed: int) -> dict[str, Labelled]:
        """dB spectrograms (n, 1, rows, frames) float32 and labels per split; synthetic sets are cached as netCDF."""

        def build() -> xr.Dataset:
            data = {}
            for k, part in self._raw_splits(seed).items():
                db = self.rep.analyse(part.values).float()[:, 0].numpy()
                data[f"db_{k}"] = ((f"{k}_item", "frequency", "time"), db)
                data[f"label_{k}"] = ((f"{k}_item",), part.labels.numpy())
            return xr.Dataset(data)

        if self.options["source"] != "synth":
            ds = build()
        else:
            keys = ("n_train", "n_val", "n_test")
            params = {"v": CACHE_VERSION, "seed": seed, **self.rep.attrs(), **{k: self.options[k] for k in keys}}
            ds = cached("audio_synth_spectrograms", params, build)
        return {
            k: Labelled(torch.as_tensor(ds[f"db_{k}"].values)[:, None], torch.as_tensor(ds[f"label_{k}"].values).long())
            for k in ("train", "val", "test")
        }

    def datasets(self, seed: int) -> dict[str, TensorItems]:
        splits = self._spectrograms(seed)
        train = splits["train"].values.double()
        self.mean, self.std = float(train.mean()), float(train.std())
        if not self.std > 0:
            raise ValueError("the training spectrograms are constant; nothing to learn")
        out = {}
        for k, part in splits.items():
            items: dict[str, Any] = {"x": self.encode(part.values)}
            if self.conditions():
                items["cond"] = {"label": part.labels}
            out[k] = TensorItems(items)
        return out

    def conditions(self) -> dict[str, Any]:
        if not self.options["conditional"] or self.classes is None or len(self.classes) < 2:
            return {}
        return {"num_classes": len(self.classes), "p_uncond": float(self.options["p_uncond"])}

    def state_spec(self) -> StateSpec:
        return StateSpec.tensor(self.rep.shape)

    def default_backbone(self) -> dict[str, Any]:
        return {
            "name": "unet",
            "dims": 2,
            "in_channels": 1,
            "channels": 32,
            "channel_mult": [1, 2, 2],
            "num_res_blocks": 1,
            "groups": 8,
        }

    # ------------------------------------------------------------------ units
    def _stats(self) -> tuple[float, float]:
        if self.mean is None or self.std is None:
            raise ValueError("the audio adapter is not fitted: call datasets() or load_state_dict() first")
        return self.mean, self.std

    def encode(self, raw: Tensor) -> Tensor:
        mean, std = self._stats()
        return ((raw.double() - mean) / std).float()

    def decode(self, state: Tensor) -> Tensor:
        mean, std = self._stats()
        return state.double() * std + mean

    def affine(self) -> tuple[Tensor, Tensor]:
        mean, std = self._stats()
        return torch.tensor(std, dtype=torch.float64), torch.tensor(mean, dtype=torch.float64)

    def log_det_jacobian(self, state: Tensor) -> Tensor:
        _, std = self._stats()
        return torch.full((state.shape[0],), -math.prod(self.rep.shape) * math.log(std), dtype=torch.float64)

    # ------------------------------------------------------------------ waveforms
    def read(self, path: str | Path, *, resample: bool | None = None) -> np.ndarray:
        """A WAV file as mono float64 at the model's sample rate; another rate is refused unless ``resample`` (default:
        the adapter's ``resample`` option) is True. Empty, unreadable, clipped and non-finite files are refused."""
        x, rate = read_wav(path)
        allowed = bool(self.options["resample"]) if resample is None else resample
        what = f"{path} (the model works at {self.rep.sample_rate} Hz)"
        if check_sample_rate(rate, self.rep.sample_rate, resample=allowed, what=what):
            x = resample_waveform(x, rate, self.rep.sample_rate)
        return x

    def to_waveform(self, raw: Tensor, seed: int = 0) -> Tensor:
        """dB spectrograms (B, 1, rows, frames) -> waveforms (B, length) by fast Griffin-Lim."""
        return self.rep.synthesise(raw, n_iter=int(self.options["griffin_lim_iters"]), seed=seed)

    # ------------------------------------------------------------------ operators
    def operator(self, cfg: Mapping[str, Any], raw_shape: tuple[int, ...]) -> Mask | None:
        """``gap`` (kwargs ``duration`` s and ``start`` s, centred by default) or ``band`` (kwargs ``cutoff_hz``)
        masks on the dB spectrogram; other names go to the generic builder."""
        name, kwargs = cfg["name"], dict(cfg.get("kwargs") or {})
        if tuple(raw_shape) != self.rep.shape:
            raise ValueError(f"raw data of shape {tuple(raw_shape)}; the audio adapter's is {self.rep.shape}")
        if name == "gap":
            duration = float(kwargs.get("duration", 0.2))
            start = kwargs.get("start")
            start = centred_gap(self.rep, duration) if start is None else float(start)
            return gap_operator(self.rep, start, duration)
        if name == "band":
            if "cutoff_hz" not in kwargs:
                raise ValueError("operator 'band' needs kwargs.cutoff_hz (the bandwidth-extension cut-off in Hz)")
            return band_operator(self.rep, float(kwargs["cutoff_hz"]))
        if name == "denoise":
            raise ValueError(
                "denoising observes a noisy waveform, whose dB spectrogram is not the clean one plus Gaussian noise; "
                "use the audio app: python -m sciddiff.domains.audio.app task=denoise checkpoint=... input=noisy.wav"
            )
        return None

    # ------------------------------------------------------------------ outputs
    def metrics(self, samples: Tensor, reference: Tensor) -> dict[str, float]:
        """Fréchet distance between log-mel frame statistics (dB) and the difference of mean levels (dB)."""
        return {
            "frechet_log_mel": frechet_log_mel_distance(self._log_mel(reference), self._log_mel(samples)),
            "level_error_db": float((samples.double().mean() - reference.double().mean()).abs()),
        }

    def _log_mel(self, raw: Tensor) -> Tensor:
        if self.rep.spec.scale == "mel":
            return raw[:, 0].double()
        filterbank = self.rep.spec.filterbank()
        mel = filterbank @ self.rep.linear_magnitude(raw)
        return 20.0 * torch.log10(mel.clamp(min=10.0 ** (self.rep.spec.db_min / 20.0)))

    def to_xarray(self, raw: Tensor, attrs: Mapping[str, Any]) -> xr.Dataset:
        """Variable ``spectrogram`` (sample, frequency, time) in dB with coordinates in Hz and s."""
        values = raw.detach().cpu().double()[:, 0].numpy()
        coords = {
            "frequency": ("frequency", self.rep.frequencies(), {"units": "Hz"}),
            "time": ("time", self.rep.times(), {"units": "s"}),
        }
        data = {"spectrogram": (("sample", "frequency", "time"), values, {"units": "dB"})}
        return xr.Dataset(data, coords=coords, attrs=netcdf_attrs({**self.rep.attrs(), **attrs}))

    def write(self, raw: Tensor, directory: Path, attrs: Mapping[str, Any]) -> list[Path]:
        """One 16-bit WAV per sample (Griffin-Lim, scaled down to a 0.98 peak when louder); never overwrites."""
        waves = self.to_waveform(raw.detach().cpu(), seed=int(attrs.get("seed", 0)))
        paths = []
        for i, wave in enumerate(waves):
            paths.append(write_new_wav(Path(directory) / f"sample-{i:04d}.wav", wave, self.rep.sample_rate))
        return paths

    def plot(self, raw: Tensor, path: Path, reference: Tensor | None = None) -> Path:
        shown = raw[:8, 0]
        titles = [f"sample {i}" for i in range(shown.shape[0])]
        if reference is not None:
            shown = torch.cat([shown, reference[:4, 0]])
            titles += [f"data {i}" for i in range(min(4, reference.shape[0]))]
        return plot_spectrograms(shown, self.rep.frequencies(), self.rep.times(), path, titles=titles)

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        mean, std = self._stats()
        return {"mean": mean, "std": std, "classes": self.classes}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        missing = {"mean", "std", "classes"} - set(state)
        if missing:
            raise ValueError(f"audio adapter state lacks {sorted(missing)}")
        self.mean, self.std = float(state["mean"]), float(state["std"])
        self.classes = None if state["classes"] is None else [str(c) for c in state["classes"]]
