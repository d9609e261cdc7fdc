"""Markdown helpers shared by the benchmark scripts."""

from __future__ import annotations

from pathlib import Path


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    """A GitHub markdown table as a list of lines."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def replace_section(path: Path, key: str, title: str, body: str) -> None:
    """Replace (or append) the block between ``<!-- key:start -->`` and ``<!-- key:end -->`` in ``path``."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    block = f"{start}\n{title}\n\n{body}\n{end}"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nEvery table below was produced by the command shown with it.\n"
    )
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
