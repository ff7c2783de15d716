"""A planning pipeline on the command line: every step's output parsed as strict JSON, every
saved file loaded back.

    python examples/pipeline.py OUT_DIR [--replicates 1000] [--paths 20000]

1. ``scalinglaws fit --bootstrap N --out OUT_DIR/ensemble.npz --format json``: the Chinchilla law
   fitted to the 240 Chinchilla runs, with a bootstrap ensemble saved in the compact container.
2. ``scalinglaws predict OUT_DIR/ensemble.npz --C ... --format json``: the loss at compute budgets,
   with bands, from the saved ensemble.
3. ``scalinglaws forecast ... --out OUT_DIR/forecast.npz --format json``: the forecast across two
   laws, with the compute each target needs under law uncertainty.
4. ``scalinglaws capex OUT_DIR/scenario.toml --format json``: a capex scenario (written here) whose
   ``[fit] file`` is the saved ensemble: the plan and the risk of ruin, with its figures and its
   result saved to ``OUT_DIR/capex``.

Each document is parsed with a parser that refuses NaN and Infinity (RFC 8259), checked against
the schema shipped with the package, and each saved file is loaded with ``scalinglaws.load`` and
compared with what the command reported. Writes only into OUT_DIR; prints what it checked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import scalinglaws as sl
from scalinglaws.document import schema

HERE = Path(__file__).resolve().parent


def _refuse(name):
    raise ValueError(f"not strict JSON: {name}")


def command() -> list[str]:
    exe = shutil.which("scalinglaws")
    return [exe] if exe else [sys.executable, "-m", "scalinglaws.cli"]


def run(*args) -> dict:
    """Run ``scalinglaws ARGS --format json``; its stdout parsed strictly and checked."""
    argv = [*command(), *map(str, args), "--format", "json"]
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    doc = json.loads(proc.stdout, parse_constant=_refuse)
    try:
        import jsonschema
    except ImportError:  # the dev extra installs it; without it, check the fields by hand
        assert doc["schema"] == "scalinglaws-cli-output" and doc["schema_version"] == 1
    else:
        jsonschema.validate(doc, schema())
    print(f"scalinglaws {args[0]}: {len(proc.stdout):,} bytes of strict JSON in {time.perf_counter() - t:.1f} s; "
          f"tables {', '.join(doc['tables'])}")
    return doc


def rows(doc: dict, table: str) -> list[dict]:
    return doc["tables"][table]["rows"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write into (created)")
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--paths", type=int, default=20000)
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    ens_path = out / "ensemble.npz"
    fit_doc = run("fit", "--dataset", "chinchilla-240", "--law", "chinchilla", "--bootstrap", args.replicates,
                  "--out", ens_path)
    facts = fit_doc["facts"]
    assert facts["kind"] == "Ensemble" and facts["converged"], facts
    ens = sl.load(fit_doc["files"]["out"])
    assert ens.n_replicates == args.replicates and ens.fit.params == facts["params"]
    lower = {r["parameter"]: r["lower"] for r in rows(fit_doc, "parameters")}
    assert lower == ens.interval(level=fit_doc["level"])["lower"].to_dict()
    failed = facts["ensemble"]["failed_to_converge"]
    print(f"  {ens_path.name}: {ens_path.stat().st_size:,} bytes, {ens.n_replicates} replicates "
          f"({failed} failed), alpha {facts['params']['alpha']:.4f} [{lower['alpha']:.4f}, ...]: "
          "the reloaded ensemble gives the same intervals")

    budgets = [1e24, 1e25]
    pred = run("predict", ens_path, "--C", *budgets)
    again = ens.compute_optimal(budgets, level=pred["level"])
    for row, loss in zip(rows(pred, "predictions"), again["loss"]):
        assert row["loss"] == loss
    print("  " + "; ".join(f"C={r['C']:.0e}: loss {r['loss']:.4f} [{r['loss_lower']:.4f}, {r['loss_upper']:.4f}]"
                           for r in rows(pred, "predictions")))

    fc_path = out / "forecast.npz"
    fc = run("forecast", "--dataset", "chinchilla-240", "--laws", "chinchilla", "kaplan", "--bootstrap", 100,
             "--at", "C=1e24,1e25", "--target", "1.9", "--out", fc_path)
    forecast = sl.load(fc["files"]["out"])
    assert sorted(forecast.laws) == sorted(fc["facts"]["laws"])
    target = rows(fc, "targets")[0]
    print(f"  {fc_path.name}: {fc_path.stat().st_size:,} bytes; loss 1.9 needs C {target['C']:.3g} "
          f"(reached by {target['reachable_share']:.0%} of draws); best law {fc['facts']['best']}")

    scenario = out / "scenario.toml"
    text = (HERE / "capex_chinchilla.toml").read_text()
    text = text.replace('dataset = "chinchilla-240"', f'file = "{ens_path.name}"')
    text = text.replace("paths = 100000", f"paths = {args.paths}")
    scenario.write_text(text)
    cx = run("capex", scenario, "--out", out / "capex")
    result = sl.load(cx["files"]["result"])
    assert result.ensemble is not None and result.ensemble.n_replicates == args.replicates
    assert np.array_equal(result.ensemble.theta, ens.theta)  # the scenario used the saved ensemble
    for row in rows(cx, "policies"):
        assert row["prob_ruin"] == result.risk.loc[row["policy"], "prob_ruin"]
    print("  " + "; ".join(f"{r['policy']}: P(ruin) {r['prob_ruin']:.3f}" for r in rows(cx, "policies"))
          + f"; figures {', '.join(k for k in cx['files'] if k != 'result')}")
    print(f"every document was strict JSON in schema {fit_doc['schema']} v{fit_doc['schema_version']}, and every "
          f"saved file loaded back; files in {out}")


if __name__ == "__main__":
    main()
