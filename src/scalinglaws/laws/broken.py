"""The smoothly broken power law ``bnsl`` (Caballero et al. 2022, "Broken Neural Scaling Laws",
arXiv:2210.14891), with one break (``bnsl``) or two (``bnsl2``):

    y = a + b x^-c0 prod_i (1 + (x / d_i)^(1 / f_i))^(-c_i f_i).

Well below break ``i`` its factor is 1; well above it, ``(x / d_i)^-c_i``: the log-log slope of
``y - a`` is ``-c0`` before the first break and ``-(c0 + c1)`` after it (``-(c0 + c1 + c2)`` after
the second). ``d_i`` is where the break sits (in the input's units) and ``f_i`` how sharp it is:
the bend takes about ``f_i`` e-folds of ``x`` (``f -> 0``: a kink). ``c_i < 0`` is a curve that
flattens after the break (progress bending off its power law), ``c_i > 0`` one that steepens.

Fitted in log space like ``power``: ``log y = LSE(log a, log b - c0 log x - sum_i c_i f_i
softplus((log x - log d_i) / f_i))``, with ``a`` linear (its floor is a bound, as ``power``'s
``E``), ``b``, ``d_i``, ``f_i`` as logs, and not ``c_i`` but the slope after each break, ``s_i =
c0 + c1 + ... + c_i``, as the fitted parameter (:class:`BrokenLaw`; ``c_i = s_i - s_(i-1)`` is
reported). ``c0`` and every ``s_i`` are at least 0: the law falls, or flattens to a constant, but
never rises with ``x``. Unconstrained, a fit on the low-compute part of a curve can put a break at
its last points with a slope change large enough to turn the curve upward (seen in 2 of 20
rolling-origin fits on synthetic broken curves with 1% noise, predicting up to 4x the held-out
loss), an extrapolation no loss-against-compute curve supports. The constraint makes ``c_i``
derived, so ``bounds``, ``fixed``, ties and shared parameters refer to ``a``, ``b``, ``c0``,
``d_i``, ``f_i`` only. Each break location is bounded to the data's range of
``x`` widened by :data:`BREAK_MARGIN` decades on each side: a break far outside the data is not
identified by them, and a fit that puts one there ends on the bound and is flagged. The two
breaks of ``bnsl2`` share their bounds, so the law does not order them: read them sorted by ``d``.

Its fits start from more grid points than other laws' (:data:`POINT_STARTS`) and do not race
their starts (``Law.race_starts``): on smooth curves a wrong local optimum (a flattening break
where the truth steepens) converges in a few iterations while the right start is still far
behind, and racing abandons it. Measured on 40 noise-free synthetic curves per law (40 points
over six decades, breaks between 20% and 85% of the range of log x and 30% of it apart, ``|c_i|``
0.5-0.8 of ``c0``, the default Huber objective; a miss is a parameter off by more than 1e-6 relative): one break, 32
racing starts 4 misses, 128 starts without racing 0; two breaks, 32 racing starts 4 misses, 256
racing 4, 256 without racing 0 (about 0.3 s and 0.6 s a fit on two CPU cores).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import jax.numpy as jnp
import jax
import numpy as np

from .base import Law, group_max, group_min, one_group
from .lse import _irreducible_floor, _log_sum_exp
from .loss import EXPONENT_MAX

__all__ = ["make_bnsl", "BrokenLaw", "BREAK_MARGIN", "SHARPNESS_RANGE", "POINT_STARTS", "break_slopes"]

BREAK_MARGIN = 1.0
"""Decades beyond the data's smallest and largest input within which a break may sit."""

SHARPNESS_RANGE = (0.02, 20.0)
"""Bounds of each ``f_i`` (e-folds of ``x`` over which a break bends): from a near kink to a bend
spread over about nine decades."""

POINT_STARTS = {1: 128, 2: 256}
"""Grid starts of a broken-law fit by number of breaks (other laws: 32); see the module docstring."""


def _names(n_breaks: int) -> tuple[str, ...]:
    return ("a", "b", "c0") + tuple(f"{k}{i}" for i in range(1, n_breaks + 1) for k in ("c", "d", "f"))


def _changes(theta, n_breaks: int) -> list:
    """The slope changes ``c_i = s_i - s_(i-1)`` (``s_0 = c0``) from the internal slopes."""
    slopes = [theta[2]] + [theta[3 + 3 * i] for i in range(n_breaks)]
    return [slopes[i + 1] - slopes[i] for i in range(n_breaks)]


def _bnsl_fn(n_breaks: int):
    def fn(theta, F):
        lx = F[:, 0]
        u = theta[1] - theta[2] * lx
        for i, c in enumerate(_changes(theta, n_breaks)):
            ld, lf = theta[4 + 3 * i], theta[5 + 3 * i]
            f = jnp.exp(lf)
            u = u - c * f * jax.nn.softplus((lx - ld) / f)
        return _log_sum_exp([jnp.broadcast_to(jnp.log(theta[0]), lx.shape), u])[0]

    return fn


def _bnsl_jacobian(n_breaks: int):
    # log y = LSE(log a, u) with softmax weights P0, P1; u = log b - c0 lx - sum_i c_i f_i sp(z_i),
    # z_i = (lx - log d_i) / f_i. du/dc_i = -f_i sp(z_i); du/dlog d_i = c_i sigmoid(z_i);
    # du/dlog f_i = -c_i f_i (sp(z_i) - z_i sigmoid(z_i)). With c_i = s_i - s_(i-1):
    # d/dc0 (internal) = du/dc0 - du/dc_1 and d/ds_i = du/dc_i - du/dc_(i+1).
    def jac(theta, F):
        lx = F[:, 0]
        u = theta[1] - theta[2] * lx
        dc, rest = [], []
        for i, c in enumerate(_changes(theta, n_breaks)):
            ld, lf = theta[4 + 3 * i], theta[5 + 3 * i]
            f = jnp.exp(lf)
            z = (lx - ld) / f
            sp, sg = jax.nn.softplus(z), jax.nn.sigmoid(z)
            u = u - c * f * sp
            dc.append(-f * sp)
            rest.append((c * sg, -c * f * (sp - z * sg)))
        pred, (P0, P1) = _log_sum_exp([jnp.broadcast_to(jnp.log(theta[0]), lx.shape), u])
        du_slope = [-lx] + dc + [0.0]  # du/dc0 (explicit), du/dc_i, and nothing after the last
        # a held at exactly 0 (fixed={"a": 0}) has P0 = 0: its column is 0, not 0/0.
        out = [P0 / jnp.where(theta[0] > 0, theta[0], 1.0), P1, P1 * (du_slope[0] - du_slope[1])]
        for i in range(n_breaks):
            out += [P1 * (du_slope[i + 1] - du_slope[i + 2]), P1 * rest[i][0], P1 * rest[i][1]]
        return pred, jnp.stack([jnp.broadcast_to(c, lx.shape) for c in out], axis=-1)

    return jac


_SLOPES = (0.03, 0.08, 0.15, 0.25, 0.4, 0.7)
_CHANGES = (-0.6, -0.25, 0.25, 0.6)  # each break's slope change, as a share of the slope before it
_SHARPNESS = (0.3, 1.5)
_PLACES = (0.2, 0.4, 0.6, 0.8)  # break locations, as shares of the data's range of log x
_COMBOS_PER_PASS = 256  # grid points whose linear solve runs at once (memory: G x this x rows)


def _linear_amplitudes(g, loss, used):
    """For each data set and candidate shape ``g`` [G, K, n] (the factor ``x^-c0 prod(...)``):
    ``a`` and ``log b`` of ``loss ~ a + b g`` by least squares in relative error (weights
    ``1 / loss^2``, close to the log residuals the fit minimises); where that gives ``a < 0`` or
    ``b <= 0``, ``a = 0`` and ``b`` alone."""
    w = np.where(used, 1.0 / loss**2, 0.0)[:, None, :]
    yv = loss[:, None, :]
    s1, sg, sgg = np.sum(w, -1), np.sum(w * g, -1), np.sum(w * g * g, -1)
    sy, sgy = np.sum(w * yv, -1), np.sum(w * g * yv, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s1 * sgg - sg * sg
        b = (s1 * sgy - sg * sy) / det
        a = (sy - b * sg) / s1
        alone = ~((a >= 0) & (b > 0) & np.isfinite(a) & np.isfinite(b))
        b = np.where(alone, sgy / sgg, b)
        a = np.where(alone, 0.0, a)
        return a, np.log(np.maximum(b, 1e-300))


def _bnsl_grids(n_breaks: int):
    places = list(itertools.combinations(_PLACES, n_breaks))  # d1 < d2
    combos = np.array([(c0, f, *chs, *ds) for c0 in _SLOPES for f in _SHARPNESS
                       for chs in itertools.product(_CHANGES, repeat=n_breaks) for ds in places])

    def grids(F, y, used):
        """Per data set, for each shape (c0; each c_i a share of the slope before it; break locations at shares
        of the data's range of log x; sharpness), the amplitudes ``a`` and ``b`` that fit it best
        (:func:`_linear_amplitudes`): the law is linear in them, so each start is the best point
        of its shape (variable projection). [G, K, p]."""
        G = F.shape[0]
        lx = F[..., 0]
        lo, hi = group_min(lx, used), group_max(lx, used)
        loss = np.exp(y)
        out = []
        for start in range(0, len(combos), _COMBOS_PER_PASS):
            part = combos[start:start + _COMBOS_PER_PASS]
            c0, f = part[:, 0][None, :], part[:, 1][None, :]
            slopes = [c0]
            for i in range(n_breaks):  # each change a share of the slope before it: slopes stay > 0
                slopes.append(slopes[-1] * (1.0 + part[:, 2 + i][None, :]))
            cs = [slopes[i + 1] - slopes[i] for i in range(n_breaks)]
            lds = [lo[:, None] + (hi - lo)[:, None] * part[:, 2 + n_breaks + i][None, :] for i in range(n_breaks)]
            log_g = -c0[..., None] * lx[:, None, :]
            for c, ld in zip(cs, lds):
                log_g = log_g - (c * f)[..., None] * np.logaddexp(0.0, (lx[:, None, :] - ld[..., None]) / f[..., None])
            # scaled by its largest used value, so that g stays in floating range
            shift = np.max(np.where(used[:, None, :], log_g, -np.inf), axis=-1)
            a, lb = _linear_amplitudes(np.exp(log_g - shift[..., None]), loss, used)
            K = part.shape[0]
            full = lambda v: np.broadcast_to(v, (G, K))  # noqa: E731
            cols = [a, lb - shift, full(c0)]
            for slope, ld in zip(slopes[1:], lds):
                cols += [full(slope), full(ld), full(np.log(f))]
            out.append(np.stack(cols, axis=-1))
        return np.concatenate(out, axis=1)

    return grids


def _bnsl_data_bounds(n_breaks: int):
    floor = _irreducible_floor(3 + 3 * n_breaks)

    def bounds(F, y_fit, used):
        """``a`` at least 1e-6 of the smallest y; each break inside the data's range of x
        widened by :data:`BREAK_MARGIN` decades."""
        lo, hi = floor(F, y_fit, used)
        margin = BREAK_MARGIN * math.log(10.0)
        x_lo, x_hi = group_min(F[..., 0], used), group_max(F[..., 0], used)
        for i in range(n_breaks):
            lo[:, 4 + 3 * i] = x_lo - margin
            hi[:, 4 + 3 * i] = x_hi + margin
        return lo, hi

    return bounds


def break_slopes(P, n_breaks: int = 1) -> list:
    """The log-log slopes of ``y - a`` well before the first break and after each: ``[-c0,
    -(c0 + c1), ...]`` (arrays broadcasting over replicates)."""
    out = [-np.asarray(P["c0"])]
    for i in range(1, n_breaks + 1):
        out.append(out[-1] - np.asarray(P[f"c{i}"]))
    return out


@dataclass(frozen=True, eq=False)
class BrokenLaw(Law):
    """The broken power law: a :class:`Law` whose fitted parameters hold the slope after each
    break, ``s_i = c0 + c1 + ... + c_i``, where the law's public parameters hold the paper's slope
    changes ``c_i = s_i - s_(i-1)`` (module docstring). ``n_breaks``: 1 or 2."""

    n_breaks: int = 1

    def _mixing(self) -> np.ndarray:
        """[p, p] public (before the log transforms) = M @ internal: ``c_i = s_i - s_(i-1)``."""
        M = np.eye(self.n_params)
        for i in range(self.n_breaks):
            M[3 + 3 * i, 2 if i == 0 else 3 * i] = -1.0
        return M

    @property
    def internal_names(self) -> tuple[str, ...]:
        names = ["a", "log_b", "c0"]
        for i in range(1, self.n_breaks + 1):
            names += [f"slope_after_{i}", f"log_d{i}", f"log_f{i}"]
        return tuple(names)

    @property
    def mixed_params(self) -> tuple[str, ...]:
        return tuple(f"c{i}" for i in range(1, self.n_breaks + 1))

    def to_public(self, theta):
        t = Law.to_public(self, theta)
        xp = jnp if isinstance(t, jax.Array) else np
        cols = [t[..., j] for j in range(self.n_params)]
        # column by column, not a matrix product: an overflowing exp of a log parameter times a
        # zero of the mixing matrix would be NaN
        for i in range(self.n_breaks):
            cols[3 + 3 * i] = t[..., 3 + 3 * i] - t[..., 2 if i == 0 else 3 * i]
        return xp.stack(cols, axis=-1)

    def from_public(self, values) -> np.ndarray:
        mixed = self._public_vector(values) @ np.linalg.inv(self._mixing()).T
        for i in range(1, self.n_breaks + 1):
            slope = mixed[..., 3 * i]
            if np.any(slope < 0):
                terms = " + ".join(["c0"] + [f"c{j}" for j in range(1, i + 1)])
                raise ValueError(f"law {self.name!r}: the slope after break {i}, {terms}, must be >= 0 (the law never "
                                 f"rises with x); got {np.min(slope):g}")
        return Law.from_public(self, mixed)

    def public_jacobian(self, theta) -> np.ndarray:
        return self._mixing() @ Law.public_jacobian(self, theta)


@functools.lru_cache(maxsize=None)
def make_bnsl(n_breaks: int = 1) -> Law:
    if n_breaks not in (1, 2):
        raise ValueError(f"bnsl has one or two breaks, got {n_breaks}")
    names = _names(n_breaks)
    transforms = ("identity", "log", "identity") + ("identity", "log", "log") * n_breaks
    lower = [0.0, -np.inf, 0.0] + [0.0, -np.inf, math.log(SHARPNESS_RANGE[0])] * n_breaks
    upper = [np.inf, np.inf, EXPONENT_MAX] + [EXPONENT_MAX, np.inf, math.log(SHARPNESS_RANGE[1])] * n_breaks
    breaks = " * ".join(f"(1 + (x/d{i})^(1/f{i}))^(-c{i} f{i})" for i in range(1, n_breaks + 1))
    return BrokenLaw(
        name="bnsl" if n_breaks == 1 else "bnsl2",
        params=names,
        transforms=transforms,
        lower=tuple(lower),
        upper=tuple(upper),
        inputs=("C",),
        target="loss",
        space="log",
        fit_fn=_bnsl_fn(n_breaks),
        jacobian=_bnsl_jacobian(n_breaks),
        data_bounds=one_group(_bnsl_data_bounds(n_breaks)),
        group_data_bounds=_bnsl_data_bounds(n_breaks),
        grid=one_group(_bnsl_grids(n_breaks)),
        group_grid=_bnsl_grids(n_breaks),
        formula=f"y = a + b * x^-c0 * {breaks}",
        point_starts=POINT_STARTS[n_breaks],
        race_starts=False,
        n_breaks=n_breaks,
        reference="Caballero et al. 2022, arXiv:2210.14891 (broken neural scaling laws)",
    )
