"""Reading saved results: :func:`load` turns any file a result's ``save`` wrote back into that
result.

The file's ``kind`` says which result it holds; each kind is rebuilt by its own class's
``from_dict``. The table of kinds is written out here, not filled in by whichever module
happened to be imported, so ``sl.load`` reads every kind in any process.
"""

from __future__ import annotations

import json
from pathlib import Path

from .ensemble import Ensemble
from .fitting import Fit

__all__ = ["load", "KINDS"]


def _ensemble(d: dict) -> Ensemble:
    return Ensemble.from_dict(d, Fit.from_dict(d["fit"]))


KINDS = {
    "scalinglaws.Fit": Fit.from_dict,
    "scalinglaws.Ensemble": _ensemble,
}


def load(path):
    """The result saved at ``path`` (a :class:`~scalinglaws.fitting.Fit`, an
    :class:`~scalinglaws.ensemble.Ensemble`, ...), as its ``save`` wrote it."""
    d = json.loads(Path(path).read_text())
    kind = d.get("kind") if isinstance(d, dict) else None
    reader = KINDS.get(kind)
    if reader is None:
        raise ValueError(f"{path}: not a scalinglaws file (kind {kind!r}; known: {sorted(KINDS)})")
    return reader(d)
