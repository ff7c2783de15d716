"""Grouped fits (``sl.fit(df, law, by=...)``): one batched solve, equal to separate fits."""

import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.inputs import InputError

from grouped_data import marin as _marin


def _routing():
    df = sl.datasets.load("routing-moe")
    return df[(df.k == 1) & (df.routing_frequency == 0.5) & (df.seed == 42)].reset_index(drop=True)


CASES = {
    "marin mixtures": (_marin, "chinchilla", {}, "mixture"),
    "hex boards": (lambda: sl.datasets.load("hex-frontier"), "sigmoid", {"x": "C", "y": "elo"}, "boardsize"),
    "porian configurations": (lambda: sl.datasets.load("porian-isoflops"), "chinchilla", {}, ["config", "dataset"]),
    "routing-moe routers": (_routing, "power", {"x": "N"}, ["router_type", "experts"]),
}


def _rows(df, by, key):
    cols = [by] if isinstance(by, str) else by
    keys = key if isinstance(key, tuple) else (key,)
    mask = np.ones(len(df), bool)
    for c, v in zip(cols, keys):
        mask &= (df[c] == v).to_numpy()
    return df[mask]


@pytest.mark.parametrize("case", list(CASES))
def test_grouped_fit_equals_separate_fits(case):
    load, law, kw, by = CASES[case]
    df = load()
    fs = sl.fit(df, law, by=by, **kw)
    assert isinstance(fs, sl.FitSet) and len(fs) > 1
    for key in fs:
        alone = sl.fit(_rows(df, by, key), law, **kw)
        got = fs[key]
        assert got.objective == pytest.approx(alone.objective, rel=1e-9, abs=0), key
        for name, v in alone.params.items():
            assert got.params[name] == pytest.approx(v, rel=1e-9), (key, name)
        assert got.converged == alone.converged and got.on_bound == alone.on_bound


def test_fitset_tables_predictions_and_persistence(tmp_path):
    df = _marin()
    fs = sl.fit(df, "chinchilla", by="mixture")
    table = fs.params
    assert list(table.index) == ["comma", "dclm", "nemotron"] and table.index.name == "mixture"
    assert {"E", "A", "B", "alpha", "beta", "objective", "converged", "on_bound", "n_points"} <= set(table.columns)
    assert table["n_points"].tolist() == [85, 85, 88]
    pred = fs.predict(N=[1e9, 1e10], D=2e10)
    assert pred.shape == (6, 4) and list(pred.columns) == ["mixture", "N", "D", "loss"]
    np.testing.assert_allclose(pred.loc[pred.mixture == "dclm", "loss"], fs["dclm"].predict(N=[1e9, 1e10], D=2e10))
    np.testing.assert_array_equal(fs.predict(group="comma", N=1e9, D=2e10), fs["comma"].predict(N=1e9, D=2e10))
    opt = fs.compute_optimal([1e21, 1e22])
    assert opt.shape[0] == 6 and opt.columns[0] == "mixture"
    need = fs.compute_for([3.0])
    assert need.shape[0] == 3 and bool(need["reachable"].all())
    s = str(fs.summary())
    assert "3 groups by mixture" in s and "nemotron" in s
    back = sl.load(fs.save(tmp_path / "set.json"))
    assert isinstance(back, sl.FitSet) and back.keys == fs.keys
    pd.testing.assert_frame_equal(back.params, fs.params)
    with pytest.raises(KeyError, match="no group 'web'"):
        fs["web"]


def test_fitset_with_several_by_columns_and_ties():
    df = sl.datasets.load("porian-isoflops")
    fs = sl.fit(df, "chinchilla", by=["config", "dataset"], tie={"beta": "alpha"})
    assert fs.params.index.names == ["config", "dataset"]
    key = fs.keys[0]
    assert isinstance(key, tuple) and fs[key].params["beta"] == fs[key].params["alpha"]
    assert fs.compute_optimal([1e20]).columns[:2].tolist() == ["config", "dataset"]


def test_fitset_figure_has_a_panel_per_group():
    fs = sl.fit(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo", by="boardsize")
    fig = sl.plot.figure(fs, max_panels=4)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4 and "3 not shown" in fig._suptitle.get_text()
    sl.plot.plt.close(fig)


def test_grouped_fit_errors_name_the_group_and_row():
    df = _marin()
    with pytest.raises(InputError, match="by column 'mix' not in the table"):
        sl.fit(df, "chinchilla", by="mix")
    bad = df.copy()
    bad.loc[5, "mixture"] = None
    with pytest.raises(InputError, match="row 5"):
        sl.fit(bad, "chinchilla", by="mixture")
    bad = df.copy()
    bad.loc[100, "loss"] = -1.0
    with pytest.raises(InputError, match=r"group mixture='dclm'.*row 100"):
        sl.fit(bad, "chinchilla", by="mixture")


def test_small_chunks_give_the_same_answer():
    df = _routing()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sl.fit(df, "power", x="N", by=["router_type", "experts"])
        b = sl.fit(df, "power", x="N", by=["router_type", "experts"], chunk_size=5)
    pd.testing.assert_frame_equal(a.params, b.params)


def test_cli_fit_by(run_cli, tmp_path):
    code, out, _ = run_cli(["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo",
                            "--by", "boardsize", "--out", tmp_path / "hex.json"])
    assert code == 0 and "7 groups by boardsize" in out
    assert isinstance(sl.load(tmp_path / "hex.json"), sl.FitSet)
    code, out, _ = run_cli(["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo",
                            "--by", "boardsize", "--format", "csv"])
    table = pd.read_csv(__import__("io").StringIO(out), index_col=0)
    assert code == 0 and len(table) == 7 and "C_mid" in table.columns
    code, _, err = run_cli(["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo",
                            "--by", "board"])
    assert code != 0 and "by column 'board'" in err
