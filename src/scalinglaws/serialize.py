"""JSON records of results: the format version, the version stamp, a strict writer, and the
reading of layouts older versions wrote.

Result objects build their records (``to_dict``) and rebuild themselves (``from_dict``);
:func:`scalinglaws.io.load` reads any saved file. This module sits below them: numpy only.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "versions", "header", "json_default", "write_json", "frame_record", "frame_from_record",
           "array_record", "array_from_record", "read_record", "stored_log_columns", "from_stored"]

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


def header(kind: str) -> dict:
    """The fields every saved record starts with: ``kind`` (which class reads it back), the format
    version, when it was written and the versions that wrote it."""
    return {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
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
    if hasattr(o, "isoformat"):  # datetime, pandas Timestamp
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def write_json(path, record: dict, indent: int | None = None) -> Path:
    """Write ``record`` to ``path`` as JSON (numpy scalars and arrays converted); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(record, indent=indent, default=json_default))
    return path


def _values(values: np.ndarray) -> list:
    """A column's values as JSON: numbers, strings, booleans; missing (None, NaT, pd.NA) as null."""
    import pandas as pd

    if values.dtype.kind == "M":
        return [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in values]
    if values.dtype.kind in "biuf":
        return values.tolist()
    return [None if (v is None or v is pd.NA or v is pd.NaT) else
            (v.item() if isinstance(v, np.generic) else v) for v in values]


def frame_record(frame) -> dict:
    """A DataFrame as a JSON record: its columns in order with their dtypes and values, its index
    (values, name) and its ``attrs``; :func:`frame_from_record` rebuilds it, dtypes included."""
    import pandas as pd

    cols = list(frame.columns)
    return {
        "columns": [str(c) for c in cols],
        "dtypes": [str(frame[c].dtype) for c in cols],
        "data": [_values(frame[c].to_numpy()) for c in cols],
        "index": _values(np.asarray(frame.index)),
        "index_dtype": str(frame.index.dtype),
        "index_name": frame.index.name,
        "range_index": isinstance(frame.index, pd.RangeIndex),
        "attrs": {k: v for k, v in frame.attrs.items() if isinstance(v, (str, int, float, bool, type(None)))},
    }


def _column(values: list, dtype: str):
    import pandas as pd

    if dtype.startswith("datetime64"):
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy()
    if dtype == "object":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    if dtype in ("boolean", "Int64", "string"):
        return pd.array(values, dtype=dtype)
    return np.asarray([np.nan if v is None else v for v in values] if dtype.startswith("float") else values,
                      dtype=dtype)


def frame_from_record(r: dict):
    """The DataFrame a :func:`frame_record` record describes."""
    import pandas as pd

    if r.get("range_index"):
        index = pd.RangeIndex(len(r["index"]), name=r.get("index_name"))
    else:
        index = pd.Index(_column(r["index"], r.get("index_dtype", "object")), name=r.get("index_name"))
    frame = pd.DataFrame({c: _column(v, t) for c, v, t in zip(r["columns"], r["data"], r["dtypes"])}, index=index)
    if not r["columns"]:
        frame = pd.DataFrame(index=index)
    frame.attrs.update(r.get("attrs", {}))
    return frame


def array_record(a) -> dict:
    """An array as a JSON record (dtype, shape, values), for :func:`array_from_record`."""
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.ravel().tolist()}


def array_from_record(r: dict) -> np.ndarray:
    return np.asarray(r["values"], dtype=r["dtype"]).reshape(r["shape"])


def read_record(path) -> dict:
    """The JSON record saved at ``path``, with its ``kind``; a file that is not one is an error
    naming the file."""
    path = Path(path)
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not a JSON file saved by scalinglaws ({err.msg}, line {err.lineno})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file saved by scalinglaws") from None
    if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
        raise ValueError(f"{path}: not a scalinglaws file (no 'kind')")
    return d


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
