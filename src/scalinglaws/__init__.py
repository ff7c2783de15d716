"""scalinglaws: fast, honest scaling-law fits in JAX.

Importing the package imports nothing heavy: each name loads its module on first use, so that
``scalinglaws --help`` answers without JAX. JAX itself is set up the moment it is imported
(float64 and the persistent compilation cache; see ``scalinglaws._jax_setup``).
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING

from . import _jax_setup
from ._version import __version__

_jax_setup.configure_on_import()

_EXPORTS = {
    "fit": "grouped", "FitSet": "grouped", "EnsembleSet": "grouped",
    "Fit": "fitting", "NoDataError": "fitting",
    "Ensemble": "ensemble", "Inference": "inference", "load": "io", "Law": "laws", "InputError": "inputs",
    "isoflop": "isoflop", "IsoflopResult": "isoflop", "IsoflopWarning": "isoflop",
    "validate_extrapolation": "validate", "ExtrapolationValidation": "validate",
    "compare": "compare", "LawComparison": "compare",
    "forecast": "forecast", "Forecast": "forecast",
    "break_test": "breaks", "BreakTest": "breaks",
}
"""Public name -> the module that defines it."""

_SUBMODULES = ("bootstrap", "capex", "chain", "datasets", "ensemble", "extrapolate", "inference", "intervals", "io",
               "laws", "objectives", "plot", "solvers")

_SHADOWED = frozenset(name for name, module in _EXPORTS.items() if name == module)
"""``sl.compare``, ``sl.forecast`` and ``sl.isoflop`` are functions, named like their modules."""

__all__ = ["fit", "Fit", "FitSet", "EnsembleSet", "NoDataError", "Ensemble", "Inference", "load", "Law", "InputError",
           "__version__",
           "isoflop", "IsoflopResult", "IsoflopWarning", "validate_extrapolation", "ExtrapolationValidation",
           "compare", "LawComparison", "forecast", "Forecast", "break_test", "BreakTest",
           *_SUBMODULES]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    def __setattr__(self, name, value):
        # Importing a submodule binds it to the package's attribute of its name; where the package
        # exports a function of that name, the function keeps the name.
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from . import bootstrap, capex, chain, datasets, ensemble, extrapolate, inference, intervals, io, laws  # noqa: F401
    from . import objectives, plot, solvers  # noqa: F401
    from .breaks import BreakTest, break_test  # noqa: F401
    from .compare import LawComparison, compare  # noqa: F401
    from .ensemble import Ensemble  # noqa: F401
    from .fitting import Fit, NoDataError  # noqa: F401
    from .forecast import Forecast, forecast  # noqa: F401
    from .grouped import EnsembleSet, FitSet, fit  # noqa: F401
    from .inference import Inference  # noqa: F401
    from .inputs import InputError  # noqa: F401
    from .io import load  # noqa: F401
    from .isoflop import IsoflopResult, IsoflopWarning, isoflop  # noqa: F401
    from .laws import Law  # noqa: F401
    from .validate import ExtrapolationValidation, validate_extrapolation  # noqa: F401
