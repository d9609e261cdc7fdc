"""A small record of the input records that were skipped, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SkipReport:
    """Counts the records read from ``source`` and lists the skipped ones as (record number, reason).

    Record numbers are 0-based positions in the input as given (a file's data rows, or a list's items).
    """

    source: str
    n_records: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, record: int, reason: str) -> None:
        self.skipped.append((record, reason))

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def n_kept(self) -> int:
        return self.n_records - len(self.skipped)

    def __str__(self) -> str:
        head = f"{self.source}: kept {self.n_kept} of {self.n_records} records, skipped {self.n_skipped}"
        shown = "; ".join(f"record {i}: {why}" for i, why in self.skipped[:5])
        more = f"; ... {self.n_skipped - 5} more" if self.n_skipped > 5 else ""
        return head + (f" ({shown}{more})" if shown else "")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "n_records": self.n_records, "skipped": list(self.skipped)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkipReport:
        return cls(d["source"], int(d["n_records"]), [(int(i), str(r)) for i, r in d["skipped"]])
