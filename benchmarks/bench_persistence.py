"""Saved ensembles: file size, save time and load time at 4,000, 100,000 and 1,000,000 replicates.

The Chinchilla fit (chinchilla-240) is bootstrapped once per size; the ensemble is saved in the
compact container (``ens.npz``) and as strict JSON (``ens.json``), and each file is loaded back
with ``scalinglaws.load``. Times are wall time in this process (imports already paid), the median
of ``--repeats`` runs; a fresh process's ``import scalinglaws`` comes on top once.

Beside them, what a careful user would write without the toolkit's format, in the same run: every
array of the ensemble (``ens._a``, full precision) through ``numpy.savez_compressed`` and
``numpy.savez``, loaded back with ``numpy.load`` (every member read), and the same arrays through
``pickle`` (highest protocol; the Ensemble object itself does not pickle: its law holds compiled
closures). These hold the arrays only: no point fit, data, versions or checks on loading.

The same script runs against an older tree (``PYTHONPATH=old/src python -m
benchmarks.bench_persistence --name persistence-before``) to measure what its ``save`` wrote:
there, both names hold JSON.

    python -m benchmarks.bench_persistence [--sizes 4000,100000,1000000] [--repeats 3] [--name persistence]

Writes ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from . import _common


def measure(ens, path: Path, repeats: int) -> dict:
    import scalinglaws as sl

    t = time.perf_counter()
    ens.save(path)
    save_s = time.perf_counter() - t
    back = None
    times = []
    for _ in range(repeats):
        del back
        t = time.perf_counter()
        back = sl.load(path)
        times.append(time.perf_counter() - t)
    exact = bool(np.array_equal(back.theta, ens.theta) and np.array_equal(back.objective, ens.objective))
    return {"bytes": path.stat().st_size, "mb": path.stat().st_size / 1e6, "save_s": save_s,
            "load_s": float(np.median(times)), "load_min_s": float(min(times)), "exact": exact}


def baseline_arrays(ens) -> dict:
    """Every array of the ensemble, as a user would take them out (full precision)."""
    a = ens._a
    return {k: np.asarray(v) for k, v in vars(a).items() if isinstance(v, np.ndarray)}


def measure_baseline(ens, path: Path, how: str, repeats: int) -> dict:
    import pickle

    t = time.perf_counter()
    if how == "pickle":
        path.write_bytes(pickle.dumps(baseline_arrays(ens), protocol=pickle.HIGHEST_PROTOCOL))
    else:
        (np.savez_compressed if how == "savez_compressed" else np.savez)(path, **baseline_arrays(ens))
    save_s = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        if how == "pickle":
            back = pickle.loads(path.read_bytes())
        else:
            with np.load(path) as z:
                back = {k: z[k] for k in z.files}
        times.append(time.perf_counter() - t)
        del back
    return {"bytes": path.stat().st_size, "mb": path.stat().st_size / 1e6, "save_s": save_s,
            "load_s": float(np.median(times)), "load_min_s": float(min(times))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json-max", type=int, default=1_000_000, help="largest size also saved as JSON")
    ap.add_argument("--name", default="persistence")
    ap.add_argument("--no-baselines", action="store_true", help="skip numpy and pickle (for an older tree)")
    args = ap.parse_args()

    import scalinglaws as sl

    fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in (int(s) for s in args.sizes.split(",")):
            t = time.perf_counter()
            ens = fit.bootstrap(n, seed=0, progress=False)
            boot_s = time.perf_counter() - t
            row = {"replicates": n, "bootstrap_s": boot_s}
            row["container"] = measure(ens, Path(d) / "ens.npz", args.repeats)
            if n <= args.json_max:
                row["json"] = measure(ens, Path(d) / "ens.json", args.repeats)
            if not args.no_baselines:
                for how, name in (("savez_compressed", "base.npz"), ("savez", "plain.npz"), ("pickle", "ens.pkl")):
                    row[how] = measure_baseline(ens, Path(d) / name, how, args.repeats)
            rows.append(row)
            c = row["container"]
            j = row.get("json", {})
            print(f"{n:>9,} replicates: container {c['mb']:8.2f} MB, save {c['save_s']:6.2f} s, load "
                  f"{c['load_s']:6.3f} s, exact {c['exact']}"
                  + (f" | JSON {j['mb']:8.2f} MB, save {j['save_s']:6.2f} s, load {j['load_s']:6.3f} s" if j else ""),
                  flush=True)
            for how in ("savez_compressed", "savez", "pickle"):
                if how in row:
                    b = row[how]
                    print(f"{'':>9}  {how:>16}: {b['mb']:8.2f} MB, save {b['save_s']:6.2f} s, load {b['load_s']:6.3f} s"
                          f" (the container is {b['mb'] / c['mb']:.2f}x smaller; it loads in "
                          f"{c['load_s'] / b['load_s']:.2f}x this one's time)", flush=True)
            del ens
    out = _common.write(args.name, {"law": "chinchilla", "dataset": "chinchilla-240", "rows": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
