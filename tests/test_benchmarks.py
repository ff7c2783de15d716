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


def test_sums_summary_compares_forms_and_takes_the_faster_round():
    from benchmarks import bench_sums

    def case(t_point, t_boot, obj, iters=10.0):
        return {"theta": [1.0, 2.0], "point_s": t_point, "bootstrap_s": t_boot, "objective": obj,
                "failed": 0, "on_bound": 1, "iterations_median": iters, "iterations_p99": 20.0}

    rounds = [{"variadic": {"a": case(1.0, 4.0, [1.0, 2.0])}, "per_sum": {"a": case(2.0, 3.0, [1.0, 2.0 + 2e-6])}},
              {"variadic": {"a": case(0.5, 5.0, [1.0, 2.0])}, "per_sum": {"a": case(2.5, 1.0, [1.0, 2.0])}}]
    s = bench_sums.summarise(rounds)
    c = s["cases"]["a"]
    assert c["bootstrap_ratio"] == 4.0 and c["point_ratio"] == 0.25  # the faster round of each form
    assert abs(c["objective_change"] - 1e-6) < 1e-12 and c["same_counts_and_iterations"]
    assert c["differences"] == {}
    rounds[0]["per_sum"]["a"]["iterations_median"] = 11.0
    s = bench_sums.summarise(rounds)
    assert not s["all_same_counts_and_iterations"]
    assert s["cases"]["a"]["differences"] == {"iterations_median": [10.0, 11.0]}


def test_suite_table_names_the_widest_vector_extension():
    from benchmarks import _common, run

    info = {"cpu_model": "Some CPU", "cpu_count": 2, "gpu": None, "jax": "0", "backend": "cpu"}
    assert "Some CPU," in run.table({}, info).splitlines()[0]  # results from before the flags were recorded
    assert "Some CPU (AVX2)," in run.table({}, dict(info, cpu_vector_flags=["avx", "avx2", "fma"])).splitlines()[0]
    assert "(AVX-512)" in run.table({}, dict(info, cpu_vector_flags=["avx2", "avx512f"])).splitlines()[0]
    assert isinstance(_common.cpu_vector_flags(), list)
