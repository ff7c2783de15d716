"""The bootstrap of a grouped fit: an :class:`Ensemble` per group, drawn as one ensemble.

``fitset.bootstrap(1000)`` (:mod:`scalinglaws.group_bootstrap`) returns an :class:`EnsembleSet`:
``ens[key]`` is that group's :class:`~scalinglaws.ensemble.Ensemble` (intervals, bands,
compute-optimal allocation and compute-for with the group's fit as its point estimate), and the
set gives the same tables for every group at once, long, with the ``by`` columns first. With
shared parameters every replicate is one joint refit: the shared parameters have one band
(:meth:`EnsembleSet.shared_interval`, from every converged replicate) and each group's band
carries the uncertainty its share of the joint fit has.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import serialize
from .ensemble import Ensemble
from .inputs import check_level
from .intervals import DEFAULT_LEVEL, percentile_interval
from .results import Result, Summary

__all__ = ["EnsembleSet"]


class EnsembleSet(Result):
    """Bootstrap ensembles of a grouped fit, one :class:`Ensemble` per group.

    Attributes:
        fitset: the grouped point fit (:class:`~scalinglaws.grouped.FitSet`).
        ensembles: ``{key: Ensemble}`` in the fit set's key order.
        by, law, shared: as the fit set's.
        n_replicates, resampling, seed, cluster: how the replicates were drawn; ``whole_groups``
            whether whole groups were resampled (``cluster`` holds whole groups).
        info: time and compile time of the batched solves, retries.
    """

    def __init__(self, fitset, ensembles: Mapping, info: dict):
        self.fitset = fitset
        self.ensembles = dict(ensembles)
        self.by, self.law, self.shared = fitset.by, fitset.law, tuple(fitset.shared)
        first = next(iter(self.ensembles.values()))
        self.n_replicates, self.resampling, self.seed = first.n_replicates, first.resampling, first.seed
        self.cluster = first.cluster
        self.info = dict(info)
        self.whole_groups = bool(self.info.get("whole_groups", False))

    # ------------------------------------------------------------------ access
    def __getitem__(self, key) -> Ensemble:
        try:
            return self.ensembles[key]
        except KeyError:
            raise KeyError(f"no group {key!r}; groups ({len(self.ensembles)}) include {list(self.ensembles)[:10]}") from None

    def __iter__(self):
        return iter(self.ensembles)

    def __len__(self) -> int:
        return len(self.ensembles)

    @property
    def keys(self) -> list:
        return list(self.ensembles)

    def _long(self, fn) -> pd.DataFrame:
        parts = []
        for key, ens in self.ensembles.items():
            part = fn(ens).reset_index()
            values = key if isinstance(key, tuple) else (key,)
            for c, v in reversed(list(zip(self.by, values))):
                part.insert(0, c, v)
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out.attrs.update(parts[0].attrs if hasattr(parts[0], "attrs") else {})
        return out

    # ------------------------------------------------------------------ tables
    def interval(self, level: float = DEFAULT_LEVEL, include_failed: bool = False) -> pd.DataFrame:
        """Every group's parameter intervals (:meth:`Ensemble.interval`), long: the ``by``
        columns, ``parameter``, ``estimate``, ``lower``, ``upper``, ``se``, ``at_bound``,
        ``n_used``, and ``shared`` (True for a parameter every group shares)."""
        level = check_level(level)
        out = self._long(lambda e: e.interval(level, include_failed=include_failed))
        out["shared"] = out["parameter"].isin(self.shared)
        out.attrs["level"] = level
        return out

    def shared_interval(self, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
        """The shared parameters' intervals over every converged joint replicate (a replicate that
        left a group out still bands the shared parameters)."""
        if not self.shared:
            raise ValueError("this grouped fit shares no parameter (fit with shared=[...])")
        level = check_level(level)
        ens = next(iter(self.ensembles.values()))
        ok = ens.converged & np.isfinite(ens.objective)
        if ok.sum() < 2:
            raise ValueError(f"{int(ok.sum())} of {self.n_replicates} joint replicates converged: too few for an interval")
        names = list(self.law.public_names)
        pub = self.law.public_values(ens.theta[ok])
        cols = [names.index(n) for n in self.shared]
        lo, hi = percentile_interval(pub[:, cols], level)
        est = [ens.fit.params[n] for n in self.shared]
        out = pd.DataFrame({"estimate": est, "lower": lo, "upper": hi, "se": np.std(pub[:, cols], axis=0, ddof=1),
                            "n_used": int(ok.sum())}, index=pd.Index(list(self.shared), name="parameter"))
        out.attrs.update({"level": level, "n_replicates": self.n_replicates, "n_used": int(ok.sum())})
        return out

    def predict(self, level: float = DEFAULT_LEVEL, **inputs) -> pd.DataFrame:
        """Every group's prediction band at the inputs (:meth:`Ensemble.predict`), long."""
        return self._long(lambda e: e.predict(level=level, **inputs))

    def compute_for(self, target, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
        """Every group's compute-for-target band (:meth:`Ensemble.compute_for`), long."""
        return self._long(lambda e: e.compute_for(target, level=level))

    def compute_optimal(self, C, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
        """Every group's compute-optimal allocation with bands (:meth:`Ensemble.compute_optimal`), long."""
        return self._long(lambda e: e.compute_optimal(C, level=level))

    # ------------------------------------------------------------------ diagnostics and presentation
    @property
    def diagnostics(self) -> dict:
        """Per group: replicates that failed to converge, unidentified ones, those on a bound;
        and the batched solves' time and compile time."""
        rows = {key: {"failed_to_converge": int(np.sum(~e.converged)), "unidentified": int(np.sum(e.unidentified)),
                      "left_out": int(np.sum(~e.valid)), "on_bound": int(np.sum(e.on_bound))}
                for key, e in self.ensembles.items()}
        return {"n_replicates": self.n_replicates, "resampling": self.resampling, "cluster": self.cluster,
                "whole_groups": self.whole_groups, "groups": rows, **self.info}

    def summary(self, level: float = DEFAULT_LEVEL) -> Summary:
        """How the replicates were drawn and ended, per group; the shared parameters' intervals;
        and every group's intervals (long table)."""
        d = self.diagnostics
        left = {k: v["left_out"] for k, v in d["groups"].items() if v["left_out"]}
        how = ("whole groups resampled" if self.whole_groups else
               (f"clusters of {self.cluster!r} resampled within each group" if self.cluster else
                "rows resampled within each group"))
        notes = [f"{len(self)} groups by {', '.join(self.by)}; {how}",
                 f"batched solves {d.get('time_s', float('nan')):.3g} s (+ compile {d.get('compile_s', float('nan')):.3g} s)"]
        if left:
            notes.append("LEFT OUT of bands (failed, or the group's data not identified in the replicate): "
                         + ", ".join(f"{k}: {v}" for k, v in list(left.items())[:10]) + (" ..." if len(left) > 10 else ""))
        if self.shared:
            si = self.shared_interval(level)
            notes.append("shared: " + "; ".join(f"{n} {r.estimate:.6g} [{r.lower:.6g}, {r.upper:.6g}]"
                                                for n, r in si.iterrows()) + f" ({100 * level:g}%)")
        table = self.interval(level).set_index([*self.by, "parameter"])
        title = (f"{self.law.name} bootstrap of {len(self)} groups: {self.n_replicates} {self.resampling} replicates, "
                 f"seed {self.seed}")
        return Summary(title, table[["estimate", "lower", "upper", "se", "at_bound", "n_used"]], notes=notes,
                       level=level, formats={"se": ".4g"})

    def __repr__(self):
        failed = sum(int(np.sum(~e.valid)) for e in self.ensembles.values())
        head = (f"<EnsembleSet {self.law.name} by {self.by}: {len(self)} groups x {self.n_replicates} replicates, "
                f"seed {self.seed}, {failed} failed (group, replicate) pairs")
        try:
            med = self.interval().groupby("parameter", sort=False)[["estimate", "lower", "upper"]].median()
        except ValueError:  # no group has a converged replicate
            return head + ">"
        bands = ", ".join(f"{n} {r.estimate:.4g} [{r.lower:.4g}, {r.upper:.4g}]" for n, r in med.iterrows())
        return f"{head}; median over groups, {100 * DEFAULT_LEVEL:g}%: {bands}>"

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.EnsembleSet"), "fitset": self.fitset.to_dict(),
                "ensembles": [e.to_dict(include_fit=False) for e in self.ensembles.values()], "info": self.info}

    def save(self, path) -> Path:
        """Write the result to ``path``: a compact container (any name but ``*.json``; ``.npz``
        recommended: strict-JSON metadata and binary arrays in one zip) or strict JSON (``*.json``);
        ``scalinglaws.load(path)`` reads either back (:mod:`scalinglaws.serialize`)."""
        return serialize.write_record(path, self.to_dict())

    @classmethod
    def from_dict(cls, d: dict, fitset_from_dict) -> EnsembleSet:
        fs = fitset_from_dict(d["fitset"])
        records = d["fitset"]["fits"]
        ensembles = {key: Ensemble.from_dict({**e, "fit": rec}, fs[key])
                     for key, e, rec in zip(fs.keys, d["ensembles"], records)}
        return cls(fs, ensembles, d.get("info", {}))
