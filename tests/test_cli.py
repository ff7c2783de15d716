"""The `scalinglaws` command, run in-process through scalinglaws.cli.main (and once as the installed
console script). One point fit and one 200-replicate ensemble of the Chinchilla data are made
through the CLI and shared by the module."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.cli import main




def _csv_table(stdout):
    """The table printed with --format csv: a header line and the rows, nothing else."""
    return pd.read_csv(io.StringIO(stdout))


@pytest.fixture(scope="module")
def saved(tmp_path_factory, run_cli):
    """Run `fit` twice (point fit; bootstrap with a plot) and keep the files and printed text."""
    d = tmp_path_factory.mktemp("cli")
    fit_json, ens_json, png = d / "fit.json", d / "ens.json", d / "fit.png"
    fit_run = run_cli(["fit", "--dataset", "chinchilla-240", "--law", "chinchilla", "--out", fit_json])
    ens_run = run_cli(["fit", "--dataset", "chinchilla-240", "--law", "chinchilla", "--bootstrap", 200,
                    "--level", 0.9, "--out", ens_json, "--plot", png])
    return {"dir": d, "fit": fit_json, "ens": ens_json, "png": png, "fit_run": fit_run, "ens_run": ens_run}


def test_datasets(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "chinchilla-240" in out and "240 rows" in out


def test_fit_prints_parameters_and_saves(saved):
    code, out, err = saved["fit_run"]
    assert code == 0, err
    assert "chinchilla fit: L = E + A * N^-alpha + B * D^-beta" in out
    for name in ("E", "A", "B", "alpha", "beta"):
        assert f"\n{name} " in out
    assert "saved to" in out
    fit = sl.load(saved["fit"])
    assert isinstance(fit, sl.Fit) and fit.params["alpha"] == pytest.approx(0.3473, abs=1e-3)


def test_fit_bootstrap_prints_intervals_and_writes_files(saved):
    code, out, err = saved["ens_run"]
    assert code == 0, err
    assert "200 multinomial replicates" in out and "(90% percentile)" in out
    assert "lower" in out and "upper" in out
    ens = sl.load(saved["ens"])
    assert isinstance(ens, sl.Ensemble) and ens.n_replicates == 200
    assert saved["png"].stat().st_size > 10_000


def test_predict_point_fit(saved, capsys):
    assert main(["predict", str(saved["fit"]), "--N", "7e10", "--D", "1.4e12"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[1].split() == ["N", "D", "loss", "oom_beyond_data"]
    assert lines[2].split()[:3] == ["7e+10", "1.4e+12", "1.973"]  # %.4g
    assert main(["predict", str(saved["fit"]), "--N", "7e10", "1e11", "--D=1.4e12", "--format", "csv"]) == 0
    table = _csv_table(capsys.readouterr().out)
    fit = sl.load(saved["fit"])
    np.testing.assert_allclose(table["loss"], fit.predict(N=[7e10, 1e11], D=1.4e12), rtol=1e-12)


def test_predict_ensemble_band(saved, capsys):
    assert main(["predict", str(saved["ens"]), "--level", "0.8", "--N", "7e10", "1e11", "--D", "1.4e12",
                 "--format", "csv"]) == 0
    table = _csv_table(capsys.readouterr().out)
    assert list(table.columns) == ["N", "D", "estimate", "lower", "upper", "oom_beyond_data", "n_used"]
    assert (table["lower"] < table["estimate"]).all() and (table["estimate"] < table["upper"]).all()


def test_predict_C_alone_is_the_compute_optimal_loss(saved, capsys):
    assert main(["predict", str(saved["ens"]), "--C", "1e24"]) == 0
    out = capsys.readouterr().out
    assert "compute-optimal allocation" in out
    header = out.splitlines()[1].split()
    assert {"C", "N_opt", "D_opt", "loss", "loss_lower", "loss_upper"} <= set(header)
    expected = sl.load(saved["ens"]).compute_optimal([1e24], level=0.9)
    row = dict(zip(header, out.splitlines()[2].split()))
    assert row["loss"] == f"{expected['loss'][0]:.4g}" and row["N_opt"] == f"{expected['N_opt'][0]:.4g}"


def test_allocate(saved, capsys):
    png = saved["dir"] / "alloc.png"
    assert main(["allocate", str(saved["ens"]), "--C", "1e24", "1e25", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[1].split()
    for name in ("N_opt", "D_opt", "tokens_per_param", "loss"):
        assert {name, f"{name}_lower", f"{name}_upper"} <= set(header)
    assert len(out.splitlines()) >= 4 and "e+10" in out and "e+12" in out  # N_opt ~ 1e11, D_opt ~ 2e12
    assert png.stat().st_size > 10_000
    assert main(["allocate", str(saved["fit"]), "--C", "1e24"]) == 0
    assert "N_opt_lower" not in capsys.readouterr().out


def test_compute_for(saved, capsys):
    assert main(["compute-for", str(saved["ens"]), "--target", "1.9", "2.0", "--format", "csv"]) == 0
    cap = capsys.readouterr()
    table = _csv_table(cap.out)
    assert list(table.columns) == ["target", "C", "C_lower", "C_upper", "reachable_fraction", "n_used"]
    assert (table["C_lower"] < table["C"]).all() and (table["C"] < table["C_upper"]).all()
    assert table["C"][0] > table["C"][1]  # a lower loss costs more compute
    # below every replicate's irreducible loss: unreachable, reported without warnings
    assert main(["compute-for", str(saved["ens"]), "--target", "1.0"]) == 0
    cap = capsys.readouterr()
    assert "inf" in cap.out and "NaN" not in cap.out and cap.err == ""


def test_nan_row_in_csv_is_a_one_line_error(tmp_path, capsys):
    csv = tmp_path / "runs.csv"
    csv.write_text("C,loss\n1e18,3.0\n1e19,2.8\n1e20,\n1e21,2.4\n")
    assert main(["fit", str(csv), "--law", "power", "--x", "C", "--y", "loss"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    assert "'loss'" in err and "row 2" in err


def test_missing_files(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "--law", "power"]) == 2
    assert capsys.readouterr().err.startswith("error: no such file")
    assert main(["predict", str(tmp_path / "nope.json"), "--C", "1e24"]) == 2
    assert capsys.readouterr().err.startswith("error: no such file")
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    assert main(["allocate", str(bad), "--C", "1e24"]) == 2
    assert "not a file saved by scalinglaws" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--N", "7e10"], "missing input(s) --D"),
    (["--N", "7e10", "--D", "abc"], "--D: 'abc' is not a number"),
    (["--N", "-1", "--D", "1e12"], "--N: values must be > 0"),
    (["--Q", "3"], "unknown input --Q"),
    (["--N", "1e9", "2e9", "--D", "1e10", "2e10", "3e10"], "do not broadcast"),
    ([], "give input values"),
])
def test_predict_bad_inputs(saved, capsys, args, message):
    assert main(["predict", str(saved["fit"]), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err


def test_wrong_law_and_bad_options(saved, capsys):
    power = saved["dir"] / "power.json"
    sl.Fit.from_params("power", {"E": 1.7, "A": 300.0, "alpha": 0.15}).save(power)
    assert main(["allocate", str(power), "--C", "1e24"]) == 2
    assert "chinchilla" in capsys.readouterr().err
    assert main(["fit", "--dataset", "datablations", "--law", "data_constrained", "--x", "N", "D", "U",
                 "--plot", str(saved["dir"] / "x.txt")]) == 2  # refused before fitting
    assert "cannot draw a .txt file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(saved["ens"]), "--level", "1.5", "--C", "1e24"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["allocate", str(saved["ens"]), "--C", "1e24", "--bogus"])


@pytest.mark.slow
def test_console_script_help():
    exe = shutil.which("scalinglaws") or str(Path(sys.executable).parent / "scalinglaws")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    for command in ("fit", "predict", "allocate", "compute-for", "datasets"):
        assert command in proc.stdout
