"""The solver's per-iteration sums (scalinglaws.sums): the form follows the machine and
``$SCALINGLAWS_SUMS``, both forms give the same sums and the same fit, and a stored program is
keyed by its form."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from scalinglaws import programs, sums


@pytest.mark.parametrize(("flags", "expected"), [
    ({"sse4_2", "avx", "avx2", "fma"}, "per_sum"),  # the AMD EPYC machine where per sum measured 1.37x
    ({"avx2", "fma", "avx512f", "avx512dq"}, "variadic"),  # AVX-512: variadic measured faster
    ({"sse4_2"}, "variadic"),  # neither measured
    (set(), "variadic"),  # flags unreadable (not Linux, or not x86)
])
def test_the_form_follows_the_cpu_flags(monkeypatch, flags, expected):
    monkeypatch.delenv(sums.ENV_VAR, raising=False)
    monkeypatch.setattr(sums, "cpu_flags", lambda: frozenset(flags))
    assert sums.form() == expected


def test_the_environment_variable_overrides_the_machine_and_a_bad_value_is_refused(monkeypatch):
    monkeypatch.setattr(sums, "cpu_flags", lambda: frozenset({"avx2"}))
    monkeypatch.setenv(sums.ENV_VAR, " Variadic ")
    assert sums.form() == "variadic"
    monkeypatch.setenv(sums.ENV_VAR, "per_sum")
    assert sums.form() == "per_sum"
    monkeypatch.setenv(sums.ENV_VAR, "fast")
    with pytest.raises(ValueError, match="SCALINGLAWS_SUMS='fast'.*variadic, per_sum"):
        sums.form()


def test_both_forms_give_the_same_sums():
    rng = np.random.default_rng(0)
    columns = [jax.numpy.asarray(rng.normal(size=240) * 10.0**k) for k in range(-3, 4)]
    a = np.array(jax.jit(sums.variadic)(columns))
    b = np.array(jax.jit(sums.per_sum)(columns))
    np.testing.assert_allclose(a, b, rtol=1e-13)
    np.testing.assert_allclose(a, [float(np.sum(np.asarray(c))) for c in columns], rtol=1e-13)


def test_a_stored_program_is_keyed_by_its_form(monkeypatch):
    arrays = {"F": np.ones((8, 2))}
    monkeypatch.setenv(sums.ENV_VAR, "variadic")
    variadic = programs._key("f", {"n": 3}, arrays)
    monkeypatch.setenv(sums.ENV_VAR, "per_sum")
    assert programs._key("f", {"n": 3}, arrays) != variadic


FIT = """
import json
import scalinglaws as sl
from scalinglaws import sums
fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
ens = fit.bootstrap(200, seed=0, progress=False)
print(json.dumps({"form": sums.form(), "theta": fit.theta.tolist(), "objective": float(fit.objective),
                  "replicates": ens.objective.tolist(), "failed": int((~ens.converged).sum())}))
"""


@pytest.mark.slow
def test_a_fit_and_a_bootstrap_agree_in_both_forms():
    out = {}
    for form in sums.FORMS:
        env = {**os.environ, sums.ENV_VAR: form, "SCALINGLAWS_COMPILATION_CACHE": "0"}
        run = subprocess.run([sys.executable, "-c", FIT], check=True, capture_output=True, text=True, env=env)
        out[form] = json.loads(run.stdout.strip().splitlines()[-1])
        assert out[form]["form"] == form
    v, p = out["variadic"], out["per_sum"]
    np.testing.assert_allclose(v["theta"], p["theta"], rtol=1e-9)
    np.testing.assert_allclose(v["objective"], p["objective"], rtol=1e-10)
    np.testing.assert_allclose(v["replicates"], p["replicates"], rtol=1e-8)
    assert v["failed"] == p["failed"]
