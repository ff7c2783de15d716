"""sl.break_test: a known bend is found where it is, with its slopes; a curve without one is
left with power; the multiplier arithmetic; persistence and the figure."""

import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.breaks import multiplier_for

C = np.logspace(18, 23, 60)


def _curve(law, params, seed=0, noise=0.01):
    y = sl.laws.get(law).predict(params, C=C) * np.exp(np.random.default_rng(seed).normal(0, noise, C.size))
    return pd.DataFrame({"C": C, "loss": y})


BENT = dict(a=1.8, b=1.0, c0=0.3, c1=-0.2, d1=1e20, f1=0.3)  # the reducible part flattens from slope 0.3 to 0.1
BENT["b"] = 5.0 * BENT["a"] / sl.laws.get("bnsl").predict({**BENT, "a": 0.0}, C=C[:1])[0]


def test_multiplier_for_the_next_ten_percent():
    assert multiplier_for(0.1) == pytest.approx(0.9**-10)  # 2.87x
    assert multiplier_for(1.0) == pytest.approx(1 / 0.9)
    assert np.isinf(multiplier_for(0.0))


@pytest.fixture(scope="module")
def bent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sl.break_test(_curve("bnsl", BENT), x="C", n_bootstrap=100)


def test_a_known_bend_is_found_where_it_is(bent):
    assert bent.verdict == "bends" and bent.comparison.best == "bnsl"
    assert bent.break_share > 0.9
    t = bent.table()
    loc = t.loc["break location d1"]
    assert loc["lower"] <= BENT["d1"] <= loc["upper"] and loc["upper"] / loc["lower"] < 10
    after = t.loc["slope after (c0 + c1)"]
    assert after["lower"] <= 0.1 <= after["upper"]
    before, later = (t.loc[f"x multiplier for 10% less reducible loss, {w}", "point_fit"] for w in ("before", "after"))
    assert later > 2 * before  # the bend: each further 10% costs more compute
    text = str(bent)
    assert "verdict: bends" in text and "break location d1" in text


def test_a_power_law_is_left_with_power():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = sl.break_test(_curve("power", dict(E=1.8, A=2e4, alpha=0.25), seed=1), x="C", n_bootstrap=50)
    assert bt.comparison.best == "power" and bt.verdict == "no evidence of a bend"


def test_break_test_saves_draws_and_refuses_a_wrong_comparison(bent, tmp_path):
    import matplotlib.pyplot as plt

    back = sl.load(bent.save(tmp_path / "bt.json"))
    assert isinstance(back, sl.BreakTest) and back.verdict == bent.verdict
    pd.testing.assert_frame_equal(back.table(), bent.table())
    fig = sl.plot.figure(bent)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("break, 90% band") for t in labels) and any(t.startswith("bnsl") for t in labels)
    plt.close(fig)
    other = sl.compare(_curve("power", dict(E=1.8, A=2e4, alpha=0.25)), ["power", "loglinear"], x="C",
                       n_bootstrap=0)
    with pytest.raises(ValueError, match="must be of power and bnsl"):
        sl.break_test(None, comparison=other)
    with pytest.raises(ValueError, match="min_change"):
        sl.break_test(None, comparison=bent.comparison, min_change=1.5)
