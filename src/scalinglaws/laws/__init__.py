"""Functional forms of scaling laws: the :class:`Law` type and the built-in laws.

A :class:`Law` is a pure JAX function of an internal parameter vector ``theta`` and a feature
matrix ``F`` (one row per data point), plus everything the solver needs around it: parameter
names and transforms (amplitudes are fitted as logs), input columns, which of them must be
positive, bounds, a start grid, and, where it pays, an analytic Jacobian and curvature.

Two fit spaces:

- ``space="log"`` (losses, y > 0): the law returns ``log y_hat`` and residuals are
  ``log y_hat - log y``. Sums of power laws are written in LogSumExp form, as Hoffmann et al.
  (2022, arXiv:2203.15556) do: ``log(E + A N^-alpha) = LSE(log E, log A - alpha log N)``.
- ``space="linear"`` (bounded metrics: pass rates, Elo): the law returns ``y_hat``.

Built-in laws (``get(name)``):

======================  ==========================================================  ==============================
name                    form                                                        parameters
======================  ==========================================================  ==============================
``power``               y = E + A x^-alpha                                          E, A, alpha
``chinchilla``          L = E + A N^-alpha + B D^-beta                              E, A, B, alpha, beta
``loglinear``           y = a + b log10 x                                           a, b
``sigmoid``             y = R0 + (A - R0) / (1 + (C_mid / x)^B)                     R0, A, C_mid, B
``data_constrained``    Muennighoff et al. (2023, arXiv:2305.16264), see below      E, A, B, alpha, beta,
                                                                                    R_D_star, R_N_star
``error_from_loss``     y = eps - k exp(-gamma L) (Gadre et al. 2024): benchmark    eps, k, gamma
                        top-1 error from pre-training loss L
======================  ==========================================================  ==============================

Modules: :mod:`~scalinglaws.laws.base` (the type), :mod:`~scalinglaws.laws.lse` (LogSumExp
machinery), :mod:`~scalinglaws.laws.loss` (power, chinchilla),
:mod:`~scalinglaws.laws.data_constrained`, :mod:`~scalinglaws.laws.bounded` (loglinear, sigmoid,
error_from_loss), :mod:`~scalinglaws.laws.custom`, :mod:`~scalinglaws.laws.tied` (ties between
parameters: ``tie(law, {"beta": "alpha"})``, or the name ``"chinchilla[beta=alpha]"``),
:mod:`~scalinglaws.laws.shared` (one law over many groups with shared parameters:
``share(law, n_groups, ["alpha"])``), :mod:`~scalinglaws.laws.registry`.
"""

from __future__ import annotations

from .base import LN10, UNREACHABLE, Law, product_grid
from .bounded import SIGMOID_REACH
from .custom import custom
from .loss import EXPONENT_MAX, chinchilla_allocation, chinchilla_grid
from .registry import available, builtin, get, register
from .shared import SharedLaw, share
from .tied import Tie, TiedLaw, tie

__all__ = ["Law", "get", "register", "available", "builtin", "custom", "chinchilla_grid", "chinchilla_allocation",
           "EXPONENT_MAX", "SIGMOID_REACH", "UNREACHABLE", "LN10", "product_grid",
           "tie", "Tie", "TiedLaw", "share", "SharedLaw"]
