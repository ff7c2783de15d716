"""The ``scalinglaws`` command.

::

    scalinglaws datasets
    scalinglaws fit --dataset chinchilla-240 --law chinchilla [--out fit.json] [--format json]
    scalinglaws fit runs.csv --law power --x C --y loss
    scalinglaws fit --dataset chinchilla-240 --bootstrap 1000 --level 0.9 --out ens.npz --plot fit.png
    scalinglaws predict fit.json --N 7e10 --D 1.4e12          # the law at given inputs
    scalinglaws predict ens.npz --C 1e24 1e25                 # chinchilla: at the compute-optimal allocation
    scalinglaws allocate ens.npz --C 1e24 1e25 1e26 [--plot alloc.png]
    scalinglaws compute-for ens.npz --target 1.9 2.0 --format csv

``predict``, ``allocate`` and ``compute-for`` read a file saved by ``fit --out`` (a point fit, or
an ensemble when ``--bootstrap`` was given: then every number comes with a ``--level`` band).
Every command prints ``--format table`` (for people), ``csv`` (one table, full precision) or
``json`` (strict JSON in a versioned schema; :mod:`scalinglaws.document`). Bad input (missing
columns, NaN or non-numeric values, unreadable files, bad options) prints one line to stderr and
exits with status 2.

Heavy modules (JAX, the solvers, matplotlib) are imported inside the command functions, so that
``--help`` and ``--version`` answer without them.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from ._version import __version__
from .document import FORMATS
from .intervals import DEFAULT_LEVEL

__all__ = ["main", "build_parser", "CommandError"]


class CommandError(Exception):
    """A user error the command reports as ``error: ...`` (exit status 2)."""


# --------------------------------------------------------------------------------------------
# argument types and helpers


def _level(text: str) -> float:
    from .inputs import check_level

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    try:
        return check_level(v)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _whole(text: str, low: int, high: int | None = None) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
    if high is not None and v > high:
        raise argparse.ArgumentTypeError(f"must be <= {high}, got {v}")
    return v


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _count(text: str) -> int:
    return _whole(text, 0)


SEED_MAX = 2**63 - 1


def _seed(text: str) -> int:
    return _whole(text, 0, SEED_MAX)


def _finite(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return v


def _positive_float(text: str) -> float:
    v = _finite(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def _x_argument(args):
    """``--x``: one column name, a list of them, or None (the law's own input names)."""
    if not args.x:
        return None
    return args.x[0] if len(args.x) == 1 else list(args.x)


def _check_file(path: str | None, what: str) -> None:
    """An output file the command will write: refused before any work if it names a directory
    or its directory does not exist."""
    if not path:
        return
    p = Path(path).expanduser()
    if p.is_dir():
        raise CommandError(f"{what} {path}: is a directory; give a file name")
    if not p.resolve().parent.is_dir():
        raise CommandError(f"{what} {path}: directory {p.parent} does not exist")


def _check_figure(path: str | None, what: str = "--plot") -> None:
    """An image file the command will draw: as :func:`_check_file`, and a format matplotlib
    writes (told by the extension; none means PNG)."""
    if not path:
        return
    _check_file(path, what)
    ext = Path(path).suffix.lower().lstrip(".")
    if ext:
        from matplotlib.backend_bases import FigureCanvasBase

        known = FigureCanvasBase.get_supported_filetypes()
        if ext not in known:
            raise CommandError(f"{what} {path}: cannot draw a .{ext} file; give one of "
                               f"{', '.join('.' + k for k in sorted(known))}")


def _check_folder(path: str | None, what: str) -> None:
    """A folder the command will write into (created if missing): refused if it is a file or
    lies under one."""
    if not path:
        return
    p = Path(path).expanduser().resolve()
    for q in (p, *p.parents):
        if q.exists():
            if not q.is_dir():
                raise CommandError(f"{what} {path}: {q} is a file, not a folder")
            return


def _read_table(args):
    import pandas as pd

    from . import datasets

    if args.dataset and args.csv:
        raise CommandError("give a CSV path or --dataset, not both")
    if args.dataset:
        return datasets.load(args.dataset)
    if not args.csv:
        raise CommandError("give a CSV path or --dataset NAME (see `scalinglaws datasets`)")
    path = Path(args.csv)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    return pd.read_csv(path)


def _load_result(path_text: str):
    """A saved Fit or Ensemble (a file that is not one is a ValueError naming it and the field)."""
    from . import io
    from .ensemble import Ensemble
    from .fitting import Fit

    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    result = io.load(path)
    if not isinstance(result, (Fit, Ensemble)):
        raise CommandError(f"{path}: holds a {type(result).__name__}; give a fit or an ensemble saved by "
                           "`scalinglaws fit --out`")
    return result


def _split(result):
    """(point fit, ensemble or None)."""
    from .ensemble import Ensemble

    if isinstance(result, Ensemble):
        return result.fit, result
    return result, None


def _describe(fit, ens, level: float) -> str:
    if ens is None:
        return f"{fit.law.name} point fit ({fit.law.formula})"
    return (f"{fit.law.name} ensemble: {100 * level:g}% percentile band over {int(ens.valid.sum())} bootstrap "
            f"replicates ({ens.resampling})")


def _law_facts(fit) -> dict:
    """The law a fit holds, its columns and its parameters."""
    return {"law": fit.law.name, "formula": fit.law.formula, "inputs": list(fit.x_columns), "target": fit.y_column,
            "params": dict(fit.params)}


def _fit_facts(fit) -> dict:
    """What a pipeline needs to know of a fit: the law, its columns, its parameters and whether
    to trust them (converged, on a bound), and the solver's diagnostics."""
    facts = {"kind": "Fit", **_law_facts(fit), "converged": bool(fit.converged), "on_bound": bool(fit.on_bound),
             "objective": fit.objective}
    if fit.has_data:
        facts["n_points"] = len(fit.data)
    facts["diagnostics"] = dict(fit.diagnostics)
    return facts


def _source_facts(path: str, fit, ens) -> dict:
    """Facts of a command that reads a saved fit or ensemble."""
    facts = {"file": str(path), "kind": "Fit" if ens is None else "Ensemble", **_law_facts(fit)}
    if ens is not None:
        facts.update(replicates=ens.n_replicates, replicates_used=int(ens.valid.sum()), resampling=ens.resampling,
                     seed=ens.seed)
    return facts


def _emit(args, doc) -> int:
    """Print the document in the chosen ``--format`` and return status 0."""
    width = None
    if args.format == "table" and sys.stdout.isatty():
        import shutil

        width = shutil.get_terminal_size().columns
    sys.stdout.write(doc.render(args.format, args.table, width))
    sys.stdout.flush()
    return 0


def _save_figure(fig, path: str, doc) -> None:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    doc.file("plot", path)


# --------------------------------------------------------------------------------------------
# commands


def _cmd_datasets(args) -> int:
    from . import datasets
    from .document import Document

    table = datasets.list()
    doc = Document("datasets")
    doc.title = "shipped data sets"
    doc.facts = {"count": len(table)}
    doc.table("datasets", table, show=False)
    for row in table.itertuples():
        cols = row.columns if len(row.columns) <= 60 else row.columns[:57] + "..."
        doc.text(f"{row.name:<22} {row.rows:>5} rows  {row.description}\n{'':<22} columns: {cols}")
    return _emit(args, doc)


def _cmd_fit(args) -> int:
    from . import fitting
    from . import laws as _laws
    from .document import Document

    if args.cluster and not args.bootstrap:
        raise CommandError("--cluster applies to the bootstrap: give --bootstrap N as well")
    if args.by and (args.bootstrap or args.plot):
        raise CommandError("--by does not combine with --bootstrap or --plot yet: save the grouped fit with --out "
                           "and bootstrap or draw it from Python (sl.load, sl.plot.figure)")
    if args.shared and not args.by:
        raise CommandError("--shared names parameters common to several groups: give --by COL as well")
    _check_file(args.out, "--out")
    _check_figure(args.plot)
    try:
        law = _laws.get(args.law)
    except (KeyError, ValueError) as err:
        raise CommandError(f"--law: {err.args[0] if err.args else err}") from None
    try:
        law = _laws.tie(law, ",".join(args.tie or []))
    except (KeyError, ValueError) as err:
        raise CommandError(f"--tie: {err.args[0] if err.args else err}") from None
    if args.plot:  # fail before the (possibly long) fit if the law cannot be drawn
        from . import plot

        plot.fit_plot_kind(law)
    df = _read_table(args)
    x = _x_argument(args)
    options = dict(objective=args.objective, delta=args.delta, n_starts=args.starts,
                   fixed=dict(_parse_assignment(s) for s in args.fix or []) or None, weights=args.weights,
                   bounds=dict(_parse_bound(s) for s in args.bound or []) or None)
    doc = Document("fit")
    if args.by:
        from . import grouped

        shared = [n.strip() for part in args.shared or [] for n in part.split(",") if n.strip()] or None
        result = grouped.fit(df, law, x=x, y=args.y, by=list(args.by), shared=shared, **options)
        doc.summary("groups", result.summary(), table=result.params)
        doc.facts = {"kind": "FitSet", "law": law.name, "formula": law.formula, "by": list(result.by),
                     "shared": list(result.shared), "groups": len(result),
                     "converged": int(result.converged.sum()), "on_bound": int(result.on_bound.sum()),
                     "diagnostics": dict(result.diagnostics)}
    else:
        result = fitting.fit(df, law, x=x, y=args.y, **options)
        doc.facts = _fit_facts(result)
        if args.bootstrap:
            result = result.bootstrap(args.bootstrap, seed=args.seed, resampling=args.resampling,
                                      cluster=args.cluster)
            doc.summary("parameters", result.summary(level=args.level))
            doc.facts.update(kind="Ensemble", replicates=result.n_replicates, seed=result.seed,
                             ensemble=result.diagnostics)
        else:
            doc.summary("parameters", result.summary())
    if args.out:
        result.save(args.out)
        doc.text("")
        doc.file("out", args.out)
    if args.plot:
        _save_figure(plot.plot_fit(result, level=args.level), args.plot, doc)
    return _emit(args, doc)


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise CommandError(f"--fix takes NAME=VALUE, got {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise CommandError(f"--fix {text}: {value!r} is not a number") from None


def _parse_bound(text: str) -> tuple[str, tuple[float | None, float | None]]:
    """``A=0:1`` -> ("A", (0.0, 1.0)); an empty side is open: ``A=:0`` -> ("A", (None, 0.0))."""
    name, sep, rng = text.partition("=")
    lo, colon, hi = rng.partition(":")
    if not (sep and colon and name):
        raise CommandError(f"--bound takes NAME=LOW:HIGH (a side may be empty), got {text!r}")
    try:
        return name, (float(lo) if lo.strip() else None, float(hi) if hi.strip() else None)
    except ValueError:
        raise CommandError(f"--bound {text}: bounds must be numbers") from None


def _looks_numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _parse_inputs(tokens: list[str]) -> dict[str, list[float]]:
    """``--N 1e9 1e10 --D=2e11`` -> ``{"N": [1e9, 1e10], "D": [2e11]}``."""
    out: dict[str, list[str]] = {}
    current = None
    for tok in tokens:
        if tok.startswith("--") and len(tok) > 2 and not _looks_numeric(tok):
            name, eq, value = tok[2:].partition("=")
            if name in out:
                raise CommandError(f"--{name} given twice; give all its values after one --{name}")
            out[name] = [value] if eq else []
            current = name
        elif current is None:
            raise CommandError(f"unexpected argument {tok!r}; give inputs as --COLUMN VALUE [VALUE ...]")
        else:
            out[current].append(tok)
    values: dict[str, list[float]] = {}
    for name, texts in out.items():
        if not texts:
            raise CommandError(f"--{name} needs one or more values")
        vals = []
        for t in texts:
            try:
                v = float(t)
            except ValueError:
                raise CommandError(f"--{name}: {t!r} is not a number") from None
            if not math.isfinite(v):
                raise CommandError(f"--{name}: {t} is not finite")
            vals.append(v)
        values[name] = vals
    return values


def _match_inputs(fit, given: dict[str, list[float]], alloc: bool) -> dict[str, list[float]]:
    """Given values keyed by law input names or fitted column names -> keyed by fitted columns."""
    cols = list(fit.x_columns)
    names = list(fit.law.inputs)
    expected = " ".join(f"--{c} ..." for c in cols)
    hint = " (or --C ... alone for the compute-optimal allocation)" if alloc and "C" not in cols + names else ""
    out: dict[str, list[float]] = {}
    for key, vals in given.items():
        if key in cols:
            col = key
        elif key in names:
            col = cols[names.index(key)]
        else:
            raise CommandError(f"unknown input --{key}: this {fit.law.name} fit takes {expected}{hint}")
        if col in out:
            raise CommandError(f"input {col!r} given twice (as --{col} and --{names[cols.index(col)]})")
        out[col] = vals
    missing = [c for c in cols if c not in out]
    if missing:
        raise CommandError(f"missing input(s) {', '.join('--' + c for c in missing)}: this {fit.law.name} fit takes "
                           f"{expected}{hint}")
    return out


def _cmd_predict(args) -> int:
    import numpy as np
    import pandas as pd

    from .document import Document

    result = _load_result(args.file)
    fit, ens = _split(result)
    law = fit.law
    alloc = law.has_allocation
    given = _parse_inputs(args.inputs)
    if not given:
        expected = " ".join(f"--{c} ..." for c in fit.x_columns)
        raise CommandError(f"give input values: {expected}" + (" (or --C ... for the compute-optimal allocation)"
                                                               if alloc else ""))
    doc = Document("predict", level=args.level if ens is not None else None)
    doc.facts = _source_facts(args.file, fit, ens)
    if alloc and set(given) == {"C"} and "C" not in (*fit.x_columns, *law.inputs):
        C = np.asarray(given["C"])
        if np.any(C <= 0):
            raise CommandError(f"--C: compute budgets must be > 0, got {given['C']}")
        doc.title = _describe(fit, ens, args.level) + "; loss at the compute-optimal allocation of each budget C"
        doc.facts["at"] = "compute-optimal allocation"
        doc.text(doc.title)
        doc.table("predictions", _allocation(fit, ens, C, args.level))
        return _emit(args, doc)
    inputs = _match_inputs(fit, given, alloc)
    try:
        arrays = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in inputs.values()])
    except ValueError:
        sizes = ", ".join(f"--{c}: {len(v)}" for c, v in inputs.items())
        raise CommandError(f"input lengths do not broadcast ({sizes}); give each input 1 value or the same number")
    inputs = dict(zip(inputs, arrays))
    if law.log_inputs:
        for c, v in inputs.items():
            if np.any(v <= 0):
                raise CommandError(f"--{c}: values must be > 0 (law {law.name!r} takes their log), got {v.tolist()}")
    if ens is not None:
        table = ens.predict(level=args.level, **inputs)
    else:
        table = pd.DataFrame({c: v.ravel() for c, v in inputs.items()})
        table[fit.y_column] = np.asarray(fit.predict(**inputs), dtype=np.float64).ravel()
        if fit.has_data:
            ranges = fit.input_ranges()
            from . import extrapolate

            by_name = {n: table[c].to_numpy() for n, c in zip(law.inputs, fit.x_columns)}
            table["oom_beyond_data"] = extrapolate.extrapolation_oom(ranges, by_name)
    doc.title = _describe(fit, ens, args.level) + f"; predicted {fit.y_column}"
    doc.facts["at"] = "inputs"
    doc.text(doc.title)
    doc.table("predictions", table)
    return _emit(args, doc)


def _allocation(fit, ens, C, level):
    return fit.compute_optimal(C) if ens is None else ens.compute_optimal(C, level=level)


def _cmd_allocate(args) -> int:
    from .document import Document

    _check_figure(args.plot)
    result = _load_result(args.file)
    fit, ens = _split(result)
    if not fit.law.has_allocation:
        raise CommandError(f"allocate needs a law with a compute-optimal allocation of C = 6 N D (chinchilla); "
                           f"{args.file} holds a {fit.law.name!r} fit")
    doc = Document("allocate", level=args.level if ens is not None else None)
    doc.facts = _source_facts(args.file, fit, ens)
    doc.title = _describe(fit, ens, args.level) + "; compute-optimal allocation (C = 6 N D)"
    doc.text(doc.title)
    doc.table("allocation", _allocation(fit, ens, args.C, args.level))
    if args.plot:
        from . import plot

        _save_figure(plot.plot_allocation(result, args.C, level=args.level), args.plot, doc)
    return _emit(args, doc)


def _cmd_compute_for(args) -> int:
    import warnings

    from . import extrapolate
    from .document import Document

    result = _load_result(args.file)
    fit, ens = _split(result)
    with warnings.catch_warnings():
        # A target no replicate reaches leaves an all-NaN column; the table says so (NaN, fraction 0).
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        table = fit.compute_for(args.target) if ens is None else ens.compute_for(args.target, level=args.level)
    name = extrapolate.inverse_input(fit.law)
    what = (f"compute {name} at the compute-optimal allocation" if fit.law.has_allocation
            else f"{name}") + f" needed to reach each target {fit.y_column}"
    doc = Document("compute-for", level=args.level if ens is not None else None)
    doc.facts = {**_source_facts(args.file, fit, ens), "solved_for": name}
    doc.title = _describe(fit, ens, args.level) + f"; {what}"
    doc.text(doc.title)
    doc.table("targets", table)
    return _emit(args, doc)


def _cmd_isoflop(args) -> int:
    import warnings

    from .document import Document
    from .isoflop import IsoflopWarning, isoflop

    _check_figure(args.plot)
    df = _read_table(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IsoflopWarning)  # dropped budgets and failed replicates are in the summary
        result = isoflop(df, budget=args.budget, size=args.size, y=args.y, compute=args.compute,
                         n_bootstrap=args.bootstrap, seed=args.seed, level=args.level, min_points=args.min_points,
                         weights=args.weights)
    doc = Document("isoflop", level=args.level if args.bootstrap else None)
    doc.summary("budgets", result.summary())
    doc.table("frontier", result.interval(args.level), show=False)
    doc.facts = {"size": result.size, "budget": result.budget, "y": result.y, "exponent": result.exponent,
                 "coefficient": result.coefficient, "replicates": result.n_bootstrap, "seed": result.seed,
                 "diagnostics": dict(result.diagnostics)}
    if args.C:
        band = f"; {100 * args.level:g}% bootstrap band" if args.bootstrap else ""
        doc.table("optimal", result.optimal(args.C), title=f"\ncompute-optimal {args.size} = k C^a at each "
                                                             f"budget C{band}")
    if args.plot:
        from . import plot

        _save_figure(plot.figure(result), args.plot, doc)
    return _emit(args, doc)


def _cmd_capex(args) -> int:
    from . import capex
    from .document import Document

    _check_folder(args.out, "--out")
    scenario = capex.load_scenario(args.scenario)  # ScenarioError is a ValueError: `error: ...`, status 2
    folder = args.out if args.out is not None else scenario["output"]["dir"]
    if args.out is None:
        _check_folder(folder, f"{args.scenario}: [output] dir")
    result = capex.run_scenario(scenario, out=args.out, n_bootstrap=args.bootstrap, paths=args.paths,
                                figures=not args.no_figures)
    com = result.scenario["commitments"]
    doc = Document("capex", level=com["level"] if com is not None else result.decision.level)
    doc.text(result.report())
    summary = result.summary()
    _, commitment_lines = result._report_parts()
    doc.title, doc.notes = summary.title, [n for n in [*summary.notes, *commitment_lines] if n]
    def decision_tables():
        d = result.decision
        doc.table("decision", d.table, show=False)
        doc.table("frontier", d.frontier, show=False)
        doc.table("schedules", d.schedules, show=False)
        doc.table("capability", result.capability.table, show=False)
        if result.stress is not None:
            doc.table("stress", result.stress.table.reset_index(), show=False)
        if result.sensitivity is not None:
            doc.table("sensitivity", result.sensitivity.table.reset_index(), show=False)

    if result.risk is not None:  # the first table is the command's main one
        doc.table("policies", summary.to_frame(), show=False)
    elif result.decision is not None:
        decision_tables()
    plan = result.plan.table.copy()
    plan.index.name = "quantity"
    doc.table("plan", plan, show=False)
    if result.risk_slipped is not None:
        slipped = result.risk_slipped.copy()
        slipped.index.name = "policy"
        doc.table("policies_slipped", slipped, show=False)
    if result.revenue_fit is not None:
        doc.table("revenue_fit", result.revenue_fit.table.rename_axis("quantity"), show=False)
    if result.decision is not None and result.risk is not None:
        decision_tables()
    ens = result.ensemble
    doc.facts = {"scenario": str(args.scenario), "target": result.target, "law": result.fit.law.name,
                 "params": dict(result.fit.params), "replicates": None if ens is None else ens.n_replicates,
                 "revenue_paths": int(result.revenue.shape[0]),
                 "unreachable_fraction": result.plan.unreachable_fraction,
                 "assumptions": dict(result.plan.assumptions)}
    if result.risk is not None:
        doc.facts.update(budget=result.risk.attrs.get("budget"), spend_fraction=result.risk.attrs.get("spend_fraction"))
    if result.decision is not None:
        doc.facts["decision"] = dict(result.decision.settings)
    if result.report_file is not None:
        doc.files["report"] = str(result.report_file)
    for path in result.figures:
        doc.files[Path(path).stem] = str(path)
    if folder is not None:
        saved = Path(folder) / "scenario.npz"
        saved.parent.mkdir(parents=True, exist_ok=True)
        result.save(saved)
        doc.text("")
        doc.file("result", saved)  # `scalinglaws.load` reads it back
    return _emit(args, doc)


def _cmd_validate(args) -> int:
    from .document import Document
    from .validate import validate_extrapolation

    _check_figure(args.plot)
    df = _read_table(args)
    x = _x_argument(args)
    fit_kw = {}
    if args.fix:
        fit_kw["fixed"] = dict(_parse_assignment(s) for s in args.fix)
    if args.bound:
        fit_kw["bounds"] = dict(_parse_bound(s) for s in args.bound)
    if args.objective:
        fit_kw["objective"] = args.objective
    holdout = args.holdout
    try:
        holdout = float(holdout)
    except ValueError:
        pass
    result = validate_extrapolation(df, args.law, x=x, y=args.y, holdout=holdout, by=args.by, each=args.each,
                                    score_by=args.score_by, n_bootstrap=args.bootstrap, level=args.level,
                                    seed=args.seed, **fit_kw)
    doc = Document("validate", level=args.level if args.bootstrap else None)
    doc.summary("groups", result.summary())
    doc.facts = {"law": result.law.name, "formula": result.law.formula, "by": result.by,
                 "holdout": str(result.holdout), "coverage": result.coverage,
                 "median_abs_error": result.median_abs_error, "median_abs_rel_error": result.median_abs_rel_error}
    doc.table("fits", result.folds, title="\nfits (on the rows below the split):")
    doc.table("points", result.table, title="\nheld-out points:", show=args.points)
    if args.plot:
        from . import plot

        _save_figure(plot.figure(result), args.plot, doc)
    return _emit(args, doc)


def _cmd_compare(args) -> int:
    from .compare import compare
    from .document import Document, text_table

    _check_figure(args.plot)
    _check_file(args.out, "--out")
    df = _read_table(args)
    x = _x_argument(args)
    fit_kw = {"objective": args.objective} if args.objective else {}
    result = compare(df, list(args.laws), x=x, y=args.y, by=args.by, folds=args.folds, min_train=args.min_train,
                     n_bootstrap=args.bootstrap, level=args.level, seed=args.seed, **fit_kw)
    doc = Document("compare", level=args.level)
    doc.summary("ranking", result.summary())
    doc.facts = {"laws": list(result.laws), "best": result.best, "by": result.by, "y": result.y_column}
    cols = ["law", "fold", "cutoff", "n_fit", "n_heldout", "rmse", "bias", "max_abs_error", "converged",
            "on_bound", "replicates_failed"]
    doc.text("\nper fold:")
    doc.text(text_table(result.folds[cols]))
    doc.table("folds", result.folds, show=False)
    doc.table("points", result.points, title="\nheld-out points:", show=args.points)
    if args.out:
        result.save(args.out)
        doc.file("out", args.out)
    if args.plot:
        from . import plot

        _save_figure(plot.figure(result), args.plot, doc)
    return _emit(args, doc)


def _at_tokens(item: str) -> list[str]:
    """``C=1e24,1e25`` -> ``["--C", "1e24", "1e25"]`` for :func:`_parse_inputs`."""
    name, eq, values = item.partition("=")
    if not eq or not name or not values:
        raise CommandError(f"--at {item}: give NAME=VALUE[,VALUE...], e.g. C=1e24,1e25")
    return [f"--{name}", *values.split(",")]


def _cmd_forecast(args) -> int:
    import numpy as np

    from .document import Document
    from .forecast import forecast

    _check_figure(args.plot)
    _check_file(args.out, "--out")
    given = _parse_inputs([tok for item in args.at or [] for tok in _at_tokens(item)])
    if not given and args.target is None:
        raise CommandError("give where to forecast (--at C=1e24,1e25, or each input of the laws) and/or --target VALUE ...")
    for name, values in given.items():
        if any(v <= 0 for v in values):
            raise CommandError(f"--{name}: values must be > 0, got {values}")
    df = _read_table(args)
    x = _x_argument(args)
    fit_kw = {"objective": args.objective} if args.objective else {}
    result = forecast(df, list(args.laws), x=x, y=args.y, by=args.by, level=args.level, weights=args.weights,
                      n_bootstrap=args.bootstrap, seed=args.seed, fit_kw=fit_kw,
                      **{k: np.asarray(v) for k, v in given.items()})
    doc = Document("forecast", level=args.level)
    summary = result.summary()
    doc.summary("weights", summary)
    doc.notes = [n for n in summary.notes if n]  # its footer prints the forecast table, which is a table here
    doc.facts = {"laws": list(result.laws), "weighting": result.weighting, "draws": result.n_draws,
                 "best": result.comparison.best, "failed": dict(result.failed)}
    if given:
        doc.table("forecast", result.table, show=False)
    if args.target is not None:
        doc.table("targets", result.compute_for(args.target), title="\ncompute to reach each target under law "
                                                                    "uncertainty:")
    if args.out:
        result.save(args.out)
        doc.file("out", args.out)
    if args.plot:
        from . import plot

        _save_figure(plot.figure(result), args.plot, doc)
    return _emit(args, doc)


# --------------------------------------------------------------------------------------------
# parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


class _Renamed(argparse.Action):
    """An option's old name: refused with the new one, so that each name has one meaning."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        kwargs.update(nargs=0, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        super().__init__(option_strings, argparse.SUPPRESS, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string} was renamed: use {self.new}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scalinglaws",
        description="Fit scaling laws, bootstrap their uncertainty, extrapolate and plan compute. Every command "
                    "prints a table for people, or CSV or JSON for programs (--format).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("datasets", help="list the shipped data sets",
                       description="List the shipped data sets: name, rows, columns, description, source, licence.")
    _add_format(p, ["datasets"])
    p.set_defaults(func=_cmd_datasets)
    for add in (_add_fit, _add_predict, _add_allocate, _add_compute_for, _add_isoflop, _add_capex, _add_validate,
                _add_compare, _add_forecast):
        add(sub)
    return parser


# One helper a group of options that several commands share, so that an option means the same
# thing, with the same default and help, wherever it appears.

def _add_format(p, tables: list[str]) -> None:
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default: for people), csv (one table, full precision: pandas.read_csv reads it "
                        "back) or json (strict JSON, every table and fact; schema in docs/formats.md)")
    p.add_argument("--table", choices=tables, help=f"with --format csv, the table to print (default {tables[0]})")
    _renamed(p, "--csv", "--format csv")


def _renamed(p, old: str, new: str) -> None:
    p.add_argument(old, action=_Renamed, new=new)


def _add_table(p, example: str = "see `scalinglaws datasets`") -> None:
    p.add_argument("csv", nargs="?", help="CSV file with one row per run")
    p.add_argument("--dataset", help=f"a shipped data set instead of a CSV ({example})")


def _add_law(p, default: str, laws: str) -> None:
    p.add_argument("--law", default=default, help=f"{laws} (default {default})")
    p.add_argument("--x", nargs="+", help="input column(s), in the law's input order (default: the law's names)")
    p.add_argument("--y", help="target column (default: the law's target, e.g. loss)")
    p.add_argument("--objective", choices=["huber", "lsq", "expectile"], help="default: huber for losses, lsq otherwise")


def _add_level(p, what: str) -> None:
    p.add_argument("--level", type=_level, default=DEFAULT_LEVEL, help=f"{what} (default {DEFAULT_LEVEL})")


def _add_seed(p) -> None:
    p.add_argument("--seed", type=_seed, default=0, help=f"bootstrap seed, 0 to {SEED_MAX} (default 0)")


def _add_bootstrap(p, default: int | None, what: str) -> None:
    if default is None:
        p.add_argument("--bootstrap", type=_positive_int, metavar="N", help=what)
    else:
        p.add_argument("--bootstrap", type=_count, default=default, metavar="N",
                       help=f"{what} (default {default}; 0 for none)")
    _renamed(p, "--replicates", "--bootstrap")


def _add_fix_bound(p) -> None:
    p.add_argument("--fix", nargs="+", metavar="NAME=VALUE", help="hold parameters at values, e.g. E=1.69")
    p.add_argument("--bound", nargs="+", metavar="NAME=LOW:HIGH",
                   help="box bounds, a side may be empty: e.g. R0=0:1 A=0:1 for a pass rate, A=:0 for Elo")


def _add_saved_file(p) -> None:
    p.add_argument("file", metavar="FILE", help="a fit or ensemble saved by `scalinglaws fit --out`")
    _add_level(p, "band level for an ensemble")


def _add_plot(p, what: str) -> None:
    p.add_argument("--plot", metavar="IMAGE", help=f"{what} to an image file (.png, .pdf, .svg, ...)")


def _add_fit(sub) -> None:
    p = sub.add_parser("fit", help="fit a law to a CSV or a shipped data set and print the parameters",
                       description="Fit a law; with --bootstrap N, refit on N resampled data sets and print "
                                   "parameter intervals.")
    _add_table(p)
    _add_law(p, "chinchilla", "power, chinchilla, loglinear, sigmoid, data_constrained, ...")
    p.add_argument("--delta", type=float, help="Huber threshold (default 1e-3)")
    p.add_argument("--starts", type=_positive_int, default=32,
                   help="solver starts from the best grid points (default 32)")
    _add_fix_bound(p)
    p.add_argument("--tie", nargs="+", metavar="P=Q",
                   help="tie parameters, e.g. beta=alpha or beta=2*alpha (public units; the law keeps its closed forms)")
    p.add_argument("--weights", help="column of per-row weights")
    p.add_argument("--by", nargs="+", metavar="COL",
                   help="fit the law to each group of rows sharing COL's values, all in one batched solve: a row per group")
    p.add_argument("--shared", nargs="+", metavar="P",
                   help="with --by, parameters common to every group (e.g. alpha or alpha,beta): one joint fit")
    _add_bootstrap(p, None, "refit on N resampled data sets and print intervals (--out then saves the ensemble)")
    _add_level(p, "interval level with --bootstrap")
    _add_seed(p)
    p.add_argument("--resampling", choices=["multinomial", "bayesian"], default="multinomial",
                   help="bootstrap resampling (default multinomial)")
    _renamed(p, "--method", "--resampling")
    p.add_argument("--cluster", metavar="COL", help="bootstrap whole clusters of rows sharing a value of COL")
    _renamed(p, "--groups", "--cluster (fit) or --score-by (validate)")
    p.add_argument("--out", metavar="FILE", help="save the fit (or, with --bootstrap, the ensemble): FILE.npz compact "
                                                 "(binary arrays), FILE.json strict JSON")
    _add_plot(p, "draw the fit (with the band, with --bootstrap)")
    _add_format(p, ["parameters", "groups"])
    p.set_defaults(func=_cmd_fit)


def _add_predict(sub) -> None:
    p = sub.add_parser(
        "predict", allow_abbrev=False,
        help="evaluate a saved fit or ensemble at given inputs",
        usage="scalinglaws predict [-h] [--level LEVEL] [--format {table,csv,json}] FILE --COLUMN VALUE [VALUE ...] ...",
        description="Evaluate a saved fit (or ensemble, with a band) at the given inputs: one --COLUMN per "
                    "input of the law (e.g. --N 7e10 --D 1.4e12), each with one or more values; values "
                    "broadcast. For chinchilla, --C alone gives the loss at the compute-optimal allocation "
                    "of each budget.",
    )
    _add_saved_file(p)
    _add_format(p, ["predictions"])
    p.set_defaults(func=_cmd_predict, takes_inputs=True)


def _add_allocate(sub) -> None:
    p = sub.add_parser("allocate", help="compute-optimal N and D at compute budgets (chinchilla)",
                       description="Compute-optimal parameters N_opt, tokens D_opt, tokens per parameter and loss "
                                   "at each budget C = 6 N D, with bands for an ensemble.")
    _add_saved_file(p)
    p.add_argument("--C", nargs="+", type=_positive_float, required=True, metavar="FLOP", help="compute budgets")
    _add_plot(p, "draw N_opt and D_opt against C")
    _add_format(p, ["allocation"])
    p.set_defaults(func=_cmd_allocate)


def _add_compute_for(sub) -> None:
    p = sub.add_parser("compute-for", help="compute (or x) needed to reach target values",
                       description="The compute (chinchilla: at the compute-optimal allocation) or input x at "
                                   "which the fit reaches each target; for an ensemble with a band and the "
                                   "fraction of replicates that ever reach it.")
    _add_saved_file(p)
    p.add_argument("--target", nargs="+", type=_finite, required=True, help="target values (e.g. losses)")
    _add_format(p, ["targets"])
    p.set_defaults(func=_cmd_compute_for)


def _add_isoflop(sub) -> None:
    p = sub.add_parser("isoflop", help="isoFLOP profiles: optimal size per budget and the frontier k C^a",
                       description="Hoffmann et al. (2022) Approach 2: fit a parabola of the loss in log size "
                                   "per compute budget, then size_opt = k C^a across budgets, with bootstrap "
                                   "bands from resampling runs within budgets.")
    _add_table(p, "e.g. marin-dclm")
    p.add_argument("--size", default="N", help="size column fitted per budget: N or D (default N)")
    p.add_argument("--budget", default="budget", help="column labelling the isoFLOP budgets (default budget)")
    p.add_argument("--y", default="loss", help="loss column (default loss)")
    p.add_argument("--compute", metavar="COL",
                   help="take each budget's C as the geometric mean of COL (default: the budget labels)")
    p.add_argument("--weights", metavar="COL", help="column of per-run weights for the parabola fits")
    p.add_argument("--min-points", type=_positive_int, default=3, help="fewest runs a budget needs (default 3)")
    _add_bootstrap(p, 1000, "replicates")
    _add_seed(p)
    _add_level(p, "band level")
    p.add_argument("--C", nargs="+", type=_positive_float, metavar="FLOP",
                   help="also give the optimal size (with its band) at these compute budgets (table optimal)")
    _add_plot(p, "draw the profiles and the frontier")
    _add_format(p, ["budgets", "frontier", "optimal"])
    p.set_defaults(func=_cmd_isoflop)


def _add_capex(sub) -> None:
    p = sub.add_parser("capex", help="plan the compute for a target from a scenario file: cost, risk of ruin, "
                                     "and the largest commitment within an accepted risk",
                       description="Read a capex scenario (TOML; see docs/capex.md, examples/capex_chinchilla.toml "
                                   "and examples/capex_decision.toml): fit and bootstrap a law, price the compute "
                                   "needed for the target (GPU-hours, dollars, GPUs, MW, with bands), fit demand "
                                   "to a revenue history ([demand]), play buying the target ahead of revenue "
                                   "([commitments]) and find the largest commitment per policy whose probability "
                                   "of ruin stays within [decision] max_ruin, with what it buys, stress tests and "
                                   "sensitivities. Prints the report; writes the figures, report.html (or "
                                   "report.md) and the result (scenario.npz, which scalinglaws.load reads) to the "
                                   "output folder.")
    p.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file")
    p.add_argument("--out", metavar="DIR", help="folder for the figures and the saved result, scenario.npz "
                                                "(default: [output] dir in the file)")
    _add_bootstrap(p, None, "bootstrap replicates, overriding [bootstrap] replicates")
    p.add_argument("--paths", type=_positive_int, metavar="N", help="revenue paths, overriding [revenue] paths")
    p.add_argument("--no-figures", action="store_true", help="print the plan only; write no figures")
    _add_format(p, ["policies", "plan", "policies_slipped", "revenue_fit", "decision", "frontier", "schedules",
                    "capability", "stress", "sensitivity"])
    p.set_defaults(func=_cmd_capex)


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="test an extrapolation: fit the low-compute part, score the held-out rest",
                       description="Fit a law on the rows below a split of compute (or x) and score its "
                                   "predictions on the held-out rows above it: absolute (relative) error per "
                                   "point and per group, and the share of held-out points inside the "
                                   "bootstrap band.")
    _add_table(p)
    _add_law(p, "sigmoid", "power, chinchilla, loglinear, sigmoid, error_from_loss, ...")
    p.add_argument("--holdout", default="median",
                   help="median (default: fit below the median of the split column), a FRACTION held out "
                        "(e.g. 0.3), above:VALUE, or group:COL (leave one group out)")
    p.add_argument("--by", metavar="COL", help="column to split on (default: the law's input; C for chinchilla)")
    p.add_argument("--each", metavar="COL", help="fit and score separately within each value of COL (e.g. boardsize)")
    p.add_argument("--score-by", dest="score_by", metavar="COL", help="report held-out scores per value of COL")
    _renamed(p, "--groups", "--score-by (validate) or --cluster (fit)")
    _add_bootstrap(p, 500, "replicates for the band")
    _add_level(p, "band level")
    _add_seed(p)
    _add_fix_bound(p)
    p.add_argument("--points", action="store_true", help="also print every held-out point (table points)")
    _add_plot(p, "draw the check (fits, bands, held-out points)")
    _add_format(p, ["groups", "fits", "points"])
    p.set_defaults(func=_cmd_validate)


def _add_laws(p) -> None:
    """The options of the commands that weigh several laws against each other (compare, forecast)."""
    p.add_argument("--laws", nargs="+", required=True, metavar="LAW", help="two or more laws, e.g. power bnsl")
    p.add_argument("--x", nargs="+", help="input column(s) for every law (default: each law's own names)")
    p.add_argument("--y", help="target column (default: the first law's target)")
    p.add_argument("--by", metavar="COL", help="column the comparison splits on (default: the common input, else C)")
    p.add_argument("--objective", choices=["huber", "lsq", "expectile"], help="default: each law's own")


def _add_compare(sub) -> None:
    p = sub.add_parser("compare", help="which law extrapolates best: rolling-origin cross-validation in compute",
                       description="Fit each law on the rows below several cut-offs of compute (or --by) and "
                                   "score it on the next slice; rank the laws by held-out error with a band "
                                   "(ties within one standard error go to the law with fewer parameters).")
    _add_table(p)
    _add_laws(p)
    p.add_argument("--folds", type=_positive_int, default=4, help="rolling-origin cut-offs (default 4)")
    p.add_argument("--min-train", type=float, default=0.5, help="share of rows below the first cut-off (default 0.5)")
    _add_bootstrap(p, 200, "replicates per fold fit for bands, coverage and predictive densities")
    _add_level(p, "band level")
    _add_seed(p)
    p.add_argument("--points", action="store_true", help="also print every held-out point (table points)")
    p.add_argument("--out", metavar="FILE", help="save the comparison (`scalinglaws.load` reads it)")
    _add_plot(p, "draw every law's extrapolation per fold")
    _add_format(p, ["ranking", "folds", "points"])
    p.set_defaults(func=_cmd_compare)


def _add_forecast(sub) -> None:
    p = sub.add_parser(
        "forecast", help="one forecast across laws: every law's bootstrap replicates pooled by weight, with the cone",
        description="Compare the laws by rolling-origin cross-validation, bootstrap each, and pool their "
                    "replicates by weight (equal by default; --weights stacking uses the held-out predictive "
                    "densities) into one forecast: the band at the given inputs (--at C=1e24,1e25, or each "
                    "input of the laws) and, with --target, the compute to reach each target and the share of "
                    "draws that ever reach it.")
    _add_table(p)
    _add_laws(p)
    p.add_argument("--weights", choices=["equal", "stacking", "pseudo-bma", "best"], default="equal",
                   help="how the laws share the forecast (default equal; see docs/which-law.md)")
    p.add_argument("--at", nargs="+", metavar="NAME=V[,V...]",
                   help="where to forecast: C=1e24,1e25 (or N=... D=... for laws of model and data size)")
    p.add_argument("--target", nargs="+", type=_finite, help="targets (e.g. losses): compute needed, with a band")
    p.add_argument("--bootstrap", type=_positive_int, default=200, metavar="N",
                   help="replicates per law and fold (default 200)")
    _renamed(p, "--replicates", "--bootstrap")
    _add_level(p, "band level")
    _add_seed(p)
    p.add_argument("--out", metavar="FILE", help="save the forecast (`scalinglaws.load` reads it)")
    _add_plot(p, "draw the cone (the pooled bands over compute)")
    _add_format(p, ["weights", "forecast", "targets"])
    p.set_defaults(func=_cmd_forecast)


def _message(err: BaseException) -> str:
    if isinstance(err, KeyError) and err.args:
        msg = str(err.args[0])
    elif isinstance(err, OSError) and err.filename is not None:
        msg = f"{err.strerror or err}: {err.filename}"
    else:
        msg = str(err) or type(err).__name__
    return " ".join(msg.split())  # one line


def _quiet_stdout() -> None:
    """After the reader of stdout went away (``scalinglaws datasets | head``): send what is left
    to /dev/null, so that the interpreter's last flush does not fail too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured in tests)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras and not getattr(args, "takes_inputs", False):
        parser.error("unrecognized arguments: " + " ".join(extras))
    args.inputs = extras
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader took what it wanted (`| head`): that is success, not an error.
        _quiet_stdout()
        return 0
    except (CommandError, ValueError, KeyError, OSError) as err:  # InputError is a ValueError
        print(f"error: {_message(err)}", file=sys.stderr)
        return 2


def run() -> None:
    """The installed command: :func:`main`, then the exit with its status. The objects alive at
    the end are first frozen out of the garbage collector (``gc.freeze``): the interpreter's
    shutdown collections otherwise walk every object of JAX, pandas and scipy once more, 0.3 s
    of a 1.5 s fit in a fresh process (docs/performance.md, "Cold paths"). Files still close and
    ``atexit`` handlers still run as usual; only the cyclic garbage of the last moment is left
    to the operating system."""
    import gc

    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
