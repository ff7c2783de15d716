"""Grouped fits set up as arrays (:mod:`scalinglaws.group_solve`): the laws' batched start grids
and bounds equal their single-data-set ones, the masked statistics and the vectorised top-k equal
numpy's per row, and a grouped fit equals separate fits on the paths that differ from the common
one (a law set up group by group, a batched retry, a user grid, fixed and bounded parameters)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scalinglaws as sl
from scalinglaws import laws
from scalinglaws.group_solve import _top_k
from scalinglaws.laws.base import group_max, group_median, group_min
from scalinglaws.solvers import SolverConfig, top_k_starts

BATCHED = ["sigmoid", "power", "loglinear", "chinchilla", "data_constrained"]


def _data(law, rng, n):
    F = np.log(10 ** rng.uniform(18, 23, (n, len(law.inputs))))
    y = rng.uniform(-1, 1, n) if law.space == "linear" else np.log(rng.uniform(1.5, 4, n))
    return F, y


@pytest.mark.parametrize("name", BATCHED)
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), sizes=st.lists(st.integers(4, 12), min_size=1, max_size=4))
def test_batched_grids_and_bounds_equal_the_single_ones(name, seed, sizes):
    law = laws.get(name)
    assert law.sets_up_in_batch
    rng = np.random.default_rng(seed)
    n = max(sizes) + 3
    F = np.zeros((len(sizes), n, len(law.inputs)))
    y = np.zeros((len(sizes), n))
    used = np.zeros((len(sizes), n), dtype=bool)
    for g, m in enumerate(sizes):
        F[g], y[g] = _data(law, rng, n)  # rows past m are padding with other values: must be ignored
        used[g, rng.permutation(n)[:m]] = True
    grids = law.start_grids(F, y, used)
    lo, hi = law.bounds_by_group(F, y, used)
    for g in range(len(sizes)):
        Fg, yg = F[g][used[g]], y[g][used[g]]
        if name == "loglinear":  # a least-squares line: sums over padded rows may round differently
            np.testing.assert_allclose(grids[g], law.start_grid(Fg, yg), rtol=1e-13, atol=1e-13)
        else:
            np.testing.assert_array_equal(grids[g], law.start_grid(Fg, yg))
        np.testing.assert_array_equal(lo[g], law.bounds(Fg, yg)[0])
        np.testing.assert_array_equal(hi[g], law.bounds(Fg, yg)[1])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9), rounding=st.integers(0, 2))
def test_masked_statistics_equal_numpy_per_row(seed, n, rounding):
    rng = np.random.default_rng(seed)
    a = np.round(rng.standard_normal((6, n)), rounding)
    used = rng.random((6, n)) < 0.6
    used[:, 0] = True
    for g in range(6):
        row = a[g][used[g]]
        assert group_min(a, used)[g] == np.min(row)
        assert group_max(a, used)[g] == np.max(row)
        assert group_median(a, used)[g] == np.median(row)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10_000), B=st.integers(1, 8), K=st.integers(1, 40), k=st.integers(1, 40),
       rounding=st.integers(0, 2))
def test_vectorised_top_k_equals_the_point_fits_per_row(seed, B, K, k, rounding):
    rng = np.random.default_rng(seed)
    v = np.round(rng.standard_normal((B, K)), rounding)  # rounding makes ties
    v[rng.random((B, K)) < 0.1] = np.nan
    v[rng.random((B, K)) < 0.05] = np.inf
    k = min(k, K)
    expected = np.stack([top_k_starts(row, k) for row in v])
    np.testing.assert_array_equal(_top_k(v, k), expected)


def _curves(G=12, m=9, seed=3):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e18, 1e22, m)
    E, A, alpha = rng.uniform(1.5, 2.5, G), 10 ** rng.uniform(6, 8, G), rng.uniform(0.25, 0.4, G)
    y = (E[:, None] + A[:, None] * x ** -alpha[:, None]) * np.exp(0.01 * rng.standard_normal((G, m)))
    return pd.DataFrame({"C": np.tile(x, G), "loss": y.ravel(), "curve": np.repeat([f"c{g}" for g in range(G)], m)})


def _assert_equal_to_separate(fs, df, law, **kw):
    for key in fs:
        alone = sl.fit(df[df.curve == key], law, **kw)
        got = fs[key]
        assert got.objective == pytest.approx(alone.objective, rel=1e-9, abs=0), key
        np.testing.assert_allclose(got.theta, alone.theta, rtol=1e-7, atol=1e-9, err_msg=str(key))
        assert got.converged == alone.converged and got.diagnostics["retried"] == alone.diagnostics["retried"]
        assert got.diagnostics["n_starts"] == alone.diagnostics["n_starts"]
        assert got.diagnostics["grid_size"] == alone.diagnostics["grid_size"]


@pytest.mark.parametrize("options", [
    {"fixed": {"E": 1.0}},
    {"bounds": {"alpha": (0.2, 0.5)}},
    {"grid": {"E": [1.0, 2.0], "A": [1e6, 1e7], "alpha": [0.2, 0.4]}},
    {"tie": None, "n_starts": 3},
], ids=["fixed", "bounds", "user grid", "few starts"])
def test_grouped_options_equal_separate_fits(options):
    df = _curves()
    kw = {"x": "C", **{k: v for k, v in options.items() if k != "tie"}}
    fs = sl.fit(df, "power", by="curve", **kw)
    _assert_equal_to_separate(fs, df, "power", **kw)


def test_a_law_without_batched_hooks_is_set_up_group_by_group():
    tied = laws.get("chinchilla")
    assert not laws.tie(tied, {"beta": "alpha"}).sets_up_in_batch  # ties keep the per-group set-up
    custom = laws.get("error_from_loss")
    assert not custom.sets_up_in_batch
    rng = np.random.default_rng(0)
    L = np.tile(np.linspace(2.0, 4.0, 10), 5)
    err = 0.9 - 40 * np.exp(-1.5 * L) + 0.005 * rng.standard_normal(L.size)
    table = pd.DataFrame({"L": L, "error": err, "curve": np.repeat(list("abcde"), 10)})
    fs = sl.fit(table, "error_from_loss", by="curve")
    _assert_equal_to_separate(fs, table, "error_from_loss")


def test_batched_retry_equals_the_point_fits_retry():
    df = _curves(G=10)
    cfg = SolverConfig(max_iter=4)  # most best starts stop at the cap and are retried
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fs = sl.fit(df, "power", x="C", by="curve", config=cfg)
        assert sum(fs[k].diagnostics["retried"] for k in fs) >= 3
        _assert_equal_to_separate(fs, df, "power", x="C", config=cfg)


def test_fitset_holds_arrays_and_makes_a_fit_when_asked():
    df = _curves(G=30)
    fs = sl.fit(df, "power", x="C", by="curve")
    assert len(fs.fits._made) == 0  # nothing made by the fit itself
    table = fs.params
    assert len(fs.fits._made) == 0 and table.shape[0] == 30
    key = fs.keys[4]
    f = fs[key]
    assert len(fs.fits._made) == 1 and fs[key] is f
    assert table.loc[key, "alpha"] == f.params["alpha"] and table.loc[key, "objective"] == f.objective
    pred = fs.predict(C=[1e23, 1e24])
    assert len(fs.fits._made) == 2  # the first group's Fit checks the inputs
    np.testing.assert_allclose(pred.loc[pred.curve == key, "loss"], f.predict(C=[1e23, 1e24]), rtol=1e-14)
    need = fs.compute_for([2.6, 1.0])
    row = need[(need.curve == key)]
    expected = f.compute_for([2.6, 1.0])
    np.testing.assert_allclose(row["C"], expected["C"], rtol=1e-14)
    assert row["reachable"].tolist() == expected["reachable"].tolist()
    with pytest.raises(ValueError, match="finite"):
        fs.predict(C=[np.nan])
