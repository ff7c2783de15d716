"""Bootstrap ensembles: published intervals, allocation, determinism, sharding, bands."""

import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import bootstrap, intervals

# Epoch AI's Huber-likelihood fit with 4,000 bootstrap replicates (SOURCES.md): 95% percentile.
EPOCH_95 = {"alpha": (0.317, 0.373), "beta": (0.331, 0.415), "E": (1.769, 1.871)}
HOFFMANN_UNROUNDED = dict(E=math.exp(0.5267228), A=math.exp(6.0073404), B=math.exp(6.0179186),
                          alpha=0.33917084, beta=0.2849083)


@pytest.fixture(scope="module")
def ensemble(chinchilla_fit):
    return chinchilla_fit.bootstrap(4000, seed=0)


def test_intervals_match_epoch(ensemble):
    """Within 0.006 of Epoch's bounds. Epoch fit a Huber *likelihood* (with a scale parameter)
    to each replicate and we fit the plain summed Huber loss, the same objective as their point
    fit; the two estimators differ slightly, hence a tolerance rather than equality."""
    iv = ensemble.interval(0.95)
    for name, (lo, hi) in EPOCH_95.items():
        assert abs(iv.loc[name, "lower"] - lo) <= 0.006, (name, iv.loc[name].to_dict())
        assert abs(iv.loc[name, "upper"] - hi) <= 0.006, (name, iv.loc[name].to_dict())
    d = ensemble.diagnostics
    assert d["n_replicates"] == 4000 and d["failed_to_converge"] == 0


def test_tokens_per_parameter_at_chinchilla_compute(chinchilla_fit, ensemble):
    refit = chinchilla_fit.compute_optimal(5.88e23)
    assert 15 <= refit.tokens_per_param[0] <= 25
    band = ensemble.compute_optimal(5.88e23, level=0.9)
    assert band.tokens_per_param_lower[0] < refit.tokens_per_param[0] < band.tokens_per_param_upper[0]
    hoffmann = sl.Fit.from_params("chinchilla", HOFFMANN_UNROUNDED).compute_optimal(5.88e23)
    assert hoffmann.tokens_per_param[0] == pytest.approx(59, abs=1)


def test_allocation_closed_form(chinchilla_fit):
    p = chinchilla_fit.params
    C = np.array([1e22, 1e25])
    out = chinchilla_fit.compute_optimal(C)
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    N = G * (C / 6) ** (p["beta"] / (p["alpha"] + p["beta"]))
    np.testing.assert_allclose(out.N_opt, N, rtol=1e-12)
    np.testing.assert_allclose(out.D_opt, C / (6 * N), rtol=1e-12)
    np.testing.assert_allclose(out.loss, chinchilla_fit.predict(N=N, D=C / (6 * N)), rtol=1e-12)
    # N_opt is the argmin of the loss along the iso-compute curve.
    for c, n in zip(C, N):
        grid = n * np.exp(np.linspace(-0.2, 0.2, 41))
        losses = chinchilla_fit.predict(N=grid, D=c / (6 * grid))
        assert np.argmin(losses) == 20


def test_same_seed_same_numbers_and_seeds_differ(chinchilla_fit):
    a = chinchilla_fit.bootstrap(300, seed=5)
    b = chinchilla_fit.bootstrap(300, seed=5)
    c = chinchilla_fit.bootstrap(300, seed=6)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.allclose(a.theta, c.theta)


def test_chunking_and_slots_do_not_change_replicates(chinchilla_fit):
    ref = chinchilla_fit.bootstrap(600, seed=1)
    for kw in (dict(chunk_size=256), dict(slots=128)):
        other = chinchilla_fit.bootstrap(600, seed=1, **kw)
        # Replicate i's weights come from fold_in(seed, i) whatever the layout; ties between
        # starts that reach the same optimum differ only in the last bits.
        np.testing.assert_allclose(other.theta, ref.theta, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(other.objective, ref.objective, rtol=1e-10)


@pytest.mark.slow
def test_two_cpu_devices_match_one(tmp_path):
    """The replicate axis sharded over 2 CPU devices gives the 1-device ensemble."""
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        import jax
        import scalinglaws as sl
        assert len(jax.devices()) == int(sys.argv[2]), jax.devices()
        fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
        ens = fit.bootstrap(400, seed=3, chunk_size=200)
        np.save(sys.argv[1], ens.theta)
        # Solved in segments of a few iterations (as with a progress bar): the same numbers.
        from scalinglaws import progress
        from scalinglaws.solvers import batch
        batch.FIRST_SEGMENT, progress.SEGMENT_S = 2, 1e-6
        cut = fit.bootstrap(400, seed=3, chunk_size=200, progress=True)
        assert np.array_equal(cut.theta, ens.theta) and np.array_equal(cut.iterations, ens.iterations)
        """
    )
    paths = {}
    for n_dev in (1, 2):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_dev}", JAX_PLATFORMS="cpu")
        out = tmp_path / f"theta_{n_dev}.npy"
        subprocess.run([sys.executable, "-c", script, str(out), str(n_dev)], env=env, check=True, timeout=600)
        paths[n_dev] = np.load(out)
    np.testing.assert_allclose(paths[2], paths[1], rtol=1e-7, atol=1e-9)


def test_replicate_weights():
    key = jax.random.PRNGKey(0)
    base = jnp.ones(50)
    gi = jnp.arange(50, dtype=jnp.int32)
    W = np.asarray(bootstrap.replicate_weights(key, jnp.arange(10), base, gi, 50, "multinomial"))
    assert W.shape == (10, 50)
    np.testing.assert_array_equal(W.sum(axis=1), 50)
    np.testing.assert_array_equal(W, np.round(W))
    # replicate i depends on i alone, not on which batch it was drawn in
    W2 = np.asarray(bootstrap.replicate_weights(key, jnp.arange(5, 10), base, gi, 50, "multinomial"))
    np.testing.assert_array_equal(W2, W[5:])
    Wb = np.asarray(bootstrap.replicate_weights(key, jnp.arange(10), base, gi, 50, "bayesian"))
    np.testing.assert_allclose(Wb.sum(axis=1), 50)
    assert np.all(Wb > 0)
    # groups: rows of a group share their weight; base weights multiply (0 stays 0)
    groups = np.repeat(np.arange(10), 5)
    base2 = jnp.asarray(np.r_[np.zeros(5), np.ones(45)])
    gidx, n_units = bootstrap._group_index(groups, np.asarray(base2))
    assert n_units == 9  # the all-zero group is no unit: weight 0 is the same as dropping
    Wg = np.asarray(bootstrap.replicate_weights(key, jnp.arange(20), base2, jnp.asarray(gidx), n_units, "multinomial"))
    for g in range(1, 10):
        assert np.all(Wg[:, g * 5 : (g + 1) * 5] == Wg[:, [g * 5]])
    assert np.all(Wg[:, :5] == 0)
    np.testing.assert_array_equal(Wg.sum(axis=1), 45)  # 9 units drawn 9 times, 5 rows each


def test_bayesian_and_grouped_bootstrap(chinchilla_fit):
    bayes = chinchilla_fit.bootstrap(400, seed=0, resampling="bayesian")
    assert bayes.resampling == "bayesian" and bayes.diagnostics["failed_to_converge"] == 0
    iv = bayes.interval(0.95)
    assert iv.loc["alpha", "lower"] < chinchilla_fit.params["alpha"] < iv.loc["alpha", "upper"]
    df = sl.datasets.load("chinchilla-240")
    df["size"] = np.round(np.log10(df.N), 1)
    fit = sl.fit(df, "chinchilla")
    grouped = fit.bootstrap(400, seed=0, cluster="size")
    assert grouped.cluster == "size"
    # Resampling whole model sizes is noisier than resampling runs.
    assert grouped.interval().loc["alpha", "se"] > chinchilla_fit.bootstrap(400, seed=0).interval().loc["alpha", "se"]
    with pytest.raises(sl.InputError, match="nope"):
        fit.bootstrap(10, cluster="nope")
    with pytest.raises(ValueError, match="resampling"):
        fit.bootstrap(10, resampling="jackknife")


def test_bca_interval(chinchilla_fit, ensemble):
    iv = ensemble.interval(0.95, method="bca")
    pc = ensemble.interval(0.95)
    for name in ("alpha", "beta", "E"):
        assert iv.loc[name, "lower"] < chinchilla_fit.params[name] < iv.loc[name, "upper"]
        # BCa moves the percentile endpoints by a fraction of the width, not by multiples.
        width = pc.loc[name, "upper"] - pc.loc[name, "lower"]
        assert abs(iv.loc[name, "lower"] - pc.loc[name, "lower"]) < 0.5 * width


def test_bca_reduces_to_percentile_for_symmetric_unbiased_draws():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(20001, 1))
    draws = np.concatenate([draws, -draws])  # exactly symmetric about 0: z0 = 0
    jk = np.linspace(-1, 1, 101)[:, None]  # symmetric jackknife: acceleration 0
    lo, hi = intervals.bca_interval(draws, np.zeros(1), jk, 0.9)
    plo, phi = intervals.percentile_interval(draws, 0.9)
    np.testing.assert_allclose([lo[0], hi[0]], [plo[0], phi[0]], atol=1e-3)


def test_compute_for_band_and_unreachable(chinchilla_fit, ensemble):
    table = ensemble.compute_for([2.0, 1.5])
    ok, unreachable = table.iloc[0], table.iloc[1]
    assert ok.reachable_fraction == 1.0
    assert ok.C_lower < ok.C < ok.C_upper
    # 1.5 is below every replicate's irreducible loss E: unreachable, inf (never a NaN band)
    assert unreachable.reachable_fraction == 0.0 and np.isposinf(unreachable.C)
    assert np.isposinf(unreachable.C_lower) and np.isposinf(unreachable.C_upper)
    draws = ensemble.compute_for_draws(1.5)
    assert np.all(np.isinf(draws))
    point = chinchilla_fit.compute_for([2.0, 1.5])
    assert point.reachable.tolist() == [True, False]
    assert point.C[0] == pytest.approx(ok.C)
    # at that compute the compute-optimal loss is the target
    assert chinchilla_fit.compute_optimal(point.C[0]).loss[0] == pytest.approx(2.0, rel=1e-10)


def test_predict_band(chinchilla_fit, ensemble):
    out = ensemble.predict(level=0.9, N=[1e9, 7e10], D=[2e10, 1.4e12])
    assert list(out.columns) == ["N", "D", "estimate", "lower", "upper", "oom_beyond_data", "n_used"]
    assert (out["n_used"] == 4000).all() and out.attrs["n_used"] == 4000 and out.attrs["level"] == 0.9
    assert np.all(out.lower < out.estimate) and np.all(out.estimate < out.upper)
    np.testing.assert_allclose(out.estimate, chinchilla_fit.predict(N=[1e9, 7e10], D=[2e10, 1.4e12]))
    assert out.oom_beyond_data[0] == 0.0
    assert out.oom_beyond_data[1] == pytest.approx(np.log10(1.4e12 / chinchilla_fit.data.D.max()))
    # the band widens with extrapolation
    assert (out.upper - out.lower)[1] > (out.upper - out.lower)[0]


@pytest.mark.slow
def test_failed_replicates_are_retried_warned_and_counted(chinchilla_fit):
    import dataclasses
    import warnings

    from scalinglaws.bootstrap import ReplicateFailureError, ReplicateFailureWarning

    fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    # 8 iterations: some replicates stop short in the stream; the retry (5x the iterations, more
    # starts) recovers them.
    ens = fit.bootstrap(200, seed=0, config=dataclasses.replace(fit.problem.config, max_iter=8))
    d = ens.diagnostics
    assert d["retried"] > 0 and d["recovered"] > 0
    assert d["failed_to_converge"] == d["retried"] - d["recovered"]
    assert ens._a.retried.sum() == d["retried"]
    # 2 iterations: the retry gets 10, not enough; what still fails is warned about, with the
    # count and the share, and every table says how many replicates it used.
    two = dataclasses.replace(fit.problem.config, max_iter=2)
    with pytest.warns(ReplicateFailureWarning) as record:
        few = fit.bootstrap(100, seed=0, config=two)
    k = few.diagnostics["failed_to_converge"]
    assert 0 < k
    message = str(record[0].message)
    assert f"{k} of 100 bootstrap replicates ({k:.2f}%)" in message
    assert len(few.params) == 100 and (~few.params.converged).sum() == k
    if k < 100:
        iv = few.interval()
        assert (iv["n_used"] == 100 - k).all() and iv.attrs["n_failed"] == k
        assert not few.interval(include_failed=True).equals(iv)
        assert f"intervals use {100 - k} of 100 replicates" in few.summary()
    assert "failed to converge" in few.summary()
    with pytest.raises(ReplicateFailureError, match=f"{k} of 100"):
        fit.bootstrap(100, seed=0, failed="raise", config=two)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit.bootstrap(100, seed=0, failed="drop", config=two)
    with pytest.raises(ValueError, match="failed must be one of"):
        fit.bootstrap(10, failed="ignore")
    none = fit.bootstrap(50, seed=0, failed="drop", config=two)
    none.converged[:] = False  # as if every replicate had failed
    with pytest.raises(ValueError, match="no replicate converged"):
        none.interval()
    assert none.interval(include_failed=True).shape == (5, 6)


def test_ensemble_save_load(ensemble, tmp_path):
    path = ensemble.save(tmp_path / "ens.json")
    back = sl.load(path)
    assert isinstance(back, sl.Ensemble)
    np.testing.assert_array_equal(back.theta, ensemble.theta)
    assert back.interval().equals(ensemble.interval())
    assert back.fit.params == ensemble.fit.params
    assert json.loads(path.read_text())["kind"] == "scalinglaws.Ensemble"


def test_progress_bar(chinchilla_fit, capsys):
    chinchilla_fit.bootstrap(100, seed=0)  # stderr is not a terminal under pytest: no bar
    assert "replicate" not in capsys.readouterr().err
    chinchilla_fit.bootstrap(100, seed=0, progress=True)
    assert "replicate" in capsys.readouterr().err


class _RecordingBar:
    """Stands in for tqdm: records (time, count, event) for every move, redraw and stage."""

    events: list = []

    def __init__(self, total, unit, desc):
        self.n, self.total = 0, total
        _RecordingBar.events = [(time.perf_counter(), 0, "open")]

    def update(self, k):
        self.n += k
        self.events.append((time.perf_counter(), self.n, "update"))

    def refresh(self):
        self.events.append((time.perf_counter(), self.n, "refresh"))

    def set_postfix_str(self, text, refresh=True):
        self.events.append((time.perf_counter(), self.n, f"stage:{text}"))

    def close(self):
        self.events.append((time.perf_counter(), self.n, "close"))


def test_segmented_blocks_give_the_same_numbers_and_move_the_bar(chinchilla_fit, monkeypatch):
    """A block solved in segments of one to a few iterations, with the bar moving after each,
    gives the ensemble of one uncut solve bit for bit; the bar counts up to every replicate."""
    import tqdm.auto

    from scalinglaws import progress
    from scalinglaws.solvers import batch

    whole = chinchilla_fit.bootstrap(300, seed=4, chunk_size=128, progress=False)
    monkeypatch.setattr(tqdm.auto, "tqdm", _RecordingBar)
    monkeypatch.setattr(batch, "FIRST_SEGMENT", 1)
    monkeypatch.setattr(progress, "SEGMENT_S", 1e-6)
    cut = chinchilla_fit.bootstrap(300, seed=4, chunk_size=128, progress=True)
    for name in ("theta", "objective", "iterations", "converged", "stop_reason", "start_objective",
                 "start_iterations", "start_stop_reason", "best_start", "grad_norm"):
        np.testing.assert_array_equal(getattr(cut._a, name), getattr(whole._a, name), err_msg=name)
    counts = [n for _, n, kind in _RecordingBar.events if kind == "update"]
    assert counts == sorted(counts) and counts[-1] == 300
    # Many moves within each of the three blocks, not one per block.
    assert len(counts) > 3 * 10
    assert _RecordingBar.events[-1][2] == "close"


def test_bar_stage_heartbeat_and_disabled(monkeypatch):
    import tqdm.auto

    from scalinglaws import progress

    monkeypatch.setattr(tqdm.auto, "tqdm", _RecordingBar)
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.01)
    with progress.Bar(10, "x", "item", True) as bar:
        bar.stage("compiling")
        time.sleep(0.1)  # the main thread busy: the heartbeat redraws the bar meanwhile
        bar.update_to(4.7)
        bar.update_to(3)  # never back
    kinds = [kind for _, _, kind in _RecordingBar.events]
    assert kinds.count("refresh") >= 3
    assert kinds.index("stage:compiling") < kinds.index("stage:") < kinds.index("update")
    assert [n for _, n, kind in _RecordingBar.events if kind == "update"] == [4]
    assert kinds[-1] == "close" and not any(t.name == "scalinglaws-progress" for t in threading.enumerate())
    _RecordingBar.events = []
    with progress.Bar(10, "x", "item", False) as bar:  # disabled: nothing is drawn
        bar.stage("compiling")
        bar.update_to(10)
    assert _RecordingBar.events == [] and not bar.shown


@pytest.mark.slow
def test_bar_moves_every_second_on_a_long_run(monkeypatch):
    """A run of several seconds (datablations, 4,000 replicates: one block) moves the count at
    least once a second once compiled, and the bar is redrawn at least once a second throughout,
    compilation included (where it reads 'compiling')."""
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", _RecordingBar)
    fit = sl.fit(sl.datasets.load("datablations"), "chinchilla")
    start = time.perf_counter()
    fit.bootstrap(4000, seed=0, progress=True, failed="drop")
    took = time.perf_counter() - start
    assert took > 2, took
    events = _RecordingBar.events
    times = np.array([t for t, _, kind in events if kind in ("open", "update", "refresh", "close")])
    assert np.diff(times).max() < 1.0
    staged = [t for t, _, kind in events if kind == "stage:"]
    moves = np.array((staged or [events[0][0]])[:1] + [t for t, _, kind in events if kind == "update"])
    assert np.diff(moves).max() < 1.0, np.diff(moves).max()


def test_other_laws_bootstrap():
    x = np.logspace(3, 5, 30)
    y = 0.4 + 0.24 / (1 + (1.1e4 / x) ** 1.7) + np.random.default_rng(0).normal(0, 0.005, 30)
    fit = sl.fit({"C": x, "y": y}, "sigmoid")
    ens = fit.bootstrap(300, seed=0)
    assert ens.diagnostics["failed_to_converge"] <= 3
    table = ens.compute_for([0.5, 0.9])
    assert table.reachable_fraction[1] == 0.0  # above every replicate's ceiling A
    assert 0 < table.reachable_fraction[0] <= 1


def test_zero_weight_rows_are_dropped_rows(chinchilla_fit):
    """A bootstrap with some rows at weight 0 equals the bootstrap of the table without them."""
    df = sl.datasets.load("chinchilla-240")
    w = np.ones(len(df))
    w[::7] = 0.0
    with_zeros = sl.fit(df, "chinchilla", weights=w).bootstrap(300, seed=4)
    dropped = sl.fit(df[w > 0], "chinchilla").bootstrap(300, seed=4)
    np.testing.assert_allclose(with_zeros.theta, dropped.theta, rtol=1e-7, atol=1e-9)
