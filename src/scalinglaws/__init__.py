"""scalinglaws: fast, honest scaling-law fits in JAX.

Importing the package enables float64 in JAX (``jax_enable_x64``): the Huber-on-log-residual
objectives used for loss laws sit near 1e-3 and their optima differ in the sixth digit, which
float32 cannot resolve.
"""

import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from . import bootstrap, datasets, ensemble, extrapolate, laws, objectives, solvers  # noqa: E402
from .ensemble import Ensemble  # noqa: E402
from .fitting import Fit, fit, load  # noqa: E402
from .laws import Law  # noqa: E402
from .validation import InputError  # noqa: E402

__all__ = ["fit", "Fit", "Ensemble", "load", "Law", "InputError", "capex", "datasets", "laws", "plot", "objectives", "solvers", "__version__"]


def __getattr__(name):
    # capex (scipy.stats) and plot (matplotlib) load on first use: `scalinglaws --help` and plain
    # fitting should not pay for them.
    if name in ("capex", "plot"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
