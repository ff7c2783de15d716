"""The registry of laws by name: :func:`get`, :func:`register`, :func:`available`; the built-in
laws are registered when it is imported."""

from __future__ import annotations

from .base import Law
from .bounded import make_error_from_loss, make_loglinear, make_sigmoid
from .data_constrained import make_data_constrained
from .broken import make_bnsl
from .loss import make_chinchilla, make_kaplan, make_power
from .tied import split_tied_name, tie

__all__ = ["get", "register", "available", "builtin"]


# registry
# --------------------------------------------------------------------------------------------
_REGISTRY: dict[str, Law] = {}


def register(law: Law, overwrite: bool = False) -> Law:
    """Add a law to the registry so ``fit(df, law.name)`` finds it."""
    if law.name in _REGISTRY and not overwrite:
        raise ValueError(f"a law named {law.name!r} is already registered; pass overwrite=True")
    _REGISTRY[law.name] = law
    return law


def get(name) -> Law:
    """The registered law called ``name`` (a :class:`Law` is returned unchanged); a name with ties,
    ``"chinchilla[beta=alpha]"``, gives the registered law with those ties
    (:func:`~scalinglaws.laws.tied.tie`)."""
    if isinstance(name, Law):
        return name
    if isinstance(name, str) and name not in _REGISTRY and (parts := split_tied_name(name)) is not None:
        return tie(get(parts[0]), parts[1])
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown law {name!r}; available: {sorted(_REGISTRY)}") from None


def available() -> list[str]:
    """Names of the registered laws."""
    return sorted(_REGISTRY)


for _make in (make_power, make_chinchilla, make_kaplan, make_loglinear, make_sigmoid, make_data_constrained,
              make_error_from_loss, make_bnsl, lambda: make_bnsl(2)):
    register(_make())

_BUILTIN = dict(_REGISTRY)


def builtin(law) -> bool:
    """Whether ``law`` is one of the package's own laws, as built when the package was imported
    (not a custom law, and not one registered over a built-in's name): its name then says
    everything it computes (:mod:`scalinglaws.programs` keys stored programs by it)."""
    return isinstance(law, Law) and _BUILTIN.get(law.name) is law
