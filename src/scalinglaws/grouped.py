"""Grouped fits: one law fitted to many curves in ONE batched, compiled solve (:class:`FitSet`).

``fit(df, law, by="mixture")`` fits the law to every group of rows (a data mixture, a board, a
model family, a router) with its own parameters. Each group is set up as
:func:`scalinglaws.fitting.fit` sets up one data set (validation, bounds from its own data, its own
start grid and best ``n_starts`` starts), and every (group, start) pair is solved in one call of
the solver, block by block (:mod:`scalinglaws.group_solve`: arrays throughout, no Python object
per group). A group's result is the :class:`Fit` a separate ``fit`` of its rows gives, to the
solver's convergence tolerance; the :class:`FitSet` holds the groups' results as arrays and makes
a group's :class:`Fit` when it is asked for.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import bootstrap as _bootstrap
from . import extrapolate as _extrapolate
from . import fitting as _fitting
from . import group_bootstrap as _gb
from . import inference as _inference
from . import objectives as _objectives
from . import joint as _joint
from . import laws as _laws
from . import serialize
from .ensemble import Ensemble
from .ensemble_set import EnsembleSet
from .fitting import Fit
from .group_solve import GroupLayout, fit_separately
from .buckets import bucket_points
from .inputs import InputError, check_int, check_level, check_seed, prepare, subset
from .intervals import DEFAULT_LEVEL
from .problem import law_fit_space
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


def _group_layout(data, by) -> tuple[list[str], list, GroupLayout]:
    """(by columns, group keys in sorted order, where each group's rows are)."""
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
    groups = data.groupby(cols if len(cols) > 1 else cols[0], sort=True)
    codes = groups.ngroup().to_numpy()
    index = groups.size().index
    plain = lambda v: v.item() if isinstance(v, np.generic) else v  # noqa: E731  (JSON-able keys)
    keys = [tuple(plain(v) for v in k) if isinstance(k, tuple) else plain(k) for k in index.tolist()]
    return cols, keys, GroupLayout.from_codes(codes, len(keys))


_SETUP_OPTIONS = ("grid", "fixed", "bounds", "config", "dtype")


def _fit_groups(data, law, x, y, by, chunk_size: int, options: dict, shared=None) -> FitSet:
    cols, keys, layout = _group_layout(data, by)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    options = dict(options)
    n_starts = options.pop("n_starts", None)
    law, obj, n_starts = _fitting.resolve_law(law, options.pop("tie", None), options.pop("objective", None),
                                    options.pop("delta", None), n_starts)
    weights = options.pop("weights", None)
    check_columns = options.pop("check_columns", True)
    unknown = sorted(set(options) - set(_SETUP_OPTIONS))
    if unknown:
        raise TypeError(f"fit() got an unexpected keyword argument {unknown[0]!r}")
    t0 = time.perf_counter()
    try:  # the whole table checked once; each group's own checks in group_solve
        prepared = prepare(data, law, x, y, weights, check_columns=False)
    except InputError as err:
        if err.row is None:
            raise
        g = int(np.searchsorted(layout.offsets, np.flatnonzero(layout.order == err.row)[0], side="right") - 1)
        raise InputError(f"group {_label(cols, keys[g])}: {err}", column=err.column, row=err.row) from None
    t_prepare = time.perf_counter() - t0
    jlaw = None if shared is None else _laws.share(law, len(keys), shared)  # refused before any solve

    def in_group(g):
        return _in_group(cols, keys[g], layout.rows(g))

    def setup_one(g, checks_only=False):
        with in_group(g):
            sub = subset(prepared, layout.rows(g), law, check_columns)
            return None if checks_only else _fitting.build_problem(sub, law, obj, **options)

    sep = fit_separately(prepared, layout, law, obj, n_starts=n_starts, chunk_size=chunk_size,
                         check_columns=check_columns, setup_one=setup_one, in_group=in_group, **options)
    diag = {"n_groups": len(keys), "setup_s": t_prepare + sep.setup_s, "solve_s": sep.solve_s,
            "chunk_size": int(chunk_size)}
    separate = FitSet(cols, _LazyFits(keys, sep, prepared, layout, data), diag)
    if jlaw is None:
        return separate
    t0 = time.perf_counter()
    problems = [sep.problem(prepared, layout.rows(g), g) for g in range(len(keys))]
    joint = _joint.fit_shared(jlaw, problems, list(sep.theta), [_Rows(data, layout.rows(g)) for g in range(len(keys))],
                              n_starts)
    diag.update({"separate_solve_s": sep.solve_s, "solve_s": time.perf_counter() - t0, **joint.diagnostics})
    result = FitSet(cols, dict(zip(keys, joint.fits)), diag, shared=jlaw.shared)
    result._joint_starts = joint.starts
    return result


class _LazyFits(Mapping):
    """``{key: Fit}`` over a grouped fit's arrays (:class:`~scalinglaws.group_solve.SeparateFits`):
    a group's :class:`Fit` is made when first asked for (about 0.3 ms), so a fit of 100,000
    groups keeps arrays, not 100,000 objects."""

    def __init__(self, keys, sep, prepared, layout, table):
        self._keys = list(keys)
        self._where = {k: g for g, k in enumerate(self._keys)}
        self.separate, self._prepared, self._layout, self._table = sep, prepared, layout, table
        self._made: dict = {}

    def __getitem__(self, key) -> Fit:
        g = self._where[key]
        fit = self._made.get(g)
        if fit is None:
            sep, rows = self.separate, self._layout.rows(g)
            k = int(sep.n_starts[g])
            fit = Fit._from_solve(sep.problem(self._prepared, rows, g), sep.solve_result(g),
                                  grid_size=int(sep.grid_size[g]), start_indices=range(k))
            fit.diagnostics["retried"] = bool(sep.retried[g])
            fit._ranked_starts = sep.ranked_starts[g, :k]
            fit._source = _Rows(self._table, rows)
            self._made[g] = fit
        return fit

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def inference_arrays(self, kind: str, level: float, block: int) -> dict:
        """:func:`scalinglaws.inference.infer_groups` of every group, ``block`` groups per call
        (each block's rows padded to the largest group's bucket)."""
        sep, law, prepared, layout = self.separate, self.separate.law, self._prepared, self._layout
        F_all, y_all = law.features(prepared.inputs), law_fit_space(law, prepared.y)
        n = bucket_points(int(layout.counts.max()))
        G = layout.n_groups
        parts = []
        for lo in range(0, G, block):
            groups = np.arange(lo, min(lo + block, G))
            pos, real = layout.padded(groups, n)
            W = np.where(real, prepared.weights[pos], 0.0)
            parts.append(_inference.infer_groups(law, sep.objective_fn, sep.theta[groups], F_all[pos], y_all[pos], W,
                                                 sep.lower[groups], sep.upper[groups], sep.fixed_mask,
                                                 sep.config.bound_tol, kind, level))
        return {c: np.concatenate([part[c] for part in parts]) for c in ("estimate", "std_error", "lower", "upper",
                                                                         "status")}


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

    def to_frame(self) -> pd.DataFrame:
        return self._table.iloc[self._pos]


def _label(cols, key) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{c}={v!r}" for c, v in zip(cols, values))


class FitSet(Result):
    """One law fitted to each group of rows: a :class:`~scalinglaws.fitting.Fit` per group.

    ``fitset[key]`` is a group's Fit (``key`` a value of the ``by`` column, or a tuple of values
    for several); iterating gives the keys; ``len`` the number of groups. A fit of separate
    groups keeps their results as arrays and makes a group's Fit when it is first asked for;
    ``params``, ``converged``, ``on_bound``, ``objectives``, ``predict``, ``compute_for`` and
    ``compute_optimal`` read the arrays (every group in one evaluation), so 100,000 groups need
    no 100,000 objects.

    Attributes:
        by: the grouping columns.
        law: the law (every group's).
        fits: ``{key: Fit}`` in sorted key order (a read-only mapping, filled as it is read).
        shared: the parameters common to every group (empty when each group has its own); then
            every Fit is that group's share of one joint fit, and ``diagnostics`` holds the
            joint solve's (``joint_objective``, ``joint_converged``, ``joint_iterations``,
            ``joint_stop_reason``, ``joint_starts``, ...).
        diagnostics: ``n_groups``, ``setup_s`` (seconds: the table's checks, every group's
            bounds, start grid and its scoring) and ``solve_s`` (the batched solves and retries),
            ``chunk_size``.
    """

    _joint_starts: np.ndarray | None = None

    def __init__(self, by, fits: Mapping, diagnostics: dict, shared=()):
        self.by = list(by)
        self.shared = tuple(shared)
        self.fits = fits if isinstance(fits, _LazyFits) else dict(fits)
        if not self.fits:
            raise ValueError("a FitSet needs at least one group")
        self.law = self._separate.law if self._separate is not None else next(iter(self.fits.values())).law
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

    @property
    def _separate(self):
        """The groups' separate fits as arrays (:class:`~scalinglaws.group_solve.SeparateFits`),
        or None (a joint fit, or a loaded one: a Fit per group)."""
        return self.fits.separate if isinstance(self.fits, _LazyFits) else None

    def _per_group(self, name: str, attribute) -> np.ndarray:
        sep = self._separate
        if sep is not None:
            return np.asarray(getattr(sep, name))
        return np.array([attribute(f) for f in self.fits.values()])

    @property
    def converged(self) -> np.ndarray:
        return self._per_group("converged", lambda f: f.converged)

    @property
    def on_bound(self) -> np.ndarray:
        return self._per_group("on_bound", lambda f: f.on_bound)

    @property
    def objectives(self) -> np.ndarray:
        """Each group's objective."""
        return self._per_group("objective", lambda f: f.objective)

    @property
    def objective(self) -> float:
        """The summed objective over groups."""
        return float(np.sum(self.objectives))

    @property
    def params(self) -> pd.DataFrame:
        """A row per group: every parameter (public units), the objective, convergence, whether a
        parameter ended on a bound, and the group's number of points. ``attrs["shared"]`` lists
        the shared parameters (their column holds one value)."""
        sep = self._separate
        if sep is not None:
            values = self.law.public_values(sep.theta)
            table = pd.DataFrame({name: values[:, j] for j, name in enumerate(self.law.public_names)},
                                 index=self._index())
            table["objective"] = sep.objective
            table["converged"] = sep.converged.astype(bool)
            table["on_bound"] = sep.on_bound.astype(bool)
            table["n_points"] = sep.n_points.astype(np.int64)
        else:
            rows = []
            for f in self.fits.values():
                rows.append({**f.params, "objective": f.objective, "converged": f.converged, "on_bound": f.on_bound,
                             "n_points": f.diagnostics["n_points"]})
            table = pd.DataFrame(rows, index=self._index())
        table.attrs["shared"] = list(self.shared)
        return table

    # ------------------------------------------------------------------ inference
    def inference(self, kind: str = "sandwich", level: float = DEFAULT_LEVEL, block: int = 4096) -> pd.DataFrame:
        """Every group's :meth:`Fit.inference` as a long table: the ``by`` columns, ``parameter``,
        ``estimate``, ``std_error``, ``lower``, ``upper`` (Wald, at ``level``) and ``status``
        (``"fixed"``, ``"on lower bound"``, ``"on upper bound"``, ``"not identified"`` or empty), a
        row per group and parameter. Separate fits are evaluated ``block`` groups per call, with
        no Fit made; a joint fit with shared parameters is refused (its groups' covariances are
        not separate: bootstrap it)."""
        check_level(level)
        if self.shared:
            raise ValueError(f"the groups share {list(self.shared)}: their standard errors come from one joint "
                             "problem, which inference does not cover yet; use fitset.bootstrap(...) for intervals")
        if kind not in _inference.KINDS:
            raise ValueError(f"kind must be one of {_inference.KINDS}, got {kind!r}")
        names = list(self.law.public_names)
        sep = self._separate
        if sep is None:
            parts = [self[k].inference(kind, level).table for k in self.keys]
            columns = {c: np.concatenate([t[c].to_numpy() for t in parts])
                       for c in ("estimate", "std_error", "lower", "upper", "status")}
        else:
            if kind == "classical" and not isinstance(sep.objective_fn, _objectives.LeastSquares):
                raise ValueError(f"kind='classical' is the least-squares covariance; these fits minimise "
                                 f"{sep.objective_fn.name}: use kind='sandwich'")
            arrays = self.fits.inference_arrays(kind, level, block)
            columns = {c: arrays[c].ravel() for c in ("estimate", "std_error", "lower", "upper", "status")}
        out = self._long_table(len(names), {"parameter": np.array(names, dtype=object), **columns})
        out.attrs["level"] = float(level)
        out.attrs["kind"] = kind
        return out

    # ------------------------------------------------------------------ predictions
    def _thetas(self) -> np.ndarray:
        """[G, p] every group's internal parameters."""
        sep = self._separate
        return sep.theta if sep is not None else np.stack([f.theta for f in self.fits.values()])

    def _long_table(self, m: int, columns: dict) -> pd.DataFrame:
        """The ``by`` columns (each key repeated ``m`` times), then ``columns``: arrays [G * m],
        or [m] repeated for every group."""
        keys = self.keys
        values = keys if len(self.by) > 1 else [(k,) for k in keys]
        out = {c: np.repeat(np.asarray([v[i] for v in values]), m) for i, c in enumerate(self.by)}
        for c, a in columns.items():
            a = np.asarray(a)
            out[c] = np.tile(a, len(keys)) if a.size == m else a.ravel()
        return pd.DataFrame(out)

    def predict(self, group=None, **inputs):
        """The law at each group's parameters. With ``group``, that group's prediction (an array,
        as :meth:`Fit.predict`); without, a long table: the ``by`` columns, the inputs (broadcast)
        and the prediction, a row per group and input point (every group in one evaluation)."""
        if group is not None:
            return self[group].predict(**inputs)
        first = self[self.keys[0]]
        shape = np.shape(first.predict(**inputs))  # checks the inputs as Fit.predict does
        values = _extrapolate.predict_draws(self.law, self._thetas(), first._inputs_from_columns(inputs))
        m = int(np.prod(shape))
        arrays = {c: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).ravel() for c, v in inputs.items()}
        return self._long_table(m, {**arrays, first.y_column: values.reshape(len(self), m)})

    def compute_for(self, target) -> pd.DataFrame:
        """Per group, :meth:`Fit.compute_for` (every group in one evaluation): a long table with
        the ``by`` columns first."""
        targets = np.atleast_1d(np.asarray(target, dtype=np.float64))
        x = _extrapolate.inverse_draws(self.law, self._thetas(), targets)
        return self._long_table(len(targets), {"target": targets, _extrapolate.inverse_input(self.law): x,
                                               "reachable": np.isfinite(x)})

    def compute_optimal(self, C) -> pd.DataFrame:
        """Per group, :meth:`Fit.compute_optimal` (laws with an allocation): a long table."""
        C = np.atleast_1d(np.asarray(C, dtype=np.float64))
        d = _extrapolate.allocation_draws(self.law, self._thetas(), C)
        return self._long_table(len(C), {"C": C, **d})

    # ------------------------------------------------------------------ bootstrap
    def bootstrap(self, n_bootstrap: int = 1000, seed: int = 0, resampling: str = "multinomial", cluster=None, *,
                  n_starts: int = 4, chunk_size: int = 8192, failed: str = "warn",
                  draws: str = "independent", progress=None) -> EnsembleSet:
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
            progress: show a progress bar (default: when stderr is a terminal).
        """
        n_bootstrap = check_int(n_bootstrap, "n_bootstrap", 1)
        seed = check_seed(seed)
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
                                                   labels, cluster, n_starts, chunk_size, progress)
        else:
            grids = [f._ranked_starts if f._ranked_starts is not None else f.problem.ranked_starts() for f in fits]
            arrays = _gb.bootstrap_separate(problems, [f.theta for f in fits], grids, n_bootstrap, seed, resampling,
                                            labels, cluster, n_starts, chunk_size, per_group=draws == "per_group",
                                            progress=progress)
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
        bad = [k for k, ok in zip(self.keys, self.converged) if not ok]
        edge = [k for k, hit in zip(self.keys, self.on_bound) if hit]
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
        medians = ", ".join(f"{n}={np.median(self.params[n].to_numpy(dtype=float)):.4g}" for n in self.law.params
                            if n in self.params.columns)
        return (f"<FitSet {self.law.name} by {self.by}{shared}: {len(self)} groups, {int(self.converged.sum())} converged, "
                f"{int(self.on_bound.sum())} on a bound; median over groups {medians}>")

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
        """Write the result to ``path``: a compact container (any name but ``*.json``; ``.npz``
        recommended: strict-JSON metadata and binary arrays in one zip) or strict JSON (``*.json``);
        ``scalinglaws.load(path)`` reads either back (:mod:`scalinglaws.serialize`)."""
        return serialize.write_record(path, self.to_dict(include_data))

    @classmethod
    def from_dict(cls, d: dict) -> FitSet:
        keys = [tuple(k) if isinstance(k, list) else k for k in d["keys"]]
        return cls(d["by"], {k: Fit.from_dict(f) for k, f in zip(keys, d["fits"])}, d.get("diagnostics", {}),
                   shared=d.get("shared", ()))

