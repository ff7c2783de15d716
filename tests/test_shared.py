"""Grouped fits with shared parameters (``sl.fit(df, law, by=..., shared=[...])``): the block-arrow
solve, the grouped terms against autodiff, the joint optimum against scipy, recovery of a known
shared exponent, and the result's tables and persistence."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import scipy.optimize

import scalinglaws as sl
from scalinglaws import laws, solvers
from scalinglaws.inputs import InputError
from scalinglaws.joint import joint_arrays
from scalinglaws.solvers import arrow

from grouped_data import marin as _marin
from grouped_data import synthetic_power as _synthetic_power


def _dense(A: arrow.Arrow) -> np.ndarray:
    s, (G, q) = A.ss.shape[0], A.ll.shape[:2]
    M = np.zeros((s + G * q, s + G * q))
    M[:s, :s] = A.ss
    for g in range(G):
        sl_ = slice(s + g * q, s + (g + 1) * q)
        M[:s, sl_] = A.sl[g]
        M[sl_, :s] = np.asarray(A.sl[g]).T
        M[sl_, sl_] = A.ll[g]
    return M


@pytest.mark.parametrize("s, G, q", [(1, 4, 2), (2, 3, 3), (1, 1, 1)])
def test_arrow_solve_equals_the_dense_solve(s, G, q):
    rng = np.random.default_rng(s * 100 + G * 10 + q)
    p = s + G * q
    J = rng.normal(size=(3 * p, p))
    mask = np.zeros((p, p), bool)  # the arrow's sparsity: shared x all, and each group's own block
    mask[:s, :] = mask[:, :s] = True
    for g in range(G):
        mask[s + g * q:s + (g + 1) * q, s + g * q:s + (g + 1) * q] = True
    M = np.where(mask, J.T @ J, 0.0)
    A = arrow.Arrow(jnp.asarray(M[:s, :s]),
                    jnp.asarray(np.stack([M[:s, s + g * q:s + (g + 1) * q] for g in range(G)])),
                    jnp.asarray(np.stack([M[s + g * q:s + (g + 1) * q, s + g * q:s + (g + 1) * q] for g in range(G)])))
    np.testing.assert_allclose(_dense(A), M)
    scale = rng.uniform(0.5, 2.0, p)
    for keep in (np.ones(p, bool), rng.uniform(size=p) > 0.3):
        rhs = np.where(keep, rng.normal(size=p), 0.0)
        got = arrow.damped_solve(A, 0.1, jnp.asarray(scale), jnp.asarray(keep), jnp.asarray(rhs))
        dense = np.where(keep[:, None] & keep[None, :], M + 0.1 * np.diag(scale), np.eye(p))
        np.testing.assert_allclose(got, np.linalg.solve(dense, rhs), rtol=1e-10, atol=1e-12)
        v = rng.normal(size=p)
        assert float(arrow.quadratic(A, jnp.asarray(v))) == pytest.approx(v @ M @ v, rel=1e-12)


def _hex():
    return sl.datasets.load("hex-frontier")


def _joint_problem(df, law, by, shared, **kw):
    fs = sl.fit(df, law, by=by, **kw)
    problems = [f.problem for f in fs.fits.values()]
    jlaw = laws.share(problems[0].law, len(problems), shared)
    F, y, w, lower, upper, fm, fv = joint_arrays(jlaw, problems)
    theta = jlaw.joint_theta(np.stack([f.theta for f in fs.fits.values()]))
    return jlaw, problems[0].objective, F, y, w, lower, upper, theta


@pytest.mark.parametrize("case", ["marin chinchilla (curvature parts)", "hex sigmoid (autodiff curvature)"])
def test_grouped_terms_match_autodiff(case):
    if case.startswith("marin"):
        jlaw, obj, F, y, w, *_, theta = _joint_problem(_marin(), "chinchilla", "mixture", ["alpha", "beta"])
    else:
        jlaw, obj, F, y, w, *_, theta = _joint_problem(_hex(), "sigmoid", "boardsize", ["B"], x="C", y="elo")
    theta = jnp.asarray(theta + 0.01)
    F, y, w = jnp.asarray(F), jnp.asarray(y), jnp.asarray(w)
    f_ad = lambda t: solvers._objective(jlaw, obj, t, F, y, w)  # noqa: E731
    for newton in (False, True):
        T = solvers.compute_terms(jlaw, obj, theta, F, y, w, 1.0, jnp.asarray(newton))
        assert float(T.f) == pytest.approx(float(f_ad(theta)), rel=1e-12)
        g_ad = jax.grad(f_ad)(theta)
        np.testing.assert_allclose(T.g, g_ad, rtol=1e-8, atol=1e-10 * float(jnp.max(jnp.abs(g_ad))))
        if newton:
            H = jax.hessian(f_ad)(theta)
            np.testing.assert_allclose(_dense(T.A), H, rtol=1e-7, atol=1e-9 * float(jnp.max(jnp.abs(H))))


def _scipy_joint(jlaw, obj, F, y, w, lower, upper, theta0):
    """scipy L-BFGS-B with the exact (autodiff) gradient on the joint objective."""
    F, y, w = jnp.asarray(F), jnp.asarray(y), jnp.asarray(w)
    f = jax.jit(jax.value_and_grad(lambda t: solvers._objective(jlaw, obj, t, F, y, w)))
    fun = lambda t: tuple(np.asarray(v, np.float64) for v in f(jnp.asarray(t)))  # noqa: E731
    res = scipy.optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)),
                                  options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12})
    return float(res.fun)


@pytest.mark.parametrize("case", ["marin", "hex"])
def test_joint_optimum_is_no_worse_than_scipy(case):
    if case == "marin":
        df, law, by, shared, kw = _marin(), "chinchilla", "mixture", ["alpha", "beta"], {}
    else:
        df, law, by, shared, kw = _hex(), "sigmoid", "boardsize", ["B"], {"x": "C", "y": "elo"}
    js = sl.fit(df, law, by=by, shared=shared, **kw)
    assert js.diagnostics["joint_converged"] and not js.on_bound.any()
    jlaw, obj, F, y, w, lower, upper, theta_sep = _joint_problem(df, law, by, shared, **kw)
    ours = js.diagnostics["joint_objective"]
    assert js.objective == pytest.approx(ours, rel=1e-10)
    # scipy from the separate fits (shared at their median) and from our optimum
    theta0 = theta_sep.copy()
    theta0[:len(shared)] = np.median(np.stack([f.theta for f in js.fits.values()])[:, list(jlaw.shared_index)], axis=0)
    best_scipy = min(_scipy_joint(jlaw, obj, F, y, w, lower, upper, np.clip(theta0, lower, upper)),
                     _scipy_joint(jlaw, obj, F, y, w, lower, upper,
                                  jlaw.joint_theta(np.stack([f.theta for f in js.fits.values()]))))
    assert ours <= best_scipy * (1 + 1e-9)
    for name in shared:
        assert js.params[name].nunique() == 1
    # sharing costs fit: the joint objective is at least the separate fits' sum
    assert ours >= sl.fit(df, law, by=by, **kw).objective * (1 - 1e-12)


def test_shared_exponent_is_recovered():
    rng = np.random.default_rng(0)
    errors_shared, errors_separate = [], []
    for _ in range(5):
        df = _synthetic_power(rng)
        js = sl.fit(df, "power", x="C", by="family", shared=["alpha"])
        fs = sl.fit(df, "power", x="C", by="family")
        assert js.diagnostics["joint_converged"]
        errors_shared.append(abs(js.params["alpha"].iloc[0] - 0.3))
        errors_separate.append(np.median(np.abs(fs.params["alpha"] - 0.3)))
    assert np.mean(errors_shared) < 0.02
    assert np.mean(errors_shared) < np.mean(errors_separate)


def test_shared_fit_tables_ties_and_persistence(tmp_path):
    df = sl.datasets.load("porian-isoflops")
    df = df[df.dataset == df.dataset.iloc[0]]
    js = sl.fit(df, "chinchilla", by="config", shared=["alpha"], tie={"beta": "alpha"})
    table = js.params
    assert table.attrs["shared"] == ["alpha"] and table["alpha"].nunique() == 1
    assert (table["beta"] == table["alpha"]).all()
    assert "shared by every group: alpha" in str(js.summary()) and "alpha*" in str(js.summary())
    key = js.keys[0]
    assert js[key].diagnostics["shared"] == ["alpha"]
    assert js.compute_optimal([1e21]).shape[0] == len(js)
    back = sl.load(js.save(tmp_path / "shared.json"))
    assert back.shared == ("alpha",)
    pd.testing.assert_frame_equal(back.params, js.params)


def test_shared_errors_name_the_parameter():
    df = _marin()
    with pytest.raises(KeyError, match="unknown parameter 'gamma'"):
        sl.fit(df, "chinchilla", by="mixture", shared=["gamma"])
    with pytest.raises(KeyError, match="share 'alpha' instead"):
        sl.fit(df, "chinchilla", by="mixture", shared=["beta"], tie={"beta": "alpha"})
    with pytest.raises(ValueError, match="every parameter"):
        sl.fit(df, "chinchilla", by="mixture", shared=["E", "A", "B", "alpha", "beta"])
    with pytest.raises(ValueError, match="give by= as well"):
        sl.fit(df, "chinchilla", shared=["alpha"])


def test_shared_bound_that_no_group_allows_is_refused():
    # a sigmoid's levels are bounded near each group's own range of y: two groups with scores
    # in [0, 1] and in [1000, 1001] cannot share their upper level
    x = np.geomspace(1e18, 1e22, 12)
    y = 1 / (1 + (1e20 / x) ** 0.8)
    df = pd.DataFrame({"C": np.tile(x, 2), "score": np.concatenate([y, 1000 + y]), "task": ["a"] * 12 + ["b"] * 12})
    with pytest.raises(InputError, match="shared parameter 'A' has no value inside every group's range"):
        sl.fit(df, "sigmoid", x="C", y="score", by="task", shared=["A"])
    js = sl.fit(df, "sigmoid", x="C", y="score", by="task", shared=["B"])  # a shared slope is fine
    assert js.params["B"].iloc[0] == pytest.approx(0.8, rel=1e-6)


def test_cli_fit_by_with_shared(run_cli):
    args = ["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo", "--by", "boardsize"]
    code, out, _ = run_cli(args + ["--shared", "B"])
    assert code == 0 and "shared by every group: B" in out and "B*" in out
    code, out, _ = run_cli(args + ["--shared", "B", "--format", "csv"])
    table = pd.read_csv(__import__("io").StringIO(out), index_col=0)
    assert code == 0 and len(table) == 7 and table["B"].nunique() == 1
    code, _, err = run_cli(args + ["--shared", "Q"])
    assert code != 0 and "unknown parameter 'Q'" in err
    code, _, err = run_cli(["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo",
                            "--shared", "B"])
    assert code != 0 and "give --by COL as well" in err
