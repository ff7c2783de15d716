"""JSON records of results: the format version, the version stamp, a strict writer, and the
reading of layouts older versions wrote.

Result objects build their records (``to_dict``) and rebuild themselves (``from_dict``);
:func:`scalinglaws.io.load` reads any saved file. This module sits below them: numpy only.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "versions", "json_default", "write_json", "stored_log_columns", "from_stored"]

FORMAT_VERSION = 1


def versions() -> dict[str, str]:
    import jax
    import pandas as pd
    import scipy

    from ._version import __version__

    return {
        "scalinglaws": __version__,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def write_json(path, record: dict, indent: int | None = None) -> Path:
    """Write ``record`` to ``path`` as JSON (numpy scalars and arrays converted); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(record, indent=indent, default=json_default))
    return path


def stored_log_columns(law, d: dict) -> np.ndarray:
    """[p] bool: parameters a saved file holds as logs where the law now fits the value itself.

    Version 0.1 fitted the irreducible loss E of ``power``, ``chinchilla`` and
    ``data_constrained`` as log E; its files do not record ``internal_names``, so the layout is
    read off the file: a stored value whose exp is the saved public value is a log.
    """
    names = d.get("internal_names")
    if names is not None:
        return np.array([old == f"log_{n}" and new == n for old, new, n in
                         zip(names, law.internal_names, law.params)], dtype=bool)
    theta = np.asarray(d["theta"], dtype=np.float64)
    params = d.get("params", {})
    out = np.zeros(law.n_params, dtype=bool)
    for j, (n, t) in enumerate(zip(law.params, law.transforms)):
        v = params.get(n)
        if t == "identity" and v is not None and v > 0 and not np.isclose(theta[j], v, rtol=1e-12):
            out[j] = bool(np.isclose(np.exp(theta[j]), v, rtol=1e-9))
    return out


def from_stored(values, logged: np.ndarray) -> np.ndarray:
    """Internal values [..., p] as the law fits them now, from a file's (see stored_log_columns)."""
    a = np.asarray(values, dtype=np.float64).copy()
    if logged.any():
        a[..., logged] = np.exp(a[..., logged])
    return a
