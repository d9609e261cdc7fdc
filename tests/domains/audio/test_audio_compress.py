"""Log compression and normalisation: known decibel values, the floor, and exact inverses."""

import pytest
import torch
from sciddiff.domains.audio.dsp import amplitude_to_db, db_to_amplitude, denormalise_db, normalise_db

F64 = torch.float64


def test_decibels_of_known_amplitudes_and_floor() -> None:
    mag = torch.tensor([1.0, 10.0, 0.1, 1e-3, 0.0], dtype=F64)
    torch.testing.assert_close(
        amplitude_to_db(mag, db_min=-40.0), torch.tensor([0.0, 20.0, -20.0, -40.0, -40.0], dtype=F64)
    )
    torch.testing.assert_close(db_to_amplitude(amplitude_to_db(mag[:3])), mag[:3])
    with pytest.raises(ValueError, match="non-negative"):
        amplitude_to_db(torch.tensor([-1.0], dtype=F64))


def test_normalisation_maps_range_to_unit_interval_and_inverts() -> None:
    db = torch.tensor([-100.0, 20.0, -40.0, 35.0], dtype=F64)
    torch.testing.assert_close(normalise_db(db, -100.0, 20.0), torch.tensor([-1.0, 1.0, 0.0, 1.25], dtype=F64))
    torch.testing.assert_close(denormalise_db(normalise_db(db, -80.0, 0.0), -80.0, 0.0), db)
    with pytest.raises(ValueError, match="db_min=5"):
        normalise_db(db, 5.0, 5.0)
