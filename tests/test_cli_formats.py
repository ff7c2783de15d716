"""Every command's machine-readable output (``--format csv|json``), and the command line's
contract with pipelines: strict JSON in the shipped schema, CSV that pandas reads back exactly,
one meaning per option name, output paths checked before any work, one-line errors."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from scalinglaws.cli import main
from scalinglaws.document import SCHEMA, SCHEMA_VERSION, Document, dumps_strict, schema

REPO = Path(__file__).resolve().parents[1]


def _refuse_constant(name):
    raise ValueError(f"not strict JSON: {name}")


def strict_json(text: str) -> dict:
    """Parse as RFC 8259 does: NaN, Infinity and -Infinity are not JSON."""
    return json.loads(text, parse_constant=_refuse_constant)


def check_document(text: str, command: str) -> dict:
    d = strict_json(text)
    jsonschema.validate(d, schema())
    assert d["schema"] == SCHEMA and d["schema_version"] == SCHEMA_VERSION and d["command"] == command
    for table in d["tables"].values():
        for row in table["rows"]:
            assert list(row) == table["columns"]
    return d


def same_table(csv_text: str, rows: list[dict], columns: list[str]) -> None:
    """The CSV read back by pandas holds exactly the JSON table's values (null = missing)."""
    back = pd.read_csv(io.StringIO(csv_text))
    assert list(back.columns) == columns
    assert len(back) == len(rows)
    for c in columns:
        for got, row in zip(back[c].tolist(), rows):
            want = row[c]
            if want is None:
                assert got is None or (isinstance(got, float) and (math.isnan(got) or math.isinf(got))), (c, got)
            elif isinstance(want, bool):
                assert got == want, (c, got, want)
            elif isinstance(want, (int, float)):
                assert float(got) == float(want), (c, got, want)  # exact: full precision
            else:
                assert str(got) == want, (c, got, want)


@pytest.fixture(scope="module")
def files(tmp_path_factory, chinchilla_fit):
    d = tmp_path_factory.mktemp("formats")
    fit, ens = d / "fit.json", d / "ens.json"
    chinchilla_fit.save(fit)
    chinchilla_fit.bootstrap(60, seed=3).save(ens)
    return {"dir": d, "fit": fit, "ens": ens}


def _both(run_cli, argv, command):
    """Run ``argv`` as JSON and as CSV of every table; check each against the other."""
    code, out, err = run_cli([*argv, "--format", "json"])
    assert code == 0, err
    d = check_document(out, command)
    for name, table in d["tables"].items():
        code, csv_out, err = run_cli([*argv, "--format", "csv", "--table", name])
        assert code == 0, err
        same_table(csv_out, table["rows"], table["columns"])
    return d


@pytest.mark.parametrize("source", ["fit", "ens"])
def test_saved_file_commands_in_every_format(run_cli, files, source):
    f = files[source]
    d = _both(run_cli, ["predict", f, "--N", "7e10", "1e11", "--D", "1.4e12"], "predict")
    assert d["facts"]["kind"] == ("Fit" if source == "fit" else "Ensemble")
    assert d["level"] == (None if source == "fit" else 0.9)
    assert len(d["tables"]["predictions"]["rows"]) == 2
    _both(run_cli, ["predict", f, "--C", "1e24"], "predict")
    d = _both(run_cli, ["allocate", f, "--C", "1e24", "1e25"], "allocate")
    assert d["tables"]["allocation"]["rows"][1]["N_opt"] > d["tables"]["allocation"]["rows"][0]["N_opt"]
    d = _both(run_cli, ["compute-for", f, "--target", "1.9", "1.0"], "compute-for")
    unreachable = d["tables"]["targets"]["rows"][1]
    assert unreachable["C"] is None  # never reached: infinite compute, null in strict JSON
    code, out, _ = run_cli(["compute-for", f, "--target", "1.0", "--format", "csv"])
    assert np.isinf(pd.read_csv(io.StringIO(out))["C"][0])  # CSV keeps inf


def test_fit_json_csv_and_the_table_for_people(run_cli, files):
    out_file = files["dir"] / "again.json"
    d = _both(run_cli, ["fit", "--dataset", "chinchilla-240", "--law", "chinchilla"], "fit")
    assert d["facts"]["converged"] is True and d["facts"]["on_bound"] is False
    assert d["facts"]["params"]["alpha"] == pytest.approx(0.3473, abs=1e-3)
    assert [r["parameter"] for r in d["tables"]["parameters"]["rows"]] == ["E", "A", "B", "alpha", "beta"]
    code, out, err = run_cli(["fit", "--dataset", "chinchilla-240", "--bootstrap", 30, "--out", out_file,
                              "--format", "json"])
    d = check_document(out, "fit")
    assert d["facts"]["kind"] == "Ensemble" and d["facts"]["replicates"] == 30 and d["level"] == 0.9
    assert d["files"] == {"out": str(out_file)} and "saved to" not in out
    assert {"lower", "upper"} <= set(d["tables"]["parameters"]["columns"])
    code, out, err = run_cli(["fit", "--dataset", "chinchilla-240"])
    assert code == 0 and out.startswith("chinchilla fit:") and "\nE " in out


def test_fit_bound(run_cli, tmp_path):
    """`fit --bound` holds a parameter in a box, as `validate --bound` does."""
    rng = np.random.default_rng(0)
    C = np.logspace(17, 21, 12)
    y = 1.8 + 40.0 * C ** -0.09 * np.exp(0.01 * rng.standard_normal(12))
    path = tmp_path / "runs.csv"
    pd.DataFrame({"C": C, "loss": y}).to_csv(path, index=False)
    code, out, err = run_cli(["fit", path, "--law", "power", "--x", "C", "--bound", "alpha=:0.05", "--format", "json"])
    assert code == 0, err
    d = check_document(out, "fit")
    assert d["facts"]["params"]["alpha"] == pytest.approx(0.05, rel=1e-6) and d["facts"]["on_bound"] is True
    code, _, err = run_cli(["fit", path, "--law", "power", "--x", "C", "--bound", "alpha=0.3"])
    assert code == 2 and err.startswith("error: --bound takes NAME=LOW:HIGH") and err.count("\n") == 1


def test_grouped_fit_json(run_cli):
    argv = ["fit", "--dataset", "hex-frontier", "--law", "sigmoid", "--x", "C", "--y", "elo", "--by", "boardsize"]
    d = _both(run_cli, argv, "fit")
    assert d["facts"]["kind"] == "FitSet" and d["facts"]["groups"] == 7
    assert d["tables"]["groups"]["columns"][0] == "boardsize" and len(d["tables"]["groups"]["rows"]) == 7


def test_datasets_and_isoflop(run_cli):
    d = _both(run_cli, ["datasets"], "datasets")
    names = [r["name"] for r in d["tables"]["datasets"]["rows"]]
    assert "chinchilla-240" in names and d["facts"]["count"] == len(names)
    d = _both(run_cli, ["isoflop", "--dataset", "marin-dclm", "--bootstrap", 40, "--C", "1e21", "1e22"], "isoflop")
    frontier = {r["parameter"]: r for r in d["tables"]["frontier"]["rows"]}
    assert frontier["exponent"]["estimate"] == pytest.approx(d["facts"]["exponent"])
    assert len(d["tables"]["optimal"]["rows"]) == 2


@pytest.mark.slow
def test_heavy_commands_json(run_cli, tmp_path):
    """validate, compare, forecast and capex as strict JSON in the schema (small ensembles)."""
    d = check_document(run_cli(["validate", "--dataset", "chinchilla-240", "--law", "chinchilla", "--bootstrap", 20,
                                "--format", "json"])[1], "validate")
    assert len(d["tables"]["points"]["rows"]) == 120 and 0 <= d["facts"]["coverage"] <= 1
    d = check_document(run_cli(["compare", "--dataset", "chinchilla-240", "--laws", "chinchilla", "power",
                                "--bootstrap", 0, "--folds", 2, "--format", "json"])[1], "compare")
    assert d["facts"]["best"] in ("chinchilla", "power") and len(d["tables"]["ranking"]["rows"]) == 2
    d = check_document(run_cli(["forecast", "--dataset", "chinchilla-240", "--laws", "chinchilla", "power",
                                "--bootstrap", 20, "--at", "C=1e24", "--target", "2.0", "--format", "json"])[1],
                       "forecast")
    assert set(d["tables"]) == {"weights", "forecast", "targets"}
    assert not any("forecast:" == n for n in d["notes"])
    code, out, err = run_cli(["capex", REPO / "examples" / "capex_chinchilla.toml", "--bootstrap", 40, "--paths", 200,
                              "--out", tmp_path / "figs", "--format", "json"])
    assert code == 0, err
    d = check_document(out, "capex")
    assert {"policies", "plan"} <= set(d["tables"]) and set(d["files"]) == {"capability", "revenue_cash", "result"}
    assert all(Path(p).is_file() for p in d["files"].values())


def test_strict_writer():
    assert dumps_strict({"a": float("nan"), "b": [np.float64(np.inf), np.int64(3)], "c": np.bool_(True)},
                        indent=None) == '{"a": null, "b": [null, 3], "c": true}'
    with pytest.raises(TypeError, match="cannot write a object"):
        dumps_strict({"x": object()})
    doc = Document("predict")
    doc.table("t", pd.DataFrame({"x": [1.0, np.nan], "flag": ["", "lower"]}))
    rec = strict_json(doc.render("json"))
    assert rec["tables"]["t"]["rows"] == [{"x": 1.0, "flag": None}, {"x": None, "flag": "lower"}]
    assert doc.render("csv") == "x,flag\n1.0,\n,lower\n"
    with pytest.raises(ValueError, match="format must be one of table, csv, json"):
        doc.render("xml")


def test_schema_is_documented():
    text = (REPO / "docs" / "formats.md").read_text()
    s = schema()
    for command in s["properties"]["command"]["enum"]:
        assert f"`{command}`" in text, command
    assert "cli-output-v1.schema.json" in text


# --------------------------------------------------------------------------------------------
# the command line's contract


@pytest.mark.parametrize("argv, message", [
    (["fit", "--dataset", "chinchilla-240", "--csv"], "--csv was renamed: use --format csv"),
    (["fit", "--dataset", "chinchilla-240", "--groups", "N"], "--groups was renamed: use --cluster"),
    (["fit", "--dataset", "chinchilla-240", "--method", "bayesian"], "--method was renamed: use --resampling"),
    (["validate", "--dataset", "chinchilla-240", "--groups", "N"], "--groups was renamed: use --score-by"),
    (["capex", "x.toml", "--replicates", "5"], "--replicates was renamed: use --bootstrap"),
    (["fit", "--dataset", "chinchilla-240", "--bootstrap", "5", "--seed", str(2**64)], "must be <= 9223372036854775807"),
    (["fit", "--dataset", "chinchilla-240", "--bootstrap", "5", "--seed", "-1"], "must be >= 0"),
    (["fit", "--dataset", "chinchilla-240", "--seed", "1.5"], "not a whole number"),
    (["isoflop", "--dataset", "marin-dclm", "--bootstrap", "-5"], "must be >= 0"),
    (["fit", "--dataset", "chinchilla-240", "--format", "xml"], "invalid choice: 'xml'"),
    (["predict", "f.json", "--C", "1", "--format", "csv", "--table", "nope"], "invalid choice: 'nope'"),
])
def test_option_errors_are_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_every_command_has_format_and_one_default_level():
    from scalinglaws.cli import build_parser
    from scalinglaws.intervals import DEFAULT_LEVEL

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        opts = {o: a for a in p._actions for o in a.option_strings}
        assert opts["--format"].choices == ("table", "csv", "json"), name
        if "--level" in opts:
            assert opts["--level"].default == DEFAULT_LEVEL, name


@pytest.mark.parametrize("argv, message", [
    (["fit", "nope.csv", "--out", "{dir}"], "--out {dir}: is a directory"),
    (["fit", "nope.csv", "--out", "{dir}/no/such/f.json"], "does not exist"),
    (["fit", "nope.csv", "--plot", "{dir}/p.txt"], "cannot draw a .txt file"),
    (["compare", "nope.csv", "--laws", "power", "loglinear", "--out", "{dir}"], "is a directory"),
    (["capex", "nope.toml", "--out", "{dir}/file.txt"], "is a file, not a folder"),
])
def test_output_paths_are_checked_before_any_work(tmp_path, run_cli, argv, message):
    """The input does not exist: the refusal names the output, so it came before any reading."""
    (tmp_path / "file.txt").write_text("x")
    argv = [a.format(dir=tmp_path) for a in argv]
    code, out, err = run_cli(argv)
    assert code == 2 and err.startswith("error:") and message.format(dir=tmp_path) in err and err.count("\n") == 1


@pytest.mark.slow
def test_pipes_and_console_script(tmp_path):
    """`scalinglaws datasets | head -1` succeeds quietly; --format json from the installed command
    parses strictly."""
    exe = shutil.which("scalinglaws") or str(Path(sys.executable).parent / "scalinglaws")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(f"set -o pipefail; '{exe}' datasets | head -1", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout.startswith("chinchilla ")
    proc = subprocess.run([exe, "datasets", "--format", "json"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0
    check_document(proc.stdout, "datasets")
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("scalinglaws ")


@pytest.mark.slow
def test_pipeline_example(tmp_path):
    """examples/pipeline.py: fit, predict, forecast and capex through the command line as strict
    JSON, every saved file loaded back, everything written into the folder it is given."""
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "pipeline.py"), str(out), "--replicates", "200",
                           "--paths", "2000"], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "every saved file loaded back" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == ["capex", "ensemble.npz", "forecast.npz", "scenario.toml"]
    assert sorted(p.name for p in (out / "capex").iterdir()) == ["capability.png", "revenue_cash.png", "scenario.npz"]
