"""The built-in laws' analytic derivatives against JAX autodiff.

The solver trusts a law's ``jacobian``, ``curvature`` and ``curvature_parts`` (the curvature as
columns summed in the same pass over the data as everything else); a wrong entry there would not
fail a fit loudly, it would only slow or misdirect it. So each is compared with ``jax.jacfwd``
and ``jax.hessian`` of the law's own ``fit_fn`` at random points of its start grid.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import laws


def _inputs(law, rng, n=40):
    """Positive inputs spanning the ranges the laws are fitted on (tokens at least unique tokens)."""
    out = {}
    for col in law.inputs:
        out[col] = 10.0 ** rng.uniform(7.0, 11.0, n)
    if {"D", "U"} <= set(law.inputs):
        out["U"] = out["D"] / 10.0 ** rng.uniform(0.0, 2.0, n)
    if law.name == "error_from_loss":
        out = {col: rng.uniform(1.8, 4.0, n) for col in law.inputs}
    return out


def _points(law, F, rng, k=8):
    """``k`` internal points from the law's start grid, nudged off the grid's round values."""
    y_fit = np.zeros(F.shape[0]) if law.space == "log" else np.full(F.shape[0], 0.5)
    grid = law.start_grid(F, y_fit)
    rows = grid[rng.choice(len(grid), size=min(k, len(grid)), replace=False)]
    lo, hi = law.bounds(F, y_fit)
    span = np.where(np.isfinite(hi - lo), 0.05 * (hi - lo), 0.3)
    nudged = rows + rng.uniform(-1.0, 1.0, rows.shape) * np.minimum(span, 0.3)
    return np.clip(nudged, np.where(np.isfinite(lo), lo + 1e-3 * np.abs(span), lo),
                   np.where(np.isfinite(hi), hi - 1e-3 * np.abs(span), hi))


# The registry also holds laws other tests register; these are the ones the package ships.
BUILTIN = ("power", "chinchilla", "kaplan", "bnsl", "bnsl2", "loglinear", "sigmoid", "data_constrained",
           "error_from_loss")


@pytest.mark.parametrize("name", BUILTIN)
def test_analytic_derivatives_match_autodiff(name):
    law = laws.get(name)
    assert law.jacobian is not None, "every built-in law has an analytic Jacobian"
    rng = np.random.default_rng(0)
    F = jnp.asarray(law.features(_inputs(law, rng)))
    for theta in _points(law, np.asarray(F), rng):
        theta = jnp.asarray(theta)
        c = jnp.asarray(rng.normal(size=F.shape[0]))
        pred, J = law.value_and_jacobian(theta, F)
        np.testing.assert_allclose(pred, law.fit_fn(theta, F), rtol=1e-12, atol=1e-12)
        J_ad = jax.jacfwd(law.fit_fn)(theta, F)
        np.testing.assert_allclose(J, J_ad, rtol=1e-9, atol=1e-9 * float(jnp.max(jnp.abs(J_ad))))
        H_ad = jax.hessian(lambda t: jnp.dot(c, law.fit_fn(t, F)))(theta)
        # curvature_parts is a difference with J^T diag(c) J: its rounding scales with that term.
        JcJ = (J * c[:, None]).T @ J
        tol = 1e-9 * max(float(jnp.max(jnp.abs(H_ad))), float(jnp.max(jnp.abs(JcJ))))
        np.testing.assert_allclose(law.curvature_term(theta, F, c), H_ad, rtol=1e-8, atol=tol)
        if law.curvature_parts is not None:
            cols, assemble = law.curvature_parts(theta, F)
            H = assemble([jnp.sum(c * k) for k in cols]) - JcJ
            np.testing.assert_allclose(H, H_ad, rtol=1e-8, atol=tol)


@pytest.mark.slow
def test_data_constrained_derivatives_on_both_sides_of_the_parameter_kink():
    """Past N_for(U) the model's extra parameters count as repeated (l_neff depends on A, B, alpha,
    beta and R_N*); before it they do not. The fitted datablations optimum has rows on each side."""
    df = sl.datasets.load("datablations")
    fit = sl.fit(df, "data_constrained")
    law = fit.law
    F = jnp.asarray(law.features({c: df[c].to_numpy(float) for c in law.inputs}))
    E, a, b, alpha, beta = (float(v) for v in fit.theta[:5])
    z = (np.log(alpha) + a - np.log(beta) - b) / alpha + beta / alpha * np.asarray(F[:, 2])
    past = np.asarray(F[:, 0]) > z
    assert 0 < past.sum() < len(past)
    theta = jnp.asarray(fit.theta)
    c = jnp.asarray(np.random.default_rng(1).normal(size=F.shape[0]))
    _, J = law.value_and_jacobian(theta, F)
    np.testing.assert_allclose(J, jax.jacfwd(law.fit_fn)(theta, F), rtol=1e-9, atol=1e-12)
    H_ad = jax.hessian(lambda t: jnp.dot(c, law.fit_fn(t, F)))(theta)
    np.testing.assert_allclose(law.curvature_term(theta, F, c), H_ad, rtol=1e-8,
                               atol=1e-9 * float(jnp.max(jnp.abs(H_ad))))



# One rule for an unreachable target (scalinglaws.laws.UNREACHABLE): inf, never NaN, in every law.
# Each case: public parameters, targets no finite input reaches, and a target that is reached.
UNREACHABLE_CASES = {
    "power": (dict(E=1.7, A=400.0, alpha=0.3), [1.7, 1.0, -1.0], 2.0),
    "chinchilla": (dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28), [1.69, 1.0], 2.0),
    "kaplan": (dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095), [0.0, -1.0], 2.0),  # no floor
    "loglinear": (dict(a=0.1, b=0.0), [0.5], None),  # a flat line reaches nothing but its level
    "sigmoid": (dict(R0=0.1, A=0.8, C_mid=1e21, B=1.0), [0.8, 0.95], 0.5),
    "error_from_loss": (dict(eps=0.9, k=30.0, gamma=2.0), [0.95, -40.0], 0.5),  # eps - k = -29.1
}


@pytest.mark.parametrize("name", sorted(UNREACHABLE_CASES))
def test_unreachable_targets_are_inf_in_every_law(name):
    law = laws.get(name)
    assert law.inverse is not None and law.inverse_input is not None
    params, beyond, reached = UNREACHABLE_CASES[name]
    fit = sl.Fit.from_params(name, params)
    out = fit.compute_for(beyond)
    x = out[law.inverse_input].to_numpy()
    assert np.isposinf(x).all(), (name, x)
    assert not out["reachable"].any()
    if reached is not None:
        hit = fit.compute_for(reached)
        assert np.isfinite(hit[law.inverse_input]).all() and hit["reachable"].all()


def test_a_sigmoid_target_before_its_start_needs_no_compute():
    # The curve starts at R0 = 0.1 (no compute): 0.05 is met already. 0 is the true answer here.
    fit = sl.Fit.from_params("sigmoid", dict(R0=0.1, A=0.8, C_mid=1e21, B=1.0))
    assert fit.compute_for(0.05)["C"].iloc[0] == 0.0


def test_bisection_for_a_law_without_closed_form_uses_the_same_rule():
    law = laws.custom("power_nc", lambda p, x: p["E"] + p["A"] * x["C"] ** -p["alpha"],
                      params=["E", "A", "alpha"], inputs=["C"], target="loss", space="log",
                      log_params=["E", "A"], grid={"E": [1.0], "A": [100.0], "alpha": [0.3]})
    assert law.inverse is None and law.inverse_input == "C"
    thetas = law.from_public(dict(E=1.7, A=400.0, alpha=0.3))[None, :]
    x = sl.extrapolate.inverse_draws(law, thetas, [1.5, 2.0])
    assert np.isposinf(x[0, 0]) and np.isfinite(x[0, 1])
