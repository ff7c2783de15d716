"""Reading saved results: :func:`load` turns any file a result's ``save`` wrote back into that
result.

The file's ``kind`` says which result it holds; each kind is rebuilt by its own class's
``from_dict``. The table of kinds is written out here, not filled in by whichever module
happened to be imported, so ``sl.load`` reads every kind in any process. This module sits above
every result it reads.
"""

from __future__ import annotations

import importlib

from . import serialize
from .ensemble import Ensemble
from .fitting import Fit
from .ensemble_set import EnsembleSet
from .grouped import FitSet
from .inference import Inference
from .isoflop import IsoflopResult
from .validate import ExtrapolationValidation
from .compare import LawComparison
from .forecast import Forecast
from .breaks import BreakTest

__all__ = ["load", "KINDS"]


def _ensemble(d: dict) -> Ensemble:
    return Ensemble.from_dict(d, Fit.from_dict(d["fit"]))


# capex (scipy.stats, and matplotlib through its scenario figures) is imported when a capex file
# is read, so that `import scalinglaws` does not pay for it.
def _capex(module: str, name: str):
    """A reader of ``scalinglaws.capex.<module>.<name>`` records that imports the module when called."""
    def read(d: dict):
        return getattr(importlib.import_module(f"{__package__}.capex.{module}"), name).from_dict(d)

    return read


KINDS = {
    "scalinglaws.Fit": Fit.from_dict,
    "scalinglaws.Inference": Inference.from_dict,
    "scalinglaws.FitSet": FitSet.from_dict,
    "scalinglaws.EnsembleSet": lambda d: EnsembleSet.from_dict(d, FitSet.from_dict),
    "scalinglaws.Ensemble": _ensemble,
    "scalinglaws.IsoflopResult": IsoflopResult.from_dict,
    "scalinglaws.ExtrapolationValidation": ExtrapolationValidation.from_dict,
    "scalinglaws.LawComparison": LawComparison.from_dict,
    "scalinglaws.Forecast": Forecast.from_dict,
    "scalinglaws.BreakTest": BreakTest.from_dict,
    "scalinglaws.capex.Plan": _capex("plan", "Plan"),
    "scalinglaws.capex.CashResult": _capex("cash", "CashResult"),
    "scalinglaws.capex.TrendFit": _capex("trends", "TrendFit"),
    "scalinglaws.capex.RevenueFit": _capex("demand", "RevenueFit"),
    "scalinglaws.capex.CommitmentDecision": _capex("decisions", "CommitmentDecision"),
    "scalinglaws.capex.CapabilityBought": _capex("capability", "CapabilityBought"),
    "scalinglaws.capex.StressTests": _capex("stress", "StressTests"),
    "scalinglaws.capex.Sensitivity": _capex("stress", "Sensitivity"),
    "scalinglaws.capex.ScenarioResult": _capex("scenario", "ScenarioResult"),
}


def load(path):
    """The result saved at ``path`` (a :class:`~scalinglaws.fitting.Fit`, an
    :class:`~scalinglaws.ensemble.Ensemble`, a ``FitSet``, an ``IsoflopResult``, an
    ``ExtrapolationValidation``, a ``LawComparison``, a ``Forecast``, or a ``capex`` ``Plan``,
    ``CashResult``, ``TrendFit``, ``RevenueFit``, ``CommitmentDecision``, ``CapabilityBought``, ``StressTests``, ``Sensitivity`` or ``ScenarioResult``), as its ``save`` wrote it, in either
    encoding (:mod:`scalinglaws.serialize`).

    Loading checks the format version, the kind, the law, that the arrays' lengths agree and
    that the stated parameters are the ones the stored arrays give; a file that fails is a
    ``ValueError`` naming the file and the field."""
    d = serialize.read_record(path)
    reader = KINDS.get(d["kind"])
    if reader is None:
        raise ValueError(f"{path}: field 'kind' is {d['kind']!r}: not a result this version reads "
                         f"(known: {', '.join(sorted(KINDS))})")
    try:
        return reader(d)
    except serialize.RecordError as err:
        raise ValueError(f"{path}: {err}") from None
    except KeyError as err:
        raise ValueError(f"{path}: field {err.args[0]!r} is missing: not a complete {d['kind']} file") from None
    except (TypeError, ValueError, IndexError, AttributeError) as err:
        raise ValueError(f"{path}: not a readable {d['kind']} file ({type(err).__name__}: {err})") from None
