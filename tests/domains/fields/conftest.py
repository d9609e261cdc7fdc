"""Fixtures of the fields tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fields_gaussian import GaussianFields, write_gaussian_fields


@pytest.fixture
def gaussian_fields(tmp_path: Path) -> GaussianFields:
    """Two channels on a 4x5 grid."""
    return write_gaussian_fields(tmp_path / "fields.nc", (2, 4, 5))
