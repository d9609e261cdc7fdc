"""Adapter registry: ``domain=<name>`` resolves through the ``sciddiff.adapters`` entry points, an import path
(``package.module:Class``), or adapters registered at run time with :func:`register_adapter`."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from sciddiff.train.adapter import Adapter

ENTRY_POINT_GROUP = "sciddiff.adapters"
_REGISTERED: dict[str, type[Adapter]] = {}


def register_adapter(cls: type[Adapter]) -> type[Adapter]:
    """Register an adapter class under its ``name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ValueError(f"only Adapter subclasses can be registered, got {cls!r}")
    _REGISTERED[cls.name] = cls
    return cls


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_adapters() -> list[str]:
    """Names resolvable without an import path."""
    return sorted(set(_REGISTERED) | set(_entry_points()))


def _import(path: str) -> Any:
    module, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import adapter {path!r}: {err}") from None


def adapter_class(name: str) -> type[Adapter]:
    """The adapter class for a registered name, an entry-point name or an import path."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    eps = _entry_points()
    if name in eps:
        try:
            cls = eps[name].load()
        except (ImportError, AttributeError) as err:
            raise ValueError(f"adapter {name!r} ({eps[name].value}) cannot be loaded: {err}") from None
    elif "." in name or ":" in name:
        cls = _import(name)
    else:
        raise ValueError(
            f"unknown domain adapter {name!r}; available: {available_adapters()} "
            "(or give an import path such as 'mypackage.adapters:MyAdapter')"
        )
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ValueError(f"{name!r} resolves to {cls!r}, which is not a sciddiff Adapter subclass")
    return cls


def build_adapter(name: str, **options: Any) -> Adapter:
    """Instantiate an adapter by name with its options; bad options give a ValueError naming them."""
    cls = adapter_class(name)
    try:
        return cls(**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for adapter {name!r}: {err}") from None
