"""A command's output as one document: named tables and facts, rendered for people (``table``),
for spreadsheets and pandas (``csv``) or for programs (``json``).

Every ``scalinglaws`` command builds a :class:`Document` and prints ``render(format)``:

- ``table``: the text a person reads (summaries, headings, aligned tables).
- ``csv``: one table (the command's first, or the one ``--table`` names) as CSV at full
  precision, with a header line and nothing else, so ``pandas.read_csv`` reads back the same
  values: floats are written with Python's shortest round-trip ``repr``, NaN as an empty field,
  infinities as ``inf``/``-inf``.
- ``json``: strict RFC 8259 JSON (no ``NaN`` or ``Infinity`` tokens: a number that is not
  finite is written as ``null``), in the layout the JSON Schema shipped with the package
  describes (``scalinglaws/schemas/cli-output-v1.schema.json``; see docs/formats.md)::

      {"schema": "scalinglaws-cli-output", "schema_version": 1, "scalinglaws_version": "...",
       "command": "fit", "level": 0.9, "title": "...", "notes": ["..."], "facts": {...},
       "tables": {"parameters": {"title": "...", "columns": ["parameter", ...],
                                 "rows": [{"parameter": "E", "estimate": 1.82, ...}, ...]}},
       "files": {"out": "fit.json"}}

This module knows nothing of fits: it takes DataFrames, summaries (anything with ``title``,
``notes``, ``footer``, ``level`` and ``to_frame()``) and plain values.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
from pathlib import Path

from ._version import __version__

# numpy and pandas are imported where they are used: the command line reads FORMATS from here
# before it knows whether it will do any work (`--help` answers in under 0.1 s).

__all__ = ["SCHEMA", "SCHEMA_VERSION", "FORMATS", "Document", "strict", "dumps_strict", "schema"]

SCHEMA = "scalinglaws-cli-output"
SCHEMA_VERSION = 1
FORMATS = ("table", "csv", "json")


def strict(value):
    """``value`` as plain JSON values: numpy scalars and arrays to Python numbers and lists,
    non-finite floats to None, timestamps to ISO text, paths to text, tuples to lists, mapping
    keys to text. Raises TypeError for anything else, rather than writing its ``repr``."""
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if isinstance(value, np.ndarray):
        return [strict(v) for v in value.tolist()]
    if isinstance(value, Path):
        return str(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} as JSON: {value!r}")


def dumps_strict(record, indent: int | None = 2) -> str:
    """``record`` as strict RFC 8259 JSON text (:func:`strict`, then ``allow_nan=False``)."""
    return json.dumps(strict(record), indent=indent, allow_nan=False, ensure_ascii=False)


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the ``--format json`` documents, as shipped."""
    from importlib import resources

    text = resources.files("scalinglaws").joinpath("schemas", "cli-output-v1.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _flat(frame):
    """The frame with a meaningful index as its first column(s) and a plain RangeIndex."""
    import pandas as pd

    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        return frame
    names = [n if n is not None else ("index" if frame.index.nlevels == 1 else f"level_{i}")
             for i, n in enumerate(frame.index.names)]
    out = frame.copy()
    out.index = out.index.set_names(names)
    return out.reset_index()


def _fmt(v) -> str:
    return f"{v:.4g}"


def text_table(frame, width: int | None = None) -> str:
    """A DataFrame for people: numbers to 4 significant digits (large ones in scientific
    notation), no index unless it is named."""
    return _flat(frame).to_string(index=False, float_format=_fmt, line_width=width)


class Document:
    """One command's output: ``title``, ``notes``, ``facts`` (a dict of plain values), named
    ``tables`` (DataFrames, in order: the first is the command's main table), ``files`` (role ->
    path written) and ``level`` (the band level, None without bands); plus the blocks of text the
    ``table`` format prints, in order."""

    def __init__(self, command: str, level: float | None = None):
        self.command = command
        self.level = None if level is None else float(level)
        self.title: str | None = None
        self.notes: list[str] = []
        self.facts: dict = {}
        self.tables: dict = {}
        self.files: dict[str, str] = {}
        self._blocks: list = []

    # ------------------------------------------------------------------ building
    def text(self, text: str) -> None:
        """A block of text only the ``table`` format prints."""
        self._blocks.append(str(text))

    def table(self, name: str, frame, title: str | None = None, show: bool = True) -> None:
        """Add table ``name``; the ``table`` format prints ``title`` above it, unless ``show`` is
        False (another block, such as a summary, already prints it)."""
        if name in self.tables:
            raise ValueError(f"table {name!r} added twice")
        self.tables[name] = (title, _machine(frame))
        if show:
            if title:
                self._blocks.append(title)
            self._blocks.append(("table", name))

    def summary(self, name: str, summary, table=None) -> None:
        """Add a result's summary: its text for people, its table (or ``table``, where the
        summary's is dressed for people) as ``name``, its title and lines as the document's
        title and notes (the first summary's title becomes the document's)."""
        self._blocks.append(str(summary))
        if self.title is None:
            self.title = summary.title
        self.notes.extend(n for n in [*summary.notes, *summary.footer] if n)
        if self.level is None and summary.level is not None:
            self.level = float(summary.level)
        self.tables[name] = (summary.title, _machine(summary.to_frame() if table is None else table))

    def file(self, role: str, path) -> None:
        """Record a file the command wrote; the ``table`` format says so."""
        self.files[role] = str(path)
        what = {"out": "saved to", "plot": "plot saved to"}.get(role, f"{role} written to")
        self._blocks.append(f"{what} {path}")

    # ------------------------------------------------------------------ rendering
    def to_json(self) -> dict:
        """The document as a plain JSON record (see the module docstring)."""
        tables = {}
        for name, (title, frame) in self.tables.items():
            flat = _flat(frame)
            columns = [str(c) for c in flat.columns]
            rows = [dict(zip(columns, (strict(_scalar(v)) for v in row)))
                    for row in flat.itertuples(index=False, name=None)]
            tables[name] = {"title": title, "columns": columns, "rows": rows}
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "scalinglaws_version": __version__,
            "command": self.command,
            "level": self.level,
            "title": self.title,
            "notes": list(self.notes),
            "facts": strict(self.facts),
            "tables": tables,
            "files": dict(self.files),
        }

    def to_csv(self, name: str | None = None) -> str:
        """Table ``name`` (default: the first) as CSV at full precision."""
        if not self.tables:
            raise ValueError(f"{self.command} printed no table to write as CSV")
        if name is None:
            name = next(iter(self.tables))
        if name not in self.tables:
            raise ValueError(f"--table {name}: this {self.command} output has the tables "
                             f"{', '.join(self.tables)}")
        buf = io.StringIO()
        _flat(self.tables[name][1]).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()

    def to_text(self, width: int | None = None) -> str:
        parts = []
        for block in self._blocks:
            if isinstance(block, tuple):
                parts.append(text_table(self.tables[block[1]][1], width))
            else:
                parts.append(block)
        return "\n".join(parts) + "\n"

    def render(self, fmt: str, table: str | None = None, width: int | None = None) -> str:
        """The document as ``fmt`` (``table``, ``csv`` or ``json``); ``table`` picks the CSV's
        table. The text ends with a newline."""
        if fmt == "json":
            if table is not None:
                raise ValueError("--table picks the table of --format csv; --format json holds every table")
            return dumps_strict(self.to_json()) + "\n"
        if fmt == "csv":
            return self.to_csv(table)
        if fmt == "table":
            if table is not None:
                raise ValueError("--table picks the table of --format csv; --format table prints every table")
            return self.to_text(width)
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def _machine(frame):
    """The table as programs read it: an empty text cell (a flag not raised, in the tables for
    people) is a missing value, so that JSON writes null and CSV an empty field, which
    ``pandas.read_csv`` reads back as missing."""
    import pandas as pd

    out = frame.copy()
    out.attrs.update(frame.attrs)
    for c in out.columns:
        col = out[c]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            empty = col.map(lambda v: isinstance(v, str) and v == "").astype(bool)
            if empty.any():
                out[c] = col.astype(object).where(~empty, None)
    return out


def _scalar(v):
    """A DataFrame cell as a value :func:`strict` takes (pandas' missing markers as None)."""
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
