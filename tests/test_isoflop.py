"""IsoFLOP profiles (Hoffmann et al. 2022, Approach 2): scalinglaws.isoflop and `scalinglaws isoflop`.

Synthetic isoFLOP grids with a known frontier (losses from a Chinchilla law), the three Marin
isoFLOP data sets, error cases, the bootstrap's handling of degenerate resamples, and the CLI.
"""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.isoflop import IsoflopResult, IsoflopWarning

# Epoch AI's Huber-likelihood Chinchilla fit (data/README.md): the true law of the synthetic data.
E, A, B, ALPHA, BETA = 1.8169, 482.01, 2085.43, 0.3478, 0.3658
A_N = BETA / (ALPHA + BETA)  # exponent of N_opt = G (C/6)^(beta/(alpha+beta))
A_D = ALPHA / (ALPHA + BETA)
G = (ALPHA * A / (BETA * B)) ** (1.0 / (ALPHA + BETA))
BUDGETS = np.logspace(18, 21, 7)
MARIN = ["marin-comma", "marin-dclm", "marin-nemotron"]


def n_opt(C):
    return G * (C / 6.0) ** A_N


def chinchilla_grid(centre, half_decades=0.6, k=9, budgets=BUDGETS, noise=0.0, seed=0):
    """k runs per budget, log-spaced over centre(C) * 10^[-half, half], on the isoFLOP curve C = 6 N D."""
    rng = np.random.default_rng(seed)
    rows = []
    for C in budgets:
        N = centre(C) * 10.0 ** np.linspace(-half_decades, half_decades, k)
        D = C / (6.0 * N)
        loss = E + A * N**-ALPHA + B * D**-BETA
        if noise:
            loss = loss * np.exp(rng.normal(0.0, noise, k))
        rows.append(pd.DataFrame({"budget": C, "N": N, "D": D, "loss": loss}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def marin():
    with warnings.catch_warnings():
        warnings.simplefilter("error", IsoflopWarning)  # no budget dropped, no replicate lost
        return {name: sl.isoflop(sl.datasets.load(name), budget="budget", size="N", y="loss",
                                 n_bootstrap=1000, seed=0) for name in MARIN}


# --------------------------------------------------------------------------------------------
# known frontier


def test_centred_grids_recover_the_exponent_exactly():
    # Along C = 6ND, L - E = A N^-alpha + B' N^beta. Writing N = N_opt(C) e^u, this is
    # K(C) (e^(-alpha u)/alpha + e^(beta u)/beta): the same shape in u at every budget, only scaled.
    # With each grid at the same offsets u from its optimum, every parabola's vertex misses the true
    # optimum by the same u, so the error cancels from the slope (it moves only the coefficient).
    r = sl.isoflop(chinchilla_grid(n_opt), n_bootstrap=0)
    assert r.exponent == pytest.approx(A_N, abs=1e-12)
    rd = sl.isoflop(chinchilla_grid(n_opt), size="D", n_bootstrap=0)
    assert rd.exponent == pytest.approx(A_D, abs=1e-12)
    assert r.coefficient == pytest.approx(G * 6.0**-A_N, rel=0.01)  # vertex offset: a 0.4% bias here


def test_drifting_grids_recover_the_exponent_to_1e3():
    # Grids centred on a wrong frontier (exponent 0.45 instead of 0.5131): the optimum drifts by
    # 0.19 decades across the budgets relative to the grid. The profile in ln N is a sum of two
    # exponentials, not a parabola; with alpha != beta it is skewed, so the parabola's vertex is
    # off the true optimum by an amount that depends on where the grid sits. The drift makes that
    # offset vary with C, which biases the exponent: by 5e-4 here (1.5e-3 with +-1 decade grids).
    centre = lambda C: n_opt(1e19) * (C / 1e19) ** 0.45  # noqa: E731
    r = sl.isoflop(chinchilla_grid(centre), n_bootstrap=0)
    assert abs(r.exponent - A_N) < 1e-3
    assert abs(r.exponent - A_N) > 1e-5  # the approximation is real, not an exact identity
    assert r.diagnostics["n_flagged"] == 0
    rd = sl.isoflop(chinchilla_grid(centre), size="D", n_bootstrap=0)
    assert abs(rd.exponent - A_D) < 1e-3
    opt = r.optimal([1e19])
    assert opt["N_opt"].iloc[0] == pytest.approx(n_opt(1e19), rel=0.03)
    assert opt["D_opt"].iloc[0] == pytest.approx(1e19 / (6 * opt["N_opt"].iloc[0]))


def test_noisy_grid_band_covers_the_truth():
    df = chinchilla_grid(n_opt, noise=0.003, seed=1)
    r = sl.isoflop(df, n_bootstrap=2000, seed=0, level=0.9)
    iv = r.interval()
    lo, hi = iv.loc["exponent", ["lower", "upper"]]
    assert lo < A_N < hi and lo < r.exponent < hi
    assert 0.0 < hi - lo < 0.1
    assert r.draws["valid"].all() and np.isfinite(r.draws["exponent"]).all()


def test_weights_scale_free_and_zero_weight_drops_run():
    df = chinchilla_grid(n_opt, noise=0.003, seed=2)
    r1 = sl.isoflop(df, n_bootstrap=50, seed=0)
    r2 = sl.isoflop(df, n_bootstrap=50, seed=0, weights=np.full(len(df), 2.5))
    assert r2.exponent == pytest.approx(r1.exponent, abs=1e-12)
    np.testing.assert_allclose(r2.draws["exponent"], r1.draws["exponent"], atol=1e-12)
    w = np.ones(len(df))
    w[0] = 0.0
    r3 = sl.isoflop(df, n_bootstrap=0, weights=w)
    r4 = sl.isoflop(df.iloc[1:], n_bootstrap=0)
    assert r3.exponent == pytest.approx(r4.exponent, abs=1e-12)
    assert r3.diagnostics["n_runs_zero_weight"] == 1


# --------------------------------------------------------------------------------------------
# bootstrap


def test_seeded_bootstrap_is_reproducible():
    df = chinchilla_grid(n_opt, noise=0.003, seed=3)
    a = sl.isoflop(df, n_bootstrap=300, seed=7)
    b = sl.isoflop(df, n_bootstrap=300, seed=7)
    c = sl.isoflop(df, n_bootstrap=300, seed=8)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(a.interval(), b.interval())
    assert not np.allclose(a.draws["exponent"], c.draws["exponent"])
    assert a.exponent == c.exponent  # the point fit does not depend on the seed


def test_vectorised_bootstrap_matches_a_loop_over_replicates():
    # Same counts (same rng stream: one multinomial block per budget, in order of C), refitted one
    # replicate at a time with numpy.polyfit (sqrt weights: polyfit weights residuals, not squares).
    df = sl.datasets.load("marin-dclm")
    R = 150
    r = sl.isoflop(df, n_bootstrap=R, seed=3)
    rng = np.random.default_rng(3)
    groups = [g for _, g in df.groupby("budget", sort=True)]
    counts = [rng.multinomial(len(g), np.full(len(g), 1 / len(g)), size=R) for g in groups]
    expected = []
    for i in range(R):
        xs, vs = [], []
        for g, c in zip(groups, counts):
            x, y = np.log(g["N"].to_numpy()), g["loss"].to_numpy()
            if (c[i] > 0).sum() < 3:
                continue
            p2, p1, _ = np.polyfit(x, y, 2, w=np.sqrt(c[i]))
            v = -p1 / (2 * p2)
            if p2 > 0 and x.min() <= v <= x.max():
                xs.append(np.log(g["budget"].iloc[0]))
                vs.append(v)
        expected.append(np.polyfit(xs, vs, 1)[0])
    np.testing.assert_allclose(r.draws["exponent"], expected, atol=1e-10)


def test_degenerate_resamples_are_excluded_and_reported():
    # A budget of exactly 3 runs: a resample draws fewer than 3 distinct sizes with probability
    # 1 - 3!/3^3 = 7/9, and then has no parabola. That budget leaves those replicates' frontiers.
    df = chinchilla_grid(n_opt, noise=0.002, seed=4)
    small = chinchilla_grid(n_opt, k=3, budgets=[3e17], half_decades=0.5)
    r = sl.isoflop(pd.concat([small, df], ignore_index=True), n_bootstrap=4000, seed=0)
    p = r.profiles.set_index("budget")
    assert p.loc[3e17, "in_frontier"] and p.loc[3e17, "n_points"] == 3
    frac = r.diagnostics["excluded_by_reason"]["fewer than 3 distinct sizes"]["3e+17"]
    assert frac == pytest.approx(7 / 9, abs=0.02)
    assert p.loc[3e17, "boot_excluded"] >= frac
    assert r.draws["valid"].all()  # 7 other budgets remain in every replicate
    assert r.draws["n_budgets"].max() == 8 and (r.draws["n_budgets"] < 8).mean() >= frac
    iv = r.interval()
    assert np.isfinite(iv.to_numpy()).all()
    assert f"{100 * p.loc[3e17, 'boot_excluded']:.1f}%" in r.summary()


def test_replicates_without_frontier_are_counted_not_nan():
    # Two budgets of 3 runs: a replicate keeps both with probability (2/9)^2, else has no frontier.
    df = chinchilla_grid(n_opt, k=3, budgets=[1e19, 1e20], half_decades=0.5, noise=0.001, seed=5)
    with pytest.warns(IsoflopWarning, match="fewer than 2 budgets"):
        r = sl.isoflop(df, n_bootstrap=2000, seed=0)
    d = r.diagnostics
    assert d["replicates_failed_fraction"] == pytest.approx(1 - (2 / 9) ** 2, abs=0.03)
    assert (~r.draws["valid"]).sum() == d["replicates_failed"]
    iv = r.interval()
    assert np.isfinite(iv[["lower", "upper"]].to_numpy()).all()
    opt = r.optimal([1e21])
    assert np.isfinite(opt.to_numpy()).all()
    assert "without a frontier" in r.summary()


# --------------------------------------------------------------------------------------------
# Marin


@pytest.mark.parametrize("name", MARIN)
def test_marin_exponent_in_range_with_band(marin, name):
    r = marin[name]
    iv = r.interval()
    est, lo, hi = iv.loc["exponent", ["estimate", "lower", "upper"]]
    assert 0.35 <= r.exponent <= 0.55 and est == r.exponent
    assert lo < est < hi and hi - lo < 0.15
    assert r.diagnostics["replicates_failed"] == 0
    assert r.draws.shape[0] == 1000
    assert np.isfinite(r.draws["exponent"]).all()
    # every profile used in the frontier has its minimum inside the sampled sizes
    p = r.profiles[r.profiles["in_frontier"]]
    assert ((p["size_opt"] >= p["size_min"]) & (p["size_opt"] <= p["size_max"])).all()
    assert (p["curvature"] > 0).all() and len(p) == 7


def test_marin_nemotron_smallest_budget_is_flagged(marin):
    p = marin["marin-nemotron"].profiles.set_index("budget")
    row = p.loc[1.8e18]
    assert row["flagged"] and not row["in_frontier"] and row["curvature"] < 0
    assert "no minimum" in row["reason"]
    s = marin["marin-nemotron"].summary()
    assert "budget 1.8e+18: flagged" in s and "left out of the frontier" in s
    assert marin["marin-nemotron"].diagnostics["n_flagged"] == 1


def test_marin_summary_optimal_and_plot(marin, tmp_path):
    r = marin["marin-dclm"]
    s = str(r)
    for text in ("exponent a", "coefficient k", "N_opt = k * C^a", "90% percentile", "3e+20"):
        assert text in s
    opt = r.optimal([1e22, 1e24])
    assert list(opt.columns[:4]) == ["C", "N_opt", "N_opt_lower", "N_opt_upper"]
    assert (opt["N_opt_lower"] < opt["N_opt"]).all() and (opt["N_opt"] < opt["N_opt_upper"]).all()
    assert (opt["D_opt_lower"] < opt["D_opt"]).all() and (opt["D_opt"] < opt["D_opt_upper"]).all()
    np.testing.assert_allclose(opt["N_opt"] * opt["D_opt"] * 6, opt["C"])
    assert opt["oom_beyond_data"].iloc[0] == pytest.approx(np.log10(1e22 / 3e20))
    fig = sl.plot.figure(r)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_xscale() == "log" and fig.axes[1].get_yscale() == "log"
    fig.savefig(tmp_path / "iso.png", dpi=50)
    assert (tmp_path / "iso.png").stat().st_size > 5000
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_size_D_on_marin():
    r = sl.isoflop(sl.datasets.load("marin-comma"), size="D", n_bootstrap=200, seed=0)
    assert r.size == "D" and "D_opt = k * C^a" in r.summary()
    # C = 6ND at every budget, so the N and D exponents should nearly add up to 1.
    rn = sl.isoflop(sl.datasets.load("marin-comma"), size="N", n_bootstrap=0)
    assert r.exponent + rn.exponent == pytest.approx(1.0, abs=0.05)
    opt = r.optimal([1e21])
    assert {"D_opt", "N_opt", "tokens_per_param"} <= set(opt.columns)


# --------------------------------------------------------------------------------------------
# errors


def test_missing_column():
    df = sl.datasets.load("marin-comma")
    with pytest.raises(sl.InputError, match="missing column") as e:
        sl.isoflop(df, size="params")
    assert e.value.column == "params"


def test_non_positive_size_names_row():
    df = sl.datasets.load("marin-comma")
    df.loc[4, "N"] = 0.0
    with pytest.raises(sl.InputError, match=r"'N' must be > 0.*row 4") as e:
        sl.isoflop(df)
    assert e.value.column == "N" and e.value.row == 4


def test_nan_loss_names_row():
    df = sl.datasets.load("marin-dclm")
    df.loc[7, "loss"] = np.nan
    with pytest.raises(sl.InputError, match="row 7") as e:
        sl.isoflop(df)
    assert e.value.column == "loss"


def test_budget_with_too_few_points_is_dropped_and_reported():
    df = sl.datasets.load("marin-comma")
    df = df[~((df["budget"] == 3e18) & (df.index % 5 != 0))]  # 1 run left at 3e18
    with pytest.warns(IsoflopWarning, match="3e\\+18.*dropped"):
        r = sl.isoflop(df, n_bootstrap=100)
    row = r.profiles.set_index("budget").loc[3e18]
    assert row["flagged"] and not row["in_frontier"] and row["n_points"] == 1
    assert "too few runs (1 < min_points 3)" in row["reason"]
    assert r.diagnostics["dropped"] == ["3e+18"] and r.diagnostics["n_dropped"] == 1
    assert "budget 3e+18: dropped" in r.summary()


def test_budget_C_with_continuous_values():
    df = sl.datasets.load("marin-comma")
    with pytest.raises(sl.InputError, match="85 distinct values among 85 rows.*budget='budget'") as e:
        sl.isoflop(df, budget="C")
    assert e.value.column == "C"


def test_compute_column_and_mapping():
    df = sl.datasets.load("marin-comma")
    r = sl.isoflop(df, compute="C", n_bootstrap=0)  # budget C = geometric mean of each budget's 6ND
    assert r.profiles["C"].iloc[0] != 3e18 and 0.35 < r.exponent < 0.55
    mapping = {b: b for b in df["budget"].unique()}
    r2 = sl.isoflop(df.assign(label=df["budget"].map(lambda v: f"{v:.0e}")), budget="label",
                    compute={f"{b:.0e}": b for b in mapping}, n_bootstrap=0)
    assert r2.exponent == pytest.approx(sl.isoflop(df, n_bootstrap=0).exponent, abs=1e-12)
    with pytest.raises(sl.InputError, match="no value for budget"):
        sl.isoflop(df.assign(label=df["budget"].astype(str)), budget="label", compute={"x": 1.0})


def test_no_usable_frontier_raises():
    df = chinchilla_grid(lambda C: 30 * n_opt(C), half_decades=0.3)  # every grid far right of its optimum
    with pytest.raises(sl.InputError, match="needs at least 2 budgets.*outside the sampled sizes"):
        sl.isoflop(df, n_bootstrap=0)


def test_bad_arguments():
    df = chinchilla_grid(n_opt)
    with pytest.raises(ValueError, match="min_points"):
        sl.isoflop(df, min_points=2)
    with pytest.raises(ValueError, match="n_bootstrap"):
        sl.isoflop(df, n_bootstrap=-1)
    with pytest.raises(ValueError, match="level"):
        sl.isoflop(df, level=1.5)
    r = sl.isoflop(df, n_bootstrap=0)
    assert isinstance(r, IsoflopResult)
    with pytest.raises(ValueError, match="> 0"):
        r.optimal([0.0])


# --------------------------------------------------------------------------------------------
# command line




def test_cli_isoflop(tmp_path, run_cli):
    png = tmp_path / "iso.png"
    code, out, err = run_cli(["isoflop", "--dataset", "marin-nemotron", "--bootstrap", 200, "--seed", 1,
                           "--C", 1e22, 1e24, "--plot", png])
    assert code == 0, err
    assert "exponent a" in out and "N_opt_lower" in out and "D_opt" in out
    assert "budget 1.8e+18: flagged" in out
    assert png.exists() and png.stat().st_size > 5000
    r = sl.isoflop(sl.datasets.load("marin-nemotron"), n_bootstrap=200, seed=1)
    assert f"{r.exponent:.6g}" in out


def test_cli_isoflop_csv_file_and_errors(tmp_path, run_cli):
    path = tmp_path / "runs.csv"
    chinchilla_grid(n_opt).to_csv(path, index=False)
    code, out, err = run_cli(["isoflop", path, "--size", "D", "--bootstrap", 0, "--C", 1e22, "--format", "csv",
                              "--table", "optimal"])
    assert code == 0, err
    assert out.startswith("C,D_opt,D_opt_lower")
    code, out, err = run_cli(["isoflop", "--dataset", "marin-comma", "--budget", "C"])
    assert code == 2 and err.startswith("error: column 'C' has 85 distinct values")
    code, out, err = run_cli(["isoflop", "--dataset", "marin-comma", "--size", "params"])
    assert code == 2 and "missing column" in err
    code, out, err = run_cli(["isoflop", path, "--bootstrap", -5])
    assert code == 2 and "--bootstrap" in err


# --------------------------------------------------------------------------------------------
# Porian et al. (2024): the stored exponents, and the causes of each difference (docs/isoflop.md)
@pytest.fixture(scope="module")
def porian_rows():
    from benchmarks import repro_porian

    return {(r["config"], r["dataset"]): r for r in repro_porian.compare(n_bootstrap=0)}


PORIAN_FAR = {  # more than 0.02 from the stored exponent: (gap, cause)
    ("reproducing_kaplan", "RefinedWeb"): (0.030, "small budgets"),
    ("count_last_layer", "RefinedWeb"): (0.073, "small budgets"),
    ("reproducing_kaplan", "OpenWebText2"): (-0.021, "small budgets"),
    ("count_last_layer", "OpenWebText2"): (0.054, "small budgets"),
    ("correct_warmup", "RefinedWeb"): (0.057, "scatter"),
    ("att_correct_warmup", "RefinedWeb"): (0.041, "scatter"),
}


def test_porian_exponents_reproduced_or_their_difference_explained(porian_rows):
    assert len(porian_rows) == 15
    for key, r in porian_rows.items():
        # The frontier step agrees: a line through the stored optima gives the stored a.
        assert abs(r["stored_optima_ols_a"] - r["stored_a"]) <= 0.007, key
        if key not in PORIAN_FAR:
            assert abs(r["gap"]) <= 0.02, key
            continue
        gap, cause = PORIAN_FAR[key]
        assert r["gap"] == pytest.approx(gap, abs=0.0015), key
        if cause == "small budgets":
            # Parabolas put the small budgets' optima well below the spline's; from 2e17 on they agree.
            assert r["log_ratio_small_budgets_mean"] < -0.25, key
            assert abs(r["ours_large_a"] - r["stored_optima_large_ols_a"]) <= 0.02, key
        else:
            # Not the small budgets: the gap stays at large budgets, with per-budget scatter >= 0.17.
            assert r["ours_large_a"] - r["stored_optima_large_ols_a"] > 0.03, key
            assert r["log_ratio_sd"] >= 0.165, key
