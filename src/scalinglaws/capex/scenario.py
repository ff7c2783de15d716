"""Scenario files for ``scalinglaws capex SCENARIO.toml``: :func:`load_scenario` reads and checks
one, :func:`run_scenario` runs fit, bootstrap, plan, revenue and commitments and writes figures.

This is an application module: it sits above the fitting layer (it fits and bootstraps) and
the figures."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import datasets, fitting, serialize
from ..compute import training_compute
from ..ensemble import Ensemble
from ..extrapolate import inverse_input
from ..inputs import renamed_arguments
from ..results import Result, Summary
from .cash import _POLICIES, CashResult, simulate_cash
from .constants import DEFAULT_MFU, PUE_OTHER, TRAINING_DAYS
from .plan import Plan, plan
from .revenue import planned_revenue, simulate_revenue, slip
from .risk import _BUDGET_COLUMNS, _COST_ROWS, commitment_risk


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is missing or misspelling a key."""


_REQUIRED = object()

# section -> {key: (kind, default)}; kinds: number, int, str, pair, strings, str_or_strings,
# budget (a name or a number). _REQUIRED marks keys without a default.
_SCENARIO_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "fit": {"dataset": ("str", None), "csv": ("str", None), "file": ("str", None),
            "law": ("str", "chinchilla"), "x": ("str_or_strings", None), "y": ("str", None)},
    "bootstrap": {"replicates": ("int", 1000), "seed": ("int", 0), "level": ("number", 0.9),
                  "resampling": ("str", "multinomial")},
    "target": {"loss": ("number", None), "score": ("number", None)},
    "hardware": {"gpu": ("str", "H100"), "mfu": ("number", DEFAULT_MFU),
                 "price_per_gpu_hour": ("number", None),
                 "wall_clock_days": ("number", TRAINING_DAYS.value),
                 "pue": ("number", PUE_OTHER.value), "hardware_price": ("number", None),
                 "electricity": ("number", None)},
    "revenue": {"r0": ("number", _REQUIRED), "growth_median": ("number", _REQUIRED),
                "growth_interval90": ("pair", _REQUIRED), "years": ("int", _REQUIRED),
                "paths": ("int", 100_000), "seed": ("int", 0), "decay": ("number", 0.0),
                "slip": ("int", 0)},
    "commitments": {"planned_growth": ("number", _REQUIRED), "lead_time": ("int", _REQUIRED),
                    "budget": ("budget", None), "spend_fraction": ("number", None),
                    "cost": ("str", "rental"), "milestone": ("number", 1.0),
                    "margin": ("number", 1.0), "initial_cash": ("number", 0.0),
                    "level": ("number", 0.95), "policies": ("strings", ["upfront", "staged"])},
    "output": {"dir": ("str", None), "dpi": ("int", 100)},
}
_SCENARIO_SECTIONS_REQUIRED = ("fit", "target", "revenue", "commitments")
# Keys renamed to the API's one name a concept: section -> {old: new}; the old name still reads.
_RENAMED_KEYS = {"bootstrap": {"method": "resampling"}}


def _scenario_value(where: str, key: str, value: Any, kind: str) -> Any:
    def bad(what: str) -> ScenarioError:
        return ScenarioError(f"{where} {key} must be {what}; got {value!r}")

    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        if not math.isfinite(value):
            raise bad("finite")
        return float(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        return int(value)
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string")
        return value
    if kind == "pair":
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise bad("a pair of numbers, e.g. [1.6, 10.0]")
        return (float(value[0]), float(value[1]))
    if kind in ("strings", "str_or_strings"):
        if kind == "str_or_strings" and isinstance(value, str) and value:
            return value
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise bad("a list of strings")
        return list(value)
    if kind == "budget":
        if isinstance(value, str):
            if value not in _BUDGET_COLUMNS:
                raise bad(f"one of {sorted(_BUDGET_COLUMNS)} or a dollar amount")
            return value
        return _scenario_value(where, key, value, "number")
    raise AssertionError(kind)


def load_scenario(path: Any) -> dict:
    """Read and check a capex scenario (TOML; schema in docs/capex.md).

    Returns ``{section: {key: value}}`` with every default filled in, plus ``"path"`` (the
    file) and ``"base"`` (its folder: ``csv`` and ``file`` paths are relative to it). Raises
    :class:`ScenarioError` (a ValueError) naming the file, section and key for unreadable
    TOML, unknown sections or keys, missing keys and values of the wrong type.
    """
    import tomllib
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(raw) - set(_SCENARIO_SCHEMA))
    if unknown:
        raise ScenarioError(
            f"{path}: unknown section [{unknown[0]}]; sections: {', '.join(_SCENARIO_SCHEMA)}"
        )
    out: dict[str, Any] = {"path": str(path), "base": str(path.resolve().parent)}
    for section, schema in _SCENARIO_SCHEMA.items():
        given = raw.get(section)
        if given is None:
            if section in _SCENARIO_SECTIONS_REQUIRED:
                raise ScenarioError(f"{path}: missing section [{section}]")
            given = {}
        if not isinstance(given, dict):
            raise ScenarioError(f"{path}: [{section}] must be a table of keys")
        where = f"{path}: [{section}]"
        given = dict(given)
        for old, new in _RENAMED_KEYS.get(section, {}).items():
            if old in given:
                if new in given:
                    raise ScenarioError(f"{where} gives both {old!r} and {new!r}; {old!r} is the old name of {new!r}")
                warnings.warn(f"{where} key {old!r} is renamed {new!r}", DeprecationWarning, stacklevel=2)
                given[new] = given.pop(old)
        extra = sorted(set(given) - set(schema))
        if extra:
            raise ScenarioError(f"{where} unknown key {extra[0]!r}; keys: {', '.join(schema)}")
        values = {}
        for key, (kind, default) in schema.items():
            if key in given:
                values[key] = _scenario_value(where, key, given[key], kind)
            elif default is _REQUIRED:
                raise ScenarioError(f"{where} missing key {key!r}")
            else:
                values[key] = default
        out[section] = values
        if section == "bootstrap":
            out["bootstrap"]["enabled"] = "bootstrap" in raw
    fit_s = out["fit"]
    sources = [k for k in ("dataset", "csv", "file") if fit_s[k] is not None]
    if len(sources) != 1:
        raise ScenarioError(f"{path}: [fit] needs exactly one of dataset, csv or file; "
                            f"got {sources or 'none'}")
    target = [k for k in ("loss", "score") if out["target"][k] is not None]
    if len(target) != 1:
        raise ScenarioError(f"{path}: [target] needs exactly one of loss or score")
    com = out["commitments"]
    if (com["budget"] is None) == (com["spend_fraction"] is None):
        raise ScenarioError(f"{path}: [commitments] needs exactly one of budget (\"median\", "
                            "\"upper\", \"lower\", \"point_fit\" or dollars) or spend_fraction")
    if com["cost"] not in _COST_ROWS:
        raise ScenarioError(f"{path}: [commitments] cost must be one of {sorted(_COST_ROWS)}; "
                            f"got {com['cost']!r}")
    bad = [p for p in com["policies"] if p not in _POLICIES]
    if bad:
        raise ScenarioError(f"{path}: [commitments] policies: {bad[0]!r} is not one of "
                            f"{list(_POLICIES)}")
    return out


_POLICY_TITLES = {"upfront": "up front", "staged": "staged", "rolling": "rolling"}


@dataclass(repr=False)
class ScenarioResult(Result):
    """Everything :func:`run_scenario` computed, and :meth:`report`, the text the command prints."""

    scenario: dict
    fit: Any
    ensemble: Any
    plan: Plan
    revenue: np.ndarray
    risk: pd.DataFrame
    risk_slipped: pd.DataFrame | None
    cash: dict
    figures: list

    @property
    def target(self) -> float:
        return float(self.plan.target)

    def _report_parts(self) -> tuple[list[str], list[str]]:
        """The report's lines before and after its policy table (``risk``)."""
        s = self.scenario
        fs, rv, com = s["fit"], s["revenue"], s["commitments"]
        target_name = "loss" if s["target"]["loss"] is not None else "score"
        source = fs["dataset"] or fs["csv"] or fs["file"]
        lines = [f"scenario {s['path']}"]
        fit_line = f"fit: {self.fit.law.name} to {source}"
        if self.fit.has_data:
            fit_line += f" ({len(self.fit.data)} rows), objective {self.fit.objective:.6g}"
        if self.ensemble is not None:
            ens = self.ensemble
            fit_line += (f"; bootstrap: {ens.n_replicates} {ens.resampling} replicates, seed "
                         f"{ens.seed} ({int(np.sum(~ens.valid))} failed, left out)")
        else:
            fit_line += "; no bootstrap (point fit: no band)"
        lines.append(fit_line)
        plan_ = self.plan
        point = plan_.table.loc["compute (FLOP)", "point_fit"]
        xname = inverse_input(self.fit.law)
        t_line = f"target {target_name} {self.target:g}: "
        if np.isfinite(point):
            t_line += f"the point fit reaches it at {xname} = {point:.4g}"
            hi = _data_max(self.fit)
            if hi is not None:
                t_line += (f", {np.log10(point / hi):.2f} orders of magnitude beyond the "
                           f"data's largest {xname} ({hi:.4g})")
        else:
            t_line += "the point fit never reaches it"
        lines.append(t_line)
        lines.append("")
        a = plan_.assumptions
        band = (f"median and {plan_.level:.0%} interval over the replicates that reach it"
                if plan_.source != "fit" else "point fit, no band")
        lines.append(f"plan: {a['gpu']} at mfu {a['mfu']:g}, ${a['price_per_gpu_hour']:g} per "
                     f"GPU-hour, {a['wall_clock_days']:g} days of wall-clock time, pue "
                     f"{a['pue']:g}; {band}")
        lines.append(_format_table(plan_.table, index_name="quantity"))
        lines.append(f"unreachable: {100 * plan_.unreachable_fraction:.2f}% of "
                     f"{plan_.n_replicates} replicates never reach {target_name} "
                     f"{self.target:g}")
        lines.append("")
        lo, hi = rv["growth_interval90"]
        lines.append(
            f"revenue: {self.revenue.shape[0]} paths over {rv['years']} years from {rv['r0']:g} "
            f"a year; growth median {rv['growth_median']:g}x, 90% interval {lo:g}x to {hi:g}x"
            + (f", decay {rv['decay']:g}" if rv["decay"] else "") + f" (seed {rv['seed']})")
        at = self.risk.attrs
        sized = (f"sized so that the year-{at['year']} run costs {at['budget']:.4g} "
                 f"({com['cost']}" + (f", {com['budget']} of the plan)" if isinstance(
                     com["budget"], str) else ")")
                 if com["spend_fraction"] is None
                 else f"given; the year-{at['year']} run gets {at['budget']:.4g} ({com['cost']})")
        lines.append(
            f"commitments: plan {com['planned_growth']:g}x a year; a run a year at spend "
            f"fraction {at['spend_fraction']:.4g} of planned revenue, {sized}; lead time "
            f"{com['lead_time']} year(s), milestone {com['milestone']:g} x plan, margin "
            f"{com['margin']:g}, initial cash {com['initial_cash']:g}")
        lines.append(f"P(the year-{at['year']} budget reaches the target, under the fit) = "
                     f"{self.risk['p_budget_enough'].iloc[0]:.4g}")
        before, lines = lines, []
        if self.risk_slipped is not None:
            lines.append(f"revenue {rv['slip']} year(s) late (slip):")
            lines.append(_format_table(self.risk_slipped[_RISK_COLUMNS], index_name="policy"))
        lines.append(f"(VaR and CVaR of terminal cash at {com['level']:.0%}; "
                     "p_target_solvent = p_budget_enough x P(target run bought and never ruined))")
        if self.figures:
            lines.append("")
            lines.append("figures: " + ", ".join(str(p) for p in self.figures))
        return before, lines

    def figure(self, which: str = "revenue_cash"):
        """``"revenue_cash"`` (default): the revenue fan with the plan beside one cash fan per
        policy; ``"capability"``: capability against compute with the target and its band. The
        figures ``run_scenario`` writes; ``sl.plot.figure(result, which=...)`` reaches them too."""
        from .. import plot

        s = self.scenario
        if which == "capability":
            return plot.plot_capability(self.ensemble if self.ensemble is not None else self.fit,
                                        level=s["bootstrap"]["level"], targets=[self.target])
        if which == "revenue_cash":
            rv, com = s["revenue"], s["commitments"]
            return plot.plot_revenue_cash(
                self.revenue, {_POLICY_TITLES[p]: r for p, r in self.cash.items()},
                planned=planned_revenue(rv["r0"], com["planned_growth"], rv["years"]), unit="$")
        raise ValueError(f"which must be 'revenue_cash' or 'capability'; got {which!r}")

    def to_dict(self) -> dict:
        """A JSON record of everything the scenario computed: the checked scenario, the fit (with
        its data) and ensemble, the plan, the revenue paths, the policy tables and the cash
        results (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.ScenarioResult"), "scenario": self.scenario,
                "fit": self.fit.to_dict(), "ensemble": None if self.ensemble is None else self.ensemble.to_dict(include_fit=False),
                "plan": self.plan.to_dict(), "revenue": serialize.array_record(self.revenue),
                "risk": serialize.frame_record(self.risk),
                "risk_slipped": None if self.risk_slipped is None else serialize.frame_record(self.risk_slipped),
                "cash": {k: v.to_dict() for k, v in self.cash.items()}, "figures": [str(f) for f in self.figures]}

    @classmethod
    def from_dict(cls, d: dict) -> ScenarioResult:
        fit_ = fitting.Fit.from_dict(d["fit"])
        return cls(scenario=d["scenario"], fit=fit_,
                   ensemble=None if d["ensemble"] is None else Ensemble.from_dict({**d["ensemble"], "fit": d["fit"]},
                                                                                  fit_),
                   plan=Plan.from_dict(d["plan"]), revenue=serialize.array_from_record(d["revenue"]),
                   risk=serialize.frame_from_record(d["risk"]),
                   risk_slipped=None if d["risk_slipped"] is None else serialize.frame_from_record(d["risk_slipped"]),
                   cash={k: CashResult.from_dict(v) for k, v in d["cash"].items()}, figures=[Path(f) for f in d["figures"]])

    def report(self) -> str:
        """The text ``scalinglaws capex`` prints: fit, target, plan, revenue, commitments, and the
        policy table (with the slipped one when the scenario slips revenue)."""
        before, after = self._report_parts()
        table = _format_table(self.risk[_RISK_COLUMNS], index_name="policy")
        return "\n".join([*before, table, *after])

    def summary(self) -> Summary:
        """The report as a :class:`~scalinglaws.results.Summary` whose table is the policy table."""
        before, after = self._report_parts()
        table = self.risk[_RISK_COLUMNS].copy()
        table.index.name = "policy"
        return Summary(before[0], table, notes=before[1:], footer=after, level=self.scenario["commitments"]["level"],
                       formats={c: ".4g" for c in table.columns})

    def __repr__(self) -> str:
        return self.report()


def _data_max(fit: Any) -> float | None:
    """Largest compute (``6 N D`` for two-input laws) or x in the fitted data; None without data."""
    if not fit.has_data:
        return None
    data = fit.data
    used = data[fit.weight_column].to_numpy() > 0
    if len(fit.x_columns) == 2:
        ncol, dcol = fit.x_columns
        return float(np.max(training_compute(data[ncol].to_numpy()[used], data[dcol].to_numpy()[used])))
    if len(fit.x_columns) == 1:
        return float(np.max(data[fit.x_columns[0]].to_numpy()[used]))
    return None


_RISK_COLUMNS = ["prob_ruin", "terminal_cash_median", "var", "cvar", "spend_vs_upfront",
                 "p_target_run", "p_target_solvent"]


def _format_table(table: pd.DataFrame, index_name: str) -> str:
    fmt = table.copy()
    for col in fmt.columns:
        fmt[col] = [f"{v:.4g}" if np.isfinite(v) else "nan" for v in table[col]]
    fmt.index.name = index_name
    return fmt.reset_index().to_string(index=False)


@renamed_arguments(replicates="n_bootstrap")
def run_scenario(scenario: dict, out: Any = None, *, n_bootstrap: int | None = None,
                 paths: int | None = None, figures: bool = True) -> ScenarioResult:
    """Run a scenario from :func:`load_scenario`: fit, bootstrap, plan, revenue, commitments.

    ``out`` (a folder; default ``[output] dir``, relative to the current directory) receives
    ``capability.png`` (capability against compute with the target) and ``revenue_cash.png``
    (revenue fan and one cash fan per policy); no figures without a folder or with
    ``figures=False``. ``n_bootstrap`` (``replicates`` is its old name) and ``paths`` override the
    file's counts.
    """
    s = scenario
    base = Path(s["base"])
    fs, bs, hw, rv, com = (s["fit"], s["bootstrap"], s["hardware"], s["revenue"],
                           s["commitments"])
    target = s["target"]["loss"] if s["target"]["loss"] is not None else s["target"]["score"]
    ensemble = None
    if fs["file"] is not None:
        path = base / fs["file"]
        record = serialize.read_record(path)
        if record["kind"] not in ("scalinglaws.Ensemble", "scalinglaws.Fit"):
            raise ScenarioError(f"[fit] file {str(path)!r} holds a {record['kind']}; it must be a saved Fit or "
                                "Ensemble")
        try:
            if record["kind"] == "scalinglaws.Ensemble":
                fit_ = fitting.Fit.from_dict(record["fit"])
                ensemble = Ensemble.from_dict(record, fit_)
            else:
                fit_ = fitting.Fit.from_dict(record)
        except serialize.RecordError as err:
            raise ScenarioError(f"[fit] file {str(path)!r}: {err}") from None
    else:
        if fs["dataset"] is not None:
            table = datasets.load(fs["dataset"])
        else:
            table = pd.read_csv(base / fs["csv"])
        fit_ = fitting.fit(table, fs["law"], x=fs["x"], y=fs["y"])
    n_rep = bs["replicates"] if n_bootstrap is None else int(n_bootstrap)
    if ensemble is None and (bs["enabled"] or n_bootstrap is not None):
        if n_rep < 1:
            raise ScenarioError(f"{s['path']}: [bootstrap] replicates must be >= 1; got {n_rep}")
        ensemble = fit_.bootstrap(n_rep, seed=bs["seed"], resampling=bs["resampling"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "target .* is unreachable", UserWarning)
        plan_ = plan(ensemble if ensemble is not None else fit_, target, gpu=hw["gpu"],
                     mfu=hw["mfu"], price_per_gpu_hour=hw["price_per_gpu_hour"], level=bs["level"],
                     wall_clock_days=hw["wall_clock_days"], pue=hw["pue"],
                     hardware_price=hw["hardware_price"], electricity=hw["electricity"])
    n_paths = rv["paths"] if paths is None else int(paths)
    revenue = simulate_revenue(rv["r0"], rv["growth_median"], rv["growth_interval90"],
                               rv["years"], n_paths=n_paths, seed=rv["seed"], decay=rv["decay"])
    terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                 budget=com["budget"], cost=com["cost"], spend_fraction=com["spend_fraction"],
                 milestone=com["milestone"], margin=com["margin"],
                 initial_cash=com["initial_cash"], level=com["level"],
                 policies=tuple(com["policies"]))
    risk = commitment_risk(plan_, revenue, **terms)
    risk_slipped = None
    if rv["slip"] > 0:
        slipped_terms = dict(terms, budget=None if com["spend_fraction"] is not None else
                             risk.attrs["budget"])
        risk_slipped = commitment_risk(plan_, slip(revenue, rv["slip"]), **slipped_terms)
    cash_terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                      spend_fraction=risk.attrs["spend_fraction"], milestone=com["milestone"],
                      margin=com["margin"], initial_cash=com["initial_cash"], level=com["level"])
    cash = {p: simulate_cash(revenue, policy=p, **cash_terms) for p in com["policies"]}
    result = ScenarioResult(s, fit_, ensemble, plan_, revenue, risk, risk_slipped, cash, [])
    out_dir = out if out is not None else s["output"]["dir"]
    if figures and out_dir is not None:
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in ("capability", "revenue_cash"):
            fig = result.figure(name)
            result.figures.append(out_dir / f"{name}.png")
            fig.savefig(result.figures[-1], dpi=s["output"]["dpi"])
            plt.close(fig)
    return result
