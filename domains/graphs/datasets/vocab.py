"""Element vocabularies, and the up-front check that every record uses only supported elements.

The check runs over all records before any record is processed, so an unsupported element stops a load at
once with a ``ValueError`` naming the element and the record, rather than half-way through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

QM9_HEAVY: tuple[str, ...] = ("C", "N", "O", "F")
QM9_ATOMS: tuple[str, ...] = ("H", "C", "N", "O", "F")
MOSES_HEAVY: tuple[str, ...] = ("C", "N", "S", "O", "F", "Cl", "Br")

# SMILES atoms: a bracket atom, or the organic subset (two-letter symbols first), aromatic forms in lower case.
_ATOM = re.compile(r"\[([^\]]*)\]|Br|Cl|[BCNOPSFI]|[bcnops]|\*")
_BRACKET_SYMBOL = re.compile(r"^\d*(se|as|te|[bcnops]|[A-Z][a-z]?|\*)")


def smiles_elements(smiles: str) -> list[str]:
    """The element symbols of a SMILES string's atoms, read by a tokenizer (no RDKit parsing).

    Aromatic symbols are capitalised (``c`` -> ``C``, ``se`` -> ``Se``); ``*`` is kept as ``*``. Text that is not
    an atom token (bonds, rings, branches, syntax errors) is ignored here and left to the parser.
    """
    out = []
    for m in _ATOM.finditer(smiles):
        tok = m.group(0)
        if m.group(1) is not None:
            sym = _BRACKET_SYMBOL.match(m.group(1))
            tok = sym.group(1) if sym else m.group(1)
        out.append(tok.capitalize() if tok.islower() else tok)
    return out


def check_vocabulary(
    records: Iterable[Sequence[str]],
    allowed: Sequence[str],
    source: str,
    ignore: Sequence[str] = (),
    numbers: Sequence[int] | None = None,
) -> None:
    """Raise ``ValueError`` at the first record holding an element outside ``allowed`` (``ignore`` is skipped).

    ``records`` yields each record's element symbols, in input order; a record is named by its 0-based
    position, or by ``numbers[position]`` when given (e.g. its row in a larger file).
    """
    ok = set(allowed) | set(ignore)
    for k, elements in enumerate(records):
        i = numbers[k] if numbers is not None else k
        for el in elements:
            if el not in ok:
                raise ValueError(
                    f"record {i} of {source} contains element {el!r}, which is not in the vocabulary "
                    f"{tuple(allowed)}; remove the record or extend the vocabulary"
                )
