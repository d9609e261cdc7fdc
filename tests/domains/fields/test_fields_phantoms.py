"""Ellipse phantoms: areas, values at hand-checked points, rotation sense, seeds and ranges."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sciddiff.domains.fields.simulators.phantoms import (
    SHEPP_LOGAN,
    Ellipse,
    ellipse_phantoms,
    evaluate,
    load_phantoms,
    pixel_centres,
    rasterize,
)


def test_supersampled_area_and_sharp_values_of_one_ellipse() -> None:
    e = Ellipse(0.7, a=0.6, b=0.35, x0=0.1, y0=-0.2, angle=0.4)
    size = 64
    sharp = rasterize([e], size)
    assert set(np.unique(sharp)) == {0.0, 0.7}
    fine = rasterize([e], size, supersample=8)
    area = fine.sum() / 0.7 * (2 / size) ** 2
    assert abs(area - math.pi * 0.6 * 0.35) < 2e-3 * math.pi * 0.6 * 0.35
    assert abs(sharp.sum() / 0.7 * (2 / size) ** 2 - e.area) < 0.02 * e.area


def test_rotation_is_counter_clockwise() -> None:
    e = Ellipse(1.0, a=0.9, b=0.2, angle=math.pi / 4)  # major axis along y = x
    x = np.array([0.55, 0.55, -0.55])
    y = np.array([0.55, -0.55, -0.55])
    np.testing.assert_array_equal(e.contains(x, y), [True, False, True])


def test_shepp_logan_values_at_hand_checked_points() -> None:
    # (0, 0): skull 1 + brain -0.8; (0, 0.35): + the 0.1 ellipse; (0.22, 0): inside the -0.2 ventricle;
    # (0, 0.9): skull only (brain top at 0.8556); (0, 0.95): outside; (0, -0.1): the small -0.1 blob's 0.1
    x = np.array([0.0, 0.0, 0.22, 0.0, 0.0, 0.0])
    y = np.array([0.0, 0.35, 0.0, 0.9, 0.95, -0.1])
    np.testing.assert_allclose(evaluate(SHEPP_LOGAN, x, y), [0.2, 0.3, 0.0, 1.0, 0.0, 0.3], atol=1e-12)
    image = rasterize(SHEPP_LOGAN, 101)  # odd size: the centre pixel sits at (0, 0)
    assert pixel_centres(101)[50] == 0.0 and abs(image[50, 50] - 0.2) < 1e-12


@pytest.mark.parametrize("kind", ["ellipses", "shepp_logan"])
def test_phantom_datasets_are_seeded_and_in_range(kind: str) -> None:
    a = ellipse_phantoms(3, 32, seed=0, kind=kind)
    b = ellipse_phantoms(3, 32, seed=0, kind=kind)
    c = ellipse_phantoms(3, 32, seed=1, kind=kind)
    np.testing.assert_array_equal(a["image"].values, b["image"].values)
    assert not np.array_equal(a["image"].values, c["image"].values)
    img = a["image"].values
    assert img.min() >= 0 and img.max() <= 1 and img.max() > 0.3
    assert img[:, 0, 0].max() == 0  # the corners are outside every body ellipse
    np.testing.assert_allclose(a["x"].values, pixel_centres(32))


def test_bad_phantom_parameters_raise() -> None:
    with pytest.raises(ValueError, match="semi-axes"):
        Ellipse(1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="kind"):
        ellipse_phantoms(1, 8, 0, kind="cubes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="supersample"):
        rasterize(SHEPP_LOGAN, 8, supersample=0)


def test_load_phantoms_caches_in_the_default_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIDDIFF_CACHE", str(tmp_path / "env"))
    data = load_phantoms(2, 16, seed=3)
    assert len(list((tmp_path / "env").glob("phantoms-*.nc"))) == 1
    np.testing.assert_array_equal(data["image"].values, ellipse_phantoms(2, 16, seed=3)["image"].values)
    np.testing.assert_array_equal(data["y"].values, ellipse_phantoms(2, 16, seed=3)["y"].values)
