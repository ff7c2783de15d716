"""Input validation: a table and a law -> clean float64 arrays, or an error naming column and row.

Nothing downstream ever sees a NaN from bad input. Every check raises :class:`InputError` (a
``ValueError``) that says which column, which row (by position and by the table's index label)
and what to do about it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["InputError", "Prepared", "prepare", "resolve_columns"]


class InputError(ValueError):
    """Bad input data; ``column`` and ``row`` (positional) say where, when they apply."""

    def __init__(self, message: str, column: str | None = None, row: int | None = None):
        super().__init__(message)
        self.column = column
        self.row = row


@dataclass(frozen=True)
class Prepared:
    """Validated arrays for one fit."""

    x_columns: tuple[str, ...]
    y_column: str
    inputs: dict[str, np.ndarray]  # law input name -> values (float64)
    y: np.ndarray
    weights: np.ndarray
    groups: np.ndarray | None
    index: pd.Index


def _plain(v):
    """numpy scalar -> Python scalar, so messages read 0.0 rather than np.float64(0.0)."""
    return v.item() if isinstance(v, np.generic) else v


def _row_label(index: pd.Index, pos: int) -> str:
    label = _plain(index[pos])
    return f"row {pos}" if label == pos else f"row {pos} (index {label!r})"


def _as_table(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise InputError(f"data must be a pandas DataFrame or a mapping of columns, got {type(data).__name__}")


def resolve_columns(law, x, y, columns: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """Map ``x``/``y`` arguments to column names, with errors that list what exists."""
    if x is None:
        x_cols = tuple(law.inputs)
    elif isinstance(x, str):
        x_cols = (x,)
    elif isinstance(x, Mapping):
        unknown = [k for k in x if k not in law.inputs]
        if unknown:
            raise InputError(f"law {law.name!r} has inputs {list(law.inputs)}; x maps unknown {unknown}")
        x_cols = tuple(x.get(name, name) for name in law.inputs)
    else:
        x_cols = tuple(x)
    if len(x_cols) != len(law.inputs):
        raise InputError(
            f"law {law.name!r} takes {len(law.inputs)} input column(s) {list(law.inputs)}, "
            f"got x={list(x_cols)}"
        )
    y_col = law.target if y is None else y
    cols = list(columns)
    missing = [c for c in (*x_cols, y_col) if c not in cols]
    if missing:
        hint = ""
        if y is None and y_col in missing:
            hint = f"; pass y= to name the target column (the law's default is {law.target!r})"
        raise InputError(
            f"missing column(s) {missing} for law {law.name!r} (inputs {list(x_cols)}, target {y_col!r}); "
            f"the table has columns {cols}{hint}",
            column=missing[0],
        )
    if y_col in x_cols:
        raise InputError(f"column {y_col!r} is used both as an input and as the target", column=y_col)
    if len(set(x_cols)) != len(x_cols):
        raise InputError(f"input columns repeat: {list(x_cols)}")
    return x_cols, y_col


def _numeric(table: pd.DataFrame, col: str) -> np.ndarray:
    s = table[col]
    if isinstance(s, pd.DataFrame):
        raise InputError(f"column {col!r} appears {s.shape[1]} times in the table; rename or drop the copies",
                         column=col)
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~pd.isna(s).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"column {col!r} is not numeric: {_row_label(table.index, pos)} holds {_plain(s.iloc[pos])!r}",
            column=col,
            row=pos,
        )
    return values


def _check_finite(values: np.ndarray, col: str, index: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        what = "NaN (missing)" if np.isnan(values[pos]) else f"{float(values[pos])}"
        raise InputError(
            f"column {col!r} has {what} at {_row_label(index, pos)} ({int(bad.sum())} such row(s)); "
            "drop or fill those rows before fitting",
            column=col,
            row=pos,
        )


def _check_positive(values: np.ndarray, col: str, index: pd.Index, why: str) -> None:
    bad = values <= 0
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"column {col!r} must be > 0 ({why}) but {_row_label(index, pos)} holds {float(values[pos])!r} "
            f"({int(bad.sum())} such row(s))",
            column=col,
            row=pos,
        )


def _weights(table: pd.DataFrame, weights, index: pd.Index) -> np.ndarray:
    n = len(table)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        if weights not in table.columns:
            raise InputError(
                f"weights column {weights!r} is not in the table; the table has columns {list(table.columns)}",
                column=weights,
            )
        w, name = _numeric(table, weights), weights
    else:
        name = "weights"
        if isinstance(weights, pd.Series):
            # Align on the index, as pandas users expect; a label the table lacks is an error.
            missing = index.difference(weights.index)
            if len(missing):
                raise InputError(f"weights Series has no value for index label(s) {list(missing[:5])}")
            weights = weights.reindex(index)
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (n,):
            raise InputError(f"weights must have one value per row ({n}), got shape {w.shape}")
    _check_finite(w, name, index)
    neg = w < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise InputError(
            f"{name!r} must be >= 0 but {_row_label(index, pos)} holds {float(w[pos])!r}", column=name, row=pos
        )
    return w


def prepare(data, law, x=None, y=None, weights=None, groups=None, check_columns: bool = True) -> Prepared:
    """Validate ``data`` for ``law`` and return float64 arrays.

    Args:
        data: DataFrame (or mapping of columns).
        law: the :class:`~scalinglaws.laws.Law`.
        x: input column(s): a name, a list in the law's input order, or a mapping law input ->
            column; default the law's own input names.
        y: target column; default the law's target name.
        weights: per-row weights: a column name or an array; finite and >= 0. A weight of 0 is
            the same as dropping the row.
        groups: a column name whose values label clusters (for the grouped bootstrap).
        check_columns: run the law's plausibility checks (e.g. chinchilla's "N and D look
            swapped"); turn off for data that is unusual on purpose.
    """
    table = _as_table(data)
    if len(table) == 0:
        raise InputError("the table is empty")
    x_cols, y_col = resolve_columns(law, x, y, table.columns)
    index = table.index
    inputs = {}
    for name, col in zip(law.inputs, x_cols):
        v = _numeric(table, col)
        _check_finite(v, col, index)
        if law.log_inputs:
            _check_positive(v, col, index, f"law {law.name!r} takes its log")
        inputs[name] = v
    yv = _numeric(table, y_col)
    _check_finite(yv, y_col, index)
    if law.space == "log":
        _check_positive(yv, y_col, index, f"law {law.name!r} fits log {y_col}")

    w = _weights(table, weights, index)
    n_eff = int(np.count_nonzero(w > 0))
    if n_eff <= law.n_params:
        raise InputError(
            f"too few points for law {law.name!r}: it has {law.n_params} parameters "
            f"({', '.join(law.params)}) and needs at least {law.n_params + 1} rows with positive weight; got {n_eff}"
        )
    g = None
    if groups is not None:
        if groups not in table.columns:
            raise InputError(f"groups column {groups!r} not in the table (columns {list(table.columns)})", column=groups)
        if table[groups].isna().any():
            pos = int(np.flatnonzero(table[groups].isna().to_numpy())[0])
            raise InputError(f"groups column {groups!r} is missing at {_row_label(index, pos)}", column=groups, row=pos)
        g = table[groups].to_numpy()
    check = law.extras.get("check_inputs") if law.extras else None
    if check is not None and check_columns:
        check(inputs, dict(zip(law.inputs, x_cols)), index)
    return Prepared(x_cols, y_col, inputs, yv, w, g, index)


def check_identifiable(prepared: Prepared, law, n_free: int) -> None:
    """Refuse inputs that cannot identify the law: an input column with one value among the rows
    that count (its term is then a constant, inseparable from the others), or a one-input law with
    fewer distinct x than free parameters (a curve through fewer points than it has parameters)."""
    used = prepared.weights > 0
    for (name, values), col in zip(prepared.inputs.items(), prepared.x_columns):
        distinct = np.unique(values[used])
        if len(distinct) < 2:
            raise InputError(
                f"column {col!r} has the same value ({distinct[0]:.6g}) in every row with positive weight: "
                f"law {law.name!r} cannot separate the effect of {col!r} from a constant",
                column=col,
            )
        if len(prepared.inputs) == 1 and len(distinct) < n_free:
            raise InputError(
                f"column {col!r} has {len(distinct)} distinct values but law {law.name!r} has {n_free} free "
                f"parameters: a curve through {len(distinct)} x values cannot pin down {n_free} parameters "
                "(fix some with fixed=, or add runs at other x)",
                column=col,
            )


def check_fixed_floor(prepared: Prepared, law, fixed: dict) -> None:
    """A loss law's irreducible loss fixed at or above every observed loss leaves nothing to fit:
    every prediction exceeds every observation whatever the other parameters."""
    if law.space != "log" or not fixed or "E" not in fixed or "E" not in law.params:
        return
    used = prepared.weights > 0
    top = float(np.max(prepared.y[used]))
    if float(fixed["E"]) >= top:
        raise InputError(
            f"fixed E = {float(fixed['E']):.6g} is at or above every {prepared.y_column!r} in the data (largest "
            f"{top:.6g}): the law's prediction E + (positive terms) exceeds every observation, so the other "
            "parameters are not identified",
            column=prepared.y_column,
        )


def check_not_swapped(small: str, large: str, what: str):
    """A law check: in most rows ``small`` should not exceed ``large`` (e.g. N < D for LLM runs).

    Raises when the majority of rows say otherwise, which is what swapped columns look like.
    """

    def check(inputs, columns, index):
        a, b = inputs[small], inputs[large]
        bad = a > b
        if bad.mean() > 0.5:
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"columns {columns[small]!r} and {columns[large]!r} look swapped: {what}, yet "
                f"{columns[small]!r} > {columns[large]!r} in {int(bad.sum())} of {len(a)} rows "
                f"(first: {_row_label(index, pos)}, {a[pos]:.4g} > {b[pos]:.4g}); if the units differ "
                "on purpose, pass check_columns=False",
                column=columns[small],
                row=pos,
            )

    return check


def check_at_most(small: str, large: str, what: str):
    """A law check: ``small <= large`` in every row (e.g. unique tokens U <= tokens D)."""

    def check(inputs, columns, index):
        a, b = inputs[small], inputs[large]
        bad = a > b * (1 + 1e-12)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"column {columns[small]!r} exceeds {columns[large]!r} at {_row_label(index, pos)} "
                f"({a[pos]:.4g} > {b[pos]:.4g}): {what}; are the columns swapped?",
                column=columns[small],
                row=pos,
            )

    return check
