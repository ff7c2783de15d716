"""Ties between the parameters of one law: ``beta = alpha``, ``beta = 2 * alpha``.

A tie ``target = scale * source + offset`` (public units) removes ``target`` from the fitted
parameters. :func:`tie` returns a :class:`TiedLaw` over the remaining ones, whose prediction is
the base law's at the expanded vector ``theta_full = c + M theta``. The map is affine in the
solver's internal units, so the base law's analytic derivatives carry over exactly:
``J = J_full M`` and ``sum_i c_i Hess(pred_i) = M^T (sum_i c_i Hess_full(pred_i)) M``; and so do
its closed forms (a tied Chinchilla keeps its compute-optimal allocation and its inverse).

That holds when both parameters are fitted in the same units: two ``identity`` parameters with
any ``scale`` and ``offset``, or two ``log`` parameters (amplitudes) with ``scale > 0`` and no
offset (``log A = log scale + log B``). Other ties are not affine in the fitted units and are
refused.

Published ties: Muennighoff et al. (2023, arXiv:2305.16264) fit the data-constrained law with
``alpha = beta``; Gadre et al. (2024, arXiv:2403.08540) share one exponent between ``N`` and ``D``.

A tied law is named ``"base[target=scale*source+offset,...]"`` and :func:`scalinglaws.laws.get`
resolves that name, so fits of tied laws save, load and run from the command line.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from .base import Law

__all__ = ["Tie", "TiedLaw", "tie", "parse_ties", "split_tied_name"]


@dataclass(frozen=True)
class Tie:
    """``target = scale * source + offset`` in public units."""

    target: str
    source: str
    scale: float = 1.0
    offset: float = 0.0

    def __str__(self) -> str:
        rhs = self.source if self.scale == 1.0 else f"{self.scale:g}*{self.source}"
        if self.offset:
            rhs += f"{'+' if self.offset > 0 else '-'}{abs(self.offset):g}"
        return f"{self.target}={rhs}"

    def apply(self, source_value):
        return self.scale * source_value + self.offset


_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_RHS = re.compile(rf"^\s*(?:(?P<scale>-?{_NUMBER})\s*\*\s*)?(?P<source>[A-Za-z_]\w*)"
                  rf"\s*(?:(?P<sign>[-+])\s*(?P<offset>{_NUMBER}))?\s*$")


def _parse_rhs(target: str, rhs) -> Tie:
    if isinstance(rhs, str):
        m = _RHS.match(rhs)
        if m is None:
            raise ValueError(f"tie for {target!r}: cannot read {rhs!r}; write 'alpha', '2*alpha' or '2*alpha+0.1'")
        offset = float(m["offset"]) if m["offset"] else 0.0
        return Tie(target, m["source"], float(m["scale"]) if m["scale"] else 1.0,
                   -offset if m["sign"] == "-" else offset)
    if isinstance(rhs, (tuple, list)) and 1 <= len(rhs) <= 3 and isinstance(rhs[0], str):
        scale = float(rhs[1]) if len(rhs) > 1 else 1.0
        offset = float(rhs[2]) if len(rhs) > 2 else 0.0
        return Tie(target, rhs[0], scale, offset)
    raise ValueError(f"tie for {target!r} must be a parameter name, a string such as '2*alpha', or a tuple "
                     f"(source, scale[, offset]); got {rhs!r}")


def parse_ties(spec) -> tuple[Tie, ...]:
    """Ties from ``{"beta": "alpha"}``, ``{"beta": "2*alpha"}``, ``{"beta": ("alpha", 2.0)}``,
    a string ``"beta=alpha,gamma=2*alpha"``, or a sequence of :class:`Tie`; sorted by target."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        pairs = {}
        for part in filter(None, (s.strip() for s in spec.split(","))):
            if "=" not in part:
                raise ValueError(f"tie {part!r} must read target=source, e.g. 'beta=alpha' or 'beta=2*alpha'")
            target, rhs = part.split("=", 1)
            pairs[target.strip()] = rhs
        spec = pairs
    if isinstance(spec, Mapping):
        ties = [_parse_rhs(str(t), rhs) for t, rhs in spec.items()]
    else:
        ties = list(spec)
        if not all(isinstance(t, Tie) for t in ties):
            raise ValueError(f"tie must be a mapping target -> source, got {spec!r}")
    for t in ties:
        if not (math.isfinite(t.scale) and math.isfinite(t.offset)) or t.scale == 0:
            raise ValueError(f"tie {t}: scale must be finite and nonzero and offset finite")
    return tuple(sorted(ties, key=lambda t: t.target))


def split_tied_name(name: str) -> tuple[str, str] | None:
    """``"chinchilla[beta=alpha]"`` -> ``("chinchilla", "beta=alpha")``; None for a plain name."""
    m = re.match(r"^(?P<base>[^\[\]]+)\[(?P<ties>[^\[\]]*)\]$", name.strip())
    return None if m is None else (m["base"].strip(), m["ties"])


@dataclass(frozen=True, eq=False)
class TiedLaw(Law):
    """A :class:`Law` with some parameters tied to others (see module docstring).

    Extra attributes: ``base`` (the untied law), ``ties`` (:class:`Tie` s), ``expand_matrix`` M
    [p_base, p] and ``expand_offset`` c [p_base] (internal units: ``theta_base = c + M theta``).
    :meth:`params_dict` reports every base parameter, the tied ones included.
    """

    base: Law | None = None
    ties: tuple = ()
    expand_matrix: np.ndarray | None = None
    expand_offset: np.ndarray | None = None

    def expand(self, theta):
        """Internal ``[..., p]`` -> the base law's internal ``[..., p_base]`` (numpy or JAX)."""
        xp = np if isinstance(theta, np.ndarray) else jnp
        return xp.asarray(self.expand_offset) + xp.asarray(theta) @ xp.asarray(self.expand_matrix).T

    def full_public(self, P: Mapping) -> dict:
        """Public parameters by name (arrays broadcast) -> every base parameter by name."""
        out = dict(P)
        for t in self.ties:
            out[t.target] = t.apply(P[t.source])
        return {n: out[n] for n in self.base.params}

    def params_dict(self, theta) -> dict[str, float]:
        return self.base.params_dict(self.expand(np.asarray(theta, dtype=np.float64)))

    @property
    def public_names(self) -> tuple[str, ...]:
        return self.base.params

    @property
    def public_transforms(self) -> tuple[str, ...]:
        return self.base.transforms

    def public_values(self, theta) -> np.ndarray:
        return np.asarray(self.base.to_public(self.expand(np.asarray(theta, dtype=np.float64))))

    def public_jacobian(self, theta) -> np.ndarray:
        return self.base.public_jacobian(self.expand(np.asarray(theta, dtype=np.float64))) @ self.expand_matrix

    def public_source(self) -> np.ndarray:
        source = {t.target: t.source for t in self.ties}
        return np.array([self.params.index(source.get(n, n)) for n in self.base.params])


def tie(law: Law, ties) -> Law:
    """``law`` with ``ties`` (see :func:`parse_ties`); the law itself when there are none.

    Cached, so the same ties give the same :class:`TiedLaw` object and the compiled solver
    programs are reused.
    """
    ties = parse_ties(ties)
    if not ties:
        return law
    if isinstance(law, TiedLaw):
        return tie(law.base, {**{t.target: (t.source, t.scale, t.offset) for t in law.ties},
                              **{t.target: (t.source, t.scale, t.offset) for t in ties}})
    return _tied(law, ties)


@functools.lru_cache(maxsize=128)
def _tied(law: Law, ties: tuple[Tie, ...]) -> TiedLaw:
    names = list(law.params)
    targets = [t.target for t in ties]
    for t in ties:
        for role, n in (("target", t.target), ("source", t.source)):
            if n not in names:
                raise KeyError(f"tie {t}: {role} {n!r} is not a parameter of law {law.name!r} ({names})")
            if n in law.mixed_params:
                raise ValueError(f"tie {t}: {n!r} of law {law.name!r} is derived from the fitted parameters "
                                 f"({law.internal_names}) and cannot be tied")
        if t.source == t.target:
            raise ValueError(f"tie {t}: a parameter cannot be tied to itself")
        if t.source in targets:
            raise ValueError(f"tie {t}: its source {t.source!r} is itself tied; tie both to one free parameter")
    if len(set(targets)) != len(targets):
        raise ValueError(f"a parameter is tied twice: {targets}")
    free = [n for n in names if n not in targets]
    p_base, p = len(names), len(free)
    M = np.zeros((p_base, p))
    c = np.zeros(p_base)
    for j, n in enumerate(free):
        M[names.index(n), j] = 1.0
    for t in ties:
        i, s = names.index(t.target), free.index(t.source)
        kinds = (law.transforms[i], law.transforms[names.index(t.source)])
        if kinds == ("identity", "identity"):
            M[i, s], c[i] = t.scale, t.offset
        elif kinds == ("log", "log") and t.scale > 0 and t.offset == 0:
            M[i, s], c[i] = 1.0, math.log(t.scale)
        else:
            raise ValueError(
                f"tie {t} on law {law.name!r}: {t.target!r} is fitted as {'a log' if kinds[0] == 'log' else 'itself'} "
                f"and {t.source!r} as {'a log' if kinds[1] == 'log' else 'itself'}; a tie must be affine in the fitted "
                "units: between two exponents or offsets (any scale and offset) or between two amplitudes "
                "(a positive scale, no offset)")
    free_idx = [names.index(n) for n in free]
    lo_static, hi_static = _reduced_bounds(np.array(law.lower, float), np.array(law.upper, float), M, c, free_idx)

    def fit_fn(theta, F):
        return law.fit_fn(c + M @ theta, F)

    def jacobian(theta, F):
        pred, J = law.value_and_jacobian(c + M @ theta, F)
        return pred, J @ M

    curvature_parts = None
    if law.curvature_parts is not None:
        def curvature_parts(theta, F):
            cols, assemble = law.curvature_parts(c + M @ theta, F)
            return cols, lambda sums: M.T @ assemble(sums) @ M

    def curvature(theta, F, cw):
        return M.T @ law.curvature_term(c + M @ theta, F, cw) @ M

    def data_bounds(F, y_fit):
        lo, hi = law.bounds(F, y_fit)
        return _reduced_bounds(lo, hi, M, c, free_idx)

    def grid(F, y_fit):
        g = law.start_grid(F, y_fit)[:, free_idx]
        return np.unique(g, axis=0)

    tied = TiedLaw(
        name=f"{law.name}[{','.join(str(t) for t in ties)}]",
        params=tuple(free),
        transforms=tuple(law.transforms[i] for i in free_idx),
        inputs=law.inputs,
        target=law.target,
        space=law.space,
        fit_fn=fit_fn,
        grid=grid,
        log_inputs=law.log_inputs,
        lower=tuple(lo_static),
        upper=tuple(hi_static),
        jacobian=jacobian,
        curvature=curvature,
        curvature_parts=curvature_parts,
        data_bounds=data_bounds,
        default_objective=law.default_objective,
        point_starts=law.point_starts,
        race_starts=law.race_starts,
        formula=f"{law.formula}; " + ", ".join(str(t).replace("=", " = ").replace("*", " * ") for t in ties),
        reference=law.reference,
        inverse=None,
        inverse_input=law.inverse_input,
        allocation=None,
        check_inputs=law.check_inputs,
        base=law,
        ties=ties,
        expand_matrix=M,
        expand_offset=c,
    )
    # The closed forms read the base law's parameters by name: fill in the tied ones first.
    if law.inverse is not None:
        object.__setattr__(tied, "inverse", lambda P, target: law.inverse(tied.full_public(P), target))
    if law.allocation is not None:
        object.__setattr__(tied, "allocation", lambda P, C: law.allocation(tied.full_public(P), C))
    return tied


def _reduced_bounds(lo, hi, M, c, free_idx):
    """Bounds of the free parameters: their own, intersected with those each tie implies through
    ``theta_base = c + M theta`` (a tied parameter's range limits its source's)."""
    rlo, rhi = lo[free_idx].copy(), hi[free_idx].copy()
    for i in range(len(lo)):
        if i in free_idx:
            continue
        s = int(np.flatnonzero(M[i])[0])
        a = M[i, s]
        with np.errstate(invalid="ignore"):
            b1, b2 = (lo[i] - c[i]) / a, (hi[i] - c[i]) / a
        blo, bhi = (b1, b2) if a > 0 else (b2, b1)
        rlo[s], rhi[s] = max(rlo[s], blo), min(rhi[s], bhi)
    return rlo, rhi
