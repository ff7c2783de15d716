"""Synthetic curves drawn from each law, for the law-comparison tests: a draw gives the table, the
laws to compare it against and the arguments naming its columns.

Each family is measured the way it is used: loss against compute at 60 budgets over five
decades (power, bnsl: the broken law needs that many points to be told apart from a power law
under 1% noise; with 30 budgets it was ranked first in 23 of 30 draws), loss of 45 runs on nine
isoFLOP profiles (chinchilla, kaplan), and a score against compute at 30 budgets (sigmoid,
loglinear). Noise: 1% lognormal on losses, 0.01 absolute on scores.
"""

import numpy as np
import pandas as pd

import scalinglaws as sl

NOISE = 0.01
FAMILIES = {"power": ("power", "bnsl"), "bnsl": ("power", "bnsl"), "chinchilla": ("chinchilla", "kaplan"),
            "kaplan": ("chinchilla", "kaplan"), "sigmoid": ("loglinear", "sigmoid"), "loglinear": ("loglinear", "sigmoid")}


def _budgets(rng, n):
    return np.sort(10 ** rng.uniform(18, 23, n))


def draw(name: str, rng: np.random.Generator):
    """``(table, laws, compare keyword arguments, true parameters)`` for one curve of law ``name``."""
    laws = list(FAMILIES[name])
    law = sl.laws.get(name)
    if name in ("power", "bnsl"):
        C = _budgets(rng, 60)
        E, c0 = rng.uniform(1.5, 2.5), rng.uniform(0.15, 0.4)
        if name == "power":
            P = dict(E=E, A=1.0, alpha=c0)
            P["A"] = rng.uniform(3, 10) * E / law.predict({**P, "E": 0.0}, C=C[:1])[0]
        else:  # a break in the first third of the range, flattening or steepening by 50-80%
            lo, hi = np.log(1e18), np.log(1e23)
            P = dict(a=E, b=1.0, c0=c0, c1=rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 0.8) * c0,
                     d1=float(np.exp(lo + rng.uniform(0.15, 0.35) * (hi - lo))), f1=rng.uniform(0.2, 1.0))
            P["b"] = rng.uniform(3, 10) * E / law.predict({**P, "a": 0.0}, C=C[:1])[0]
        y = law.predict(P, C=C) * np.exp(rng.normal(0, NOISE, C.size))
        return pd.DataFrame({"C": C, "loss": y}), laws, {"x": "C"}, P
    if name in ("chinchilla", "kaplan"):
        runs = []
        for C in np.logspace(18, 22, 9):
            for N in np.sqrt(C / 6 / 20) * np.logspace(-0.6, 0.6, 5) * 10 ** rng.uniform(-0.05, 0.05):
                runs.append((N, C / 6 / N))
        N, D = np.array(runs).T
        if name == "chinchilla":
            P = dict(E=rng.uniform(1.6, 2.0), A=rng.uniform(300, 600), B=rng.uniform(300, 600),
                     alpha=rng.uniform(0.28, 0.38), beta=rng.uniform(0.26, 0.34))
        else:  # around Kaplan et al.'s published values
            P = dict(N_c=8.8e13 * rng.uniform(0.5, 2), D_c=5.4e13 * rng.uniform(0.5, 2),
                     alpha_N=rng.uniform(0.06, 0.1), alpha_D=rng.uniform(0.08, 0.12))
        y = law.predict(P, N=N, D=D) * np.exp(rng.normal(0, NOISE, N.size))
        return pd.DataFrame({"N": N, "D": D, "C": 6 * N * D, "loss": y}), laws, {}, P
    C = _budgets(rng, 30)
    if name == "sigmoid":
        P = dict(R0=rng.uniform(0.05, 0.15), A=rng.uniform(0.7, 0.9), C_mid=10 ** rng.uniform(19.5, 20.5),
                 B=rng.uniform(0.6, 1.2))
    else:
        b = rng.uniform(0.08, 0.12)
        P = dict(a=0.1 - 18 * b, b=b)
    y = law.predict(P, C=C) + rng.normal(0, NOISE, C.size)
    return pd.DataFrame({"C": C, "y": y}), laws, {"x": "C"}, P
