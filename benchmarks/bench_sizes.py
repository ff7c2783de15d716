"""The bootstrap at the sizes people run, against the loops a careful user would write.

On the 240 Chinchilla rows, for ensembles of 50, 200, 1,000, 4,000 and 100,000 replicates, side by
side in one process on the same weight vectors (multinomial counts from one seed):

- **scalinglaws** ``fit.bootstrap(n)`` at its defaults (the warm start and 3 grid starts,
  screened and raced): the first call (compilation) apart, then two warm-up calls, then the median
  of 21 calls (5 at 4,000 replicates, 1 at 100,000 after no warm-up);
- **scipy least_squares** (trf, the exact Jacobian, ``loss="huber", f_scale=1e-3``, which is our
  summed objective; rows repeated by their counts) from the full-data optimum, one per replicate;
- **scipy minimize** (L-BFGS-B with the exact gradient) from the full-data optimum, one per
  replicate;
- **optimistix** Levenberg-Marquardt under ``jax.vmap`` (the JAX user's alternative), float64,
  from the full-data optimum, on the residuals ``sqrt(w) psi(r)`` with ``psi(r) = r`` for
  ``|r| <= delta`` and ``sign(r) sqrt(2 delta |r| - delta^2)`` beyond: half their sum of squares
  is our summed Huber objective exactly. Its compilation is timed apart, like ours. Install it
  with ``pip install -e ".[bench]"``; the row says so and is skipped when it is missing.

The loops run on the first ``--loop-cap`` replicates of a size at most; past that their time is
their measured time per replicate times the size (said in the row). 95% bounds are compared on
the replicates both sides solved, relative to the loop's bounds. Each size is also set against
its arithmetic roof: the solver iterations it took (every start's; screened ones take none) x
the padded rows x the time of one row-iteration at the op-mix roof (``bench_limit``: the step's
flops at the fused-elementwise rate plus its exp/log at the measured exp rate).

    python -m benchmarks.bench_sizes [--quick] [--loop-cap 20000]

Writes ``benchmarks/results/sizes.json``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

import scalinglaws as sl
from scalinglaws import bootstrap as _bootstrap

from . import _common, bench_limit
from .baselines import DELTA, ChinchillaObjective, chinchilla_public
from .bench_peers import least_squares_bootstrap

SIZES = (50, 200, 1000, 4000, 100_000)
LEVEL = 0.95


def _bound_gap(ours: np.ndarray, theirs: np.ndarray, names) -> dict:
    """The largest difference between the two sets of 95% bounds, per parameter, relative to the
    baseline's bound (the amplitudes A and B are in the hundreds and thousands)."""
    q = [(1 - LEVEL) / 2, (1 + LEVEL) / 2]
    b = np.quantile(theirs, q, axis=0)
    gap = np.max(np.abs(np.quantile(ours, q, axis=0) - b) / np.abs(b), axis=0)
    return dict(zip(names, gap.tolist()))


def lbfgsb_loop(obj: ChinchillaObjective, W: np.ndarray, x0: np.ndarray) -> np.ndarray:
    return np.array([minimize(obj.value_and_grad, x0, args=(w,), jac=True, method="L-BFGS-B").x for w in W])


def optimistix_lm(df, x0: np.ndarray):
    """``solve(W) -> (thetas [R, 5] as (a, b, e, alpha, beta), ok [R])``: optimistix's
    Levenberg-Marquardt vmapped over weight vectors, jitted; None when optimistix is missing."""
    try:
        import optimistix as optx
    except ImportError:
        return None
    lN, lD, lL = (jnp.asarray(np.log(df[c].values)) for c in ("N", "D", "loss"))

    def residuals(x, w):
        a, b, e, al, be = x
        pred = jax.nn.logsumexp(jnp.stack([a - al * lN, b - be * lD, jnp.full_like(lN, e)]), axis=0)
        r = pred - lL
        psi = jnp.where(jnp.abs(r) <= DELTA, r, jnp.sign(r) * jnp.sqrt(jnp.maximum(2 * DELTA * jnp.abs(r) - DELTA**2, 0.0)))
        return jnp.sqrt(w) * psi

    solver = optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12)
    start = jnp.asarray(x0)

    def one(w):
        sol = optx.least_squares(residuals, solver, start, args=w, max_steps=256, throw=False)
        return sol.value, sol.result == optx.RESULTS.successful

    return jax.jit(jax.vmap(one))


def run(quick: bool = False, loop_cap: int = 20_000, sizes=None) -> dict:
    sizes = sizes or ((50, 200, 1000) if quick else SIZES)
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    names = list(fit.law.params)
    obj = ChinchillaObjective(df.N.values, df.D.values, df.loss.values)
    x0 = np.array([fit.theta[1], fit.theta[2], np.log(fit.theta[0]), fit.theta[3], fit.theta[4]])
    lm = optimistix_lm(df, x0)

    roof = bench_limit.attainable()
    step = bench_limit.solver_step()
    roof_ns = 1e9 * bench_limit.op_mix_roof_s_per_point(roof, step)
    print(f"op-mix roof {roof_ns:.1f} ns per row-iteration (the step runs at {step['ns_per_point']:.1f})", flush=True)

    rows = []
    for n in sizes:
        first = _common.first_call(lambda: fit.bootstrap(n, seed=0, progress=False))
        # The first calls after compilation run slower here (about 12 ms against 6 at 50
        # replicates): two are left out; small sizes take the median of more calls (noisier).
        repeats = 1 if n >= 50_000 else 5 if n >= 4000 else 21
        steady = _common.timed(lambda: fit.bootstrap(n, seed=0, progress=False), repeats=repeats,
                               warmup=0 if n >= 50_000 else 2)
        ens = fit.bootstrap(n, seed=0, progress=False)
        t = steady["median_s"]
        iterations = int(ens._a.start_iterations.sum())
        roof_s = iterations * step["rows_padded"] * roof_ns * 1e-9

        m = min(n, loop_cap)
        W = _bootstrap.replicate_weight_matrix(fit.problem, 0, "multinomial", None, np.arange(m))
        ours = np.asarray(fit.law.to_public(ens.theta[:m]))
        start = time.perf_counter()
        ls = chinchilla_public(least_squares_bootstrap(df, W, x0))
        t_ls = (time.perf_counter() - start) * n / m
        m_lb = min(m, loop_cap // 5)
        start = time.perf_counter()
        lb = chinchilla_public(lbfgsb_loop(obj, W[:m_lb], x0))
        t_lb = (time.perf_counter() - start) * n / m_lb
        if lm is None:
            opt = {"skipped": "optimistix is not installed (pip install -e '.[bench]')"}
        else:
            m_lm = min(m, loop_cap // 5)  # about 5 ms a replicate on a CPU
            Wj = jnp.asarray(W[:m_lm])
            first_lm = _common.first_call(lambda: jax.block_until_ready(lm(Wj)))
            t_lm = _common.timed(lambda: jax.block_until_ready(lm(Wj)), repeats=1 if m_lm >= 1000 else 3)["median_s"]
            th_lm, ok_lm = (np.asarray(v) for v in lm(Wj))
            opt = {"time_s": t_lm * n / m_lm, "compile_s": max(first_lm - t_lm, 0.0), "measured_replicates": m_lm,
                   "speedup": t_lm * n / m_lm / t, "not_successful": int(np.sum(~ok_lm)),
                   "bound_gap_95": _bound_gap(ours[:m_lm][ok_lm], chinchilla_public(th_lm[ok_lm]), names)}
        row = {
            "replicates": n, "first_call_s": first, "time_s": t, "compile_s": max(first - t, 0.0),
            "ms_per_replicate": 1e3 * t / n, "repeats": repeats, "iterations": iterations,
            "iterations_per_replicate": iterations / n,
            "roof_s": roof_s, "times_roof": t / roof_s,
            "cold_starts_screened": int(sum(ens.diagnostics["start_screened"])),
            "least_squares": {"time_s": t_ls, "measured_replicates": m, "speedup": t_ls / t,
                              "bound_gap_95": _bound_gap(ours, ls, names)},
            "lbfgsb_exact_gradient": {"time_s": t_lb, "measured_replicates": m_lb, "speedup": t_lb / t,
                                      "bound_gap_95": _bound_gap(ours[:m_lb], lb, names)},
            "optimistix_lm_vmap": opt,
        }
        rows.append(row)
        gap = max(row["least_squares"]["bound_gap_95"].values())
        print(f"{n:>7} replicates: {_ms(t)} (compile {row['compile_s']:.2f} s; {row['times_roof']:.1f}x its roof of "
              f"{_ms(roof_s)}, {row['iterations_per_replicate']:.1f} iterations per replicate) | least_squares loop "
              f"{_ms(t_ls)} ({row['least_squares']['speedup']:.0f}x; 95% bounds within {gap:.1e}) | L-BFGS-B loop "
              f"{_ms(t_lb)} ({row['lbfgsb_exact_gradient']['speedup']:.0f}x) | optimistix LM vmapped "
              + (f"{_ms(opt['time_s'])} ({opt['speedup']:.1f}x, compile {opt['compile_s']:.1f} s)" if "time_s" in opt
                 else opt["skipped"]), flush=True)
    return {"data": "chinchilla-240", "level": LEVEL, "loop_cap": loop_cap, "op_mix_roof_ns_per_point": roof_ns,
            "step_ns_per_point": step["ns_per_point"], "rows_padded": step["rows_padded"], "sizes": rows,
            "notes": "speedup = loop time / scalinglaws warm median, same weights; a loop past loop_cap replicates "
                     "is timed on the first ones and scaled (measured_replicates); bound gaps relative to the "
                     "baseline's 95% bounds, in public units, over the replicates both sides solved."}


def _ms(s: float) -> str:
    return f"{1e3 * s:.1f} ms" if s < 1 else f"{s:.2f} s"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50, 200 and 1,000 replicates")
    parser.add_argument("--loop-cap", type=int, default=20_000, help="replicates the scipy loops run at most")
    args = parser.parse_args(argv)
    result = run(args.quick, args.loop_cap)
    print(f"wrote {_common.write('sizes', result)}")
    return result


if __name__ == "__main__":
    main()
