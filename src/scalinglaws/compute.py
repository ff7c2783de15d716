"""Training compute of a dense transformer: ``C = 6 N D`` FLOP for N parameters and D tokens.

The approximation counts 2 FLOP per parameter per token for the forward pass and 4 for the
backward pass (Kaplan et al. 2020, arXiv:2001.08361, section 2.1; Hoffmann et al. 2022 use the
same). Every place that turns (N, D) into compute or back uses these functions, so the constant is
written once.
"""

from __future__ import annotations

__all__ = ["FLOP_PER_PARAM_TOKEN", "training_compute", "tokens_for", "params_for"]

FLOP_PER_PARAM_TOKEN = 6.0


def training_compute(N, D):
    """``C = 6 N D``: FLOP to train ``N`` parameters on ``D`` tokens (arrays broadcast)."""
    return FLOP_PER_PARAM_TOKEN * N * D


def tokens_for(C, N):
    """``D = C / (6 N)``: the tokens compute ``C`` buys a model of ``N`` parameters."""
    return C / (FLOP_PER_PARAM_TOKEN * N)


def params_for(C, D):
    """``N = C / (6 D)``: the parameters compute ``C`` trains on ``D`` tokens."""
    return C / (FLOP_PER_PARAM_TOKEN * D)
