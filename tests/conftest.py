"""Fixtures shared by the test files: the Chinchilla point fit, and the command line run in-process."""

from __future__ import annotations

import contextlib
import gc
import io
from pathlib import Path

import jax
import pytest

import scalinglaws as sl
from scalinglaws.cli import main


MAPS = Path("/proc/self/maps")
MAX_MAPPINGS = 40_000
"""Every compiled XLA:CPU program holds about 370 memory mappings (measured: a chinchilla fit), and
the suite compiles well over 175 programs; past Linux's vm.max_map_count (65,530) the next
program's mmap fails and XLA crashes (a segmentation fault while it compiles or (de)serialises).
Compiled programs are dropped when the process nears the limit; the persistent compilation cache
reloads any a later test needs."""


@pytest.fixture(autouse=True)
def _bounded_compiled_programs():
    yield
    if MAPS.exists() and sum(1 for _ in MAPS.open()) > MAX_MAPPINGS:
        jax.clear_caches()
        gc.collect()


@pytest.fixture(scope="session")
def chinchilla_fit():
    """The Huber fit of ``chinchilla`` to the 240 Chinchilla runs (Besiroglu et al.'s data). Read-only:
    tests that need another solver setting pass ``config=`` rather than changing this fit."""
    return sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")


def _run_cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exit_:  # argparse's refusal of an option, as the installed command exits
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(argv) -> (exit status, stdout, stderr)``: ``scalinglaws.cli.main`` with its output
    captured; arguments may be numbers or paths (they are passed as strings)."""
    return _run_cli
