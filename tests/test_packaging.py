"""The package as installed: its declared dependencies are the ones the code imports, every
subpackage is listed, and the shipped data and schema are read through importlib.resources."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

import scalinglaws
import scalinglaws.datasets as datasets

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(scalinglaws.__file__).parent
# Distribution name -> import name, where they differ.
IMPORT_NAMES = {"ml_dtypes": None, "flatbuffers": None}  # used by JAX, held here for the reasons pyproject gives


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _imported_top_levels() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_imported():
    imported = _imported_top_levels()
    for requirement in _pyproject()["project"]["dependencies"]:
        name = requirement.split(">")[0].split("<")[0].split("=")[0].strip()
        module = IMPORT_NAMES.get(name, name)
        if module is None:
            continue
        assert module in imported, f"{name} is declared in pyproject.toml but never imported by the package"
    assert "optax" not in imported and "jaxlib" not in imported


def test_every_subpackage_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {"scalinglaws." + ".".join(p.parent.relative_to(PACKAGE).parts) if p.parent != PACKAGE else "scalinglaws"
             for p in PACKAGE.rglob("__init__.py")}
    assert found | {"scalinglaws.data"} == listed


def test_data_and_schema_are_package_resources():
    data = resources.files("scalinglaws.data")
    assert data.joinpath("README.md").is_file()
    assert any(p.name.endswith(".csv") for d in data.iterdir() if d.is_dir() for p in d.iterdir())
    assert Path(str(data)) in datasets._candidate_dirs()
    assert datasets.path("chinchilla-240").is_file()
    assert resources.files("scalinglaws").joinpath("schemas", "cli-output-v1.schema.json").is_file()
    assert "share/scalinglaws" not in (REPO / "pyproject.toml").read_text()
    assert sys.modules["scalinglaws.data"].__doc__


@pytest.mark.slow
def test_wheel_holds_the_data_and_the_schema(tmp_path):
    """A regular wheel (not only the editable install) carries the data sets and the schema.
    The build runs as pip runs it, in an isolated environment with the build-system's
    requirements from the package index."""
    import subprocess
    import zipfile

    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("scalinglaws-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    csvs = {p.relative_to(REPO / "data").as_posix() for p in (REPO / "data").glob("*/*.csv")}
    assert {f"scalinglaws/data/{c}" for c in csvs} <= names
    assert {"scalinglaws/data/__init__.py", "scalinglaws/data/README.md",
            "scalinglaws/schemas/cli-output-v1.schema.json"} <= names
    assert not any(n.startswith("scalinglaws-0.1.0.data/") for n in names)  # no data-files any more
