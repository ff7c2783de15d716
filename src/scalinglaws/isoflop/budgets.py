"""IsoFLOP budgets from a table: labels and their compute, the checks that a column can label
isoFLOP groups, and the padded ``[budgets x runs]`` layout the parabolas are fitted on."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..inputs import InputError, check_finite_column, check_positive_column, numeric_column, row_label

__all__ = ["budget_label", "budget_labels", "check_groupable", "group_compute", "Budgets", "Layout", "group_budgets",
           "layout"]


def budget_label(v) -> str:
    """A budget as it reads in tables and legends (numbers to 4 significant digits)."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


def budget_labels(table: pd.DataFrame, budget: str, compute) -> np.ndarray:
    """The budget label of every row (numeric, finite and > 0 when they are the compute);
    errors name the column and row."""
    index = table.index
    if compute is None:
        values = numeric_column(table, budget)
        check_finite_column(values, budget, index)
        check_positive_column(values, budget, index,
                        "its values are the compute budgets C of the frontier, which takes ln C")
        return values
    s = table[budget]
    if isinstance(s, pd.DataFrame):
        raise InputError(f"column {budget!r} appears {s.shape[1]} times in the table", column=budget)
    missing = pd.isna(s).to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise InputError(f"budget column {budget!r} is missing at {row_label(index, pos)}", column=budget, row=pos)
    return s.to_numpy()


def check_groupable(labels: np.ndarray, budget: str, columns, min_points: int) -> None:
    n = len(labels)
    k = len(pd.unique(labels))
    if k > 2 and k > n / 2:
        hint = ""
        if "budget" in columns and budget != "budget":
            hint = " (this table has a 'budget' column: pass budget='budget')"
        raise InputError(
            f"column {budget!r} has {k} distinct values among {n} rows, so it cannot label isoFLOP groups: an "
            f"isoFLOP profile compares runs trained at one nominal compute budget, and each run's actual compute "
            f"(e.g. 6ND) differs from run to run. Pass the column holding the nominal budget{hint}, or round the "
            f"compute to the budgets the runs were planned at and pass that column; each budget needs at least "
            f"{min_points} runs",
            column=budget,
        )


def group_compute(table, labels_sorted, inverse, compute, budget) -> np.ndarray:
    """Compute C per budget (the frontier's x): the label itself, a column's geometric mean, or a mapping."""
    G = len(labels_sorted)
    if compute is None:
        return np.asarray(labels_sorted, dtype=np.float64)
    if isinstance(compute, str):
        if compute not in table.columns:
            raise InputError(f"compute column {compute!r} is not in the table; the table has columns "
                             f"{list(table.columns)}", column=compute)
        c = numeric_column(table, compute)
        check_finite_column(c, compute, table.index)
        check_positive_column(c, compute, table.index, "the frontier takes ln C")
        out = np.zeros(G)
        np.add.at(out, inverse, np.log(c))
        return np.exp(out / np.bincount(inverse, minlength=G))
    if isinstance(compute, Mapping):
        out = []
        for lab in labels_sorted:
            key = lab.item() if isinstance(lab, np.generic) else lab
            if key not in compute:
                raise InputError(f"compute mapping has no value for budget {key!r} (column {budget!r})", column=budget)
            v = float(compute[key])
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"compute for budget {key!r} must be finite and > 0, got {compute[key]!r}",
                                 column=budget)
            out.append(v)
        return np.asarray(out)
    raise InputError(f"compute must be None (budget labels are the compute), a column name or a mapping "
                     f"budget -> FLOP; got {type(compute).__name__}")



class Budgets(NamedTuple):
    """The budgets of a table, sorted by compute: ``labels`` [G], ``C`` [G], ``index`` (each row's
    budget, 0..G-1), ``keep`` (rows with positive weight), ``n_runs`` [G] (kept runs per budget)
    and ``enough`` [G] (at least ``min_points`` runs)."""

    labels: np.ndarray
    C: np.ndarray
    index: np.ndarray
    keep: np.ndarray
    n_runs: np.ndarray
    enough: np.ndarray

    def rows(self, g: int) -> np.ndarray:
        """Positions of budget ``g``'s kept runs in the table."""
        return np.flatnonzero(self.keep & (self.index == g))


def group_budgets(table: pd.DataFrame, budget: str, compute, weights: np.ndarray, min_points: int) -> Budgets:
    """Label every row with its budget, order the budgets by compute and count their runs."""
    labels = budget_labels(table, budget, compute)
    check_groupable(labels, budget, table.columns, min_points)
    codes, uniques = pd.factorize(pd.Series(labels), sort=True)
    uniques = np.asarray(uniques)
    C_all = group_compute(table, uniques, codes, compute, budget)
    order = np.argsort(C_all, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    index = rank[codes]
    keep = weights > 0  # a zero weight drops the run
    n_runs = np.bincount(index[keep], minlength=len(order))
    return Budgets(uniques[order], C_all[order], index, keep, n_runs, n_runs >= min_points)


class Layout(NamedTuple):
    """The fitted budgets' runs, padded to ``[B, M]`` (padding has zero weight).

    ``fitted`` [B]: which budgets (of the G); ``rows``: each one's table rows; ``u``: ln size
    scaled to [-1, 1] over the budget's sampled sizes (``ln size = center + scale u``); ``y``,
    ``w``: targets and weights; ``uid``: each run's distinct-size index within its budget;
    ``n_unique``: the most distinct sizes in any budget.
    """

    fitted: np.ndarray
    rows: list
    u: np.ndarray
    y: np.ndarray
    w: np.ndarray
    uid: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    n_unique: int


def layout(budgets: Budgets, log_size: np.ndarray, y: np.ndarray, w: np.ndarray) -> Layout:
    """Pad the runs of the budgets with enough of them into a :class:`Layout`."""
    fitted = np.flatnonzero(budgets.enough)
    rows = [budgets.rows(g) for g in fitted]
    B, M = len(fitted), max((len(r) for r in rows), default=1)
    u, yy, w0 = np.zeros((B, M)), np.zeros((B, M)), np.zeros((B, M))
    uid = np.zeros((B, M), dtype=np.int64)
    center, scale = np.zeros(B), np.ones(B)
    n_unique = 1
    for j, r in enumerate(rows):
        x = log_size[r]
        center[j] = 0.5 * (x.min() + x.max())
        half = 0.5 * (x.max() - x.min())
        scale[j] = half if half > 0 else 1.0
        k = len(r)
        u[j, :k] = (x - center[j]) / scale[j]
        yy[j, :k] = y[r]
        w0[j, :k] = w[r]
        _, inv = np.unique(x, return_inverse=True)
        uid[j, :k] = inv
        n_unique = max(n_unique, int(inv.max()) + 1)
    return Layout(fitted, rows, u, yy, w0, uid, center, scale, n_unique)
