"""A netCDF cache for simulated datasets, keyed by the generator's name and every parameter (seed included)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import xarray as xr

PARAMS_ATTR = "sciddiff_cache_params"


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """``path``, else ``$SCIDDIFF_CACHE``, else ``~/.cache/sciddiff`` (created if missing)."""
    if path is None:
        path = os.environ.get("SCIDDIFF_CACHE") or Path.home() / ".cache" / "sciddiff"
    out = Path(path).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return out


def canonical_params(params: Mapping[str, Any]) -> str:
    """The parameters as canonical JSON (sorted keys); they must be JSON values (numbers, strings, lists, ...)."""
    try:
        return json.dumps(dict(params), sort_keys=True, separators=(",", ":"))
    except TypeError as err:
        raise ValueError(f"cache parameters must be JSON values (numbers, strings, lists): {err}") from None


def cache_path(name: str, params: Mapping[str, Any], directory: str | os.PathLike[str] | None = None) -> Path:
    """``<dir>/<name>-<first 16 hex digits of sha256(name, params)>.nc``."""
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
    """Load the dataset cached for (name, params), or ``build()`` it and cache it.

    The parameters are stored in the file's attributes and checked on load: a file at the path whose parameters
    differ raises ``ValueError`` and is never overwritten. Writes go to a temporary file that is then hard-linked
    into place, which fails instead of replacing a file another process wrote meanwhile.
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
        with contextlib.suppress(FileExistsError):  # written meanwhile by another process: checked below
            os.link(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return _load_checked(path, key)


def _load_checked(path: Path, key: str) -> xr.Dataset:
    data = xr.load_dataset(path, engine="netcdf4")
    stored = data.attrs.get(PARAMS_ATTR)
    if stored != key:
        raise ValueError(
            f"cache file {path} holds parameters {stored!r}, not the requested {key!r}; "
            "remove it or use another cache directory"
        )
    return data
