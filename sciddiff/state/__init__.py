"""State: a tensor or a mapping of named leaves, with a static spec of kinds, shapes, masks and constraints."""

from sciddiff.state.categorical import free_entries, tie
from sciddiff.state.constraints import Constraint, SymmetricPairs, ZeroCenterOfMass
from sciddiff.state.noise import NoiseSource, derive_seed
from sciddiff.state.spec import LeafSpec, State, StateSpec

__all__ = [
    "Constraint",
    "LeafSpec",
    "NoiseSource",
    "State",
    "StateSpec",
    "SymmetricPairs",
    "ZeroCenterOfMass",
    "derive_seed",
    "free_entries",
    "tie",
]
