"""Saved results: both encodings (the compact container, strict JSON) give back the same result,
bit for bit where it matters; a damaged, edited or newer file is refused with an error naming the
file and the field."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import serialize


def _refuse(name):
    raise ValueError(f"not strict JSON: {name}")


def strict(text):
    return json.loads(text, parse_constant=_refuse)


@pytest.fixture(scope="module")
def ensemble(chinchilla_fit):
    return chinchilla_fit.bootstrap(600, seed=7)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_ensemble_round_trip(ensemble, tmp_path, suffix):
    path = ensemble.save(tmp_path / f"ens{suffix}")
    back = sl.load(path)
    for name in ("theta", "objective", "converged", "on_bound", "iterations", "best_start", "start_abandoned",
                 "start_iterations", "stop_reason", "start_stop_reason"):
        np.testing.assert_array_equal(getattr(back._a, name), getattr(ensemble._a, name), err_msg=name)
    assert back.interval().equals(ensemble.interval())
    assert back.predict(N=[7e10], D=[1.4e12]).equals(ensemble.predict(N=[7e10], D=[1.4e12]))
    # diagnostics in single precision keep what is read off them
    np.testing.assert_allclose(back._a.start_objective, ensemble._a.start_objective, rtol=1e-6)
    np.testing.assert_allclose(back.grad_norm, ensemble.grad_norm, rtol=1e-6)
    for key in ("start_wins", "start_screened", "start_abandoned", "stop_reasons", "failed_to_converge", "on_bound"):
        assert back.diagnostics[key] == ensemble.diagnostics[key], key
    if suffix == ".json":
        d = strict(path.read_text())
        assert d["format_version"] == serialize.FORMAT_VERSION and d["kind"] == "scalinglaws.Ensemble"
    else:
        with zipfile.ZipFile(path) as zf:
            d = strict(zf.read("record.json"))
        assert d["arrays"]["theta"]["__ndarray__"]["layout"] == "shuffled"


def test_container_is_compact(ensemble, tmp_path):
    """The container holds 600 replicates in under a quarter of the JSON's bytes."""
    small = ensemble.save(tmp_path / "e.npz").stat().st_size
    big = ensemble.save(tmp_path / "e.json").stat().st_size
    assert small < big / 4, (small, big)


def test_non_finite_values_are_strict_json_and_come_back(tmp_path):
    record = {**serialize.header("test"), "x": np.array([1.0, np.nan, np.inf, -np.inf]), "y": float("nan"),
              "z": [float("inf"), 2.5], "i": np.arange(300, dtype=np.int64), "f": np.linspace(0, 1, 300)}
    for suffix in (".json", ".npz"):
        path = serialize.write_record(tmp_path / f"r{suffix}", record)
        if suffix == ".json":
            strict(path.read_text())
        back = serialize.read_record(path)
        np.testing.assert_array_equal(back["x"], record["x"])
        assert np.isnan(back["y"]) and back["z"] == [np.inf, 2.5]
        assert back["i"].dtype == np.int64 and np.array_equal(back["i"], record["i"])
        assert np.array_equal(back["f"], record["f"])


def test_reloaded_fit_keeps_its_table(tmp_path):
    """A fit keeps every column of its table across a save, so a cluster bootstrap on a column it
    did not fit still runs after loading."""
    table = sl.datasets.load("colpret-opt")
    f = sl.fit(table, "chinchilla", x=["N", "D"])
    for suffix in (".npz", ".json"):
        g = sl.load(f.save(tmp_path / f"fit{suffix}"))
        assert list(g._source.columns) == list(table.columns)
        a = f.bootstrap(40, seed=2, cluster="model")
        b = g.bootstrap(40, seed=2, cluster="model")
        np.testing.assert_array_equal(a.theta, b.theta)


def test_other_results_round_trip(tmp_path, chinchilla_fit):
    marin = sl.isoflop(sl.datasets.load("marin-dclm"), n_bootstrap=50, seed=1)
    grouped = sl.fit(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo", by="boardsize")
    plan = sl.capex.plan(chinchilla_fit.bootstrap(100, seed=1), target=1.9)
    for result in (marin, grouped, plan):
        for suffix in (".npz", ".json"):
            back = sl.load(result.save(tmp_path / f"r{suffix}"))
            assert type(back) is type(result)
            assert back.to_frame().equals(result.to_frame()), (type(result).__name__, suffix)


# --------------------------------------------------------------------------------------------
# refusals


def _edit_json(path, edit):
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))


@pytest.mark.parametrize("edit, field", [
    (lambda d: d.update(format_version=99), "field 'format_version' is 99: written by a newer scalinglaws"),
    (lambda d: d.update(format_version="2"), "field 'format_version' is '2': not a version"),
    (lambda d: d.update(kind="scalinglaws.Nope"), "field 'kind' is 'scalinglaws.Nope'"),
    (lambda d: d["fit"].update(law="chinchila"), "field 'law'"),
    (lambda d: d["fit"]["params"].update(E=1.9), "field 'params': E is 1.9, but the stored theta gives"),
    (lambda d: d["fit"].update(theta=[1.0, 2.0]), "field 'theta': 2 values for the 5 parameters"),
    (lambda d: d["arrays"]["objective"]["__ndarray__"].update(shape=[5], values=[1.0] * 5),
     "field 'arrays.objective': shape (5,), but theta holds 30 replicates"),
    (lambda d: d["arrays"].pop("converged"), "field 'converged' is missing"),
])
def test_edited_files_are_refused(chinchilla_fit, tmp_path, edit, field):
    path = chinchilla_fit.bootstrap(30, seed=0).save(tmp_path / "e.json")
    _edit_json(path, edit)
    with pytest.raises(ValueError) as exc:
        sl.load(path)
    assert str(exc.value).startswith(f"{path}: ") and field in str(exc.value), str(exc.value)


def test_damaged_files_are_refused(chinchilla_fit, tmp_path):
    good = chinchilla_fit.bootstrap(300, seed=0).save(tmp_path / "e.npz").read_bytes()
    cases = {
        "cut.npz": (good[: len(good) // 2], "damaged or truncated"),
        "binary.npz": (bytes(range(256)) * 4, "neither JSON text nor a scalinglaws container"),
        "text.json": (b'{"kind": "scalinglaws.Fit", "theta": [1, ', "not JSON"),
        "nokind.json": (b"[1, 2]", "no 'kind'"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=message) as exc:
            sl.load(path)
        assert str(path) in str(exc.value)
    # a member lost from the zip
    path = tmp_path / "lost.npz"
    with zipfile.ZipFile(tmp_path / "e.npz") as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            if item.filename != "0.npy":
                dst.writestr(item, src.read(item.filename))
    with pytest.raises(ValueError, match="member 0.npy is missing"):
        sl.load(path)


def test_version_1_files_still_load(chinchilla_fit, tmp_path):
    """A file in version 1's layout (arrays as lists, start objectives in double precision,
    non-standard NaN tokens) loads as before."""
    e = chinchilla_fit.bootstrap(20, seed=0)
    d = e.to_dict()
    a = d["arrays"]
    a["start_objective"] = e._a.start_objective.tolist()
    a["grad_norm"] = e.grad_norm.tolist()
    for k in ("start_excess_f32", "start_raw", "grad_norm_f32"):
        del a[k]
    d["format_version"] = 1

    def lists(x):
        if isinstance(x, dict):
            return {k: lists(v) for k, v in x.items()}
        if isinstance(x, np.ndarray):
            return x.tolist()
        return x

    path = tmp_path / "v1.json"
    path.write_text(json.dumps(lists(d), default=serialize.json_default))
    back = sl.load(path)
    np.testing.assert_array_equal(back._a.start_objective, e._a.start_objective)
    assert back.interval().equals(e.interval())
    assert isinstance(back.fit.data, pd.DataFrame)
