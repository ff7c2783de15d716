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
from .capability import CapabilityBought, capability_bought
from .cash import _POLICIES, CashResult, simulate_cash
from .constants import DEFAULT_MFU, PRICE_PERFORMANCE, PUE_OTHER, TRAINING_DAYS
from .decisions import CommitmentDecision, DecisionInputs
from .demand import RevenueFit, fit_revenue
from .plan import Plan, plan
from .revenue import planned_revenue, simulate_revenue, slip
from .risk import _BUDGET_COLUMNS, _COST_ROWS, commitment_risk
from .stress import Sensitivity, StressTests, sensitivity, stress_tests


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
    "demand": {"years": ("ints", _REQUIRED), "revenue": ("numbers", _REQUIRED), "decay": ("bool", False),
               "sigma": ("number", None), "sigma_prior_years": ("number", None), "threshold": ("number", 5.0),
               "seed": ("int", 0)},
    "revenue": {"r0": ("number", _REQUIRED), "growth_median": ("number", _REQUIRED),
                "growth_interval90": ("pair", _REQUIRED), "years": ("int", _REQUIRED),
                "paths": ("int", 100_000), "seed": ("int", 0), "decay": ("number", 0.0),
                "slip": ("int", 0)},
    "commitments": {"planned_growth": ("number", _REQUIRED), "lead_time": ("int", _REQUIRED),
                    "budget": ("budget", None), "spend_fraction": ("number", None),
                    "cost": ("str", "rental"), "milestone": ("number", 1.0),
                    "margin": ("number", 1.0), "initial_cash": ("number", 0.0),
                    "level": ("number", 0.95), "policies": ("strings", ["upfront", "staged"])},
    "decision": {"max_ruin": ("number", 0.05), "policies": ("strings", ["upfront", "rolling", "staged"]),
                 "milestones": ("numbers", [0.0, 0.25, 0.5, 0.75, 1.0]), "lead_time": ("int", None),
                 "planned_growth": ("number", None), "margin": ("number", None), "initial_cash": ("number", None),
                 "training_share": ("number", None), "inference_margin": ("number", None),
                 "price_trend": ("number", PRICE_PERFORMANCE.value), "run": ("str", "final"),
                 "stress": ("bool", True), "sensitivity": ("bool", True), "slip_years": ("int", 1),
                 "slowdown_to": ("number", None), "report": ("str", "html")},
    "output": {"dir": ("str", None), "dpi": ("int", 100)},
}
_SCENARIO_SECTIONS_REQUIRED = ("fit", "target", "revenue")
_OPTIONAL_SECTIONS = ("demand", "commitments", "decision")  # None when the file has no such table
_GIVEN_BY_DEMAND = ("r0", "growth_median", "growth_interval90", "decay")  # [revenue] keys a [demand] fit sets
_REPORT_FORMATS = ("html", "markdown")
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
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind in ("ints", "numbers"):
        ok = isinstance(value, list) and len(value) > 0 and all(
            isinstance(v, int if kind == "ints" else (int, float)) and not isinstance(v, bool) for v in value)
        if not ok:
            raise bad("a list of whole numbers" if kind == "ints" else "a list of numbers")
        if kind == "numbers" and not all(math.isfinite(v) for v in value):
            raise bad("finite")
        return [int(v) if kind == "ints" else float(v) for v in value]
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
            if section in _OPTIONAL_SECTIONS:
                out[section] = None
                continue
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
        demand = section == "revenue" and "demand" in raw
        values = {}
        for key, (kind, default) in schema.items():
            if demand and key in _GIVEN_BY_DEMAND:
                if key in given:
                    raise ScenarioError(f"{where} key {key!r} is set by the [demand] fit; remove it, or the "
                                        "[demand] table")
                values[key] = None
            elif key in given:
                values[key] = _scenario_value(where, key, given[key], kind)
            elif default is _REQUIRED:
                raise ScenarioError(f"{where} missing key {key!r}")
            else:
                values[key] = default
        out[section] = values
        if section == "bootstrap":
            out["bootstrap"]["enabled"] = "bootstrap" in raw
    if out["commitments"] is None and out["decision"] is None:
        raise ScenarioError(f"{path}: needs a [commitments] table (buy the target ahead of revenue) or a "
                            "[decision] table (the largest commitment within a probability of ruin), or both")
    fit_s = out["fit"]
    sources = [k for k in ("dataset", "csv", "file") if fit_s[k] is not None]
    if len(sources) != 1:
        raise ScenarioError(f"{path}: [fit] needs exactly one of dataset, csv or file; "
                            f"got {sources or 'none'}")
    target = [k for k in ("loss", "score") if out["target"][k] is not None]
    if len(target) != 1:
        raise ScenarioError(f"{path}: [target] needs exactly one of loss or score")
    dm = out["demand"]
    if dm is not None and len(dm["years"]) != len(dm["revenue"]):
        raise ScenarioError(f"{path}: [demand] years and revenue must have the same length; got "
                            f"{len(dm['years'])} and {len(dm['revenue'])}")
    dc = out["decision"]
    if dc is not None:
        if dc["lead_time"] is None and out["commitments"] is None:
            raise ScenarioError(f"{path}: [decision] missing key 'lead_time' (years between signing and paying)")
        if dc["report"] not in _REPORT_FORMATS:
            raise ScenarioError(f"{path}: [decision] report must be one of {list(_REPORT_FORMATS)}; got {dc['report']!r}")
        if dc["run"] not in ("final", "total"):
            raise ScenarioError(f"{path}: [decision] run must be 'final' or 'total'; got {dc['run']!r}")
        bad = [p for p in dc["policies"] if p not in _POLICIES]
        if bad:
            raise ScenarioError(f"{path}: [decision] policies: {bad[0]!r} is not one of {list(_POLICIES)}")
    com = out["commitments"]
    if com is None:
        return out
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
FIGURES = ("capability", "revenue_cash", "revenue_fit", "frontier", "capability_bought", "stress", "tornado")


@dataclass(repr=False)
class ScenarioResult(Result):
    """Everything :func:`run_scenario` computed, and :meth:`report`, the text the command prints."""

    scenario: dict
    fit: Any
    ensemble: Any
    plan: Plan
    revenue: np.ndarray
    risk: pd.DataFrame | None
    risk_slipped: pd.DataFrame | None
    cash: dict
    figures: list
    revenue_fit: Any = None
    decision: Any = None
    capability: Any = None
    stress: Any = None
    sensitivity: Any = None
    report_file: Any = None

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
        lines.extend(self._revenue_lines())
        if self.risk is None:
            return lines, []
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
        return before, lines

    def _revenue_lines(self) -> list[str]:
        rv = self.scenario["revenue"]
        lines = []
        if self.revenue_fit is not None:
            f, dm = self.revenue_fit, self.scenario["demand"]
            lo, hi = f.table.loc["growth median next year (x)", ["lower", "upper"]]
            lines.append(f"demand: lognormal growth fitted to {f.n_growths + 1} years of revenue ({f.years[0]}-"
                         f"{f.years[-1]}); next year's growth median {f.growth_median:.3g}x, {f.level:.0%} band "
                         f"{lo:.3g}x to {hi:.3g}x; P(next year's growth < {dm['threshold']:g}x) = "
                         f"{f.prob_growth_below(dm['threshold']):.3g} (plug-in "
                         f"{f.prob_growth_below(dm['threshold'], parameter_uncertainty=False):.3g})")
            lines.extend(f"  {n}" for n in f.notes()[1:2])
            lines.append(f"revenue: {self.revenue.shape[0]} paths over {rv['years']} years from {rv['r0']:.4g} "
                         f"a year, from the fit's posterior predictive (each path its own growth parameters; "
                         f"seed {rv['seed']})")
            return lines
        lo, hi = rv["growth_interval90"]
        lines.append(
            f"revenue: {self.revenue.shape[0]} paths over {rv['years']} years from {rv['r0']:g} "
            f"a year; growth median {rv['growth_median']:g}x, 90% interval {lo:g}x to {hi:g}x"
            + (f", decay {rv['decay']:g}" if rv["decay"] else "") + f" (seed {rv['seed']})")
        return lines

    def _decision_lines(self) -> list[str]:
        """The decision, what it buys, its stresses and sensitivities, as report lines."""
        if self.decision is None:
            return []
        d, st = self.decision, self.decision.settings
        lines = ["", str(d.summary()), "", "schedule: spend per year (mean over paths) and the year it is signed"]
        sched = d.schedules.pivot(index="policy", columns="year", values="spend_mean")
        sched.columns = [f"year {c}" for c in sched.columns]
        signed = d.schedules.pivot(index="policy", columns="year", values="signed_year")
        for c, year in zip(sched.columns, signed.columns):
            sched[f"signed {year}"] = signed[year].astype(float)
        lines.append(_format_table(sched.loc[list(d.table.index)], index_name="policy"))
        ruin = d.table[[c for c in d.table.columns if c.startswith("p_ruin_year_")]]
        lines.append("year of ruin (share of all paths first ruined that year):")
        lines.append(_format_table(ruin, index_name="policy"))
        if self.capability is not None:
            lines += ["", str(self.capability.summary())]
        if self.stress is not None:
            p = self.stress.table["prob_ruin"].unstack("policy")[list(d.table.index)]
            p = p.loc[list(dict.fromkeys(self.stress.table.index.get_level_values(0)))]
            lines += ["", f"stress tests: P(ruin) of the commitments chosen at {st['max_ruin']:g}, replayed",
                      _format_table(p, index_name="stress")]
        if self.sensitivity is not None:
            lines += ["", str(self.sensitivity.summary())]
        return lines

    def figure(self, which: str = "revenue_cash"):
        """``"revenue_cash"`` (default): the revenue fan with the plan beside one cash fan per
        policy; ``"capability"``: capability against compute with the target and its band; with a
        [decision]: ``"frontier"``, ``"capability_bought"``, ``"stress"``, ``"tornado"``, and with
        [demand] ``"revenue_fit"``. The figures ``run_scenario`` writes; ``sl.plot.figure(result,
        which=...)`` reaches them too."""
        from .. import plot

        s = self.scenario
        if which == "capability":
            return plot.plot_capability(self.ensemble if self.ensemble is not None else self.fit,
                                        level=s["bootstrap"]["level"], targets=[self.target])
        parts = {"frontier": self.decision, "capability_bought": self.capability, "stress": self.stress,
                 "tornado": self.sensitivity, "revenue_fit": self.revenue_fit}
        if which in parts:
            if parts[which] is None:
                raise ValueError(f"this scenario computed no {which!r} (it needs [decision]"
                                 + (" and [demand]" if which == "revenue_fit" else "") + ")")
            return parts[which].figure()
        if which == "revenue_cash":
            if s["commitments"] is None:
                raise ValueError("this scenario has no [commitments]: no revenue_cash figure")
            rv, com = s["revenue"], s["commitments"]
            return plot.plot_revenue_cash(
                self.revenue, {_POLICY_TITLES[p]: r for p, r in self.cash.items()},
                planned=planned_revenue(rv["r0"], com["planned_growth"], rv["years"]), unit="$")
        raise ValueError(f"which must be one of {list(FIGURES)}; got {which!r}")

    def to_dict(self) -> dict:
        """A JSON record of everything the scenario computed: the checked scenario, the fit (with
        its data) and ensemble, the plan, the revenue paths, the policy tables and the cash
        results (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.ScenarioResult"), "scenario": self.scenario,
                "fit": self.fit.to_dict(), "ensemble": None if self.ensemble is None else self.ensemble.to_dict(include_fit=False),
                "plan": self.plan.to_dict(), "revenue": serialize.array_record(self.revenue),
                "risk": None if self.risk is None else serialize.frame_record(self.risk),
                "risk_slipped": None if self.risk_slipped is None else serialize.frame_record(self.risk_slipped),
                "cash": {k: v.to_dict() for k, v in self.cash.items()}, "figures": [str(f) for f in self.figures],
                **{k: None if getattr(self, k) is None else getattr(self, k).to_dict() for k in _PARTS},
                "report_file": None if self.report_file is None else str(self.report_file)}

    @classmethod
    def from_dict(cls, d: dict) -> ScenarioResult:
        fit_ = fitting.Fit.from_dict(d["fit"])
        return cls(scenario=d["scenario"], fit=fit_,
                   ensemble=None if d["ensemble"] is None else Ensemble.from_dict({**d["ensemble"], "fit": d["fit"]},
                                                                                  fit_),
                   plan=Plan.from_dict(d["plan"]), revenue=serialize.array_from_record(d["revenue"]),
                   risk=None if d["risk"] is None else serialize.frame_from_record(d["risk"]),
                   risk_slipped=None if d["risk_slipped"] is None else serialize.frame_from_record(d["risk_slipped"]),
                   cash={k: CashResult.from_dict(v) for k, v in d["cash"].items()}, figures=[Path(f) for f in d["figures"]],
                   **{k: None if d.get(k) is None else kind.from_dict(d[k]) for k, kind in _PARTS.items()},
                   report_file=None if d.get("report_file") is None else Path(d["report_file"]))

    def _figure_lines(self) -> list[str]:
        out = ["", "figures: " + ", ".join(str(p) for p in self.figures)] if self.figures else []
        if self.report_file is not None:
            out.append(f"report: {self.report_file}")
        return out

    def report(self) -> str:
        """The text ``scalinglaws capex`` prints: fit, target, plan, revenue, the commitments'
        policy table (with the slipped one when the scenario slips revenue), and the decision."""
        before, after = self._report_parts()
        table = [] if self.risk is None else [_format_table(self.risk[_RISK_COLUMNS], index_name="policy")]
        return "\n".join([*before, *table, *after, *self._decision_lines(), *self._figure_lines()])

    def summary(self) -> Summary:
        """The report as a :class:`~scalinglaws.results.Summary` whose table is the commitments'
        policy table (without [commitments], the decision's)."""
        before, after = self._report_parts()
        if self.risk is not None:
            table, level = self.risk[_RISK_COLUMNS].copy(), self.scenario["commitments"]["level"]
            table.index.name = "policy"
        else:
            table, level = self.decision.table.copy(), self.decision.level
        return Summary(before[0], table, notes=before[1:],
                       footer=[*after, *self._decision_lines(), *self._figure_lines()], level=level,
                       formats={c: ".4g" for c in table.columns})

    def __repr__(self) -> str:
        return self.report()


_PARTS = {"revenue_fit": RevenueFit, "decision": CommitmentDecision, "capability": CapabilityBought,
          "stress": StressTests, "sensitivity": Sensitivity}


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
def decision_inputs(scenario: dict, revenue_fit: Any = None, n_paths: int | None = None) -> DecisionInputs:
    """The :class:`DecisionInputs` of a scenario's [decision] (terms it leaves out come from
    [commitments], then from the growth median), [revenue] (or the [demand] fit) and [hardware]."""
    dc, rv, hw = scenario["decision"], scenario["revenue"], scenario["hardware"]
    com = scenario["commitments"] or {}

    def pick(key, default):
        return dc[key] if dc[key] is not None else com.get(key, default)

    terms = dict(lead_time=pick("lead_time", None), planned_growth=pick("planned_growth", None),
                 margin=pick("margin", 1.0), initial_cash=pick("initial_cash", 0.0), max_ruin=dc["max_ruin"],
                 policies=tuple(dc["policies"]), milestones=tuple(dc["milestones"]),
                 training_share=dc["training_share"], inference_margin=dc["inference_margin"], gpu=hw["gpu"],
                 mfu=hw["mfu"], price_per_gpu_hour=hw["price_per_gpu_hour"], price_trend=dc["price_trend"],
                 n_paths=rv["paths"] if n_paths is None else int(n_paths), seed=rv["seed"])
    if revenue_fit is not None:
        return DecisionInputs.from_fit(revenue_fit, rv["years"], **terms)
    return DecisionInputs(r0=rv["r0"], growth_median=rv["growth_median"], growth_interval90=rv["growth_interval90"],
                          years=rv["years"], decay=rv["decay"], **terms)


def _decide(result: ScenarioResult, n_paths: int) -> None:
    """The [decision]: the commitments, what they buy, their stresses and sensitivities."""
    s = result.scenario
    dc = s["decision"]
    inputs = decision_inputs(s, result.revenue_fit, n_paths)
    try:
        result.decision = inputs.decide(result.revenue)
    except ValueError as err:
        raise ScenarioError(f"{s['path']}: [decision]: {err}") from None
    model = result.ensemble if result.ensemble is not None else result.fit
    result.capability = capability_bought(result.decision, model, target=result.target, run=dc["run"],
                                          level=s["bootstrap"]["level"])
    if dc["stress"]:
        result.stress = stress_tests(inputs, slip_years=dc["slip_years"], slowdown_to=dc["slowdown_to"],
                                     decision=result.decision)
    if dc["sensitivity"]:
        result.sensitivity = sensitivity(inputs, decision=result.decision)


def run_scenario(scenario: dict, out: Any = None, *, n_bootstrap: int | None = None,
                 paths: int | None = None, figures: bool = True) -> ScenarioResult:
    """Run a scenario from :func:`load_scenario`: fit, bootstrap, plan, demand, revenue,
    commitments, and the decision.

    ``out`` (a folder; default ``[output] dir``, relative to the current directory) receives
    ``capability.png`` (capability against compute with the target), ``revenue_cash.png``
    (revenue fan and one cash fan per policy, with [commitments]), ``revenue_fit.png`` (with
    [demand]) and, with [decision], ``frontier.png``, ``capability_bought.png``, ``stress.png``,
    ``tornado.png`` and the report (``report.html`` or ``report.md``,
    :func:`~scalinglaws.capex.report.write_report`); no figures without a folder or with
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
    revenue_fit = None
    if s["demand"] is not None:
        dm = s["demand"]
        try:
            revenue_fit = fit_revenue(dm["years"], dm["revenue"], decay=dm["decay"], sigma=dm["sigma"],
                                      sigma_prior_years=dm["sigma_prior_years"], level=bs["level"], seed=dm["seed"])
        except ValueError as err:
            raise ScenarioError(f"{s['path']}: [demand]: {err}") from None
        s = {**s, "revenue": {**rv, **revenue_fit.terms()}}  # the fit's plug-in terms, for the record
        rv = s["revenue"]
        revenue = revenue_fit.simulate(rv["years"], n_paths, rv["seed"])
    else:
        revenue = simulate_revenue(rv["r0"], rv["growth_median"], rv["growth_interval90"],
                                   rv["years"], n_paths=n_paths, seed=rv["seed"], decay=rv["decay"])
    risk = risk_slipped = None
    cash = {}
    if com is not None:
        terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                     budget=com["budget"], cost=com["cost"], spend_fraction=com["spend_fraction"],
                     milestone=com["milestone"], margin=com["margin"],
                     initial_cash=com["initial_cash"], level=com["level"],
                     policies=tuple(com["policies"]))
        risk = commitment_risk(plan_, revenue, **terms)
        if rv["slip"] > 0:
            slipped_terms = dict(terms, budget=None if com["spend_fraction"] is not None else
                                 risk.attrs["budget"])
            risk_slipped = commitment_risk(plan_, slip(revenue, rv["slip"]), **slipped_terms)
        cash_terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                          spend_fraction=risk.attrs["spend_fraction"], milestone=com["milestone"],
                          margin=com["margin"], initial_cash=com["initial_cash"], level=com["level"])
        cash = {p: simulate_cash(revenue, policy=p, **cash_terms) for p in com["policies"]}
    result = ScenarioResult(s, fit_, ensemble, plan_, revenue, risk, risk_slipped, cash, [], revenue_fit=revenue_fit)
    if s["decision"] is not None:
        _decide(result, n_paths)
    out_dir = out if out is not None else s["output"]["dir"]
    if figures and out_dir is not None:
        import matplotlib.pyplot as plt

        from .report import write_report

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        names = ["capability"] + (["revenue_cash"] if com is not None else [])
        if revenue_fit is not None:
            names.append("revenue_fit")
        if result.decision is not None:
            names += ["frontier", "capability_bought"] + (["stress"] if result.stress is not None else []) + (
                ["tornado"] if result.sensitivity is not None else [])
        for name in names:
            fig = result.figure(name)
            result.figures.append(out_dir / f"{name}.png")
            fig.savefig(result.figures[-1], dpi=s["output"]["dpi"])
            plt.close(fig)
        if result.decision is not None:
            result.report_file = write_report(result, out_dir, s["decision"]["report"])
    return result
