"""The result protocol every result object follows: ``summary()`` returns a :class:`Summary`, which
prints as a table, shows as HTML in a notebook and gives its table as ``to_frame()``; the result's
own ``to_frame()`` is that table; bands default to :data:`~scalinglaws.intervals.DEFAULT_LEVEL`
and every returned table records its ``level`` in ``attrs``.

A :class:`Summary` is a title, a few lines of context (data, convergence, what was left out and
why), one table (parameters with intervals, per-budget optima, policies...) and a few closing
lines. It compares and searches as its text (``"converged: yes" in fit.summary()``), so it reads
like the string it replaces wherever a string was expected.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from pathlib import Path

import numpy as np
import pandas as pd

from .serialize import write_record

__all__ = ["Summary", "Result"]


def _cell(value, spec: str | None) -> str:
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return format(v, spec or ".6g")
    return str(value)


class Summary:
    """A result's summary: ``title``, ``notes`` (lines before the table), ``table`` (a DataFrame),
    ``footer`` (lines after it) and the ``level`` of the table's bands (None when it has none).

    ``str(summary)`` is the printable text; ``summary.to_frame()`` the table (a copy, with
    ``attrs["level"]`` and ``attrs["title"]``); in a notebook it shows as HTML. ``formats`` maps a
    column to its format spec in the text (default ``.6g`` for numbers).
    """

    def __init__(self, title: str, table: pd.DataFrame | None = None, notes: Sequence[str] = (),
                 footer: Sequence[str] = (), level: float | None = None, formats: Mapping[str, str] | None = None):
        self.title = str(title)
        self.table = pd.DataFrame() if table is None else table
        self.notes = [str(n) for n in notes]
        self.footer = [str(n) for n in footer]
        self.level = None if level is None else float(level)
        self.formats = dict(formats or {})

    def to_frame(self) -> pd.DataFrame:
        """The table, with ``attrs["level"]`` (None without bands) and ``attrs["title"]``."""
        out = self.table.copy()
        out.attrs.update(self.table.attrs)
        out.attrs["level"] = self.level
        out.attrs["title"] = self.title
        return out

    def _table_text(self) -> str:
        """The table as text: the index (named, left-aligned) and right-aligned columns."""
        t = self.table
        if not len(t.columns):
            return ""
        show_index = not (isinstance(t.index, pd.RangeIndex) and t.index.name is None)
        cols = [[str(c)] + [_cell(v, self.formats.get(c)) for v in t[c].tolist()] for c in t.columns]
        if show_index:
            cols.insert(0, [str(t.index.name or "")] + [_cell(v, None) for v in t.index.tolist()])
        widths = [max(len(s) for s in col) for col in cols]
        lines = []
        for r in range(len(t) + 1):
            cells = []
            for j, (col, w) in enumerate(zip(cols, widths)):
                cells.append(col[r].ljust(w) if (show_index and j == 0) else col[r].rjust(w))
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        parts = [self.title, *self.notes]
        table = self._table_text()
        if table:
            parts += ["", table]
        parts += self.footer
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes if n)
        footer = "".join(f"<li>{html.escape(n)}</li>" for n in self.footer if n)
        table = "" if self.table.empty and not len(self.table.columns) else self.table.to_html(
            float_format=lambda v: _cell(v, None), na_rep="nan")
        return (f"<div><strong>{html.escape(self.title)}</strong>"
                + (f"<ul>{notes}</ul>" if notes else "") + table + (f"<ul>{footer}</ul>" if footer else "") + "</div>")

    def __contains__(self, text: str) -> bool:
        return text in str(self)

    def __eq__(self, other) -> bool:
        if isinstance(other, Summary):
            return str(self) == str(other)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    __hash__ = None


class Result:
    """What every result object shares: ``summary()`` (a :class:`Summary`), ``to_frame()`` (its
    table), ``str()`` (its text), an HTML view in a notebook, and ``save(path)``, which
    :func:`scalinglaws.load` reads back. Subclasses define ``summary``, ``to_dict`` (a JSON
    record starting with :func:`~scalinglaws.serialize.header`) and ``from_dict``."""

    def summary(self, *args, **kwargs) -> Summary:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def save(self, path) -> Path:
        """Write the result to ``path``: a compact container (any name but ``*.json``; ``.npz``
        recommended: strict-JSON metadata and binary arrays in one zip) or strict JSON (``*.json``);
        ``scalinglaws.load(path)`` reads either back (:mod:`scalinglaws.serialize`)."""
        return write_record(path, self.to_dict())

    def to_frame(self, *args, **kwargs) -> pd.DataFrame:
        """The summary's table (``attrs["level"]`` records the level of its bands)."""
        return self.summary(*args, **kwargs).to_frame()

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()
