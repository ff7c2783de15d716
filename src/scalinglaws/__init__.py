"""scalinglaws: fast, honest scaling-law fits in JAX.

Importing the package enables float64 in JAX (``jax_enable_x64``): the Huber-on-log-residual
objectives used for loss laws sit near 1e-3 and their optima differ in the sixth digit, which
float32 cannot resolve.
"""

import os

import jax

jax.config.update("jax_enable_x64", True)


def _enable_compilation_cache() -> None:
    """Persist compiled programs across processes (JAX's compilation cache).

    A fit or an ensemble compiles for ~2 s on a CPU; with the cache a second process loads the
    program instead. The cache lives in ``$SCALINGLAWS_CACHE_DIR`` or
    ``$XDG_CACHE_HOME/scalinglaws/jax`` (``~/.cache/...``). It is left alone if you already set
    ``jax_compilation_cache_dir``, and ``SCALINGLAWS_COMPILATION_CACHE=0`` turns it off.
    """
    if os.environ.get("SCALINGLAWS_COMPILATION_CACHE", "1").lower() in ("0", "false", "no", "off"):
        return
    if jax.config.jax_compilation_cache_dir:
        return
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.environ.get("SCALINGLAWS_CACHE_DIR") or os.path.join(root, "scalinglaws", "jax")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", path)
    # The solver programs compile in 0.3-3 s, the small helpers in 0.02-0.05 s: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.01)


_enable_compilation_cache()

from ._version import __version__  # noqa: E402

from . import bootstrap, chain, datasets, ensemble, extrapolate, inference, intervals, io, laws, objectives, solvers  # noqa: E402
from .ensemble import Ensemble  # noqa: E402
from .fitting import Fit, NoDataError  # noqa: E402
from .inference import Inference  # noqa: E402
from .grouped import EnsembleSet, FitSet, fit  # noqa: E402
from .io import load  # noqa: E402
from .isoflop import IsoflopResult, IsoflopWarning, isoflop  # noqa: E402  (sl.isoflop is the function)
from .laws import Law  # noqa: E402
from .validate import ExtrapolationValidation, validate_extrapolation  # noqa: E402
from .compare import LawComparison, compare  # noqa: E402  (sl.compare is the function)
from .forecast import Forecast, forecast  # noqa: E402  (sl.forecast is the function)
from .breaks import BreakTest, break_test  # noqa: E402
from .inputs import InputError  # noqa: E402

__all__ = ["fit", "Fit", "FitSet", "EnsembleSet", "NoDataError", "Ensemble", "Inference", "load", "Law", "InputError",
           "__version__",
           "isoflop", "IsoflopResult", "IsoflopWarning", "validate_extrapolation", "ExtrapolationValidation",
           "compare", "LawComparison", "forecast", "Forecast", "break_test", "BreakTest",
           "bootstrap", "capex", "chain", "datasets", "extrapolate", "inference", "intervals", "io", "laws", "objectives", "plot",
           "solvers"]


def __getattr__(name):
    # capex (scipy.stats) and plot (matplotlib) load on first use: `scalinglaws --help` and plain
    # fitting should not pay for them.
    if name in ("capex", "plot"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
