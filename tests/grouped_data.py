"""Data the grouped-fit tests share: the three Marin mixtures as one table, and synthetic power-law
curves with one known exponent."""

import numpy as np
import pandas as pd

import scalinglaws as sl


def marin() -> pd.DataFrame:
    """The Marin isoFLOP runs of the comma, dclm and nemotron mixtures, with a ``mixture`` column."""
    return pd.concat([sl.datasets.load(f"marin-{m}").assign(mixture=m) for m in ("comma", "dclm", "nemotron")],
                     ignore_index=True)


def synthetic_power(rng, alpha=0.3, G=6, m=10, noise=0.01) -> pd.DataFrame:
    """``G`` curves ``loss = (E_g + A_g C^-alpha) exp(noise z)`` sharing ``alpha``, ``m`` points each,
    with ``family`` (the curve) and ``run`` (pairs of points) columns."""
    frames = []
    for g in range(G):
        x = np.geomspace(1e18, 1e22, m)
        E, A = 1.5 + 0.2 * g, 10.0 ** rng.uniform(6.5, 7.5)
        y = (E + A * x ** -alpha) * np.exp(noise * rng.standard_normal(m))
        frames.append(pd.DataFrame({"C": x, "loss": y, "family": f"f{g}", "run": np.arange(m) // 2}))
    return pd.concat(frames, ignore_index=True)
