"""Stored programs (scalinglaws.programs): a fresh process loads the point fit's exported programs
(the grid screen, the solver, and the inference's predictions and moments) instead of tracing
them, and gets the same numbers bit for bit; what cannot be named is not stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

FIT = """
import json, sys
import numpy as np, pandas as pd
import scalinglaws as sl
from scalinglaws import programs
law = sys.argv[1]
if law == "custom":
    law = sl.laws.custom("mine", lambda p, x: p["a"] + p["b"] * x["x"], params=["a", "b"], inputs=["x"],
                         target="y", grid={"a": [0.0, 1.0], "b": [0.5, 2.0]})
    df = pd.DataFrame({"x": np.arange(8.0), "y": 1.0 + 0.5 * np.arange(8.0) + 0.01 * np.sin(np.arange(8.0))})
else:
    df = sl.datasets.load("chinchilla-240")
fit = sl.fit(df, law)
cov = fit.inference().cov_internal
print(json.dumps({"stats": programs.stats, "objective": fit.objective.hex(), "theta": fit.theta.tobytes().hex(),
                  "cov": cov.tobytes().hex(), "directory": str(programs.directory())}))
"""


def _fit(tmp_path, law="chinchilla", **env):
    environ = {**os.environ, "SCALINGLAWS_CACHE_DIR": str(tmp_path / "cache"), **env}
    out = subprocess.run([sys.executable, "-c", FIT, law], check=True, capture_output=True, text=True, env=environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _programs(tmp_path):
    where = tmp_path / "cache" / "programs"
    return sorted(where.glob("*.jexp")) if where.exists() else []


@pytest.mark.slow
def test_a_fresh_process_loads_the_programs_and_gets_the_same_numbers(tmp_path):
    first = _fit(tmp_path)
    # the grid screen, the solver, the inference's predictions and its moments
    assert first["stats"]["exported"] == 4 and first["stats"]["loaded"] == 0
    assert len(_programs(tmp_path)) == 4
    second = _fit(tmp_path)
    assert second["stats"] == {"exported": 0, "loaded": 4, "plain": 0}
    assert (second["objective"], second["theta"], second["cov"]) == (first["objective"], first["theta"], first["cov"])
    # A damaged file is exported again, not trusted.
    for path in _programs(tmp_path):
        path.write_bytes(b"not a program")
    third = _fit(tmp_path)
    assert third["stats"]["exported"] == 4 and (third["objective"], third["theta"], third["cov"]) == (
        first["objective"], first["theta"], first["cov"])


@pytest.mark.slow
def test_custom_laws_and_a_cache_turned_off_run_plain(tmp_path):
    custom = _fit(tmp_path, "custom")
    assert custom["stats"]["exported"] == 0 and custom["stats"]["plain"] >= 1 and not _programs(tmp_path)
    off = _fit(tmp_path, SCALINGLAWS_COMPILATION_CACHE="0")
    assert off["directory"] == "None" and off["stats"]["exported"] == 0 and not _programs(tmp_path)


def test_the_key_names_every_static_argument_and_array():
    import scalinglaws as sl
    from scalinglaws import programs

    law, config = sl.laws.get("chinchilla"), sl.solvers.SolverConfig()
    arrays = {"F": np.ones((8, 2)), "n_valid": None}
    base = programs._key("f", {"law": law, "config": config}, arrays)
    assert base == programs._key("f", {"law": law, "config": sl.solvers.SolverConfig()}, dict(arrays))
    others = [programs._key("g", {"law": law, "config": config}, arrays),
              programs._key("f", {"law": sl.laws.get("power"), "config": config}, arrays),
              programs._key("f", {"law": law, "config": sl.solvers.SolverConfig(max_iter=201)}, arrays),
              programs._key("f", {"law": law, "config": config}, {"F": np.ones((16, 2)), "n_valid": None}),
              programs._key("f", {"law": law, "config": config}, {"F": np.ones((8, 2), np.float32), "n_valid": None}),
              programs._key("f", {"law": law, "config": config}, {"F": np.ones((8, 2)), "n_valid": np.int32(3)})]
    assert len({base, *others}) == 7
    # An object named by its address cannot be keyed across processes: no key, a plain call.
    assert programs._key("f", {"fn": lambda: 0}, arrays) is None
    assert programs.call(lambda **kw: "plain", "f", {"fn": lambda: 0}, arrays) == "plain"


def test_clear_releases_the_compiled_code_and_later_calls_still_run():
    import scalinglaws as sl
    from scalinglaws import programs

    df = sl.datasets.load("chinchilla-240")
    before = sl.fit(df, "chinchilla")
    maps = "/proc/self/maps"
    count = (lambda: sum(1 for _ in open(maps))) if os.path.exists(maps) else None
    held = count() if count else None
    programs.clear()
    assert not programs._PROGRAMS
    if count:
        # Every compiled kernel holds memory mappings; clearing gives them back (Linux).
        assert count() < held - 100
    again = sl.fit(df, "chinchilla")
    np.testing.assert_array_equal(again.theta, before.theta)
