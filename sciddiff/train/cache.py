"""Caches for data that domains simulate or preprocess: netCDF datasets keyed by the generator's name and all
its parameters (seed included), and plain-tensor files. The directory is ``$SCIDDIFF_CACHE`` or ``~/.cache/sciddiff``."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
import xarray as xr

from sciddiff.train.checkpoint import atomic_save

PARAMS_ATTR = "sciddiff_cache_params"


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """``path`` if given, else ``$SCIDDIFF_CACHE``, else ``~/.cache/sciddiff``; created if missing."""
    if path is None:
        path = os.environ.get("SCIDDIFF_CACHE") or Path.home() / ".cache" / "sciddiff"
    out = Path(path).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return out


def canonical_params(params: Mapping[str, Any]) -> str:
    """The parameters as canonical JSON (sorted keys, no spaces); values must be JSON numbers, strings or lists."""
    try:
        return json.dumps(dict(params), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cache parameters must be finite JSON values (numbers, strings, lists): {err}") from None


def cache_path(name: str, params: Mapping[str, Any], directory: str | os.PathLike[str] | None = None) -> Path:
    """``<dir>/<name>-<16 hex digits of sha256(name and canonical params)>.nc``."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"cache name must be a plain file stem, got {name!r}")
    digest = hashlib.sha256(f"{name}\n{canonical_params(params)}".encode()).hexdigest()[:16]
    return cache_dir(directory) / f"{name}-{digest}.nc"


def cached(
    name: str,
    params: Mapping[str, Any],
    build: Callable[[], xr.Dataset],
    directory: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """Load the dataset cached for ``(name, params)``, or ``build()`` it, write it, and load it back.

    The canonical parameters are stored in the file's attributes and compared on load: a file at the path that
    holds other parameters raises ``ValueError`` and is never overwritten. The write goes to a temporary file that
    is hard-linked into place, which fails rather than replace a file another process wrote in the meantime.
    """
    path = cache_path(name, params, directory)
    key = canonical_params(params)
    if path.exists():
        return _load_checked(path, key)
    data = build()
    if not isinstance(data, xr.Dataset):
        raise ValueError(f"the builder for {name!r} returned {type(data).__name__}; it must return an xarray.Dataset")
    data = data.copy()
    data.attrs[PARAMS_ATTR] = key
    fd, tmp = tempfile.mkstemp(suffix=".nc.tmp", dir=path.parent)
    os.close(fd)
    try:
        data.to_netcdf(tmp, engine="netcdf4")
        with contextlib.suppress(FileExistsError):  # another process wrote it meanwhile: checked on load below
            os.link(tmp, path)
    finally:
        os.remove(tmp)
    return _load_checked(path, key)


def _load_checked(path: Path, key: str) -> xr.Dataset:
    """Load ``path`` fully into memory and check that it was written for the parameters ``key``."""
    data = xr.load_dataset(path, engine="netcdf4")
    stored = data.attrs.get(PARAMS_ATTR)
    if stored != key:
        raise ValueError(
            f"cache file {path} holds parameters {stored!r}, not {key!r}; remove it or use another cache directory"
        )
    return data


def save_plain(obj: Mapping[str, Any], path: Path) -> None:
    """Cache a mapping of plain tensors, numbers, strings and lists, atomically."""
    atomic_save(dict(obj), path)


def load_plain(path: Path) -> dict[str, Any]:
    """Load what :func:`save_plain` wrote, with ``weights_only=True`` (no arbitrary code runs)."""
    return torch.load(path, weights_only=True)
