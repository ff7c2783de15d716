"""Grouped fits: one law fitted to many curves in ONE batched, compiled solve (:class:`FitSet`).

``fit(df, law, by="mixture")`` fits the law to every group of rows (a data mixture, a board, a
model family, a router) with its own parameters. Each group is set up exactly as
:func:`scalinglaws.fitting.fit` sets up one data set (validation, bounds from its own data, its own
start grid and best ``n_starts`` starts); then every (group, start) pair is solved in one call of
the solver (:func:`scalinglaws.solvers.solve` with ``data_index``: each problem reads its own
group's rows, padded to one length with weight 0). A group's result is the :class:`Fit` a separate
``fit`` of its rows gives, to the solver's convergence tolerance, without a Python loop of solves.

Groups are solved in blocks of ``chunk_size`` (memory bounded by a block, not by the number of
groups); every block has the same shape, so one compiled program serves them all.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from . import bootstrap as _bootstrap
from . import fitting as _fitting
from . import group_bootstrap as _gb
from . import joint as _joint
from . import laws as _laws
from . import serialize
from . import solvers as _solvers
from .buckets import pad_rows
from .ensemble import Ensemble
from .ensemble_set import EnsembleSet
from .fitting import Fit
from .group_bootstrap import POINT_LANES
from .inputs import InputError, prepare, subset
from .problem import grid_values_by_group, predictions_by_group
from .results import Result, Summary

__all__ = ["fit", "FitSet", "EnsembleSet"]


def fit(data, law="chinchilla", x=None, y=None, *, by=None, shared=None, chunk_size: int = 4096, **options):
    """Fit a scaling law to a table, or to each group of its rows (``by``).

    Without ``by`` this is :func:`scalinglaws.fitting.fit` (every option is documented there,
    ``tie=`` included) and returns a :class:`~scalinglaws.fitting.Fit`.

    Args:
        by: a column name or a list of them: fit the law to each group of rows sharing their
            values, all groups in one batched solve; returns a :class:`FitSet`.
        shared: with ``by``, parameters common to every group (``["alpha"]``): one joint fit
            whose other parameters are each group's own (:mod:`scalinglaws.laws.shared`; the
            solver's step matrix is block-arrow, so a step's work is linear in the groups).
            Started from the groups' separate fits (one batched solve), with each shared
            parameter at their median and at the groups' own values.
        chunk_size: groups per solver call (memory is bounded by a block of groups).
        options: as :func:`scalinglaws.fitting.fit` (``weights`` may be a column name or one
            value per row of ``data``).
    """
    if by is None:
        if shared is not None:
            raise ValueError("shared= names parameters common to several groups: give by= as well "
                             "(on one curve, tie= relates its own parameters)")
        return _fitting.fit(data, law, x, y, **options)
    return _fit_groups(data, law, x, y, by, chunk_size, options, shared)


def _group_rows(data, by) -> tuple[list[str], list, list[np.ndarray]]:
    """(by columns, group keys in sorted order, positional rows of each group)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"by= groups the rows of a DataFrame; got {type(data).__name__}")
    cols = [by] if isinstance(by, str) else list(by)
    if not cols:
        raise ValueError("by must name at least one column")
    for c in cols:
        if c not in data.columns:
            raise InputError(f"by column {c!r} not in the table (columns {list(data.columns)})", column=c)
        missing = pd.isna(data[c]).to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise InputError(f"by column {c!r} has no value at row {row}: every row needs a group", column=c, row=row)
    codes = data.groupby(cols if len(cols) > 1 else cols[0], sort=True).indices
    plain = lambda v: v.item() if isinstance(v, np.generic) else v  # noqa: E731  (JSON-able keys)
    keys = [tuple(plain(v) for v in k) if isinstance(k, tuple) else plain(k) for k in codes]
    return cols, keys, [np.asarray(v) for v in codes.values()]


_SETUP_OPTIONS = ("grid", "fixed", "bounds", "config", "dtype")


def _fit_groups(data, law, x, y, by, chunk_size: int, options: dict, shared=None) -> FitSet:
    cols, keys, rows = _group_rows(data, by)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    options = dict(options)
    n_starts = options.pop("n_starts", 32)
    law, obj = _fitting.resolve_law(law, options.pop("tie", None), options.pop("objective", None),
                                    options.pop("delta", None), n_starts)
    weights = options.pop("weights", None)
    check_columns = options.pop("check_columns", True)
    unknown = sorted(set(options) - set(_SETUP_OPTIONS))
    if unknown:
        raise TypeError(f"fit() got an unexpected keyword argument {unknown[0]!r}")
    t0 = time.perf_counter()
    group_of_row = np.empty(len(data), np.int64)
    for g, pos in enumerate(rows):
        group_of_row[pos] = g
    try:  # the whole table checked once; each group's own checks below
        prepared = prepare(data, law, x, y, weights, check_columns=False)
    except InputError as err:
        if err.row is None:
            raise
        raise InputError(f"group {_label(cols, keys[group_of_row[err.row]])}: {err}", column=err.column,
                         row=err.row) from None
    setups = []
    for key, pos in zip(keys, rows):
        with _in_group(cols, key, pos):
            sub = subset(prepared, pos, law, check_columns)
            setups.append(_fitting.build_problem(sub, law, obj, **options))
    problems = [p for p, _ in setups]
    values = grid_values_by_group(problems, [g for _, g in setups])
    starts = []
    for key, pos, (problem, grid), v in zip(keys, rows, setups, values):
        with _in_group(cols, key, pos):
            starts.append(_fitting.best_starts(v, grid, law, n_starts))
    t_setup = time.perf_counter() - t0
    jlaw = None
    if shared is not None:  # refused before any solve
        jlaw = _laws.share(law, len(keys), shared)
    results, t_solve = _solve_groups(problems, [g[i] for (_, g), i in zip(setups, starts)], chunk_size)
    t0 = time.perf_counter()
    predictions = predictions_by_group(problems, [r.theta[0] for r in results])
    fits = {}
    for key, pos, (problem, grid), idx, res, yhat in zip(keys, rows, setups, starts, results, predictions):
        fit = _fitting.finish(problem, res, grid, idx, None, predictions=yhat)
        fit._source = _Rows(data, pos)
        fits[key] = fit
    diag = {"n_groups": len(keys), "setup_s": t_setup, "solve_s": t_solve, "finish_s": time.perf_counter() - t0,
            "chunk_size": int(chunk_size)}
    if jlaw is None:
        return FitSet(cols, fits, diag)
    t0 = time.perf_counter()
    joint = _joint.fit_shared(jlaw, problems, [fits[k].theta for k in keys], [_Rows(data, pos) for pos in rows],
                              n_starts)
    diag.update({"separate_solve_s": t_solve, "solve_s": time.perf_counter() - t0, **joint.diagnostics})
    result = FitSet(cols, dict(zip(keys, joint.fits)), diag, shared=jlaw.shared)
    result._joint_starts = joint.starts
    return result


class _in_group:
    """Re-raise a group's set-up error naming the group (and the row's place in the whole table)."""

    def __init__(self, cols, key, pos):
        self.cols, self.key, self.pos = cols, key, pos

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if err is None:
            return False
        label = _label(self.cols, self.key)
        if isinstance(err, InputError):
            row = None if err.row is None else int(self.pos[err.row])
            where = f" (row {row} of the table)" if row is not None else ""
            raise InputError(f"group {label}: {err}{where}", column=err.column, row=row) from None
        if isinstance(err, (ValueError, KeyError)):
            raise type(err)(f"group {label}: {err.args[0] if err.args else err}") from None
        return False


class _Rows:
    """A group's rows of the grouped table, read when asked (``Fit._source``: the columns a
    cluster bootstrap needs); copying every group's rows up front costs ~0.2 ms a group."""

    def __init__(self, table: pd.DataFrame, pos: np.ndarray):
        self._table, self._pos = table, pos

    @property
    def columns(self):
        return self._table.columns

    def __getitem__(self, column):
        return self._table[column].iloc[self._pos]

    def __len__(self) -> int:
        return len(self._pos)


def _label(cols, key) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{c}={v!r}" for c, v in zip(cols, values))


def _solve_groups(problems, starts, chunk_size: int):
    """Solve every group's problem from its starts in blocks of ``chunk_size`` groups, each one
    solver call; returns each group's one-problem :class:`~scalinglaws.solvers.SolveResult`
    (numpy, its own starts only) and the solve time."""
    first = problems[0]
    law, dtype = first.law, first.dtype
    for p in problems:
        if p.law is not law or p.dtype != dtype or not np.array_equal(p.fixed_mask, first.fixed_mask):
            raise ValueError("every group must be set up with the same law, dtype and fixed parameters")
    G = len(problems)
    n = max(p.n_padded for p in problems)
    S = max(len(s) for s in starts)
    block = min(int(chunk_size), G)
    out = []
    t0 = time.perf_counter()
    for lo in range(0, G, block):
        real = list(range(lo, min(lo + block, G)))
        res = _solve_block(problems, starts, real + [real[0]] * (block - len(real)), n, S)
        for j, g in enumerate(real):
            k = len(starts[g])
            out.append(_solvers.SolveResult(*[a[j:j + 1, :k] if name.endswith("_starts") else a[j:j + 1]
                                              for name, a in zip(_solvers.SolveResult._fields, res)]))
    return out, time.perf_counter() - t0


def _solve_block(problems, starts, idx: list[int], n: int, S: int) -> _solvers.SolveResult:
    """One solver call for the groups ``idx`` (rows padded to ``n`` with weight 0, starts to
    ``S``); numpy out. The last block repeats its first group to keep the shape (no recompile);
    those rows are dropped."""
    first = problems[idx[0]]
    dtype = first.dtype
    F = np.stack([pad_rows(problems[g].F, n) for g in idx])
    y = np.stack([pad_rows(problems[g].y_fit, n) for g in idx])
    W = np.stack([pad_rows(problems[g].weights, n, fill=0.0) for g in idx])
    # A group with fewer starts than the widest repeats its last one (same end point, same rank).
    theta0 = np.stack([problems[g].with_fixed(np.concatenate([starts[g], np.repeat(starts[g][-1:], S - len(starts[g]), 0)]))
                       for g in idx])
    lower = np.stack([problems[g].lower for g in idx])
    upper = np.stack([problems[g].upper for g in idx])
    res = _solvers.solve(first.law, first.objective, first.config, jnp.asarray(F, dtype), jnp.asarray(y, dtype),
                         jnp.asarray(W, dtype), jnp.asarray(theta0, dtype), jnp.asarray(lower, dtype),
                         jnp.asarray(upper, dtype), jnp.asarray(first.fixed_mask),
                         data_index=jnp.arange(len(idx), dtype=jnp.int32), slots=_slots(len(idx) * S, n))
    return jax.tree.map(np.asarray, jax.block_until_ready(res))


POOL_FROM = 2048
"""From this many (group, start) tasks a block runs through a slot pool (``bootstrap.default_slots``)
instead of every task at once: lanes that finish early are refilled instead of idling until the
slowest is done (1,000 sigmoid curves x 32 starts: 0.36 s with 512 slots, 1.27 s all at once)."""


def _slots(n_tasks: int, n_rows: int) -> int | None:
    if n_tasks <= POOL_FROM:
        return None
    return max(32, min(_bootstrap.default_slots(n_tasks), POINT_LANES // max(int(n_rows), 1)))


class FitSet(Result):
    """One law fitted to each group of rows: a :class:`~scalinglaws.fitting.Fit` per group.

    ``fitset[key]`` is a group's Fit (``key`` a value of the ``by`` column, or a tuple of values
    for several); iterating gives the keys; ``len`` the number of groups.

    Attributes:
        by: the grouping columns.
        law: the law (every group's).
        fits: ``{key: Fit}`` in sorted key order.
        shared: the parameters common to every group (empty when each group has its own); then
            every Fit is that group's share of one joint fit, and ``diagnostics`` holds the
            joint solve's (``joint_objective``, ``joint_converged``, ``joint_iterations``,
            ``joint_stop_reason``, ``joint_starts``, ...).
        diagnostics: ``n_groups``, ``setup_s`` and ``solve_s`` (seconds: per-group set-up, and the
            batched solve), ``chunk_size``.
    """

    _joint_starts: np.ndarray | None = None

    def __init__(self, by, fits: Mapping, diagnostics: dict, shared=()):
        self.by = list(by)
        self.shared = tuple(shared)
        self.fits = dict(fits)
        if not self.fits:
            raise ValueError("a FitSet needs at least one group")
        self.law = next(iter(self.fits.values())).law
        self.diagnostics = dict(diagnostics)

    # ------------------------------------------------------------------ access
    def __getitem__(self, key) -> Fit:
        try:
            return self.fits[key]
        except KeyError:
            shown = list(self.fits)[:10]
            raise KeyError(f"no group {key!r}; groups ({len(self.fits)}) include {shown}") from None

    def __iter__(self):
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    def items(self):
        return self.fits.items()

    @property
    def keys(self) -> list:
        return list(self.fits)

    def _index(self) -> pd.Index:
        keys = self.keys
        if len(self.by) > 1:
            return pd.MultiIndex.from_tuples(keys, names=self.by)
        return pd.Index(keys, name=self.by[0])

    def _key_columns(self, key, n: int) -> dict:
        values = key if isinstance(key, tuple) else (key,)
        return {c: [v] * n for c, v in zip(self.by, values)}

    @property
    def converged(self) -> np.ndarray:
        return np.array([f.converged for f in self.fits.values()])

    @property
    def on_bound(self) -> np.ndarray:
        return np.array([f.on_bound for f in self.fits.values()])

    @property
    def objective(self) -> float:
        """The summed objective over groups."""
        return float(sum(f.objective for f in self.fits.values()))

    @property
    def params(self) -> pd.DataFrame:
        """A row per group: every parameter (public units), the objective, convergence, whether a
        parameter ended on a bound, and the group's number of points. ``attrs["shared"]`` lists
        the shared parameters (their column holds one value)."""
        rows = []
        for f in self.fits.values():
            rows.append({**f.params, "objective": f.objective, "converged": f.converged, "on_bound": f.on_bound,
                         "n_points": f.diagnostics["n_points"]})
        table = pd.DataFrame(rows, index=self._index())
        table.attrs["shared"] = list(self.shared)
        return table

    # ------------------------------------------------------------------ predictions
    def _long(self, method: str, *args, **kwargs) -> pd.DataFrame:
        parts = []
        for key, f in self.fits.items():
            part = getattr(f, method)(*args, **kwargs)
            parts.append(pd.concat([pd.DataFrame(self._key_columns(key, len(part))), part.reset_index(drop=True)], axis=1))
        return pd.concat(parts, ignore_index=True)

    def predict(self, group=None, **inputs):
        """The law at each group's parameters. With ``group``, that group's prediction (an array,
        as :meth:`Fit.predict`); without, a long table: the ``by`` columns, the inputs (broadcast)
        and the prediction, a row per group and input point."""
        if group is not None:
            return self[group].predict(**inputs)
        parts = []
        for key, f in self.fits.items():
            values = f.predict(**inputs)
            arrays = {c: np.broadcast_to(np.asarray(v, dtype=np.float64), np.shape(values)).ravel() for c, v in inputs.items()}
            part = pd.DataFrame({**self._key_columns(key, values.size), **arrays, f.y_column: np.ravel(values)})
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def compute_for(self, target) -> pd.DataFrame:
        """Per group, :meth:`Fit.compute_for`: a long table with the ``by`` columns first."""
        return self._long("compute_for", target)

    def compute_optimal(self, C) -> pd.DataFrame:
        """Per group, :meth:`Fit.compute_optimal` (laws with an allocation): a long table."""
        return self._long("compute_optimal", C)

    # ------------------------------------------------------------------ bootstrap
    def bootstrap(self, n_bootstrap: int = 1000, seed: int = 0, resampling: str = "multinomial", cluster=None, *,
                  n_starts: int = 4, chunk_size: int = 8192, failed: str = "warn",
                  draws: str = "independent") -> EnsembleSet:
        """Refit every group on ``n_bootstrap`` resampled data sets, as one ensemble
        (:mod:`scalinglaws.group_bootstrap`): an :class:`~scalinglaws.ensemble_set.EnsembleSet`.

        Args:
            n_bootstrap, seed, resampling: as :meth:`Fit.bootstrap` (``"multinomial"`` or
                ``"bayesian"``); the same seed gives the same ensemble.
            cluster: None (default): rows resampled within each group. A column name: its
                clusters resampled within each group when each lies inside one group (runs,
                seeds); whole groups resampled when its clusters hold whole groups (pass the
                ``by`` column: the spread between groups then reaches the shared parameters;
                fits with shared parameters only).
            n_starts: starts per refit: the optimum (warm) and the ``n_starts - 1`` best grid
                points of each group (with shared parameters: of the joint starts).
            chunk_size: (replicate, group) problems per solver call (memory bound).
            failed: ``"warn"``, ``"raise"`` or ``"drop"``, as :meth:`Fit.bootstrap`.
            draws: ``"independent"`` (default): one draw over every group's rows, independent
                between groups, so replicates may be combined across groups (a sum over tasks).
                ``"per_group"`` (groups fitted separately): each group's replicates are exactly
                those of ``fitset[key].bootstrap(n_bootstrap, seed)`` (the same weights; the
                same optima to rounding): a grouped bootstrap equals the loop it replaces. Groups
                with the same rows share their draws then: do not combine them across groups.
        """
        if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 1:
            raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}")
        if resampling not in ("multinomial", "bayesian"):
            raise ValueError(f"resampling must be 'multinomial' or 'bayesian', got {resampling!r}")
        if failed not in _bootstrap.FAILED_POLICIES:
            raise ValueError(f"failed must be one of {_bootstrap.FAILED_POLICIES}, got {failed!r}")
        if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
            raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
        if draws not in ("independent", "per_group"):
            raise ValueError(f"draws must be 'independent' or 'per_group', got {draws!r}")
        if draws == "per_group" and self.shared:
            raise ValueError("draws='per_group' repeats each separate fit's bootstrap; a fit with shared parameters "
                             "is one joint problem: its replicates draw every group's rows at once")
        fits = list(self.fits.values())
        if not all(f.has_data for f in fits):
            raise ValueError("this grouped fit holds no data (saved without it): there is nothing to resample")
        problems = [f.problem for f in fits]
        labels = self._cluster_labels(cluster)
        t0 = time.perf_counter()
        if self.shared:
            jlaw = _laws.share(fits[0].law, len(fits), self.shared)
            joint_theta = jlaw.joint_theta(np.stack([f.theta for f in fits]))
            extra = self._joint_starts if self._joint_starts is not None else joint_theta[None]
            arrays, _, whole = _gb.bootstrap_joint(jlaw, problems, joint_theta, extra, n_bootstrap, seed, resampling,
                                                   labels, cluster, n_starts, chunk_size)
        else:
            grids = [f._ranked_starts if f._ranked_starts is not None else f.problem.ranked_starts() for f in fits]
            arrays = _gb.bootstrap_separate(problems, [f.theta for f in fits], grids, n_bootstrap, seed, resampling,
                                            labels, cluster, n_starts, chunk_size, per_group=draws == "per_group")
            whole = False
        info = {"whole_groups": whole, "draws": draws, "time_s": arrays[0].time_s, "compile_s": arrays[0].compile_s,
                "wall_s": time.perf_counter() - t0, "failed_policy": failed}
        ensembles = {}
        sizes = [len(p.y_fit) for p in problems]
        starts_at = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for key, fit, a, lo, k in zip(self.fits, fits, arrays, starts_at, sizes):
            start_info = {"labels": ["optimum"] + [f"start {i + 1}" for i in range(a.start_objective.shape[1] - 1)],
                          "retried": int(np.sum(a.retried)), "recovered": int(np.sum(a.retried & a.converged)),
                          "failed_policy": failed}
            own = None if labels is None or whole else labels[lo:lo + k]
            ensembles[key] = Ensemble(fit, a, resampling, seed, cluster if isinstance(cluster, str) else None,
                                      start_info, own)
        result = EnsembleSet(self, ensembles, info)
        left = {k: v["left_out"] for k, v in result.diagnostics["groups"].items() if v["left_out"]}
        failed_total = sum(int(np.sum(~e.converged)) for e in ensembles.values())
        if failed_total and failed != "drop":
            message = (f"{failed_total} (replicate, group) refits failed to converge after a retry; left out of "
                       f"their group's bands (per group: {dict(list(left.items())[:10])})")
            if failed == "raise":
                raise _bootstrap.ReplicateFailureError(message)
            warnings.warn(message, _bootstrap.ReplicateFailureWarning, stacklevel=2)
        return result

    def _cluster_labels(self, cluster):
        """[stacked rows] labels of column ``cluster`` in each group's table, or None."""
        if cluster is None:
            return None
        if not isinstance(cluster, str):
            raise TypeError(f"cluster must be a column name (or None), got {type(cluster).__name__}")
        parts = []
        for key, f in self.fits.items():
            source = f._source
            if source is None or cluster not in source.columns:
                have = [] if source is None else list(source.columns)
                raise InputError(f"cluster column {cluster!r} not in group {key!r}'s table (columns {have})",
                                 column=cluster)
            parts.append(source[cluster].to_numpy())
        return np.concatenate(parts)

    # ------------------------------------------------------------------ presentation
    def summary(self) -> Summary:
        """A row per group (:attr:`params`), with the groups that did not converge or ended on a
        bound named in the notes."""
        table = self.params
        d = self.diagnostics
        bad = [k for k, f in self.fits.items() if not f.converged]
        edge = [k for k, f in self.fits.items() if f.on_bound]
        notes = [f"{len(self)} groups by {', '.join(self.by)}; {int(table['n_points'].sum())} points; summed "
                 f"objective {self.objective:.10g}"]
        if self.shared:
            notes.append(f"shared by every group: {', '.join(self.shared)} (one joint fit, marked * in the table); "
                         f"joint fit {'converged' if d.get('joint_converged') else 'NOT CONVERGED'} "
                         f"({d.get('joint_iterations')} iterations, stopped: {d.get('joint_stop_reason')}; "
                         f"{d.get('joint_starts_at_best')} of {d.get('joint_starts')} starts reached the best)")
            table = table.rename(columns={n: f"{n}*" for n in self.shared})
        notes.append(f"batched solve: {d.get('solve_s', float('nan')):.3g} s (set-up {d.get('setup_s', float('nan')):.3g} s)")
        if bad:
            notes.append(f"NOT CONVERGED in {len(bad)} group(s): {bad[:10]}" + (" ..." if len(bad) > 10 else ""))
        if edge:
            notes.append(f"ON A BOUND in {len(edge)} group(s): {edge[:10]}" + (" ..." if len(edge) > 10 else "")
                         + ": the data do not pin those parameters down inside their range")
        return Summary(f"{self.law.name} fitted to each group: {self.law.formula}", table, notes=notes)

    def __repr__(self):
        shared = f" sharing {list(self.shared)}" if self.shared else ""
        return (f"<FitSet {self.law.name} by {self.by}{shared}: {len(self)} groups, {int(self.converged.sum())} converged, "
                f"{int(self.on_bound.sum())} on a bound>")

    # ------------------------------------------------------------------ persistence
    def to_dict(self, include_data: bool = True) -> dict:
        return {
            **serialize.header("scalinglaws.FitSet"),
            "law": self.law.name,
            "by": self.by,
            "shared": list(self.shared),
            "keys": [list(k) if isinstance(k, tuple) else k for k in self.fits],
            "fits": [f.to_dict(include_data) for f in self.fits.values()],
            "diagnostics": self.diagnostics,
        }

    def save(self, path, include_data: bool = True) -> Path:
        return serialize.write_json(path, self.to_dict(include_data), indent=1)

    @classmethod
    def from_dict(cls, d: dict) -> FitSet:
        keys = [tuple(k) if isinstance(k, list) else k for k in d["keys"]]
        return cls(d["by"], {k: Fit.from_dict(f) for k, f in zip(keys, d["fits"])}, d.get("diagnostics", {}),
                   shared=d.get("shared", ()))

