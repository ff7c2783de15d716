"""Cold paths: the package imports nothing heavy until a name is used, the command line answers
--help and --version without JAX, and JAX is set up (float64) however it comes to be imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

import scalinglaws as sl


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_importing_the_package_does_not_import_jax():
    assert _run("import sys, scalinglaws; print('jax' in sys.modules, scalinglaws.__version__)") == \
        f"False {sl.__version__}"


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_answer_without_jax(flag):
    code = ("import sys\nfrom scalinglaws import cli\ntry:\n    cli.main([%r])\nexcept SystemExit as e:\n"
            "    assert e.code == 0\nprint('JAX' if 'jax' in sys.modules else 'no JAX')" % flag)
    out = _run(code)
    assert out.endswith("no JAX")
    if flag == "--version":
        assert f"scalinglaws {sl.__version__}" in out


@pytest.mark.parametrize("order", ["package first", "jax first"])
def test_jax_runs_in_float64_whichever_is_imported_first(order):
    imports = "import scalinglaws, jax" if order == "package first" else "import jax, scalinglaws"
    assert _run(f"{imports}\nimport jax.numpy as jnp\nprint(jnp.ones(2).dtype)") == "float64"


def test_functions_keep_their_names_when_their_modules_are_imported():
    # sl.compare, sl.forecast and sl.isoflop are functions in modules of the same name; importing
    # the modules (as other modules do) must not rebind the package's names to them.
    code = ("import scalinglaws as sl\nimport scalinglaws.compare, scalinglaws.forecast, scalinglaws.isoflop\n"
            "from scalinglaws import compare\nprint(callable(sl.compare), callable(sl.forecast), callable(sl.isoflop),"
            " callable(compare))")
    assert _run(code) == "True True True True"


def test_every_public_name_resolves():
    for name in sl.__all__:
        assert getattr(sl, name) is not None, name
    assert set(sl.__all__) <= set(dir(sl))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sl.nope


@pytest.mark.parametrize(("argv", "status"), [(["datasets"], 0), (["fit", "--dataset", "no-such-set"], 2)])
def test_the_installed_command_exits_with_the_status_of_main(argv, status):
    # scalinglaws.cli.run (the console script) freezes the garbage collector before exiting: the
    # output must still be flushed and the status passed on.
    proc = subprocess.run([sys.executable, "-m", "scalinglaws.cli", *argv], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == status, proc.stderr
    if status == 0:
        assert "chinchilla-240" in proc.stdout
    else:
        assert proc.stderr.startswith("error: unknown data set 'no-such-set'")


def test_the_console_script_is_the_freezing_entry_point():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["scalinglaws"] == "scalinglaws.cli:run"
