"""Row-count buckets: arrays are padded to a few sizes so that compiled programs are reused.

XLA compiles one program per array shape. Padding the rows of a data set up to a size bucket
(2^k times 1, 1.25, 1.5 or 1.75) lets data sets of nearby sizes (a leave-some-out refit, a run
appended, a law evaluated at a new set of points) share one program, at the price of at most
25% padded rows, which carry weight 0 and are never counted.

A bottom-layer module: numpy only, used by the laws (evaluation) and the fit problem (solves).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bucket_points", "pad_rows"]


def bucket_points(n: int, smallest: int = 8) -> int:
    """The padded row count for ``n`` rows: the smallest 2^k x {1, 1.25, 1.5, 1.75} >= ``n``."""
    n = max(int(n), smallest)
    base = 1 << (n.bit_length() - 1)
    for m in (1.0, 1.25, 1.5, 1.75, 2.0):
        if base * m >= n:
            return int(base * m)
    return 2 * base


def pad_rows(a, n_padded: int, axis: int = 0, fill=None) -> np.ndarray:
    """``a`` padded along ``axis`` to ``n_padded`` rows: copies of row 0 (so features stay finite),
    or ``fill`` (0 for weights)."""
    a = np.asarray(a)
    extra = n_padded - a.shape[axis]
    if extra <= 0:
        return a
    if fill is None:
        pad = np.repeat(np.take(a, [0], axis=axis), extra, axis=axis)
    else:
        shape = list(a.shape)
        shape[axis] = extra
        pad = np.full(shape, fill, dtype=a.dtype)
    return np.concatenate([a, pad], axis=axis)
