"""One report a person reads, from a scenario with a [decision]: :func:`write_report` writes
``report.html`` (self-contained: the figures are embedded) or ``report.md`` (the figures beside
it), with the answer first, then demand, the plan, the decision and its frontier, what it buys,
its stresses and sensitivities, and every assumption with its source."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from .constants import CONSTANTS

_POLICY = {"upfront": "up front", "rolling": "rolling", "staged": "staged"}
_CITED = ("mfu_low", "mfu_median", "mfu_high", "ml_gpu_price_performance_oom_per_year", "h100_rental_on_demand_low",
          "h100_rental_on_demand_median", "h100_rental_on_demand_high", "h100_sxm_bf16_dense_flop_per_s",
          "training_share_of_compute", "inference_gross_margin")


def _cell(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{float(v):.4g}"
    return str(v)


def _frame(table: pd.DataFrame, index: bool = True) -> tuple[list[str], list[list[str]]]:
    t = table.reset_index() if index else table
    return [str(c) for c in t.columns], [[_cell(v) for v in row] for row in t.itertuples(index=False, name=None)]


def _sections(result: Any) -> list[tuple]:
    """The report as blocks: ("h", text), ("p", text), ("ul", [items]), ("table", frame), ("img", file, caption)."""
    s, d, cap = result.scenario, result.decision, result.capability
    st = d.settings
    target_name = cap.name
    blocks: list[tuple] = [("h", "The answer")]
    items = []
    for policy in d.table.index:
        row, c = d.table.loc[policy], cap.table.loc[policy]
        sched = d.schedules[d.schedules["policy"] == policy]
        spend = ", ".join(f"year {int(y)} ${m:.3g}" for y, m in zip(sched["year"], sched["spend_mean"]))
        text = (f"{_POLICY.get(policy, policy)}: commit {row['spend_fraction']:.4g} of the unit schedule "
                f"(mean spend {spend}); P(ruin) {row['prob_ruin']:.3g}; training compute of the final year's run "
                f"{c['flop']:.3g} FLOP (median); {target_name} {c[target_name]:.4g} "
                f"[{c[f'{target_name}_lower']:.4g}, {c[f'{target_name}_upper']:.4g}]")
        if "p_target" in c:
            text += f"; P({target_name} reaches {cap.target:g}) = {c['p_target']:.3g}"
        items.append(text)
    blocks += [("p", f"The largest commitment per policy whose probability of ruin is at most {st['max_ruin']:g}, "
                     f"over {d.n_paths:,} revenue paths and {d.years} years; commitments signed {st['lead_time']} "
                     f"year(s) ahead."), ("ul", items)]
    if "staged" in d.table.index and "upfront" in d.table.index:
        blocks.append(("p", "Staged commitments include milestone 0, which is up front: the staged frontier is never "
                            "below the up-front one; it is above it where a milestone stops spending on the paths "
                            "that would be ruined."))
    fig = {Path(f).stem: Path(f) for f in result.figures}
    if result.revenue_fit is not None:
        f = result.revenue_fit
        blocks += [("h", "Demand"), ("ul", f.notes()), ("table", f.table.rename_axis("quantity"))]
        thr = s["demand"]["threshold"]
        blocks.append(("p", f"P(next year's growth < {thr:g}x) = {f.prob_growth_below(thr):.3g} with the parameters' "
                            f"uncertainty, {f.prob_growth_below(thr, parameter_uncertainty=False):.3g} if the "
                            "estimates were exact. The decision's revenue paths are the fit's posterior predictive."))
        if "revenue_fit" in fig:
            blocks.append(("img", fig["revenue_fit"], "Revenue history and the predictive fan"))
    else:
        rv = s["revenue"]
        blocks += [("h", "Demand"), ("p", f"Revenue {rv['r0']:.4g} now, lognormal growth of median "
                                          f"{rv['growth_median']:g}x a year, 90% of years between "
                                          f"{rv['growth_interval90'][0]:g}x and {rv['growth_interval90'][1]:g}x"
                                          + (f", decaying {rv['decay']:g} a year" if rv["decay"] else "") + ".")]
    blocks += [("h", f"What the target needs: {target_name} {result.target:g}"), ("table", result.plan.table.rename_axis("quantity"))]
    if "capability" in fig:
        blocks.append(("img", fig["capability"], "Capability against compute, with the target"))
    blocks += [("h", "The decision"), ("ul", [n for n in d.summary().notes]),
               ("table", d.table[["spend_fraction", "milestone", "prob_ruin", "spend", "flop_mean", "flop_lower",
                                  "flop_upper", "final_flop_mean", "var", "cvar"]]),
               ("p", "Spend per year (mean over paths) and the year each is signed:"),
               ("table", d.schedules.set_index(["policy", "year"])),
               ("p", "Year of ruin (share of all paths first ruined that year):"),
               ("table", d.table[[c for c in d.table.columns if c.startswith("p_ruin_year_")]])]
    if "frontier" in fig:
        blocks.append(("img", fig["frontier"], "Efficient frontier: compute bought against the probability of ruin"))
    front = d.frontier.pivot(index="target_ruin", columns="policy", values="flop_mean")[list(d.table.index)]
    blocks += [("p", "The frontier: mean training FLOP bought at each accepted probability of ruin:"), ("table", front)]
    blocks += [("h", "What it buys"), ("ul", cap.summary().notes), ("table", cap.table)]
    if "capability_bought" in fig:
        blocks.append(("img", fig["capability_bought"], f"{target_name} bought along the frontier"))
    if result.stress is not None:
        p = result.stress.table["prob_ruin"].unstack("policy")[list(d.table.index)]
        p = p.loc[list(dict.fromkeys(result.stress.table.index.get_level_values(0)))]
        blocks += [("h", "Stress tests"), ("p", "P(ruin) of the chosen commitments, replayed under each stress:"),
                   ("table", p)]
        if "stress" in fig:
            blocks.append(("img", fig["stress"], "Probability of ruin under the named stresses"))
    if result.sensitivity is not None:
        sens = result.sensitivity
        blocks += [("h", "Sensitivity"), ("p", sens.summary().notes[0])]
        for policy in d.table.index:
            blocks += [("p", f"{_POLICY.get(policy, policy)}:"), ("table", sens.swings(policy).rename_axis("input"))]
        if "tornado" in fig:
            blocks.append(("img", fig["tornado"], "Tornado: one input at a time"))
    if result.risk is not None:
        blocks += [("h", "Buying the target ahead of revenue ([commitments])"), ("table", result.risk)]
        if "revenue_cash" in fig:
            blocks.append(("img", fig["revenue_cash"], "Revenue and cash paths"))
    rows = [c for name, c in CONSTANTS.items() if name in _CITED]
    constants = pd.DataFrame({"name": [c.name for c in rows], "value": [c.value for c in rows],
                              "unit": [c.unit for c in rows], "source": [c.source for c in rows],
                              "link": [c.link for c in rows]})
    settings = pd.DataFrame({"value": [_cell(v) if not isinstance(v, (list, tuple)) else ", ".join(map(str, v))
                                       for v in st.values()]}, index=pd.Index(list(st), name="setting"))
    blocks += [("h", "Assumptions"), ("table", settings), ("p", "Cited defaults:"), ("table", constants.set_index("name")),
               ("p", f"Reproduce: scalinglaws capex {s['path']} (scalinglaws {__version__}); the same seeds give "
                     "the same numbers.")]
    return blocks


def _markdown(title: str, blocks: list[tuple], folder: Path) -> str:
    out = [f"# {title}", ""]
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out += [f"## {block[1]}", ""]
        elif kind == "p":
            out += [block[1], ""]
        elif kind == "ul":
            out += [f"- {item}" for item in block[1]] + [""]
        elif kind == "table":
            cols, rows = _frame(block[1])
            out.append("| " + " | ".join(cols) + " |")
            out.append("|" + "|".join("---" for _ in cols) + "|")
            out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
            out.append("")
        elif kind == "img":
            out += [f"![{block[2]}]({Path(block[1]).relative_to(folder).as_posix()})", ""]
    return "\n".join(out)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:0.85em}"
        "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #eee}"
        "figure{margin:0.5em 0 1.5em}figcaption{font-size:0.85em;color:#555}")


def _html(title: str, blocks: list[tuple]) -> str:
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h2>{html.escape(block[1])}</h2>")
        elif kind == "p":
            out.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            cols, rows = _frame(block[1])
            head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "img":
            data = base64.b64encode(Path(block[1]).read_bytes()).decode("ascii")
            out.append(f"<figure><img alt=\"{html.escape(block[2])}\" src=\"data:image/png;base64,{data}\">"
                       f"<figcaption>{html.escape(block[2])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(result: Any, folder: Any, fmt: str = "html") -> Path:
    """Write the report of a scenario result with a decision into ``folder``: ``report.html``
    (``fmt="html"``: one file, figures embedded as PNG data) or ``report.md`` (``"markdown"``:
    figures referenced beside it). The figures must have been written (``run_scenario`` does).
    Returns the file's path."""
    if getattr(result, "decision", None) is None:
        raise ValueError("write_report needs a scenario result with a [decision]")
    if fmt not in ("html", "markdown"):
        raise ValueError(f"fmt must be 'html' or 'markdown'; got {fmt!r}")
    folder = Path(folder)
    title = f"Capex decision: {Path(result.scenario['path']).name}"
    blocks = _sections(result)
    path = folder / ("report.html" if fmt == "html" else "report.md")
    path.write_text(_html(title, blocks) if fmt == "html" else _markdown(title, blocks, folder), encoding="utf-8")
    return path
