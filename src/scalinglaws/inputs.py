"""Every check on what a caller passes in: tables, columns, rows, and scalar or array arguments.

A table and a law become clean float64 arrays (:func:`prepare`), or an :class:`InputError` that
names the column and the row (by position and by the table's index label) and what to do about
it. Scalar and array arguments (``level``, ``seed``, counts, prices, fractions) go through the
argument checks at the end of this module, so that one question ("is this a level?") has one
answer and one message everywhere. Nothing downstream ever sees a NaN from bad input.

This is the bottom layer: it imports numpy and pandas only.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "InputError", "Prepared", "SEED_MAX", "check_seed", "check_targets", "prepare", "subset", "check_enough_points", "resolve_columns", "check_identifiable",
    "check_fixed_floor",
    "check_not_swapped", "check_at_most", "as_table", "row_label", "numeric_column", "split_column",
    "check_finite_column", "check_positive_column", "weights_column",
    "check_level", "check_int", "numeric_argument", "check_range", "positive_argument",
    "nonnegative_argument", "positive_values", "renamed_arguments",
]


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
    index: pd.Index


def _plain(v):
    """numpy scalar -> Python scalar, so messages read 0.0 rather than np.float64(0.0)."""
    return v.item() if isinstance(v, np.generic) else v


def row_label(index: pd.Index, pos: int) -> str:
    label = _plain(index[pos])
    return f"row {pos}" if label == pos else f"row {pos} (index {label!r})"


def as_table(data) -> pd.DataFrame:
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


def numeric_column(table: pd.DataFrame, col: str) -> np.ndarray:
    s = table[col]
    if isinstance(s, pd.DataFrame):
        raise InputError(f"column {col!r} appears {s.shape[1]} times in the table; rename or drop the copies",
                         column=col)
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~pd.isna(s).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"column {col!r} is not numeric: {row_label(table.index, pos)} holds {_plain(s.iloc[pos])!r}",
            column=col,
            row=pos,
        )
    return values


def split_column(table: pd.DataFrame, by: str) -> np.ndarray:
    """The values of the column a table is split on (compute, for an extrapolation check): present,
    numeric and finite, or an error naming the column and the first bad row."""
    if by not in table.columns:
        raise InputError(f"split column {by!r} is not in the table (columns {list(table.columns)})", column=by)
    split = pd.to_numeric(table[by], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(split)):
        pos = int(np.flatnonzero(~np.isfinite(split))[0])
        raise InputError(f"split column {by!r} must be numeric and finite; row {pos} holds {table[by].iloc[pos]!r}",
                         column=by, row=pos)
    return split


def check_finite_column(values: np.ndarray, col: str, index: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        what = "NaN (missing)" if np.isnan(values[pos]) else f"{float(values[pos])}"
        raise InputError(
            f"column {col!r} has {what} at {row_label(index, pos)} ({int(bad.sum())} such row(s)); "
            "drop or fill those rows before fitting",
            column=col,
            row=pos,
        )


def check_positive_column(values: np.ndarray, col: str, index: pd.Index, why: str) -> None:
    bad = values <= 0
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"column {col!r} must be > 0 ({why}) but {row_label(index, pos)} holds {float(values[pos])!r} "
            f"({int(bad.sum())} such row(s))",
            column=col,
            row=pos,
        )


def weights_column(table: pd.DataFrame, weights, index: pd.Index) -> np.ndarray:
    n = len(table)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        if weights not in table.columns:
            raise InputError(
                f"weights column {weights!r} is not in the table; the table has columns {list(table.columns)}",
                column=weights,
            )
        w, name = numeric_column(table, weights), weights
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
    check_finite_column(w, name, index)
    neg = w < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise InputError(
            f"{name!r} must be >= 0 but {row_label(index, pos)} holds {float(w[pos])!r}", column=name, row=pos
        )
    return w


def prepare(data, law, x=None, y=None, weights=None, check_columns: bool = True) -> Prepared:
    """Validate ``data`` for ``law`` and return float64 arrays.

    Args:
        data: DataFrame (or mapping of columns).
        law: the :class:`~scalinglaws.laws.Law`.
        x: input column(s): a name, a list in the law's input order, or a mapping law input ->
            column; default the law's own input names.
        y: target column; default the law's target name.
        weights: per-row weights: a column name or an array; finite and >= 0. A weight of 0 is
            the same as dropping the row.
        check_columns: run the law's plausibility checks (e.g. chinchilla's "N and D look
            swapped"); turn off for data that is unusual on purpose.
    """
    table = as_table(data)
    if len(table) == 0:
        raise InputError("the table is empty")
    x_cols, y_col = resolve_columns(law, x, y, table.columns)
    index = table.index
    inputs = {}
    for name, col in zip(law.inputs, x_cols):
        v = numeric_column(table, col)
        check_finite_column(v, col, index)
        if law.log_inputs:
            check_positive_column(v, col, index, f"law {law.name!r} takes its log")
        inputs[name] = v
    yv = numeric_column(table, y_col)
    check_finite_column(yv, y_col, index)
    if law.space == "log":
        check_positive_column(yv, y_col, index, f"law {law.name!r} fits log {y_col}")

    w = weights_column(table, weights, index)
    check_enough_points(w, law)
    if law.check_inputs is not None and check_columns:
        law.check_inputs(inputs, dict(zip(law.inputs, x_cols)), index)
    return Prepared(x_cols, y_col, inputs, yv, w, index)


def check_enough_points(weights: np.ndarray, law) -> None:
    """More rows with positive weight than the law has parameters."""
    n_eff = int(np.count_nonzero(weights > 0))
    if n_eff <= law.n_params:
        raise InputError(
            f"too few points for law {law.name!r}: it has {law.n_params} parameters "
            f"({', '.join(law.params)}) and needs at least {law.n_params + 1} rows with positive weight; got {n_eff}"
        )


def subset(prepared: Prepared, pos: np.ndarray, law, check_columns: bool = True) -> Prepared:
    """The rows ``pos`` (positions) of a table :func:`prepare` checked, as their own fit's
    :class:`Prepared`, with the checks that depend on which rows are fitted together (enough
    points; the law's plausibility checks). A grouped fit checks its table once and each group so."""
    pos = np.asarray(pos)
    inputs = {k: v[pos] for k, v in prepared.inputs.items()}
    w = prepared.weights[pos]
    index = prepared.index[pos]
    check_enough_points(w, law)
    if law.check_inputs is not None and check_columns:
        law.check_inputs(inputs, dict(zip(law.inputs, prepared.x_columns)), index)
    return Prepared(prepared.x_columns, prepared.y_column, inputs, prepared.y[pos], w, index)


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
                f"(first: {row_label(index, pos)}, {a[pos]:.4g} > {b[pos]:.4g}); if the units differ "
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
                f"column {columns[small]!r} exceeds {columns[large]!r} at {row_label(index, pos)} "
                f"({a[pos]:.4g} > {b[pos]:.4g}): {what}; are the columns swapped?",
                column=columns[small],
                row=pos,
            )

    return check


# --------------------------------------------------------------------------------------------
# Argument checks: one number, or an array of numbers, passed as a keyword.


SEED_MAX = 2**63 - 1
"""The largest seed: seeds are whole numbers from 0 to 2^63 - 1 (a signed 64-bit integer)."""


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed as an ``int`` from 0 to :data:`SEED_MAX`; ``None`` draws one from the operating
    system's entropy (the result records the seed it used, so the draw can be repeated)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (SEED_MAX + 1))
    seed = check_int(seed, name, 0)
    if seed > SEED_MAX:
        raise ValueError(f"{name} must be from 0 to {SEED_MAX} (a signed 64-bit integer); got {seed}")
    return seed


def check_targets(target: Any, name: str = "target") -> np.ndarray:
    """Targets (losses, scores) as a 1-D float64 array of finite numbers: a NaN or infinite
    target has no compute to reach it, and answering "unreachable" or "0 FLOP" would be a
    confident answer to a question that was not asked."""
    try:
        values = np.atleast_1d(np.asarray(target, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers, got {target!r}") from None
    if values.ndim != 1:
        raise InputError(f"{name} must be a number or a list of numbers, got shape {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputError(f"{name} must be finite: position {int(bad[0])} is {values[bad[0]]}")
    return values


def real_number(value: Any, message: str) -> float:
    """``value`` as a float: a real number, not a bool; ``ValueError(message)`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(message)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None


def check_level(level: Any, name: str = "level") -> float:
    """A central interval's coverage: a number strictly between 0 and 1 (0.9 is a 90% band)."""
    message = f"{name} must be in (0, 1), e.g. 0.9 for a central 90% interval; got {level!r}"
    value = real_number(level, message)
    if not 0.0 < value < 1.0:
        raise ValueError(message)
    return value


def check_int(value: Any, name: str, minimum: int) -> int:
    """A count or a seed: an integer (not a bool) at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _is_tracer(x: Any) -> bool:
    # Inside jit nothing can be checked; jax is only consulted when it is already loaded.
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(x, jax.core.Tracer)


def numeric_argument(x: Any, name: str) -> Any:
    """Validate a numeric argument and return it in a form that keeps its container type.

    Python scalars become float, lists and tuples become numpy arrays; numpy arrays, JAX
    arrays and pandas Series pass through (so a result computed from them keeps the caller's
    type and index). NaN is rejected; JAX tracers are not inspected.
    """
    if isinstance(x, bool):
        raise TypeError(f"{name} must be numeric, got a bool")
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=np.float64)
    elif isinstance(x, (int, np.integer)):
        x = float(x)
    if _is_tracer(x):
        return x
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {type(x).__name__}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return x


def check_range(x: Any, name: str, *, low: float = -np.inf, high: float = np.inf,
                low_open: bool = False, high_open: bool = False, finite: bool = False,
                what: str = "") -> None:
    """Raise ``ValueError`` naming ``name`` and the first offending value outside the range."""
    if _is_tracer(x):
        return
    arr = np.asarray(x, dtype=np.float64)
    bad = (arr <= low) if low_open else (arr < low)
    bad = bad | ((arr >= high) if high_open else (arr > high))
    if finite:
        bad = bad | ~np.isfinite(arr)
    if bad.any():
        example = arr[bad].ravel()[0] if arr.ndim else float(arr)
        raise ValueError(f"{name} must be {what}; got {example!r}")


def positive_argument(x: Any, name: str, unit: str) -> Any:
    """A price, a duration, a ratio: every value > 0 and finite; the container type is kept."""
    x = numeric_argument(x, name)
    check_range(x, name, low=0.0, low_open=True, finite=True, what=f"positive and finite ({unit})")
    return x


def nonnegative_argument(x: Any, name: str, unit: str) -> Any:
    """A cost, a fraction that may be zero: every value >= 0 and finite; the container type is kept."""
    x = numeric_argument(x, name)
    check_range(x, name, low=0.0, finite=True, what=f"non-negative and finite ({unit})")
    return x


def positive_values(values: Any, name: str, why: str) -> np.ndarray:
    """At least one value, every one finite and > 0, as a flat float64 array (``why`` says what
    needs it, e.g. "for a log axis")."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"{name} must be finite and > 0 {why}; got {values!r}")
    return v


def renamed_arguments(**renames: str):
    """Decorator: keyword arguments renamed to one name a concept (``old="new"``) are still
    accepted under their old name, with a ``DeprecationWarning``; giving both is an error."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {old}= and {new}=; {old}= is the old name "
                                        f"of {new}=")
                    warnings.warn(f"{func.__name__}(): {old}= is renamed {new}=", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap
