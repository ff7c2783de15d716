"""The scenario file's [demand] and [decision] tables, the report they write, and the command's
machine-readable output."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import capex

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "capex_decision.toml"


@pytest.fixture(scope="module")
def run(tmp_path_factory, run_cli):
    out = tmp_path_factory.mktemp("decision")
    code, stdout, stderr = run_cli(["capex", EXAMPLE, "--bootstrap", 100, "--paths", 20_000, "--out", out,
                                    "--format", "json"])
    assert code == 0, stderr
    return out, json.loads(stdout)


def test_example_decision_loads():
    s = capex.load_scenario(EXAMPLE)
    assert s["commitments"] is None and s["decision"]["max_ruin"] == 0.05 and s["decision"]["lead_time"] == 2
    assert s["demand"]["years"] == [2023, 2024, 2025] and s["demand"]["sigma"] == 0.7
    assert s["revenue"]["r0"] is None  # set by the [demand] fit


def test_the_command_gives_what_the_api_gives(run):
    """The decision in the JSON is optimize_commitments on the fit's predictive paths."""
    out, doc = run
    s = capex.load_scenario(EXAMPLE)
    fit = capex.fit_revenue([2023, 2024, 2025], [0.1e9, 1e9, 10e9], sigma=0.7, level=0.9)
    dc, hw = s["decision"], s["hardware"]
    inputs = capex.DecisionInputs.from_fit(fit, 3, lead_time=dc["lead_time"], planned_growth=dc["planned_growth"],
                                           margin=dc["margin"], initial_cash=dc["initial_cash"], mfu=hw["mfu"],
                                           price_per_gpu_hour=hw["price_per_gpu_hour"], n_paths=20_000)
    decision = inputs.decide()
    rows = {r["policy"]: r for r in doc["tables"]["decision"]["rows"]}
    for policy in ("upfront", "rolling", "staged"):
        assert rows[policy]["spend_fraction"] == pytest.approx(decision.table.loc[policy, "spend_fraction"], rel=1e-12)
        assert rows[policy]["prob_ruin"] <= 0.05
    assert list(doc["tables"])[0] == "decision"
    assert {"frontier", "schedules", "capability", "stress", "sensitivity", "plan", "revenue_fit"} <= set(doc["tables"])
    assert doc["facts"]["decision"]["max_ruin"] == 0.05


def test_report_is_one_self_contained_file(run):
    out, doc = run
    report = Path(doc["files"]["report"])
    assert report == out / "report.html"
    text = report.read_text()
    figures = [k for k in doc["files"] if k not in ("report", "result")]
    assert set(figures) == {"capability", "revenue_fit", "frontier", "capability_bought", "stress", "tornado"}
    assert text.count("data:image/png;base64,") == len(figures)
    assert "src=\"http" not in text and "<link" not in text  # nothing outside the file
    for heading in ("The answer", "Demand", "The decision", "What it buys", "Stress tests", "Sensitivity",
                    "Assumptions"):
        assert f"<h2>{heading}" in text
    assert text.count("<table>") >= 10
    # the saved result reads back with its decision
    back = sl.load(doc["files"]["result"])
    for row in doc["tables"]["decision"]["rows"]:
        assert back.decision.table.loc[row["policy"], "spend_fraction"] == row["spend_fraction"]
    assert back.report_file == report and "The decision" in text


def test_markdown_report(tmp_path):
    s = capex.load_scenario(EXAMPLE)
    s["decision"]["report"] = "markdown"
    s["decision"]["sensitivity"] = False
    result = capex.run_scenario(s, out=tmp_path, n_bootstrap=50, paths=5000)
    text = result.report_file.read_text()
    assert result.report_file.name == "report.md" and "## Sensitivity" not in text
    links = [line[line.index("(") + 1:-1] for line in text.splitlines() if line.startswith("![")]
    assert len(links) == 5 and all((tmp_path / link).is_file() for link in links)
    assert "| policy |" in text


def test_saved_scenario_with_decision_round_trips(tmp_path):
    s = capex.load_scenario(EXAMPLE)
    result = capex.run_scenario(s, n_bootstrap=30, paths=2000, figures=False)
    back = sl.load(result.save(tmp_path / "s.npz"))
    assert back.report() == result.report()
    pd.testing.assert_frame_equal(back.sensitivity.table, result.sensitivity.table)
    np.testing.assert_array_equal(back.revenue, result.revenue)


@pytest.mark.parametrize("change, message", [
    (("[decision]\n", "[decisions]\n"), "unknown section [decisions]"),
    (("lead_time = 2 ", "# "), "[decision] missing key 'lead_time'"),
    (("report = \"html\"", "report = \"pdf\""), "report must be one of"),
    (("years = 3 ", "years = 3\nr0 = 1e9 "), "key 'r0' is set by the [demand] fit"),
    (("revenue = [0.1e9, 1.0e9, 10.0e9]", "revenue = [0.1e9, 1.0e9]"), "same length"),
    (("sigma = 0.7 ", "# "), "every growth in the history is the same"),
    (("max_ruin = 0.05", "max_ruin = 0.0001"), "too few to resolve"),
    (("policies = [\"upfront\", \"rolling\", \"staged\"]", "policies = [\"upfront\", \"yolo\"]"), "'yolo' is not one of"),
    (("[decision]\n", "[decision]\nstress = 1\n"), "stress must be true or false"),
])
def test_scenario_decision_errors(tmp_path, run_cli, change, message):
    body = EXAMPLE.read_text().replace(*change)
    path = tmp_path / "bad.toml"
    path.write_text(body)
    code, stdout, stderr = run_cli(["capex", path, "--no-figures", "--bootstrap", 10, "--paths", 1000])
    assert code == 2 and stdout == "", stderr
    assert stderr.startswith("error: ") and message in stderr, stderr


def test_neither_commitments_nor_decision(tmp_path):
    body = "\n".join(line for line in EXAMPLE.read_text().splitlines())
    body = body[:body.index("[decision]")] + body[body.index("[output]"):]
    path = tmp_path / "none.toml"
    path.write_text(body)
    with pytest.raises(capex.ScenarioError, match=r"needs a \[commitments\] table .* or a \[decision\] table"):
        capex.load_scenario(path)


def test_screenshot_script_measures_ink(tmp_path):
    """examples/screenshot_report.py: the blank-page check on a picture, and the whole script in
    headless Chromium where Debian's chromium is installed (CI has none: that part is skipped)."""
    import importlib.util
    import shutil

    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location("shot", EXAMPLE.parent / "screenshot_report.py")
    shot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shot)
    blank = np.ones((40, 60, 3))
    plt.imsave(tmp_path / "blank.png", blank)
    blank[10:20, 10:40] = 0.0
    plt.imsave(tmp_path / "ink.png", blank)
    assert shot.ink(tmp_path / "blank.png") == ((60, 40), 0.0)
    assert shot.ink(tmp_path / "ink.png")[1] == pytest.approx(300 / 2400)
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed here")
    s = capex.load_scenario(EXAMPLE)
    s["decision"]["sensitivity"] = False
    result = capex.run_scenario(s, out=tmp_path / "r", n_bootstrap=30, paths=2000)
    assert shot.main([str(result.report_file), "--height", "5000"]) == 0
    assert shot.ink(result.report_file.with_suffix(".png"))[1] > 0.02


def test_docs_quote_what_the_walkthrough_prints():
    """docs/capex.md shows the output of examples/capex_50b.py (timings left out): regenerate it and
    compare, so that the page's numbers are the script's."""
    import re
    import subprocess
    import sys

    root = EXAMPLE.parent.parent
    run = subprocess.run([sys.executable, str(root / "examples" / "capex_50b.py")], capture_output=True, text=True,
                         timeout=600, cwd=root)
    assert run.returncode == 0, run.stderr
    printed = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("[time]"))
    page = (root / "docs" / "capex.md").read_text()
    shown = re.search(r"The output of `examples/capex_50b.py`, timings left out:\n\n```text\n(.*?)\n```", page, re.S)
    assert shown is not None
    assert shown.group(1) == printed
