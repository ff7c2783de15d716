"""The bootstrap result: an :class:`Ensemble` of refits with intervals, bands and diagnostics.

In the style of ``scipy.stats.bootstrap`` and statsmodels results: one object holds the point fit,
the raw ensemble (one row per replicate), its diagnostics, and methods that turn it into tables:
parameter intervals, prediction bands, compute-optimal allocation and compute-for-target.

Replicates that failed to converge are flagged and, by default, left out of intervals and bands;
``diagnostics`` and ``summary()`` say how many. Replicates that ended on a bound are kept (a bound
can be the honest answer) and counted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import bootstrap as _bootstrap
from . import extrapolate as _extrapolate
from . import serialize
from . import shards as _shards
from . import solvers as _solvers
from .inputs import check_level, check_targets
from .intervals import DEFAULT_LEVEL, bca_interval, percentile_interval
from .laws.base import UNREACHABLE
from .results import Result, Summary

__all__ = ["Ensemble"]


class Ensemble(Result):
    """Bootstrap ensemble of fits of one law to one data set.

    Attributes:
        fit: the point fit on the full data (:class:`~scalinglaws.fitting.Fit`).
        law: its law.
        n_replicates, resampling, seed, cluster: how the replicates were drawn (``cluster``: the
            column whose clusters were resampled whole, or None).
        theta: [R, p] internal parameters per replicate (logs for amplitudes).
        objective, converged, on_bound, iterations, grad_norm: [R] per replicate.
        params: DataFrame, one row per replicate, public parameters plus flags.
        replicates, shard: which replicates of the seed's stream the rows are (a shard of a
            larger ensemble holds some of them; :meth:`concatenate` joins shards).
    """

    def __init__(self, fit, arrays: _bootstrap.EnsembleArrays, resampling: str, seed: int, cluster, starts_info: dict,
                 cluster_labels=None):
        self.fit = fit
        self.law = fit.law
        self.resampling = resampling
        self.seed = int(seed)
        self.cluster = cluster
        self._cluster_labels = cluster_labels
        self._a = arrays
        self.theta = arrays.theta
        self.objective = arrays.objective
        self.converged = arrays.converged
        self.on_bound = arrays.on_bound
        self.iterations = arrays.iterations
        self.grad_norm = arrays.grad_norm
        self.starts_info = dict(starts_info)
        self._jackknife_theta = None

    # ------------------------------------------------------------------ raw ensemble
    @property
    def n_replicates(self) -> int:
        return int(self.theta.shape[0])

    @property
    def shard(self) -> dict | None:
        """For part of an ensemble (``bootstrap(shard=...)``, or shards joined short of the
        whole): ``{"index", "count", "first", "stop", "n_bootstrap"}``, its replicates being
        ``first .. stop - 1`` of ``n_bootstrap``; None for a whole ensemble."""
        return self.starts_info.get("shard")

    @property
    def replicates(self) -> np.ndarray:
        """[R] the index of each row in the seed's replicate stream (``0 .. R - 1`` for a whole
        ensemble): replicate ``i``'s weights are drawn from ``fold_in(PRNGKey(seed), i)``."""
        first = 0 if self.shard is None else self.shard["first"]
        return np.arange(first, first + self.n_replicates)

    @classmethod
    def concatenate(cls, shards) -> Ensemble:
        """Shards of one ensemble (``bootstrap(shard=(i, k))`` in separate jobs, saved and loaded
        back or not) joined in replicate order: with every shard, exactly the ensemble one run
        would have returned (times are the shards' summed). They must share the point fit, the
        seed, the resampling and the starts, and neither overlap nor leave a gap; shards short of
        the whole give a shard again (:attr:`shard`)."""
        shards = list(shards)
        if not shards or not all(isinstance(e, Ensemble) for e in shards):
            raise TypeError("Ensemble.concatenate takes a list of Ensembles (the shards of one ensemble)")
        first = shards[0]
        for j, e in enumerate(shards[1:], 1):
            for what, mine, theirs in (
                ("law", e.law.name, first.law.name), ("seed", e.seed, first.seed),
                ("resampling", e.resampling, first.resampling), ("cluster", e.cluster, first.cluster),
                ("starts", e.starts_info.get("labels"), first.starts_info.get("labels")),
                ("total replicates", _total(e), _total(first)),
            ):
                if mine != theirs:
                    raise ValueError(f"shards[{j}] is not a shard of the same ensemble as shards[0]: its {what} is "
                                     f"{mine!r}, not {theirs!r}")
            if e.fit.theta.shape != first.fit.theta.shape or not np.allclose(e.fit.theta, first.fit.theta,
                                                                             rtol=1e-12, atol=0):
                raise ValueError(f"shards[{j}] was bootstrapped around another point fit than shards[0] "
                                 "(its parameters differ): shards of one ensemble share the fit")
        ordered = sorted(shards, key=lambda e: int(e.replicates[0]))
        for a, b in zip(ordered, ordered[1:]):
            end, start = int(a.replicates[-1]) + 1, int(b.replicates[0])
            if start < end:
                raise ValueError(f"shards overlap: replicates {start}..{end - 1} are in two of them")
            if start > end:
                raise ValueError(f"shards leave a gap: replicates {end}..{start - 1} are in none of them")
        lo, hi, total = int(ordered[0].replicates[0]), int(ordered[-1].replicates[-1]) + 1, _total(first)
        info = {k: v for k, v in first.starts_info.items() if k != "shard"}
        for k in ("retried", "recovered"):
            info[k] = int(sum(e.starts_info.get(k, 0) for e in ordered))
        if (lo, hi) != (0, total):
            info["shard"] = {"index": None, "count": None, "first": lo, "stop": hi, "n_bootstrap": total}
        arrays = _shards.join([e._a for e in ordered])
        return cls(first.fit, arrays, first.resampling, first.seed, first.cluster, info, first._cluster_labels)

    @property
    def valid(self) -> np.ndarray:
        """Replicates used for intervals and bands: converged with a finite objective, and with
        enough distinct x values resampled to identify the law (``unidentified``)."""
        return self.converged & np.isfinite(self.objective) & ~self.unidentified

    @property
    def unidentified(self) -> np.ndarray:
        """[R] bool: replicates whose resampled rows hold fewer distinct x values than the law has
        free parameters (one-input laws on few points): their optimum is not unique."""
        u = self._a.unidentified
        return np.zeros(self.n_replicates, bool) if u is None else u

    @property
    def params(self) -> pd.DataFrame:
        df = pd.DataFrame(self.law.public_values(self.theta), columns=list(self.law.public_names))
        df["objective"] = self.objective
        df["converged"] = self.converged
        df["on_bound"] = self.on_bound
        df["unidentified"] = self.unidentified
        df.index.name = "replicate"
        return df

    def _theta(self, include_failed: bool) -> np.ndarray:
        if include_failed:
            return self.theta
        if not self.valid.any():
            raise ValueError(
                f"no replicate converged ({self.n_replicates} failed); see .diagnostics, or pass "
                "include_failed=True to summarise the unconverged end points anyway"
            )
        return self.theta[self.valid]

    @property
    def diagnostics(self) -> dict:
        R = self.n_replicates
        a = self._a
        S = a.start_objective.shape[1]
        warm = a.start_objective[:, 0]
        # An extra start "wins" only by finding a strictly better optimum than the warm start
        # (ties at the same optimum differ in the last bits and say nothing).
        better = a.start_objective < warm[:, None] * (1 - 1e-9)
        wins = better.sum(axis=0)
        return {
            "n_replicates": R,
            "resampling": self.resampling,
            "cluster": self.cluster,
            "failed_to_converge": int(np.sum(~self.converged)),
            "failed_fraction": float(np.mean(~self.converged)),
            "on_bound": int(np.sum(self.on_bound)),
            "on_bound_fraction": float(np.mean(self.on_bound)),
            "iterations_median": float(np.median(self.iterations)),
            "iterations_max": int(np.max(self.iterations)),
            "starts": self.starts_info.get("labels", [f"start {i}" for i in range(S)]),
            "retried": int(self.starts_info.get("retried", 0)),
            "recovered": int(self.starts_info.get("recovered", 0)),
            "unidentified": int(np.sum(self.unidentified)),
            "left_out": int(np.sum(~self.valid)),
            "failed_policy": self.starts_info.get("failed_policy", "warn"),
            "on_bound_by_parameter": self._bound_counts(),
            "start_wins": wins.tolist(),
            "start_abandoned": a.start_abandoned.sum(axis=0).tolist(),
            # Cold starts never run: far above their replicate's quickly converged warm start.
            "start_screened": ([0] * S if a.start_stop_reason is None else
                               (a.start_stop_reason == _solvers.StopReason.SCREENED).sum(axis=0).tolist()),
            # Why each replicate's best start stopped, after any retry (solvers.StopReason labels).
            "stop_reasons": {} if a.stop_reason is None else _solvers.stop_reason_counts(a.stop_reason),
            "start_stop_reasons": [] if a.start_stop_reason is None else
            [_solvers.stop_reason_counts(a.start_stop_reason[:, j]) for j in range(S)],
            "time_s": a.time_s,
            "compile_s": a.compile_s,
            # Part of an ensemble (see shard), and the jax.distributed processes that solved it.
            "shard": self.shard,
            "processes": int(self.starts_info.get("processes", 1)),
        }

    def bound_hits(self) -> tuple[np.ndarray, np.ndarray]:
        """``(at_lower, at_upper)`` [R, p] bool: which parameter of each replicate ended on which bound."""
        prob = self.fit.problem
        return _solvers.bound_hits(self.theta, prob.lower, prob.upper, prob.fixed_mask, prob.config.bound_tol)

    def _bound_counts(self) -> dict:
        """``{parameter: {"lower": k, "upper": k}}`` over all replicates, parameters with a hit only."""
        lo, hi = self.bound_hits()
        out = {}
        for j, name in enumerate(self.law.params):
            c = {side: int(m[:, j].sum()) for side, m in (("lower", lo), ("upper", hi)) if m[:, j].any()}
            if c:
                out[name] = c
        return out

    def _tag(self, df: pd.DataFrame, level: float, n_used) -> pd.DataFrame:
        df.attrs.update({"level": float(level), "n_replicates": self.n_replicates, "n_used": int(n_used),
                         "n_failed": int(np.sum(~self.valid))})
        return df

    # ------------------------------------------------------------------ intervals
    def _band(self, draws, estimate, level, method, jackknife_fn=None):
        if method == "percentile":
            return percentile_interval(draws, level)
        if method == "bca":
            jk = jackknife_fn(self._jackknife())
            return bca_interval(draws, estimate, jk, level)
        raise ValueError(f"interval method must be 'percentile' or 'bca', got {method!r}")

    def interval(self, level: float = DEFAULT_LEVEL, method: str = "percentile", include_failed: bool = False) -> pd.DataFrame:
        """Confidence intervals for the parameters.

        Returns a DataFrame indexed by parameter with the point-fit ``estimate``, ``lower``,
        ``upper`` and the bootstrap standard error ``se``. ``method="bca"`` needs a jackknife
        (one leave-one-unit-out refit per row or group, solved in one batch on first use).
        """
        level = check_level(level)
        theta = self._theta(include_failed)
        if len(theta) < 2:
            raise ValueError(f"an interval and a standard error need at least 2 replicates; {len(theta)} of "
                             f"{self.n_replicates} converged: bootstrap more replicates")
        # A tied parameter's draws are its source's mapped by the tie; its bound flag is the source's.
        names, source = self.law.public_names, self.law.public_source()
        pub = self.law.public_values(theta)
        est = np.array([self.fit.params[n] for n in names])
        lo, hi = self._band(pub, est, level, method, self.law.public_values)
        mine = [list(names).index(n) for n in self.law.params]
        lo_own, hi_own = lo[mine], hi[mine]
        b_lo, b_hi = self.fit.public_bounds()
        tol = self.fit.problem.config.bound_tol

        def near(v, b):
            return np.isfinite(b) & (np.abs(v - b) <= 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0))) + tol)

        at = np.where(near(lo_own, b_lo), "lower", "")
        at = np.where(near(hi_own, b_hi), np.where(at == "lower", "both", "upper"), at)[source]
        n_used = len(theta)
        se = np.std(pub, axis=0, ddof=1)
        out = pd.DataFrame(
            {"estimate": est, "lower": lo, "upper": hi, "se": se, "at_bound": at, "n_used": n_used},
            index=pd.Index(names, name="parameter"),
        )
        return self._tag(out, level, n_used)

    def _jackknife(self) -> np.ndarray:
        """Leave-one-unit-out refits [U, p], started from the full-data optimum."""
        if self._jackknife_theta is None:
            if self.fit.diagnostics.get("shared"):
                raise ValueError("BCa needs a jackknife of the joint fit of every group; this group's fit shares "
                                 f"{self.fit.diagnostics['shared']} with the others: use method='percentile'")
            prob = self.fit.problem
            W = _bootstrap.jackknife_weights(prob.weights, self._cluster_labels)
            theta0 = np.broadcast_to(self.fit.theta, (W.shape[0], 1, self.law.n_params)).copy()
            stage = np.full((W.shape[0], 1), _solvers.WARM, dtype=np.int32)
            res = prob.solve(W, theta0, stage)
            self._jackknife_theta = np.asarray(res.theta)
        return self._jackknife_theta

    # ------------------------------------------------------------------ predictions
    def predict(self, level: float = DEFAULT_LEVEL, method: str = "percentile", include_failed: bool = False,
                **columns) -> pd.DataFrame:
        """Prediction band at the given inputs: ``ens.predict(level=0.9, N=70e9, D=1.4e12)``.

        Returns one row per input point: the inputs, ``estimate`` (the point fit), ``lower``,
        ``upper`` (quantiles over replicates) and ``oom_beyond_data``, the orders of magnitude
        the point lies beyond the fitted range (0 inside it).
        """
        level = check_level(level)
        inputs = self.fit._known_inputs(columns)
        flat, shape = _extrapolate.broadcast_inputs(self.law, inputs)
        draws = _extrapolate.predict_draws(self.law, self._theta(include_failed), flat)
        est = _extrapolate.predict_draws(self.law, self.fit.theta, flat)[0]
        lo, hi = self._band(draws, est, level, method,
                            lambda jk: _extrapolate.predict_draws(self.law, jk, flat))
        out = pd.DataFrame({c: flat[name] for name, c in zip(self.law.inputs, self.fit.x_columns)})
        out["estimate"], out["lower"], out["upper"] = est, lo, hi
        out["oom_beyond_data"] = _extrapolate.extrapolation_oom(self.fit.input_ranges(), flat)
        out["n_used"] = np.sum(np.isfinite(draws), axis=0)
        return self._tag(out, level, len(draws))

    def compute_optimal(self, C, level: float = DEFAULT_LEVEL, include_failed: bool = False) -> pd.DataFrame:
        """Compute-optimal allocation with bands, for Chinchilla-form laws.

        ``N_opt = G (C/6)^(beta/(alpha+beta))``, ``G = (alpha A / (beta B))^(1/(alpha+beta))``,
        ``D_opt = C / (6 N_opt)`` (Hoffmann et al. 2022). One row per budget ``C`` with the
        point-fit value and the ``level`` band of N_opt, D_opt, tokens_per_param and loss.
        """
        level = check_level(level)
        C = np.atleast_1d(np.asarray(C, dtype=np.float64))
        draws = _extrapolate.allocation_draws(self.law, self._theta(include_failed), C)
        point = _extrapolate.allocation_draws(self.law, self.fit.theta, C)
        out = pd.DataFrame({"C": C})
        for name in ("N_opt", "D_opt", "tokens_per_param", "loss"):
            lo, hi = percentile_interval(draws[name], level)
            out[name] = point[name][0]
            out[f"{name}_lower"] = lo
            out[f"{name}_upper"] = hi
        out["n_used"] = np.sum(np.isfinite(draws["N_opt"]), axis=0)
        return self._tag(out, level, len(draws["N_opt"]))

    def compute_for_draws(self, target: float, include_failed: bool = False) -> np.ndarray:
        """Per replicate, the compute (or x) needed to reach ``target``; ``inf`` where unreachable.

        Failed replicates are left out unless ``include_failed``: the array has one entry per
        replicate used for bands. This is the draw vector :func:`scalinglaws.capex.plan` prices.
        """
        (value,) = check_targets(target)
        return _extrapolate.inverse_draws(self.law, self._theta(include_failed), value)[:, 0]

    def compute_for(self, target, level: float = DEFAULT_LEVEL, include_failed: bool = False) -> pd.DataFrame:
        """Compute (or x) needed to reach each target, with a band.

        One row per target: the point fit's value in a column named for the input (``C`` for
        chinchilla; ``inf`` if the point fit never reaches it), its ``_lower`` and ``_upper``
        quantiles over the replicates that reach it (``inf`` when none does), and
        ``reachable_fraction``: the share of replicates for which the target is reachable at all.
        A target below a replicate's asymptote is unreachable for it (``inf``), left out of the
        band and counted in ``reachable_fraction``.
        """
        level = check_level(level)
        targets = check_targets(target)
        draws = _extrapolate.inverse_draws(self.law, self._theta(include_failed), targets)
        point = _extrapolate.inverse_draws(self.law, self.fit.theta, targets)[0]
        reach = np.isfinite(draws)
        lo, hi = percentile_interval(np.where(reach, draws, np.nan), level)
        none = ~reach.any(axis=0)
        lo, hi = np.where(none, UNREACHABLE, lo), np.where(none, UNREACHABLE, hi)
        name = _extrapolate.inverse_input(self.law)
        out = pd.DataFrame({"target": targets, name: point, f"{name}_lower": lo,
                            f"{name}_upper": hi, "reachable_fraction": reach.mean(axis=0),
                            "n_used": reach.sum(axis=0)})
        return self._tag(out, level, len(draws))

    # ------------------------------------------------------------------ presentation
    def summary(self, level: float = DEFAULT_LEVEL) -> Summary:
        """How the replicates were drawn and how they ended (failed, on a bound, which start won,
        why they stopped, time), and the parameter intervals at ``level``
        (:class:`~scalinglaws.results.Summary`)."""
        d = self.diagnostics
        iv = self.interval(level)
        lines = [
            f"point fit: objective {self.fit.objective:.10g}, converged {'yes' if self.fit.converged else 'NO'}",
            f"replicates: {d['failed_to_converge']} failed to converge ({100 * d['failed_fraction']:.2f}%, left out"
            f" of intervals; {d['retried']} retried, {d['recovered']} recovered"
            + (f"; {d['unidentified']} more left out: fewer distinct x than free parameters" if d["unidentified"] else "")
            + f"), {d['on_bound']} ended on a bound"
            f" ({100 * d['on_bound_fraction']:.2f}%)"
            + "".join(f"; {k} on its {', '.join(f'{side} bound in {c}' for side, c in v.items())}"
                      for k, v in d["on_bound_by_parameter"].items()),
            f"starts: {', '.join(d['starts'])}; strictly better than the warm start {d['start_wins']}; "
            f"screened {d['start_screened']}; abandoned {d['start_abandoned']}",
            "stopped: " + (", ".join(f"{k} {v}" for k, v in d["stop_reasons"].items()) or "not recorded"),
            f"solve time {d['time_s']:.3g} s"
            + (" (including compilation)" if np.isnan(d["compile_s"]) else f" (+ compile {d['compile_s']:.3g} s)")
            + f"; iterations median {d['iterations_median']:.0f}, max {d['iterations_max']}",
            f"parameter intervals ({100 * level:g}% percentile):",
        ]
        footer = [f"intervals use {iv.attrs['n_used']} of {self.n_replicates} replicates"]
        pinned = [n for n, r in iv.iterrows() if r.at_bound]
        if pinned:
            footer.append(f"{', '.join(pinned)}: an end of the interval sits on the parameter's bound, so the data do "
                          "not bound it there; the true range may extend past it")
        part = self.shard
        of = "" if part is None else f" ({part['first']}..{part['stop'] - 1} of {part['n_bootstrap']}: a shard)"
        title = (f"{self.law.name} bootstrap: {self.n_replicates} {self.resampling} replicates{of}"
                 + (f" resampling clusters of {self.cluster!r}" if self.cluster else "") + f", seed {self.seed}")
        table = iv[["estimate", "lower", "upper", "se", "at_bound"]]
        return Summary(title, table, notes=lines, footer=footer, level=level, formats={"se": ".4g"})

    def __repr__(self):
        part = self.shard
        of = "" if part is None else f" ({part['first']}..{part['stop'] - 1} of {part['n_bootstrap']})"
        head = (f"<Ensemble {self.law.name}: {self.n_replicates} {self.resampling} replicates{of}, seed {self.seed}, "
                f"{int(np.sum(~self.valid))} failed")
        if not np.any(self.valid):
            return head + ">"
        iv = self.interval()
        bands = ", ".join(f"{n} {r.estimate:.4g} [{r.lower:.4g}, {r.upper:.4g}]" for n, r in iv.iterrows())
        return f"{head}; {100 * DEFAULT_LEVEL:g}%: {bands}>"

    @property
    def method(self) -> str:
        """Old name of :attr:`resampling`."""
        warnings.warn("Ensemble.method is renamed Ensemble.resampling", DeprecationWarning, stacklevel=2)
        return self.resampling

    @property
    def groups(self):
        """Old name of :attr:`cluster`."""
        warnings.warn("Ensemble.groups is renamed Ensemble.cluster", DeprecationWarning, stacklevel=2)
        return self.cluster

    # ------------------------------------------------------------------ persistence
    def to_dict(self, include_fit: bool = True) -> dict:
        """A JSON record of the ensemble; with ``include_fit`` (default) its point fit's record,
        with the data, under ``"fit"``. Records that hold the fit elsewhere (a validation's
        folds, a scenario) leave it out rather than write the data twice."""
        a = self._a
        return {
            **serialize.header("scalinglaws.Ensemble"),
            **({"fit": self.fit.to_dict(include_data=True)} if include_fit else {}),
            "resampling": self.resampling,
            "seed": self.seed,
            "cluster": self.cluster,
            "cluster_labels": None if self._cluster_labels is None else [str(g) for g in self._cluster_labels],
            "starts_info": self.starts_info,
            "arrays": {
                # exact: what every band and interval is computed from
                "theta": np.asarray(a.theta),
                "objective": np.asarray(a.objective),
                "converged": np.asarray(a.converged),
                "on_bound": np.asarray(a.on_bound),
                "iterations": np.asarray(a.iterations),
                "best_start": np.asarray(a.best_start),
                "start_abandoned": np.asarray(a.start_abandoned),
                "start_iterations": np.asarray(a.start_iterations),
                "stop_reason": None if a.stop_reason is None else np.asarray(a.stop_reason),
                "start_stop_reason": None if a.start_stop_reason is None else np.asarray(a.start_stop_reason),
                "retried": None if a.retried is None else np.asarray(a.retried),
                "unidentified": None if a.unidentified is None else np.asarray(a.unidentified),
                # solver diagnostics, in single precision (half the size; see _stored_starts)
                **_stored_starts(a.start_objective, a.objective),
                "grad_norm_f32": np.asarray(a.grad_norm, np.float32),
                "time_s": a.time_s,
                "compile_s": a.compile_s,
            },
        }

    @classmethod
    def from_dict(cls, d: dict, fit) -> Ensemble:
        """The ensemble a :meth:`to_dict` record describes, around ``fit`` (its point fit, rebuilt
        from ``d["fit"]`` by :func:`scalinglaws.io.load`)."""
        a = d["arrays"]
        _check_shapes(a, fit.law)
        objective = np.asarray(a["objective"], float)
        arrays = _bootstrap.EnsembleArrays(
            theta=serialize.from_stored(a["theta"], serialize.stored_log_columns(fit.law, d["fit"])), objective=objective,
            converged=np.asarray(a["converged"], bool), on_bound=np.asarray(a["on_bound"], bool),
            iterations=np.asarray(a["iterations"], np.int32),
            grad_norm=np.asarray(a["grad_norm_f32"] if "grad_norm_f32" in a else a["grad_norm"], float),
            best_start=np.asarray(a["best_start"], np.int32),
            start_objective=_loaded_starts(a, objective),
            start_abandoned=np.asarray(a["start_abandoned"], bool),
            start_iterations=np.asarray(a.get("start_iterations", np.zeros_like(a["start_abandoned"])), np.int32),
            time_s=a["time_s"], compile_s=a["compile_s"],
            stop_reason=None if a.get("stop_reason") is None else np.asarray(a["stop_reason"], np.int32),
            start_stop_reason=None if a.get("start_stop_reason") is None else np.asarray(a["start_stop_reason"],
                                                                                          np.int32),
            retried=None if a.get("retried") is None else np.asarray(a["retried"], bool),
            unidentified=None if a.get("unidentified") is None else np.asarray(a["unidentified"], bool),
        )
        # Files written before the renames say method, groups and group_labels.
        labels = d.get("cluster_labels", d.get("group_labels"))
        return cls(fit, arrays, d.get("resampling", d.get("method")), d["seed"], d.get("cluster", d.get("groups")),
                   d.get("starts_info", {}), None if labels is None else np.asarray(labels))


def _stored_starts(start_objective: np.ndarray, objective: np.ndarray) -> dict:
    """Each start's objective as saved: its excess over its replicate's best, in single precision
    (``start_excess_f32``; zero for the start that won), or the value itself where that is not
    finite (``start_raw``). The excess keeps what the diagnostics read off it (which starts beat
    the warm one by more than 1e-9 relative) while the parameters and the replicates'
    objectives stay exact; 1,000,000 replicates of four starts take 16 MB instead of 32."""
    s = np.asarray(start_objective, float)
    best = np.asarray(objective, float)[:, None]
    raw = ~(np.isfinite(s) & np.isfinite(best))
    with np.errstate(invalid="ignore"):
        excess = np.where(raw, s, s - best)
    return {"start_excess_f32": excess.astype(np.float32), "start_raw": raw}


def _loaded_starts(a: dict, objective: np.ndarray) -> np.ndarray:
    if "start_objective" in a:  # version 1: every start's objective in double precision
        return np.asarray(a["start_objective"], float)
    excess = np.asarray(a["start_excess_f32"], float)
    raw = np.asarray(a["start_raw"], bool)
    with np.errstate(invalid="ignore"):
        return np.where(raw, excess, objective[:, None] + excess)


def _check_shapes(a: dict, law) -> None:
    """A saved ensemble's arrays agree: one row per replicate, one column per parameter or
    start. The error names the first array that does not."""
    theta = np.shape(a["theta"])
    if len(theta) != 2 or theta[1] != law.n_params:
        raise serialize.RecordError("arrays.theta", f"shape {theta}; law {law.name!r} needs (replicates, "
                                                    f"{law.n_params})")
    R = theta[0]
    starts = "start_objective" if "start_objective" in a else "start_excess_f32"
    S = np.shape(a[starts])[1:2]
    for name in ("objective", "converged", "on_bound", "iterations", "best_start", "grad_norm", "grad_norm_f32",
                 "stop_reason", "retried", "unidentified", starts, "start_raw", "start_abandoned",
                 "start_iterations", "start_stop_reason"):
        if a.get(name) is None:
            continue
        shape = np.shape(a[name])
        want = (R, *S) if name.startswith("start_") else (R,)
        if shape != want:
            raise serialize.RecordError(f"arrays.{name}", f"shape {shape}, but theta holds {R} replicates"
                                        + (f" of {S[0]} starts" if name.startswith("start_") else ""))


def _total(e: Ensemble) -> int:
    """The size of the whole ensemble ``e`` is part of (its own size when it is whole)."""
    return e.n_replicates if e.shard is None else int(e.shard["n_bootstrap"])
