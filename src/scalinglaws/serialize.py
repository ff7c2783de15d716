"""Saved results: the format version, the version stamp, the two encodings of a record (a
compact binary container, or strict JSON), and the reading of layouts older versions wrote.

Result objects build their records (``to_dict``: plain values, with numpy arrays where the data
are arrays) and rebuild themselves (``from_dict``); :func:`scalinglaws.io.load` reads any saved
file. A record is written in one of two encodings, chosen by the file name:

- **a container** (any name but ``*.json``; ``.npz`` recommended): a zip archive holding
  ``record.json``, the record's metadata as strict JSON, and one ``.npy`` member per array.
  Members are deflated; integer arrays are stored in the smallest integer type that holds their
  values, and floating-point arrays of 256 or more values byte-shuffled (the first bytes of
  every value, then the second bytes, ...; as the HDF5 and Blosc shuffle filters do) so that
  the bytes the values share compress. Both are undone on reading: the arrays come back
  bit-identical. numpy is the only dependency, numpy's own ``.npy`` is the array format, and a
  zip is readable everywhere; parquet would add pyarrow for arrays that are not tables.
- **strict JSON** (``*.json``): the same record, arrays inline as ``{"__ndarray__": {"dtype",
  "shape", "values"}}``. Readable by any JSON tool, and larger.

Both are RFC 8259 JSON where they are JSON: a non-finite number is written as the string
``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (inside an array, whose dtype says it is a number;
as a lone value, ``{"__float__": "NaN"}``), as protobuf's JSON mapping does.

This module sits below the results: numpy only.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import platform
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "READABLE_VERSIONS", "RecordError", "versions", "header", "json_default",
           "write_record", "read_record", "encode", "decode", "frame_record", "frame_from_record", "array_record",
           "array_from_record", "stored_log_columns", "from_stored"]

FORMAT_VERSION = 2
"""Version 2 (this one): arrays as arrays (binary in a container, ``__ndarray__`` in JSON),
non-finite numbers as strings, a fit's whole source table. Version 1 wrote JSON only, arrays
as lists, non-finite numbers as the non-standard ``NaN``/``Infinity`` tokens."""

READABLE_VERSIONS = (1, 2)

RECORD_MEMBER = "record.json"
SHUFFLE_MIN = 256  # floating-point arrays this large are byte-shuffled in a container
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class RecordError(ValueError):
    """A saved record that cannot be read back as it claims: names the ``field`` at fault
    (``scalinglaws.load`` prefixes the file)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"field {field!r}: {message}")


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


# ------------------------------------------------------------------------------------------
# the two encodings


def _float_text(v: float):
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _compact(a: np.ndarray) -> tuple[np.ndarray, str]:
    """(array as stored, layout): integers in the smallest type that holds them, large floating
    arrays byte-shuffled; lossless."""
    if a.dtype.kind in "iu" and a.size:
        lo, hi = int(a.min()), int(a.max())
        for t in (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32):
            info = np.iinfo(t)
            if info.min <= lo and hi <= info.max:
                if np.dtype(t).itemsize < a.dtype.itemsize:
                    return a.astype(t), "plain"
                break
        return a, "plain"
    if a.dtype.kind in "fc" and a.size >= SHUFFLE_MIN:
        flat = np.ascontiguousarray(a).reshape(-1)
        return np.ascontiguousarray(flat.view(np.uint8).reshape(flat.size, a.dtype.itemsize).T), "shuffled"
    return a, "plain"


def _expand(stored: np.ndarray, dtype: np.dtype, shape: tuple, layout: str) -> np.ndarray:
    if layout == "shuffled":
        return np.ascontiguousarray(stored.T).view(dtype).reshape(shape)
    if layout != "plain":
        raise ValueError(f"unknown array layout {layout!r}")
    return stored.astype(dtype, copy=False).reshape(shape)


def encode(record, arrays: list | None = None):
    """``record`` as strict-JSON values. Arrays go to ``arrays`` (a list: a container stores them
    as members, and the tree refers to them by position) or, with ``arrays=None``, inline."""
    if isinstance(record, dict):
        return {str(k): encode(v, arrays) for k, v in record.items()}
    if isinstance(record, (list, tuple)):
        return [encode(v, arrays) for v in record]
    if isinstance(record, np.ndarray):
        if record.dtype.kind not in "biufc":
            return [encode(v, arrays) for v in record.tolist()]
        spec = {"dtype": record.dtype.str, "shape": list(record.shape)}
        if arrays is None:
            values = record.ravel().tolist()
            if record.dtype.kind in "fc":
                values = [_float_text(v) for v in values]
            return {"__ndarray__": {**spec, "values": values}}
        stored, layout = _compact(record)
        arrays.append(stored)
        return {"__ndarray__": {**spec, "member": len(arrays) - 1, "layout": layout}}
    if isinstance(record, (bool, np.bool_)):
        return bool(record)
    if isinstance(record, (int, np.integer)):
        return int(record)
    if isinstance(record, (float, np.floating)):
        v = float(record)
        return v if math.isfinite(v) else {"__float__": _float_text(v)}
    if record is None or isinstance(record, str):
        return record
    return encode(json_default(record), arrays)


def decode(tree, arrays=None):
    """The record :func:`encode` wrote: arrays back as numpy arrays (``arrays(i)`` gives a
    container's member ``i``), non-finite numbers as floats."""
    if isinstance(tree, dict):
        if "__ndarray__" in tree and len(tree) == 1:
            spec = tree["__ndarray__"]
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
            if "values" in spec:
                values = spec["values"]
                if dtype.kind in "fc":
                    values = [_NONFINITE[v] if isinstance(v, str) else v for v in values]
                return np.asarray(values, dtype=dtype).reshape(shape)
            if arrays is None:
                raise ValueError("an array stored as a member, outside a container")
            return _expand(arrays(spec["member"]), dtype, shape, spec.get("layout", "plain"))
        if "__float__" in tree and len(tree) == 1:
            return _NONFINITE[tree["__float__"]]
        return {k: decode(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [decode(v, arrays) for v in tree]
    return tree


def write_record(path, record: dict) -> Path:
    """Write ``record`` to ``path``: strict JSON if the name ends in ``.json``, otherwise the
    compact container (module docstring). Returns the path."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(encode(record), allow_nan=False, separators=(",", ":"))
        path.write_text(text)
        return path
    arrays: list = []
    meta = json.dumps(encode(record, arrays), allow_nan=False, separators=(",", ":"))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(RECORD_MEMBER, meta)
        for i, a in enumerate(arrays):
            with zf.open(f"{i}.npy", "w", force_zip64=a.nbytes > 2**30) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)
    return path


def _values(values: np.ndarray) -> list:
    """A column's values as JSON: numbers, strings, booleans; missing (None, NaT, pd.NA) as null."""
    import pandas as pd

    if values.dtype.kind == "M":
        return [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in values]
    if values.dtype.kind in "biuf":
        return np.asarray(values)
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


def _column(values, dtype: str):
    import pandas as pd

    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype(dtype, copy=False) if dtype not in ("boolean", "Int64") else pd.array(values, dtype=dtype)
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


def array_record(a) -> np.ndarray:
    """An array as a record holds it: the array itself (the encodings store it); see
    :func:`array_from_record`."""
    return np.asarray(a)


def array_from_record(r) -> np.ndarray:
    """The array a record holds: an array (version 2), or version 1's ``{dtype, shape, values}``."""
    if isinstance(r, dict):
        return np.asarray(r["values"], dtype=r["dtype"]).reshape(r["shape"])
    return np.asarray(r)


def read_record(path) -> dict:
    """The record saved at ``path`` (either encoding), with its ``kind``, after checking its
    format version; a file that is not one is an error naming the file (and the field)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a file saved by scalinglaws") from None
    if magic == b"PK\x03\x04":
        d = _read_container(path)
    else:
        try:
            tree = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not a file saved by scalinglaws: not JSON ({err.msg}, line {err.lineno}) "
                             "and not a scalinglaws container") from None
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not a file saved by scalinglaws (neither JSON text nor a scalinglaws "
                             "container)") from None
        try:
            d = decode(tree)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: a damaged array or number ({type(err).__name__}: {err})") from None
    if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
        raise ValueError(f"{path}: not a scalinglaws file (no 'kind')")
    version = d.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE_VERSIONS:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        raise ValueError(f"{path}: field 'format_version' is {version!r}: "
                         + ("written by a newer scalinglaws; " if newer else "not a version; ")
                         + f"this one reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    return d


def _read_container(path: Path) -> dict:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"{path}: a damaged or truncated scalinglaws container ({err})") from None
    with zf:
        try:
            tree = json.loads(zf.read(RECORD_MEMBER))
        except KeyError:
            raise ValueError(f"{path}: a zip archive without {RECORD_MEMBER}: not a scalinglaws container") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:  # a bad CRC, a cut member, bad JSON
            raise ValueError(f"{path}: a damaged {RECORD_MEMBER} ({err})") from None
        names = set(zf.namelist())

        def member(i):
            name = f"{i}.npy"
            if name not in names:
                raise ValueError(f"member {name} is missing")
            with zf.open(name) as fh:
                return np.lib.format.read_array(io.BufferedReader(fh), allow_pickle=False)

        try:
            return decode(tree, member)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: a damaged array ({type(err).__name__}: {err})") from None


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
