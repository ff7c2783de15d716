"""Cold paths: what a fresh process costs before and around the arithmetic.

Each command runs ``--repeats`` times as a fresh process (``subprocess``; the wall time of the
whole process, interpreter start and exit included), after one unmeasured run that fills the
compilation cache and the stored programs (``scalinglaws.programs``), so every measured run sees
a warm cache, as a user's second call does:

- ``import jax`` and ``import jax`` plus one small computation: the floor a JAX program pays;
- ``scalinglaws --help`` and ``--version`` (they must not import JAX);
- ``scalinglaws fit --dataset chinchilla-240``: a point fit with its summary table (the
  inference), the whole command;
- the same fit through ``python -c`` with ``sl.fit`` and ``fit.summary()``, timed inside the
  process phase by phase (imports, fit, summary), so the table says where the time goes.

The commands run through ``python -m scalinglaws.cli`` with this interpreter (the installed
``scalinglaws`` script may sit behind a shell shim that adds its own start-up).

    python -m benchmarks.bench_cold [--repeats 7]

Writes ``benchmarks/results/cold.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from . import _common

PHASES = """
import time, json
t0 = time.perf_counter()
import scalinglaws as sl
df = sl.datasets.load("chinchilla-240")
t1 = time.perf_counter()
fit = sl.fit(df, "chinchilla")
t2 = time.perf_counter()
fit.summary()
t3 = time.perf_counter()
print(json.dumps({"imports_and_data_s": t1 - t0, "fit_s": t2 - t1, "summary_s": t3 - t2}))
"""

COMMANDS = {
    "import jax": ["-c", "import jax"],
    "import jax, one computation": ["-c", "import jax, jax.numpy as jnp; jnp.ones(3).block_until_ready()"],
    "scalinglaws --help": ["-m", "scalinglaws.cli", "--help"],
    "scalinglaws --version": ["-m", "scalinglaws.cli", "--version"],
    "scalinglaws fit --dataset chinchilla-240": ["-m", "scalinglaws.cli", "fit", "--dataset", "chinchilla-240"],
}


def _wall(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, out.stdout


def run(repeats: int = 7) -> dict:
    rows = {}
    for name, args in COMMANDS.items():
        _wall(args)  # fills the caches
        times = [_wall(args)[0] for _ in range(repeats)]
        rows[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
                      "repeats": repeats}
        print(f"{name}: median {rows[name]['median_s']:.3f} s (min {rows[name]['min_s']:.3f}, "
              f"max {rows[name]['max_s']:.3f})", flush=True)
    _wall(["-c", PHASES])
    phases = []
    for _ in range(repeats):
        wall, out = _wall(["-c", PHASES])
        phases.append({**json.loads(out.strip().splitlines()[-1]), "process_s": wall})
    summary = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    summary["start_and_exit_s"] = summary["process_s"] - sum(v for k, v in summary.items() if k != "process_s")
    rows["sl.fit + summary, phases (medians)"] = summary
    print("phases (median s): " + ", ".join(f"{k} {v:.3f}" for k, v in summary.items()), flush=True)
    from importlib.metadata import version

    # ml_dtypes 0.7.0 takes 0.57 s to import on the machines measured here, 0.6.0 4 ms (pyproject)
    return {"repeats": repeats, "ml_dtypes": version("ml_dtypes"), "commands": rows}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    result = run(args.repeats)
    print(f"wrote {_common.write('cold', result)}")
    return result


if __name__ == "__main__":
    main()
