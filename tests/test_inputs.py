"""Bad input: one test per defect, each asserting the error type and that the message names the
column and the row (and the ``.column`` / ``.row`` attributes where the code sets them).

The team's bar: "Bad input gets a clear error naming the column and row, never a silent NaN:
non-positive values where logs are taken, NaN or inf, too few points for the law, swapped or
missing columns. Fits that fail to converge or end on a bound are flagged in the result, never
dropped silently."

Every defect is injected into a table that is valid on its own (``test_clean_tables_pass`` is the
control), at a row other than 0 so that a wrong row number cannot pass by accident. Most checks
fail before anything is compiled; the few real fits use small tables of one size per law.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.inputs import prepare

N_ROWS = 12
BAD_ROW = 5  # where defects are injected (not 0, not the last row)

# law -> (extra fit kwargs, input columns, target column, number of parameters)
LAWS = {
    "chinchilla": ({}, ("N", "D"), "loss", 5),
    "power": ({"x": "C"}, ("C",), "loss", 3),
    "sigmoid": ({"x": "C", "y": "pass_rate"}, ("C",), "pass_rate", 4),
    "loglinear": ({"x": "C"}, ("C",), "y", 2),
    "data_constrained": ({}, ("N", "D", "U"), "loss", 7),
}
LOSS_LAWS = ["chinchilla", "power", "data_constrained"]  # fitted on log y: y must be > 0
LINEAR_LAWS = ["sigmoid", "loglinear"]  # fitted on y itself: any finite y is fine
INPUT_CASES = [(law, col) for law, (_, cols, _, _) in LAWS.items() for col in cols]


def table(law: str, n: int = N_ROWS) -> pd.DataFrame:
    """A clean table for ``law`` (noise-free, from plausible parameters)."""
    i = np.arange(n)
    if law in ("chinchilla", "data_constrained"):
        N = np.logspace(7, 9, n)
        D = 20.0 * N
        loss = 1.7 + 400.0 * N**-0.34 + 410.0 * D**-0.28
        if law == "chinchilla":
            return pd.DataFrame({"N": N, "D": D, "loss": loss})
        epochs = np.linspace(1.0, 8.0, n)  # row 0: one epoch, so U == D exactly there
        return pd.DataFrame({"N": N, "D": D, "U": D / epochs, "loss": loss * (1 + 0.002 * i)})
    C = np.logspace(1, 5, n)
    if law == "power":
        return pd.DataFrame({"C": C, "loss": 1.7 + 10.0 * C**-0.35})
    if law == "sigmoid":
        return pd.DataFrame({"C": C, "pass_rate": 0.1 + 0.6 / (1.0 + (1e3 / C) ** 1.5)})
    if law == "loglinear":
        return pd.DataFrame({"C": C, "y": 0.1 + 0.05 * np.log10(C)})
    raise AssertionError(law)


def fit_kwargs(law: str) -> dict:
    return dict(LAWS[law][0])


def with_value(df: pd.DataFrame, col: str, value, pos: int = BAD_ROW) -> pd.DataFrame:
    out = df.copy()
    if isinstance(value, str):
        out[col] = out[col].astype(object)
    out.iloc[pos, out.columns.get_loc(col)] = value
    return out


def assert_names(err: BaseException, column: str, row: int | None = None, label=None) -> str:
    """The message quotes the column (and says ``row <pos>``); the attributes agree."""
    msg = str(err)
    assert repr(column) in msg, msg
    assert getattr(err, "column", column) == column
    if row is not None:
        assert re.search(rf"\brow {row}\b", msg), msg
        assert err.row == row
    if label is not None:
        assert str(label) in msg, msg
    return msg


# --------------------------------------------------------------------------------------------
# Control: every clean table passes validation, so each failure below is the injected defect's.


@pytest.mark.parametrize("law", list(LAWS))
def test_clean_tables_pass(law):
    kw = fit_kwargs(law)
    p = prepare(table(law), sl.laws.get(law), kw.get("x"), kw.get("y"))
    assert p.y.shape == (N_ROWS,)
    assert np.all(np.isfinite(p.y)) and np.all(p.weights == 1.0)


# --------------------------------------------------------------------------------------------
# Missing and misnamed columns


@pytest.mark.parametrize("law,col", INPUT_CASES)
def test_missing_input_column(law, col):
    df = table(law).drop(columns=[col])
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, law, **fit_kwargs(law))
    msg = assert_names(ei.value, col)
    assert "missing" in msg
    for existing in df.columns:  # lists what the table does have
        assert repr(existing) in msg


@pytest.mark.parametrize("law", list(LAWS))
def test_missing_target_column_hints_y(law):
    _, _, target, _ = LAWS[law]
    kw = fit_kwargs(law)
    kw.pop("y", None)  # rely on the law's default target...
    df = table(law)
    default = sl.laws.get(law).target
    if default in df.columns:  # ...which is absent from the table
        df = df.drop(columns=[default])
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, law, **kw)
    msg = assert_names(ei.value, default)
    assert "y=" in msg
    for existing in df.columns:
        assert repr(existing) in msg


def test_misnamed_explicit_target_lists_columns():
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("power"), "power", x="C", y="Loss")
    msg = assert_names(ei.value, "Loss")
    assert "'C'" in msg and "'loss'" in msg


def test_missing_input_via_mapping():
    df = table("chinchilla").rename(columns={"N": "params"})
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "chinchilla", x={"N": "parameters"})
    assert_names(ei.value, "parameters")
    # and the right mapping is accepted
    p = prepare(df, sl.laws.get("chinchilla"), x={"N": "params"})
    np.testing.assert_array_equal(p.inputs["N"], df["params"].to_numpy())


# --------------------------------------------------------------------------------------------
# NaN and infinities


@pytest.mark.parametrize("law,col", INPUT_CASES)
def test_nan_in_input(law, col):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), col, np.nan), law, **fit_kwargs(law))
    assert "NaN" in assert_names(ei.value, col, BAD_ROW)


@pytest.mark.parametrize("law", list(LAWS))
def test_nan_in_target(law):
    target = LAWS[law][2]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), target, np.nan), law, **fit_kwargs(law))
    assert "NaN" in assert_names(ei.value, target, BAD_ROW)


@pytest.mark.parametrize("law", list(LAWS))
def test_none_in_object_target_is_nan(law):
    target = LAWS[law][2]
    df = table(law)
    df[target] = df[target].astype(object)
    df.iloc[BAD_ROW, df.columns.get_loc(target)] = None
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, law, **fit_kwargs(law))
    assert "NaN" in assert_names(ei.value, target, BAD_ROW)


@pytest.mark.parametrize("value", [np.inf, -np.inf], ids=["+inf", "-inf"])
@pytest.mark.parametrize("law,col", INPUT_CASES)
def test_inf_in_input(law, col, value):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), col, value), law, **fit_kwargs(law))
    assert "inf" in assert_names(ei.value, col, BAD_ROW)


@pytest.mark.parametrize("value", [np.inf, -np.inf], ids=["+inf", "-inf"])
@pytest.mark.parametrize("law", list(LAWS))
def test_inf_in_target(law, value):
    target = LAWS[law][2]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), target, value), law, **fit_kwargs(law))
    msg = assert_names(ei.value, target, BAD_ROW)
    assert ("-inf" in msg) == (value < 0)


# --------------------------------------------------------------------------------------------
# Non-positive values where logs are taken


@pytest.mark.parametrize("value", [0.0, -3.0], ids=["zero", "negative"])
@pytest.mark.parametrize("law,col", INPUT_CASES)
def test_nonpositive_input(law, col, value):
    # every built-in law reads log(x)
    assert sl.laws.get(law).log_inputs
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), col, value), law, **fit_kwargs(law))
    assert "> 0" in assert_names(ei.value, col, BAD_ROW)


@pytest.mark.parametrize("value", [0.0, -0.5], ids=["zero", "negative"])
@pytest.mark.parametrize("law", LOSS_LAWS)
def test_nonpositive_target_of_loss_law(law, value):
    target = LAWS[law][2]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), target, value), law, **fit_kwargs(law))
    msg = assert_names(ei.value, target, BAD_ROW)
    assert "> 0" in msg and "log" in msg


@pytest.mark.parametrize("law", LINEAR_LAWS)
def test_negative_and_zero_target_accepted_in_linear_space(law):
    target = LAWS[law][2]
    df = table(law)
    df[target] = df[target] - df[target].iloc[BAD_ROW]  # exact zero at BAD_ROW, negatives below
    assert df[target].iloc[BAD_ROW] == 0.0 and (df[target] < 0).sum() == BAD_ROW
    f = sl.fit(df, law, **fit_kwargs(law))
    assert f.converged and np.all(np.isfinite(list(f.params.values())))
    # the data are the noise-free law shifted down: the fit reproduces them, not a clipped copy
    np.testing.assert_allclose(f.predict(C=df["C"].to_numpy()), df[target], atol=1e-6)
    np.testing.assert_array_equal(f.data[target].to_numpy(), df[target].to_numpy())


# --------------------------------------------------------------------------------------------
# Non-numeric content


@pytest.mark.parametrize("law,col", INPUT_CASES)
def test_string_in_input(law, col):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), col, "1.2B"), law, **fit_kwargs(law))
    msg = assert_names(ei.value, col, BAD_ROW)
    assert "numeric" in msg and "1.2B" in msg


@pytest.mark.parametrize("law", list(LAWS))
def test_string_in_target(law):
    target = LAWS[law][2]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table(law), target, "n/a"), law, **fit_kwargs(law))
    assert "n/a" in assert_names(ei.value, target, BAD_ROW)


def test_duplicate_column_names():
    df = table("power")
    df = pd.concat([df, df[["C"]]], axis=1)
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "power", x="C")
    assert_names(ei.value, "C")


# --------------------------------------------------------------------------------------------
# Too few points


@pytest.mark.parametrize("law", list(LAWS))
def test_too_few_points(law):
    n_params = LAWS[law][3]
    assert sl.laws.get(law).n_params == n_params
    kw = fit_kwargs(law)
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table(law, n=n_params), law, **kw)
    msg = str(ei.value)
    assert "too few points" in msg and f"{n_params} parameters" in msg and f"got {n_params}" in msg
    # one more row is enough for validation
    prepare(table(law, n=n_params + 1), sl.laws.get(law), kw.get("x"), kw.get("y"))


@pytest.mark.parametrize("law", list(LAWS))
def test_too_few_points_via_zero_weights(law):
    n_params = LAWS[law][3]
    w = np.zeros(N_ROWS)
    w[:n_params] = 1.0  # 12 rows, but only n_params with positive weight
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table(law), law, weights=w, **fit_kwargs(law))
    msg = str(ei.value)
    assert "too few points" in msg and "positive weight" in msg and f"got {n_params}" in msg
    w[n_params] = 1.0
    kw = fit_kwargs(law)
    prepare(table(law), sl.laws.get(law), kw.get("x"), kw.get("y"), weights=w)


# --------------------------------------------------------------------------------------------
# Weights


def test_negative_weight():
    w = np.ones(N_ROWS)
    w[BAD_ROW] = -1.0
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("power"), "power", x="C", weights=w)
    assert ">= 0" in assert_names(ei.value, "weights", BAD_ROW)


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_nonfinite_weight(value):
    w = np.ones(N_ROWS)
    w[BAD_ROW] = value
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("power"), "power", x="C", weights=w)
    assert_names(ei.value, "weights", BAD_ROW)


@pytest.mark.parametrize("length", [N_ROWS - 1, N_ROWS + 1])
def test_weights_of_wrong_length(length):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("power"), "power", x="C", weights=np.ones(length))
    msg = str(ei.value)
    assert "one value per row" in msg and str(N_ROWS) in msg and str(length) in msg


def test_weights_2d_rejected():
    with pytest.raises(sl.InputError, match="one value per row"):
        sl.fit(table("power"), "power", x="C", weights=np.ones((N_ROWS, 1)))


def test_weights_as_column_name_equal_weights_as_array():
    df = table("power")
    w = np.linspace(0.5, 2.0, N_ROWS)
    df["w"] = w
    law = sl.laws.get("power")
    np.testing.assert_array_equal(prepare(df, law, "C", weights="w").weights, w)
    np.testing.assert_array_equal(prepare(df, law, "C", weights=w).weights, w)


@pytest.mark.parametrize("value", [-2.0, np.nan, "heavy"], ids=["negative", "nan", "string"])
def test_bad_value_in_weights_column(value):
    df = table("power")
    df["w"] = 1.0
    df = with_value(df, "w", value)
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "power", x="C", weights="w")
    assert_names(ei.value, "w", BAD_ROW)


def test_missing_weights_column_names_it():
    df = table("power")
    with pytest.raises((sl.InputError, KeyError)) as ei:
        sl.fit(df, "power", x="C", weights="wt")
    assert "wt" in str(ei.value)


def test_missing_weights_column_is_input_error_listing_columns():
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("power"), "power", x="C", weights="wt")
    msg = assert_names(ei.value, "wt")
    assert "'C'" in msg and "'loss'" in msg


# --------------------------------------------------------------------------------------------
# Swapped and confused columns


def test_chinchilla_N_and_D_swapped():
    df = table("chinchilla").rename(columns={"N": "D", "D": "N"})
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "chinchilla")
    msg = assert_names(ei.value, "N", 0)
    assert "swapped" in msg and "'D'" in msg


def test_chinchilla_swapped_via_x_order():
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("chinchilla"), "chinchilla", x=["D", "N"])
    assert "swapped" in assert_names(ei.value, "D", 0)


def test_chinchilla_swap_check_reports_first_offending_row():
    df = table("chinchilla")
    n, d = df["N"].to_numpy().copy(), df["D"].to_numpy().copy()
    swap = np.arange(N_ROWS) >= BAD_ROW  # rows 5..11 swapped: a majority (7 of 12)
    df["N"], df["D"] = np.where(swap, d, n), np.where(swap, n, d)
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "chinchilla")
    msg = assert_names(ei.value, "N", BAD_ROW)
    assert f"{int(swap.sum())} of {N_ROWS} rows" in msg


def test_chinchilla_a_few_rows_with_N_over_D_are_allowed():
    # The check is a majority vote (over-trained small models do exist); 2 of 12 pass.
    df = table("chinchilla")
    df.loc[[3, 7], "N"] = df.loc[[3, 7], "D"] * 2
    prepare(df, sl.laws.get("chinchilla"))


def test_data_constrained_D_and_U_swapped():
    df = table("data_constrained").rename(columns={"D": "U", "U": "D"})
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "data_constrained")
    # row 0 has U == D (one epoch), so the first offending row is 1
    msg = assert_names(ei.value, "U", 1)
    assert "'D'" in msg and "swapped" in msg


def test_data_constrained_single_row_U_over_D():
    df = table("data_constrained")
    df.loc[BAD_ROW, "U"] = df.loc[BAD_ROW, "D"] * 1.01
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "data_constrained")
    assert_names(ei.value, "U", BAD_ROW)


@pytest.mark.parametrize("law", ["power", "loglinear"])
def test_same_column_as_x_and_y(law):
    col = LAWS[law][2]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table(law), law, x=col, y=col)
    assert "both" in assert_names(ei.value, col)


@pytest.mark.parametrize("law,x", [
    ("chinchilla", "N"),
    ("chinchilla", ["N", "D", "loss"]),
    ("power", ["C", "loss"]),
    ("data_constrained", ["N", "D"]),
], ids=["chinchilla-1", "chinchilla-3", "power-2", "data_constrained-2"])
def test_wrong_number_of_input_columns(law, x):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table(law), law, x=x)
    msg = str(ei.value)
    law_inputs = sl.laws.get(law).inputs
    assert f"takes {len(law_inputs)} input column" in msg
    for c in [x] if isinstance(x, str) else x:
        assert repr(c) in msg


def test_repeated_input_column():
    with pytest.raises(sl.InputError, match="repeat"):
        sl.fit(table("chinchilla"), "chinchilla", x=["N", "N"])


def test_x_mapping_to_unknown_law_input():
    with pytest.raises(sl.InputError) as ei:
        sl.fit(table("chinchilla"), "chinchilla", x={"P": "N"})
    assert "'P'" in str(ei.value) and "'N'" in str(ei.value)


# --------------------------------------------------------------------------------------------
# Not a table


@pytest.mark.parametrize("df", [
    pd.DataFrame(),
    pd.DataFrame({"C": [], "loss": []}),
], ids=["no-columns", "no-rows"])
def test_empty_table(df):
    with pytest.raises(sl.InputError, match="empty"):
        sl.fit(df, "power", x="C")


@pytest.mark.parametrize("data", [[[1.0, 2.0], [3.0, 4.0]], [{"C": 1.0, "loss": 2.0}], np.ones((5, 2))],
                         ids=["list", "list-of-dicts", "ndarray"])
def test_non_table_input(data):
    with pytest.raises(sl.InputError) as ei:
        sl.fit(data, "power", x="C")
    assert "DataFrame" in str(ei.value) and type(data).__name__ in str(ei.value)


def test_mapping_of_columns_is_accepted():
    df = table("power")
    p = prepare({"C": df["C"].to_numpy(), "loss": df["loss"].to_numpy()}, sl.laws.get("power"), "C")
    np.testing.assert_array_equal(p.y, df["loss"].to_numpy())


# --------------------------------------------------------------------------------------------
# Rows by position and by index label


def test_row_by_position_and_string_label():
    df = table("power")
    df.index = [f"run-{i:02d}" for i in range(N_ROWS)]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(df, "loss", -1.0), "power", x="C")
    assert_names(ei.value, "loss", BAD_ROW, label=f"'run-{BAD_ROW:02d}'")


def test_row_by_position_and_integer_label():
    df = table("chinchilla")
    df.index = 100 + np.arange(N_ROWS)
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(df, "D", np.nan), "chinchilla")
    msg = assert_names(ei.value, "D", BAD_ROW)
    assert re.search(rf"index [^)]*\b{100 + BAD_ROW}\b", msg), msg  # label shown (as np.int64(105) today)


def test_row_of_sliced_table_is_positional():
    # A slice keeps its RangeIndex labels: position 3 is label 5; the row attribute is positional.
    df = with_value(table("sigmoid"), "C", "x")[2:]
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "sigmoid", x="C", y="pass_rate")
    msg = assert_names(ei.value, "C", BAD_ROW - 2)
    assert re.search(rf"index [^)]*\b{BAD_ROW}\b", msg), msg


def test_default_index_reports_position_only():
    with pytest.raises(sl.InputError) as ei:
        sl.fit(with_value(table("loglinear"), "C", 0.0), "loglinear", x="C")
    msg = assert_names(ei.value, "C", BAD_ROW)
    assert "index" not in msg


def test_count_of_bad_rows_is_reported():
    df = table("power")
    df.loc[[BAD_ROW, 8, 9], "C"] = np.nan
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "power", x="C")
    assert "3 such row" in assert_names(ei.value, "C", BAD_ROW)


# --------------------------------------------------------------------------------------------
# Unknown names and invalid fixed/bounds


def test_unknown_law_lists_available():
    with pytest.raises(KeyError) as ei:
        sl.fit(table("power"), "powerlaw", x="C")
    msg = str(ei.value)
    assert "'powerlaw'" in msg
    for name in LAWS:
        assert name in msg


def test_unknown_objective():
    with pytest.raises(ValueError) as ei:
        sl.fit(table("power"), "power", x="C", objective="l1")
    msg = str(ei.value)
    assert "'l1'" in msg and "huber" in msg and "lsq" in msg


def test_delta_without_huber_objective():
    with pytest.raises(ValueError, match="delta"):
        sl.fit(table("loglinear"), "loglinear", x="C", delta=1e-2)


@pytest.mark.parametrize("arg", ["fixed", "bounds"])
def test_unknown_parameter_in_fixed_or_bounds(arg):
    value = {"beta": 0.3} if arg == "fixed" else {"beta": (0.1, 0.5)}
    with pytest.raises(KeyError) as ei:
        sl.fit(table("power"), "power", x="C", **{arg: value})
    msg = str(ei.value)
    assert "'beta'" in msg and "'alpha'" in msg and "'E'" in msg


@pytest.mark.parametrize("value", [0.0, -1.7])
@pytest.mark.parametrize("law,param", [("power", "A"), ("sigmoid", "C_mid"), ("chinchilla", "B")])
def test_log_parameter_fixed_at_nonpositive(law, param, value):
    with pytest.raises(ValueError) as ei:
        sl.fit(table(law), law, fixed={param: value}, **fit_kwargs(law))
    assert repr(param) in str(ei.value) and "> 0" in str(ei.value)


@pytest.mark.parametrize("law", ["power", "chinchilla"])
def test_irreducible_loss_fixed_at_zero_or_below(law):
    # E is fitted as itself (not a log): E = 0, "no irreducible loss", is a valid law ...
    f = sl.fit(table(law), law, fixed={"E": 0.0}, **fit_kwargs(law))
    assert f.params["E"] == 0.0 and np.isfinite(f.objective)
    # ... and a negative one is refused, naming the parameter and its bound.
    with pytest.raises(ValueError) as ei:
        sl.fit(table(law), law, fixed={"E": -1.7}, **fit_kwargs(law))
    assert "'E'" in str(ei.value) and ">= 0" in str(ei.value)


def test_empty_bounds():
    with pytest.raises(ValueError) as ei:
        sl.fit(table("power"), "power", x="C", bounds={"alpha": (0.5, 0.2)})
    assert "'alpha'" in str(ei.value) and "empty" in str(ei.value)


@pytest.mark.parametrize("hi", [0.0, -1.0])
def test_nonpositive_upper_bound_on_log_parameter(hi):
    with pytest.raises(ValueError) as ei:
        sl.fit(table("power"), "power", x="C", bounds={"E": (None, hi)})
    assert "'E'" in str(ei.value)


def test_nan_fixed_value_names_the_parameter():
    with pytest.raises(ValueError) as ei:
        sl.fit(table("power"), "power", x="C", fixed={"alpha": np.nan})
    assert "'alpha'" in str(ei.value)


# --------------------------------------------------------------------------------------------
# Flags: failures to converge and bound hits are reported, not raised, not dropped


@pytest.fixture(scope="module")
def power_data():
    rng = np.random.default_rng(7)
    C = np.sort(10 ** rng.uniform(0, 5, 30))
    loss = (1.7 + 10.0 * C**-0.35) * np.exp(rng.normal(0.0, 0.01, 30))
    return pd.DataFrame({"C": C, "loss": loss})


def test_free_fit_is_not_flagged(power_data):
    f = sl.fit(power_data, "power", x="C")
    assert f.converged and not f.on_bound
    assert abs(f.params["alpha"] - 0.35) < 0.05
    s = f.summary()
    assert "converged: yes" in s and "on a bound: no" in s


def test_fit_forced_onto_bound_is_flagged(power_data):
    f = sl.fit(power_data, "power", x="C", bounds={"alpha": (None, 0.2)})
    assert f.on_bound is True
    assert f.params["alpha"] == pytest.approx(0.2, abs=1e-8)
    assert np.all(np.isfinite(list(f.params.values()))) and np.isfinite(f.objective)
    assert "on a bound: YES" in f.summary()
    # the bounded optimum is worse than the free one: the bound is active, not incidental
    assert f.objective > sl.fit(power_data, "power", x="C").objective


def test_fixed_parameter_is_not_a_bound_hit(power_data):
    f = sl.fit(power_data, "power", x="C", fixed={"alpha": 0.3})
    assert f.params["alpha"] == 0.3 and not f.on_bound


def test_iteration_cap_is_flagged_not_raised(power_data):
    f = sl.fit(power_data, "power", x="C", config=sl.solvers.SolverConfig(max_iter=2, retry_factor=1))
    assert f.converged is False
    assert f.diagnostics["iterations"] <= 2
    assert f.diagnostics["starts_converged"] == 0
    assert np.all(np.isfinite(list(f.params.values()))) and np.isfinite(f.objective)
    assert "converged: NO" in f.summary()
    assert "converged=False" in repr(f)


# --------------------------------------------------------------------------------------------
# degenerate inputs: a clear error, never a confident answer
# --------------------------------------------------------------------------------------------
def test_every_x_identical_for_a_one_input_law():
    df = pd.DataFrame({"C": np.full(8, 1e20), "loss": np.linspace(2.0, 2.5, 8)})
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "power", x="C")
    assert ei.value.column == "C" and "same value" in str(ei.value)


def test_fewer_distinct_x_than_free_parameters():
    df = pd.DataFrame({"C": np.repeat([1e19, 1e21], 4), "loss": np.linspace(2.0, 2.5, 8)})
    with pytest.raises(sl.InputError, match="2 distinct values but law 'power' has 3 free parameters"):
        sl.fit(df, "power", x="C")
    # Fixing one parameter leaves two: a curve through two x values is then determined.
    fit = sl.fit(df, "power", x="C", fixed={"E": 1.0})
    assert fit.converged


def test_one_constant_input_of_a_two_input_law():
    df = table("chinchilla")
    df["N"] = 1e8
    df["D"] = np.logspace(9, 11, len(df))
    with pytest.raises(sl.InputError) as ei:
        sl.fit(df, "chinchilla")
    assert ei.value.column == "N"


def test_cluster_bootstrap_with_a_single_group():
    df = table("power").assign(run="only")
    fit = sl.fit(df, "power", **fit_kwargs("power"))
    with pytest.raises(sl.InputError, match="cluster column .run. hold 1 cluster"):
        fit.bootstrap(20, cluster="run")


def test_fixed_irreducible_loss_above_every_loss():
    df = table("power")
    with pytest.raises(sl.InputError, match="at or above every"):
        sl.fit(df, "power", fixed={"E": float(df["loss"].max()) + 0.1}, **fit_kwargs("power"))


@pytest.mark.parametrize("delta", [0.0, -1e-3, float("nan"), float("inf")])
def test_huber_delta_must_be_positive(delta):
    with pytest.raises(ValueError, match="Huber delta"):
        sl.fit(table("power"), "power", delta=delta, **fit_kwargs("power"))


@pytest.mark.parametrize("n_starts", [0, -3, 2.5, True])
def test_n_starts_must_be_a_positive_integer(n_starts):
    with pytest.raises(ValueError, match="n_starts"):
        sl.fit(table("power"), "power", n_starts=n_starts, **fit_kwargs("power"))


@pytest.mark.parametrize("tau", [0.0, 1.0, 1.5, -0.2])
def test_expectile_tau_in_open_unit_interval(tau):
    with pytest.raises(ValueError, match="tau"):
        sl.objectives.Expectile(tau)


def test_standard_error_needs_two_replicates():
    fit = sl.fit(table("power"), "power", **fit_kwargs("power"))
    ens = fit.bootstrap(1, seed=0)
    with pytest.raises(ValueError, match="at least 2 replicates"):
        ens.interval()


def test_renamed_arguments_still_read_under_their_old_names(chinchilla_fit):
    """One name a concept: the old keyword is accepted with a DeprecationWarning, never silently
    and never together with the new one."""
    from scalinglaws import capex

    with pytest.warns(DeprecationWarning, match="(n=|method=) is renamed (n_bootstrap|resampling)="):
        old = chinchilla_fit.bootstrap(n=8, seed=1, method="multinomial")
    new = chinchilla_fit.bootstrap(n_bootstrap=8, seed=1, resampling="multinomial")
    np.testing.assert_array_equal(old.theta, new.theta)
    assert new.resampling == "multinomial" and new.cluster is None
    with pytest.warns(DeprecationWarning, match="Ensemble.method is renamed"):
        assert new.method == "multinomial"
    with pytest.raises(TypeError, match="both n= and n_bootstrap="):
        chinchilla_fit.bootstrap(n=8, n_bootstrap=8)
    with pytest.warns(DeprecationWarning, match="price= is renamed price_per_gpu_hour="):
        a = capex.plan(np.array([1e25]), price=2.0)
    assert a.table.equals(capex.plan(np.array([1e25]), price_per_gpu_hour=2.0).table)
    assert a.assumptions["price_per_gpu_hour"] == 2.0
    with pytest.warns(DeprecationWarning, match="price_per_hour= is renamed"):
        assert capex.rental_cost(1e25, price_per_hour=2.0) == capex.rental_cost(1e25, price_per_gpu_hour=2.0)
