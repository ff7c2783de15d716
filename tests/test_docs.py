"""The documentation site: it builds in strict mode (a broken link, a missing page or a docstring
mkdocstrings cannot render fails the build), and its API reference covers every public name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import scalinglaws

REPO = Path(__file__).resolve().parents[1]


def test_site_builds_in_strict_mode(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    site = tmp_path / "site"
    assert (site / "index.html").is_file() and (site / "formats" / "index.html").is_file()
    fitting = (site / "api" / "fitting" / "index.html").read_text()
    assert "bootstrap" in fitting and ":class:" not in fitting  # rendered from the docstrings, roles as code
    assert "Quick start" in (site / "index.html").read_text()  # the README is the home page


def test_api_reference_covers_every_public_name():
    pages = "\n".join(p.read_text() for p in (REPO / "docs" / "api").glob("*.md"))
    documented = set(re.findall(r"^::: ([\w.]+)", pages, flags=re.M))
    exports = scalinglaws._EXPORTS
    for name, module in exports.items():
        target = f"scalinglaws.{module}.{name}"
        defined_in = getattr(scalinglaws, name).__module__
        assert target in documented or f"{defined_in}.{name}" in documented or defined_in in documented, name
