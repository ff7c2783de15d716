"""How far the solver is from the machine's limit.

1. The work of one solver iteration, counted by XLA's cost analysis of the compiled step (flops,
   transcendentals, bytes) for a batch of slots, per data point.
2. What this machine attains: a float64 matmul (the compute roof), an elementwise multiply-add
   chain fused into one loop (what a fused elementwise kernel can reach), and exp throughput.
3. The achieved rate of the solver step and of a whole 4,000-replicate bootstrap, against each.

    python -m benchmarks.bench_limit

Writes ``benchmarks/results/limit.json``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import scalinglaws as sl
from scalinglaws import bootstrap, solvers

from . import _common


def _best_time(fn, *args, repeats=7):
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return min(times)


def _cost(fn, *args) -> dict:
    c = fn.lower(*args).compile().cost_analysis()
    c = c[0] if isinstance(c, list) else c
    return {"flops": float(c.get("flops", 0.0)), "transcendentals": float(c.get("transcendentals", 0.0)),
            "bytes": float(c.get("bytes accessed", 0.0))}


def attainable() -> dict:
    n = 2048
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float64)
    mm = jax.jit(lambda x, y: x @ y)
    t = _best_time(mm, a, a)
    matmul = 2 * n**3 / t

    x = jax.random.uniform(jax.random.PRNGKey(1), (1 << 22,), jnp.float64)

    def chain(v):
        for _ in range(32):
            v = v * 1.0000001 + 1e-9
        return v

    ch = jax.jit(chain)
    t = _best_time(ch, x)
    fma = 2 * 32 * x.size / t
    ex = jax.jit(jnp.exp)
    t = _best_time(ex, x)
    exps = x.size / t
    return {"matmul_gflops": matmul / 1e9, "fused_elementwise_gflops": fma / 1e9, "exp_per_s": exps}


def solver_step(B: int = 1024) -> dict:
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    prob = fit.problem
    law, obj, cfg = prob.law, prob.objective, prob.config
    F, y, lo, hi = prob.device_arrays()
    fixed = jnp.asarray(prob.fixed_mask)
    n = F.shape[0]
    base = jnp.asarray(prob.pad_rows(prob.weights, fill=0.0))
    gi = jnp.asarray(prob.pad_rows(np.arange(len(prob.weights), dtype=np.int32), fill=0))
    W = bootstrap.replicate_weights(jax.random.PRNGKey(0), jnp.arange(B), base, gi, len(prob.weights), "multinomial")
    th = jnp.broadcast_to(jnp.asarray(fit.theta), (B, law.n_params))
    init = jax.jit(jax.vmap(lambda w, t: solvers._init_state(law, obj, cfg, F, y, w, lo, hi, t, solvers.WARM)))
    st = init(W, th)
    step = jax.jit(jax.vmap(lambda w, s: solvers._iterate(law, obj, cfg, F, y, w, lo, hi, fixed, s)))
    cost = _cost(step, W, st)
    t = _best_time(step, W, st)
    points = B * n
    return {
        "slots": B, "rows_padded": n, "seconds_per_step": t, "ns_per_point": 1e9 * t / points,
        "flops_per_point": cost["flops"] / points, "transcendentals_per_point": cost["transcendentals"] / points,
        "bytes_per_point": cost["bytes"] / points, "achieved_gflops": cost["flops"] / t / 1e9,
    }


def op_mix_roof_s_per_point(roof: dict, step: dict) -> float:
    """Seconds a step would take per point if its flops ran at the fused-elementwise rate and its
    exp/log at the measured exp rate: the attainable time for this op mix."""
    return (step["flops_per_point"] / (roof["fused_elementwise_gflops"] * 1e9)
            + step["transcendentals_per_point"] / roof["exp_per_s"])


def whole_bootstrap(step: dict, n_rep: int = 4000) -> dict:
    """Flops of a real ensemble: solver iterations actually taken x the step's flops per point."""
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    run = lambda: fit.bootstrap(n_rep, seed=0, progress=False)
    run()
    t = _common.timed(run, repeats=3)["median_s"]
    # Solver iterations of every (replicate, start) task, abandoned ones included.
    iters = run()._a.start_iterations.sum()
    flops = iters * step["rows_padded"] * step["flops_per_point"]
    return {"replicates": n_rep, "time_s": t, "task_iterations": int(iters), "flops": float(flops),
            "achieved_gflops": flops / t / 1e9}


def run() -> dict:
    roof = attainable()
    print(f"attainable: matmul {roof['matmul_gflops']:.1f} GFLOP/s, fused elementwise {roof['fused_elementwise_gflops']:.1f} "
          f"GFLOP/s, exp {roof['exp_per_s'] / 1e9:.2f} G/s", flush=True)
    step = solver_step()
    print(f"solver step: {step['flops_per_point']:.0f} flops + {step['transcendentals_per_point']:.1f} transcendentals "
          f"per point; {step['ns_per_point']:.1f} ns per point; {step['achieved_gflops']:.2f} GFLOP/s", flush=True)
    boot = whole_bootstrap(step)
    print(f"4,000-replicate bootstrap: {boot['achieved_gflops']:.2f} GFLOP/s", flush=True)
    ideal = op_mix_roof_s_per_point(roof, step)
    ratios = {
        "step_vs_matmul": roof["matmul_gflops"] / step["achieved_gflops"],
        "step_vs_fused_elementwise": roof["fused_elementwise_gflops"] / step["achieved_gflops"],
        "step_vs_op_mix_roof": (step["ns_per_point"] * 1e-9) / ideal,
        "bootstrap_vs_fused_elementwise": roof["fused_elementwise_gflops"] / boot["achieved_gflops"],
    }
    print("distance from the limit (x slower): " + ", ".join(f"{k} {v:.1f}" for k, v in ratios.items()), flush=True)
    return {"attainable": roof, "solver_step": step, "bootstrap": boot, "times_slower_than": ratios}


def main(argv=None) -> dict:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    result = run()
    print(f"wrote {_common.write('limit', result)}")
    return result


if __name__ == "__main__":
    main()
