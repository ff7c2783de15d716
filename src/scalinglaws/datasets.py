"""Shipped real scaling data sets, with provenance.

Every data set is a CSV under the project's ``data/`` folder, copied byte for byte (or, where
stated, extracted) from a public repository; ``data/README.md`` gives each file's source
repository, commit, paper and license. This module turns those files into tidy
:class:`pandas.DataFrame` objects with documented columns and units::

    import scalinglaws as sl

    sl.datasets.list()                       # one row per data set: name, rows, columns, ...
    df = sl.datasets.load("chinchilla")      # N, D, C, loss (245 rows)
    sl.datasets.path("chinchilla")           # the CSV that load() parsed

Conventions, for every data set:

- ``N`` is parameters, ``D`` training tokens, ``C`` training compute in FLOP (not 1e21 FLOP, not
  GFLOP), ``loss`` a validation cross-entropy in nats per token.
- Physical quantities are float64 (products such as N * D overflow int64 near 1e19, which
  the Marin exports reach); integer identifiers and counts (board size, run, iteration, layers,
  batch size, steps) are int64; labels are strings; dates are ``datetime64[ns]``.
- :func:`load` returns a fresh copy on each call: mutating it never changes the next load.
- Each upstream header is checked against the exact column list this module was written for,
  so a changed upstream file fails loudly instead of being silently misread.

Locating ``data/``: the ``SCALINGLAWS_DATA`` environment variable, when set, is the only place
searched. Otherwise the package ``scalinglaws.data``, which is the repository's ``data/``
installed (``pyproject.toml`` maps it; regular and editable installs alike), read through
``importlib.resources``; and, for a source tree used without installing it (``PYTHONPATH=src``),
the ``data/`` next to ``src/``.
"""

from __future__ import annotations

import builtins
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .compute import tokens_for, training_compute

# "list" is public (sl.datasets.list()) but kept out of __all__ so that a star import cannot
# shadow the builtin in the importer's namespace.
__all__ = ["ENV_VAR", "OBSSCALING_BENCHMARKS", "UnknownDatasetError", "load", "path"]

ENV_VAR = "SCALINGLAWS_DATA"


class UnknownDatasetError(KeyError, ValueError):
    """Raised for a data set name that is not shipped; the message lists the valid names.

    Subclasses both KeyError (a lookup by name failed) and ValueError (a bad argument value),
    so either ``except`` clause catches it.
    """

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------------------------
# Locating files


def _candidate_dirs() -> builtins.list[Path]:
    """Directories that may hold the shipped data, in search order."""
    override = os.environ.get(ENV_VAR)
    if override:
        # An explicit override must not silently fall back to another copy of the data.
        return [Path(override).expanduser()]
    dirs = []
    try:
        from importlib import resources

        dirs.append(Path(str(resources.files("scalinglaws.data"))))
    except ModuleNotFoundError:  # a source tree on PYTHONPATH, not installed
        pass
    source = Path(__file__).resolve().parents[2] / "data"
    if source not in dirs:
        dirs.append(source)
    return dirs


def _locate(relpath: str) -> Path:
    """Absolute path of a data file given relative to ``data/``; FileNotFoundError if absent."""
    searched = _candidate_dirs()
    for directory in searched:
        candidate = directory / relpath
        if candidate.is_file():
            return candidate
    where = ", ".join(str(d) for d in searched)
    hint = f" (from ${ENV_VAR})" if os.environ.get(ENV_VAR) else f"; set ${ENV_VAR} to override"
    raise FileNotFoundError(f"data file {relpath!r} not found in: {where}{hint}")


# --------------------------------------------------------------------------------------------
# Small parsing helpers


def _read_csv(file: Path, expected: builtins.list[str], **kwargs) -> pd.DataFrame:
    """Read a CSV and insist that its header is exactly ``expected`` (names and order)."""
    frame = pd.read_csv(file, **kwargs)
    found = [str(c) for c in frame.columns]
    if found != expected:
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        raise ValueError(
            f"{file}: header changed upstream; expected {expected}, found {found} "
            f"(missing {missing}, unexpected {extra})"
        )
    return frame


def _float(series: pd.Series) -> pd.Series:
    return series.astype("float64")


def _int(series: pd.Series) -> pd.Series:
    if series.isna().any():
        raise ValueError(f"column {series.name!r} has blank cells where integers are required")
    return series.astype("int64")


def _str(series: pd.Series) -> pd.Series:
    return series.astype("str").where(series.notna())


def _dates(series: pd.Series) -> pd.Series:
    """ISO dates (YYYY-MM-DD) to datetime64[ns]; blanks become NaT, anything else raises."""
    return pd.to_datetime(series, format="%Y-%m-%d").astype("datetime64[ns]")


def _decimal_year(dates: pd.Series) -> pd.Series:
    """Calendar year as a float (2020-07-02 -> about 2020.5), for trend fits in years."""
    days_in_year = np.where(dates.dt.is_leap_year, 366.0, 365.0)
    return (dates.dt.year + (dates.dt.day_of_year - 1) / days_in_year).astype("float64")


def _usd(series: pd.Series) -> pd.Series:
    """Prices such as "$1,234.50" to float USD; blanks become NaN, anything else raises."""
    text = series.astype("str").where(series.notna())
    cleaned = text.str.replace("$", "", regex=False).str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(cleaned, errors="raise").astype("float64")


def _checked(series: pd.Series) -> pd.Series:
    """Airtable checkbox exports ("checked" or blank) to bool."""
    values = set(series.dropna().unique())
    if not values <= {"checked"}:
        raise ValueError(f"column {series.name!r}: unexpected checkbox values {sorted(values)}")
    return series.eq("checked").fillna(False).astype("bool")


# --------------------------------------------------------------------------------------------
# Chinchilla (Hoffmann et al. 2022, digitised by Epoch AI)

_CHINCHILLA_COLUMNS = ["x", "y", "color", "Model Size", "Training FLOP", "hex_color", "loss"]
_CHINCHILLA_EXCLUDED = 5
_CHINCHILLA_KEPT = 240


def _chinchilla(file: Path) -> pd.DataFrame:
    """N = Model Size, C = Training FLOP, D = C / (6 N), loss; the file's 245 rows in order."""
    raw = _read_csv(file, _CHINCHILLA_COLUMNS)
    n = _float(raw["Model Size"])
    c = _float(raw["Training FLOP"])
    return pd.DataFrame({"N": n, "D": tokens_for(c, n), "C": c, "loss": _float(raw["loss"])})


def _chinchilla_240(file: Path) -> pd.DataFrame:
    """The 240 rows Epoch fits: their notebook's exclusion rule, reproduced exactly.

    data_analysis.ipynb sets nr_of_models_excluded = 5 and keeps
    ``[i for i in range(len(N)) if losses[i] < sorted_losses[-nr_of_models_excluded]]``:
    rows whose loss is strictly below the 5th-largest loss. Ties at that value would drop more
    than 5 rows, so the count is checked rather than assumed.
    """
    full = _chinchilla(file)
    threshold = np.sort(full["loss"].to_numpy())[-_CHINCHILLA_EXCLUDED]
    kept = full[full["loss"] < threshold].reset_index(drop=True)
    if len(kept) != _CHINCHILLA_KEPT:
        raise ValueError(
            f"{file}: Epoch's exclusion rule kept {len(kept)} rows, expected {_CHINCHILLA_KEPT}"
        )
    return kept


# --------------------------------------------------------------------------------------------
# Data-constrained scaling (Muennighoff et al. 2023)

_DATABLATIONS_COLUMNS = ["name", "params", "tokens", "unique_tokens", "epochs", "loss"]


def _datablations(file: Path) -> pd.DataFrame:
    """N = params, D = tokens, U = unique_tokens, loss (C4 validation, nats), epochs, name."""
    raw = _read_csv(file, _DATABLATIONS_COLUMNS, dtype={"name": "str"})
    frame = pd.DataFrame(
        {
            "N": _float(raw["params"]),
            "D": _float(raw["tokens"]),
            "U": _float(raw["unique_tokens"]),
            "loss": _float(raw["loss"]),
            "epochs": _float(raw["epochs"]),
            "name": _str(raw["name"]),
        }
    )
    # Another public copy of these rows has tokens and unique_tokens swapped; unique tokens can
    # never exceed tokens seen, so this catches that copy being dropped in by mistake.
    swapped = frame["U"] > frame["D"]
    if swapped.any():
        names = frame.loc[swapped, "name"].tolist()[:5]
        raise ValueError(
            f"{file}: unique_tokens > tokens in {int(swapped.sum())} rows (e.g. {names}); "
            "are the tokens and unique_tokens columns swapped?"
        )
    # epochs is printed rounded (e.g. 60.6667), so compare loosely.
    if not np.allclose(frame["epochs"], frame["D"] / frame["U"], rtol=1e-4, atol=0.0):
        raise ValueError(f"{file}: epochs column disagrees with tokens / unique_tokens")
    return frame


# --------------------------------------------------------------------------------------------
# Marin isoFLOP ladders (Open-Athena export of Marin's "scaling ladder" runs)

# Each export orders its columns differently; nemotron names its learning-rate column
# "learning_rate" (and leaves it blank) where the others use "optimizer.learning_rate".
_MARIN_COLUMNS = {
    "comma": [
        "Name", "parameter_count", "throughput/total_tokens", "throughput/total_gflops",
        "eval/paloma/macro_loss", "trainer.train_batch_size", "trainer.num_train_steps",
        "optimizer.learning_rate", "model.hidden_dim", "model.num_layers",
    ],
    "dclm": [
        "Name", "parameter_count", "throughput/total_tokens", "eval/paloma/macro_loss",
        "throughput/total_gflops", "trainer.train_batch_size", "optimizer.learning_rate",
        "trainer.num_train_steps", "model.num_layers", "model.hidden_dim",
    ],
    "nemotron": [
        "Name", "parameter_count", "throughput/total_tokens", "eval/paloma/macro_loss",
        "throughput/total_gflops", "trainer.train_batch_size", "trainer.num_train_steps",
        "learning_rate", "model.hidden_dim", "model.num_layers",
    ],
}
_MARIN_LR_COLUMN = {
    "comma": "optimizer.learning_rate",
    "dclm": "optimizer.learning_rate",
    "nemotron": "learning_rate",
}
# e.g. "isoflop-3e+19-d2304-L23-B64-dclm-default" -> "3e+19"
_MARIN_BUDGET = re.compile(r"^isoflop-(\d+(?:\.\d+)?e[+-]?\d+)-")
# The budget in a run name is Marin's own FLOP count, about 2ND; the nominal 6ND is 3x that.
_MARIN_BUDGET_FACTOR = 3.0


def _marin_budget(names: pd.Series) -> pd.Series:
    """Nominal 6ND isoFLOP budget (FLOP) from run names: 3 x the number after "isoflop-"."""
    encoded = names.str.extract(_MARIN_BUDGET, expand=False)
    if encoded.isna().any():
        bad = names[encoded.isna()].tolist()[:5]
        raise ValueError(f"run names without an isoflop budget: {bad}")
    return _MARIN_BUDGET_FACTOR * encoded.astype("float64")


def _marin(mixture: str) -> Callable[[Path], pd.DataFrame]:
    def build(file: Path) -> pd.DataFrame:
        """IsoFLOP-grid runs only, sorted by (budget, N); C = 6 N D in FLOP."""
        raw = _read_csv(file, _MARIN_COLUMNS[mixture], dtype={"Name": "str"})
        # Validation-optimal runs re-train a chosen size off the grid; they would add a second
        # point at one budget and bias isoFLOP-profile minima.
        grid = raw[~raw["Name"].str.contains("validation-optimal", regex=False)]
        n = _float(grid["parameter_count"])
        d = _float(grid["throughput/total_tokens"])
        frame = pd.DataFrame(
            {
                "name": _str(grid["Name"]),
                "budget": _marin_budget(grid["Name"]),
                "N": n,
                "D": d,
                "C": training_compute(n, d),
                "loss": _float(grid["eval/paloma/macro_loss"]),
                "hidden_dim": _int(grid["model.hidden_dim"]),
                "layers": _int(grid["model.num_layers"]),
                "batch_size": _int(grid["trainer.train_batch_size"]),
                "learning_rate": _float(grid[_MARIN_LR_COLUMN[mixture]]),
                "steps": _int(grid["trainer.num_train_steps"]),
            }
        )
        return frame.sort_values(["budget", "N"], kind="stable").reset_index(drop=True)

    return build


# --------------------------------------------------------------------------------------------
# Hex (Jones 2021, AlphaZero on Hex; extracted from the repository's vector figure)

_HEX_FRONTIER_COLUMNS = [
    "boardsize", "grid_index", "log10_train_flops", "train_flops", "elo_vs_perfect",
]
_HEX_RUNS_COLUMNS = [
    "boardsize", "run", "point_index", "log10_train_flops", "train_flops", "elo_vs_perfect",
]


def _hex_frontier(file: Path) -> pd.DataFrame:
    """boardsize, C (train FLOP), log10_C, elo (vs perfect play, <= 0), grid_index."""
    raw = _read_csv(file, _HEX_FRONTIER_COLUMNS)
    return pd.DataFrame(
        {
            "boardsize": _int(raw["boardsize"]),
            "C": _float(raw["train_flops"]),
            "log10_C": _float(raw["log10_train_flops"]),
            "elo": _float(raw["elo_vs_perfect"]),
            "grid_index": _int(raw["grid_index"]),
        }
    )


def _hex_runs(file: Path) -> pd.DataFrame:
    """boardsize, run, point_index, C (train FLOP), log10_C, elo (vs perfect play, <= 0)."""
    raw = _read_csv(file, _HEX_RUNS_COLUMNS)
    return pd.DataFrame(
        {
            "boardsize": _int(raw["boardsize"]),
            "run": _int(raw["run"]),
            "point_index": _int(raw["point_index"]),
            "C": _float(raw["train_flops"]),
            "log10_C": _float(raw["log10_train_flops"]),
            "elo": _float(raw["elo_vs_perfect"]),
        }
    )


# --------------------------------------------------------------------------------------------
# Observational scaling (Ruan, Maddison, Hashimoto 2024)

OBSSCALING_BENCHMARKS = (
    "MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd", "HumanEval",
)
_OBSSCALING_COLUMNS = [
    "Model", "Model Family", "Model Size (B)", "Pretraining Data Size (T)", "FLOPs (1E21)",
    *OBSSCALING_BENCHMARKS,
]
# Upstream errors corrected in load(); the raw CSV is shipped unchanged (see data/README.md).
# BTLM-3B-8K was trained on 627 BILLION SlimPajama tokens (Dey et al. 2023, arXiv:2309.11568);
# the file says 627 trillion, which puts it at 1.1e25 FLOP, 1000x too high.
_OBSSCALING_ERRATA = {
    "cerebras/btlm-3b-8k-base": {"Pretraining Data Size (T)": (627.0, 0.627)},
}


def _apply_errata(raw: pd.DataFrame, file: Path) -> pd.DataFrame:
    fixed = raw.copy()
    for model, changes in _OBSSCALING_ERRATA.items():
        rows = fixed["Model"] == model
        if rows.sum() != 1:
            raise ValueError(f"{file}: erratum for {model!r} matches {int(rows.sum())} rows")
        for column, (published, corrected) in changes.items():
            value = float(fixed.loc[rows, column].iloc[0])
            # Apply only to the value the erratum was written for: if upstream fixes it, stop.
            if value == published:
                fixed.loc[rows, column] = corrected
    return fixed


def _obsscaling(file: Path) -> pd.DataFrame:
    """model, family, N, D, C (FLOP = 6ND), then the 8 benchmark accuracies in [0, 1]."""
    raw = _apply_errata(_read_csv(file, _OBSSCALING_COLUMNS), file)
    n = _float(raw["Model Size (B)"]) * 1e9
    d = _float(raw["Pretraining Data Size (T)"]) * 1e12
    # The file's FLOPs column is exactly 6ND (in 1e21 FLOP) wherever both are given; recompute
    # from N and D only where an erratum changed D, so every other row keeps the published value.
    c = _float(raw["FLOPs (1E21)"]) * 1e21
    corrected = raw["Model"].isin(_OBSSCALING_ERRATA.keys())
    c = c.where(~corrected, training_compute(n, d))
    frame = pd.DataFrame(
        {"model": _str(raw["Model"]), "family": _str(raw["Model Family"]), "N": n, "D": d, "C": c}
    )
    for bench in OBSSCALING_BENCHMARKS:
        scores = _float(raw[bench])
        if ((scores < 0) | (scores > 1)).any():
            raise ValueError(f"{file}: {bench} scores outside [0, 1]")
        frame[bench] = scores
    return frame


# --------------------------------------------------------------------------------------------
# Porian et al. 2024: isoFLOP slices of one model grid under 15 training protocols

_PORIAN_KEYS = ["config", "dataset", "hparams", "warmup", "decay", "param_count", "loss_split"]
_PORIAN_POINTS_COLUMNS = [*_PORIAN_KEYS, "flops_budget", "N", "D", "loss", "budget_in_fit"]
_PORIAN_OPTIMA_COLUMNS = [
    *_PORIAN_KEYS, "flops_budget", "N_opt", "D_opt", "tokens_per_param_opt", "loss_opt",
    "log_N_opt_bootstrap_std", "log_D_opt_bootstrap_std",
]
_PORIAN_EXPONENTS_COLUMNS = [
    "config", "dataset", "a_N_opt_exponent", "a_ci_lo", "a_ci_hi", "a_R2", "b_D_opt_exponent",
    "b_ci_lo", "b_ci_hi", "n_boot", "N_opt_coef", "D_opt_coef",
]


def _porian_keys(raw: pd.DataFrame) -> dict[str, pd.Series]:
    return {c: _str(raw[c]) for c in _PORIAN_KEYS}


def _porian_points(file: Path) -> pd.DataFrame:
    """One row per (configuration, budget, model size): N, D = C / (6 N), C = budget, loss."""
    raw = _read_csv(file, _PORIAN_POINTS_COLUMNS, dtype={c: "str" for c in _PORIAN_KEYS})
    n, d, budget = _float(raw["N"]), _float(raw["D"]), _float(raw["flops_budget"])
    # D is C / (6 N) upstream; a mismatch means the columns were re-derived differently.
    if not np.allclose(training_compute(n, d), budget, rtol=1e-6, atol=0.0):
        raise ValueError(f"{file}: D is not flops_budget / (6 N)")
    return pd.DataFrame({
        **_porian_keys(raw), "budget": budget, "N": n, "D": d, "C": training_compute(n, d),
        "loss": _float(raw["loss"]), "budget_in_fit": _int(raw["budget_in_fit"]).astype(bool),
    })


def _porian_optima(file: Path) -> pd.DataFrame:
    raw = _read_csv(file, _PORIAN_OPTIMA_COLUMNS, dtype={c: "str" for c in _PORIAN_KEYS})
    return pd.DataFrame({
        **_porian_keys(raw), "budget": _float(raw["flops_budget"]), "N_opt": _float(raw["N_opt"]),
        "D_opt": _float(raw["D_opt"]), "tokens_per_param_opt": _float(raw["tokens_per_param_opt"]),
        "loss_opt": _float(raw["loss_opt"]), "log_N_opt_std": _float(raw["log_N_opt_bootstrap_std"]),
        "log_D_opt_std": _float(raw["log_D_opt_bootstrap_std"]),
    })


def _porian_exponents(file: Path) -> pd.DataFrame:
    raw = _read_csv(file, _PORIAN_EXPONENTS_COLUMNS, dtype={"config": "str", "dataset": "str"})
    return pd.DataFrame({
        "config": _str(raw["config"]), "dataset": _str(raw["dataset"]),
        "a": _float(raw["a_N_opt_exponent"]), "a_lower": _float(raw["a_ci_lo"]),
        "a_upper": _float(raw["a_ci_hi"]), "a_r2": _float(raw["a_R2"]),
        "b": _float(raw["b_D_opt_exponent"]), "b_lower": _float(raw["b_ci_lo"]),
        "b_upper": _float(raw["b_ci_hi"]), "n_boot": _int(raw["n_boot"]),
        "N_opt_coef": _float(raw["N_opt_coef"]), "D_opt_coef": _float(raw["D_opt_coef"]),
    })


# --------------------------------------------------------------------------------------------
# ColPret (Choshen et al. 2025): learning curves with checkpoints, few model sizes

_OPT_COLUMNS = ["model", "N", "step", "D", "C", "perplexity", "loss", "is_final"]
_OLMO_COLUMNS = [
    "model", "N", "step", "D", "loss_mc4_en", "loss_c4_en", "loss_wikitext_103", "loss_pile",
    "eval_columns", "is_final",
]
_GPT3_COLUMNS = ["model", "N", "split", "tokens_billions", "D", "loss", "is_final"]
_DATABLATIONS_LARGE_COLUMNS = [
    "run", "tensorboard_id", "dataset", "N", "epochs", "unique_tokens", "D", "loss", "is_final",
]


def _flag(series: pd.Series) -> pd.Series:
    values = set(series.dropna().unique())
    if not values <= {0, 1}:
        raise ValueError(f"column {series.name!r}: expected 0/1 flags, found {sorted(values)}")
    return _int(series).astype(bool)


def _colpret_opt(file: Path) -> pd.DataFrame:
    """model, N, step, D, C = 6 N D, perplexity, loss = ln perplexity, is_final."""
    raw = _read_csv(file, _OPT_COLUMNS, dtype={"model": "str"})
    n, d = _float(raw["N"]), _float(raw["D"])
    return pd.DataFrame({
        "model": _str(raw["model"]), "N": n, "step": _int(raw["step"]), "D": d, "C": training_compute(n, d),
        "perplexity": _float(raw["perplexity"]), "loss": _float(raw["loss"]), "is_final": _flag(raw["is_final"]),
    })


def _colpret_olmo(file: Path) -> pd.DataFrame:
    """model, N, step, D, C = 6 N D, four validation losses (loss = mc4_en), eval_columns, is_final."""
    raw = _read_csv(file, _OLMO_COLUMNS, dtype={"model": "str", "eval_columns": "str"})
    n, d = _float(raw["N"]), _float(raw["D"])
    return pd.DataFrame({
        "model": _str(raw["model"]), "N": n, "step": _int(raw["step"]), "D": d, "C": training_compute(n, d),
        "loss": _float(raw["loss_mc4_en"]), "loss_c4_en": _float(raw["loss_c4_en"]),
        "loss_wikitext_103": _float(raw["loss_wikitext_103"]), "loss_pile": _float(raw["loss_pile"]),
        "eval_columns": _str(raw["eval_columns"]), "is_final": _flag(raw["is_final"]),
    })


def _colpret_gpt3(file: Path) -> pd.DataFrame:
    """model, N, split (train / val), D, C = 6 N D, loss, is_final (digitised curves)."""
    raw = _read_csv(file, _GPT3_COLUMNS, dtype={"model": "str", "split": "str"})
    n, d = _float(raw["N"]), _float(raw["D"])
    return pd.DataFrame({
        "model": _str(raw["model"]), "N": n, "split": _str(raw["split"]), "D": d, "C": training_compute(n, d),
        "loss": _float(raw["loss"]), "is_final": _flag(raw["is_final"]),
    })


def _colpret_datablations(file: Path) -> pd.DataFrame:
    """run, dataset (c4 / oscar), N, epochs, U (unique tokens), D (tokens seen), C = 6 N D,
    loss, is_final, tensorboard_id."""
    raw = _read_csv(file, _DATABLATIONS_LARGE_COLUMNS,
                    dtype={"run": "str", "tensorboard_id": "str", "dataset": "str"})
    n, d = _float(raw["N"]), _float(raw["D"])
    return pd.DataFrame({
        "run": _str(raw["run"]), "dataset": _str(raw["dataset"]), "N": n, "epochs": _int(raw["epochs"]),
        "U": _float(raw["unique_tokens"]), "D": d, "C": training_compute(n, d), "loss": _float(raw["loss"]),
        "is_final": _flag(raw["is_final"]), "tensorboard_id": _str(raw["tensorboard_id"]),
    })


# --------------------------------------------------------------------------------------------
# Routed language models (Clark et al. 2022): loss vs dense size and expert count

_ROUTING_KEYS = [
    "router_type", "num_experts", "k", "routing_frequency", "flop_increase", "model_size_label",
    "dense_parameter_count", "total_parameter_count", "flops_per_step", "d_model", "num_blocks",
    "num_heads", "kqv_size", "seed",
]
_ROUTING_LOSSES = [
    "loss_validation", "loss_c4", "loss_curation_corpus", "loss_lambada", "loss_pile", "loss_wikitext103",
]
_ROUTING_FINAL_COLUMNS = ["hyper_id", *_ROUTING_KEYS, *_ROUTING_LOSSES, "final_step"]
_ROUTING_CURVE_COLUMNS = ["hyper_id", "step", *_ROUTING_KEYS, *_ROUTING_LOSSES]


def _routing_frame(raw: pd.DataFrame, extra: dict) -> pd.DataFrame:
    frame = {
        "hyper_id": _int(raw["hyper_id"]), **extra,
        "router_type": _str(raw["router_type"]), "experts": _int(raw["num_experts"]), "k": _int(raw["k"]),
        "routing_frequency": _float(raw["routing_frequency"]), "flop_increase": _float(raw["flop_increase"]),
        "model_size_label": _str(raw["model_size_label"]), "N": _float(raw["dense_parameter_count"]),
        "P": _float(raw["total_parameter_count"]), "flops_per_step": _float(raw["flops_per_step"]),
        "d_model": _int(raw["d_model"]), "num_blocks": _int(raw["num_blocks"]), "num_heads": _int(raw["num_heads"]),
        "kqv_size": _int(raw["kqv_size"]), "seed": _int(raw["seed"]),
        "loss": _float(raw["loss_validation"]),
    }
    frame.update({c: _float(raw[c]) for c in _ROUTING_LOSSES[1:]})
    return pd.DataFrame(frame)


def _routing_finals(file: Path) -> pd.DataFrame:
    raw = _read_csv(file, _ROUTING_FINAL_COLUMNS, dtype={"router_type": "str", "model_size_label": "str"})
    return _routing_frame(raw, {"final_step": _int(raw["final_step"])})


def _routing_curves(file: Path) -> pd.DataFrame:
    raw = _read_csv(file, _ROUTING_CURVE_COLUMNS, dtype={"router_type": "str", "model_size_label": "str"})
    return _routing_frame(raw, {"step": _int(raw["step"])})


# --------------------------------------------------------------------------------------------
# Dopamine Atari baselines (aggregated over seeds)

_ATARI_COLUMNS = [
    "game", "agent", "iteration", "frames_end_of_iteration", "mean_return",
    "std_return_across_seeds", "n_seeds",
]


def _atari(file: Path) -> pd.DataFrame:
    """game, agent, iteration, frames (ALE frames at iteration end), mean/std return, n_seeds."""
    raw = _read_csv(file, _ATARI_COLUMNS, dtype={"game": "str", "agent": "str"})
    return pd.DataFrame(
        {
            "game": _str(raw["game"]),
            "agent": _str(raw["agent"]),
            "iteration": _int(raw["iteration"]),
            "frames": _float(raw["frames_end_of_iteration"]),
            "mean_return": _float(raw["mean_return"]),
            "std_return": _float(raw["std_return_across_seeds"]),
            "n_seeds": _int(raw["n_seeds"]),
        }
    )


# --------------------------------------------------------------------------------------------
# Epoch AI databases (CC-BY 4.0)

_CHIPS_COLUMNS = {
    "Hardware name": "hardware_name",
    "Manufacturer": "manufacturer",
    "Type": "type",
    "Release date": "release_date",
    "Release price (USD)": "release_price_usd",
    "FP64 (double precision) performance (FLOP/s)": "fp64_flop_per_s",
    "FP32 (single precision) performance (FLOP/s)": "fp32_flop_per_s",
    "FP16 (half precision) performance (FLOP/s)": "fp16_flop_per_s",
    "TF32 (TensorFloat-32) performance (FLOP/s)": "tf32_flop_per_s",
    "Tensor-FP16/BF16 performance (FLOP/s)": "tensor_fp16_bf16_flop_per_s",
    "FP8 performance (FLOP/s)": "fp8_flop_per_s",
    "INT8 performance (OP/s)": "int8_op_per_s",
    "Memory size per board (Byte)": "memory_bytes",
    "Memory bandwidth (byte/s)": "memory_bandwidth_bytes_per_s",
    "TDP (W)": "tdp_w",
    "Process size (nm)": "process_size_nm",
    "Number of transistors (millions)": "transistors_millions",
    "ML hardware": "ml_hardware",
    "Number of ML models trained": "n_ml_models_trained",
}
_CHIPS_TEXT = ("hardware_name", "manufacturer", "type")

_HARDWARE_PRICES_COLUMNS = {
    "Price source": "price_source",
    "Price date": "price_date",
    "Hardware model": "hardware_model",
    "Manufacturer": "manufacturer",
    "Vendor": "vendor",
    "Location": "location",
    "Price per chip-hour (on-demand)": "price_per_chip_hour_on_demand_usd",
    "Price per chip-hour (1-year CUD)": "price_per_chip_hour_1y_commit_usd",
    "Price per chip-hour (3-year CUD)": "price_per_chip_hour_3y_commit_usd",
    "Price (hardware purchase)": "purchase_price_usd",
    "Notes": "notes",
    "Cloud GPU description": "cloud_gpu_description",
    "Number of GPUs": "n_gpus",
}
_HARDWARE_PRICES_TEXT = (
    "price_source", "hardware_model", "manufacturer", "vendor", "location", "notes",
    "cloud_gpu_description",
)
_HARDWARE_PRICES_USD = (
    "price_per_chip_hour_on_demand_usd", "price_per_chip_hour_1y_commit_usd",
    "price_per_chip_hour_3y_commit_usd", "purchase_price_usd",
)

_MODEL_COSTS_COLUMNS = {
    "Model": "model",
    "Cloud_Cost": "cloud_cost_usd",
    "Hardware_Acquisition_Cost": "hardware_acquisition_cost_usd",
    "Hardware_Capex_Energy_Cost": "hardware_capex_energy_cost_usd",
}

_NOTABLE_MODELS_COLUMNS = {
    "Model": "model",
    "Domain": "domain",
    "Organization": "organization",
    "Publication date": "publication_date",
    "Parameters": "parameters",
    "Training compute (FLOP)": "training_compute_flop",
    "Training dataset size (datapoints)": "training_dataset_size_datapoints",
    "Training time (hours)": "training_time_hours",
    "Training hardware": "training_hardware",
    "Hardware quantity": "hardware_quantity",
    "Hardware utilization (MFU)": "hardware_utilization_mfu",
    "Training compute cost (2023 USD)": "training_compute_cost_2023_usd",
    "Training compute estimation method": "training_compute_estimation_method",
    "Confidence": "confidence",
    "Notability criteria": "notability_criteria",
    "Model accessibility": "model_accessibility",
    "Compute rank when published": "compute_rank_when_published",
    "Foundation model": "foundation_model",
}
_NOTABLE_MODELS_TEXT = (
    "model", "domain", "organization", "training_hardware", "training_compute_estimation_method",
    "confidence", "notability_criteria", "model_accessibility",
)


def _epoch_table(
    file: Path,
    columns: dict[str, str],
    *,
    text: tuple[str, ...] = (),
    usd: tuple[str, ...] = (),
    dates: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Rename an Epoch export to snake_case and type each column; other columns become float64."""
    raw = _read_csv(file, builtins.list(columns), dtype="str", encoding=encoding)
    raw = raw.rename(columns=columns)
    out = {}
    for column in raw.columns:
        series = raw[column]
        if column in text:
            out[column] = _str(series)
        elif column in usd:
            out[column] = _usd(series)
        elif column in dates:
            out[column] = _dates(series)
        elif column in flags:
            out[column] = _checked(series)
        else:
            out[column] = pd.to_numeric(series, errors="raise").astype("float64")
    return pd.DataFrame(out)


def _epoch_chips(file: Path) -> pd.DataFrame:
    frame = _epoch_table(
        file, _CHIPS_COLUMNS, text=_CHIPS_TEXT, usd=("release_price_usd",),
        dates=("release_date",), flags=("ml_hardware",),
    )
    frame["n_ml_models_trained"] = _int(frame["n_ml_models_trained"])
    frame["year"] = _decimal_year(frame["release_date"])
    return frame


def _epoch_hardware_prices(file: Path) -> pd.DataFrame:
    # The export starts with a UTF-8 byte-order mark; utf-8-sig strips it from "Price source".
    frame = _epoch_table(
        file, _HARDWARE_PRICES_COLUMNS, text=_HARDWARE_PRICES_TEXT, usd=_HARDWARE_PRICES_USD,
        dates=("price_date",), encoding="utf-8-sig",
    )
    frame["year"] = _decimal_year(frame["price_date"])
    return frame


def _epoch_model_costs(file: Path) -> pd.DataFrame:
    return _epoch_table(file, _MODEL_COSTS_COLUMNS, text=("model",))


def _epoch_notable_models(file: Path) -> pd.DataFrame:
    frame = _epoch_table(
        file, _NOTABLE_MODELS_COLUMNS, text=_NOTABLE_MODELS_TEXT,
        usd=("training_compute_cost_2023_usd",), dates=("publication_date",),
        flags=("foundation_model",),
    )
    frame["year"] = _decimal_year(frame["publication_date"])
    return frame


# --------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class _Dataset:
    relpath: str
    build: Callable[[Path], pd.DataFrame]
    description: str
    source: str
    license: str


_EPOCH_LICENSE = "CC-BY-4.0 (attribute Epoch AI)"
_HOFFMANN = (
    "Hoffmann et al. 2022 (arXiv:2203.15556) Fig. 4, "
    "digitised by Besiroglu et al. 2024 (arXiv:2404.10102)"
)
_MUENNIGHOFF = "Muennighoff et al. 2023 (arXiv:2305.16264), huggingface/datablations"
_MARIN = "Marin scaling-ladder runs via Open-Athena/scaling-law-analysis"
_JONES = "Jones 2021 (arXiv:2104.03113), andyljones/boardlaw"
_PORIAN = "Porian et al. 2024 (arXiv:2406.19146), formll/resolving-scaling-law-discrepancies"
_COLPRET = "Choshen, Zhang, Andreas 2025 (arXiv:2410.11840), IBM/ColPret"
_CLARK = "Clark et al. 2022 (arXiv:2202.01169), google-deepmind/scaling_laws_for_routing"

_DATASETS: dict[str, _Dataset] = {
    "chinchilla": _Dataset(
        "chinchilla-epoch/svg_extracted_data.csv", _chinchilla,
        "Chinchilla training runs: final loss vs parameters and tokens (all 245 digitised points)",
        _HOFFMANN, "no license file; cite the papers",
    ),
    "chinchilla-240": _Dataset(
        "chinchilla-epoch/svg_extracted_data.csv", _chinchilla_240,
        "Chinchilla runs minus the 5 highest-loss points: the 240 Epoch AI fits",
        _HOFFMANN, "no license file; cite the papers",
    ),
    "datablations": _Dataset(
        "datablations/data_constrained_182.csv", _datablations,
        "Data-constrained runs (repeated epochs over U unique tokens): the 182-row fit set",
        _MUENNIGHOFF, "Apache-2.0",
    ),
    "datablations-all": _Dataset(
        "datablations/data_constrained_all_296.csv", _datablations,
        "Data-constrained runs: all 296 runs including seed repeats and outliers",
        _MUENNIGHOFF, "Apache-2.0",
    ),
    "marin-comma": _Dataset(
        "marin-isoflops/isoflop-comma.csv", _marin("comma"),
        "Marin isoFLOP grid, comma data mixture: Paloma loss vs N, D at 7 budgets",
        _MARIN, "no license file (Marin is Apache-2.0)",
    ),
    "marin-dclm": _Dataset(
        "marin-isoflops/isoflop-dclm.csv", _marin("dclm"),
        "Marin isoFLOP grid, DCLM data mixture: Paloma loss vs N, D at 7 budgets",
        _MARIN, "no license file (Marin is Apache-2.0)",
    ),
    "marin-nemotron": _Dataset(
        "marin-isoflops/isoflop-nemotron.csv", _marin("nemotron"),
        "Marin isoFLOP grid, Nemotron data mixture: Paloma loss vs N, D at 8 budgets",
        _MARIN, "no license file (Marin is Apache-2.0)",
    ),
    "hex-frontier": _Dataset(
        "boardlaw-hex/hex_frontier_elo_vs_flops.csv", _hex_frontier,
        "AlphaZero on Hex: compute frontier of Elo vs train FLOP, board sizes 3-9",
        _JONES, "MIT",
    ),
    "hex-runs": _Dataset(
        "boardlaw-hex/hex_runs_elo_vs_flops.csv", _hex_runs,
        "AlphaZero on Hex: Elo vs train FLOP along each of 195 training runs",
        _JONES, "MIT",
    ),
    "obsscaling": _Dataset(
        "obsscaling/base_llm_benchmark_eval.csv", _obsscaling,
        "Public base LLMs: 8 benchmark accuracies vs pre-training N, D, C (C blank for 25)",
        "Ruan, Maddison, Hashimoto 2024 (arXiv:2405.10938), ryoungj/ObsScaling", "Apache-2.0",
    ),
    "atari": _Dataset(
        "dopamine-atari/dopamine_atari_returns_4games.csv", _atari,
        "Dopamine baselines: Atari training return vs frames, 4 games x 6 agents, 5 seeds",
        "google/dopamine baselines (Castro et al. 2018, arXiv:1812.06110)", "Apache-2.0",
    ),
    "porian-isoflops": _Dataset(
        "porian-isoflops/isoflop_points.csv", _porian_points,
        "IsoFLOP slices of one model grid under 15 training protocols (Kaplan -> Chinchilla stages)",
        _PORIAN, "MIT",
    ),
    "porian-optima": _Dataset(
        "porian-isoflops/compute_optimal_points.csv", _porian_optima,
        "Porian et al.'s stored compute-optimal N, D per protocol and budget (Akima, seed medians)",
        _PORIAN, "MIT",
    ),
    "porian-exponents": _Dataset(
        "porian-isoflops/repo_fit_exponents.csv", _porian_exponents,
        "Porian et al.'s stored exponents a (N_opt ~ C^a), b (D_opt ~ C^b) with bootstrap intervals",
        _PORIAN, "MIT",
    ),
    "colpret-opt": _Dataset(
        "colpret-curves/opt_trajectories.csv", _colpret_opt,
        "OPT checkpoints: validation loss along training, 6 sizes 125M-175B (142 rows)",
        _COLPRET + "; Xia et al. 2022 (arXiv:2212.09803)", "MIT",
    ),
    "colpret-olmo": _Dataset(
        "colpret-curves/olmo_checkpoints.csv", _colpret_olmo,
        "OLMo-1B, 7B, 7B-Twin-2T checkpoints: four validation losses along training",
        _COLPRET + "; AI2 OLMo logs", "MIT",
    ),
    "colpret-gpt3": _Dataset(
        "colpret-curves/gpt3_curves_digitised.csv", _colpret_gpt3,
        "GPT-3 training curves digitised from Brown et al. 2020: 8 sizes, train and val",
        _COLPRET + "; Brown et al. 2020 (arXiv:2005.14165)", "MIT",
    ),
    "colpret-datablations": _Dataset(
        "colpret-curves/datablations_large_curves.csv", _colpret_datablations,
        "Data-constrained learning curves: 3 sizes 2.8B-8.7B x c4/oscar x 8 repetition levels",
        _COLPRET + "; " + _MUENNIGHOFF, "MIT (runs Apache-2.0)",
    ),
    "routing-moe": _Dataset(
        "routing-moe/final_losses.csv", _routing_finals,
        "Routed (MoE) language models: final loss vs dense size N and expert count, 223 runs",
        _CLARK, "CC-BY-4.0 (DeepMind)",
    ),
    "routing-moe-curves": _Dataset(
        "routing-moe/curves.csv", _routing_curves,
        "Routed language models: validation losses every 10,000 steps along each of 223 runs",
        _CLARK, "CC-BY-4.0 (DeepMind)",
    ),
    "epoch-chips": _Dataset(
        "epoch-ml-hardware/chips.csv", _epoch_chips,
        "Epoch AI chip database: release date, price and FLOP/s of 2,098 processors",
        "Epoch AI, epoch-research/training-cost-trends", _EPOCH_LICENSE,
    ),
    "epoch-hardware-prices": _Dataset(
        "epoch-ml-hardware/hardware_prices.csv", _epoch_hardware_prices,
        "Epoch AI hardware prices: purchase prices and cloud chip-hour rates over time",
        "Epoch AI, epoch-research/training-cost-trends", _EPOCH_LICENSE,
    ),
    "epoch-model-costs": _Dataset(
        "epoch-ai-models/frontier_model_costs_cottier2024.csv", _epoch_model_costs,
        "Training cost of frontier models: cloud, hardware acquisition, amortised capex+energy",
        "Cottier et al. 2024 (arXiv:2405.21015), Epoch AI", _EPOCH_LICENSE,
    ),
    "epoch-notable-models": _Dataset(
        "epoch-ai-models/notable_ai_models_compute.csv", _epoch_notable_models,
        "Epoch AI notable models with a training-compute estimate (1950-2025 snapshot)",
        "Epoch AI, epoch-research/training-cost-trends", _EPOCH_LICENSE,
    ),
}


def _spec(name: str) -> _Dataset:
    try:
        return _DATASETS[name]
    except (KeyError, TypeError):
        valid = ", ".join(_DATASETS)
        raise UnknownDatasetError(f"unknown data set {name!r}; valid names: {valid}") from None


@functools.lru_cache(maxsize=None)
def _parsed(name: str, file: Path) -> pd.DataFrame:
    # Keyed on the resolved file too, so changing $SCALINGLAWS_DATA is honoured mid-session.
    spec = _DATASETS[name]
    frame = spec.build(file).reset_index(drop=True)
    frame.attrs = {"dataset": name, "source": spec.source, "license": spec.license,
                   "path": str(file)}
    return frame


# --------------------------------------------------------------------------------------------
# Public API


def path(name: str) -> Path:
    """Absolute path of the CSV that :func:`load` parses for data set ``name``.

    Raises UnknownDatasetError (a KeyError and ValueError) for unknown names and
    FileNotFoundError when the data folder cannot be found.
    """
    return _locate(_spec(name).relpath)


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a tidy DataFrame (a fresh copy on every call).

    Names and columns (units in brackets; see ``data/README.md`` for provenance):

    - ``"chinchilla"``: N [params], D [tokens] = C / (6 N), C [FLOP], loss [nats/token];
      245 rows in the file's order. ``"chinchilla-240"``: the 240 rows Epoch AI fits (the 5
      highest-loss rows dropped by their notebook's rule).
    - ``"datablations"`` (182 rows) / ``"datablations-all"`` (296): N, D, U [unique tokens],
      loss [nats, C4 validation], epochs (= D / U), name. U <= D is checked on load.
    - ``"marin-comma"``, ``"marin-dclm"``, ``"marin-nemotron"``: isoFLOP-grid runs only, sorted by
      budget then N: name, budget [FLOP, nominal 6ND = 3 x the name's budget], N, D,
      C = 6 N D [FLOP], loss [nats, Paloma macro average], hidden_dim, layers, batch_size,
      learning_rate (blank for nemotron upstream), steps.
    - ``"hex-frontier"``: boardsize, C [train FLOP], log10_C, elo [vs perfect play, <= 0],
      grid_index. ``"hex-runs"``: boardsize, run, point_index, C, log10_C, elo.
    - ``"obsscaling"``: model, family, N, D, C [FLOP; NaN for 25 models without a
      pre-training-data figure: filter before fitting], then MMLU, ARC-C, HellaSwag, Winograd,
      TruthfulQA, GSM8K, XWinograd, HumanEval [accuracy in 0..1, some NaN].
    - ``"atari"``: game, agent, iteration, frames [ALE frames at the end of the iteration],
      mean_return, std_return [raw game score, mean and sample std over seeds], n_seeds.
    - ``"porian-isoflops"``: config, dataset, hparams, warmup, decay, param_count, loss_split,
      budget [FLOP], N, D = budget / (6 N), C = 6 N D, loss, budget_in_fit (bool; 15 protocols).
      ``"porian-optima"``: the stored per-budget optima (N_opt, D_opt, tokens_per_param_opt,
      loss_opt, log_N_opt_std, log_D_opt_std); ``"porian-exponents"``: the stored exponents
      a, b with their 2.5/97.5% bounds.
    - ``"colpret-opt"``, ``"colpret-olmo"``, ``"colpret-gpt3"``, ``"colpret-datablations"``:
      learning curves (one row per checkpoint): model or run, N, D [tokens seen], C = 6 N D,
      loss [nats], is_final, plus per-set columns (OLMo: four eval losses, loss = mc4_en;
      GPT-3: split; datablations: dataset, epochs, U [unique tokens]).
    - ``"routing-moe"`` (finals) / ``"routing-moe-curves"``: hyper_id, router_type, experts,
      k, routing_frequency, N [dense parameters per token], P [total parameters], loss
      [validation, nats] and five other eval losses; final_step or step.
    - ``"epoch-chips"``, ``"epoch-hardware-prices"``, ``"epoch-model-costs"``,
      ``"epoch-notable-models"``: Epoch AI tables with snake_case columns, dates as
      datetime64[ns], prices as float USD, checkbox columns as bool, plus ``year`` (decimal
      calendar year of the release / price / publication date) where the table has a date.

    Raises UnknownDatasetError (a KeyError and ValueError) listing the valid names.
    """
    spec_file = path(name)
    return _parsed(name, spec_file).copy(deep=True)


def list() -> pd.DataFrame:  # noqa: A001 - shadowing is the API: sl.datasets.list()
    """One row per shipped data set: name, rows, columns (comma-joined), description, source,
    license. Loads every data set to count rows, so it also checks that each one parses."""
    records = []
    for name, spec in _DATASETS.items():
        frame = _parsed(name, path(name))
        records.append(
            {
                "name": name,
                "rows": len(frame),
                "columns": ",".join(str(c) for c in frame.columns),
                "description": spec.description,
                "source": spec.source,
                "license": spec.license,
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["name", "rows", "columns", "description", "source", "license"]
    )
