"""The hard-fit suite: real data sets that are weakly identified, and synthetic ones with known truth.

Each :class:`Case` is a data set, a law and the fit arguments a new user would pass (defaults
unless the data need a bound, as a pass rate in [0, 1] does). ``benchmarks/bench_hard.py`` runs
every case; ``tests/test_hard_fits.py`` runs the fast ones. Why each case is hard is in its
``note`` (and in ``data/README.md`` for the real sets).

Synthetic cases draw their noise from a fixed seed, so a case is the same data on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np
import pandas as pd

import scalinglaws as sl

RATE = {"R0": (0.0, 1.0), "A": (0.0, 1.0)}
HOFFMANN = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
MUENNIGHOFF = {"E": float(np.exp(0.6254804)), "A": float(np.exp(6.255414)), "B": float(np.exp(7.3049974)),
               "alpha": 0.3526596, "beta": 0.3526596, "R_D_star": 15.387756, "R_N_star": 5.309743}
SCALERL = {"R0": 0.40, "A": 0.64, "C_mid": 1.1e4, "B": 1.7}


@dataclass(frozen=True)
class Case:
    """One hard fit: ``data()`` gives the table, ``law`` and ``kwargs`` go to ``sl.fit``."""

    name: str
    data: Callable[[], pd.DataFrame]
    law: object
    kwargs: dict = field(default_factory=dict)
    note: str = ""
    truth: dict | None = None  # known parameters (synthetic cases)
    fast: bool = False  # in the test subset

    @property
    def law_name(self) -> str:
        return self.law if isinstance(self.law, str) else self.law.name

    def fit(self, **extra):
        return sl.fit(self.data(), self.law, **{**self.kwargs, **extra})


# --------------------------------------------------------------------------------------------
# synthetic data with known truth
# --------------------------------------------------------------------------------------------
def _noisy_loss(truth, law, seed, sigma, **inputs):
    rng = np.random.default_rng(seed)
    loss = sl.laws.get(law).predict(truth, **inputs)
    return loss * np.exp(sigma * rng.standard_normal(loss.shape))


def synthetic_chinchilla_3_sizes(seed: int = 0) -> pd.DataFrame:
    """Three model sizes, six token counts each (D/N 2.5 to 250), 1% lognormal noise."""
    N = np.repeat([1e8, 4e8, 1.6e9], 6)
    D = N * np.tile(np.geomspace(2.5, 250.0, 6), 3)
    return pd.DataFrame({"N": N, "D": D, "loss": _noisy_loss(HOFFMANN, "chinchilla", seed, 0.01, N=N, D=D)})


def synthetic_chinchilla_short_runs(seed: int = 0) -> pd.DataFrame:
    """Five small models, each trained briefly (D/N 5 to 40): the D term barely varies."""
    N = np.repeat(np.geomspace(5e7, 8e8, 5), 3)
    D = N * np.tile([5.0, 13.0, 40.0], 5)
    return pd.DataFrame({"N": N, "D": D, "loss": _noisy_loss(HOFFMANN, "chinchilla", seed, 0.01, N=N, D=D)})


POWER_TRUTH = {"E": 2.0, "A": 752.0, "alpha": 0.15}


def synthetic_power_6_points(seed: int = 0) -> pd.DataFrame:
    """Six budgets over three decades, 0.5% noise: E and A trade off along a ridge."""
    C = np.geomspace(1e18, 1e21, 6)
    return pd.DataFrame({"C": C, "loss": _noisy_loss(POWER_TRUTH, "power", seed, 0.005, C=C)})


def synthetic_sigmoid_below_ceiling(seed: int = 0) -> pd.DataFrame:
    """A ScaleRL-form pass rate observed only up to its midpoint: the ceiling lies beyond the data."""
    rng = np.random.default_rng(seed)
    C = np.geomspace(1.5e3, 1.1e4, 20)
    p = sl.laws.get("sigmoid").predict(SCALERL, C=C)
    return pd.DataFrame({"C": C, "y": rng.binomial(1000, p) / 1000})


def synthetic_data_constrained(seed: int = 0) -> pd.DataFrame:
    """Muennighoff et al.'s fitted law on a grid of 3 sizes x 2 unique-token budgets x 5 epochs."""
    N, U, ep = (a.ravel() for a in np.meshgrid([1e8, 5e8, 2.5e9], [2e9, 2e10], [1.0, 2.0, 4.0, 16.0, 64.0],
                                               indexing="ij"))
    D = U * ep
    loss = _noisy_loss(MUENNIGHOFF, "data_constrained", seed, 0.01, N=N, D=D, U=U)
    return pd.DataFrame({"N": N, "D": D, "U": U, "loss": loss})


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------
def _load(name):
    return lambda: sl.datasets.load(name)


def marin_best_per_budget() -> pd.DataFrame:
    df = sl.datasets.load("marin-comma")
    return df.loc[df.groupby("budget")["loss"].idxmin()].reset_index(drop=True)


def obsscaling_hellaswag() -> pd.DataFrame:
    return sl.datasets.load("obsscaling").dropna(subset=["C", "HellaSwag"]).reset_index(drop=True)


def datablations_large_one_epoch_c4() -> pd.DataFrame:
    df = sl.datasets.load("colpret-datablations")
    return df[(df.dataset == "c4") & (df.epochs == 1)].reset_index(drop=True)


def olmo_1b_late() -> pd.DataFrame:
    df = sl.datasets.load("colpret-olmo")
    return df[(df.model == "OLMo-1B") & (df.D >= 1e11)].reset_index(drop=True)


def porian(config: str, dataset: str = "RefinedWeb", min_tokens_per_param: float = 0.0):
    def build():
        df = sl.datasets.load("porian-isoflops")
        keep = (df.config == config) & (df.dataset == dataset) & (df.D >= min_tokens_per_param * df.N)
        return df[keep].reset_index(drop=True)

    return build


def routing_selection(router: str = "S-Base") -> pd.DataFrame:
    """Clark et al.'s example selection: routing frequency 1/2, k = 1, seed 42, with the dense
    runs standing in as E = 1."""
    df = sl.datasets.load("routing-moe")
    keep = (df.k == 1) & (df.routing_frequency == 0.5) & (df.seed == 42) & df.router_type.isin([router, "Dense"])
    return df[keep].reset_index(drop=True)


def routing_dense() -> pd.DataFrame:
    df = routing_selection()
    return df[df.router_type == "Dense"].reset_index(drop=True)


def hex_board(size: int) -> Callable[[], pd.DataFrame]:
    def build():
        df = sl.datasets.load("hex-frontier")
        return df[df.boardsize == size].reset_index(drop=True)

    return build


def _routing_law():
    """log10 L = a log10 N + b log10 Ehat + c log10 N log10 Ehat + d, with the saturating expert
    count 1/Ehat = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max (Clark et al. 2022, eq. 9)."""

    def fn(p, x):
        inv = 1.0 / (x["experts"] - 1.0 + 1.0 / (1.0 / p["E_start"] - 1.0 / p["E_max"])) + 1.0 / p["E_max"]
        le = -jnp.log10(inv)
        ln = jnp.log10(x["N"])
        return 10.0 ** (p["a"] * ln + p["b"] * le + p["c"] * ln * le + p["d"])

    return sl.laws.custom(
        "routing_saturating", fn, params=["a", "b", "c", "d", "E_start", "E_max"], inputs=["N", "experts"],
        target="loss", space="log", log_params=["E_start", "E_max"],
        grid={"a": [-0.1, -0.05], "b": [-0.15, -0.05], "c": [0.0, 0.01], "d": [1.0, 1.2],
              "E_start": [1.5, 2.0, 4.0], "E_max": [64.0, 256.0, 1024.0]},
        formula="log10 L = a log10 N + b log10 Ehat + c log10 N log10 Ehat + d",
    )


ROUTING_LAW = _routing_law()


CASES: tuple[Case, ...] = (
    Case("chinchilla-240", _load("chinchilla-240"), "chinchilla", fast=True,
         note="the set the engine was tuned on"),
    Case("datablations", _load("datablations"), "chinchilla", {"x": ["N", "D"]}, fast=True,
         note="repeated data bends the D term"),
    Case("datablations (data-constrained)", _load("datablations"), "data_constrained",
         note="7 parameters, R_N* weakly identified"),
    Case("marin-comma best per budget", marin_best_per_budget, "power", {"x": "C"}, fast=True,
         note="7 points, E and A trade off"),
    Case("marin-dclm", _load("marin-dclm"), "chinchilla", fast=True, note="isoFLOP grid, 85 runs"),
    Case("obsscaling HellaSwag", obsscaling_hellaswag, "sigmoid", {"x": "C", "y": "HellaSwag"}, fast=True,
         note="noisy, family effects dominate"),
    Case("colpret OPT checkpoints", _load("colpret-opt"), "chinchilla", fast=True,
         note="E -> 0 ridge; D varies only along the curves"),
    Case("colpret datablations 1 epoch c4", datablations_large_one_epoch_c4, "chinchilla",
         note="3 sizes: alpha runs off"),
    Case("colpret OLMo-1B late", olmo_1b_late, "power", {"x": "D"}, fast=True,
         note="one size, E -> 0"),
    Case("colpret GPT-3 val", lambda: sl.datasets.load("colpret-gpt3").query("split == 'val'").reset_index(drop=True),
         "chinchilla", note="6,506 digitised points, every run ends near 300B tokens"),
    Case("porian tuned_no_decay RW", porian("tuned_no_decay"), "chinchilla", fast=True,
         note="all 121 points incl. D/N < 1: E above the best loss"),
    Case("porian tuned_no_decay RW D/N >= 1", porian("tuned_no_decay", min_tokens_per_param=1.0), "chinchilla",
         note="97 points"),
    Case("porian reproducing_kaplan OWT2 D/N >= 1", porian("reproducing_kaplan", "OpenWebText2", 1.0),
         "chinchilla", note="Kaplan protocol: train loss, non-embedding N"),
    Case("routing-moe S-Base (custom)", routing_selection, ROUTING_LAW, fast=True,
         note="saturation parameters barely identified"),
    Case("routing-moe dense", routing_dense, "power", {"x": "N"}, fast=True, note="5 points"),
    Case("hex-frontier board 9", hex_board(9), "sigmoid", {"x": "C", "y": "elo"}, fast=True,
         note="the ceiling (perfect play) not yet reached"),
    Case("synthetic chinchilla 3 sizes", synthetic_chinchilla_3_sizes, "chinchilla", truth=HOFFMANN, fast=True,
         note="18 points"),
    Case("synthetic chinchilla short runs", synthetic_chinchilla_short_runs, "chinchilla", truth=HOFFMANN,
         fast=True, note="15 points, D/N 5-40"),
    Case("synthetic power 6 points", synthetic_power_6_points, "power", {"x": "C"}, truth=POWER_TRUTH, fast=True),
    Case("synthetic sigmoid ceiling beyond data", synthetic_sigmoid_below_ceiling, "sigmoid",
         {"x": "C", "bounds": RATE}, truth=SCALERL, fast=True, note="data end at the midpoint"),
    Case("synthetic data-constrained", synthetic_data_constrained, "data_constrained", truth=MUENNIGHOFF,
         note="30 points, 7 parameters"),
)


def get(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f"no hard case {name!r}; have {[c.name for c in CASES]}")
