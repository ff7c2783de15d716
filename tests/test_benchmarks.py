"""The benchmarks' own machinery: a design-choice row must time two different programs."""

import numpy as np
import pandas as pd

import scalinglaws as sl
from benchmarks import bench_solver


def test_variadic_row_times_two_different_programs():
    # The row replaces solvers.step._sum_all while tracing; if the replacement stopped reaching
    # compute_terms, the row raises instead of timing one program twice.
    rng = np.random.default_rng(0)
    N = np.exp(rng.uniform(np.log(1e7), np.log(1e9), 40))
    D = np.exp(rng.uniform(np.log(1e9), np.log(1e11), 40))
    loss = 1.7 + 400 * N**-0.34 + 410 * D**-0.28
    fit = sl.fit(pd.DataFrame({"N": N, "D": D, "loss": loss}), "chinchilla")
    row = bench_solver.variadic_vs_separate(fit, rounds=1)
    assert row["variadic_ns_per_point"] > 0 and row["separate_ns_per_point"] > 0
    assert np.isfinite(row["speedup"])
