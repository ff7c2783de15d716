"""Shipped data sets: row counts, columns, units and the guards documented in data/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalinglaws import datasets

ALL_NAMES = [
    "chinchilla", "chinchilla-240", "datablations", "datablations-all", "marin-comma",
    "marin-dclm", "marin-nemotron", "hex-frontier", "hex-runs", "obsscaling", "atari",
    "epoch-chips", "epoch-hardware-prices", "epoch-model-costs", "epoch-notable-models",
    "porian-isoflops", "porian-optima", "porian-exponents", "colpret-opt", "colpret-olmo",
    "colpret-gpt3", "colpret-datablations", "routing-moe", "routing-moe-curves",
]

# Rows after dropping "validation-optimal" runs: 92-7, 85-0, 96-8.
MARIN_ROWS = {"marin-comma": 85, "marin-dclm": 85, "marin-nemotron": 88}

EXPECTED_ROWS = {
    "chinchilla": 245,
    "chinchilla-240": 240,
    "datablations": 182,
    "datablations-all": 296,
    **MARIN_ROWS,
    "hex-frontier": 707,
    "hex-runs": 2966,
    "obsscaling": 148,
    "atari": 4776,
    "epoch-chips": 2098,
    "epoch-hardware-prices": 591,
    "epoch-model-costs": 82,
    "epoch-notable-models": 988,
    "porian-isoflops": 1745,
    "porian-optima": 173,
    "porian-exponents": 15,
    "colpret-opt": 142,
    "colpret-olmo": 1708,
    "colpret-gpt3": 12097,
    "colpret-datablations": 9261,
    "routing-moe": 223,
    "routing-moe-curves": 5799,
}

FLOAT = "float64"
INT = "int64"
STR = "str"

EXPECTED_DTYPES = {
    "chinchilla": {"N": FLOAT, "D": FLOAT, "C": FLOAT, "loss": FLOAT},
    "datablations": {
        "N": FLOAT, "D": FLOAT, "U": FLOAT, "loss": FLOAT, "epochs": FLOAT, "name": STR,
    },
    "marin-dclm": {
        "name": STR, "budget": FLOAT, "N": FLOAT, "D": FLOAT, "C": FLOAT, "loss": FLOAT,
        "hidden_dim": INT, "layers": INT, "batch_size": INT, "learning_rate": FLOAT,
        "steps": INT,
    },
    "hex-frontier": {
        "boardsize": INT, "C": FLOAT, "log10_C": FLOAT, "elo": FLOAT, "grid_index": INT,
    },
    "hex-runs": {
        "boardsize": INT, "run": INT, "point_index": INT, "C": FLOAT, "log10_C": FLOAT,
        "elo": FLOAT,
    },
    "obsscaling": {
        "model": STR, "family": STR, "N": FLOAT, "D": FLOAT, "C": FLOAT, "MMLU": FLOAT,
        "ARC-C": FLOAT, "HellaSwag": FLOAT, "Winograd": FLOAT, "TruthfulQA": FLOAT,
        "GSM8K": FLOAT, "XWinograd": FLOAT, "HumanEval": FLOAT,
    },
    "atari": {
        "game": STR, "agent": STR, "iteration": INT, "frames": FLOAT, "mean_return": FLOAT,
        "std_return": FLOAT, "n_seeds": INT,
    },
}
EXPECTED_DTYPES["chinchilla-240"] = EXPECTED_DTYPES["chinchilla"]
EXPECTED_DTYPES["datablations-all"] = EXPECTED_DTYPES["datablations"]
EXPECTED_DTYPES["marin-comma"] = EXPECTED_DTYPES["marin-dclm"]
EXPECTED_DTYPES["marin-nemotron"] = EXPECTED_DTYPES["marin-dclm"]


def _dtype_names(frame: pd.DataFrame) -> dict[str, str]:
    # pandas >= 3 infers the "str" dtype for text; older pandas reports object.
    names = {}
    for column, dtype in frame.dtypes.items():
        text = pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        names[column] = STR if text else str(dtype)
    return names


@pytest.mark.parametrize("name", ALL_NAMES)
def test_row_counts(name):
    assert len(datasets.load(name)) == EXPECTED_ROWS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_DTYPES))
def test_columns_and_dtypes(name):
    assert _dtype_names(datasets.load(name)) == EXPECTED_DTYPES[name]


def test_chinchilla_tokens_from_compute():
    df = datasets.load("chinchilla")
    np.testing.assert_allclose(df["D"], df["C"] / (6.0 * df["N"]), rtol=1e-12, atol=0)
    assert df["C"].between(1e18, 2e22).all()
    # File order is kept: the first row is the highest-loss point of the smallest budget.
    assert df["loss"].iloc[0] == pytest.approx(5.005581996196243, rel=1e-15)


def test_chinchilla_240_drops_the_five_highest_losses():
    full = datasets.load("chinchilla")
    kept = datasets.load("chinchilla-240")
    dropped = full.loc[~full["loss"].isin(kept["loss"])]
    assert len(dropped) == 5
    assert dropped["loss"].min() > kept["loss"].max()
    # Epoch's rule, as in their notebook: keep loss < 5th-largest loss, in file order.
    threshold = np.sort(full["loss"].to_numpy())[-5]
    expected = full[full["loss"] < threshold].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, expected)


@pytest.mark.parametrize("name", ["datablations", "datablations-all"])
def test_datablations_unique_tokens_at_most_tokens(name):
    df = datasets.load(name)
    assert (df["U"] <= df["D"]).all()
    np.testing.assert_allclose(df["epochs"], df["D"] / df["U"], rtol=1e-4)


def test_datablations_guard_rejects_swapped_columns(tmp_path, monkeypatch):
    source = datasets.path("datablations")
    raw = pd.read_csv(source)
    swapped = raw.rename(columns={"tokens": "unique_tokens", "unique_tokens": "tokens"})
    target = tmp_path / source.relative_to(source.parents[1])
    target.parent.mkdir(parents=True)
    swapped[raw.columns].to_csv(target, index=False)
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match="swapped"):
        datasets.load("datablations")


@pytest.mark.parametrize("name", sorted(MARIN_ROWS))
def test_marin_isoflop_grid(name):
    df = datasets.load(name)
    assert not df["name"].str.contains("validation-optimal").any()
    np.testing.assert_allclose(df["C"], 6.0 * df["N"] * df["D"], rtol=1e-12)
    # budget = 3 x the name's number; e.g. isoflop-3e+19-... -> 9e19.
    row = df[df["name"].str.startswith("isoflop-3e+19-")].iloc[0]
    assert row["budget"] == pytest.approx(9e19)
    ratio = df["C"] / df["budget"]
    # 6ND tracks the budget within 15% except for the three narrowest widths, where embedding
    # parameters (counted in N, cheap per token) push 6ND 21-35% above Marin's FLOP count.
    wide = df["hidden_dim"] >= 896
    assert ((ratio[wide] - 1).abs() <= 0.15).all()
    assert ratio[~wide].between(1.15, 1.40).all()
    assert df["loss"].between(2.5, 4.5).all()


def test_marin_budgets():
    three_e = [3e18, 9e18, 1.8e19, 3e19, 9e19, 1.8e20, 3e20]
    assert sorted(datasets.load("marin-comma")["budget"].unique()) == pytest.approx(three_e)
    assert sorted(datasets.load("marin-dclm")["budget"].unique()) == pytest.approx(three_e)
    nemotron = sorted(datasets.load("marin-nemotron")["budget"].unique())
    assert nemotron == pytest.approx([1.8e18, *three_e])


def test_obsscaling_units():
    df = datasets.load("obsscaling")
    assert df["C"].max() == pytest.approx(3.645e25)  # Llama-3.1-405B: 6 x 405e9 x 15e12
    assert df["C"].isna().sum() == 25
    known = df.dropna(subset=["C"])
    np.testing.assert_allclose(known["C"], 6.0 * known["N"] * known["D"], rtol=1e-9)
    benchmarks = df[list(datasets.OBSSCALING_BENCHMARKS)]
    assert ((benchmarks >= 0) & (benchmarks <= 1) | benchmarks.isna()).all().all()


def test_obsscaling_btlm_erratum():
    df = datasets.load("obsscaling").set_index("model")
    btlm = df.loc["cerebras/btlm-3b-8k-base"]
    assert btlm["D"] == pytest.approx(0.627e12)
    assert btlm["C"] == pytest.approx(6.0 * 3e9 * 0.627e12)


def test_hex_and_atari_ranges():
    frontier = datasets.load("hex-frontier")
    assert (frontier["elo"] <= 0).all()
    np.testing.assert_allclose(np.log10(frontier["C"]), frontier["log10_C"], atol=1e-5)
    runs = datasets.load("hex-runs")
    assert runs.groupby("boardsize")["run"].nunique().sum() == 195
    atari = datasets.load("atari")
    np.testing.assert_array_equal(atari["frames"], (atari["iteration"] + 1) * 1e6)


def test_epoch_tables_are_typed():
    chips = datasets.load("epoch-chips")
    assert pd.api.types.is_datetime64_dtype(chips["release_date"])
    assert chips["release_price_usd"].dtype == FLOAT
    assert chips["release_price_usd"].dropna().iloc[0] == 329.0  # "$329.00"
    prices = datasets.load("epoch-hardware-prices")
    assert prices.columns[0] == "price_source"  # the byte-order mark is stripped
    assert pd.api.types.is_datetime64_dtype(prices["price_date"])
    notable = datasets.load("epoch-notable-models")
    assert pd.api.types.is_datetime64_dtype(notable["publication_date"])
    assert notable["training_compute_cost_2023_usd"].dtype == FLOAT
    assert notable["foundation_model"].dtype == "bool"
    costs = datasets.load("epoch-model-costs")
    assert costs["hardware_capex_energy_cost_usd"].notna().all()


def test_list_covers_every_name_and_each_loads():
    table = datasets.list()
    assert list(table.columns) == ["name", "rows", "columns", "description", "source", "license"]
    assert sorted(table["name"]) == sorted(ALL_NAMES)
    for record in table.itertuples(index=False):
        frame = datasets.load(record.name)
        assert len(frame) == record.rows
        assert record.columns == ",".join(frame.columns)
        assert record.source and record.license and record.description


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError) as info:
        datasets.load("chinchila")
    message = str(info.value)
    for name in ALL_NAMES:
        assert name in message
    with pytest.raises(ValueError):
        datasets.path("nope")


def test_load_returns_a_fresh_copy():
    first = datasets.load("chinchilla")
    first.loc[0, "loss"] = -1.0
    first["extra"] = 1.0
    second = datasets.load("chinchilla")
    assert second.loc[0, "loss"] == pytest.approx(5.005581996196243)
    assert "extra" not in second.columns
    assert second is not first


def test_path_points_at_shipped_csv():
    csv = datasets.path("marin-dclm")
    assert csv.is_file()
    assert csv.name == "isoflop-dclm.csv"
    assert csv.parent.name == "marin-isoflops"


def test_env_override_is_exclusive(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=datasets.ENV_VAR):
        datasets.path("chinchilla")


def test_changed_upstream_header_fails_loudly(tmp_path, monkeypatch):
    source = datasets.path("hex-frontier")
    target = tmp_path / "boardlaw-hex" / source.name
    target.parent.mkdir()
    text = source.read_text().replace("elo_vs_perfect", "elo", 1)
    target.write_text(text)
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match="header changed"):
        datasets.load("hex-frontier")


def test_porian_isoflops_protocols():
    df = datasets.load("porian-isoflops")
    assert df.groupby(["config", "dataset"]).ngroups == 15
    np.testing.assert_allclose(df["C"], df["budget"], rtol=1e-6)
    budgets = np.sort(df["budget"].unique())
    np.testing.assert_allclose(budgets, 1.25e16 * 2.0 ** np.arange(len(budgets)))
    exps = datasets.load("porian-exponents").set_index(["config", "dataset"])
    # The spread the protocols cause: Kaplan's 0.84 down to Chinchilla's 0.50 (RefinedWeb).
    assert exps.loc[("reproducing_kaplan", "RefinedWeb"), "a"] == pytest.approx(0.8353)
    assert exps.loc[("tuned_no_decay", "RefinedWeb"), "a"] == pytest.approx(0.497, abs=1e-3)
    assert (exps["a_lower"] <= exps["a"]).all() and (exps["a"] <= exps["a_upper"]).all()
    optima = datasets.load("porian-optima")
    assert optima.groupby(["config", "dataset"]).ngroups == 15


def test_colpret_curves_units():
    opt = datasets.load("colpret-opt")
    assert opt["model"].nunique() == 6 and opt["is_final"].sum() == 6
    np.testing.assert_allclose(opt["loss"], np.log(opt["perplexity"]), rtol=1e-6)
    olmo = datasets.load("colpret-olmo")
    assert sorted(olmo["N"].unique()) == [1e9, 7e9]
    gpt3 = datasets.load("colpret-gpt3")
    assert set(gpt3["split"]) == {"train", "val"} and gpt3["N"].nunique() == 8
    big = datasets.load("colpret-datablations")
    assert big["run"].nunique() == 48 and big["N"].nunique() == 3
    finals = big[big["is_final"]]
    np.testing.assert_allclose(finals["D"] / finals["U"], finals["epochs"], rtol=0.02)
    for frame in (opt, olmo, gpt3, big):
        np.testing.assert_allclose(frame["C"], 6.0 * frame["N"] * frame["D"], rtol=1e-12)
        assert frame["loss"].between(0.5, 12.0).all()


def test_routing_moe_finals():
    df = datasets.load("routing-moe")
    assert df["router_type"].value_counts().to_dict() == {"S-Base": 87, "Hash": 69, "RL-R": 54, "Dense": 13}
    assert (df.loc[df["router_type"] == "Dense", "experts"] == 1).all()
    assert df["loss"].notna().all()
    assert (df["P"] >= df["N"]).all()
    curves = datasets.load("routing-moe-curves")
    assert curves["hyper_id"].nunique() == 223
