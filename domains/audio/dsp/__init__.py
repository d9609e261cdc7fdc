"""Signal processing in torch: STFT, mel filterbanks, log compression, mel inversion and Griffin-Lim."""

from sciddiff.domains.audio.dsp.compress import amplitude_to_db, db_to_amplitude, denormalise_db, normalise_db
from sciddiff.domains.audio.dsp.griffin_lim import GriffinLimResult, griffin_lim
from sciddiff.domains.audio.dsp.mel import hz_to_mel, mel_centres, mel_filterbank, mel_points, mel_to_hz
from sciddiff.domains.audio.dsp.mel_inverse import mel_pseudo_inverse
from sciddiff.domains.audio.dsp.stft import check_frames, hann, istft, n_frames, stft

__all__ = [
    "GriffinLimResult",
    "amplitude_to_db",
    "check_frames",
    "db_to_amplitude",
    "denormalise_db",
    "griffin_lim",
    "hann",
    "hz_to_mel",
    "istft",
    "mel_centres",
    "mel_filterbank",
    "mel_points",
    "mel_pseudo_inverse",
    "mel_to_hz",
    "n_frames",
    "normalise_db",
    "stft",
]
