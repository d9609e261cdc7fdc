"""Lightning's ``max_time`` string for the benchmarks' time-capped trainings."""

from __future__ import annotations


def max_time(minutes: float) -> str:
    """``minutes`` as Lightning's "DD:HH:MM:SS" (whole seconds)."""
    whole = int(minutes * 60)
    return f"00:{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
